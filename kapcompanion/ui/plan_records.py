"""Course plans in the vault, the cross-client agenda, and the calendar (.ics) export.

No Qt here: the agenda is gathered off the GUI thread (it reads every active client), and the
rules are tested without a display. A course plan is a ``course_plan`` document
``{"appointments": [PlannedAppointment, ...]}``; the latest one of the client's current
course is "the plan".
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from kapcompanion.core import serial
from kapcompanion.core.course_plan import (
    AppointmentKind,
    AppointmentStatus,
    PlannedAppointment,
    agenda,
)
from kapcompanion.core.ics import KIND_WORDS, agenda_events, to_ics
from kapcompanion.core.models import Client, DosingSession, SessionStatus, StoredDocument
from kapcompanion.core.schedule import MeasureSchedule
from kapcompanion.store.repos import Repos
from kapcompanion.ui.measure_records import current_course, due_for_client

log = logging.getLogger(__name__)

KIND = "course_plan"
OPEN = (AppointmentStatus.PLANNED, AppointmentStatus.MOVED)
DOC_WORDS = {
    "screening": "screening",
    "intake": "intake",
    "checklist": "preparation checklist",
    "integration": "integration entry",
    "measure": "outcome measure",
    "safety_plan": "safety plan",
    "course_plan": "course plan",
}


# ------------------------------------------------------------------ the plan document
def plan_document(repos: Repos, client_id: int) -> StoredDocument | None:
    docs = repos.documents.find(KIND, client_id=client_id)
    if not docs:
        return None
    course = current_course(repos, client_id)
    mine = [d for d in docs if course is not None and d.course_id == course.id]
    return (mine or docs)[-1]


def load_plan(doc: StoredDocument | None) -> list[PlannedAppointment]:
    if doc is None:
        return []
    found: list[PlannedAppointment] = []
    for raw in doc.data.get("appointments", []):
        try:
            found.append(serial.load(PlannedAppointment, raw))
        except (TypeError, ValueError, KeyError):
            log.warning("an appointment in course plan %s could not be read", doc.id)
    return sorted(found, key=lambda a: (a.when, a.kind))


def save_plan(
    repos: Repos,
    client_id: int,
    appointments: Iterable[PlannedAppointment],
    doc: StoredDocument | None = None,
) -> StoredDocument:
    """Store the plan (a new document for the current course, or an update of ``doc``)."""
    appts = sorted(appointments, key=lambda a: (a.when, a.kind))
    data = {"appointments": serial.to_jsonable(appts)}
    if doc is None:
        course = current_course(repos, client_id)
        doc = StoredDocument(
            kind=KIND, client_id=client_id, course_id=course.id if course else None, data=data
        )
    else:
        doc = replace(doc, data=data)
    return repos.documents.save(doc)


def next_appointment(
    appts: Iterable[PlannedAppointment], now: datetime | None = None
) -> PlannedAppointment | None:
    now = now or datetime.now().astimezone()
    upcoming = [a for a in appts if a.status in OPEN and a.ends > now]
    return min(upcoming, key=lambda a: a.when) if upcoming else None


def describe(appt: PlannedAppointment) -> str:
    """'Dosing session 3' / 'Booster session 1' / 'Outcome measures 2'."""
    what = KIND_WORDS[appt.kind].capitalize()
    return f"{what} {appt.number}" if appt.number is not None else what


def status_words(appt: PlannedAppointment) -> str:
    if appt.status is AppointmentStatus.MOVED and appt.moved_to is not None:
        return f"moved from {appt.planned_for.astimezone():%a %d %b %H:%M}"
    return appt.status.value


def summary(appts: list[PlannedAppointment]) -> str:
    """'6 dosing sessions: 2 done, 1 missed, 1 moved · 5 integration sessions: ...'."""
    parts: list[str] = []
    for kind in AppointmentKind:
        mine = [a for a in appts if a.kind is kind]
        if not mine:
            continue
        counts = [
            f"{sum(a.status is s for a in mine)} {s.value}"
            for s in AppointmentStatus
            if any(a.status is s for a in mine)
        ]
        word = KIND_WORDS[kind]
        noun = word + ("s" if len(mine) != 1 and not word.endswith("s") else "")
        parts.append(f"{len(mine)} {noun}: {', '.join(counts)}")
    return " · ".join(parts)


# ------------------------------------------------------------------ names leaving the vault
def calendar_label(client: Client, include_names: bool) -> str:
    """What a calendar may show: the pseudonym, or a number; the name only when asked."""
    if include_names and client.name:
        return client.name
    return client.pseudonym or f"Client {client.id}"


# ------------------------------------------------------------------ the agenda
@dataclass
class AgendaRow:
    when: datetime
    client_id: int
    client: str  # what the screen shows (pseudonym or name)
    what: str
    status: str
    ends: datetime | None = None


@dataclass
class AgendaData:
    start: date
    end: date  # inclusive
    rows: list[AgendaRow] = field(default_factory=list)
    #: (client id, shown name, what is due)
    measures_due: list[tuple[int, str, str]] = field(default_factory=list)
    #: (client id, shown name, what is not signed)
    unsigned: list[tuple[int, str, str]] = field(default_factory=list)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time.min).astimezone()
    hi = datetime.combine(end + timedelta(days=1), time.min).astimezone()
    return lo, hi


def collect_agenda(repos: Repos, schedule: MeasureSchedule, start: date, end: date) -> AgendaData:
    """Appointments, planned sessions, measures due and unsigned records of active clients."""
    data = AgendaData(start, end)
    lo, hi = _bounds(start, end)
    for client in repos.clients.search():
        assert client.id is not None
        cid, shown = client.id, client.display_name
        appts = load_plan(plan_document(repos, cid))
        planned_days = {
            a.when.astimezone().date() for a in appts if a.kind is AppointmentKind.DOSING
        }
        for item in agenda({str(cid): appts}, lo, hi):
            a = item.appointment
            data.rows.append(AgendaRow(a.when, cid, shown, describe(a), status_words(a), a.ends))
        sessions = repos.sessions.for_client(cid)
        for s in sessions:
            when = s.planned_for
            if s.status is not SessionStatus.PLANNED or when is None or not lo <= when < hi:
                continue
            if when.astimezone().date() in planned_days:
                continue  # the plan's dosing appointment already stands for it
            data.rows.append(AgendaRow(when, cid, shown, f"Dosing session {s.number}", "planned"))
        for group in due_for_client(repos, cid, schedule):
            if group.when is not None and not group.when < hi:
                continue  # due before a session after this window: not this week's work
            data.measures_due.append((cid, shown, f"{group.label}: {group.names()}"))
        unsigned = _unsigned_words(repos, cid, sessions)
        if unsigned:
            data.unsigned.append((cid, shown, unsigned))
    data.rows.sort(key=lambda r: (r.when, r.client))
    return data


def _unsigned_words(repos: Repos, client_id: int, sessions: list[DosingSession]) -> str:
    counts: dict[str, int] = {}
    for s in sessions:
        if s.status is SessionStatus.ENDED and s.signed_utc is None:
            counts["session record"] = counts.get("session record", 0) + 1
    for doc in repos.documents.unsigned(client_id):
        if doc.kind in ("measure", "course_plan"):
            continue  # scores and plans are not notes to sign
        word = DOC_WORDS.get(doc.kind, doc.kind.replace("_", " "))
        counts[word] = counts.get(word, 0) + 1
    return ", ".join(f"{n} {w}{'s' if n != 1 else ''}" for w, n in counts.items())


# ------------------------------------------------------------------ calendar export
@dataclass
class CalendarExport:
    text: str
    events: int
    clients: int


def calendar_export(
    repos: Repos,
    *,
    client_ids: Iterable[int] | None = None,
    include_names: bool = False,
    start: date | None = None,
    now: datetime | None = None,
) -> CalendarExport:
    """The open (planned or moved) appointments from ``start`` on, as iCalendar text."""
    start = start or date.today()
    ids = list(client_ids) if client_ids is not None else None
    clients = [c for c in repos.clients.search() if ids is None or c.id in ids]
    if ids is not None:  # an archived client's own plan can still be exported on purpose
        have = {c.id for c in clients}
        clients += [repos.clients.get(i) for i in ids if i not in have]
    plans: dict[str, list[PlannedAppointment]] = {}
    labels: dict[str, str] = {}
    for client in clients:
        assert client.id is not None
        key = f"client-{client.id}"
        plans[key] = [a for a in load_plan(plan_document(repos, client.id)) if a.status in OPEN]
        labels[key] = calendar_label(client, include_names)
    lo = datetime.combine(start, time.min).astimezone()
    items = agenda(plans, lo, lo + timedelta(days=3660))
    events = agenda_events(items, label=lambda key: labels[key])
    text = to_ics(events, now=now, calendar_name="KAP Companion appointments")
    return CalendarExport(text, len(events), len({i.client for i in items}))


def write_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename into place: the old file or the new, never half.

    ``newline=""`` keeps the CRLF line endings iCalendar requires.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def export_calendar(
    repos: Repos,
    path: Path,
    *,
    client_ids: Iterable[int] | None = None,
    include_names: bool = False,
    now: datetime | None = None,
) -> CalendarExport:
    """Write the .ics file atomically and audit the export (how many, names or not)."""
    ids = list(client_ids) if client_ids is not None else None
    result = calendar_export(repos, client_ids=ids, include_names=include_names, now=now)
    write_atomic(path, result.text)
    only = ids[0] if ids is not None and len(ids) == 1 else None
    repos.vault.audit(
        "export.ics",
        record_type="calendar",
        client_id=only,
        detail=(
            f"{result.events} appointment(s) of {result.clients} client(s); "
            f"names {'included' if include_names else 'not included (pseudonyms)'}"
        ),
    )
    return result
