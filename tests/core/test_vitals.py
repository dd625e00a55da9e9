"""Vitals: validation, flagging at the threshold edges, the schedule and what is due."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcompanion.core import serial
from kapcompanion.core.vitals import (
    VitalReading,
    VitalThresholds,
    flag_reading,
    is_critical,
    next_due,
    recheck_due,
    validate_reading,
    vitals_schedule,
)

AT = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def reading(
    systolic: int | None = 120,
    diastolic: int | None = 80,
    heart_rate: int | None = 72,
    spo2: int | None = 98,
    pre_dose: bool = False,
) -> VitalReading:
    return VitalReading(systolic, diastolic, heart_rate, spo2, AT, None, pre_dose)


def test_normal_reading_is_valid_and_unflagged() -> None:
    assert validate_reading(reading()) == []
    assert flag_reading(reading()) == []
    assert flag_reading(reading(pre_dose=True)) == []


def test_at_least_one_value() -> None:
    assert validate_reading(reading(None, None, None, None)) == [
        "Enter at least one value: blood pressure, heart rate or SpO2."
    ]
    assert validate_reading(reading(None, None, None, 97)) == []


def test_blood_pressure_needs_both_numbers() -> None:
    problems = validate_reading(reading(120, None))
    assert problems == ["Enter blood pressure as both systolic and diastolic (e.g. 120/80 mmHg)."]


@pytest.mark.parametrize(("systolic", "diastolic"), [(80, 120), (90, 90)])
def test_diastolic_at_or_above_systolic_is_refused(systolic: int, diastolic: int) -> None:
    problems = validate_reading(reading(systolic, diastolic))
    assert len(problems) == 1
    assert f"Diastolic {diastolic} mmHg must be below systolic {systolic} mmHg" in problems[0]


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"systolic": 1200, "diastolic": 80}, "Systolic 1200 mmHg is not possible"),
        ({"systolic": 401, "diastolic": 80}, "it can be 0 to 400 mmHg"),
        ({"systolic": 120, "diastolic": 301}, "Diastolic 301 mmHg is not possible"),
        ({"heart_rate": 351}, "Heart rate 351 bpm is not possible"),
        ({"heart_rate": -1}, "Heart rate -1 bpm is not possible"),
        ({"spo2": 101}, "SpO2 101% is not possible; it can be 0 to 100%"),
        ({"spo2": -3}, "SpO2 -3% is not possible"),
    ],
)
def test_impossible_values_are_refused(values: dict[str, int], fragment: str) -> None:
    problems = validate_reading(reading(**values))  # type: ignore[arg-type]
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"systolic": 49, "diastolic": 30}, "Systolic 49 mmHg is critical (below 50 mmHg)"),
        ({"systolic": 0, "diastolic": 0}, "Systolic 0 mmHg is critical"),
        ({"systolic": 310, "diastolic": 150}, "Systolic 310 mmHg is critical (above 300 mmHg)"),
        ({"systolic": 120, "diastolic": 19}, "Diastolic 19 mmHg is critical (below 20 mmHg)"),
        ({"heart_rate": 0}, "Heart rate 0 bpm is critical (below 20 bpm)"),
        ({"heart_rate": 301}, "Heart rate 301 bpm is critical (above 300 bpm)"),
        ({"spo2": 49}, "SpO2 49% is critical (below 50%)"),
        ({"spo2": 0}, "SpO2 0% is critical"),
    ],
)
def test_crisis_readings_are_stored_and_flagged_critical(
    values: dict[str, int], fragment: str
) -> None:
    """Issue 19: a real crisis reading can be recorded; it is flagged critical, not refused."""
    r = reading(**values)  # type: ignore[arg-type]
    assert validate_reading(r) == []
    for pre in (False, True):
        flags = flag_reading(reading(**values, pre_dose=pre))
        assert any(fragment in f for f in flags), flags
        assert is_critical(flags)
        # the critical flag replaces the ordinary one for the same value
        field = fragment.split(" ")[0]
        assert sum(f.startswith(field) for f in flags) == 1, flags


def test_ordinary_flags_are_not_critical() -> None:
    flags = flag_reading(reading(165, 85, 72, 90))
    assert flags and not is_critical(flags)


def test_recheck_after_a_flagged_latest_reading() -> None:
    quiet = VitalReading(120, 80, 72, 98, AT)
    loud = VitalReading(185, 115, 72, 88, AT.replace(minute=40))
    loud.flags = flag_reading(loud)
    assert recheck_due([], 5) is None
    assert recheck_due([quiet], 5) is None
    assert recheck_due([quiet, loud], 5) == AT.replace(minute=45)
    later = VitalReading(130, 80, 72, 97, AT.replace(minute=44))
    assert recheck_due([quiet, loud, later], 5) is None  # the recheck was taken and is fine


@pytest.mark.parametrize(
    "values",
    [
        {"systolic": 0, "diastolic": 0},
        {"systolic": 400, "diastolic": 300},
        {"heart_rate": 0},
        {"heart_rate": 350},
        {"spo2": 0},
        {"spo2": 100},
    ],
)
def test_physical_edges_are_accepted(values: dict[str, int]) -> None:
    assert validate_reading(reading(**values)) == []  # type: ignore[arg-type]


def test_non_integers_are_refused() -> None:
    assert validate_reading(reading(heart_rate=72.5)) == ["72.5 is not a whole number."]  # type: ignore[arg-type]


# Threshold edges (PRODUCT.md defaults): each pair is (not flagged, flagged).
@pytest.mark.parametrize(
    ("quiet", "loud", "message"),
    [
        (reading(140, 90, pre_dose=True), reading(141, 90, pre_dose=True), "flag above 140/90"),
        (reading(140, 90, pre_dose=True), reading(140, 91, pre_dose=True), "before dosing"),
        (reading(159, 80), reading(160, 80), "Systolic 160 mmHg (flag at 160 or more)."),
        (reading(150, 99), reading(150, 100), "Diastolic 100 mmHg (flag at 100 or more)."),
        (
            reading(heart_rate=119),
            reading(heart_rate=120),
            "Heart rate 120 bpm (flag at 120 or more)",
        ),
        (reading(spo2=92), reading(spo2=91), "SpO2 91% is low (flag below 92%)."),
        (
            reading(heart_rate=50),
            reading(heart_rate=49),
            "Heart rate 49 bpm is low (flag below 50)",
        ),
        (reading(90, 60), reading(89, 60), "Systolic 89 mmHg is low (flag below 90)"),
    ],
)
def test_threshold_edges(quiet: VitalReading, loud: VitalReading, message: str) -> None:
    assert flag_reading(quiet) == []
    flags = flag_reading(loud)
    assert len(flags) == 1 and message in flags[0]


def test_pre_dose_uses_its_own_blood_pressure_rule() -> None:
    # 150/95 is flagged before dosing (above 140/90) but not in session (below 160/100).
    assert flag_reading(reading(150, 95, pre_dose=True)) == [
        "Blood pressure 150/95 mmHg before dosing (flag above 140/90 mmHg)."
    ]
    assert flag_reading(reading(150, 95)) == []
    # Heart rate and SpO2 apply before dosing too.
    assert len(flag_reading(reading(heart_rate=125, spo2=90, pre_dose=True))) == 2


def test_several_flags_and_clinic_thresholds() -> None:
    assert len(flag_reading(reading(170, 105, 130, 88))) == 4
    strict = VitalThresholds(systolic_at_or_above=150)
    assert flag_reading(reading(150, 80), strict) == ["Systolic 150 mmHg (flag at 150 or more)."]


def test_schedule_every_15_minutes_to_the_end() -> None:
    assert vitals_schedule(3600) == [0.0, 900.0, 1800.0, 2700.0, 3600.0]
    assert vitals_schedule(4800, every_min=20) == [0.0, 1200.0, 2400.0, 3600.0, 4800.0]
    # The end is added when it is not on the grid...
    assert vitals_schedule(4200) == [0.0, 900.0, 1800.0, 2700.0, 3600.0, 4200.0]
    # ...and replaces a regular reading less than 5 minutes before it.
    assert vitals_schedule(3720) == [0.0, 900.0, 1800.0, 2700.0, 3720.0]
    assert vitals_schedule(0) == [0.0]
    with pytest.raises(ValueError, match="more than 0 minutes"):
        vitals_schedule(3600, every_min=0)


def test_next_due() -> None:
    schedule = vitals_schedule(3600)
    # Nothing yet, before the dose: the pre-dose reading is due.
    assert next_due(schedule, [], -600, dosed=False) == 0.0
    # Arrival overran but still no dose: still the pre-dose reading.
    assert next_due(schedule, [], 400, dosed=False) == 0.0
    # Pre-dose reading taken: the next is 15 min after the dose.
    assert next_due(schedule, [-300], -200, dosed=False) == 900.0
    assert next_due(schedule, [-300], 100) == 900.0
    # Overdue at 16 minutes (it is before now).
    assert next_due(schedule, [-300], 960) == 900.0
    # Taken two minutes early counts; taken earlier than that does not.
    assert next_due(schedule, [-300, 780], 800) == 1800.0
    assert next_due(schedule, [-300, 779], 800) == 900.0
    # A slot whose window closed unmet is missed; the next one is due.
    assert next_due(schedule, [-300], 1700) == 1800.0
    # All done.
    assert next_due(schedule, [-300, 900, 1800, 2700, 3600], 3700) is None


@given(
    end=st.floats(min_value=1, max_value=6 * 3600, allow_nan=False),
    every=st.integers(min_value=5, max_value=60),
)
def test_schedule_properties(end: float, every: int) -> None:
    slots = vitals_schedule(end, every)
    assert slots[0] == 0.0 and slots[-1] == end
    assert slots == sorted(set(slots))
    # Gaps never exceed the interval, except where the end replaced a reading just before it.
    longest = every * 60 + min(300, every * 20)
    assert all(b - a < longest + 1e-6 for a, b in itertools.pairwise(slots))
    assert all(b - a <= every * 60 + 1e-6 for a, b in itertools.pairwise(slots[:-1]))


def test_reading_round_trips() -> None:
    r = VitalReading(150, 95, 88, 97, AT, -120.0, True, ["high"], "left arm")
    assert serial.load(VitalReading, serial.to_jsonable(r)) == r
