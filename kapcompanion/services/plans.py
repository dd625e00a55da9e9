"""Course plans in the vault and the cross-client agenda (saving a plan: :func:`save_plan`).

Reading the plan and the calendar (.ics) export live in ``kapcompanion.export.calendar``
(the readers are re-exported here for the screens). No Qt here: the agenda is gathered off
the GUI thread (it reads every active client), and the rules are tested without a display.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from kapcompanion.core import serial, wording
from kapcompanion.core.course_plan import (
    AppointmentKind,
    AppointmentStatus,
    PlannedAppointment,
    agenda,
)
from kapcompanion.core.ics import KIND_WORDS
from kapcompanion.core.models import DosingSession, SessionStatus, StoredDocument
from kapcompanion.core.schedule import MeasureSchedule
from kapcompanion.export.calendar import OPEN as OPEN
from kapcompanion.export.calendar import load_plan as load_plan
from kapcompanion.export.calendar import plan_document as plan_document
from kapcompanion.services.measures import current_course, due_for_client
from kapcompanion.services.rems import rems_due
from kapcompanion.store.repos import Repos

log = logging.getLogger(__name__)

KIND = "course_plan"
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
    appts: Iterable[PlannedAppointment],
    now: datetime | None = None,
    sessions: Iterable[DosingSession] = (),
) -> PlannedAppointment | None:
    """The first open appointment not over yet. A dosing appointment whose session already
    ran (started, dosed or ended; matched by its session, else by its number) is not next,
    even while the plan still says planned."""
    now = now or datetime.now().astimezone()
    ran = [s for s in sessions if s.status is not SessionStatus.PLANNED]
    ran_ids = {s.id for s in ran}
    ran_numbers = {s.number for s in ran}

    def already_ran(a: PlannedAppointment) -> bool:
        if a.kind is not AppointmentKind.DOSING:
            return False
        if a.session_id is not None:
            return a.session_id in ran_ids
        return a.number is not None and a.number in ran_numbers

    upcoming = [a for a in appts if a.status in OPEN and a.ends > now and not already_ran(a)]
    return min(upcoming, key=lambda a: a.when) if upcoming else None


def describe(appt: PlannedAppointment) -> str:
    """'Dosing session 3' / 'Booster session 1' / 'Outcome measures 2'."""
    what = KIND_WORDS[appt.kind].capitalize()
    return f"{what} {appt.number}" if appt.number is not None else what


def status_words(appt: PlannedAppointment) -> str:
    if appt.status is AppointmentStatus.MOVED and appt.moved_to is not None:
        return f"moved from {wording.appointment(appt.planned_for.astimezone())}"
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


# ------------------------------------------------------------------ the agenda
@dataclass
class AgendaRow:
    when: datetime
    client_id: int
    client: str  # what the screen shows (pseudonym or name)
    what: str
    status: str
    ends: datetime | None = None
    all_day: bool = False  # a deadline (the REMS form), not an appointment


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
        # esketamine: the REMS Patient Monitoring Form within 7 days (issue 16); overdue ones
        # stay on the first day until they are marked submitted
        for due in rems_due(repos, cid):
            if due.due_on > end:
                continue
            day = max(due.due_on, start)
            at = datetime.combine(day, time.min).astimezone()
            status = "overdue" if due.due_on < date.today() else "to submit"
            data.rows.append(
                AgendaRow(at, cid, shown, due.words(date.today()), status, all_day=True)
            )
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
