"""Preparation for a session: the clinic's checklist templates and each session's checklist.

Qt-free, so the session screen can ask :func:`readiness_for_session` before it lets a
session start, and the exporter can find the template version a checklist was filled
against (:func:`template_for_checklist`).

Clinic templates live inside the vault (``vault.set_json("checklist_templates", ...)``),
never beside the shipped files: every saved version is kept, because an old checklist must
still render with the exact version it used. The stored value is
``{"current": <template id or null>, "templates": [<template as JSON>, ...]}``; a null
current means the shipped default.

The readiness gate (:func:`readiness_gate`, :func:`gate_session_start`): a session starts when
every required item is complete, or when a written override covers what is missing. No
override ever skips informed consent or the touch agreement (:func:`protected_items`), and
the override's reason must be a sentence (``core.reasons``). The override's audit detail names
who made it, the reason and the items it covers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from kapcompanion.core import wording
from kapcompanion.core.checklist import (
    FEEDBACK_KEY,
    INTENTION_KEY,
    Checklist,
    ChecklistTemplate,
    ItemKind,
    ItemState,
    Readiness,
    TemplateError,
    TemplateItem,
    carry_over,
    default_template,
    is_complete,
    new_checklist,
    override_readiness,
    prefill_feedback,
    readiness,
    shipped_templates,
    template_from_dict,
    template_to_json,
)
from kapcompanion.core.models import DosingSession, StoredDocument
from kapcompanion.core.reasons import reason_problem
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.services import documents
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

TEMPLATES_KEY = "checklist_templates"
CHECKLIST = "checklist"


# --------------------------------------------------------------------------- templates
@dataclass
class TemplateStore:
    current: str | None = None
    templates: list[ChecklistTemplate] = field(default_factory=list)


def _shipped() -> list[ChecklistTemplate]:
    try:
        return shipped_templates()
    except (TemplateError, OSError):  # a broken install still shows the clinic's own
        return []


def load_store(vault: Vault) -> TemplateStore:
    """The clinic's templates (every version) and its current choice; unreadable entries
    are skipped rather than taking the preparation screens down."""
    raw = vault.get_json(TEMPLATES_KEY, None)
    if not isinstance(raw, dict):
        return TemplateStore()
    templates: list[ChecklistTemplate] = []
    for entry in raw.get("templates", []):
        with contextlib.suppress(TemplateError, TypeError, ValueError):
            templates.append(template_from_dict(entry))
    current = raw.get("current")
    return TemplateStore(current if isinstance(current, str) else None, templates)


def _write_store(vault: Vault, store: TemplateStore, action: str, detail: str) -> None:
    value = {
        "current": store.current,
        "templates": [json.loads(template_to_json(t)) for t in store.templates],
    }
    with vault.transaction() as tx:
        vault.set_json(TEMPLATES_KEY, value, tx)
        vault.audit(action, record_type="checklist_template", detail=detail, conn=tx)


def all_templates(vault: Vault) -> list[ChecklistTemplate]:
    """Shipped templates, then every saved version of the clinic's own."""
    return [*_shipped(), *load_store(vault).templates]


def latest_versions(vault: Vault) -> list[ChecklistTemplate]:
    """One template per id (its newest version): the shipped ones first."""
    newest: dict[str, ChecklistTemplate] = {}
    for t in all_templates(vault):
        if t.id not in newest or t.version > newest[t.id].version:
            newest[t.id] = t
    return list(newest.values())


def is_shipped(template_id: str) -> bool:
    return any(t.id == template_id for t in _shipped())


def current_template(vault: Vault) -> ChecklistTemplate:
    """The template a new checklist uses: the clinic's choice, else the shipped default."""
    chosen = load_store(vault).current
    if chosen:
        versions = [t for t in all_templates(vault) if t.id == chosen]
        if versions:
            return max(versions, key=lambda t: t.version)
    return default_template()


def set_current_template(vault: Vault, template_id: str | None) -> None:
    """Choose the clinic's current template (None: the shipped default). Audited."""
    store = load_store(vault)
    if template_id is not None and not any(t.id == template_id for t in all_templates(vault)):
        raise VaultError(f"There is no checklist template {template_id!r}.")
    store.current = template_id
    _write_store(vault, store, "checklist_template.current", template_id or "shipped default")


def save_clinic_template(vault: Vault, template: ChecklistTemplate) -> ChecklistTemplate:
    """Keep a new version of a clinic template (never a shipped one). Audited."""
    if is_shipped(template.id):
        raise VaultError("A shipped template cannot be changed; make a copy and edit that.")
    store = load_store(vault)
    if any(t.id == template.id and t.version == template.version for t in store.templates):
        raise VaultError(
            f"Version {template.version} of this template is already saved; "
            "a saved version never changes."
        )
    json.loads(template_to_json(template))  # fails early on anything not storable
    store.templates.append(template)
    _write_store(vault, store, "checklist_template.save", f"{template.id}@{template.version}")
    return template


def find_template(vault: Vault, template_id: str, version: int) -> ChecklistTemplate | None:
    for t in all_templates(vault):
        if t.id == template_id and t.version == version:
            return t
    return None


def template_for_checklist(vault: Vault, checklist: Checklist) -> tuple[ChecklistTemplate, bool]:
    """The template version ``checklist`` was filled against, and whether it is that exact
    version (False: the newest version of the same id, or the current template, stands in)."""
    exact = find_template(vault, checklist.template_id, checklist.template_version)
    if exact is not None:
        return exact, True
    same = [t for t in all_templates(vault) if t.id == checklist.template_id]
    if same:
        return max(same, key=lambda t: t.version), False
    return current_template(vault), False


# --------------------------------------------------------------------------- checklists
def checklist_document(repos: Repos, session_id: int) -> StoredDocument | None:
    docs = repos.documents.find(CHECKLIST, session_id=session_id)
    return docs[-1] if docs else None


def load_checklist(repos: Repos, session_id: int) -> tuple[StoredDocument | None, Checklist]:
    """The session's checklist, or a new one on the clinic's current template (not saved)."""
    doc = checklist_document(repos, session_id)
    if doc is not None:
        return doc, load(Checklist, doc.data)
    return None, new_checklist(current_template(repos.vault))


def save_checklist(
    repos: Repos,
    session: DosingSession,
    doc: StoredDocument | None,
    checklist: Checklist,
    *,
    audit_action: str | None = None,
    audit_detail: str = "",
) -> StoredDocument:
    """Insert or update the session's checklist document (signed ones raise RecordLocked)."""
    data = to_jsonable(checklist)
    if doc is None:
        doc = StoredDocument(
            kind=CHECKLIST,
            client_id=session.client_id,
            course_id=session.course_id,
            session_id=session.id,
            data=data,
        )
    else:
        doc = dataclasses.replace(doc, data=data)
    # ``doc`` is the version the screen loaded: a newer stored one is not overwritten
    return documents.save(
        repos, doc, doc.revision or None, audit_action=audit_action, audit_detail=audit_detail
    )


# --------------------------------------------------------------------------- readiness gate
#: item keys of the shipped templates that are informed consent
CONSENT_KEYS = frozenset({"consent_signed"})


class ReadinessRefused(VaultError):
    """The session cannot start: what is missing, and why no override covers it."""


def protected_items(template: ChecklistTemplate) -> list[TemplateItem]:
    """Items no override can skip: informed consent (the shipped key, or any item whose key or
    label says consent) and the touch agreement (every item of kind "touch")."""
    return [
        item
        for item in template.items
        if ItemKind(item.kind) is ItemKind.TOUCH
        or item.key in CONSENT_KEYS
        or "consent" in item.key.casefold()
        or "consent" in item.label.casefold()
    ]


def protected_missing(checklist: Checklist, template: ChecklistTemplate) -> list[str]:
    """Labels of the consent and touch items not complete (required or not in the template)."""
    return [item.label for item in protected_items(template) if not is_complete(checklist, item)]


def _listed(labels: list[str]) -> str:
    return "; ".join(labels)


def readiness_state(checklist: Checklist, template: ChecklistTemplate) -> Readiness:
    """Readiness as the gate sees it: like ``core.checklist.readiness``, but a recorded
    override counts only while nothing protected is missing and its reason is a sentence."""
    base = readiness(checklist, template)
    protected = protected_missing(checklist, template)
    missing = list(dict.fromkeys([*protected, *base.missing]))
    if not missing:
        return Readiness(ready=True, missing=[], overridden=False)
    valid = (
        base.overridden and not protected and reason_problem(checklist.readiness_override) is None
    )
    return Readiness(ready=valid, missing=missing, overridden=valid)


def readiness_gate(
    checklist: Checklist, template: ChecklistTemplate, reason: str | None = None
) -> Readiness:
    """May the session start now? ``reason``: an override given at the start (else the one
    recorded on the checklist counts). Raises :class:`ReadinessRefused` with a plain message
    when it may not: informed consent or the touch agreement missing (no override skips
    them), or other items missing without a reason of substance."""
    state = readiness_state(checklist, template)
    if not state.missing:
        return state
    protected = protected_missing(checklist, template)
    if protected:
        raise ReadinessRefused(
            "No override can skip informed consent or the touch agreement. Complete these in "
            f"the preparation checklist first: {_listed(protected)}."
        )
    given = (reason or "").strip()
    if not given:
        if state.overridden:
            return state
        count = len(state.missing)
        items = "item is" if count == 1 else "items are"
        raise ReadinessRefused(
            f"Not ready: {count} required {items} not done: {_listed(state.missing)}. "
            "Complete them, or write why the session starts without them."
        )
    problem = reason_problem(given)
    if problem:
        raise ReadinessRefused(problem)
    return Readiness(ready=True, missing=state.missing, overridden=True)


def readiness_for_session(repos: Repos, session_id: int) -> Readiness:
    """Can this session start? Missing required items (consent and touch always among them
    when not complete), and whether a valid written override covers them. A session
    without a checklist is not ready."""
    _doc, checklist = load_checklist(repos, session_id)
    template, _exact = template_for_checklist(repos.vault, checklist)
    return readiness_state(checklist, template)


def _override_detail(checklist: Checklist, missing: list[str]) -> str:
    return json.dumps(
        {
            "reason": checklist.readiness_override or "",
            "by": checklist.readiness_override_by or "",
            "items": missing,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def record_readiness_override(
    repos: Repos,
    session: DosingSession,
    doc: StoredDocument | None,
    checklist: Checklist,
    reason: str,
    *,
    at: datetime | None = None,
) -> tuple[StoredDocument, Checklist]:
    """Let the session start with items missing; audited as ``checklist.readiness_override``
    with the reason, who and the items it covers in the detail. :class:`ReadinessRefused`
    when consent or the touch agreement is missing, the reason is not a sentence, or nothing
    is missing."""
    template, _exact = template_for_checklist(repos.vault, checklist)
    state = readiness_state(checklist, template)
    if not state.missing:
        raise ReadinessRefused("Every required item is done; there is nothing to override.")
    protected = protected_missing(checklist, template)
    if protected:
        readiness_gate(checklist, template, reason)  # raises: consent or touch missing
    problem = reason_problem(reason)
    if problem:
        raise ReadinessRefused(problem)
    who = repos.vault.who.strip()
    if not who:
        raise ReadinessRefused(
            "The vault has no practitioner name; an override must name its author."
        )
    changed = override_readiness(checklist, reason, who, at or datetime.now(UTC))
    saved = save_checklist(
        repos,
        session,
        doc,
        changed,
        audit_action="checklist.readiness_override",
        audit_detail=_override_detail(changed, state.missing),
    )
    return saved, changed


def gate_session_start(repos: Repos, session: DosingSession, reason: str = "") -> Readiness:
    """The gate the session start calls: raises :class:`ReadinessRefused` unless the session
    may start. A new ``reason`` that opens the gate is recorded on the checklist first, as
    :func:`record_readiness_override` does (audited with who and the items)."""
    if session.id is None:
        raise ReadinessRefused("The session is not saved yet.")
    consent_gate(repos, session)
    doc, checklist = load_checklist(repos, session.id)
    template, _exact = template_for_checklist(repos.vault, checklist)
    given = reason.strip()
    state = readiness_gate(checklist, template, given or None)
    if given and state.overridden and checklist.readiness_override != given:
        record_readiness_override(repos, session, doc, checklist, given)
    return state


def consent_gate(repos: Repos, session: DosingSession) -> None:
    """Once a client's consent is recorded in the app (signed on screen), a session starts only
    with every required consent current for it: signed and countersigned on the template's
    current version, not withdrawn, and covering the planned route and dose band. No override
    skips it. A client whose consent is on paper has none here: the checklist item governs."""
    from kapcompanion.services import consent  # consent reads the session's plan: no cycle

    if session.id is None or not consent.signed_consents(repos, session.client_id):
        return
    summary = consent.consent_status(repos, session.client_id, session.id)
    if not summary.ready:
        raise ReadinessRefused(
            summary.describe() + " Sign it with the client in the Consent tab before the "
            "session starts; no override can skip consent."
        )


def previous_session(repos: Repos, session: DosingSession) -> DosingSession | None:
    """The session before this one in the same course (by number), if any."""
    earlier = [
        s
        for s in repos.sessions.for_client(session.client_id)
        if s.course_id == session.course_id and s.id != session.id and s.number < session.number
    ]
    return max(earlier, key=lambda s: (s.number, s.id or 0)) if earlier else None


def _has_content(state: ItemState | None) -> bool:
    if state is None:
        return False
    contact = state.contact
    has_contact = contact is not None and bool(contact.name.strip() or contact.phone.strip())
    return bool(state.done or state.value.strip() or state.selected or has_contact)


def carry_over_from(
    current: Checklist, previous: Checklist, template: ChecklistTemplate, feedback: str = ""
) -> Checklist:
    """Fill what is still empty in ``current`` from the last session's checklist.

    Lasting items are copied not done (the therapist reviews them with the client; see
    ``core.checklist.carry_over``); anything already entered here is kept, so the action
    never overwrites today's work. ``feedback`` (the last session's debrief) goes into the
    feedback item when that is empty.
    """
    carried = carry_over(previous, template)
    items = dict(current.items)
    for key, state in carried.items.items():
        if not _has_content(items.get(key)) and _has_content(state):
            items[key] = state
    merged = dataclasses.replace(
        current,
        items=items,
        touch=current.touch or carried.touch,
        music=current.music or carried.music,
    )
    feedback_item = next((i for i in template.items if i.key == FEEDBACK_KEY), None)
    if feedback.strip() and feedback_item is not None and not _has_content(items.get(FEEDBACK_KEY)):
        merged = prefill_feedback(merged, feedback.strip())
    return merged


def previous_checklist(repos: Repos, session: DosingSession) -> tuple[Checklist | None, str]:
    """The previous session's checklist (if any) and its debrief ("" if none)."""
    before = previous_session(repos, session)
    if before is None or before.id is None:
        return None, ""
    doc = checklist_document(repos, before.id)
    return (load(Checklist, doc.data) if doc else None), before.debrief


# --------------------------------------------------------------------------- item states
def _parses(kind: ItemKind, value: str) -> bool:
    try:
        if kind is ItemKind.DATE:
            date.fromisoformat(value.strip())
        else:
            time.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def item_problem(checklist: Checklist, item: TemplateItem) -> str:
    """What an item still needs, in words ("" when it is complete)."""
    if is_complete(checklist, item):
        return ""
    state = checklist.items.get(item.key) or ItemState(key=item.key)
    kind = ItemKind(item.kind)
    need = ""
    if kind is ItemKind.TOUCH:
        if checklist.touch is None:
            need = "No touch agreement yet."
        elif checklist.touch.withdrawn_at is not None:
            need = "The agreement was withdrawn; make a new one before the session."
    elif kind is ItemKind.MUSIC and checklist.music is None:
        need = "No music preferences yet."
    elif kind is ItemKind.CONTACT:
        contact = state.contact
        if contact is None or not (contact.name.strip() and contact.phone.strip()):
            need = "Needs a name and a phone number."
    elif kind in (ItemKind.DATE, ItemKind.TIME):
        what = f"date ({wording.date_hint()})" if kind is ItemKind.DATE else "time (HH:MM)"
        if not state.value.strip():
            need = f"Needs a {what}."
        elif not _parses(kind, state.value):
            need = f"Not a valid {what}."
    elif kind is ItemKind.TEXT:
        text = checklist.intention if item.key == INTENTION_KEY else ""
        if not (text.strip() or state.value.strip()):
            need = "Needs text."
    if need:
        return need if state.done else f"{need} Then tick it."
    return "Not ticked yet."


def describe_readiness(result: Readiness, limit: int | None = None) -> str:
    """One plain paragraph for the top of the checklist and the session screen; with
    ``limit``, only that many missing labels are named."""
    if not result.missing:
        return "Ready: every required item is done."
    count = len(result.missing)
    items = "item is" if count == 1 else "items are"
    named = result.missing if limit is None else result.missing[:limit]
    listed = "; ".join(named)
    if len(named) < count:
        listed += f"; and {count - len(named)} more"
    if result.overridden:
        return f"Overridden: may start although {count} required {items} not done: {listed}."
    return f"Not ready: {count} required {items} not done: {listed}."
