"""Signable records in words: what a record is, when, and who signed it (no Qt).

Two kinds of record can be signed: documents (screening, intake, checklists, integration
entries, measures, safety plans, ...) and dosing-session records once the session ended.
The documents section, the overview's unsigned list, the signing dialog and the addenda
panel all describe them through :class:`RecordRef`, so a record reads the same everywhere.

Every query is a repository's (who signed a session: ``Sessions.signer``, from its seal or
its signing's audit row; the kinds of document a client has: ``Documents.kinds``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from kapcompanion.core.models import DosingSession, SessionStatus, StoredDocument
from kapcompanion.export.describe import fmt_date, fmt_datetime
from kapcompanion.store.repos import Repos

SESSION = "session"

KIND_LABELS = {
    "screening": "Screening",
    "intake": "Intake",
    "checklist": "Preparation checklist",
    "integration": "Integration entry",
    "measure": "Outcome measure",
    "safety_plan": "Safety plan",
    "course_plan": "Course plan",
    SESSION: "Session record",
}
_CONTEXTS = {
    "baseline": "baseline",
    "pre_session": "before a session",
    "end_of_course": "end of course",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class RecordRef:
    """One signable record, described for the screens."""

    record_type: str  # "session" or the document's kind
    record_id: int
    client_id: int
    title: str
    #: the record's own date (the day of the session, the day a measure was taken, ...)
    when: datetime | date | None
    #: when it was stored or completed: the order of the "waiting for signature" list
    order_utc: datetime
    signed_utc: datetime | None = None
    signed_by: str = ""
    session_id: int | None = None
    facts: tuple[tuple[str, str], ...] = ()

    @property
    def is_session(self) -> bool:
        return self.record_type == SESSION

    @property
    def signed(self) -> bool:
        return self.signed_utc is not None

    @property
    def kind_label(self) -> str:
        return kind_label(self.record_type)

    @property
    def key(self) -> tuple[str, int]:
        return (self.record_type, self.record_id)

    def when_text(self) -> str:
        if self.when is None:
            return ""
        return fmt_date(self.when)

    def label(self) -> str:
        """One line for a list: "Integration entry: Next day, session 2 · 4 March 2025"."""
        when = self.when_text()
        return f"{self.title} · {when}" if when else self.title


def signature_line(ref: RecordRef) -> str:
    if ref.signed_utc is None:
        return "Not signed yet: it can still be edited, and it is not final."
    by = ref.signed_by or "the practitioner"
    return f"Signed by {by} on {fmt_datetime(ref.signed_utc, None)}. Locked: changes go to addenda."


def _utc(value: datetime | date | None) -> datetime:
    if value is None:
        return datetime.min.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(12, 0), UTC)


def _parse_day(value: Any) -> date | datetime | None:
    if isinstance(value, str) and value:
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value)
    return None


def _instrument_name(instrument_id: str) -> str:
    from kapcompanion.core.instruments import instrument

    try:
        return instrument(instrument_id).short_name
    except (KeyError, ValueError, OSError):
        return instrument_id.upper() or "Measure"


def _session_bit(session_id: int | None, sessions: dict[int, DosingSession]) -> str:
    s = sessions.get(session_id) if session_id is not None else None
    return f", session {s.number}" if s is not None else ""


def document_ref(doc: StoredDocument, sessions: dict[int, DosingSession]) -> RecordRef:
    data = doc.data if isinstance(doc.data, dict) else {}
    title = kind_label(doc.kind)
    when: datetime | date | None = doc.created_utc
    facts: list[tuple[str, str]] = []
    if doc.kind == "measure":
        name = _instrument_name(str(data.get("instrument_id", "")))
        context = _CONTEXTS.get(str(data.get("context", "")), "")
        title = f"{name} ({context})" if context else name
        when = _parse_day(data.get("taken_on")) or when
        if data.get("score") is not None:
            band = f", {data['band']}" if data.get("band") else ""
            facts.append(("Score", f"{data['score']}{band}"))
    elif doc.kind == "integration":
        title = str(data.get("title") or "Integration entry")
        when = _parse_day(data.get("entry_date")) or when
    elif doc.kind == "screening":
        when = _parse_day(data.get("screened_on")) or when
    session = sessions.get(doc.session_id) if doc.session_id is not None else None
    if when is doc.created_utc and session is not None:  # a checklist: the session's day
        when = session.dose_utc or session.started_utc or session.planned_for or when
    bit = _session_bit(doc.session_id, sessions)
    if bit and bit.lstrip(", ").lower() not in title.lower():
        title += bit
    if doc.created_utc:
        facts.append(("Written", fmt_datetime(doc.created_utc, None)))
    if doc.updated_utc and doc.updated_utc != doc.created_utc:
        facts.append(("Last changed", fmt_datetime(doc.updated_utc, None)))
    assert doc.id is not None and doc.client_id is not None
    return RecordRef(
        record_type=doc.kind,
        record_id=doc.id,
        client_id=doc.client_id,
        title=title,
        when=when,
        order_utc=_utc(doc.created_utc),
        signed_utc=doc.signed_utc,
        signed_by=doc.signed_by,
        session_id=doc.session_id,
        facts=(("Record", kind_label(doc.kind)), *facts),
    )


def session_ref(repos: Repos, s: DosingSession, with_counts: bool = False) -> RecordRef:
    assert s.id is not None
    facts: list[tuple[str, str]] = [("Record", f"Dosing session {s.number}")]
    for label, value in (
        ("Started", s.started_utc),
        ("Dose given", s.dose_utc),
        ("Ended", s.ended_utc),
    ):
        if value is not None:
            facts.append((label, fmt_datetime(value, None)))
    if with_counts:
        events = repos.events.for_session(s.id)
        facts.append(("Events recorded", str(len(events))))
    when = s.dose_utc or s.started_utc or s.planned_for
    return RecordRef(
        record_type=SESSION,
        record_id=s.id,
        client_id=s.client_id,
        title=f"Session {s.number} record",
        when=when,
        order_utc=_utc(s.ended_utc or when),
        signed_utc=s.signed_utc,
        signed_by=session_signer(repos, s.id) if s.signed_utc else "",
        session_id=s.id,
        facts=tuple(facts),
    )


def session_signer(repos: Repos, session_id: int) -> str:
    """Who signed a session record (its seal names the signer; an older one, its audit row)."""
    return repos.sessions.signer(session_id)


def _sessions(repos: Repos, client_id: int) -> dict[int, DosingSession]:
    return {s.id: s for s in repos.sessions.for_client(client_id) if s.id is not None}


def unsigned_records(repos: Repos, client_id: int) -> list[RecordRef]:
    """Documents not signed yet and ended sessions not signed yet, oldest first."""
    sessions = _sessions(repos, client_id)
    # the store lists the notes that get signed (core.models.SIGNABLE_KINDS)
    refs = [document_ref(d, sessions) for d in repos.documents.unsigned(client_id)]
    refs += [
        session_ref(repos, s)
        for s in sessions.values()
        if s.status is SessionStatus.ENDED and s.signed_utc is None
    ]
    return sorted(refs, key=lambda r: (r.order_utc, r.record_id))


def document_kinds(repos: Repos, client_id: int) -> list[str]:
    return repos.documents.kinds(client_id)


def signed_records(repos: Repos, client_id: int) -> list[RecordRef]:
    """Signed documents and session records, most recently signed first."""
    sessions = _sessions(repos, client_id)
    refs = [
        document_ref(d, sessions)
        for kind in document_kinds(repos, client_id)
        for d in repos.documents.find(kind, client_id=client_id)
        if d.signed
    ]
    refs += [session_ref(repos, s) for s in sessions.values() if s.signed_utc is not None]
    return sorted(refs, key=lambda r: (_utc(r.signed_utc), r.record_id), reverse=True)


def load_ref(
    repos: Repos, record_type: str, record_id: int, with_counts: bool = False
) -> RecordRef:
    """The current state of one record (raises ``RecordNotFound`` when it is gone)."""
    if record_type == SESSION:
        return session_ref(repos, repos.sessions.get(record_id), with_counts)
    doc = repos.documents.get(record_id)
    sessions = _sessions(repos, doc.client_id) if doc.client_id is not None else {}
    return document_ref(doc, sessions)
