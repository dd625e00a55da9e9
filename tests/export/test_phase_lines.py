"""The record's "Phases" table follows the session to its real end, not to the plan's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kapcompanion.core.clock import ChangeKind, PhaseChange, PhaseKind, PlannedPhase
from kapcompanion.core.models import DosingSession, SessionStatus
from kapcompanion.export.timeline import PhaseLine, phase_lines

DOSE = datetime(2026, 5, 4, 9, 15, tzinfo=UTC)
PLAN = [
    PlannedPhase(PhaseKind.ARRIVAL, 15),
    PlannedPhase(PhaseKind.ONSET, 10),
    PlannedPhase(PhaseKind.PEAK, 40),
    PlannedPhase(PhaseKind.RETURN, 30),
    PlannedPhase(PhaseKind.DEBRIEF, 20),
]  # 100 minutes from the dose


def _ended_after(minutes: float) -> DosingSession:
    return DosingSession(
        client_id=1,
        status=SessionStatus.ENDED,
        started_utc=DOSE - timedelta(minutes=15),
        dose_utc=DOSE,
        ended_utc=DOSE + timedelta(minutes=minutes),
    )


def _spans(lines: list[PhaseLine]) -> dict[str, tuple[float | None, float | None, list[str]]]:
    return {ln.kind: (ln.start_s, ln.end_s, ln.changes) for ln in lines}


def test_a_session_ended_in_the_peak_did_not_reach_the_later_phases() -> None:
    spans = _spans(phase_lines(PLAN, [], [], _ended_after(35)))
    assert spans["arrival"][:2] == (-900.0, 0.0)
    assert spans["onset"][:2] == (0.0, 600.0) and spans["onset"][2] == []
    assert spans["peak"][:2] == (600.0, 2100.0)
    assert spans["peak"][2] == ["cut short: the session ended at +0:35:00"]
    for later in ("return", "debrief"):
        assert spans[later] == (None, None, ["not reached: the session ended before it"])


def test_a_session_that_went_on_past_the_plan_ran_its_last_phase_to_the_end() -> None:
    changes = [PhaseChange(ChangeKind.EXTEND, 20 * 60, 10)]  # peak extended by 10 min
    spans = _spans(phase_lines(PLAN, changes, [], _ended_after(125)))
    assert spans["peak"][:2] == (600.0, 3600.0)
    assert spans["peak"][2] == ["extended by 10 min at +0:20:00"]
    assert spans["debrief"][:2] == (5400.0, 7500.0)
    assert spans["debrief"][2] == ["ran on 15 min past the plan, to the session's end at +2:05:00"]


def test_ending_within_a_minute_of_the_plan_is_no_change() -> None:
    spans = _spans(phase_lines(PLAN, [], [], _ended_after(100.5)))
    assert spans["debrief"] == (4800.0, 6030.0, [])
    spans = _spans(phase_lines(PLAN, [], [], _ended_after(99.5)))
    assert spans["debrief"] == (4800.0, 5970.0, [])


def test_a_running_session_keeps_its_plan() -> None:
    running = _ended_after(35)
    running.ended_utc = None
    running.status = SessionStatus.DOSED
    spans = _spans(phase_lines(PLAN, [], [], running))
    assert spans["debrief"] == (4800.0, 6000.0, [])
