"""The summary's phase table and the PDF's agree on how the session really ran."""

from __future__ import annotations

from export.test_phase_lines import PLAN, _ended_after

from kapcompanion.core.clock import PhaseKind
from kapcompanion.ui.session.summary import phase_rows


def _rows(minutes: float) -> dict[str, str]:
    session = _ended_after(minutes)
    session.phases = [{"kind": p.kind.value, "minutes": p.minutes} for p in PLAN]
    return {row[0]: row[2] for row in phase_rows(session)}


def test_ended_in_the_peak() -> None:
    rows = _rows(35)
    assert rows[PhaseKind.PEAK.label] == "25.0 min (ended here)"
    assert rows[PhaseKind.RETURN.label] == rows[PhaseKind.DEBRIEF.label] == "—"


def test_ran_on_past_the_plan() -> None:
    rows = _rows(115)
    assert rows[PhaseKind.DEBRIEF.label] == "35.0 min (ran on)"
    assert rows[PhaseKind.RETURN.label] == "30.0 min"
