"""Discharge: modified Aldrete totals and the discharge rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kapcompanion.core import serial
from kapcompanion.core.discharge import (
    ALDRETE_CRITERIA,
    ALDRETE_KEYS,
    Discharge,
    aldrete_total,
    discharge_ready,
)


def scores(*values: int | None) -> dict[str, int | None]:
    return dict(zip(ALDRETE_KEYS, values, strict=True))


def ready_discharge(**changes: object) -> Discharge:
    d = Discharge(
        alert_oriented=True,
        vitals_near_baseline=True,
        walks_unassisted=True,
        escort_present=True,
        aftercare_reminded=True,
        aldrete=scores(2, 2, 2, 2, 2),
        escort_name="Sam",
    )
    for key, value in changes.items():
        setattr(d, key, value)
    return d


def test_five_criteria_with_three_levels() -> None:
    assert ALDRETE_KEYS == (
        "activity",
        "respiration",
        "circulation",
        "consciousness",
        "oxygen_saturation",
    )
    assert all(len(c.levels) == 3 for c in ALDRETE_CRITERIA)
    assert "four extremities" in ALDRETE_CRITERIA[0].levels[2]
    assert "92%" in ALDRETE_CRITERIA[4].levels[2]


@pytest.mark.parametrize(
    ("values", "total"),
    [((2, 2, 2, 2, 2), 10), ((0, 0, 0, 0, 0), 0), ((2, 2, 1, 2, 2), 9), ((1, 2, 1, 2, 2), 8)],
)
def test_aldrete_total(values: tuple[int, ...], total: int) -> None:
    assert aldrete_total(scores(*values)) == total


def test_aldrete_incomplete_is_none() -> None:
    assert aldrete_total(scores(2, 2, None, 2, 2)) is None
    assert aldrete_total({}) is None


@pytest.mark.parametrize("bad", [3, -1, True])
def test_aldrete_invalid_scores(bad: int) -> None:
    with pytest.raises(ValueError, match="must be 0, 1 or 2"):
        aldrete_total(scores(2, bad, 2, 2, 2))
    with pytest.raises(ValueError, match="Unknown Aldrete criterion 'colour'"):
        aldrete_total({"colour": 2})


def test_ready() -> None:
    check = discharge_ready(ready_discharge(), safety_flag_active=False)
    assert check.ready and check.missing == [] and check.aldrete_total == 10


def test_nine_is_enough_eight_is_not() -> None:
    assert discharge_ready(ready_discharge(aldrete=scores(2, 2, 1, 2, 2)), False).ready
    check = discharge_ready(ready_discharge(aldrete=scores(1, 2, 1, 2, 2)), False)
    assert not check.ready
    assert check.missing == ["Modified Aldrete score 8 of 10 is below 9"]
    assert check.aldrete_total == 8


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("alert_oriented", "Alert and oriented"),
        ("vitals_near_baseline", "Vitals back near baseline"),
        ("walks_unassisted", "Walks unassisted"),
        ("escort_present", "Escort present"),
        ("aftercare_reminded", "Aftercare reminded"),
    ],
)
def test_each_criterion_is_required(field: str, label: str) -> None:
    check = discharge_ready(ready_discharge(**{field: False}), False)
    assert not check.ready and check.missing == [label]


def test_escort_needs_a_name() -> None:
    check = discharge_ready(ready_discharge(escort_name="  "), False)
    assert check.missing == ["Escort's name"]


def test_aldrete_required_unless_the_clinic_opts_out() -> None:
    unscored = ready_discharge(aldrete=scores(None, None, None, None, None))
    check = discharge_ready(unscored, False)
    assert check.missing == [
        "Modified Aldrete score incomplete: Activity, Respiration, Circulation, "
        "Consciousness, Oxygen saturation"
    ]
    assert discharge_ready(unscored, False, require_aldrete=False).ready
    partly = ready_discharge(aldrete=scores(2, None, 2, 2, 2))
    assert not discharge_ready(partly, False, require_aldrete=False).ready


def test_invalid_aldrete_is_reported_not_raised() -> None:
    check = discharge_ready(ready_discharge(aldrete=scores(2, 5, 2, 2, 2)), False)
    assert not check.ready and check.aldrete_total is None
    assert "Aldrete respiration must be 0, 1 or 2, not 5." in check.missing


def test_safety_note_required_when_a_suicide_risk_flag_is_active() -> None:
    check = discharge_ready(ready_discharge(), safety_flag_active=True)
    assert check.missing == ["Safety note (a suicide-risk flag is active)"]
    assert not discharge_ready(ready_discharge(safety_note="  "), True).ready
    noted = ready_discharge(safety_note="Safety plan reviewed; crisis line 988 given.")
    assert discharge_ready(noted, True).ready


def test_discharge_round_trips() -> None:
    d = ready_discharge(discharged_at=datetime(2025, 3, 4, 12, 0, tzinfo=UTC), safety_note="x")
    assert serial.load(Discharge, serial.to_jsonable(d)) == d
