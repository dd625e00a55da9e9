"""Audit actions and record kinds in words, for people (the audit view, reports).

The trail stores short keys (``sign.failed``, ``course_plan.create``); a therapist reads
"Signing refused" and "Course plan created". :func:`action_words` gives the words for any key:
a phrase from :data:`ACTIONS` when there is one, else the record kind and the verb put
together from :data:`RECORDS` and :data:`VERBS` (so a new document kind still reads well),
else the key itself with its punctuation turned into spaces. The keys stay in the trail and in
the CSV export, where an auditor's tools expect them.
"""

from __future__ import annotations

from kapcompanion.core.models import EventKind

#: what a record type (or the first part of an action) is called
RECORDS: dict[str, str] = {
    "addendum": "addendum",
    "attachment": "attachment",
    "audit": "audit trail",
    "calendar": "calendar",
    "checklist": "preparation checklist",
    "checklist_template": "checklist template",
    "client": "client",
    "consent": "consent",
    "consent_template": "consent template",
    "content": "clinical content",
    "course": "course",
    "course_plan": "course plan",
    "document": "document",
    "draft": "draft",
    "event": "session event",
    "export": "export",
    "flag": "safety flag",
    "intake": "intake",
    "integration": "integration entry",
    "ledger": "ledger",
    "ledger_entry": "ledger entry",
    "ledger_product": "ledger product",
    "measure": "outcome measure",
    "measure_schedule": "measure schedule",
    "practitioner": "practitioner",
    "print": "print",
    "rems": "REMS",
    "safety_plan": "safety plan",
    "screening": "screening",
    "session": "session",
    "settings": "clinic settings",
    "sign": "signing",
    "signing_pin": "signing PIN",
    "vault": "vault",
    "vitals": "vitals",
}

#: what the second part of an action says happened
VERBS: dict[str, str] = {
    "add": "added",
    "adjust": "adjusted",
    "archive": "archived",
    "change": "changed",
    "create": "created",
    "delete": "deleted",
    "import": "imported",
    "remove": "removed",
    "resolve": "resolved",
    "set": "set",
    "sign": "signed",
    "unarchive": "unarchived",
    "update": "changed",
    "view": "viewed",
}

#: whole phrases where the two parts would not read well
ACTIONS: dict[str, str] = {
    "addendum.create": "Addendum added",
    "attachment.create": "Attachment added",
    "checklist.carry_over": "Checklist items carried over",
    "checklist.readiness_override": "Started with preparation missing (override)",
    "checklist.touch_withdrawn": "Touch agreement withdrawn in the checklist",
    "consent.client_sign": "Consent signed by the client",
    "consent.countersign": "Consent countersigned",
    "consent.withdraw": "Consent withdrawn",
    "consent.witness": "Consent witnessed",
    "content.baseline": "Clinical content baseline recorded",
    "document.conflict": "Save conflict kept",
    "document.conflict_resolved": "Save conflict resolved",
    "draft.conflict": "Draft conflict kept",
    "draft.conflict_resolved": "Draft conflict resolved",
    "export.audit_csv": "Audit trail exported (CSV)",
    "export.consent_pdf": "Consent exported (PDF)",
    "export.course_pdf": "Course summary exported (PDF)",
    "export.fhir": "Record exported (FHIR)",
    "export.ics": "Calendar exported",
    "export.ledger": "Ledger exported",
    "export.rems_csv": "REMS report exported (CSV)",
    "export.rems_pdf": "REMS report exported (PDF)",
    "export.research_csv": "Research data exported (CSV)",
    "export.session_pdf": "Session record exported (PDF)",
    "export.transfer": "Client transfer exported",
    "flag.raise": "Safety flag raised",
    "flag.resolve": "Safety flag resolved",
    "ledger.administer": "Ledger: dose drawn",
    "ledger.correct": "Ledger: entry corrected",
    "ledger.count": "Ledger: stock counted",
    "ledger.loss": "Ledger: loss reported",
    "ledger.loss_step": "Ledger: loss report step",
    "ledger.product.add": "Ledger: product added",
    "ledger.receive": "Ledger: stock received",
    "ledger.waste": "Ledger: waste recorded",
    "ledger.witness": "Ledger: witnessed",
    "print.course_pdf": "Course summary printed",
    "print.session_pdf": "Session record printed",
    "rems.form_submitted": "REMS form submitted",
    "screening.medication_reconciled": "Medication reconciled",
    "screening.override": "Screening overridden",
    "screening.override_withdrawn": "Screening override withdrawn",
    "session.aldrete_not_scored": "Aldrete score not taken (reason given)",
    "session.dose": "Dose given",
    "session.dose_after_flagged_reading": "Dose given after a flagged reading",
    "session.dose_outside_usual": "Dose outside the usual range confirmed",
    "session.early_end": "Session ended before the minimum time",
    "session.effect_alert_acknowledged": "Sedation or breathing alert acknowledged",
    "session.end": "Session ended",
    "session.esketamine_early_end": "Esketamine session ended early",
    "session.extra_dose_outside_usual": "Extra dose outside the usual range confirmed",
    "session.interrupted": "Session interrupted",
    "session.phase_change": "Session phase changed",
    "session.replan": "Session plan changed",
    "session.respiratory_depression": "Respiratory depression recorded",
    "session.resumed": "Session resumed",
    "session.sedation_alert": "Sedation alert",
    "session.start": "Session started",
    "session.transfer": "Session ended with a transfer to emergency care",
    "sign.failed": "Signing refused (wrong passphrase or PIN)",
    "signing_pin.failed": "Signing PIN refused",
    "vault.backup": "Vault backed up",
    "vault.lock": "Vault locked",
    "vault.rekey": "Vault passphrase changed",
    "vault.restore": "Vault restored from a backup",
    "vault.unlock": "Vault unlocked",
    "vault.unlock_failed": "Unlock refused (wrong passphrase)",
    "vitals.alert_acknowledged": "Vitals alert acknowledged",
    "vitals.record": "Vitals recorded",
}


def record_kind(record_type: str) -> str:
    """``course_plan`` -> ``course plan``; an unknown kind with its underscores as spaces."""
    return RECORDS.get(record_type, record_type.replace("_", " "))


def record_words(record_type: str | None, record_id: int | None = None) -> str:
    """``course_plan``, 232 -> ``course plan 232``; nothing -> ``""``."""
    if not record_type:
        return ""
    kind = record_kind(record_type)
    return f"{kind} {record_id}" if record_id is not None else kind


def action_words(action: str) -> str:
    """The words for an audit action key (see the module docstring)."""
    if action in ACTIONS:
        return ACTIONS[action]
    if action.startswith("vault.migrate."):
        return f"Vault upgraded (schema {action.rsplit('.', 1)[-1].lstrip('v')})"
    head, _, verb = action.rpartition(".")
    if head == "event":  # a timeline entry of a session: its kind's own label
        try:
            return f"Session event: {EventKind(verb).label.lower()}"
        except ValueError:
            return f"Session event: {verb.replace('_', ' ')}"
    if head and verb in VERBS:
        return f"{record_kind(head).capitalize()} {VERBS[verb]}"
    if head == "session" and verb.endswith("_not_drawn"):
        what = verb.removesuffix("_not_drawn").replace("_", " ")
        return f"{what.capitalize()} not booked in the ledger (reason given)"
    words = action.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]
