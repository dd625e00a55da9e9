"""Screening rules: contraindications, flags, unknowns, unanswered items and overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kapcompanion.core import serial, wording
from kapcompanion.core.screening import (
    ITEMS_BY_KEY,
    SCREENING_ITEMS,
    Answer,
    ItemGroup,
    Level,
    Outcome,
    OverrideNeedsPrescriber,
    OverrideRole,
    Prescriber,
    Screening,
    ScreeningContext,
    ScreeningResponse,
    answer,
    apply_override,
    clear_override,
    evaluate,
    reconcile_medication,
)


def day(year: int, month: int, dom: int) -> str:
    """A date as the clinic writes it (core.wording)."""
    return wording.short_date(date(year, month, dom))


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


REASON = "Reviewed with the client and the prescriber; risk accepted."
DR_LEE = Prescriber("Dr Lee", "MD")


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", "ok", "x", "typo test"])
def test_override_needs_a_reason_of_substance(reason: str) -> None:
    with pytest.raises(ValueError, match="reason"):
        apply_override(all_no(hiv=Answer.YES), reason, "Kim Ames", AT)
    with pytest.raises(ValueError, match="reason"):
        apply_override(all_no(kidney_failure=Answer.YES), reason, "Kim Ames", AT, prescriber=DR_LEE)


def test_override_needs_a_person_and_an_aware_time() -> None:
    screening = all_no(hiv=Answer.YES)
    with pytest.raises(ValueError, match="name of the person"):
        apply_override(screening, REASON, " ", AT)
    with pytest.raises(ValueError, match="time zone"):
        apply_override(screening, REASON, "Kim Ames", datetime(2025, 3, 4, 10, 30))


def test_override_of_eligible_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to override"):
        apply_override(all_no(), REASON, "Kim Ames", AT)


@pytest.mark.parametrize("key", CONTRAINDICATIONS)
@pytest.mark.parametrize("given", [Answer.YES, Answer.UNKNOWN, None])
def test_a_label_contraindication_needs_the_prescriber(key: str, given: Answer | None) -> None:
    screening = all_no(**({key: given} if given else {}))
    if given is None:
        del screening.responses[key]
    result = evaluate(screening)
    assert result.needs_prescriber
    assert [f.level for f in result.findings] == [Level.LABEL]
    with pytest.raises(OverrideNeedsPrescriber, match="only by the prescriber"):
        apply_override(screening, REASON, "Kim Ames", AT)
    with pytest.raises(ValueError, match="credential"):
        apply_override(screening, REASON, "Kim Ames", AT, prescriber=Prescriber("Dr Lee", " "))
    with pytest.raises(ValueError, match="prescriber's name"):
        apply_override(screening, REASON, "Kim Ames", AT, prescriber=Prescriber("", "MD"))
    done = apply_override(screening, REASON, "Kim Ames", AT, prescriber=DR_LEE)
    assert done.override_role is OverrideRole.PRESCRIBER
    assert (done.override_by, done.override_credential) == ("Dr Lee", "MD")
    assert done.override_entered_by == "Kim Ames" and not done.override_confirmed
    result = evaluate(done)
    assert result.overridden and result.outcome is Outcome.ELIGIBLE
    assert (
        result.reasons[-1]
        == f"Overridden by the prescriber Dr Lee (MD) on {day(2025, 3, 4)}: {REASON}"
    )


@pytest.mark.parametrize("key", FLAGS)
def test_a_relative_finding_the_therapist_may_override(key: str) -> None:
    screening = all_no(**{key: Answer.YES})
    result = evaluate(screening)
    assert not result.needs_prescriber
    assert [f.level for f in result.findings] == [Level.RELATIVE]
    done = apply_override(screening, REASON, "Kim Ames", AT)
    assert done.override_role is OverrideRole.THERAPIST and done.override_by == "Kim Ames"
    assert evaluate(done).overridden


def test_a_therapists_override_from_before_the_levels_does_not_cover_a_contraindication() -> None:
    # Stored before this rule: a therapist's override over uncontrolled hypertension ("ok").
    old = all_no(uncontrolled_hypertension=Answer.YES)
    old.override_reason, old.override_by, old.override_at = "ok", "Kim Ames", AT
    old.override_keys = ["uncontrolled_hypertension:yes"]
    result = evaluate(serial.load(Screening, serial.to_jsonable(old)))
    assert result.outcome is Outcome.NOT_ELIGIBLE and not result.overridden
    assert "recorded without the prescriber" in result.reasons[-1]


def test_override_life_cycle() -> None:
    screening = all_no(pregnancy_breastfeeding=Answer.YES, hiv=Answer.UNKNOWN)
    assert evaluate(screening).outcome is Outcome.NOT_ELIGIBLE

    overridden = apply_override(
        screening,
        "  Confirmed not pregnant by a blood test today.  ",
        "Kim Ames",
        AT,
        prescriber=Prescriber("Dr Ames", "MD"),
    )
    assert screening.override_reason is None  # the original is untouched
    assert overridden.override_reason == "Confirmed not pregnant by a blood test today."
    result = evaluate(overridden)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.overridden
    assert result.reasons[-1] == (
        f"Overridden by the prescriber Dr Ames (MD) on {day(2025, 3, 4)}: "
        "Confirmed not pregnant by a blood test today."
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
    result = evaluate(
        apply_override(screening, "Safety plan in place and reviewed", "Kim Ames", AT)
    )
    assert result.outcome is Outcome.ELIGIBLE and result.overridden


def test_outcome_labels() -> None:
    assert Outcome.PHYSICIAN_REVIEW.label == "Needs physician review"
    assert Outcome.NOT_ELIGIBLE.label == "Not eligible"


# ------------------------------------------------------------------ the rest of the record
LORAZEPAM = ScreeningContext(interacting=(("Lorazepam 1 mg", ("benzodiazepines",)),))


def test_an_interacting_medication_on_the_intake_makes_the_item_yes() -> None:
    screening = all_no()  # "no" to interacting medication
    assert evaluate(screening).outcome is Outcome.ELIGIBLE
    result = evaluate(screening, LORAZEPAM)
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    [finding] = result.findings
    assert finding.key == "interacting_medication" and finding.answer == "yes"
    assert "Lorazepam 1 mg (Benzodiazepines)" in result.notes["interacting_medication"]
    assert "until the prescriber reconciles" in result.notes["interacting_medication"]
    assert "(from the record)" in result.reasons[0]


def test_the_prescriber_reconciles_the_medication_list() -> None:
    screening = all_no()
    with pytest.raises(ValueError, match="reason"):
        reconcile_medication(screening, LORAZEPAM, DR_LEE, "fine", "Kim Ames", AT)
    with pytest.raises(ValueError, match="credential"):
        reconcile_medication(screening, LORAZEPAM, Prescriber("Dr Lee", ""), REASON, "Kim", AT)
    with pytest.raises(ValueError, match="nothing to reconcile"):
        reconcile_medication(screening, ScreeningContext(), DR_LEE, REASON, "Kim Ames", AT)
    done = reconcile_medication(
        screening, LORAZEPAM, DR_LEE, "Lorazepam held for 24 hours before each session.", "Kim", AT
    )
    result = evaluate(done, LORAZEPAM)
    assert result.outcome is Outcome.ELIGIBLE  # the therapist's "no" counts again
    assert (
        f"reconciled by Dr Lee (MD) on {day(2025, 3, 4)}" in result.notes["interacting_medication"]
    )
    assert serial.load(Screening, serial.to_jsonable(done)) == done
    # A medication added after the reconciliation is not covered by it.
    more = ScreeningContext(interacting=(*LORAZEPAM.interacting, ("Tramadol", ("opioids",))))
    result = evaluate(done, more)
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert "Tramadol (Opioids)" in result.notes["interacting_medication"]
    assert "Lorazepam" not in result.notes["interacting_medication"]


def test_suicide_risk_in_the_record_flags_the_suicidality_item() -> None:
    risk = ScreeningContext(suicide_risk="PHQ-9 item 9 was answered 2 of 3 on 2025-03-01.")
    result = evaluate(all_no(), risk)
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert [f.token for f in result.findings] == ["acute_suicidality:yes"]
    assert result.notes["acute_suicidality"].startswith("PHQ-9 item 9 was answered 2 of 3")
    # The therapist may override it (a relative finding); the override covers it.
    done = apply_override(all_no(), REASON, "Kim Ames", AT, context=risk)
    assert evaluate(done, risk).overridden
    # Without the context the override covers nothing new: still eligible.
    assert evaluate(done).outcome is Outcome.ELIGIBLE


def test_a_new_finding_from_the_record_voids_an_override() -> None:
    done = apply_override(all_no(hiv=Answer.YES), REASON, "Kim Ames", AT)
    assert evaluate(done).overridden
    result = evaluate(done, LORAZEPAM)
    assert not result.overridden and result.outcome is Outcome.PHYSICIAN_REVIEW
    assert "Interacting medication" in result.reasons[-1]
