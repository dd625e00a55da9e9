"""Screening and intake documents of a client: the current one, saving it, the override.

One screening and one intake per client are current: the latest document of that kind
(highest id). A signed one is read-only; editing starts a new draft copied from it. Qt-free,
so the session screen, the exporter and the tests use the same reading of "current".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from kapcompanion.core.intake import Intake
from kapcompanion.core.models import StoredDocument
from kapcompanion.core.screening import (
    Screening,
    apply_override,
    clear_override,
    evaluate,
)
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos

SCREENING = "screening"
INTAKE = "intake"


def latest_document(repos: Repos, kind: str, client_id: int) -> StoredDocument | None:
    docs = repos.documents.find(kind, client_id=client_id)
    return docs[-1] if docs else None


def current_screening(repos: Repos, client_id: int) -> tuple[StoredDocument | None, Screening]:
    doc = latest_document(repos, SCREENING, client_id)
    return doc, load(Screening, doc.data) if doc else Screening()


def current_intake(repos: Repos, client_id: int) -> tuple[StoredDocument | None, Intake]:
    doc = latest_document(repos, INTAKE, client_id)
    return doc, load(Intake, doc.data) if doc else Intake()


def save_record(
    repos: Repos,
    kind: str,
    client_id: int,
    doc: StoredDocument | None,
    record: object,
    *,
    audit_action: str | None = None,
) -> StoredDocument:
    """Save ``record`` into ``doc`` (a new draft when there is none, or it is signed)."""
    data = to_jsonable(record)
    if doc is None or doc.signed:
        fresh = StoredDocument(kind=kind, client_id=client_id, data=data)
        return repos.documents.save(fresh, audit_action=audit_action)
    return repos.documents.save(replace(doc, data=data), audit_action=audit_action)


def record_override(
    repos: Repos,
    client_id: int,
    doc: StoredDocument | None,
    screening: Screening,
    reason: str,
    *,
    at: datetime | None = None,
) -> tuple[StoredDocument, Screening]:
    """Override the outcome with a written reason, audited as ``screening.override``.

    Screens show it with ``widgets/override_banner.py`` (no safety flag is raised: a flag
    could be resolved while the override stands). ``ValueError`` (blank reason, nothing to
    override) and ``VaultError`` reach the caller with a message fit to show.
    """
    who = repos.vault.who.strip()
    if not who:
        raise VaultError("The vault has no practitioner name; an override must name its author.")
    overridden = apply_override(screening, reason, who, at or datetime.now(UTC))
    saved = save_record(
        repos, SCREENING, client_id, doc, overridden, audit_action="screening.override"
    )
    return saved, overridden


def withdraw_override(
    repos: Repos, client_id: int, doc: StoredDocument | None, screening: Screening
) -> tuple[StoredDocument, Screening]:
    """Remove the override (audited as ``screening.override_withdrawn``)."""
    cleared = clear_override(screening)
    saved = save_record(
        repos, SCREENING, client_id, doc, cleared, audit_action="screening.override_withdrawn"
    )
    return saved, cleared


@dataclass(frozen=True)
class OverrideNotice:
    """What a screen shows about a screening override: ``active`` False means an earlier
    override no longer covers the current findings (so the outcome stands again)."""

    active: bool
    text: str


def override_notice(repos: Repos, client_id: int) -> OverrideNotice | None:
    """The override of the client's current screening, in words; None without one."""
    _doc, screening = current_screening(repos, client_id)
    reason = (screening.override_reason or "").strip()
    if not reason:
        return None
    result = evaluate(screening)
    when = f" on {screening.override_at:%Y-%m-%d}" if screening.override_at else ""
    who = screening.override_by or "unknown"
    if result.overridden:
        return OverrideNotice(True, f"Screening overridden by {who}{when}. Reason: {reason}")
    return OverrideNotice(
        False,
        f"The screening override by {who}{when} no longer applies: there are new findings "
        f"since. Outcome: {result.outcome.label}.",
    )
