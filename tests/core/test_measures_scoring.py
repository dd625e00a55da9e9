"""Scoring, bands, flags and incomplete forms, checked against the published rules.

Expected cut-offs are written out here from the publications (not read from the JSON),
so a wrong number in a resource file fails a test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kapcompanion.core import serial
from kapcompanion.core.measures import (
    IncompleteForm,
    Instrument,
    MeasureContext,
    MeasureResponse,
    instrument,
    parse_instrument,
    record_response,
    safety_flags,
    score,
)

ITEM9 = "PHQ-9 item 9 positive (thoughts of being better off dead or self-harm)"


def probable(cutpoint: int) -> str:
    """The PCL-5 band at or above the clinic's cut-point (National Center for PTSD: 31-33)."""
    return (
        f"probable PTSD: at or above the clinic's cut-point of {cutpoint}, in the published "
        "31-33 range"
    )


def answers_for(inst: Instrument, total: int) -> dict[int, int]:
    """Answers adding up to ``total``, filled greedily (item 9 kept at 0 where possible)."""
    numbers = list(inst.item_numbers)
    if inst.id == "phq9":
        numbers = [n for n in numbers if n != 9] + [9]
    answers = {n: inst.answer_min for n in numbers}
    rest = total - inst.min_score
    for n in numbers:
        step = min(rest, inst.answer_max - inst.answer_min)
        answers[n] += step
        rest -= step
    assert rest == 0, "total out of range"
    return answers


PHQ9 = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately severe"),
    (19, "moderately severe"),
    (20, "severe"),
    (27, "severe"),
]
GAD7 = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "severe"),
    (21, "severe"),
]
# National Center for PTSD, "Using the PTSD Checklist for DSM-5 (PCL-5)": a cut-point of
# 31-33 indicates probable PTSD; the clinic picks the number (33 unless changed).
PCL5_BELOW = "below the published 31-33 cut-point range"
PCL5_IN_RANGE_33 = "within the published 31-33 range, below the clinic's cut-point of 33"
PCL5_PROBABLE = probable(33)
PCL5 = [
    (0, PCL5_BELOW),
    (30, PCL5_BELOW),
    (31, PCL5_IN_RANGE_33),
    (32, PCL5_IN_RANGE_33),
    (33, PCL5_PROBABLE),
    (80, PCL5_PROBABLE),
]
AAQ2 = [(7, "at or below 24"), (24, "at or below 24"), (25, "25-28"), (28, "25-28")]
AAQ2 += [(29, "above 28"), (49, "above 28")]


@pytest.mark.parametrize(("total", "band"), PHQ9)
def test_phq9_band_edges(total: int, band: str) -> None:
    result = score(instrument("phq9"), answers_for(instrument("phq9"), total))
    assert (result.total, result.band, result.complete) == (total, band, True)


@pytest.mark.parametrize(("total", "band"), GAD7)
def test_gad7_band_edges(total: int, band: str) -> None:
    result = score(instrument("gad7"), answers_for(instrument("gad7"), total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(("total", "band"), PCL5)
def test_pcl5_default_cut_point_33(total: int, band: str) -> None:
    result = score(instrument("pcl5"), answers_for(instrument("pcl5"), total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(("total", "band_start"), AAQ2)
def test_aaq2_bands_at_24_and_28(total: int, band_start: str) -> None:
    result = score(instrument("aaq2"), answers_for(instrument("aaq2"), total))
    assert result.total == total
    assert result.band is not None and result.band.startswith(band_start)


CRAVING = [("craving10", 0), ("craving10", 10), ("craving100", 0), ("craving100", 57)]
CRAVING += [("craving100", 100)]


@pytest.mark.parametrize(("inst_id", "value"), CRAVING)
def test_craving_is_the_single_rating_without_bands(inst_id: str, value: int) -> None:
    result = score(instrument(inst_id), {1: value})
    assert (result.total, result.band, result.flags) == (value, None, [])


def test_score_ranges_match_publications() -> None:
    expected = {
        "phq9": (9, 0, 3, 0, 27),
        "gad7": (7, 0, 3, 0, 21),
        "pcl5": (20, 0, 4, 0, 80),
        "aaq2": (7, 1, 7, 7, 49),
        "craving10": (1, 0, 10, 0, 10),
        "craving100": (1, 0, 100, 0, 100),
    }
    for inst_id, (n, lo, hi, smin, smax) in expected.items():
        inst = instrument(inst_id)
        assert (len(inst.items), inst.answer_min, inst.answer_max) == (n, lo, hi), inst_id
        assert (inst.min_score, inst.max_score) == (smin, smax), inst_id


def test_phq9_worked_example_column_sums() -> None:
    # The form's own method: count ticks per column, multiply by the column value, add.
    # 2 x "Not at all" (0), 3 x "Several days" (1), 2 x "More than half" (2), 2 x "Nearly
    # every day" (3): 0 + 3 + 4 + 6 = 13 -> moderate (10-14).
    answers = {1: 3, 2: 3, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1, 8: 0, 9: 0}
    result = score(instrument("phq9"), answers)
    assert (result.total, result.band, result.flags) == (13, "moderate", [])


def test_gad7_worked_example() -> None:
    # 1+2+2+1+0+3+1 = 10: the usual cut-point for probable GAD, band "moderate".
    result = score(instrument("gad7"), {1: 1, 2: 2, 3: 2, 4: 1, 5: 0, 6: 3, 7: 1})
    assert (result.total, result.band) == (10, "moderate")


def test_pcl5_worked_example_with_cluster_scores() -> None:
    answers = {n: 0 for n in range(1, 21)}
    answers.update({1: 3, 2: 2, 4: 4, 6: 2, 7: 3, 9: 2, 11: 3, 13: 2, 17: 4, 18: 3, 20: 2})
    result = score(instrument("pcl5"), answers)
    assert result.subscores == {"B": 9, "C": 5, "D": 7, "E": 9}
    assert (result.total, result.band) == (30, PCL5_BELOW)


def test_aaq2_worked_example() -> None:
    # 4+3+5+4+4+5+3 = 28: the top of the 24-28 range, not above it.
    result = score(instrument("aaq2"), {1: 4, 2: 3, 3: 5, 4: 4, 5: 4, 6: 5, 7: 3})
    assert result.total == 28
    assert result.band is not None and result.band.startswith("25-28")


@pytest.mark.parametrize("value", [1, 2, 3])
def test_phq9_item9_above_zero_raises_the_safety_flag(value: int) -> None:
    answers = {n: 0 for n in range(1, 10)} | {9: value}
    result = score(instrument("phq9"), answers)
    assert result.flags == [ITEM9]
    assert result.band == "minimal"  # a low total never hides the flag


def test_item9_zero_raises_no_flag_and_other_items_never_do() -> None:
    answers = {n: 3 for n in range(1, 9)} | {9: 0}
    assert score(instrument("phq9"), answers).flags == []


def test_safety_flags_recomputed_from_stored_response() -> None:
    answers: dict[int, int | None] = {n: 1 for n in range(1, 10)}
    resp = record_response(instrument("phq9"), answers, taken_on=datetime(2025, 3, 3, tzinfo=UTC))
    resp.flags = []  # even if a stored copy lost its flags
    assert safety_flags(resp) == [ITEM9]


def test_incomplete_form_is_refused_without_a_reason() -> None:
    answers = {n: 1 for n in range(1, 9)}  # item 9 missing
    with pytest.raises(IncompleteForm) as err:
        score(instrument("phq9"), answers)
    assert err.value.missing_items == [9]
    with pytest.raises(IncompleteForm):
        score(instrument("phq9"), answers | {9: None}, incomplete_reason="   ")


@pytest.mark.parametrize("inst_id", ["phq9", "gad7", "pcl5", "aaq2"])
def test_incomplete_form_with_reason_keeps_answers_but_has_no_total(inst_id: str) -> None:
    inst = instrument(inst_id)
    answers: dict[int, int | None] = dict(answers_for(inst, inst.min_score + 4))
    answers[2] = None
    result = score(inst, answers, incomplete_reason="client too tired to finish")
    assert (result.total, result.band, result.complete) == (None, None, False)
    assert result.missing_items == [2] and not result.prorated


def test_incomplete_phq9_without_item9_asks_for_it() -> None:
    answers: dict[int, int | None] = {n: 0 for n in range(1, 9)}
    result = score(instrument("phq9"), answers, incomplete_reason="stopped")
    assert result.flags == [
        "PHQ-9 item 9 not answered: ask about thoughts of being better off dead or self-harm"
    ]


def test_incomplete_but_item9_positive_still_flags() -> None:
    result = score(instrument("phq9"), {1: 2, 9: 1}, incomplete_reason="interrupted")
    assert result.total is None and result.flags == [ITEM9]


def test_prorating_rule_when_a_file_allows_it() -> None:
    data = serial.to_jsonable(instrument("gad7"))
    data["prorating"] = {"max_missing": 1}
    inst = parse_instrument(data)
    answers: dict[int, int | None] = {1: 2, 2: 2, 3: 1, 4: 2, 5: 1, 6: 2, 7: None}
    result = score(inst, answers, incomplete_reason="skipped one")
    # mean of 6 answered = 10/6, x 7 items = 11.67 -> 12
    assert (result.total, result.band, result.prorated) == (12, "moderate", True)
    answers[6] = None  # two missing: beyond the rule
    assert score(inst, answers, incomplete_reason="skipped two").total is None


@pytest.mark.parametrize(
    ("inst_id", "answers", "message"),
    [
        ("phq9", {1: 4}, "outside 0-3"),
        ("phq9", {1: -1}, "outside 0-3"),
        ("pcl5", {20: 5}, "outside 0-4"),
        ("aaq2", {1: 0}, "outside 1-7"),
        ("aaq2", {7: 8}, "outside 1-7"),
        ("craving10", {1: 11}, "outside 0-10"),
        ("craving100", {1: 101}, "outside 0-100"),
        ("phq9", {10: 1}, "has no item 10"),
        ("phq9", {1: 1.5}, "whole number"),
        ("phq9", {1: True}, "whole number"),
    ],
)
def test_out_of_range_answers_raise_clear_errors(
    inst_id: str, answers: dict[int, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        score(instrument(inst_id), answers, incomplete_reason="partial")  # type: ignore[arg-type]


def test_record_response_and_json_round_trip() -> None:
    when = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
    answers: dict[int, int | None] = {1: 2, 2: 2, 3: 3, 4: 2, 5: 1, 6: 2, 7: 1, 8: 1, 9: 1}
    resp = record_response(
        instrument("phq9"),
        answers,
        taken_on=when,
        context="baseline",
        session_id=4,
        extra_answers={"difficulty": 2},
    )
    assert (resp.score, resp.band, resp.flags) == (15, "moderately severe", [ITEM9])
    assert resp.context is MeasureContext.BASELINE and resp.instrument_version == "1"
    back = serial.load(MeasureResponse, serial.to_jsonable(resp))
    assert back == resp and back.answers[9] == 1


def test_difficulty_question_is_recorded_not_scored() -> None:
    inst = instrument("phq9")
    when = datetime(2025, 3, 3, tzinfo=UTC)
    answers: dict[int, int | None] = dict(answers_for(inst, 6))
    low = record_response(inst, answers, taken_on=when, extra_answers={"difficulty": 0})
    high = record_response(inst, answers, taken_on=when, extra_answers={"difficulty": 3})
    assert low.score == high.score == 6
    with pytest.raises(ValueError, match="not one of"):
        record_response(inst, answers, taken_on=when, extra_answers={"difficulty": 4})
    with pytest.raises(ValueError, match="no question"):
        record_response(inst, answers, taken_on=when, extra_answers={"mood": 1})


def test_complete_form_does_not_keep_an_incomplete_reason() -> None:
    inst = instrument("gad7")
    answers: dict[int, int | None] = dict(answers_for(inst, 3))
    resp = record_response(
        inst, answers, taken_on=datetime(2025, 1, 1, tzinfo=UTC), incomplete_reason="x"
    )
    assert resp.incomplete_reason is None and resp.score == 3


# ------------------------------------------------------------------ PCL-5 cut-point choice
@pytest.mark.parametrize(
    ("cutpoint", "total", "band"),
    [
        (31, 30, "below the published 31-33 cut-point range"),
        (31, 31, probable(31)),
        (31, 32, probable(31)),
        (32, 31, "within the published 31-33 range, below the clinic's cut-point of 32"),
        (32, 32, probable(32)),
        (33, 32, "within the published 31-33 range, below the clinic's cut-point of 33"),
        (33, 33, probable(33)),
    ],
)
def test_pcl5_bands_follow_the_clinics_cut_point(cutpoint: int, total: int, band: str) -> None:
    inst = instrument("pcl5").with_cutpoint(cutpoint)
    result = score(inst, answers_for(inst, total))
    assert (result.total, result.band) == (total, band)
    # 31 and 32 are never "below the cut-point" when the clinic chose 31 or 32
    if total >= cutpoint:
        assert result.band is not None and result.band.startswith("probable PTSD")
    assert inst.remission_below == cutpoint and inst.cutpoint_used == cutpoint


@pytest.mark.parametrize("cutpoint", [30, 34])
def test_pcl5_cut_point_outside_the_published_range_is_refused(cutpoint: int) -> None:
    with pytest.raises(ValueError, match="outside the published range 31-33"):
        instrument("pcl5").with_cutpoint(cutpoint)


def test_pcl5_stored_form_keeps_the_cut_point_it_was_banded_at() -> None:
    inst = instrument("pcl5").with_cutpoint(31)
    resp = record_response(inst, answers_for(inst, 31), taken_on=datetime(2025, 3, 3, tzinfo=UTC))
    assert (resp.score, resp.cutpoint) == (31, 31)
    assert resp.band == probable(31)


# ------------------------------------------------------------------ PCL-5 DSM-5 cluster rule
# An item rated 2 ("Moderately") or higher counts as endorsed; provisional PTSD needs at least
# 1 B item (1-5), 1 C item (6-7), 2 D items (8-14) and 2 E items (15-20).
def pcl5(endorsed: dict[int, int], rest: int = 0) -> dict[int, int]:
    return {n: endorsed.get(n, rest) for n in range(1, 21)}


MINIMAL_MET = {1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2}  # exactly 1 B, 1 C, 2 D, 2 E at "2"


def test_pcl5_cluster_rule_met_at_the_minimum() -> None:
    result = score(instrument("pcl5"), pcl5(MINIMAL_MET))
    assert result.provisional is not None and result.provisional.met
    assert [(c.subscale, c.endorsed, c.needed) for c in result.provisional.clusters] == [
        ("B", 1, 1),
        ("C", 1, 1),
        ("D", 2, 2),
        ("E", 2, 2),
    ]
    assert result.total == 12 and result.band == "below the published 31-33 cut-point range"
    assert result.provisional.words() == (
        "Provisional DSM-5 PTSD diagnosis: met. Items rated 2 (Moderately) or higher: "
        "B 1 of 5 (1 needed), C 1 of 2 (1 needed), D 2 of 7 (2 needed), E 2 of 6 (2 needed)."
    )


@pytest.mark.parametrize(
    ("drop", "cluster"),
    [(1, "B"), (6, "C"), (9, "D"), (16, "E")],
)
def test_pcl5_cluster_rule_missed_by_one_cluster(drop: int, cluster: str) -> None:
    answers = pcl5(MINIMAL_MET)
    answers[drop] = 1  # "A little bit" is not endorsed
    result = score(instrument("pcl5"), answers)
    assert result.provisional is not None and not result.provisional.met
    (short,) = [c for c in result.provisional.clusters if not c.met]
    assert short.subscale == cluster and short.endorsed == short.needed - 1
    assert f"not met ({cluster} has" in result.provisional.words()


def test_pcl5_total_33_with_the_cluster_rule_unmet() -> None:
    # items 8-20 "A little bit" (13) and 20 points in clusters B and C: total 33, at the
    # default cut-point, yet D and E have no item rated 2 or more.
    answers = pcl5({1: 4, 2: 4, 3: 4, 4: 4, 5: 1, 6: 2, 7: 1}, rest=1)
    result = score(instrument("pcl5"), answers)
    assert result.total == 33 and result.band == probable(33)
    assert result.provisional is not None and not result.provisional.met
    words = result.provisional.words()
    assert "not met (D has 0 of the 2 items needed; E has 0 of the 2 items needed)" in words
    resp = record_response(instrument("pcl5"), answers, taken_on=datetime(2025, 3, 3, tzinfo=UTC))
    assert resp.provisional is False


def test_pcl5_cluster_rule_needs_a_complete_form() -> None:
    answers: dict[int, int | None] = dict(pcl5(MINIMAL_MET))
    answers[20] = None
    result = score(instrument("pcl5"), answers, incomplete_reason="client stopped")
    assert result.provisional is None
    resp = record_response(
        instrument("pcl5"),
        answers,
        taken_on=datetime(2025, 3, 3, tzinfo=UTC),
        incomplete_reason="client stopped",
    )
    assert resp.provisional is None and resp.score is None and resp.cutpoint is None


def test_only_the_pcl5_has_a_cluster_rule() -> None:
    for inst_id in ("phq9", "gad7", "aaq2", "craving10"):
        inst = instrument(inst_id)
        assert score(inst, answers_for(inst, inst.min_score)).provisional is None
