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
PCL5_BELOW, PCL5_PROBABLE = "below the probable-PTSD cut-point", "probable PTSD"
PCL5 = [
    (0, PCL5_BELOW),
    (31, PCL5_BELOW),
    (32, PCL5_BELOW),
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
def test_pcl5_cut_point_33(total: int, band: str) -> None:
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
