"""Course-plan appointments to an iCalendar (.ics) file: gather, write atomically, audit.

No Qt here: the calendar dialog, ``kapcompanion export calendar`` and the tests call the same
functions. A calendar leaves the vault (it goes to a phone or a shared calendar), so events
carry only the client's pseudonym (or "Client 12") unless names are asked for; notes are never
exported. Open appointments (planned or moved) are exported from today on, and so are the
cancelled ones, with ``STATUS:CANCELLED``, so a calendar that imported them earlier removes
them. A course plan is a ``course_plan`` document ``{"appointments": [PlannedAppointment,
...]}``; the latest one of the client's current course is "the plan".
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from kapcompanion.core import serial
from kapcompanion.core.course_plan import AppointmentStatus, PlannedAppointment, agenda
from kapcompanion.core.ics import agenda_events, to_ics
from kapcompanion.core.models import Client, Course, CourseStatus, StoredDocument
from kapcompanion.fileio import atomic_write_text
from kapcompanion.store.repos import Repos

log = logging.getLogger(__name__)

PLAN_KIND = "course_plan"
OPEN = (AppointmentStatus.PLANNED, AppointmentStatus.MOVED)
#: what a calendar file carries: the open appointments and the cancelled ones (to cancel them)
EXPORTED = (*OPEN, AppointmentStatus.CANCELLED)
CALENDAR_NAME = "KAP Companion appointments"


# ------------------------------------------------------------------ the plan document
def _current_course(repos: Repos, client_id: int) -> Course | None:
    courses = repos.courses.for_client(client_id)
    active = [c for c in courses if c.status is CourseStatus.ACTIVE]
    chosen = active or courses
    return chosen[-1] if chosen else None


def plan_document(repos: Repos, client_id: int) -> StoredDocument | None:
    """The plan: the latest course-plan document of the client's current course."""
    docs = repos.documents.find(PLAN_KIND, client_id=client_id)
    if not docs:
        return None
    course = _current_course(repos, client_id)
    mine = [d for d in docs if course is not None and d.course_id == course.id]
    return (mine or docs)[-1]


def load_plan(doc: StoredDocument | None) -> list[PlannedAppointment]:
    """The plan's appointments by time; one that cannot be read is left out and logged."""
    if doc is None:
        return []
    found: list[PlannedAppointment] = []
    for raw in doc.data.get("appointments", []):
        try:
            found.append(serial.load(PlannedAppointment, raw))
        except (TypeError, ValueError, KeyError):
            log.warning("an appointment in course plan %s could not be read", doc.id)
    return sorted(found, key=lambda a: (a.when, a.kind))


# ------------------------------------------------------------------ names leaving the vault
def calendar_label(client: Client, include_names: bool) -> str:
    """What a calendar may show: the pseudonym, or a number; the name only when asked."""
    if include_names and client.name:
        return client.name
    return client.pseudonym or f"Client {client.id}"


# ------------------------------------------------------------------ the export
@dataclass
class CalendarExport:
    text: str
    events: int  # open appointments (what the calendar will show)
    clients: int
    cancelled: int = 0  # cancellations sent along (what the calendar will remove)


def calendar_export(
    repos: Repos,
    *,
    client_ids: Iterable[int] | None = None,
    include_names: bool = False,
    start: date | None = None,
    now: datetime | None = None,
) -> CalendarExport:
    """The open and cancelled appointments from ``start`` on, as iCalendar text."""
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
        appts = load_plan(plan_document(repos, client.id))
        plans[key] = [a for a in appts if a.status in EXPORTED]
        labels[key] = calendar_label(client, include_names)
    lo = datetime.combine(start, time.min).astimezone()
    items = agenda(plans, lo, lo + timedelta(days=3660))
    events = agenda_events(items, label=lambda key: labels[key])
    text = to_ics(events, now=now, calendar_name=CALENDAR_NAME)
    live = [i for i in items if i.appointment.status in OPEN]
    return CalendarExport(
        text,
        events=len(live),
        clients=len({i.client for i in live}),
        cancelled=len(items) - len(live),
    )


def export_calendar(
    repos: Repos,
    path: str | Path,
    *,
    client_ids: Iterable[int] | None = None,
    include_names: bool = False,
    now: datetime | None = None,
) -> CalendarExport:
    """Write the .ics file atomically, then audit the export (how many, names or not).

    If the audit row cannot be written the new file is removed again: no calendar leaves
    the vault that the audit trail does not know about. ``OSError`` and the vault's errors
    propagate for the caller to word.
    """
    ids = list(client_ids) if client_ids is not None else None
    result = calendar_export(repos, client_ids=ids, include_names=include_names, now=now)
    target = atomic_write_text(path, result.text)
    only = ids[0] if ids is not None and len(ids) == 1 else None
    cancelled = f", {result.cancelled} cancellation(s)" if result.cancelled else ""
    try:
        repos.vault.audit(
            "export.ics",
            record_type="calendar",
            client_id=only,
            detail=(
                f"{result.events} appointment(s) of {result.clients} client(s){cancelled}; "
                f"names {'included' if include_names else 'not included (pseudonyms)'}"
            ),
        )
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    return result
