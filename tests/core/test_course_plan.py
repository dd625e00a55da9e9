"""Course plan generation, status changes and the multi-client agenda."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kapcompanion.core import serial
from kapcompanion.core.course_plan import (
    AppointmentKind,
    AppointmentStatus,
    PlannedAppointment,
    agenda,
    mark_done,
    mark_missed,
    move,
    plan_course,
)

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2025, 3, 3)
D = AppointmentKind.DOSING
INTEG = AppointmentKind.INTEGRATION
B = AppointmentKind.BOOSTER
M = AppointmentKind.MEASURE


def kinds_on(plan: list[PlannedAppointment], kind: AppointmentKind) -> list[str]:
    return [a.planned_for.strftime("%a %d") for a in plan if a.kind is kind]


def test_twice_a_week_for_three_weeks_mon_thu_with_integration_next_day() -> None:
    plan = plan_course(MONDAY, 2, 3, True, time(10, 0), tz=BERLIN)
    assert kinds_on(plan, D) == ["Mon 03", "Thu 06", "Mon 10", "Thu 13", "Mon 17", "Thu 20"]
    assert kinds_on(plan, INTEG) == ["Tue 04", "Fri 07", "Tue 11", "Fri 14", "Tue 18", "Fri 21"]
    assert [a.number for a in plan if a.kind is D] == [1, 2, 3, 4, 5, 6]
    assert plan == sorted(plan, key=lambda a: a.when)
    first = plan[0]
    assert first.planned_for == datetime(2025, 3, 3, 10, 0, tzinfo=BERLIN)
    assert first.status is AppointmentStatus.PLANNED and first.duration_minutes == 120


def test_three_a_week_is_mon_wed_fri_and_boosters_follow_the_last_dose() -> None:
    plan = plan_course(MONDAY, 3, 2, False, time(9, 0), [4, 12], tz=BERLIN)
    assert kinds_on(plan, D) == ["Mon 03", "Wed 05", "Fri 07", "Mon 10", "Wed 12", "Fri 14"]
    assert kinds_on(plan, INTEG) == []
    boosters = [a.planned_for.date() for a in plan if a.kind is B]
    assert boosters == [date(2025, 4, 11), date(2025, 6, 6)]  # 4 and 12 weeks after 14 Mar


def test_four_a_week_skips_integration_on_a_dosing_day() -> None:
    plan = plan_course(MONDAY, 4, 1, True, time(10, 0), tz=BERLIN)
    assert kinds_on(plan, D) == ["Mon 03", "Tue 04", "Thu 06", "Fri 07"]
    assert kinds_on(plan, INTEG) == ["Wed 05", "Sat 08"]


def test_fortnightly_course_and_measure_visits() -> None:
    plan = plan_course(MONDAY, 1, 3, True, time(14, 0), every_weeks=2, tz=BERLIN,
                       integration_time=time(16, 30), measure_visits=True)  # fmt: skip
    assert [a.planned_for.date() for a in plan if a.kind is D] == [
        date(2025, 3, 3),
        date(2025, 3, 17),
        date(2025, 3, 31),
    ]
    integ = [a.planned_for for a in plan if a.kind is INTEG]
    assert integ[0] == datetime(2025, 3, 4, 16, 30, tzinfo=BERLIN)
    measures = [a.planned_for for a in plan if a.kind is M]
    assert measures == [
        datetime(2025, 3, 3, 13, 30, tzinfo=BERLIN),
        datetime(2025, 4, 7, 14, 0, tzinfo=BERLIN),
    ]
    assert plan[0].kind is M  # the baseline visit comes before the first dose


def test_wall_clock_time_holds_across_daylight_saving() -> None:
    # Europe/Berlin moves to summer time on 30 March 2025.
    plan = plan_course(MONDAY, 1, 6, False, time(10, 0), tz=BERLIN)
    offsets = {a.planned_for.utcoffset() for a in plan}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}
    assert {a.planned_for.astimezone(BERLIN).hour for a in plan} == {10}


def test_naive_time_is_local_and_aware_time_is_kept() -> None:
    local = plan_course(MONDAY, 1, 1, False, time(10, 0))
    assert local[0].planned_for.tzinfo is not None
    assert local[0].planned_for.replace(tzinfo=None) == datetime(2025, 3, 3, 10, 0)
    utc = plan_course(MONDAY, 1, 1, False, time(8, 0, tzinfo=UTC))
    assert utc[0].planned_for == datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "message"),
    [((0, 2), "dosing_per_week"), ((8, 2), "dosing_per_week"), ((2, 0), "weeks")],
)
def test_plan_arguments_are_checked(args: tuple[int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_course(MONDAY, *args)
    with pytest.raises(ValueError, match="boosters"):
        plan_course(MONDAY, 1, 1, boosters=[0])


def test_move_done_missed() -> None:
    appt = plan_course(MONDAY, 1, 1, False, tz=BERLIN)[0]
    later = datetime(2025, 3, 5, 11, 0, tzinfo=BERLIN)
    moved = move(appt, later, note="client asked")
    assert moved.status is AppointmentStatus.MOVED and moved.when == later
    assert moved.planned_for == appt.planned_for  # the original plan stays on record
    assert moved.ends == later + timedelta(minutes=120)
    assert appt.status is AppointmentStatus.PLANNED  # the original is untouched

    done = mark_done(moved, session_id=42)
    assert (done.status, done.session_id, done.when, done.note) == (
        AppointmentStatus.DONE,
        42,
        later,
        "client asked",
    )
    missed = mark_missed(appt, note="no-show")
    assert missed.status is AppointmentStatus.MISSED and missed.note == "no-show"
    for closed in (done, missed):
        with pytest.raises(ValueError, match="already"):
            move(closed, later)
        with pytest.raises(ValueError, match="already"):
            mark_done(closed)
        with pytest.raises(ValueError, match="already"):
            mark_missed(closed)
    with pytest.raises(ValueError, match="timezone"):
        move(appt, datetime(2025, 3, 5, 11, 0))


def test_appointment_round_trips_and_needs_aware_times() -> None:
    appt = move(plan_course(MONDAY, 2, 1, tz=BERLIN)[0], datetime(2025, 3, 4, 9, tzinfo=UTC))
    back = serial.load(PlannedAppointment, serial.to_jsonable(appt))
    assert back == appt and back.kind is D and back.status is AppointmentStatus.MOVED
    with pytest.raises(ValueError, match="timezone"):
        PlannedAppointment(D, datetime(2025, 3, 3, 10, 0))


def test_agenda_merges_clients_in_time_order() -> None:
    a = plan_course(MONDAY, 2, 2, True, time(10, 0), tz=BERLIN)
    b = plan_course(date(2025, 3, 4), 1, 2, False, time(9, 0), tz=BERLIN)
    b[0] = move(b[0], datetime(2025, 3, 20, 9, 0, tzinfo=BERLIN))  # moved out of the window
    a[0] = mark_done(a[0], session_id=1)
    items = agenda({"Client A": a, "Client B": b}, date(2025, 3, 3), date(2025, 3, 11))
    got = [(i.when.strftime("%d %H"), i.client, i.appointment.kind.value) for i in items]
    assert got == [
        ("03 10", "Client A", "dosing"),
        ("04 10", "Client A", "integration"),
        ("06 10", "Client A", "dosing"),
        ("07 10", "Client A", "integration"),
        ("10 10", "Client A", "dosing"),
        ("11 09", "Client B", "dosing"),
        ("11 10", "Client A", "integration"),
    ]
    assert items[0].appointment.status is AppointmentStatus.DONE
    # datetime bounds are half-open: [start, end)
    start = datetime(2025, 3, 6, 10, 0, tzinfo=BERLIN)
    narrow = agenda({"A": a}, start, start + timedelta(days=1))
    assert [i.when for i in narrow] == [start]
