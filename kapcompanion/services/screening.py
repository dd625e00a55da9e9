"""Screening and intake documents of a client: the current one, saving it, the override.

One screening and one intake per client are current: the latest document of that kind
(highest id). A signed one is read-only; editing starts a new draft copied from it. Qt-free,
so the session screen, the exporter and the tests use the same reading of "current".

The screening is always read with its :class:`~kapcompanion.core.screening.ScreeningContext`
(:func:`screening_context`): the intake's interacting medication and the client's suicide-risk
signals (an active flag, a positive PHQ-9 item 9). Every write here is one user action in one
transaction, with the audit row beside the record; an override's and a reconciliation's audit
detail is a JSON object with the reason, who decided, who entered it and what it covers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kapcompanion.core import wording
from kapcompanion.core.intake import Contact, Intake, check_ace_answers, medication_flags
from kapcompanion.core.members import MemberRole
from kapcompanion.core.models import FlagKind, StoredDocument
from kapcompanion.core.screening import (
    Finding,
    OverrideRole,
    Prescriber,
    Screening,
    ScreeningContext,
    ScreeningResult,
    apply_override,
    clear_override,
    evaluate,
    override_author,
    reconcile_medication,
)
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.services import documents
from kapcompanion.services import measures as measure_service
from kapcompanion.services import members as practice
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos

#: the PHQ-9 item that asks about thoughts of death or self-harm
PHQ9 = "phq9"
PHQ9_SUICIDE_ITEM = 9
PHQ9_FREQUENCY = {1: "several days", 2: "more than half the days", 3: "nearly every day"}

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
    audit_detail: str = "",
) -> StoredDocument:
    """Save ``record`` into ``doc`` (a new draft when there is none, or it is signed).

    ``doc`` is the version the form loaded or last saved: when the stored draft is newer
    (another window saved it), nothing is overwritten and ``StaleRevision`` carries the kept
    conflict (``services.documents``)."""
    data = to_jsonable(record)
    if doc is None or doc.signed:
        target = StoredDocument(kind=kind, client_id=client_id, data=data)
        return documents.save(
            repos, target, None, audit_action=audit_action, audit_detail=audit_detail
        )
    return documents.save(
        repos,
        replace(doc, data=data),
        doc.revision or None,
        audit_action=audit_action,
        audit_detail=audit_detail,
    )


def client_escort(repos: Repos, client_id: int) -> Contact | None:
    """The escort on the client's record (the intake form offers it)."""
    return repos.clients.get(client_id).escort


# --------------------------------------------------------------------------- context
def _suicide_risk(repos: Repos, client_id: int) -> str:
    """What the record says about suicide risk, in words ("" when nothing)."""
    parts: list[str] = []
    for flag in repos.flags.active(client_id):
        if flag.kind is FlagKind.SUICIDE_RISK:
            source = f" ({flag.source})" if flag.source else ""
            since = wording.short_date(flag.raised_utc.astimezone())
            parts.append(f"A suicide-risk flag is active since {since}{source}.")
            break
    phq9 = [
        s for s in measure_service.responses(repos, client_id) if s.response.instrument_id == PHQ9
    ]
    if phq9:
        latest = phq9[-1].response
        value = latest.answers.get(PHQ9_SUICIDE_ITEM)
        if value:
            how = PHQ9_FREQUENCY.get(value, str(value))
            parts.append(
                f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm) was answered "
                f"\u201c{how}\u201d ({value} of 3) on {wording.short_date(latest.taken_on)}."
            )
    return " ".join(parts)


def screening_context(
    repos: Repos, client_id: int, intake: Intake | None = None
) -> ScreeningContext:
    """What the rest of the record says that the screening must count (``intake``: the one
    on screen, when the form has unsaved edits; else the stored current intake)."""
    if intake is None:
        _doc, intake = current_intake(repos, client_id)
    flagged = medication_flags(intake.medications)
    return ScreeningContext(
        interacting=tuple((name, tuple(groups)) for name, groups in flagged.items()),
        suicide_risk=_suicide_risk(repos, client_id),
    )


def evaluate_current(repos: Repos, client_id: int) -> ScreeningResult:
    """The client's current screening, evaluated with its context."""
    _doc, screening = current_screening(repos, client_id)
    return evaluate(screening, screening_context(repos, client_id))


# --------------------------------------------------------------------------- writes
def _detail(**fields: Any) -> str:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def _finding_words(findings: tuple[Finding, ...] | list[Finding]) -> list[dict[str, str]]:
    return [
        {"item": f.key, "label": f.label, "answer": f.answer, "level": f.level.value}
        for f in findings
    ]


def save_screening(
    repos: Repos, client_id: int, doc: StoredDocument | None, screening: Screening
) -> StoredDocument:
    """Save the screening draft (the form's autosave)."""
    return save_record(repos, SCREENING, client_id, doc, screening)


def save_intake(
    repos: Repos, client_id: int, doc: StoredDocument | None, intake: Intake
) -> StoredDocument:
    """Save the intake draft (the form's autosave); a stray ACE answer is refused, naming it."""
    try:
        check_ace_answers(intake.ace_answers)
    except ValueError as exc:
        raise VaultError(str(exc)) from None
    return save_record(repos, INTAKE, client_id, doc, intake)


def _who(repos: Repos) -> str:
    who = repos.vault.who.strip()
    if not who:
        raise VaultError("The vault has no practitioner name; an override must name its author.")
    return who


def practice_prescriber(repos: Repos, prescriber: Prescriber) -> Prescriber:
    """The prescriber as the practice list has them: a member whose role is prescriber.
    Refused (``MemberRefused``) for a typed name or another role."""
    if prescriber.member_id is None:
        chosen = [m for m in practice.members(repos.vault) if m.role is MemberRole.PRESCRIBER]
        if not chosen:
            raise practice.MemberRefused(
                "The practice has no prescriber among its members. Add the prescriber in "
                f"{practice.WHERE}; they then set their own PIN there."
            )
        raise practice.MemberRefused("Choose the prescriber from the practice members.")
    member = practice.member(repos.vault, prescriber.member_id)
    if member.role is not MemberRole.PRESCRIBER:
        raise practice.MemberRefused(
            f"{member.name} is not a prescriber in the practice list; the prescriber decides."
        )
    return Prescriber(member.name, member.credential, member.id)


def _confirm(repos: Repos, prescriber: Prescriber, pin: str) -> None:
    """The prescriber's own PIN; a wrong one raises ``MemberRefused`` (nothing written)."""
    practice.confirm(repos.vault, prescriber.member_id, pin, what="the decision")


def record_override(
    repos: Repos,
    client_id: int,
    doc: StoredDocument | None,
    screening: Screening,
    reason: str,
    *,
    prescriber: Prescriber | None = None,
    prescriber_pin: str = "",
    context: ScreeningContext | None = None,
    at: datetime | None = None,
) -> tuple[StoredDocument, Screening]:
    """Override the outcome with a written reason, audited as ``screening.override``.

    A label contraindication needs ``prescriber`` (``OverrideNeedsPrescriber`` otherwise), a
    practice member with the prescriber role who confirms with ``prescriber_pin``, their own
    PIN (:func:`confirmed_prescriber`; a wrong PIN writes nothing): the override is recorded
    as the prescriber's decision, entered by the vault's practitioner.
    The screening and its audit row (detail: reason, who, role, credential, entered by, the
    findings covered) are one transaction. Screens show it with ``widgets/override_banner.py``.
    ``ValueError`` (a token for a reason, nothing to override) and ``VaultError`` reach the
    caller with a message fit to show.
    """
    who = _who(repos)
    ctx = context if context is not None else screening_context(repos, client_id)
    if prescriber is not None:
        prescriber = practice_prescriber(repos, prescriber)
    overridden = apply_override(
        screening, reason, who, at or datetime.now(UTC), prescriber=prescriber, context=ctx
    )
    if prescriber is not None:  # the reason and the findings are checked before the PIN
        _confirm(repos, prescriber, prescriber_pin)
        overridden = replace(overridden, override_confirmed=True)
    result = evaluate(overridden, ctx)
    detail = _detail(
        reason=overridden.override_reason,
        decided_by=overridden.override_by,
        role=(overridden.override_role or OverrideRole.THERAPIST).value,
        credential=overridden.override_credential or "",
        entered_by=who,
        prescriber_member_id=prescriber.member_id if prescriber is not None else None,
        confirmed_by_prescriber_pin=overridden.override_confirmed,
        findings=_finding_words(result.findings),
    )
    saved = save_record(  # one transaction: the document and its audit row with the detail
        repos,
        SCREENING,
        client_id,
        doc,
        overridden,
        audit_action="screening.override",
        audit_detail=detail,
    )
    return saved, overridden


def withdraw_override(
    repos: Repos, client_id: int, doc: StoredDocument | None, screening: Screening
) -> tuple[StoredDocument, Screening]:
    """Remove the override (audited as ``screening.override_withdrawn``, naming whose)."""
    detail = _detail(
        withdrawn_by=repos.vault.who,
        override_by=screening.override_by or "",
        reason=screening.override_reason or "",
    )
    cleared = clear_override(screening)
    saved = save_record(
        repos,
        SCREENING,
        client_id,
        doc,
        cleared,
        audit_action="screening.override_withdrawn",
        audit_detail=detail,
    )
    return saved, cleared


def reconcile_medication_list(
    repos: Repos,
    client_id: int,
    doc: StoredDocument | None,
    screening: Screening,
    prescriber: Prescriber,
    reason: str,
    *,
    prescriber_pin: str = "",
    context: ScreeningContext | None = None,
    at: datetime | None = None,
) -> tuple[StoredDocument, Screening]:
    """The prescriber reconciled the intake's interacting medication with the screening,
    audited as ``screening.medication_reconciled`` (detail: prescriber, credential, reason,
    medications, entered by) in the screening's transaction. The prescriber is a practice
    member confirming with their own PIN, as for an override."""
    who = _who(repos)
    ctx = context if context is not None else screening_context(repos, client_id)
    prescriber = practice_prescriber(repos, prescriber)
    reconciled = reconcile_medication(  # the reason and the list first, then the PIN
        screening, ctx, prescriber, reason, who, at or datetime.now(UTC)
    )
    _confirm(repos, prescriber, prescriber_pin)
    detail = _detail(
        prescriber=prescriber.name.strip(),
        credential=prescriber.credential.strip(),
        reason=" ".join(reason.split()),
        medications=[{"name": name, "groups": list(groups)} for name, groups in ctx.interacting],
        entered_by=who,
        prescriber_member_id=prescriber.member_id,
        confirmed_by_prescriber_pin=True,
    )
    saved = save_record(
        repos,
        SCREENING,
        client_id,
        doc,
        reconciled,
        audit_action="screening.medication_reconciled",
        audit_detail=detail,
    )
    return saved, reconciled


@dataclass(frozen=True)
class OverrideNotice:
    """What a screen shows about a screening override: ``active`` False means an earlier
    override no longer covers the current findings (so the outcome stands again)."""

    active: bool
    text: str


def notice_for(screening: Screening, context: ScreeningContext | None) -> OverrideNotice | None:
    """The override of ``screening`` in words, agreeing with :func:`evaluate`; None without one."""
    reason = (screening.override_reason or "").strip()
    if not reason:
        return None
    result = evaluate(screening, context)
    when = f" on {wording.short_date(screening.override_at)}" if screening.override_at else ""
    who = override_author(screening)
    if result.overridden:
        entered = ""
        if screening.override_role is OverrideRole.PRESCRIBER and screening.override_entered_by:
            entered = f" (entered by {screening.override_entered_by})"
        return OverrideNotice(
            True, f"Screening overridden by {who}{when}{entered}. Reason: {reason}"
        )
    lapse = next(
        (r for r in reversed(result.reasons) if r.startswith("The override")),
        "The override no longer applies.",
    )
    said = lapse.replace("The override", f"The screening override by {who}{when}", 1)
    return OverrideNotice(False, f"{said} Outcome: {result.outcome.label}.")


def override_notice(
    repos: Repos, client_id: int, screening: Screening | None = None
) -> OverrideNotice | None:
    """The override of the client's current screening (or of ``screening``, the one on
    screen with unsaved answers), in words; None without one."""
    if screening is None:
        _doc, screening = current_screening(repos, client_id)
    if not (screening.override_reason or "").strip():
        return None
    return notice_for(screening, screening_context(repos, client_id))
