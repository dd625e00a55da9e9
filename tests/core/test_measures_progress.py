"""Progress across a course (response and remission in words) and the measure schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kapcompanion.core import wording
from kapcompanion.core.measures import MeasureContext, MeasureResponse, instrument, progress
from kapcompanion.core.schedule import MeasureSchedule, due_measures


def day(year: int, month: int, dom: int) -> str:
    """A date as the clinic writes it (core.wording)."""
    return wording.short_date(date(year, month, dom))


T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def probable(cutpoint: int) -> str:
    """The PCL-5 band at or above the clinic's cut-point (National Center for PTSD: 31-33)."""
    return (
        f"probable PTSD: at or above the clinic's cut-point of {cutpoint}, in the published "
        "31-33 range"
    )


def resp(
    inst_id: str,
    total: int | None,
    day: int,
    context: MeasureContext = MeasureContext.PRE_SESSION,
    flags: list[str] | None = None,
) -> MeasureResponse:
    return MeasureResponse(
        instrument_id=inst_id,
        instrument_version="1",
        answers={},
        taken_on=T0 + timedelta(days=day),
        context=context,
        score=total,
        flags=flags or [],
    )


def test_phq9_response_and_remission() -> None:
    p = progress([resp("phq9", 18, 0, MeasureContext.BASELINE), resp("phq9", 4, 21)])
    assert p.change_pct == pytest.approx(77.78, abs=0.01)
    assert p.response and p.remission
    assert p.words == (
        f"PHQ-9 went from 18 (moderately severe) on {day(2025, 3, 3)} "
        f"to 4 (minimal) on {day(2025, 3, 24)}: "
        "a 78% drop. Response (a drop of 50% or more from baseline): yes. "
        "Remission (a score below 5): yes."
    )


def test_exactly_half_is_a_response_but_5_is_not_remission() -> None:
    p = progress([resp("phq9", 10, 0, MeasureContext.BASELINE), resp("phq9", 5, 7)])
    assert p.change_pct == 50 and p.response and not p.remission
    assert "Response (a drop of 50% or more from baseline): yes." in p.words
    assert "Remission (a score below 5): not met." in p.words


def test_below_half_is_not_a_response() -> None:
    p = progress([resp("gad7", 15, 0, MeasureContext.BASELINE), resp("gad7", 8, 7)])
    assert not p.response and not p.remission
    assert "a 47% drop" in p.words and "Response (a drop of 50% or more" in p.words
    assert "not met" in p.words


def test_worsening_is_said_as_a_rise() -> None:
    p = progress([resp("phq9", 8, 0, MeasureContext.BASELINE), resp("phq9", 12, 7)])
    assert p.change_pct == -50 and "a 50% rise" in p.words and not p.response


def test_baseline_context_wins_and_latest_is_the_newest() -> None:
    forms = [
        resp("phq9", 12, 5),
        resp("phq9", 20, 1, MeasureContext.BASELINE),
        resp("phq9", 9, 30),
        resp("phq9", None, 40),  # incomplete: skipped
        resp("phq9", 25, -3),  # screening form before the baseline: not the baseline
    ]
    p = progress(forms)
    assert p.baseline is forms[1] and p.latest is forms[2]
    assert p.change_pct == 55 and p.response


def test_pcl5_remission_is_below_33_and_meaningful_change_is_10_points() -> None:
    p = progress([resp("pcl5", 48, 0, MeasureContext.BASELINE), resp("pcl5", 32, 28)])
    assert p.remission and not p.response
    assert "Clinically meaningful change (a drop of 10 points or more): met." in p.words
    p2 = progress([resp("pcl5", 40, 0, MeasureContext.BASELINE), resp("pcl5", 33, 28)])
    assert not p2.remission and "points or more): not met." in p2.words


def test_aaq2_change_is_measured_from_the_floor_of_7() -> None:
    p = progress([resp("aaq2", 35, 0, MeasureContext.BASELINE), resp("aaq2", 21, 28)])
    assert p.change_pct == 50  # (35-21)/(35-7)
    assert not p.response and not p.remission
    assert "No published response criterion applies to AAQ-II." in p.words
    assert "No published remission threshold applies to AAQ-II." in p.words


def test_craving_response_without_remission() -> None:
    p = progress([resp("craving100", 80, 0, MeasureContext.BASELINE), resp("craving100", 30, 7)])
    assert p.response and not p.remission
    assert "No published remission threshold applies to Craving 0-100." in p.words


def test_single_form_and_none() -> None:
    p = progress([resp("phq9", 16, 0, MeasureContext.BASELINE)])
    assert p.latest is None and p.change_pct is None and not p.remission
    assert (
        p.words == f"PHQ-9 baseline 16 (moderately severe) on {day(2025, 3, 3)}; "
        "no later score to compare yet."
    )
    empty = progress([], instrument("gad7"))
    assert empty.words == "No scored GAD-7 yet."
    with pytest.raises(ValueError, match="one instrument"):
        progress([resp("phq9", 3, 0), resp("gad7", 3, 1)])
    with pytest.raises(ValueError, match="not GAD-7"):
        progress([resp("phq9", 3, 0)], instrument("gad7"))


def test_latest_safety_flag_is_repeated_in_the_words() -> None:
    flag = "PHQ-9 item 9 positive (thoughts of being better off dead or self-harm)"
    p = progress([resp("phq9", 14, 0, MeasureContext.BASELINE), resp("phq9", 6, 7, flags=[flag])])
    assert p.words.endswith(f"Safety flag on the latest form: {flag}.")


def test_default_schedule() -> None:
    s = MeasureSchedule()
    assert s.baseline == ["phq9", "gad7", "pcl5", "aaq2"]
    assert s.pre_session == ["phq9", "gad7"]
    assert s.end_of_course == ["phq9", "gad7", "pcl5", "aaq2"]
    assert MeasureSchedule().baseline is not s.baseline  # no shared mutable default
    for ids in (s.baseline, s.pre_session, s.end_of_course):
        for inst_id in ids:
            assert instrument(inst_id).id == inst_id


def test_due_measures() -> None:
    s = MeasureSchedule()
    assert due_measures(s, "baseline", []) == ["phq9", "gad7", "pcl5", "aaq2"]
    assert due_measures(s, MeasureContext.BASELINE, ["gad7", "pcl5"]) == ["phq9", "aaq2"]
    assert due_measures(s, "pre_session", ["phq9"]) == ["gad7"]
    assert due_measures(s, "pre_session", ["phq9", "gad7", "pcl5"]) == []
    assert due_measures(s, "end_of_course", iter(["aaq2"])) == ["phq9", "gad7", "pcl5"]
    assert due_measures(s, "other", []) == []
    custom = MeasureSchedule(pre_session=["craving10", "craving10", "phq9"])
    assert due_measures(custom, "pre_session", []) == ["craving10", "phq9"]
    with pytest.raises(ValueError):
        due_measures(s, "weekly", [])


def test_pcl5_remission_follows_the_clinics_cut_point_of_31() -> None:
    inst = instrument("pcl5").with_cutpoint(31)
    forms = [resp("pcl5", 48, 0, MeasureContext.BASELINE), resp("pcl5", 31, 28)]
    forms[1].provisional = False
    p = progress(forms, inst)
    assert not p.remission  # 31 is at the clinic's cut-point, not below it
    assert f"to 31 ({probable(31)})" in p.words
    assert (
        "Remission (a score below the cut-point of 31, chosen within the published 31-33): "
        "not met." in p.words
    )
    assert "Provisional DSM-5 PTSD diagnosis on the latest form: not met." in p.words
    p33 = progress(forms)
    assert p33.remission  # with the default 33, 31 is below the cut-point
