"""Vital signs: validation, flagging against clinic thresholds, and the reading schedule.

Thresholds (PRODUCT.md, clinic-editable through :class:`VitalThresholds`):

- before dosing, blood pressure above 140/90 mmHg (the esketamine label's threshold for
  weighing the risk of a rise in blood pressure);
- in session, systolic 160 mmHg or more, diastolic 100 mmHg or more, heart rate 120 bpm
  or more, SpO2 below 92%;
- added here as sensible defaults, at any time: heart rate below 50 bpm and systolic below
  90 mmHg (the usual bedside definitions of bradycardia and hypotension; a fit client may
  run below 50 bpm at rest, so this asks for a look, nothing more). The heart-rate and
  SpO2 in-session thresholds also apply before dosing.

Validation refuses what cannot be a real reading in an awake, walking client (a typing
or probe error): systolic outside 50-300 mmHg, diastolic outside 20-200 mmHg, diastolic
at or above systolic, heart rate outside 20-300 bpm, SpO2 outside 50-100%.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

SYSTOLIC_RANGE = (50, 300)
DIASTOLIC_RANGE = (20, 200)
HEART_RATE_RANGE = (20, 300)
SPO2_RANGE = (50, 100)


@dataclass
class VitalReading:
    systolic: int | None
    diastolic: int | None
    heart_rate: int | None
    spo2: int | None
    taken_utc: datetime
    offset_s: float | None = None  # seconds from the dose; None if not dosed yet
    pre_dose: bool = False
    flags: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class VitalThresholds:
    pre_systolic_above: int = 140
    pre_diastolic_above: int = 90
    systolic_at_or_above: int = 160
    diastolic_at_or_above: int = 100
    heart_rate_at_or_above: int = 120
    spo2_below: int = 92
    heart_rate_below: int = 50
    systolic_below: int = 90


def validate_reading(reading: VitalReading) -> list[str]:
    """Problems that make the reading impossible to store (empty when it is valid)."""
    problems: list[str] = []
    values = (reading.systolic, reading.diastolic, reading.heart_rate, reading.spo2)
    if all(v is None for v in values):
        return ["Enter at least one value: blood pressure, heart rate or SpO2."]
    for value in values:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(f"{value!r} is not a whole number.")
    if problems:
        return problems
    sys_, dia = reading.systolic, reading.diastolic
    if (sys_ is None) != (dia is None):
        problems.append("Enter blood pressure as both systolic and diastolic (e.g. 120/80 mmHg).")
    checks = (
        ("Systolic", sys_, SYSTOLIC_RANGE, "mmHg"),
        ("Diastolic", dia, DIASTOLIC_RANGE, "mmHg"),
        ("Heart rate", reading.heart_rate, HEART_RATE_RANGE, "bpm"),
        ("SpO2", reading.spo2, SPO2_RANGE, "%"),
    )
    for name, value, (low, high), unit in checks:
        if value is not None and not low <= value <= high:
            space = "" if unit == "%" else " "
            problems.append(
                f"{name} {value}{space}{unit} is not possible; expected {low} to "
                f"{high}{space}{unit}. Check the entry or the device."
            )
    if sys_ is not None and dia is not None and dia >= sys_:
        problems.append(
            f"Diastolic {dia} mmHg must be below systolic {sys_} mmHg; were they swapped?"
        )
    return problems


def flag_reading(reading: VitalReading, thresholds: VitalThresholds | None = None) -> list[str]:
    """Human-readable flags (with units) for a valid reading; empty when nothing stands out."""
    t = thresholds or VitalThresholds()
    flags: list[str] = []
    sys_, dia = reading.systolic, reading.diastolic
    if reading.pre_dose:
        if (
            sys_ is not None
            and dia is not None
            and (sys_ > t.pre_systolic_above or dia > t.pre_diastolic_above)
        ):
            flags.append(
                f"Blood pressure {sys_}/{dia} mmHg before dosing is above "
                f"{t.pre_systolic_above}/{t.pre_diastolic_above} mmHg."
            )
    else:
        if sys_ is not None and sys_ >= t.systolic_at_or_above:
            flags.append(f"Systolic {sys_} mmHg is {t.systolic_at_or_above} mmHg or more.")
        if dia is not None and dia >= t.diastolic_at_or_above:
            flags.append(f"Diastolic {dia} mmHg is {t.diastolic_at_or_above} mmHg or more.")
    if sys_ is not None and sys_ < t.systolic_below:
        flags.append(f"Systolic {sys_} mmHg is below {t.systolic_below} mmHg (low).")
    hr = reading.heart_rate
    if hr is not None and hr >= t.heart_rate_at_or_above:
        flags.append(f"Heart rate {hr} bpm is {t.heart_rate_at_or_above} bpm or more.")
    if hr is not None and hr < t.heart_rate_below:
        flags.append(f"Heart rate {hr} bpm is below {t.heart_rate_below} bpm (low).")
    if reading.spo2 is not None and reading.spo2 < t.spo2_below:
        flags.append(f"SpO2 {reading.spo2}% is below {t.spo2_below}%.")
    return flags


# A reading taken up to this long before a scheduled time counts for it.
EARLY_GRACE_S = 120.0
# A regular reading closer than 5 minutes (or a third of the interval, if shorter) to the
# end reading is dropped: the end reading covers it.
_MIN_GAP_TO_END_S = 300.0


def vitals_schedule(dose_offset_planned_end_s: float, every_min: float = 15) -> list[float]:
    """Offsets (s from the dose) when readings are due: ``0.0`` stands for "before
    dosing" (met by any reading at or before the dose), then every ``every_min``
    minutes, then the planned end (which replaces a regular reading just before it)."""
    if every_min <= 0:
        raise ValueError("The vitals interval must be more than 0 minutes.")
    end = float(dose_offset_planned_end_s)
    step = every_min * 60.0
    slots = [0.0]
    at = step
    while at < end:
        slots.append(at)
        at += step
    if end > 0:
        if len(slots) > 1 and end - slots[-1] < min(_MIN_GAP_TO_END_S, step / 3):
            slots.pop()
        slots.append(end)
    return slots


def _window(schedule: Sequence[float], index: int) -> tuple[float, float]:
    """The offsets [low, high) in which a reading meets slot ``index``."""
    if index == 0:
        return float("-inf"), 1e-9  # before dosing: any reading up to the dose
    low = schedule[index] - EARLY_GRACE_S
    high = schedule[index + 1] - EARLY_GRACE_S if index + 1 < len(schedule) else float("inf")
    return low, high


def next_due(
    schedule: Sequence[float],
    taken_offsets: Sequence[float],
    now_offset: float,
    dosed: bool = True,
) -> float | None:
    """The next scheduled offset still open and not met by a reading, or None.

    A slot is met by any reading in its window (from two minutes before it until two
    minutes before the next slot). A slot whose window has passed unmet is missed, not
    due. The result may lie before ``now_offset``: that reading is overdue. Pass pre-dose
    readings with offsets at or below 0; until the dose is given (``dosed=False``) the
    pre-dose reading stays due however long arrival runs.
    """
    if not dosed:
        now_offset = min(now_offset, 0.0)
    for index, slot in enumerate(schedule):
        low, high = _window(schedule, index)
        if any(low <= t < high for t in taken_offsets):
            continue
        if now_offset >= high:
            continue  # missed: its window has closed
        return slot
    return None


def flagged_fields(flags: Iterable[str]) -> set[str]:
    """Which values of a reading its flags name (the wording :func:`flag_reading` writes)."""
    fields: set[str] = set()
    for flag in flags:
        lower = flag.lower()
        if lower.startswith("blood pressure"):
            fields |= {"systolic", "diastolic"}
        elif lower.startswith("systolic"):
            fields.add("systolic")
        elif lower.startswith("diastolic"):
            fields.add("diastolic")
        elif lower.startswith("heart rate"):
            fields.add("heart_rate")
        elif lower.startswith("spo2"):
            fields.add("spo2")
    return fields
