"""Dose plan arithmetic and range checks.

The plan records weight, dose in mg/kg and the total in mg (both shown), infusion length,
lot and dose band. Two kinds of issue come back from :func:`validate_plan`:

- ``error``: refused outright. Weight outside 30-250 kg; a missing, zero, negative or
  non-numeric dose; mg/kg and total that contradict each other; an IV plan without an
  infusion length; an absurd dose (more than 10 mg/kg or more than 1000 mg by any route,
  which no KAP protocol uses: the largest dose in the sources is 2.5 mg/kg IM).
- ``confirm``: outside the usual range for the route. Never silently accepted: the plan
  needs a written ``out_of_range_reason`` (PRODUCT.md "The dosing session").

The usual ranges (``USUAL_RANGES``) are editable defaults drawn from PRODUCT.md and the
seed articles, not medical advice:

- IV: 0.1-1.0 mg/kg, typically 0.5 mg/kg over 40 minutes (infusion studies in the seeds
  run 40-52 minutes, one up to 92); infusions outside 30-120 minutes are questioned.
- IM: 0.3-2.5 mg/kg (0.3-0.8 low, 1-2.5 high) and 30-140 mg in total; both are checked.
- Sublingual or lozenge: the sources give 200-250 mg; we accept 50-300 mg without
  question, because practices titrate from lower starting doses, and question the rest.
- Intranasal: the plan does not record the enantiomer, so the range covers both
  esketamine (label doses 28, 56, 84 mg) and racemic ketamine (about 0.2-1.0 mg/kg in
  studies): 28-100 mg in total and 0.2-1.0 mg/kg.
- Oral: bioavailability about 20% (seed 004), so doses are higher per kg than IV:
  0.5-3.0 mg/kg.

Rounding: totals to 0.1 mg and mg/kg to 0.01, half up (as a person would round).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    SUBLINGUAL = "sublingual"
    INTRANASAL = "intranasal"
    ORAL = "oral"

    @property
    def label(self) -> str:
        return _ROUTE_LABELS[self]


_ROUTE_LABELS = {
    Route.IV: "IV infusion",
    Route.IM: "Intramuscular (IM)",
    Route.SUBLINGUAL: "Sublingual or lozenge",
    Route.INTRANASAL: "Intranasal",
    Route.ORAL: "Oral",
}


class DoseBand(StrEnum):
    LOW = "low"  # psycholytic: the client can talk
    MODERATE = "moderate"
    HIGH = "high"


@dataclass
class DosePlan:
    route: Route
    weight_kg: float
    mg_per_kg: float | None = None
    total_mg: float | None = None
    infusion_minutes: int | None = None
    lot: str = ""
    band: DoseBand | None = None
    out_of_range_reason: str | None = None


class IssueKind(StrEnum):
    ERROR = "error"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class DoseIssue:
    kind: IssueKind
    code: str  # stable identifier for tests and the UI (e.g. "weight", "above_usual")
    message: str


@dataclass(frozen=True)
class UsualRange:
    route: Route
    min_mg_per_kg: float | None
    max_mg_per_kg: float | None
    min_total_mg: float | None
    max_total_mg: float | None
    typical: str
    source: str


USUAL_RANGES: dict[Route, UsualRange] = {
    Route.IV: UsualRange(
        Route.IV, 0.1, 1.0, None, None, "0.5 mg/kg over 40 minutes", "PRODUCT.md; seed 004"
    ),
    Route.IM: UsualRange(
        Route.IM, 0.3, 2.5, 30.0, 140.0, "0.3-0.8 mg/kg low, 1-2.5 mg/kg high", "PRODUCT.md"
    ),
    Route.SUBLINGUAL: UsualRange(
        Route.SUBLINGUAL, None, None, 50.0, 300.0, "200-250 mg", "PRODUCT.md; seed 004"
    ),
    Route.INTRANASAL: UsualRange(
        Route.INTRANASAL,
        0.2,
        1.0,
        28.0,
        100.0,
        "esketamine 28, 56 or 84 mg",
        "esketamine label; racemic intranasal studies",
    ),
    Route.ORAL: UsualRange(
        Route.ORAL, 0.5, 3.0, None, None, "bioavailability about 20%", "PRODUCT.md; seed 004"
    ),
}

WEIGHT_RANGE_KG = (30.0, 250.0)
MAX_MG_PER_KG = 10.0
MAX_TOTAL_MG = 1000.0
IV_INFUSION_USUAL_MIN = (30, 120)
# mg/kg and total may differ by rounding only: half a step of the total's rounding, plus
# half a step of the mg/kg rounding times the weight.
_TOTAL_TOLERANCE_MG = 0.05


def _round(value: float, places: int) -> float:
    step = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def fmt(value: float) -> str:
    """A number as people write it: 0.5, 35, 1.25 (no trailing zeros)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def total_from_per_kg(weight_kg: float, mg_per_kg: float) -> float:
    """Total mg for a weight and a dose per kg, to 0.1 mg."""
    return _round(weight_kg * mg_per_kg, 1)


def per_kg_from_total(weight_kg: float, total_mg: float) -> float:
    """Dose in mg/kg for a weight and a total, to 0.01 mg/kg."""
    if weight_kg <= 0:
        raise ValueError("Weight must be above 0 kg.")
    return _round(total_mg / weight_kg, 2)


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def resolved(plan: DosePlan) -> tuple[float, float] | None:
    """(mg/kg, total mg) of a plan, computing whichever is missing; None if it cannot."""
    if not _finite(plan.weight_kg) or plan.weight_kg <= 0:
        return None
    if _finite(plan.mg_per_kg) and plan.mg_per_kg is not None:
        per_kg = plan.mg_per_kg
        total = plan.total_mg if _finite(plan.total_mg) else None
        return per_kg, total if total is not None else plan.weight_kg * per_kg
    if _finite(plan.total_mg) and plan.total_mg is not None:
        return plan.total_mg / plan.weight_kg, plan.total_mg
    return None


def complete_plan(plan: DosePlan) -> DosePlan:
    """The plan with the missing one of mg/kg and total filled in (rounded).

    A weight that is not a positive number leaves the plan as it is: ``validate_plan`` then
    names the weight, rather than this raising before anything is checked.
    """
    if not _finite(plan.weight_kg) or plan.weight_kg <= 0:
        return plan
    if plan.mg_per_kg is not None and plan.total_mg is None and _finite(plan.mg_per_kg):
        return dataclasses.replace(plan, total_mg=total_from_per_kg(plan.weight_kg, plan.mg_per_kg))
    if plan.total_mg is not None and plan.mg_per_kg is None and _finite(plan.total_mg):
        return dataclasses.replace(plan, mg_per_kg=per_kg_from_total(plan.weight_kg, plan.total_mg))
    return plan


def _errors(plan: DosePlan) -> list[DoseIssue]:
    issues: list[DoseIssue] = []
    low, high = WEIGHT_RANGE_KG
    if not _finite(plan.weight_kg) or not low <= plan.weight_kg <= high:
        shown = fmt(plan.weight_kg) if _finite(plan.weight_kg) else str(plan.weight_kg)
        issues.append(
            DoseIssue(
                IssueKind.ERROR,
                "weight",
                f"Weight {shown} kg is outside {fmt(low)} to {fmt(high)} kg; check it.",
            )
        )
    for name, value, unit in (
        ("mg_per_kg", plan.mg_per_kg, "mg/kg"),
        ("total", plan.total_mg, "mg"),
    ):
        if value is not None and (not _finite(value) or value <= 0):
            issues.append(
                DoseIssue(
                    IssueKind.ERROR,
                    f"{name}_invalid",
                    f"The dose of {value} {unit} is not a positive number.",
                )
            )
    if plan.mg_per_kg is None and plan.total_mg is None:
        issues.append(
            DoseIssue(IssueKind.ERROR, "no_dose", "Enter the dose in mg/kg or the total in mg.")
        )
    if Route(plan.route) is Route.IV:
        minutes = plan.infusion_minutes
        if minutes is None:
            issues.append(
                DoseIssue(
                    IssueKind.ERROR,
                    "infusion_missing",
                    "An IV plan needs the infusion length in minutes.",
                )
            )
        elif minutes <= 0 or minutes > 24 * 60:
            issues.append(
                DoseIssue(
                    IssueKind.ERROR,
                    "infusion_invalid",
                    f"An infusion of {minutes} minutes is not possible; check it.",
                )
            )
    return issues


def validate_plan(plan: DosePlan) -> list[DoseIssue]:
    """Errors (refused) and confirmations (need ``out_of_range_reason``); see above."""
    issues = _errors(plan)
    if issues:
        return issues
    pair = resolved(plan)
    assert pair is not None  # no errors means weight and dose are valid
    per_kg, total = pair
    if plan.mg_per_kg is not None and plan.total_mg is not None:
        expected = plan.weight_kg * plan.mg_per_kg
        tolerance = _TOTAL_TOLERANCE_MG + plan.weight_kg * 0.005 + 1e-9
        if abs(expected - plan.total_mg) > tolerance:
            return [
                DoseIssue(
                    IssueKind.ERROR,
                    "mismatch",
                    f"{fmt(plan.mg_per_kg)} mg/kg x {fmt(plan.weight_kg)} kg is "
                    f"{fmt(total_from_per_kg(plan.weight_kg, plan.mg_per_kg))} mg, "
                    f"not {fmt(plan.total_mg)} mg.",
                )
            ]
    if per_kg > MAX_MG_PER_KG or total > MAX_TOTAL_MG:
        return [
            DoseIssue(
                IssueKind.ERROR,
                "absurd",
                f"{fmt(per_kg)} mg/kg ({fmt(total)} mg) is far above any KAP dose "
                f"(the limit is {fmt(MAX_MG_PER_KG)} mg/kg and {fmt(MAX_TOTAL_MG)} mg); "
                "check the units.",
            )
        ]
    return _range_confirmations(plan, per_kg, total)


def _range_confirmations(plan: DosePlan, per_kg: float, total: float) -> list[DoseIssue]:
    route = Route(plan.route)
    usual = USUAL_RANGES[route]
    issues: list[DoseIssue] = []

    def question(code: str, what: str, low: float | None, high: float | None, unit: str) -> None:
        value = per_kg if unit == "mg/kg" else total
        shown = _round(value, 2 if unit == "mg/kg" else 1)
        if low is not None and shown < low:
            side = "below"
        elif high is not None and shown > high:
            side = "above"
        else:
            return
        issues.append(
            DoseIssue(
                IssueKind.CONFIRM,
                f"{side}_usual_{code}",
                f"{what} {fmt(shown)} {unit} is {side} the usual {route.label} range "
                f"({_range_text(low, high, unit)}); write why to go ahead.",
            )
        )

    question("per_kg", "The dose of", usual.min_mg_per_kg, usual.max_mg_per_kg, "mg/kg")
    question("total", "The total of", usual.min_total_mg, usual.max_total_mg, "mg")
    if route is Route.IV and plan.infusion_minutes is not None:
        low, high = IV_INFUSION_USUAL_MIN
        if not low <= plan.infusion_minutes <= high:
            issues.append(
                DoseIssue(
                    IssueKind.CONFIRM,
                    "infusion_unusual",
                    f"An infusion over {plan.infusion_minutes} minutes is outside the usual "
                    f"{low} to {high} minutes; write why to go ahead.",
                )
            )
    return issues


def _range_text(low: float | None, high: float | None, unit: str) -> str:
    if low is not None and high is not None:
        return f"{fmt(low)} to {fmt(high)} {unit}"
    if low is not None:
        return f"at least {fmt(low)} {unit}"
    return f"at most {fmt(high or 0)} {unit}"


def is_acceptable(plan: DosePlan) -> bool:
    """No errors, and any confirmation is answered by a written reason."""
    issues = validate_plan(plan)
    if any(i.kind is IssueKind.ERROR for i in issues):
        return False
    has_reason = bool((plan.out_of_range_reason or "").strip())
    return has_reason or not issues


def suggest_band(route: Route, mg_per_kg: float) -> DoseBand | None:
    """A starting suggestion for the band where the sources give one (IV and IM)."""
    route = Route(route)
    if route is Route.IV:  # seed 004: 0.2-0.3, 0.4-0.6, 0.7-1.0 mg/kg
        if mg_per_kg < 0.35:
            return DoseBand.LOW
        return DoseBand.MODERATE if mg_per_kg < 0.65 else DoseBand.HIGH
    if route is Route.IM:  # PRODUCT.md: 0.3-0.8 low, 1-2.5 high
        if mg_per_kg <= 0.8:
            return DoseBand.LOW
        return DoseBand.MODERATE if mg_per_kg < 1.0 else DoseBand.HIGH
    return None
