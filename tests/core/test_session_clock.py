"""The session clock with injected clocks: anchoring, wall-clock jumps, DST, restarts,
phase boundaries, advance and extend, and the phases file."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcompanion.core import serial
from kapcompanion.core.clock import (
    ChangeKind,
    PhaseChange,
    PhaseKind,
    PhaseSpan,
    PhaseStatus,
    PlannedPhase,
    SessionClock,
    default_phases,
    format_offset,
    load_phase_table,
    phase_at,
    timeline,
)
from kapcompanion.core.dose import Route

START = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
DOSE = START + timedelta(minutes=15)
PHASES = [
    PlannedPhase(PhaseKind.ARRIVAL, 15),
    PlannedPhase(PhaseKind.ONSET, 10),
    PlannedPhase(PhaseKind.PEAK, 30),
    PlannedPhase(PhaseKind.RETURN, 20),
    PlannedPhase(PhaseKind.DEBRIEF, 20),
]


class FakeTime:
    """A wall clock and a monotonic clock that the test moves independently."""

    def __init__(self, wall: datetime, mono: float = 1000.0) -> None:
        self.wall = wall
        self.mono = mono

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


def make_clock(t: FakeTime, dose: datetime | None = DOSE) -> SessionClock:
    return SessionClock(dose, START, now_utc=t.now, monotonic=t.monotonic)


def test_elapsed_follows_the_monotonic_clock() -> None:
    t = FakeTime(DOSE + timedelta(minutes=5))
    clock = make_clock(t)
    assert clock.elapsed_s() == 300.0
    t.advance(65.5)
    assert clock.elapsed_s() == 365.5
    assert clock.now() == DOSE + timedelta(seconds=365.5)


def test_wall_clock_jump_does_not_change_elapsed() -> None:
    t = FakeTime(DOSE + timedelta(minutes=5))
    clock = make_clock(t)
    t.advance(60)
    t.wall += timedelta(hours=1)  # NTP or the user moves the wall clock
    assert clock.elapsed_s() == 360.0
    t.wall -= timedelta(hours=3)
    assert clock.elapsed_s() == 360.0


def test_dst_change_does_not_change_elapsed() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 30 March 2025: clocks in Berlin jump from 02:00 CET to 03:00 CEST.
    dose_local = datetime(2025, 3, 30, 1, 50, tzinfo=berlin)
    t = FakeTime(datetime(2025, 3, 30, 1, 55, tzinfo=berlin))
    clock = SessionClock(dose_local, dose_local, now_utc=t.now, monotonic=t.monotonic)
    assert clock.elapsed_s() == 300.0
    t.mono += 600  # ten real minutes later the local wall clock reads 03:05
    t.wall = datetime(2025, 3, 30, 3, 5, tzinfo=berlin)
    assert clock.elapsed_s() == 900.0
    # A new instance after the change recomputes from UTC: 15 minutes, not 75.
    restarted = SessionClock(dose_local, dose_local, now_utc=t.now, monotonic=t.monotonic)
    assert restarted.elapsed_s() == 900.0
    assert restarted.now().tzinfo is UTC


def test_restart_after_hours_recomputes_from_utc() -> None:
    t = FakeTime(DOSE + timedelta(minutes=10), mono=50.0)
    make_clock(t)
    # The app crashes; the machine reboots (monotonic restarts near zero) hours later.
    later = FakeTime(DOSE + timedelta(hours=3, minutes=2, seconds=7), mono=3.0)
    clock = make_clock(later)
    assert clock.elapsed_s() == 3 * 3600 + 127
    later.mono += 10
    assert clock.elapsed_s() == 3 * 3600 + 137
    assert format_offset(clock.elapsed_s() or 0) == "+3:02:17"


def test_before_the_dose() -> None:
    t = FakeTime(START + timedelta(minutes=11))
    clock = make_clock(t, dose=None)
    assert clock.elapsed_s() is None and not clock.dosed
    assert clock.since_start_s() == 660.0
    assert clock.offset_s(PHASES) == -240.0
    assert clock.status(PHASES) == PhaseStatus(PhaseKind.ARRIVAL, 240.0, PhaseKind.ONSET)
    t.advance(600)  # arrival overruns: still arrival until the dose is given
    assert clock.status(PHASES) == PhaseStatus(PhaseKind.ARRIVAL, 0.0, PhaseKind.ONSET)
    given_at = clock.mark_dose()
    assert given_at == START + timedelta(minutes=21)
    t.advance(30)
    assert clock.elapsed_s() == 30.0
    assert clock.status(PHASES).current is PhaseKind.ONSET


def test_naive_times_are_refused() -> None:
    t = FakeTime(START)
    with pytest.raises(ValueError, match="time zone"):
        SessionClock(datetime(2025, 3, 4, 9, 15), START, now_utc=t.now, monotonic=t.monotonic)
    naive_now = FakeTime(datetime(2025, 3, 4, 9, 15))
    with pytest.raises(ValueError, match="current time"):
        SessionClock(DOSE, START, now_utc=naive_now.now, monotonic=naive_now.monotonic)


def test_planned_timeline() -> None:
    assert timeline(PHASES, []) == [
        PhaseSpan(PhaseKind.ARRIVAL, -900.0, 0.0),
        PhaseSpan(PhaseKind.ONSET, 0.0, 600.0),
        PhaseSpan(PhaseKind.PEAK, 600.0, 2400.0),
        PhaseSpan(PhaseKind.RETURN, 2400.0, 3600.0),
        PhaseSpan(PhaseKind.DEBRIEF, 3600.0, 4800.0),
    ]


@pytest.mark.parametrize(
    ("offset", "current", "remaining", "following"),
    [
        (-900.0, PhaseKind.ARRIVAL, 900.0, PhaseKind.ONSET),
        (-0.5, PhaseKind.ARRIVAL, 0.5, PhaseKind.ONSET),
        (0.0, PhaseKind.ONSET, 600.0, PhaseKind.PEAK),
        (599.0, PhaseKind.ONSET, 1.0, PhaseKind.PEAK),
        (600.0, PhaseKind.PEAK, 1800.0, PhaseKind.RETURN),
        (2400.0, PhaseKind.RETURN, 1200.0, PhaseKind.DEBRIEF),
        (4799.0, PhaseKind.DEBRIEF, 1.0, None),
        (4800.0, None, 0.0, None),
    ],
)
def test_phase_boundaries(
    offset: float, current: PhaseKind | None, remaining: float, following: PhaseKind | None
) -> None:
    assert phase_at(offset, PHASES, []) == PhaseStatus(current, remaining, following)


def test_extend_adds_minutes_to_the_current_phase() -> None:
    changes = [PhaseChange(ChangeKind.EXTEND, 1000.0, 10)]
    spans = timeline(PHASES, changes)
    assert spans[2] == PhaseSpan(PhaseKind.PEAK, 600.0, 3000.0)
    assert spans[3] == PhaseSpan(PhaseKind.RETURN, 3000.0, 4200.0)
    assert phase_at(2500.0, PHASES, changes) == PhaseStatus(PhaseKind.PEAK, 500.0, PhaseKind.RETURN)


def test_advance_ends_the_current_phase_now() -> None:
    changes = [PhaseChange(ChangeKind.ADVANCE, 1500.0)]
    spans = timeline(PHASES, changes)
    assert spans[2] == PhaseSpan(PhaseKind.PEAK, 600.0, 1500.0)
    assert spans[3] == PhaseSpan(PhaseKind.RETURN, 1500.0, 2700.0)
    assert phase_at(1500.0, PHASES, changes).current is PhaseKind.RETURN


def test_changes_replay_in_time_order() -> None:
    changes = [
        PhaseChange(ChangeKind.ADVANCE, 2000.0),  # in the extended peak
        PhaseChange(ChangeKind.EXTEND, 300.0, 5),  # onset 0-900
    ]
    spans = timeline(PHASES, changes)
    assert spans[1] == PhaseSpan(PhaseKind.ONSET, 0.0, 900.0)
    assert spans[2] == PhaseSpan(PhaseKind.PEAK, 900.0, 2000.0)
    assert spans[-1].end_s == 2000.0 + 1200 + 1200


def test_advance_at_the_start_of_a_phase_skips_it() -> None:
    changes = [PhaseChange(ChangeKind.ADVANCE, 600.0)]
    status = phase_at(600.0, PHASES, changes)
    assert status == PhaseStatus(PhaseKind.RETURN, 1200.0, PhaseKind.DEBRIEF)
    assert phase_at(599.0, PHASES, changes).next is PhaseKind.RETURN


def test_extend_after_the_end_and_ignored_changes() -> None:
    changes = [PhaseChange(ChangeKind.EXTEND, 5000.0, 10)]
    assert timeline(PHASES, changes)[-1] == PhaseSpan(PhaseKind.DEBRIEF, 3600.0, 5600.0)
    assert phase_at(5000.0, PHASES, changes) == PhaseStatus(PhaseKind.DEBRIEF, 600.0, None)
    ignored = [PhaseChange(ChangeKind.ADVANCE, 6000.0), PhaseChange(ChangeKind.EXTEND, -60, 5)]
    assert timeline(PHASES, ignored) == timeline(PHASES, [])
    with pytest.raises(ValueError, match="more than 0 minutes"):
        timeline(PHASES, [PhaseChange(ChangeKind.EXTEND, 100.0, 0)])


def test_phases_without_arrival() -> None:
    phases = PHASES[1:]
    assert timeline(phases, [])[0].kind is PhaseKind.ONSET
    assert phase_at(-60.0, phases) == PhaseStatus(None, 60.0, PhaseKind.ONSET)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "+0:00:00"),
        (3909, "+1:05:09"),
        (-240, "-0:04:00"),
        (59.99, "+0:00:59"),
        (-0.4, "+0:00:00"),
        (36000, "+10:00:00"),
    ],
)
def test_format_offset(seconds: float, text: str) -> None:
    assert format_offset(seconds) == text


def test_format_offset_refuses_nan() -> None:
    with pytest.raises(ValueError, match="finite"):
        format_offset(float("nan"))


def test_bundled_phases_for_every_route() -> None:
    table = load_phase_table()
    assert set(table) == set(Route)
    for phases in table.values():
        assert [p.kind for p in phases] == list(PhaseKind)
        assert all(p.minutes > 0 for p in phases)
    assert default_phases(Route.IV) == PHASES


def test_clinic_copy_overrides_per_route(tmp_path: Path) -> None:
    copy = tmp_path / "phases.json"
    copy.write_text(
        json.dumps({"routes": {"im": [{"kind": "onset", "minutes": 3}]}}), encoding="utf-8"
    )
    assert default_phases(Route.IM, copy) == [PlannedPhase(PhaseKind.ONSET, 3)]
    assert default_phases(Route.IV, copy) == PHASES  # not in the copy: bundled
    assert default_phases(Route.IV, tmp_path / "missing.json") == PHASES


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ({"iv": [{"kind": "plateau", "minutes": 3}]}, "needs a kind"),
        ({"iv": [{"kind": "onset", "minutes": 0}]}, "more than 0 minutes"),
        ({"iv": [{"kind": "onset", "minutes": 5}, {"kind": "arrival", "minutes": 5}]}, "first"),
        ({"rectal": [{"kind": "onset", "minutes": 5}]}, "unknown route"),
        ({"iv": []}, "non-empty"),
    ],
)
def test_bad_phase_files(tmp_path: Path, routes: object, message: str) -> None:
    path = tmp_path / "phases.json"
    path.write_text(json.dumps({"routes": routes}), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_phase_table(path)


changes_strategy = st.lists(
    st.builds(
        PhaseChange,
        st.sampled_from(list(ChangeKind)),
        st.floats(min_value=0, max_value=20000, allow_nan=False),
        st.floats(min_value=0.5, max_value=60, allow_nan=False),
    ),
    max_size=6,
)


@given(changes=changes_strategy, offset=st.floats(min_value=0, max_value=30000))
def test_timeline_stays_contiguous(changes: list[PhaseChange], offset: float) -> None:
    spans = timeline(PHASES, changes)
    after = spans[1:]
    assert after[0].start_s == 0.0
    for left, right in itertools.pairwise(after):
        assert left.end_s == right.start_s
        assert left.end_s >= left.start_s
    status = phase_at(offset, PHASES, changes)
    assert status.remaining_s >= 0
    if status.current is not None:
        assert offset < after[-1].end_s


@given(changes=changes_strategy)
def test_phase_changes_round_trip(changes: list[PhaseChange]) -> None:
    data = [serial.to_jsonable(c) for c in changes]
    assert [serial.load(PhaseChange, d) for d in data] == changes
