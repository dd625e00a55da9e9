"""Weight and height parsing and conversion (issue 19): exact pounds, never the other unit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapcompanion.core import serial
from kapcompanion.core.units import (
    KG_PER_LB,
    Height,
    HeightUnit,
    UnitError,
    Weight,
    WeightUnit,
    kg_to_lb,
    lb_to_kg,
    parse_height,
    parse_weight,
    round_half_up,
)


def test_the_pound_is_exactly_0_45359237_kg() -> None:
    assert Decimal("0.45359237") == KG_PER_LB
    assert lb_to_kg(1) == Decimal("0.45359237")
    assert lb_to_kg(150) == Decimal("68.03885550")
    assert kg_to_lb(Decimal("0.45359237")) == 1


@pytest.mark.parametrize(
    ("text", "field_unit", "kg", "unit", "entered"),
    [
        ("150 lb", "kg", 68.0, WeightUnit.LB, 150.0),  # the issue's own example
        ("150lb", "kg", 68.0, WeightUnit.LB, 150.0),
        ("150 lbs", "kg", 68.0, WeightUnit.LB, 150.0),
        ("150lbs", "kg", 68.0, WeightUnit.LB, 150.0),
        ("150 LB.", "kg", 68.0, WeightUnit.LB, 150.0),
        ("150 pounds", "kg", 68.0, WeightUnit.LB, 150.0),
        ("68kg", "lb", 68.0, WeightUnit.KG, None),  # a unit in the text beats the field's
        ("68 kg", "lb", 68.0, WeightUnit.KG, None),
        ("68 Kgs", "lb", 68.0, WeightUnit.KG, None),
        ("68", "kg", 68.0, WeightUnit.KG, None),
        ("150", "lb", 68.0, WeightUnit.LB, 150.0),  # a bare number is in the field's unit
        ("68.5 kg", "kg", 68.5, WeightUnit.KG, None),
        ("68,5 kg", "kg", 68.5, WeightUnit.KG, None),  # a decimal comma
        ("  220.4  lb ", "kg", 100.0, WeightUnit.LB, 220.4),  # 99.97 kg, half up
        ("154.3 lb", "kg", 70.0, WeightUnit.LB, 154.3),
    ],
)
def test_weights_are_read_in_the_unit_written(
    text: str, field_unit: str, kg: float, unit: WeightUnit, entered: float | None
) -> None:
    weight = parse_weight(text, field_unit)
    assert (weight.kg, weight.unit, weight.entered) == (kg, unit, entered)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("150 st", "“st” is not a unit this field knows; write kg or lb"),
        ("150 kg lb", "not a unit"),
        ("150 g", "not a unit"),
        ("abc", "is not a weight"),
        ("lb 150", "is not a weight"),
        ("", "Enter the weight"),
        ("0 kg", "above 0"),
        ("-70 kg", "cannot be negative"),
        ("1,500 lb", "could be read two ways"),
        ("68..5", "is not a weight"),
    ],
)
def test_unreadable_weights_are_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_weight(text, "kg")


def test_weight_shows_both_units() -> None:
    assert parse_weight("150 lb", "kg").text() == "68.0 kg (150 lb)"
    assert parse_weight("68", "kg").text() == "68.0 kg (149.9 lb)"
    assert Weight.of("72.25", "kg").text() == "72.3 kg (159.4 lb)"  # 72.25 rounds half up
    # inside a dose's bracket: '(0.5 mg/kg for 68.0 kg, 150 lb)', no bracket within a bracket
    assert parse_weight("150 lb", "kg").inline_text() == "68.0 kg, 150 lb"


def test_weight_keeps_its_date_and_round_trips_through_json() -> None:
    weight = parse_weight("150 lb", "kg", date(2026, 11, 20))
    data = serial.to_jsonable(weight)
    assert data == {"kg": 68.0, "unit": "lb", "entered": 150.0, "measured_on": "2026-11-20"}
    assert serial.load(Weight, data) == weight


@given(st.decimals(min_value=Decimal("1"), max_value=Decimal("1000"), places=1))
def test_pounds_round_trip_to_the_tenth(lb: Decimal) -> None:
    weight = parse_weight(f"{lb} lb", "kg")
    assert weight.in_unit("lb") == lb  # the number typed is kept, not recomputed
    assert Decimal(str(weight.kg)) == round_half_up(lb * KG_PER_LB, 1)


@pytest.mark.parametrize(
    ("text", "cm", "unit"),
    [
        ("170 cm", 170.0, HeightUnit.CM),
        ("170cm", 170.0, HeightUnit.CM),
        ("170", 170.0, HeightUnit.CM),
        ("67 in", 170.2, HeightUnit.IN),  # 170.18
        ('67"', 170.2, HeightUnit.IN),
        ("5 ft 7 in", 170.2, HeightUnit.IN),
        ("5'7\"", 170.2, HeightUnit.IN),
        ("5'7", 170.2, HeightUnit.IN),
        ("6 ft", 182.9, HeightUnit.IN),  # 182.88
    ],
)
def test_heights(text: str, cm: float, unit: HeightUnit) -> None:
    height = parse_height(text, "cm")
    assert (height.cm, height.unit) == (cm, unit)


def test_height_text_and_refusals() -> None:
    assert parse_height("5 ft 7 in", "cm").text() == "170.2 cm (5 ft 7 in)"
    assert Height.of(170, "cm").text() == "170.0 cm (5 ft 7 in)"
    for bad, message in (
        ("170 m", "not a unit"),
        ("5 ft 13 in", "a foot or more"),
        ("x", "is not a height"),
    ):
        with pytest.raises(UnitError, match=message):
            parse_height(bad, "cm")
