"""Outcome measures: scoring a completed form, safety flags, and progress across a course.

Scoring follows the published rules only. A form with blank items is refused
(:class:`IncompleteForm`) unless the clinician records why it is incomplete; even then a
total is computed only when the instrument's file carries a prorating rule. None of the
shipped instruments does: the PHQ-9 and GAD-7 authors publish no prorating rule for
clinical scoring, and neither does the National Center for PTSD for the PCL-5, so an
incomplete form keeps its answers and flags but has no total and no band. The machinery
for a prorating rule exists (``"prorating": {"max_missing": n}``) for clinic-added forms.

The PCL-5 carries two published readings beside its total: the cut-point, chosen by the clinic
within the 31-33 range the National Center for PTSD gives (:meth:`Instrument.with_cutpoint`),
and the provisional DSM-5 diagnosis read from the clusters (:func:`provisional_result`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from kapcompanion.core import wording
from kapcompanion.core.instruments import (
    Band,
    ClusterRule,
    CutPoint,
    Direction,
    ExtraQuestion,
    Instrument,
    InstrumentFileError,
    Item,
    ItemFlag,
    Option,
    Prorating,
    ProvisionalRule,
    Subscale,
    instrument,
    load_instruments,
    parse_instrument,
)

__all__ = [
    "Band",
    "ClusterCount",
    "ClusterRule",
    "CutPoint",
    "Direction",
    "ExtraQuestion",
    "IncompleteForm",
    "Instrument",
    "InstrumentFileError",
    "Item",
    "ItemFlag",
    "MeasureContext",
    "MeasureResponse",
    "Option",
    "Progress",
    "Prorating",
    "ProvisionalResult",
    "ProvisionalRule",
    "ScoreResult",
    "Subscale",
    "instrument",
    "load_instruments",
    "parse_instrument",
    "progress",
    "provisional_result",
    "raised_flags",
    "record_response",
    "safety_flags",
    "score",
]


class MeasureContext(StrEnum):
    BASELINE = "baseline"
    PRE_SESSION = "pre_session"
    END_OF_COURSE = "end_of_course"
    OTHER = "other"


class IncompleteForm(ValueError):
    """Items are blank and no reason was given for accepting the form incomplete."""

    def __init__(self, short_name: str, missing_items: list[int]) -> None:
        self.missing_items = missing_items
        listed = ", ".join(str(n) for n in missing_items)
        super().__init__(
            f"{short_name} is incomplete (item(s) {listed} unanswered); "
            "complete it or record why it is incomplete"
        )


@dataclass(frozen=True)
class ClusterCount:
    """How many items of one cluster are endorsed, and how many the rule needs."""

    subscale: str
    endorsed: int
    needed: int
    items: int

    @property
    def met(self) -> bool:
        return self.endorsed >= self.needed


@dataclass(frozen=True)
class ProvisionalResult:
    """A provisional diagnosis read from the clusters (see :class:`ProvisionalRule`)."""

    label: str
    endorsed_at: int
    endorsed_label: str  # the answer word at the threshold ("Moderately")
    clusters: tuple[ClusterCount, ...]

    @property
    def met(self) -> bool:
        return all(c.met for c in self.clusters)

    def words(self) -> str:
        """'Provisional DSM-5 PTSD diagnosis: not met (D has 1 of the 2 items needed). ...'"""
        short = [c for c in self.clusters if not c.met]
        if short:
            gaps = "; ".join(
                f"{c.subscale} has {c.endorsed} of the {c.needed} item"
                f"{'s' if c.needed != 1 else ''} needed"
                for c in short
            )
            verdict = f"not met ({gaps})"
        else:
            verdict = "met"
        counts = ", ".join(
            f"{c.subscale} {c.endorsed} of {c.items} ({c.needed} needed)" for c in self.clusters
        )
        threshold = f"{self.endorsed_at}" + (
            f" ({self.endorsed_label})" if self.endorsed_label else ""
        )
        return f"{self.label}: {verdict}. Items rated {threshold} or higher: {counts}."


def provisional_result(
    inst: Instrument, answers: Mapping[int, int | None]
) -> ProvisionalResult | None:
    """The instrument's cluster rule applied to a complete form; None without a rule.

    Also None when any item is blank: the published rule reads a complete form.
    """
    rule = inst.provisional
    if rule is None or any(answers.get(n) is None for n in inst.item_numbers):
        return None
    subscales = {s.id: s for s in inst.subscales}
    counts = []
    for cluster in rule.clusters:
        items = subscales[cluster.subscale].items
        endorsed = sum(1 for i in items if (answers.get(i) or 0) >= rule.endorsed_at)
        counts.append(ClusterCount(cluster.subscale, endorsed, cluster.min_endorsed, len(items)))
    return ProvisionalResult(
        rule.label, rule.endorsed_at, inst.option_label(rule.endorsed_at) or "", tuple(counts)
    )


@dataclass
class ScoreResult:
    total: int | None
    band: str | None
    complete: bool
    missing_items: list[int]
    flags: list[str]
    prorated: bool = False
    subscores: dict[str, int] = field(default_factory=dict)
    provisional: ProvisionalResult | None = None


@dataclass
class MeasureResponse:
    """One filled-in questionnaire as stored in the vault.

    ``answers`` maps item number to value (None = left blank). The JSON round trip turns
    the keys into strings; ``__post_init__`` turns them back into ints.
    """

    instrument_id: str
    instrument_version: str
    answers: dict[int, int | None]
    taken_on: datetime
    context: MeasureContext = MeasureContext.OTHER
    session_id: int | None = None
    incomplete_reason: str | None = None
    score: int | None = None
    band: str | None = None
    flags: list[str] = field(default_factory=list)
    extra_answers: dict[str, int | None] = field(default_factory=dict)
    #: the provisional-diagnosis rule (PCL-5): met, not met, or None (no rule or incomplete)
    provisional: bool | None = None
    #: the cut-point the band was drawn at (PCL-5: the clinic's choice within 31-33)
    cutpoint: int | None = None

    def __post_init__(self) -> None:
        self.answers = {int(k): v for k, v in self.answers.items()}
        self.context = MeasureContext(self.context)


def _check_answer(inst: Instrument, label: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{inst.short_name} {label}: answer must be a whole number, got {value!r}")
    if not inst.answer_min <= value <= inst.answer_max:
        raise ValueError(
            f"{inst.short_name} {label}: answer {value} is outside "
            f"{inst.answer_min}-{inst.answer_max}"
        )


def raised_flags(inst: Instrument, answers: Mapping[int, int | None]) -> list[tuple[ItemFlag, str]]:
    """Every item flag the answers raise, with its message (positive, or left blank)."""
    raised: list[tuple[ItemFlag, str]] = []
    for flag in inst.flags:
        value = answers.get(flag.item)
        if value is None:
            if flag.missing_message:
                raised.append((flag, flag.missing_message))
        elif value >= flag.min_value:
            raised.append((flag, flag.message))
    return raised


def _flags(inst: Instrument, answers: Mapping[int, int | None]) -> list[str]:
    return [message for _flag, message in raised_flags(inst, answers)]


def score(
    inst: Instrument,
    answers: Mapping[int, int | None],
    incomplete_reason: str | None = None,
) -> ScoreResult:
    """Score a form by the instrument's published rule.

    Raises ValueError for an unknown item or an answer out of range, and
    :class:`IncompleteForm` for blank items unless ``incomplete_reason`` is given.
    """
    for number, value in answers.items():
        if number not in inst.item_numbers:
            raise ValueError(f"{inst.short_name} has no item {number!r}")
        _check_answer(inst, f"item {number}", value)
    missing = [n for n in inst.item_numbers if answers.get(n) is None]
    reason = (incomplete_reason or "").strip()
    if missing and not reason:
        raise IncompleteForm(inst.short_name, missing)
    given = [v for n in inst.item_numbers if (v := answers.get(n)) is not None]
    flags = _flags(inst, answers)
    if not missing:
        total = sum(given)
        subscores = {s.id: sum(answers[i] or 0 for i in s.items) for s in inst.subscales}
        provisional = provisional_result(inst, answers)
        return ScoreResult(
            total, inst.band_for(total), True, [], flags, False, subscores, provisional
        )
    rule = inst.prorating
    if rule is None or len(missing) > rule.max_missing or not given:
        return ScoreResult(None, None, False, missing, flags)
    # Mean of the answered items times the number of items, rounded half up.
    total = math.floor(sum(given) * len(inst.items) / len(given) + 0.5)
    return ScoreResult(total, inst.band_for(total), False, missing, flags, prorated=True)


def record_response(
    inst: Instrument,
    answers: Mapping[int, int | None],
    *,
    taken_on: datetime,
    context: MeasureContext | str = MeasureContext.OTHER,
    session_id: int | None = None,
    incomplete_reason: str | None = None,
    extra_answers: Mapping[str, int | None] | None = None,
) -> MeasureResponse:
    """Score ``answers`` and build the :class:`MeasureResponse` to store."""
    result = score(inst, answers, incomplete_reason)
    extras = dict(extra_answers or {})
    questions = {q.id: q for q in inst.extra_questions}
    for qid, value in extras.items():
        if qid not in questions:
            raise ValueError(f"{inst.short_name} has no question {qid!r}")
        allowed = {o.value for o in questions[qid].options}
        if value is not None and (isinstance(value, bool) or value not in allowed):
            raise ValueError(f"{inst.short_name} {qid}: answer {value!r} is not one of {allowed}")
    return MeasureResponse(
        instrument_id=inst.id,
        instrument_version=inst.version,
        answers={n: answers.get(n) for n in inst.item_numbers},
        taken_on=taken_on,
        context=MeasureContext(context),
        session_id=session_id,
        incomplete_reason=None if result.complete else (incomplete_reason or "").strip(),
        score=result.total,
        band=result.band,
        flags=result.flags,
        extra_answers=extras,
        provisional=result.provisional.met if result.provisional is not None else None,
        cutpoint=inst.cutpoint_used if result.total is not None else None,
    )


def safety_flags(response: MeasureResponse, inst: Instrument | None = None) -> list[str]:
    """Safety flags recomputed from the answers (e.g. PHQ-9 item 9 above 0)."""
    inst = inst or instrument(response.instrument_id)
    return _flags(inst, response.answers)


@dataclass
class Progress:
    instrument_id: str
    baseline: MeasureResponse | None
    latest: MeasureResponse | None
    change_pct: float | None
    response: bool
    remission: bool
    words: str


def _describe(inst: Instrument, r: MeasureResponse) -> str:
    """'18 (moderately severe) on 2025-03-03', with the band from the current cut-offs."""
    total = r.score or 0
    band = inst.band_for(total) if inst.min_score <= total <= inst.max_score else r.band
    label = f" ({band})" if band else ""
    return f"{total}{label} on {wording.short_date(r.taken_on)}"


def progress(responses: Iterable[MeasureResponse], inst: Instrument | None = None) -> Progress:
    """Compare the baseline score with the latest one and say what it means, in words.

    Baseline is the earliest scored form taken in the baseline context (else the earliest
    scored form); latest is the most recent scored form after it. The change is the drop
    as a percentage of the baseline's distance above the scale floor, which is the usual
    percentage for scales starting at 0 and stays meaningful for the AAQ-II (floor 7).
    Forms without a total (incomplete) are skipped.
    """
    scored = [r for r in responses if r.score is not None]
    ids = {r.instrument_id for r in scored}
    if len(ids) > 1:
        raise ValueError(f"progress needs one instrument, got {', '.join(sorted(ids))}")
    if inst is not None and ids - {inst.id}:
        raise ValueError(f"these forms are not {inst.short_name} forms")
    if inst is None:
        if not scored:
            raise ValueError("progress needs at least one scored form or an instrument")
        inst = instrument(scored[0].instrument_id)
    name = inst.short_name
    if not scored:
        return Progress(inst.id, None, None, None, False, False, f"No scored {name} yet.")
    scored.sort(key=lambda r: r.taken_on)
    baselines = [r for r in scored if r.context == MeasureContext.BASELINE]
    base = baselines[0] if baselines else scored[0]
    later = [r for r in scored if r.taken_on > base.taken_on]
    if not later:
        words = f"{name} baseline {_describe(inst, base)}; no later score to compare yet."
        return Progress(inst.id, base, None, None, False, False, words)
    last = later[-1]
    b, latest_score = base.score or 0, last.score or 0
    room = b - inst.min_score
    change = (b - latest_score) * 100.0 / room if room > 0 else None
    response = (
        inst.response_drop_pct is not None
        and change is not None
        and change >= inst.response_drop_pct
    )
    remission = inst.remission_below is not None and latest_score < inst.remission_below
    parts = [f"{name} went from {_describe(inst, base)} to {_describe(inst, last)}"]
    if change is None:
        parts[0] += " (the baseline was already at the lowest possible score)."
    elif change > 0:
        parts[0] += f": a {change:.0f}% drop."
    elif change < 0:
        parts[0] += f": a {-change:.0f}% rise."
    else:
        parts[0] += ": no change."
    if inst.response_drop_pct is not None:
        rule = f"a drop of {inst.response_drop_pct}% or more from baseline"
        parts.append(f"Response ({rule}): {'yes' if response else 'not met'}.")
    else:
        parts.append(f"No published response criterion applies to {name}.")
    if inst.remission_below is not None:
        rule = f"a score below {inst.remission_below}"
        if inst.cutpoint is not None:
            cut = inst.cutpoint
            rule = (
                f"a score below the cut-point of {inst.remission_below}, chosen within the "
                f"published {cut.low}-{cut.high}"
            )
        parts.append(f"Remission ({rule}): {'yes' if remission else 'not met'}.")
    else:
        parts.append(f"No published remission threshold applies to {name}.")
    if inst.meaningful_change_points is not None:
        drop = b - latest_score
        met = "met" if drop >= inst.meaningful_change_points else "not met"
        parts.append(
            f"Clinically meaningful change (a drop of {inst.meaningful_change_points} points "
            f"or more): {met}."
        )
    if inst.provisional is not None and last.provisional is not None:
        verdict = "met" if last.provisional else "not met"
        parts.append(f"{inst.provisional.label} on the latest form: {verdict}.")
    if last.flags:
        parts.append("Safety flag on the latest form: " + "; ".join(last.flags) + ".")
    return Progress(inst.id, base, last, change, response, remission, " ".join(parts))
