"""Weight and height with their units: parsed as typed, never read in the other unit.

A weight is kept in kilograms (to 0.1 kg, the figure doses are computed from) together with
the unit and the number it was entered in, so a weight typed as 150 lb is shown as
"68.0 kg (150 lb)" on every screen and PDF. Conversions are exact decimals: 1 lb is
0.45359237 kg by definition (the international yard and pound agreement, 1959) and 1 inch is
2.54 cm. Rounding is half up, as a person would round.

Text may carry its unit ("150 lb", "68kg", "150 lbs", "68 kg", "170 cm", "5 ft 7 in",
"5'7\""): it is read in that unit. Text without a unit is read in the field's unit. A unit
this module does not know ("150 st") or anything that is not a number is refused with a
message that says what to write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

#: exact by definition (1959): the pound in kilograms
KG_PER_LB = Decimal("0.45359237")
#: exact by definition: the inch in centimetres
CM_PER_IN = Decimal("2.54")


class UnitError(ValueError):
    """Text that is not a weight or height this module can read; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WeightUnit(StrEnum):
    KG = "kg"
    LB = "lb"

    @property
    def other(self) -> WeightUnit:
        return WeightUnit.LB if self is WeightUnit.KG else WeightUnit.KG


class HeightUnit(StrEnum):
    CM = "cm"
    IN = "in"


def dec(value: float | int | str | Decimal) -> Decimal:
    """A number as the decimal it is written as: 0.35 is 0.35, not 0.34999999999999997."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip())


def round_half_up(value: float | int | str | Decimal, places: int) -> Decimal:
    return dec(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def lb_to_kg(lb: float | int | str | Decimal) -> Decimal:
    """Exact: 150 lb is 68.0388555 kg."""
    return dec(lb) * KG_PER_LB


def kg_to_lb(kg: float | int | str | Decimal) -> Decimal:
    return dec(kg) / KG_PER_LB


def number_text(value: float | int | Decimal, places: int = 1) -> str:
    """At most ``places`` decimals, half up, without trailing zeros: 150, 150.5, 68.04."""
    text = format(round_half_up(value, places), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --------------------------------------------------------------------------- weight
@dataclass(frozen=True)
class Weight:
    """A body weight: kilograms (to 0.1) plus the unit and number it was entered in."""

    kg: float
    unit: WeightUnit = WeightUnit.KG
    #: the number as entered, in ``unit``; None when entered in kg (then it is ``kg``)
    entered: float | None = None
    measured_on: date | None = None

    @classmethod
    def of(
        cls, value: float | int | str | Decimal, unit: WeightUnit | str, on: date | None = None
    ) -> Weight:
        unit = WeightUnit(unit)
        number = dec(value)
        kg = number if unit is WeightUnit.KG else lb_to_kg(number)
        return cls(
            kg=float(round_half_up(kg, 1)),
            unit=unit,
            entered=None if unit is WeightUnit.KG else float(number),
            measured_on=on,
        )

    def in_unit(self, unit: WeightUnit | str) -> Decimal:
        """The weight in ``unit``: the number entered when it was entered in that unit."""
        unit = WeightUnit(unit)
        if unit is WeightUnit(self.unit):
            return dec(self.entered if self.entered is not None else self.kg)
        if unit is WeightUnit.KG:
            return dec(self.kg)
        return kg_to_lb(self.kg)

    def text(self) -> str:
        """'68.0 kg (150 lb)': kilograms first, always with one decimal, then pounds."""
        kg = format(round_half_up(self.kg, 1), "f")
        return f"{kg} kg ({number_text(self.in_unit(WeightUnit.LB), 1)} lb)"

    def inline_text(self) -> str:
        """'68.0 kg, 150 lb': the same inside a bracket (never brackets within brackets)."""
        kg = format(round_half_up(self.kg, 1), "f")
        return f"{kg} kg, {number_text(self.in_unit(WeightUnit.LB), 1)} lb"

    def with_date(self, on: date | None) -> Weight:
        return Weight(self.kg, self.unit, self.entered, on)


def weight_text(
    kg: float, unit: WeightUnit | str = WeightUnit.KG, entered: float | None = None
) -> str:
    """'68.0 kg (150 lb)' from the parts a dose plan stores."""
    return Weight(kg, WeightUnit(unit), entered).text()


_NUMBER = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_WEIGHT_UNITS: dict[str, WeightUnit] = {
    "kg": WeightUnit.KG,
    "kgs": WeightUnit.KG,
    "kilo": WeightUnit.KG,
    "kilos": WeightUnit.KG,
    "kilogram": WeightUnit.KG,
    "kilograms": WeightUnit.KG,
    "lb": WeightUnit.LB,
    "lbs": WeightUnit.LB,
    "pound": WeightUnit.LB,
    "pounds": WeightUnit.LB,
}
_WEIGHT_TEXT = re.compile(rf"^{_NUMBER}\s*([^\d\s.,][^\d]*?)?\.?$")


def _number(raw: str, what: str, example: str) -> Decimal:
    if "," in raw:
        whole, _, frac = raw.partition(",")
        if len(frac) == 3:  # "1,500": a thousands separator or a decimal comma? Ask.
            raise UnitError(
                f"“{raw}” could be read two ways; write the {what} with a decimal point, "
                f"for example {example}."
            )
        raw = f"{whole}.{frac}"
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise UnitError(f"Write the {what} as a number, for example {example}.") from None
    return value


def parse_weight(text: str, unit: WeightUnit | str, on: date | None = None) -> Weight:
    """The weight in ``text``: in the unit written there, else in ``unit`` (the field's).

    Raises :class:`UnitError` for text that is not a weight, an unknown unit, or zero.
    """
    field_unit = WeightUnit(unit)
    example = "68 kg or 150 lb"
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise UnitError("Enter the weight, for example 68 kg or 150 lb.")
    if cleaned.startswith("-"):
        raise UnitError("A weight cannot be negative.")
    match = _WEIGHT_TEXT.match(cleaned)
    if match is None:
        raise UnitError(
            f"“{text.strip()}” is not a weight; write a number and kg or lb, for example {example}."
        )
    number = _number(match.group(1), "weight", example)
    written = (match.group(2) or "").strip().rstrip(".")
    if written:
        if written not in _WEIGHT_UNITS:
            raise UnitError(
                f"“{written}” is not a unit this field knows; write kg or lb, "
                f"for example {example}."
            )
        field_unit = _WEIGHT_UNITS[written]
    if number <= 0:
        raise UnitError("A weight must be above 0.")
    return Weight.of(number, field_unit, on)


# --------------------------------------------------------------------------- height
@dataclass(frozen=True)
class Height:
    """A height: centimetres (to 0.1) plus the unit and number (inches) it was entered in."""

    cm: float
    unit: HeightUnit = HeightUnit.CM
    entered: float | None = None  # inches when entered in inches
    measured_on: date | None = None

    @classmethod
    def of(
        cls, value: float | int | str | Decimal, unit: HeightUnit | str, on: date | None = None
    ) -> Height:
        unit = HeightUnit(unit)
        number = dec(value)
        cm = number if unit is HeightUnit.CM else number * CM_PER_IN
        return cls(
            float(round_half_up(cm, 1)),
            unit,
            None if unit is HeightUnit.CM else float(number),
            on,
        )

    def inches(self) -> Decimal:
        if HeightUnit(self.unit) is HeightUnit.IN and self.entered is not None:
            return dec(self.entered)
        return dec(self.cm) / CM_PER_IN

    def text(self) -> str:
        """'170.0 cm (5 ft 7 in)'."""
        total = round_half_up(self.inches(), 0)
        feet, inches = divmod(int(total), 12)
        return f"{format(round_half_up(self.cm, 1), 'f')} cm ({feet} ft {inches} in)"

    def with_date(self, on: date | None) -> Height:
        return Height(self.cm, self.unit, self.entered, on)


_FEET_INCHES = re.compile(
    r"^(\d+)\s*(?:'|’|ft|feet|foot)\s*(?:(\d+(?:[.,]\d+)?)\s*(?:\"|”|''|in|inch|inches)?)?$"
)
_HEIGHT_TEXT = re.compile(rf"^{_NUMBER}\s*([a-z\"”]+)?$")
_HEIGHT_UNITS: dict[str, HeightUnit] = {
    "cm": HeightUnit.CM,
    "in": HeightUnit.IN,
    "inch": HeightUnit.IN,
    "inches": HeightUnit.IN,
    '"': HeightUnit.IN,
    "”": HeightUnit.IN,
}


def parse_height(text: str, unit: HeightUnit | str, on: date | None = None) -> Height:
    """'170 cm', '67 in', '5 ft 7 in', 5'7\"; a bare number is in ``unit``."""
    example = "170 cm or 5 ft 7 in"
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise UnitError(f"Enter the height, for example {example}.")
    feet = _FEET_INCHES.match(cleaned)
    if feet is not None:
        inches = Decimal(feet.group(1)) * 12
        if feet.group(2):
            extra = _number(feet.group(2), "height", example)
            if extra >= 12:
                raise UnitError(f"{feet.group(2)} inches is a foot or more; check the height.")
            inches += extra
        if inches <= 0:
            raise UnitError("A height must be above 0.")
        return Height.of(inches, HeightUnit.IN, on)
    match = _HEIGHT_TEXT.match(cleaned)
    if match is None:
        raise UnitError(f"“{text.strip()}” is not a height; write for example {example}.")
    number = _number(match.group(1), "height", example)
    field_unit = HeightUnit(unit)
    written = match.group(2) or ""
    if written:
        if written not in _HEIGHT_UNITS:
            raise UnitError(
                f"“{written}” is not a unit this field knows; write cm or in, "
                f"for example {example}."
            )
        field_unit = _HEIGHT_UNITS[written]
    if number <= 0:
        raise UnitError("A height must be above 0.")
    return Height.of(number, field_unit, on)
