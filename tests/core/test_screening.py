"""Screening rules: contraindications, flags, unknowns, unanswered items and overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kapcompanion.core import serial
from kapcompanion.core.screening import (
    ITEMS_BY_KEY,
    SCREENING_ITEMS,
    Answer,
    ItemGroup,
    Outcome,
    Screening,
    ScreeningResponse,
    answer,
    apply_override,
    clear_override,
    evaluate,
)

CONTRAINDICATIONS = [i.key for i in SCREENING_ITEMS if i.group is ItemGroup.CONTRAINDICATION]
FLAGS = [i.key for i in SCREENING_ITEMS if i.group is ItemGroup.PHYSICIAN_REVIEW]
AT = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)


def all_no(**overrides: Answer) -> Screening:
    responses = {
        item.key: ScreeningResponse(item.key, overrides.get(item.key, Answer.NO))
        for item in SCREENING_ITEMS
    }
    return Screening(responses=responses, screened_on=date(2025, 3, 1))


def test_every_product_item_is_present() -> None:
    # PRODUCT.md "Screening": 13 contraindications and 10 flags (family psychosis, and
    # the 9 named flags).
    assert CONTRAINDICATIONS == [
        "psychotic_disorder",
        "pregnancy_breastfeeding",
        "uncontrolled_hypertension",
        "recent_heart_attack",
        "recent_stroke",
        "aneurysm_avm",
        "intracerebral_haemorrhage",
        "serious_lung_disease",
        "kidney_failure",
        "liver_failure",
        "non_ambulatory",
        "ketamine_hypersensitivity",
        "ketamine_misuse",
    ]
    assert FLAGS == [
        "family_psychosis",
        "active_substance_use",
        "uncontrolled_diabetes",
        "bladder_symptoms",
        "hepatitis_c",
        "hiv",
        "interacting_medication",
        "acute_suicidality",
        "bipolar_no_mood_stabiliser",
        "personality_disorder",
    ]
    assert len({i.key for i in SCREENING_ITEMS}) == len(SCREENING_ITEMS)
    assert all(i.label and i.help for i in SCREENING_ITEMS)


def test_all_no_is_eligible() -> None:
    result = evaluate(all_no())
    assert result.outcome is Outcome.ELIGIBLE
    assert result.reasons == []
    assert result.unanswered == []
    assert not result.overridden


@pytest.mark.parametrize("key", CONTRAINDICATIONS)
def test_each_contraindication_alone_makes_not_eligible(key: str) -> None:
    result = evaluate(all_no(**{key: Answer.YES}))
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert len(result.reasons) == 1
    assert ITEMS_BY_KEY[key].label in result.reasons[0]
    assert "contraindication" in result.reasons[0]


@pytest.mark.parametrize("key", CONTRAINDICATIONS)
def test_unknown_contraindication_needs_review(key: str) -> None:
    result = evaluate(all_no(**{key: Answer.UNKNOWN}))
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert ITEMS_BY_KEY[key].label in result.reasons[0]


@pytest.mark.parametrize("key", FLAGS)
@pytest.mark.parametrize("given", [Answer.YES, Answer.UNKNOWN])
def test_flags_lead_to_physician_review(key: str, given: Answer) -> None:
    result = evaluate(all_no(**{key: given}))
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert len(result.reasons) == 1
    assert ITEMS_BY_KEY[key].label in result.reasons[0]


def test_contraindication_beats_flags() -> None:
    result = evaluate(
        all_no(recent_stroke=Answer.YES, hiv=Answer.YES, liver_failure=Answer.UNKNOWN)
    )
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert len(result.reasons) == 3


def test_unanswered_items_need_review_and_are_listed() -> None:
    screening = all_no()
    del screening.responses["hiv"]
    del screening.responses["recent_stroke"]
    result = evaluate(screening)
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert result.unanswered == ["Recent stroke", "HIV"]
    assert "2 screening items are not answered yet" in result.reasons[-1]


def test_empty_screening_lists_every_item() -> None:
    result = evaluate(Screening())
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert len(result.unanswered) == len(SCREENING_ITEMS)


def test_answer_helper_refuses_unknown_keys_and_copies() -> None:
    before = Screening()
    after = answer(before, "hiv", Answer.YES, "on treatment")
    assert before.responses == {}
    assert after.responses["hiv"] == ScreeningResponse("hiv", Answer.YES, "on treatment")
    with pytest.raises(ValueError, match="Unknown screening item"):
        answer(before, "not_an_item", Answer.NO)


def test_plain_string_answers_are_understood() -> None:
    screening = all_no()
    screening.responses["kidney_failure"] = ScreeningResponse("kidney_failure", "yes")  # type: ignore[arg-type]
    assert evaluate(screening).outcome is Outcome.NOT_ELIGIBLE


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_override_needs_a_written_reason(reason: str) -> None:
    with pytest.raises(ValueError, match="written reason"):
        apply_override(all_no(kidney_failure=Answer.YES), reason, "Dr Ames", AT)


def test_override_needs_a_person_and_an_aware_time() -> None:
    screening = all_no(kidney_failure=Answer.YES)
    with pytest.raises(ValueError, match="name of the person"):
        apply_override(screening, "reviewed", " ", AT)
    with pytest.raises(ValueError, match="time zone"):
        apply_override(screening, "reviewed", "Dr Ames", datetime(2025, 3, 4, 10, 30))


def test_override_of_eligible_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to override"):
        apply_override(all_no(), "because", "Dr Ames", AT)


def test_override_life_cycle() -> None:
    screening = all_no(pregnancy_breastfeeding=Answer.YES, hiv=Answer.UNKNOWN)
    assert evaluate(screening).outcome is Outcome.NOT_ELIGIBLE

    overridden = apply_override(screening, "  Confirmed not pregnant by test.  ", "Dr Ames", AT)
    assert screening.override_reason is None  # the original is untouched
    assert overridden.override_reason == "Confirmed not pregnant by test."
    result = evaluate(overridden)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.overridden
    assert result.reasons[-1] == (
        "Overridden by Dr Ames on 2025-03-04: Confirmed not pregnant by test."
    )
    assert any("Pregnancy" in r for r in result.reasons)  # findings stay visible

    # The override survives storage.
    stored = serial.load(Screening, serial.to_jsonable(overridden))
    assert stored == overridden
    assert evaluate(stored).overridden

    # A new finding after the override is not covered by it.
    worse = answer(overridden, "recent_stroke", Answer.YES)
    result = evaluate(worse)
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert not result.overridden
    assert "no longer applies" in result.reasons[-1]
    assert "Recent stroke" in result.reasons[-1]

    # A finding that turns from unknown to yes is new too.
    firmer = answer(overridden, "hiv", Answer.YES)
    assert not evaluate(firmer).overridden
    assert evaluate(firmer).outcome is Outcome.NOT_ELIGIBLE  # pregnancy still stands

    # A finding resolved to "no" keeps the override valid.
    better = answer(overridden, "hiv", Answer.NO)
    assert evaluate(better).overridden

    cleared = clear_override(overridden)
    assert evaluate(cleared).outcome is Outcome.NOT_ELIGIBLE
    assert cleared.override_by is None and cleared.override_keys == []


def test_override_of_physician_review() -> None:
    screening = all_no(acute_suicidality=Answer.YES)
    result = evaluate(apply_override(screening, "Safety plan in place", "Dr Ames", AT))
    assert result.outcome is Outcome.ELIGIBLE and result.overridden


def test_outcome_labels() -> None:
    assert Outcome.PHYSICIAN_REVIEW.label == "Needs physician review"
    assert Outcome.NOT_ELIGIBLE.label == "Not eligible"
