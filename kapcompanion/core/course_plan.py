"""The course plan: dosing, integration, booster and measure appointments, and an agenda.

A typical course is 2-3 dosing sessions a week for 2-4 weeks (IV), or weekly to fortnightly
sessions, with integration between them and boosters weeks later. :func:`plan_course`
lays such a course out; the therapist then moves, completes, cancels or marks appointments
missed. Appointments are immutable: :func:`move`, :func:`cancel`, :func:`mark_done` and
:func:`mark_missed` return an updated copy, and a moved appointment keeps its original time
next to ``moved_to`` so the record shows what was planned and what happened. ``revision``
counts the changes a calendar must hear about (each move, a cancellation): it becomes the
event's SEQUENCE in an exported calendar (RFC 5545 3.8.7.4).

Times are timezone-aware. A naive ``time_of_day`` is read as local wall-clock time on each
day (so a 10:00 session stays at 10:00 across a daylight-saving change).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum


class AppointmentKind(StrEnum):
    DOSING = "dosing"
    INTEGRATION = "integration"
    BOOSTER = "booster"
    MEASURE = "measure"


class AppointmentStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"
    MOVED = "moved"
    CANCELLED = "cancelled"


DEFAULT_MINUTES: dict[AppointmentKind, int] = {
    AppointmentKind.DOSING: 120,
    AppointmentKind.INTEGRATION: 60,
    AppointmentKind.BOOSTER: 120,
    AppointmentKind.MEASURE: 20,
}

# Day offsets inside a week for n dosing sessions: spread out, weekdays first when the
# course starts on a Monday (2 -> Mon/Thu, 3 -> Mon/Wed/Fri, 4 -> Mon/Tue/Thu/Fri).
WEEK_PATTERNS: dict[int, tuple[int, ...]] = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 3, 4),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}


@dataclass(frozen=True)
class PlannedAppointment:
    kind: AppointmentKind
    planned_for: datetime
    status: AppointmentStatus = AppointmentStatus.PLANNED
    moved_to: datetime | None = None
    session_id: int | None = None
    note: str = ""
    duration_minutes: int = 60
    number: int | None = None  # the n-th appointment of its kind in the course
    revision: int = 0  # moves and cancellations so far: the calendar's SEQUENCE

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AppointmentKind(self.kind))
        object.__setattr__(self, "status", AppointmentStatus(self.status))
        if self.planned_for.tzinfo is None:
            raise ValueError("planned_for must be timezone-aware")
        if self.moved_to is not None and self.moved_to.tzinfo is None:
            raise ValueError("moved_to must be timezone-aware")
        if self.duration_minutes <= 0:
            raise ValueError("duration_minutes must be positive")
        if self.revision < 0:
            raise ValueError("revision cannot be negative")

    @property
    def when(self) -> datetime:
        """When it happens now: the new time if moved, else the planned time."""
        return self.moved_to or self.planned_for

    @property
    def ends(self) -> datetime:
        return self.when + timedelta(minutes=self.duration_minutes)


def _at(day: date, tod: time, tz: tzinfo | None) -> datetime:
    if tz is not None:
        return datetime.combine(day, tod.replace(tzinfo=None)).replace(tzinfo=tz)
    if tod.tzinfo is not None:
        return datetime.combine(day, tod)
    return datetime.combine(day, tod).astimezone()  # local rules for that date


def plan_course(
    start: date,
    dosing_per_week: int,
    weeks: int,
    integration_between: bool = True,
    time_of_day: time = time(10, 0),
    boosters: Sequence[int] = (),
    *,
    every_weeks: int = 1,
    tz: tzinfo | None = None,
    integration_time: time | None = None,
    measure_visits: bool = False,
) -> list[PlannedAppointment]:
    """Lay out a course, sorted by time.

    ``start`` is the first dosing day; sessions in a week follow :data:`WEEK_PATTERNS`
    (twice a week from a Monday gives Monday and Thursday). ``every_weeks=2`` makes the
    course fortnightly. With ``integration_between`` an integration session is planned the
    day after each dosing, except when that day is itself a dosing day (4+ doses a week),
    where the next session's preparation carries it. ``boosters`` are weeks after the last
    dosing day. ``measure_visits`` adds a baseline measure visit 30 minutes before the first
    dose and an end-of-course visit one week after the last dose.
    """
    if dosing_per_week not in WEEK_PATTERNS:
        raise ValueError("dosing_per_week must be from 1 to 7")
    if weeks < 1 or every_weeks < 1:
        raise ValueError("weeks and every_weeks must be at least 1")
    if any(w < 1 for w in boosters):
        raise ValueError("boosters are whole weeks after the course, 1 or more")
    dosing_days = [
        start + timedelta(days=7 * week * every_weeks + offset)
        for week in range(weeks)
        for offset in WEEK_PATTERNS[dosing_per_week]
    ]
    plan = [
        PlannedAppointment(
            AppointmentKind.DOSING,
            _at(day, time_of_day, tz),
            duration_minutes=DEFAULT_MINUTES[AppointmentKind.DOSING],
            number=i,
        )
        for i, day in enumerate(dosing_days, 1)
    ]
    if integration_between:
        busy = set(dosing_days)
        days = [d + timedelta(days=1) for d in dosing_days if d + timedelta(days=1) not in busy]
        plan += [
            PlannedAppointment(
                AppointmentKind.INTEGRATION,
                _at(day, integration_time or time_of_day, tz),
                duration_minutes=DEFAULT_MINUTES[AppointmentKind.INTEGRATION],
                number=i,
            )
            for i, day in enumerate(days, 1)
        ]
    last = dosing_days[-1]
    plan += [
        PlannedAppointment(
            AppointmentKind.BOOSTER,
            _at(last + timedelta(weeks=w), time_of_day, tz),
            duration_minutes=DEFAULT_MINUTES[AppointmentKind.BOOSTER],
            number=i,
        )
        for i, w in enumerate(sorted(boosters), 1)
    ]
    if measure_visits:
        minutes = DEFAULT_MINUTES[AppointmentKind.MEASURE]
        first = plan[0].planned_for - timedelta(minutes=30)
        end = _at(last + timedelta(weeks=1), time_of_day, tz)
        plan += [
            PlannedAppointment(AppointmentKind.MEASURE, first, duration_minutes=minutes, number=1),
            PlannedAppointment(AppointmentKind.MEASURE, end, duration_minutes=minutes, number=2),
        ]
    return sorted(plan, key=lambda a: (a.when, a.kind))


_OPEN = (AppointmentStatus.PLANNED, AppointmentStatus.MOVED)


def _require_open(appt: PlannedAppointment, action: str) -> None:
    if appt.status not in _OPEN:
        raise ValueError(f"cannot {action} an appointment that is already {appt.status.value}")


def move(
    appt: PlannedAppointment, new_time: datetime, note: str | None = None
) -> PlannedAppointment:
    """A copy moved to ``new_time`` (original time kept in ``planned_for``)."""
    _require_open(appt, "move")
    if new_time.tzinfo is None:
        raise ValueError("new_time must be timezone-aware")
    return dataclasses.replace(
        appt,
        status=AppointmentStatus.MOVED,
        moved_to=new_time,
        note=appt.note if note is None else note,
        revision=appt.revision + 1,
    )


def cancel(appt: PlannedAppointment, note: str | None = None) -> PlannedAppointment:
    """A copy marked cancelled: it stays on record, and a calendar export cancels the event."""
    _require_open(appt, "cancel")
    return dataclasses.replace(
        appt,
        status=AppointmentStatus.CANCELLED,
        note=appt.note if note is None else note,
        revision=appt.revision + 1,
    )


def mark_done(
    appt: PlannedAppointment, session_id: int | None = None, note: str | None = None
) -> PlannedAppointment:
    """A copy marked done, linked to the session record when there is one."""
    _require_open(appt, "complete")
    return dataclasses.replace(
        appt,
        status=AppointmentStatus.DONE,
        session_id=appt.session_id if session_id is None else session_id,
        note=appt.note if note is None else note,
    )


def mark_missed(appt: PlannedAppointment, note: str | None = None) -> PlannedAppointment:
    """A copy marked missed. To reschedule, plan a new appointment; the miss stays on record."""
    _require_open(appt, "mark missed")
    return dataclasses.replace(
        appt, status=AppointmentStatus.MISSED, note=appt.note if note is None else note
    )


@dataclass(frozen=True)
class AgendaItem:
    client: str  # the key given to agenda(): a pseudonym or a client id as text
    appointment: PlannedAppointment

    @property
    def when(self) -> datetime:
        return self.appointment.when


def _bound(value: date | datetime, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.astimezone()
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time.min).astimezone()


def agenda(
    appointments_by_client: Mapping[str, Iterable[PlannedAppointment]],
    start: date | datetime,
    end: date | datetime,
) -> list[AgendaItem]:
    """Appointments of every client happening in ``[start, end)``, sorted by time.

    A ``date`` end includes that whole day (local time). Moved appointments appear at
    their new time; done and missed ones stay listed with their status.
    """
    lo, hi = _bound(start, end=False), _bound(end, end=True)
    items = [
        AgendaItem(client, appt)
        for client, appts in appointments_by_client.items()
        for appt in appts
        if lo <= appt.when < hi
    ]
    return sorted(items, key=lambda i: (i.when, i.client, i.appointment.kind))
