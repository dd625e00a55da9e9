"""Esketamine (Spravato) sessions: the preset, the label's monitoring, the acute-effect checks.

The Spravato label and its REMS (issue 16), as the session applies them:

- Esketamine is a nasal spray in single-use devices of 28 mg; the label doses are 56 mg
  (2 devices) and 84 mg (3 devices). 28 mg is a reduced dose and needs a reason like any dose
  outside the usual range (``core.dose.ESKETAMINE_USUAL``); the total is always whole devices.
- Blood pressure before the first device (above 140/90 mmHg the risk is weighed: the pre-dose
  threshold of ``core.vitals``), about 40 minutes after it, and before the end of monitoring
  (due 10 minutes before the end: :data:`BP_BEFORE_END_MIN`).
- Monitoring for at least 2 hours (:data:`MONITORING_MIN`) from the first device, until the
  patient is clinically stable and ready to leave. The session's dose time is the first
  device. This is the label's minimum, not a clinic setting; ending earlier needs a written,
  audited reason (an emergency transfer, say).
- Sedation and dissociation are watched during monitoring; respiratory depression too.

The acute-effect checks use the Modified Observer's Assessment of Alertness/Sedation
(MOAA/S, 0 to 5; the anchors below are the published scale). A score of 3 or less, or
respiratory depression observed, opens the session's alert like a flagged vital does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from kapcompanion.core.clock import PhaseKind, PlannedPhase
from kapcompanion.core.dose import ESKETAMINE_DEVICE_MG, DosePlan, Drug, Route
from kapcompanion.core.units import WeightUnit
from kapcompanion.core.vitals import next_due

DEVICE_MG = ESKETAMINE_DEVICE_MG
#: the label doses, in mg, with their devices
LABEL_DOSES_MG: tuple[int, ...] = (56, 84)
#: the label's minimum monitoring from the first device
MONITORING_MIN = 120
#: the label's blood pressure check after the first device
BP_AFTER_MIN = 40
#: the check "before the end" comes due this long before the end of monitoring
BP_BEFORE_END_MIN = 10

#: the preset's phases: arrival before the first device, then 120 minutes of monitoring
ESKETAMINE_PHASES: tuple[PlannedPhase, ...] = (
    PlannedPhase(PhaseKind.ARRIVAL, 15),
    PlannedPhase(PhaseKind.ONSET, 10),
    PlannedPhase(PhaseKind.PEAK, 30),
    PlannedPhase(PhaseKind.RETURN, 50),
    PlannedPhase(PhaseKind.DEBRIEF, 30),
)


def devices_for(total_mg: float) -> int:
    """Whole devices of 28 mg in a total (56 mg is 2)."""
    return int(total_mg // DEVICE_MG)


def esketamine_plan(
    weight_kg: float,
    devices: int,
    lot: str = "",
    *,
    weight_unit: WeightUnit = WeightUnit.KG,
    weight_entered: float | None = None,
    out_of_range_reason: str | None = None,
) -> DosePlan:
    """The preset's dose plan: intranasal esketamine, ``devices`` x 28 mg, with its lot.

    The plan is checked like any other (``core.dose.accept_plan``): 56 and 84 mg are the
    usual range; any other number of devices needs a reason.
    """
    return DosePlan(
        route=Route.INTRANASAL,
        weight_kg=weight_kg,
        total_mg=float(devices * DEVICE_MG),
        lot=lot.strip(),
        out_of_range_reason=out_of_range_reason,
        weight_unit=weight_unit,
        weight_entered=weight_entered,
        drug=Drug.ESKETAMINE.value,
        devices=devices,
    )


def is_esketamine(plan: DosePlan | dict[str, object]) -> bool:
    if isinstance(plan, DosePlan):
        return plan.esketamine
    return plan.get("drug") == Drug.ESKETAMINE.value


# --------------------------------------------------------------------------- blood pressure
@dataclass(frozen=True)
class BpSlot:
    offset_s: float  # from the first device; 0.0 stands for "before the first device"
    label: str


def monitoring_end_s(planned_end_s: float) -> float:
    """The end of monitoring: the planned end, never before 120 minutes."""
    return max(float(planned_end_s), MONITORING_MIN * 60.0)


def label_bp_slots(planned_end_s: float) -> tuple[BpSlot, ...]:
    """The label's blood pressure checks: before the first device, at 40 minutes after it,
    and before the end of monitoring."""
    return (
        BpSlot(0.0, "before the first device"),
        BpSlot(BP_AFTER_MIN * 60.0, f"{BP_AFTER_MIN} minutes after the first device"),
        BpSlot(
            monitoring_end_s(planned_end_s) - BP_BEFORE_END_MIN * 60.0,
            "before the end of monitoring",
        ),
    )


def bp_schedule(regular: Sequence[float], planned_end_s: float) -> list[float]:
    """The regular vitals schedule with the label's checks added (sorted, no duplicates).

    The check before the end replaces the regular readings from 5 minutes before it on (the
    regular end reading too): one reading in the last minutes before discharge."""
    label = [s.offset_s for s in label_bp_slots(planned_end_s)]
    last = label[-1]
    slots = {round(s, 3) for s in regular if s < last - 300.0}
    slots |= {round(s, 3) for s in label}
    return sorted(slots)


def label_slot_text(offset_s: float, planned_end_s: float) -> str:
    """'40 minutes after the first device' when ``offset_s`` is a label check, else ''."""
    for slot in label_bp_slots(planned_end_s):
        if abs(slot.offset_s - offset_s) < 1.0:
            return slot.label
    return ""


# --------------------------------------------------------------------------- acute effects
#: MOAA/S (Chernik et al. 1990, modified): the published anchors
MOAAS: dict[int, str] = {
    5: "Responds readily to name spoken in normal tone",
    4: "Lethargic response to name spoken in normal tone",
    3: "Responds only after name is called loudly and/or repeatedly",
    2: "Responds only after mild prodding or shaking",
    1: "Responds only after painful trapezius squeeze",
    0: "No response after painful trapezius squeeze",
}
#: a MOAA/S at or below this opens the alert (the label: sedation needs direct observation)
MOAAS_ALERT_AT_OR_BELOW = 3


class Dissociation(StrEnum):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def moaas_problem(score: object) -> str:
    """'' for a MOAA/S score 0 to 5, else what is wrong."""
    if isinstance(score, bool) or not isinstance(score, int) or score not in MOAAS:
        return f"A MOAA/S score is a whole number from 0 to 5, not {score!r}."
    return ""


def sedation_alert(score: int) -> bool:
    return score <= MOAAS_ALERT_AT_OR_BELOW


def moaas_text(score: int) -> str:
    """'MOAA/S 3: Responds only after name is called loudly and/or repeatedly'."""
    return f"MOAA/S {score}: {MOAAS.get(score, '?')}"


def acute_check_schedule(
    end_s: float, first_every_min: float, after_every_min: float, first_period_min: float = 60
) -> list[float]:
    """Offsets (s from the first device) when an acute-effect check is due: every
    ``first_every_min`` during the first ``first_period_min``, then every ``after_every_min``
    until ``end_s`` (the end of monitoring), and at the end."""
    if first_every_min <= 0 or after_every_min <= 0:
        raise ValueError("The check intervals must be more than 0 minutes.")
    slots: list[float] = []
    at = first_every_min * 60.0
    first_end = first_period_min * 60.0
    while at <= first_end and at < end_s:
        slots.append(at)
        at += first_every_min * 60.0
    at = (slots[-1] if slots else 0.0) + after_every_min * 60.0
    while at < end_s:
        slots.append(at)
        at += after_every_min * 60.0
    if end_s > 0 and (not slots or slots[-1] < end_s):
        slots.append(float(end_s))
    return slots


def next_check_due(schedule: Sequence[float], taken: Sequence[float], now_s: float) -> float | None:
    """The next check still open (taken from two minutes before until the next), or None."""
    # next_due's slot 0 is the pre-dose reading; the checks start after the first device
    due = next_due([0.0, *schedule], [-1.0, *taken], now_s, dosed=True)
    return None if due == 0.0 else due


# --------------------------------------------------------------------------- REMS medications
class RemsMedClass(StrEnum):
    """The concomitant medication classes the REMS Patient Monitoring Form asks about."""

    BENZODIAZEPINES = "benzodiazepines"
    HYPNOTICS = "non_benzodiazepine_hypnotics"
    PSYCHOSTIMULANTS = "psychostimulants"
    MAOIS = "maois"
    OPIOIDS = "opioids"

    @property
    def label(self) -> str:
        return _MED_LABELS[self]


_MED_LABELS = {
    RemsMedClass.BENZODIAZEPINES: "Benzodiazepines",
    RemsMedClass.HYPNOTICS: "Non-benzodiazepine sedative hypnotics",
    RemsMedClass.PSYCHOSTIMULANTS: "Psychostimulants",
    RemsMedClass.MAOIS: "Monoamine oxidase inhibitors (MAOIs)",
    RemsMedClass.OPIOIDS: "Opioids",
}
#: the intake's interacting-medication groups (``resources/medications.json``) per REMS class
_FROM_GROUP = {
    "benzodiazepines": RemsMedClass.BENZODIAZEPINES,
    "stimulants": RemsMedClass.PSYCHOSTIMULANTS,
    "maois": RemsMedClass.MAOIS,
    "opioids": RemsMedClass.OPIOIDS,
}
#: the "Z-drugs" and other non-benzodiazepine hypnotics (generic and brand), whole words
HYPNOTIC_NAMES: tuple[str, ...] = (
    "zolpidem",
    "ambien",
    "stilnox",
    "edluar",
    "intermezzo",
    "zaleplon",
    "sonata",
    "eszopiclone",
    "lunesta",
    "zopiclone",
    "imovane",
    "suvorexant",
    "belsomra",
    "lemborexant",
    "dayvigo",
    "daridorexant",
    "quviviq",
    "ramelteon",
    "rozerem",
)


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()) + " "


def rems_medication_classes(meds: Iterable[tuple[str, Sequence[str]]]) -> dict[str, list[str]]:
    """For each REMS class, the medication names that fall in it.

    ``meds`` are (name, interacting groups) pairs, the groups as the intake found them
    (``core.intake.medication_flags`` or the groups kept on the medication).
    """
    out: dict[str, list[str]] = {c.value: [] for c in RemsMedClass}
    for name, groups in meds:
        classes = {_FROM_GROUP[g] for g in groups if g in _FROM_GROUP}
        if any(f" {h} " in _words(name) for h in HYPNOTIC_NAMES):
            classes.add(RemsMedClass.HYPNOTICS)
        for c in classes:
            out[c.value].append(name)
    return out
