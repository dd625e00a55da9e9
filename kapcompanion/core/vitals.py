"""Vital signs: validation, flagging against clinic thresholds, and the reading schedule.

Thresholds (clinic-editable through :class:`VitalThresholds`):

- before dosing, blood pressure above 140/90 mmHg (the esketamine label's threshold for
  weighing the risk of a rise in blood pressure);
- in session, systolic 160 mmHg or more, diastolic 100 mmHg or more, heart rate 120 bpm
  or more, SpO2 below 92%;
- added here as sensible defaults, at any time: heart rate below 50 bpm and systolic below
  90 mmHg (the usual bedside definitions of bradycardia and hypotension; a fit client may
  run below 50 bpm at rest, so this asks for a look, nothing more). The heart-rate and
  SpO2 in-session thresholds also apply before dosing.

Validation refuses only what is not a reading at all: an empty entry, a value that is not a
whole number, half a blood pressure, a diastolic above the systolic, or a value no body can
show (systolic above 400 mmHg, diastolic above 300 mmHg, heart rate above 350 bpm, SpO2
above 100%). Every physically possible reading is stored, down to 0: a crisis must be
recordable. Readings beyond the old plausibility limits (systolic below 50 or above 300 mmHg,
diastolic below 20 or above 200 mmHg, heart rate below 20 or above 300 bpm, SpO2 below 50%)
are flagged **critical** ("check the client at once, then the probe") in place of the
ordinary flag for that value.

A flagged reading puts the session in an alert state (``services.session``): a banner until
it is acknowledged with a note, and a recheck due :func:`recheck_due` minutes later (the
clinic's ``vitals_recheck_minutes``, 5 by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: what can be stored at all (physically possible, from 0)
SYSTOLIC_RANGE = (0, 400)
DIASTOLIC_RANGE = (0, 300)
HEART_RATE_RANGE = (0, 350)
SPO2_RANGE = (0, 100)
#: outside these a stored reading is flagged critical
CRITICAL_SYSTOLIC = (50, 300)
CRITICAL_DIASTOLIC = (20, 200)
CRITICAL_HEART_RATE = (20, 300)
CRITICAL_SPO2_BELOW = 50


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
                f"{name} {value}{space}{unit} is not possible; it can be {low} to "
                f"{high}{space}{unit}. Check the entry or the device."
            )
    if sys_ is not None and dia is not None and dia >= sys_ and not (sys_ == dia == 0):
        problems.append(
            f"Diastolic {dia} mmHg must be below systolic {sys_} mmHg; were they swapped?"
        )
    return problems


def _critical(name: str, value: int | None, unit: str, low: int, high: int | None) -> str:
    if value is None:
        return ""
    space = "" if unit == "%" else " "
    if value < low:
        where = f"below {low}{space}{unit}"
    elif high is not None and value > high:
        where = f"above {high}{space}{unit}"
    else:
        return ""
    return (
        f"{name} {value}{space}{unit} is critical ({where}): check the client at once, "
        "then the probe."
    )


def flag_reading(reading: VitalReading, thresholds: VitalThresholds | None = None) -> list[str]:
    """Human-readable flags (with units) for a valid reading; empty when nothing stands out.

    A critical value (module docstring) gets one critical flag in place of its ordinary ones.
    """
    t = thresholds or VitalThresholds()
    flags: list[str] = []
    sys_, dia = reading.systolic, reading.diastolic
    hr, spo2 = reading.heart_rate, reading.spo2
    crit_sys = _critical("Systolic", sys_, "mmHg", *CRITICAL_SYSTOLIC)
    crit_dia = _critical("Diastolic", dia, "mmHg", *CRITICAL_DIASTOLIC)
    crit_hr = _critical("Heart rate", hr, "bpm", *CRITICAL_HEART_RATE)
    crit_spo2 = _critical("SpO2", spo2, "%", CRITICAL_SPO2_BELOW, None)
    flags.extend(c for c in (crit_sys, crit_dia) if c)
    if reading.pre_dose:
        if (
            not (crit_sys or crit_dia)
            and sys_ is not None
            and dia is not None
            and (sys_ > t.pre_systolic_above or dia > t.pre_diastolic_above)
        ):
            flags.append(
                f"Blood pressure {sys_}/{dia} mmHg before dosing (flag above "
                f"{t.pre_systolic_above}/{t.pre_diastolic_above} mmHg)."
            )
    else:
        if not crit_sys and sys_ is not None and sys_ >= t.systolic_at_or_above:
            flags.append(f"Systolic {sys_} mmHg (flag at {t.systolic_at_or_above} or more).")
        if not crit_dia and dia is not None and dia >= t.diastolic_at_or_above:
            flags.append(f"Diastolic {dia} mmHg (flag at {t.diastolic_at_or_above} or more).")
    if not crit_sys and sys_ is not None and sys_ < t.systolic_below:
        flags.append(f"Systolic {sys_} mmHg is low (flag below {t.systolic_below}).")
    if crit_hr:
        flags.append(crit_hr)
    elif hr is not None and hr >= t.heart_rate_at_or_above:
        flags.append(f"Heart rate {hr} bpm (flag at {t.heart_rate_at_or_above} or more).")
    elif hr is not None and hr < t.heart_rate_below:
        flags.append(f"Heart rate {hr} bpm is low (flag below {t.heart_rate_below}).")
    if crit_spo2:
        flags.append(crit_spo2)
    elif spo2 is not None and spo2 < t.spo2_below:
        flags.append(f"SpO2 {spo2}% is low (flag below {t.spo2_below}%).")
    return flags


def is_critical(flags: Iterable[str]) -> bool:
    return any(" is critical (" in f for f in flags)


def recheck_due(readings: Sequence[VitalReading], minutes: float) -> datetime | None:
    """When the next reading is due because the latest one was flagged (None otherwise)."""
    if not readings:
        return None
    latest = max(readings, key=lambda r: r.taken_utc)
    if not latest.flags:
        return None
    return latest.taken_utc + timedelta(minutes=minutes)


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
