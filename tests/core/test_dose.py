"""Dose arithmetic both ways, refusals, and the usual range per route at its edges."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcompanion.core import serial
from kapcompanion.core.dose import (
    USUAL_RANGES,
    DoseBand,
    DoseIssue,
    DosePlan,
    IssueKind,
    Route,
    complete_plan,
    is_acceptable,
    per_kg_from_total,
    suggest_band,
    total_from_per_kg,
    validate_plan,
)


def codes(plan: DosePlan) -> list[str]:
    return [i.code for i in validate_plan(plan)]


def iv(mg_per_kg: float | None = 0.5, weight: float = 70, minutes: int | None = 40) -> DosePlan:
    return DosePlan(Route.IV, weight, mg_per_kg, None, minutes)


@pytest.mark.parametrize(
    ("weight", "per_kg", "total"),
    [
        (70, 0.5, 35.0),  # the classic IV dose (seed 004)
        (72.5, 0.71, 51.5),  # 51.475 rounds half up
        (80, 2.0, 160.0),  # Krupitsky IM 2 mg/kg
        (63.3, 0.35, 22.2),  # 22.155
        (100, 0.25, 25.0),
    ],
)
def test_total_from_per_kg(weight: float, per_kg: float, total: float) -> None:
    assert total_from_per_kg(weight, per_kg) == total


@pytest.mark.parametrize(
    ("weight", "total", "per_kg"),
    [(70, 35, 0.5), (80, 100, 1.25), (90, 200, 2.22), (60, 250, 4.17), (64, 0.32, 0.01)],
)
def test_per_kg_from_total(weight: float, total: float, per_kg: float) -> None:
    assert per_kg_from_total(weight, total) == per_kg


def test_per_kg_from_total_refuses_zero_weight() -> None:
    with pytest.raises(ValueError, match="above 0 kg"):
        per_kg_from_total(0, 50)


@given(
    weight=st.floats(min_value=30, max_value=250, allow_nan=False),
    per_kg=st.floats(min_value=0.01, max_value=10, allow_nan=False),
)
def test_round_trip_per_kg_total_per_kg(weight: float, per_kg: float) -> None:
    total = total_from_per_kg(weight, per_kg)
    assert total == round(total, 1)
    # Rounding the total to 0.1 mg moves mg/kg by at most 0.05/30; rounding to 0.01 adds 0.005.
    assert abs(per_kg_from_total(weight, total) - per_kg) <= 0.005 + 0.05 / 30 + 1e-9


@given(
    route=st.sampled_from(list(Route)),
    weight=st.floats(min_value=30, max_value=250, allow_nan=False),
    per_kg=st.floats(min_value=0.01, max_value=10, allow_nan=False),
)
def test_completed_plans_are_self_consistent(route: Route, weight: float, per_kg: float) -> None:
    plan = complete_plan(DosePlan(route, weight, per_kg, None, 40))
    assert "mismatch" not in codes(plan)
    by_total = complete_plan(DosePlan(route, weight, None, plan.total_mg, 40))
    assert "mismatch" not in codes(by_total)


def test_complete_plan_fills_the_missing_side() -> None:
    assert complete_plan(iv(0.5)).total_mg == 35.0
    assert complete_plan(DosePlan(Route.SUBLINGUAL, 80, None, 200)).mg_per_kg == 2.5


@pytest.mark.parametrize("weight", [0.0, -5.0, float("nan")])
def test_a_bad_weight_is_reported_not_raised(weight: float) -> None:
    plan = DosePlan(Route.IM, weight, None, 50)
    assert complete_plan(plan) is plan  # nothing computed from a weight that is not one
    issues = validate_plan(complete_plan(plan))
    assert [i.code for i in issues] == ["weight"]


def test_typical_doses_pass_without_questions() -> None:
    assert validate_plan(iv(0.5)) == []
    assert validate_plan(DosePlan(Route.IM, 70, 1.0)) == []
    assert validate_plan(DosePlan(Route.SUBLINGUAL, 70, None, 225)) == []
    assert validate_plan(DosePlan(Route.INTRANASAL, 70, None, 56)) == []
    assert validate_plan(DosePlan(Route.ORAL, 70, 1.5)) == []


@pytest.mark.parametrize("weight", [29.9, 250.1, 0, -70, math.nan, math.inf])
def test_weight_outside_30_to_250_is_refused(weight: float) -> None:
    issues = validate_plan(iv(weight=weight))
    assert issues[0].kind is IssueKind.ERROR and issues[0].code == "weight"
    assert "kg" in issues[0].message and "30 to 250 kg" in issues[0].message


@pytest.mark.parametrize("weight", [30, 250])
def test_weight_edges_are_accepted(weight: float) -> None:
    assert "weight" not in codes(DosePlan(Route.IV, weight, 0.5, None, 40))


@pytest.mark.parametrize(
    ("per_kg", "total", "code"),
    [
        (0, None, "mg_per_kg_invalid"),
        (-0.5, None, "mg_per_kg_invalid"),
        (math.nan, None, "mg_per_kg_invalid"),
        (None, 0, "total_invalid"),
        (None, -10, "total_invalid"),
        (None, math.inf, "total_invalid"),
        (None, None, "no_dose"),
    ],
)
def test_missing_or_non_positive_doses_are_refused(
    per_kg: float | None, total: float | None, code: str
) -> None:
    issues = validate_plan(DosePlan(Route.IM, 70, per_kg, total))
    assert [i.code for i in issues] == [code]
    assert issues[0].kind is IssueKind.ERROR


def test_iv_needs_an_infusion_length() -> None:
    issues = validate_plan(iv(minutes=None))
    assert issues == [
        DoseIssue(
            IssueKind.ERROR,
            "infusion_missing",
            "An IV plan needs the infusion length in minutes.",
        )
    ]
    assert codes(iv(minutes=0)) == ["infusion_invalid"]
    assert "infusion_missing" not in codes(DosePlan(Route.IM, 70, 1.0))


@pytest.mark.parametrize(
    "plan",
    [
        DosePlan(Route.IM, 70, 10.01),
        DosePlan(Route.ORAL, 120, 9.0),  # 1080 mg
        DosePlan(Route.SUBLINGUAL, 70, None, 1001),
        DosePlan(Route.IV, 70, None, 3500, 40),  # mg typed for micrograms
    ],
)
def test_absurd_doses_are_refused_outright(plan: DosePlan) -> None:
    issues = validate_plan(plan)
    assert [i.code for i in issues] == ["absurd"]
    assert not is_acceptable(DosePlan(**{**vars(plan), "out_of_range_reason": "sure"}))
    assert "mg/kg" in issues[0].message and "mg)" in issues[0].message


def test_mismatched_per_kg_and_total_is_refused() -> None:
    issues = validate_plan(DosePlan(Route.IM, 70, 1.0, 100))
    assert [i.code for i in issues] == ["mismatch"]
    assert issues[0].message == "1 mg/kg x 70 kg is 70 mg, not 100 mg."
    # Rounding differences are not mismatches.
    assert validate_plan(DosePlan(Route.IM, 72.5, 0.71, 51.5)) == []
    assert validate_plan(DosePlan(Route.SUBLINGUAL, 90, 2.22, 200)) == []


# Each route's usual mg/kg range at its edges: inside on the edge, questioned just outside.
# The weights keep IM and intranasal totals inside their own total ranges (IM 30-140 mg,
# intranasal 28-100 mg), so only the mg/kg rule speaks.
EDGES = [
    (Route.IV, 0.1, 1.0, 0.09, 1.01, 80, 80),
    (Route.IM, 0.3, 2.5, 0.29, 2.51, 110, 50),
    (Route.INTRANASAL, 0.2, 1.0, 0.19, 1.01, 150, 80),
    (Route.ORAL, 0.5, 3.0, 0.49, 3.01, 80, 80),
]


@pytest.mark.parametrize(("route", "low", "high", "below", "above", "w_low", "w_high"), EDGES)
def test_per_kg_range_edges(
    route: Route, low: float, high: float, below: float, above: float, w_low: int, w_high: int
) -> None:
    assert validate_plan(DosePlan(route, w_low, low, None, 40)) == []
    assert validate_plan(DosePlan(route, w_high, high, None, 40)) == []
    low_issues = validate_plan(DosePlan(route, w_low, below, None, 40))
    assert [i.code for i in low_issues] == ["below_usual_per_kg"]
    high_issues = validate_plan(DosePlan(route, w_high, above, None, 40))
    assert [i.code for i in high_issues] == ["above_usual_per_kg"]
    assert high_issues[0].kind is IssueKind.CONFIRM
    assert "mg/kg" in high_issues[0].message


@pytest.mark.parametrize(
    ("route", "weight", "low", "high"),
    [(Route.IM, 70, 30, 140), (Route.SUBLINGUAL, 70, 50, 300), (Route.INTRANASAL, 70, 28, 70)],
)
def test_total_range_edges(route: Route, weight: float, low: float, high: float) -> None:
    assert validate_plan(DosePlan(route, weight, None, low)) == []
    assert validate_plan(DosePlan(route, weight, None, high)) == []
    assert "below_usual_total" in codes(DosePlan(route, weight, None, low - 0.1))


def test_total_above_range_edges() -> None:
    assert codes(DosePlan(Route.IM, 70, None, 140.1)) == ["above_usual_total"]
    assert codes(DosePlan(Route.SUBLINGUAL, 70, None, 300.1)) == ["above_usual_total"]
    assert codes(DosePlan(Route.INTRANASAL, 120, None, 100.1)) == ["above_usual_total"]
    # IM 2.5 mg/kg at 80 kg is 200 mg: inside mg/kg, above the 140 mg total.
    issues = validate_plan(DosePlan(Route.IM, 80, 2.5))
    assert [i.code for i in issues] == ["above_usual_total"]
    assert "200 mg" in issues[0].message and "30 to 140 mg" in issues[0].message


def test_iv_infusion_outside_usual_length_is_questioned() -> None:
    assert codes(iv(minutes=29)) == ["infusion_unusual"]
    assert codes(iv(minutes=121)) == ["infusion_unusual"]
    assert codes(iv(minutes=30)) == [] and codes(iv(minutes=120)) == []


def test_out_of_range_needs_a_written_reason() -> None:
    plan = iv(1.2)
    assert validate_plan(plan)[0].kind is IssueKind.CONFIRM
    assert not is_acceptable(plan)
    plan.out_of_range_reason = "   "
    assert not is_acceptable(plan)
    plan.out_of_range_reason = "Titrating after two sessions without effect; Dr Ames agreed."
    assert not is_acceptable(plan)  # above the usual range: the dose must be confirmed too
    plan.confirmed = "Give 84 mg IV (1.2 mg/kg)? This is above the usual range."
    assert is_acceptable(plan)
    below = iv(0.08)
    below.out_of_range_reason = "ok"
    assert not is_acceptable(below)  # a token is not a reason
    below.out_of_range_reason = "Very sensitive client, first session at a test dose."
    assert is_acceptable(below)  # below the usual range: a reason, no second confirmation
    assert is_acceptable(iv(0.5))
    assert not is_acceptable(iv(minutes=None))


def test_usual_ranges_cover_every_route_and_cite_sources() -> None:
    assert set(USUAL_RANGES) == set(Route)
    assert all(r.source and r.typical for r in USUAL_RANGES.values())


@pytest.mark.parametrize(
    ("route", "per_kg", "band"),
    [
        (Route.IV, 0.25, DoseBand.LOW),
        (Route.IV, 0.5, DoseBand.MODERATE),
        (Route.IV, 0.8, DoseBand.HIGH),
        (Route.IM, 0.8, DoseBand.LOW),
        (Route.IM, 0.9, DoseBand.MODERATE),
        (Route.IM, 2.0, DoseBand.HIGH),
        (Route.SUBLINGUAL, 3.0, None),
    ],
)
def test_suggest_band(route: Route, per_kg: float, band: DoseBand | None) -> None:
    assert suggest_band(route, per_kg) is band


@given(
    route=st.sampled_from(list(Route)),
    weight=st.floats(min_value=30, max_value=250, allow_nan=False),
    per_kg=st.one_of(st.none(), st.floats(min_value=0.01, max_value=10, allow_nan=False)),
    total=st.one_of(st.none(), st.floats(min_value=1, max_value=1000, allow_nan=False)),
    minutes=st.one_of(st.none(), st.integers(min_value=1, max_value=240)),
    band=st.one_of(st.none(), st.sampled_from(list(DoseBand))),
    reason=st.one_of(st.none(), st.text(max_size=20)),
)
def test_dose_plan_serial_round_trip(
    route: Route,
    weight: float,
    per_kg: float | None,
    total: float | None,
    minutes: int | None,
    band: DoseBand | None,
    reason: str | None,
) -> None:
    plan = DosePlan(route, weight, per_kg, total, minutes, "LOT-7", band, reason)
    assert serial.load(DosePlan, serial.to_jsonable(plan)) == plan
