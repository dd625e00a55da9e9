"""Outcome questionnaires as data: the records, and a strict loader for the shipped JSON.

The wording, answer labels, cut-offs and response/remission rules of every instrument live
in ``resources/measures/*.json`` so a clinician can read (and a reviewer can check) them
against the published form without reading code. The loader is strict on purpose: a typo
in a key, a gap between severity bands or a total range that does not match the items
would silently mis-score a clinical questionnaire, so every such mistake stops the load
with the file name and what is wrong.

Import these names from :mod:`kapcompanion.core.measures`, which re-exports them.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from kapcompanion.core import serial
from kapcompanion.core.bundled import bundled_resource
from kapcompanion.core.models import FlagKind


class InstrumentFileError(ValueError):
    """A questionnaire file is malformed; the message names the file and the problem."""


class Direction(StrEnum):
    """Which way is worse. Every shipped instrument is scored 'higher is worse'."""

    HIGHER_WORSE = "higher_worse"


@dataclass(frozen=True)
class Option:
    """A labelled answer value (every value of a Likert item; only the anchors of a VAS)."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    number: int
    text: str


@dataclass(frozen=True)
class Band:
    """A severity band, inclusive at both ends (PHQ-9 'mild' is lower=5, upper=9)."""

    lower: int
    upper: int
    label: str


@dataclass(frozen=True)
class ItemFlag:
    """A safety flag raised by one item: answer >= ``min_value`` raises ``message``.

    ``missing_message`` is raised when an accepted incomplete form leaves the item blank,
    because an unanswered suicide item is not a reassuring answer.
    """

    item: int
    min_value: int
    message: str
    missing_message: str = ""
    #: the client flag the saving service raises with it ("suicide_risk"); "" raises none
    raises: str = ""


@dataclass(frozen=True)
class ExtraQuestion:
    """An unscored question on the form (the PHQ-9 and GAD-7 difficulty question)."""

    id: str
    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Subscale:
    id: str
    label: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class ClusterRule:
    """At least ``min_endorsed`` items of subscale ``subscale`` must be endorsed."""

    subscale: str
    min_endorsed: int


@dataclass(frozen=True)
class ProvisionalRule:
    """A provisional diagnosis read from symptom clusters (the PCL-5's DSM-5 rule).

    An item counts as endorsed when it is answered ``endorsed_at`` or higher; the rule is met
    when every cluster has at least its number of endorsed items.
    """

    label: str
    endorsed_at: int
    clusters: tuple[ClusterRule, ...]


@dataclass(frozen=True)
class CutPoint:
    """A published cut-point range from which the clinic picks one number.

    The bands of such an instrument are not written in its file: they follow from the
    number chosen (:meth:`Instrument.with_cutpoint`), so a total inside the published range
    is never called "below the cut-point" when the clinic chose a lower number.
    """

    low: int
    high: int
    default: int
    above: str  # what a total at or above the cut-point means ("probable PTSD")


@dataclass(frozen=True)
class Prorating:
    """Allow a total when at most ``max_missing`` items are blank: mean of answered x items."""

    max_missing: int


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    short_name: str
    version: str
    construct: str
    instructions: str
    answer_min: int
    answer_max: int
    options: tuple[Option, ...]
    items: tuple[Item, ...]
    scoring: str
    min_score: int
    max_score: int
    direction: Direction
    bands: tuple[Band, ...]
    flags: tuple[ItemFlag, ...]
    prorating: Prorating | None
    response_drop_pct: int | None
    remission_below: int | None
    meaningful_change_points: int | None
    notes: str
    source: str
    license: str
    item_stem: str = ""
    extra_questions: tuple[ExtraQuestion, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    provisional: ProvisionalRule | None = None
    cutpoint: CutPoint | None = None
    #: the cut-point the bands were drawn at (``None`` for instruments without a range)
    cutpoint_used: int | None = None

    @property
    def item_numbers(self) -> tuple[int, ...]:
        return tuple(i.number for i in self.items)

    def band_for(self, total: int) -> str | None:
        """The band label for a total, or None for instruments without bands (craving)."""
        if not self.min_score <= total <= self.max_score:
            raise ValueError(
                f"{self.short_name} total {total} is outside {self.min_score}-{self.max_score}"
            )
        for band in self.bands:
            if band.lower <= total <= band.upper:
                return band.label
        return None

    def option_label(self, value: int) -> str | None:
        return next((o.label for o in self.options if o.value == value), None)

    def with_cutpoint(self, cutpoint: int) -> Instrument:
        """This instrument with its bands and remission threshold drawn at ``cutpoint``.

        Below the published range: "below the published 31-33 cut-point range"; inside the
        range but under the chosen number: "within the published 31-33 range, below the
        clinic's cut-point of 33"; at or above the chosen number: what the cut-point means
        ("probable PTSD: at or above the clinic's cut-point of 33, in the published 31-33
        range").
        """
        rule = self.cutpoint
        if rule is None:
            raise ValueError(f"{self.short_name} has no cut-point range")
        if not rule.low <= cutpoint <= rule.high:
            raise ValueError(
                f"{self.short_name} cut-point {cutpoint} is outside the published range "
                f"{rule.low}-{rule.high}"
            )
        span = f"{rule.low}-{rule.high}"
        bands = [Band(self.min_score, rule.low - 1, f"below the published {span} cut-point range")]
        if cutpoint > rule.low:
            bands.append(
                Band(
                    rule.low,
                    cutpoint - 1,
                    f"within the published {span} range, below the clinic's cut-point of "
                    f"{cutpoint}",
                )
            )
        bands.append(
            Band(
                cutpoint,
                self.max_score,
                f"{rule.above}: at or above the clinic's cut-point of {cutpoint}, in the "
                f"published {span} range",
            )
        )
        return dataclasses.replace(
            self, bands=tuple(bands), remission_below=cutpoint, cutpoint_used=cutpoint
        )


def _check_keys(cls: type, data: Any, where: str) -> None:
    """Reject unknown keys (serial.load would ignore a misspelt one) and recurse."""
    if not isinstance(data, dict):
        raise InstrumentFileError(f"{where}: expected an object, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InstrumentFileError(f"{where}: unknown key(s) {', '.join(unknown)}")
    hints = typing.get_type_hints(cls)
    for name, value in data.items():
        tp = hints[name]
        args = [a for a in typing.get_args(tp) if a is not type(None) and a is not Ellipsis]
        inner = args[0] if args else tp
        if isinstance(inner, type) and dataclasses.is_dataclass(inner) and value is not None:
            values = value if isinstance(value, list) else [value]
            for i, v in enumerate(values):
                _check_keys(inner, v, f"{where}.{name}[{i}]")


def _validate(inst: Instrument) -> None:
    """Check internal consistency; raises ValueError naming the first problem."""
    name = inst.short_name
    if inst.scoring != "sum":
        raise ValueError(f"{name}: only 'sum' scoring is supported, not {inst.scoring!r}")
    numbers = inst.item_numbers
    if numbers != tuple(range(1, len(numbers) + 1)):
        raise ValueError(f"{name}: items must be numbered 1..n in order, got {numbers}")
    if inst.answer_min >= inst.answer_max:
        raise ValueError(f"{name}: answer_min must be below answer_max")
    values = [o.value for o in inst.options]
    if values != sorted(set(values)) or not values:
        raise ValueError(f"{name}: option values must be unique and ascending")
    if values[0] != inst.answer_min or values[-1] != inst.answer_max:
        raise ValueError(f"{name}: options must run from answer_min to answer_max")
    n = len(numbers)
    if (inst.min_score, inst.max_score) != (n * inst.answer_min, n * inst.answer_max):
        raise ValueError(
            f"{name}: min/max score {inst.min_score}-{inst.max_score} do not match "
            f"{n} items scored {inst.answer_min}-{inst.answer_max}"
        )
    if inst.bands:
        expected = inst.min_score
        for band in inst.bands:
            if band.lower != expected or band.upper < band.lower:
                raise ValueError(f"{name}: bands must be contiguous; problem at {band.label!r}")
            expected = band.upper + 1
        if expected != inst.max_score + 1:
            raise ValueError(f"{name}: bands must end at the maximum score {inst.max_score}")
    for flag in inst.flags:
        if flag.item not in numbers:
            raise ValueError(f"{name}: flag refers to missing item {flag.item}")
        if not inst.answer_min <= flag.min_value <= inst.answer_max:
            raise ValueError(f"{name}: flag threshold {flag.min_value} is out of range")
        kinds = {k.value for k in FlagKind}
        if flag.raises and flag.raises not in kinds:
            raise ValueError(
                f"{name}: flag raises {flag.raises!r}, not one of {', '.join(sorted(kinds))}"
            )
    for sub in inst.subscales:
        if not sub.items or any(i not in numbers for i in sub.items):
            raise ValueError(f"{name}: subscale {sub.id} refers to missing items")
    if inst.provisional is not None:
        rule = inst.provisional
        if not inst.answer_min < rule.endorsed_at <= inst.answer_max:
            raise ValueError(f"{name}: provisional endorsed_at must lie inside the answers")
        ids = {s.id: s for s in inst.subscales}
        if not rule.clusters:
            raise ValueError(f"{name}: the provisional rule names no cluster")
        for cluster in rule.clusters:
            if cluster.subscale not in ids:
                raise ValueError(f"{name}: provisional rule refers to missing subscale")
            if not 0 < cluster.min_endorsed <= len(ids[cluster.subscale].items):
                raise ValueError(
                    f"{name}: cluster {cluster.subscale} needs 1 to "
                    f"{len(ids[cluster.subscale].items)} endorsed items"
                )
    if inst.cutpoint is not None:
        cut = inst.cutpoint
        if not inst.min_score < cut.low <= cut.default <= cut.high <= inst.max_score:
            raise ValueError(f"{name}: cut-point range must be low <= default <= high")
    if inst.prorating is not None and not 0 <= inst.prorating.max_missing < n:
        raise ValueError(f"{name}: prorating max_missing must be between 0 and {n - 1}")
    if inst.response_drop_pct is not None and not 0 < inst.response_drop_pct <= 100:
        raise ValueError(f"{name}: response_drop_pct must be within 1-100")
    if inst.remission_below is not None and not (
        inst.min_score < inst.remission_below <= inst.max_score
    ):
        raise ValueError(f"{name}: remission_below must lie inside the score range")


def parse_instrument(data: dict[str, Any], where: str = "instrument") -> Instrument:
    """Build and validate an :class:`Instrument` from its JSON object."""
    _check_keys(Instrument, data, where)
    if data.get("cutpoint_used") is not None:  # drawn from "cutpoint", never written by hand
        raise InstrumentFileError(f"{where}: cutpoint_used follows from the cut-point range")
    try:
        inst = serial.load(Instrument, data)
        if inst.cutpoint is not None:
            if inst.bands:
                raise ValueError(
                    "an instrument with a cut-point range has no bands in its file "
                    "(they follow from the cut-point the clinic picks)"
                )
            _validate(inst)
            inst = inst.with_cutpoint(inst.cutpoint.default)
        _validate(inst)
    except (TypeError, ValueError) as exc:
        raise InstrumentFileError(f"{where}: {exc}") from exc
    return inst


def load_instruments(directory: Path | None = None) -> dict[str, Instrument]:
    """Every ``*.json`` instrument in ``directory`` (default: the shipped resources), by id.

    The shipped set is read once and cached; pass a directory to load clinic-edited copies.
    """
    if directory is None:
        return dict(_load_default())
    return _load_dir(directory)


@cache
def _load_default() -> dict[str, Instrument]:
    return _load_dir(bundled_resource("measures"))


def _load_dir(directory: Path) -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InstrumentFileError(f"{path.name}: cannot read: {exc}") from exc
        inst = parse_instrument(data, path.name)
        if inst.id in found:
            raise InstrumentFileError(f"{path.name}: duplicate instrument id {inst.id!r}")
        found[inst.id] = inst
    return found


def instrument(instrument_id: str, directory: Path | None = None) -> Instrument:
    """One instrument by id (``"phq9"``, ``"gad7"``, ``"pcl5"``, ``"aaq2"``, ``"craving10"``...)."""
    instruments = load_instruments(directory)
    try:
        return instruments[instrument_id]
    except KeyError:
        known = ", ".join(sorted(instruments))
        raise KeyError(f"unknown instrument {instrument_id!r} (known: {known})") from None
