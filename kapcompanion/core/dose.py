"""Dose plan arithmetic and range checks.

The plan records weight, dose in mg/kg and the total in mg (both shown), infusion length,
lot and dose band. Two kinds of issue come back from :func:`validate_plan`:

- ``error``: refused outright. Weight outside 30-250 kg; a missing, zero, negative or
  non-numeric dose; mg/kg and total that contradict each other; an IV plan without an
  infusion length; an absurd dose (more than 10 mg/kg or more than 1000 mg by any route,
  which no KAP protocol uses: the largest dose in the sources is 2.5 mg/kg IM).
- ``confirm``: outside the usual range for the route. Never silently accepted: the plan
  needs a written ``out_of_range_reason`` that is a reason of substance (a sentence, see
  ``core.reasons``).

Three levels above the usual range (issue 19): within it, fine; above it and up to the
clinic's maximum for the route, a reason of substance *and* a second confirmation that names
the number (:func:`confirmation_question`, "Give 700 mg IM (10 mg/kg)? This is above the usual
range."), after which the plan carries ``above_usual`` and every screen and PDF marks it;
above the clinic's maximum, refused (``above_max``). Extra doses during a session are checked
the same way against the session's running total (:func:`check_extra_dose`).

The usual ranges (``USUAL_RANGES``) are editable defaults drawn from the published
KAP literature (the sources are named in :data:`NOVA`, :data:`DAKWAR`, :data:`KRUPITSKY`), not
medical advice:

- IV: 0.1-1.0 mg/kg, typically 0.5 mg/kg over 40 minutes (the infusion studies reviewed
  by Nova Health Recovery run 40-52 minutes, one up to 92); infusions outside 30-120 minutes
  are questioned.
- IM: 0.3-2.5 mg/kg (0.3-0.8 low, 1-2.5 high) and 30-140 mg in total; both are checked.
- Sublingual or lozenge: the sources give 200-250 mg; we accept 50-300 mg without
  question, because practices titrate from lower starting doses, and question the rest.
- Intranasal: the plan does not record the enantiomer, so the range covers both
  esketamine (label doses 28, 56, 84 mg) and racemic ketamine (about 0.2-1.0 mg/kg in
  studies): 28-100 mg in total and 0.2-1.0 mg/kg.
- Oral: bioavailability about 20% (Nova Health Recovery), so doses are higher per kg than IV:
  0.5-3.0 mg/kg.

The clinic's maxima (``DEFAULT_MAXIMA``, editable in the settings ``dose_max_*``) default to
1.5 times the top of the usual range where the sources give nothing higher, and are all well
under the anaesthetic doses of the ketamine (Ketalar) label (IV induction 1-4.5 mg/kg,
2 mg/kg on average; IM 6.5-13 mg/kg):

- IV: 1.5 mg/kg (usual top 1.0 mg/kg, Nova Health Recovery's review).
- IM: 3.0 mg/kg and 300 mg: the top of ketamine psychedelic therapy's 2.0-3.0 mg/kg IM
  (Krupitsky and Grinenko 1997; "Ketamine's Role in Addiction Recovery" reports its
  2.0 mg/kg arm), 3.0 mg/kg at 100 kg.
- Sublingual or lozenge: 450 mg (1.5 times the 300 mg accepted without question).
- Intranasal: 1.5 mg/kg and 150 mg (1.5 times the usual top; esketamine's label maximum is
  84 mg per session).
- Oral: 4.5 mg/kg (1.5 times the usual top of 3.0 mg/kg; about 20% bioavailability).

Arithmetic is decimal, from the numbers as written (0.35 mg/kg x 73 kg is 25.55, not the
float 25.549999...), and rounds totals to 0.1 mg and mg/kg to 0.01, half up (as a person would
round): 25.6 mg. Weights keep the unit they were entered in (``core.units``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.core.reasons import reason_problem
from kapcompanion.core.units import Weight, WeightUnit, dec, number_text, round_half_up


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    SUBLINGUAL = "sublingual"
    INTRANASAL = "intranasal"
    ORAL = "oral"

    @property
    def label(self) -> str:
        return _ROUTE_LABELS[self]

    @property
    def short(self) -> str:
        """'IM', 'IV', 'sublingual': as it reads inside a sentence."""
        return _ROUTE_SHORT[self]


_ROUTE_LABELS = {
    Route.IV: "IV infusion",
    Route.IM: "Intramuscular (IM)",
    Route.SUBLINGUAL: "Sublingual or lozenge",
    Route.INTRANASAL: "Intranasal",
    Route.ORAL: "Oral",
}


_ROUTE_SHORT = {
    Route.IV: "IV",
    Route.IM: "IM",
    Route.SUBLINGUAL: "sublingual",
    Route.INTRANASAL: "intranasal",
    Route.ORAL: "oral",
}


class Drug(StrEnum):
    """What the plan gives: racemic ketamine, or esketamine (Spravato) nasal spray."""

    KETAMINE = "ketamine"
    ESKETAMINE = "esketamine"


#: esketamine comes in single-use nasal spray devices of 28 mg (Spravato label)
ESKETAMINE_DEVICE_MG = 28


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
    #: the unit the weight was entered in and the number typed (``core.units.Weight``)
    weight_unit: WeightUnit = WeightUnit.KG
    weight_entered: float | None = None
    #: set by :func:`accept_plan`: above the usual range, confirmed with this question
    above_usual: bool = False
    confirmed: str = ""
    #: what is given (``Drug``); esketamine is intranasal, in devices of 28 mg
    drug: str = Drug.KETAMINE.value
    devices: int | None = None

    @property
    def esketamine(self) -> bool:
        return self.drug == Drug.ESKETAMINE.value

    @property
    def weight(self) -> Weight:
        return Weight(self.weight_kg, WeightUnit(self.weight_unit), self.weight_entered)


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


#: The sources of the defaults, by their own titles (the articles the product was built from)
NOVA = 'Nova Health Recovery, "Ketamine-assisted psychotherapy" (a review of the trials)'
DAKWAR = "Dakwar et al., Am J Psychiatry 2019 (0.5 mg/kg IV over 40 minutes)"
KRUPITSKY = "Krupitsky et al., ketamine psychotherapy for heroin addiction (2.0 mg/kg IM)"

USUAL_RANGES: dict[Route, UsualRange] = {
    Route.IV: UsualRange(
        Route.IV, 0.1, 1.0, None, None, "0.5 mg/kg over 40 minutes", f"{NOVA}; {DAKWAR}"
    ),
    Route.IM: UsualRange(
        Route.IM,
        0.3,
        2.5,
        30.0,
        140.0,
        "0.3-0.8 mg/kg low, 1-2.5 mg/kg high",
        f"{NOVA}; {KRUPITSKY}",
    ),
    Route.SUBLINGUAL: UsualRange(Route.SUBLINGUAL, None, None, 50.0, 300.0, "200-250 mg", NOVA),
    Route.INTRANASAL: UsualRange(
        Route.INTRANASAL,
        0.2,
        1.0,
        28.0,
        100.0,
        "esketamine 28, 56 or 84 mg",
        "esketamine label; racemic intranasal studies",
    ),
    Route.ORAL: UsualRange(Route.ORAL, 0.5, 3.0, None, None, "bioavailability about 20%", NOVA),
}


@dataclass(frozen=True)
class DoseMaximum:
    """The clinic's maximum for a route: above it a plan or an extra dose is refused."""

    route: Route
    max_mg_per_kg: float | None
    max_total_mg: float | None
    source: str = ""


DEFAULT_MAXIMA: dict[Route, DoseMaximum] = {
    Route.IV: DoseMaximum(Route.IV, 1.5, None, f"1.5 x the usual top ({NOVA}); Ketalar label"),
    Route.IM: DoseMaximum(
        Route.IM, 3.0, 300.0, "Krupitsky and Grinenko 1997 (2.0-3.0 mg/kg IM); Ketalar label"
    ),
    Route.SUBLINGUAL: DoseMaximum(Route.SUBLINGUAL, None, 450.0, f"1.5 x the usual top ({NOVA})"),
    Route.INTRANASAL: DoseMaximum(
        Route.INTRANASAL, 1.5, 150.0, "1.5 x the usual top; esketamine label maximum 84 mg"
    ),
    Route.ORAL: DoseMaximum(Route.ORAL, 4.5, None, f"1.5 x the usual top ({NOVA})"),
}

Maxima = Mapping[Route, DoseMaximum]

#: esketamine's usual range is the label's doses (56 or 84 mg; 28 mg only as a reduced dose),
#: in mg in total: the label doses are not per kg, so mg/kg is shown but never checked
ESKETAMINE_USUAL = UsualRange(
    Route.INTRANASAL,
    None,
    None,
    56.0,
    84.0,
    "esketamine 56 or 84 mg (devices of 28 mg)",
    "Spravato (esketamine) label",
)


def usual_range(route: Route, drug: str = Drug.KETAMINE.value) -> UsualRange:
    """The usual range of a route, or esketamine's (label doses, in total only)."""
    if drug == Drug.ESKETAMINE.value:
        return ESKETAMINE_USUAL
    return USUAL_RANGES[Route(route)]


def maximum_for(
    route: Route, maxima: Maxima | None, drug: str = Drug.KETAMINE.value
) -> DoseMaximum:
    """The clinic's maximum of a route; for esketamine only its total counts (no per kg)."""
    maximum = (maxima or DEFAULT_MAXIMA)[Route(route)]
    if drug == Drug.ESKETAMINE.value:
        return dataclasses.replace(maximum, max_mg_per_kg=None)
    return maximum


WEIGHT_RANGE_KG = (30.0, 250.0)
MAX_MG_PER_KG = 10.0
MAX_TOTAL_MG = 1000.0
IV_INFUSION_USUAL_MIN = (30, 120)
# mg/kg and total may differ by rounding only: half a step of the total's rounding, plus
# half a step of the mg/kg rounding times the weight.
_TOTAL_TOLERANCE_MG = 0.05


def _round(value: float | Decimal, places: int) -> float:
    return float(round_half_up(value, places))


def fmt(value: float) -> str:
    """A number as people write it: 0.5, 35, 1.25 (no trailing zeros; half up to 0.01)."""
    return number_text(value, 2)


def total_from_per_kg(weight_kg: float, mg_per_kg: float) -> float:
    """Total mg for a weight and a dose per kg, to 0.1 mg (decimal, half up: 0.35 x 73 = 25.6)."""
    return _round(dec(weight_kg) * dec(mg_per_kg), 1)


def per_kg_from_total(weight_kg: float, total_mg: float) -> float:
    """Dose in mg/kg for a weight and a total, to 0.01 mg/kg (decimal, half up)."""
    if weight_kg <= 0:
        raise ValueError("Weight must be above 0 kg.")
    return _round(dec(total_mg) / dec(weight_kg), 2)


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def resolved(plan: DosePlan) -> tuple[float, float] | None:
    """(mg/kg, total mg) of a plan, computing whichever is missing; None if it cannot."""
    if not _finite(plan.weight_kg) or plan.weight_kg <= 0:
        return None
    if _finite(plan.mg_per_kg) and plan.mg_per_kg is not None:
        per_kg = plan.mg_per_kg
        total = plan.total_mg if _finite(plan.total_mg) else None
        if total is None:
            total = float(dec(plan.weight_kg) * dec(per_kg))
        return per_kg, total
    if _finite(plan.total_mg) and plan.total_mg is not None:
        return float(dec(plan.total_mg) / dec(plan.weight_kg)), plan.total_mg
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
    if plan.drug not in {d.value for d in Drug}:
        issues.append(DoseIssue(IssueKind.ERROR, "drug", f"Unknown drug {plan.drug!r}."))
    elif plan.esketamine:
        issues.extend(_esketamine_errors(plan))
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


def _esketamine_errors(plan: DosePlan) -> list[DoseIssue]:
    """Esketamine is a nasal spray in devices of 28 mg: the total is whole devices."""
    issues: list[DoseIssue] = []
    if Route(plan.route) is not Route.INTRANASAL:
        issues.append(
            DoseIssue(IssueKind.ERROR, "esketamine_route", "Esketamine is given intranasally.")
        )
    total = plan.total_mg
    if plan.devices is not None:
        if plan.devices < 1:
            issues.append(
                DoseIssue(IssueKind.ERROR, "devices", "Esketamine needs at least one device.")
            )
        elif total is not None and _finite(total) and total != plan.devices * ESKETAMINE_DEVICE_MG:
            issues.append(
                DoseIssue(
                    IssueKind.ERROR,
                    "devices",
                    f"{plan.devices} device(s) of {ESKETAMINE_DEVICE_MG} mg is "
                    f"{plan.devices * ESKETAMINE_DEVICE_MG} mg, not {fmt(total)} mg.",
                )
            )
    if total is not None and _finite(total) and total > 0 and total % ESKETAMINE_DEVICE_MG:
        issues.append(
            DoseIssue(
                IssueKind.ERROR,
                "devices",
                f"Esketamine comes in devices of {ESKETAMINE_DEVICE_MG} mg; {fmt(total)} mg is "
                "not a whole number of devices.",
            )
        )
    return issues


def validate_plan(plan: DosePlan, maxima: Maxima | None = None) -> list[DoseIssue]:
    """Errors (refused) and confirmations (need ``out_of_range_reason``); see above.

    ``maxima`` are the clinic's (``services.dose.clinic_maxima``); the defaults otherwise.
    """
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
    route = Route(plan.route)
    over = _above_maximum(route, per_kg, total, maximum_for(route, maxima, plan.drug))
    if over:
        return [
            DoseIssue(
                IssueKind.ERROR,
                "above_max",
                f"{dose_words(route, per_kg, total)} is above the clinic's maximum for "
                f"{route.short} ({over}); it cannot be planned. The maximum is a clinic "
                "setting.",
            )
        ]
    return _range_confirmations(plan, per_kg, total)


def dose_words(route: Route, per_kg: float | None, total: float) -> str:
    """'700 mg IM (10 mg/kg)'."""
    per = f" ({fmt(_round(per_kg, 2))} mg/kg)" if per_kg is not None else ""
    return f"{fmt(_round(total, 1))} mg {Route(route).short}{per}"


def maximum_text(maximum: DoseMaximum) -> str:
    """'3 mg/kg and 300 mg'."""
    parts = []
    if maximum.max_mg_per_kg is not None:
        parts.append(f"{fmt(maximum.max_mg_per_kg)} mg/kg")
    if maximum.max_total_mg is not None:
        parts.append(f"{fmt(maximum.max_total_mg)} mg")
    return " and ".join(parts) or "no maximum"


def _above_maximum(route: Route, per_kg: float | None, total: float, maximum: DoseMaximum) -> str:
    """'' when within the clinic's maximum, else the maximum in words."""
    shown_total = _round(total, 1)
    over_per_kg = (
        per_kg is not None
        and maximum.max_mg_per_kg is not None
        and _round(per_kg, 2) > maximum.max_mg_per_kg
    )
    over_total = maximum.max_total_mg is not None and shown_total > maximum.max_total_mg
    return maximum_text(maximum) if over_per_kg or over_total else ""


def is_above_usual(issues: Sequence[DoseIssue]) -> bool:
    return any(i.code.startswith("above_usual_") for i in issues)


def confirmation_question(plan: DosePlan) -> str:
    """The second confirmation a dose above the usual range needs; it names the number."""
    pair = resolved(plan)
    if pair is None:
        return ""
    per_kg, total = pair
    words = dose_words(Route(plan.route), None if plan.esketamine else per_kg, total)
    drug = "esketamine " if plan.esketamine else ""
    return f"Give {drug}{words}? This is above the usual range."


class DoseRefused(ValueError):
    """A plan or an extra dose that cannot be recorded as asked; the message says why."""

    def __init__(self, message: str, *, needs_confirmation: str = "") -> None:
        super().__init__(message)
        self.message = message
        #: the question to confirm when that is all that is missing
        self.needs_confirmation = needs_confirmation


def accept_plan(plan: DosePlan, maxima: Maxima | None = None, confirmation: str = "") -> DosePlan:
    """The completed plan, marked ``above_usual`` when it is, or :class:`DoseRefused`.

    Within the usual range: accepted. Outside it (below, or an unusual infusion length): a
    reason of substance. Above it, up to the clinic's maximum: a reason of substance and
    ``confirmation`` equal to :func:`confirmation_question` for this very dose. Above the
    maximum (or any error): refused.
    """
    plan = complete_plan(plan)
    issues = validate_plan(plan, maxima)
    errors = [i.message for i in issues if i.kind is IssueKind.ERROR]
    if errors:
        raise DoseRefused(" ".join(errors))
    confirms = [i.message for i in issues if i.kind is IssueKind.CONFIRM]
    above = is_above_usual(issues)
    if not confirms:
        return dataclasses.replace(plan, above_usual=False, confirmed="")
    problem = reason_problem(plan.out_of_range_reason)
    if problem:
        raise DoseRefused(" ".join(confirms) + " " + problem)
    question = confirmation_question(plan) if above else ""
    if above and confirmation.strip() != question:
        raise DoseRefused(f"{question} Confirm this dose to go ahead.", needs_confirmation=question)
    return dataclasses.replace(
        plan,
        out_of_range_reason=" ".join((plan.out_of_range_reason or "").split()),
        above_usual=above,
        confirmed=question,
    )


def plan_problem(plan: DosePlan, maxima: Maxima | None = None, confirmation: str = "") -> str:
    """'' when :func:`accept_plan` would accept the plan, else its message."""
    try:
        accept_plan(plan, maxima, confirmation)
    except DoseRefused as exc:
        return exc.message
    return ""


ABOVE_USUAL_MARK = "above the usual range"


def plan_summary(plan: DosePlan) -> str:
    """'34 mg IM (0.5 mg/kg for 68.0 kg, 150 lb) · above the usual range' for lists, headers
    and PDFs; the mark shows whenever the plan is above the usual range."""
    pair = resolved(plan) if _finite(plan.weight_kg) and plan.weight_kg > 0 else None
    if pair is None:
        weight = plan.weight.text() if _finite(plan.weight_kg) else "no weight"
        text = f"{Route(plan.route).short}, {weight}"
    else:
        per_kg, total = pair
        text = (
            f"{fmt(_round(total, 1))} mg {Route(plan.route).short} "
            f"({fmt(_round(per_kg, 2))} mg/kg for {plan.weight.inline_text()})"
        )
    if Route(plan.route) is Route.IV and plan.infusion_minutes:
        text += f" over {plan.infusion_minutes} min"
    if plan.esketamine:
        devices = plan.devices or (
            int(plan.total_mg // ESKETAMINE_DEVICE_MG) if plan.total_mg is not None else 0
        )
        text = f"Esketamine {text}"
        if devices:
            text += f", {devices} device{'s' if devices != 1 else ''} of {ESKETAMINE_DEVICE_MG} mg"
    if plan.above_usual:
        text += f" · {ABOVE_USUAL_MARK}"
    return text


def _range_confirmations(plan: DosePlan, per_kg: float, total: float) -> list[DoseIssue]:
    route = Route(plan.route)
    usual = usual_range(route, plan.drug)
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
                f"{what} {fmt(shown)} {unit} is {side} the usual "
                f"{'esketamine' if plan.esketamine else route.label} range "
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


def is_acceptable(plan: DosePlan, maxima: Maxima | None = None) -> bool:
    """No errors; a confirmation is answered by a reason of substance and, above the usual
    range, by the stored confirmation of this very dose (see :func:`accept_plan`)."""
    return plan_problem(plan, maxima, plan.confirmed) == ""


def suggest_band(route: Route, mg_per_kg: float) -> DoseBand | None:
    """A starting suggestion for the band where the sources give one (IV and IM)."""
    route = Route(route)
    # the IV studies reviewed by Nova Health Recovery: 0.2-0.3, 0.4-0.6, 0.7-1.0 mg/kg
    if route is Route.IV:
        if mg_per_kg < 0.35:
            return DoseBand.LOW
        return DoseBand.MODERATE if mg_per_kg < 0.65 else DoseBand.HIGH
    if route is Route.IM:  # 0.3-0.8 low, 1-2.5 high (Nova Health Recovery; Krupitsky)
        if mg_per_kg <= 0.8:
            return DoseBand.LOW
        return DoseBand.MODERATE if mg_per_kg < 1.0 else DoseBand.HIGH
    return None


# --------------------------------------------------------------------------- extra doses
class DoseLevel(StrEnum):
    USUAL = "usual"
    ABOVE_USUAL = "above_usual"
    ABOVE_MAX = "above_max"


@dataclass(frozen=True)
class ExtraDoseCheck:
    level: DoseLevel
    running_total_mg: float  # the planned dose (once given), earlier extras and this one
    running_mg_per_kg: float | None
    message: str
    question: str = ""  # the confirmation to give when above the usual range


def extra_doses_mg(events: Sequence[SessionEvent]) -> list[float]:
    """The extra doses recorded in a session, in mg, as last corrected."""
    latest: dict[int, Mapping[str, Any]] = {}
    for e in events:
        if e.kind is EventKind.CORRECTION and e.corrects_id is not None:
            body = e.payload.get("payload")
            if isinstance(body, Mapping):
                latest[e.corrects_id] = body
    amounts = []
    for e in events:
        if e.kind is not EventKind.EXTRA_DOSE:
            continue
        payload = latest.get(e.id or -1, e.payload)
        value = payload.get("total_mg", payload.get("mg"))
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            amounts.append(float(value))
    return amounts


def check_extra_dose(
    plan: DosePlan,
    extra_mg: float,
    *,
    earlier_extras_mg: Sequence[float] = (),
    dose_given: bool = True,
    route: Route | str | None = None,
    maxima: Maxima | None = None,
) -> ExtraDoseCheck:
    """An extra dose against the session's running total and the same three levels.

    The running total is the planned dose (once given), the earlier extras and this one;
    it is checked against the usual range and the clinic's maximum of the session's route,
    and of the extra's route too when that differs (the stricter answer counts).
    """
    if not _finite(extra_mg) or extra_mg <= 0:
        raise DoseRefused("Enter the extra dose in mg, above 0.")
    plan = complete_plan(plan)
    planned = resolved(plan)
    base = planned[1] if planned is not None and dose_given else 0.0
    total = float(
        round_half_up(sum((dec(v) for v in (*earlier_extras_mg, extra_mg)), dec(base)), 1)
    )
    weight_ok = _finite(plan.weight_kg) and plan.weight_kg > 0
    per_kg = per_kg_from_total(plan.weight_kg, total) if weight_ok else None
    routes = [Route(plan.route)]
    if route is not None and Route(route) not in routes:
        routes.append(Route(route))
    level = DoseLevel.USUAL
    limits: list[str] = []
    for r in routes:
        drug = plan.drug if r is Route(plan.route) else Drug.KETAMINE.value
        maximum = maximum_for(r, maxima, drug)
        if _above_maximum(r, per_kg, total, maximum):
            level = DoseLevel.ABOVE_MAX
            limits.append(f"the clinic's maximum for {r.short} is {maximum_text(maximum)}")
        elif level is DoseLevel.USUAL and _above_usual(r, per_kg, total, drug):
            level = DoseLevel.ABOVE_USUAL
    words = dose_words(routes[0], per_kg, total)
    extra = f"{fmt(_round(extra_mg, 1))} mg"
    if level is DoseLevel.ABOVE_MAX:
        return ExtraDoseCheck(
            level,
            total,
            per_kg,
            f"An extra {extra} brings this session to {words}, above the clinic's maximum "
            f"({'; '.join(limits)}); it cannot be recorded as a dose to give.",
        )
    if level is DoseLevel.ABOVE_USUAL:
        question = f"Give an extra {extra}, {words} in this session? This is above the usual range."
        return ExtraDoseCheck(
            level,
            total,
            per_kg,
            f"An extra {extra} brings this session to {words}, above the usual range: "
            "write the reason and confirm the dose.",
            question,
        )
    return ExtraDoseCheck(level, total, per_kg, f"This session's total is {words}.")


def _above_usual(
    route: Route, per_kg: float | None, total: float, drug: str = Drug.KETAMINE.value
) -> bool:
    usual = usual_range(route, drug)
    over_per_kg = per_kg is not None and usual.max_mg_per_kg is not None
    if over_per_kg and _round(per_kg or 0, 2) > (usual.max_mg_per_kg or 0):
        return True
    return usual.max_total_mg is not None and _round(total, 1) > usual.max_total_mg


def accept_extra_dose(check: ExtraDoseCheck, reason: str, confirmation: str) -> None:
    """Refuse (:class:`DoseRefused`) what ``check`` does not allow as answered."""
    if check.level is DoseLevel.ABOVE_MAX:
        raise DoseRefused(check.message)
    if check.level is DoseLevel.ABOVE_USUAL:
        problem = reason_problem(reason)
        if problem:
            raise DoseRefused(f"{check.message} {problem}", needs_confirmation=check.question)
        if confirmation.strip() != check.question:
            raise DoseRefused(
                f"{check.question} Confirm this dose to go ahead.",
                needs_confirmation=check.question,
            )
