"""Issue 19: decimal half-up arithmetic, pounds, three dose levels, extra-dose running totals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kapcompanion.core import serial
from kapcompanion.core.dose import (
    ABOVE_USUAL_MARK,
    DEFAULT_MAXIMA,
    DoseLevel,
    DoseMaximum,
    DosePlan,
    DoseRefused,
    Route,
    accept_extra_dose,
    accept_plan,
    check_extra_dose,
    complete_plan,
    confirmation_question,
    extra_doses_mg,
    fmt,
    per_kg_from_total,
    plan_summary,
    total_from_per_kg,
    validate_plan,
)
from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.core.settings import DOSE_MAXIMA
from kapcompanion.core.units import parse_weight

REASON = "Two sessions at 2 mg/kg had no effect; Dr Ames reviewed and agreed."


def test_decimal_half_up_as_documented() -> None:
    # the float product 0.35 * 73 is 25.549999..., which float rounding takes to 25.5
    assert 0.35 * 73 < 25.55
    assert total_from_per_kg(73, 0.35) == 25.6
    assert total_from_per_kg(70, 0.45) == 31.5
    assert total_from_per_kg(81, 0.15) == 12.2  # 12.15
    assert per_kg_from_total(80, 20.4) == 0.26  # 0.255
    assert fmt(0.125) == "0.13" and fmt(2.675) == "2.68"


def test_pounds_to_dose_with_the_published_numbers() -> None:
    weight = parse_weight("150 lb", "kg")
    assert weight.kg == 68.0
    plan = complete_plan(
        DosePlan(Route.IM, weight.kg, 0.5, weight_unit=weight.unit, weight_entered=weight.entered)
    )
    assert plan.total_mg == 34.0
    assert plan.weight.text() == "68.0 kg (150 lb)"
    assert plan_summary(plan) == "34 mg IM (0.5 mg/kg for 68.0 kg, 150 lb)"
    # read as kilograms, the same text would have been 75 mg
    assert total_from_per_kg(150, 0.5) == 75.0


def test_fixed_total_shown_per_kg() -> None:
    assert per_kg_from_total(70, 35) == 0.5  # 35 mg at 70 kg is 0.50 mg/kg
    plan = complete_plan(DosePlan(Route.IM, 70, None, 35))
    assert (plan.mg_per_kg, plan.total_mg) == (0.5, 35)


# ------------------------------------------------------------------ three levels
def test_within_the_usual_range_is_accepted_without_questions() -> None:
    plan = accept_plan(DosePlan(Route.IM, 70, 1.0))
    assert plan.total_mg == 70.0 and not plan.above_usual and plan.confirmed == ""


def test_above_the_usual_range_needs_a_real_reason_and_a_confirmation_naming_the_dose() -> None:
    plan = DosePlan(Route.IM, 70, 2.8)  # 196 mg: above 2.5 mg/kg and 140 mg, under 3.0/300
    codes = [i.code for i in validate_plan(plan)]
    assert codes == ["above_usual_per_kg", "above_usual_total"]
    question = confirmation_question(plan)
    assert question == "Give 196 mg IM (2.8 mg/kg)? This is above the usual range."
    with pytest.raises(DoseRefused, match="A reason is needed"):
        accept_plan(plan)
    with pytest.raises(DoseRefused, match="too short to be a reason"):
        accept_plan(DosePlan(Route.IM, 70, 2.8, out_of_range_reason="typo test"), None, question)
    reasoned = DosePlan(Route.IM, 70, 2.8, out_of_range_reason=REASON)
    with pytest.raises(DoseRefused) as refused:
        accept_plan(reasoned)
    assert refused.value.needs_confirmation == question
    # a confirmation of another number does not confirm this one
    with pytest.raises(DoseRefused):
        accept_plan(reasoned, None, "Give 140 mg IM (2 mg/kg)? This is above the usual range.")
    accepted = accept_plan(reasoned, None, question)
    assert accepted.above_usual and accepted.confirmed == question
    assert plan_summary(accepted).endswith(f" · {ABOVE_USUAL_MARK}")
    assert serial.load(DosePlan, serial.to_jsonable(accepted)) == accepted


def test_above_the_clinic_maximum_is_refused_whatever_the_reason() -> None:
    plan = DosePlan(Route.IM, 70, 10.0, out_of_range_reason=REASON)  # the issue's 700 mg
    issues = validate_plan(plan)
    assert [i.code for i in issues] == ["above_max"]
    assert issues[0].message.startswith("700 mg IM (10 mg/kg) is above the clinic's maximum")
    assert "3 mg/kg and 300 mg" in issues[0].message
    with pytest.raises(DoseRefused, match="clinic's maximum"):
        accept_plan(plan, None, "Give 700 mg IM (10 mg/kg)? This is above the usual range.")


def test_the_clinic_sets_its_own_maximum() -> None:
    plan = DosePlan(Route.IM, 70, 3.5, out_of_range_reason=REASON)
    assert [i.code for i in validate_plan(plan)] == ["above_max"]
    wider = {**DEFAULT_MAXIMA, Route.IM: DoseMaximum(Route.IM, 4.0, 300.0)}
    question = confirmation_question(plan)
    assert question == "Give 245 mg IM (3.5 mg/kg)? This is above the usual range."
    assert accept_plan(plan, wider, question).above_usual


@pytest.mark.parametrize(
    ("route", "per_kg", "total", "usual_ok", "above", "over"),
    [
        (Route.IV, 1.0, None, True, 1.5, 1.51),
        (Route.ORAL, 3.0, None, True, 4.5, 4.51),
        (Route.SUBLINGUAL, None, 300, True, 450, 450.1),
        (Route.INTRANASAL, None, 100, True, 150, 150.1),
    ],
)
def test_each_route_has_three_levels(
    route: Route,
    per_kg: float | None,
    total: float | None,
    usual_ok: bool,
    above: float,
    over: float,
) -> None:
    weight = 150 if route is Route.INTRANASAL else 70  # keeps intranasal mg/kg under 1.0

    def plan(value: float | None) -> DosePlan:
        if per_kg is not None:
            return DosePlan(route, weight, value, None, 40, out_of_range_reason=REASON)
        return DosePlan(route, weight, None, value, 40, out_of_range_reason=REASON)

    first = per_kg if per_kg is not None else total
    assert validate_plan(plan(first)) == []
    at_max = plan(above)
    assert accept_plan(at_max, None, confirmation_question(at_max)).above_usual
    assert [i.code for i in validate_plan(plan(over))] == ["above_max"]


def test_maxima_cite_their_sources_and_are_settings() -> None:
    assert set(DEFAULT_MAXIMA) == set(Route)
    assert all(m.source for m in DEFAULT_MAXIMA.values())
    for route, (per_kg, total) in DOSE_MAXIMA.items():
        assert per_kg is not None or total is not None
        if per_kg is not None:
            assert per_kg.default == DEFAULT_MAXIMA[route].max_mg_per_kg
            assert "Default" in per_kg.help and per_kg.unit == "mg/kg"
        if total is not None:
            assert total.default == DEFAULT_MAXIMA[route].max_total_mg


# ------------------------------------------------------------------ extra doses
def _event(
    kind: EventKind, payload: dict[str, object], eid: int, corrects: int | None = None
) -> SessionEvent:
    return SessionEvent(1, kind, datetime(2026, 12, 3, tzinfo=UTC), 0, payload, corrects, eid)


def test_extra_doses_as_last_corrected() -> None:
    events = [
        _event(EventKind.DOSE_GIVEN, {"total_mg": 70}, 1),
        _event(EventKind.EXTRA_DOSE, {"total_mg": 20}, 2),
        _event(EventKind.EXTRA_DOSE, {"total_mg": 30}, 3),
        _event(EventKind.CORRECTION, {"kind": "extra_dose", "payload": {"total_mg": 25}}, 4, 3),
    ]
    assert extra_doses_mg(events) == [20.0, 25.0]


def test_extra_dose_running_total_three_levels() -> None:
    plan = DosePlan(Route.IM, 70, 1.0)  # 70 mg given
    usual = check_extra_dose(plan, 35, earlier_extras_mg=[20])
    assert usual.level is DoseLevel.USUAL and usual.running_total_mg == 125.0
    accept_extra_dose(usual, "", "")

    above = check_extra_dose(plan, 35, earlier_extras_mg=[20, 30])  # 155 mg > 140 mg
    assert above.level is DoseLevel.ABOVE_USUAL and above.running_total_mg == 155.0
    assert above.running_mg_per_kg == 2.21
    assert above.question == (
        "Give an extra 35 mg, 155 mg IM (2.21 mg/kg) in this session? "
        "This is above the usual range."
    )
    with pytest.raises(DoseRefused, match="too short"):
        accept_extra_dose(above, "ok", above.question)
    with pytest.raises(DoseRefused, match="Confirm this dose"):
        accept_extra_dose(above, REASON, "")
    accept_extra_dose(above, REASON, above.question)

    over = check_extra_dose(plan, 200, earlier_extras_mg=[40])  # 310 mg > 300 mg
    assert over.level is DoseLevel.ABOVE_MAX
    assert "310 mg IM" in over.message and "clinic's maximum" in over.message
    with pytest.raises(DoseRefused):
        accept_extra_dose(over, REASON, over.question)


def test_extra_dose_before_the_planned_dose_counts_only_itself() -> None:
    plan = DosePlan(Route.IM, 70, 1.0)
    check = check_extra_dose(plan, 50, dose_given=False)
    assert check.running_total_mg == 50.0 and check.level is DoseLevel.USUAL


def test_extra_dose_by_another_route_meets_that_routes_limits_too() -> None:
    plan = DosePlan(Route.IM, 70, 0.5)  # 35 mg IM
    # 35 + 60 = 95 mg, 1.36 mg/kg: usual for IM, above intranasal's usual 1.0 mg/kg
    assert check_extra_dose(plan, 60).level is DoseLevel.USUAL
    assert check_extra_dose(plan, 60, route=Route.INTRANASAL).level is DoseLevel.ABOVE_USUAL
    # 35 + 100 = 135 mg, 1.93 mg/kg: above intranasal's maximum of 1.5 mg/kg
    assert check_extra_dose(plan, 100, route=Route.INTRANASAL).level is DoseLevel.ABOVE_MAX
    with pytest.raises(DoseRefused, match="above 0"):
        check_extra_dose(plan, 0)
