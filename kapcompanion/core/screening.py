"""Screening: is ketamine appropriate for this client?

Each item is answered yes / no / unknown with a note. The rules are deliberately simple
and conservative, because the software must never make the decision quietly:

- any contraindication answered "yes" makes the client not eligible;
- a contraindication answered "unknown", any flag answered "yes" or "unknown", and any
  item not answered at all make the outcome "physician review";
- everything answered "no" is eligible.

A physician may override a "not eligible" or "physician review" outcome with a written
reason. The override remembers which findings it covered: if a new finding appears after
it (another "yes", say), the override no longer applies and the screening is evaluated
again, so an old override can never wave through new information.

The item list follows PRODUCT.md "Screening" (drawn from the seed articles): it is
shipped as an editable default, never as medical advice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class ItemGroup(StrEnum):
    CONTRAINDICATION = "contraindication"
    PHYSICIAN_REVIEW = "physician_review"


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    PHYSICIAN_REVIEW = "physician_review"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.ELIGIBLE: "Eligible",
    Outcome.PHYSICIAN_REVIEW: "Needs physician review",
    Outcome.NOT_ELIGIBLE: "Not eligible",
}


@dataclass(frozen=True)
class ScreeningItemDef:
    key: str
    label: str
    group: ItemGroup
    help: str = ""


_C = ItemGroup.CONTRAINDICATION
_F = ItemGroup.PHYSICIAN_REVIEW

SCREENING_ITEMS: tuple[ScreeningItemDef, ...] = (
    # Absolute or strong contraindications (PRODUCT.md "Screening").
    ScreeningItemDef(
        "psychotic_disorder",
        "Schizophrenia or another psychotic disorder",
        _C,
        "Current or past diagnosis, or psychotic episodes outside substance use.",
    ),
    ScreeningItemDef(
        "pregnancy_breastfeeding",
        "Pregnancy or breastfeeding",
        _C,
        "Pregnant, possibly pregnant, planning pregnancy during the course, or breastfeeding.",
    ),
    ScreeningItemDef(
        "uncontrolled_hypertension",
        "Uncontrolled hypertension",
        _C,
        "High blood pressure that is untreated or not controlled by treatment.",
    ),
    ScreeningItemDef(
        "recent_heart_attack",
        "Recent heart attack",
        _C,
        "Myocardial infarction recently; the prescriber decides what counts as recent.",
    ),
    ScreeningItemDef(
        "recent_stroke",
        "Recent stroke",
        _C,
        "Stroke or transient ischaemic attack recently; the prescriber decides what counts "
        "as recent.",
    ),
    ScreeningItemDef(
        "aneurysm_avm",
        "Aneurysmal vascular disease or arteriovenous malformation",
        _C,
        "Aortic, brain (intracranial) or peripheral arterial aneurysm, or an arteriovenous "
        "malformation.",
    ),
    ScreeningItemDef(
        "intracerebral_haemorrhage",
        "History of intracerebral haemorrhage",
        _C,
        "Any past bleeding inside the brain.",
    ),
    ScreeningItemDef(
        "serious_lung_disease",
        "Serious lung disease",
        _C,
        "For example severe COPD, or asthma that is not controlled.",
    ),
    ScreeningItemDef("kidney_failure", "Kidney failure", _C, "Renal failure or dialysis."),
    ScreeningItemDef("liver_failure", "Liver failure", _C, "Hepatic failure or cirrhosis."),
    ScreeningItemDef(
        "non_ambulatory",
        "Non-ambulatory",
        _C,
        "Cannot walk without help; the client must be able to walk out of the session.",
    ),
    ScreeningItemDef(
        "ketamine_hypersensitivity",
        "Known hypersensitivity to ketamine",
        _C,
        "A previous allergic or hypersensitivity reaction to ketamine or esketamine.",
    ),
    ScreeningItemDef(
        "ketamine_misuse",
        "History of ketamine misuse",
        _C,
        "Past or present non-medical use of ketamine.",
    ),
    # Flags for physician review.
    ScreeningItemDef(
        "family_psychosis",
        "Psychotic disorder in a first-degree relative",
        _F,
        "Schizophrenia or another psychotic disorder in a parent, sibling or child.",
    ),
    ScreeningItemDef(
        "active_substance_use",
        "Active substance use",
        _F,
        "Current use of alcohol or drugs that may interact or complicate a session.",
    ),
    ScreeningItemDef(
        "uncontrolled_diabetes",
        "Uncontrolled diabetes",
        _F,
        "Diabetes that is untreated or not controlled by treatment.",
    ),
    ScreeningItemDef(
        "bladder_symptoms",
        "Bladder or urinary symptoms (cystitis)",
        _F,
        "Pain, urgency, frequency or blood on passing urine; ketamine can cause cystitis.",
    ),
    ScreeningItemDef("hepatitis_c", "Hepatitis C", _F, "Current or past hepatitis C infection."),
    ScreeningItemDef("hiv", "HIV", _F, "HIV infection, treated or untreated."),
    ScreeningItemDef(
        "interacting_medication",
        "Interacting medication",
        _F,
        "Benzodiazepines, lamotrigine, opioids, MAOIs or stimulants (see the intake's "
        "medication list).",
    ),
    ScreeningItemDef(
        "acute_suicidality",
        "Acute suicidality",
        _F,
        "Current suicidal thoughts with intent or a plan, or a recent attempt.",
    ),
    ScreeningItemDef(
        "bipolar_no_mood_stabiliser",
        "Bipolar disorder without a mood stabiliser",
        _F,
        "Bipolar disorder that is not treated with a mood stabiliser.",
    ),
    ScreeningItemDef(
        "personality_disorder",
        "Personality disorder",
        _F,
        "A diagnosed personality disorder.",
    ),
)

ITEMS_BY_KEY: dict[str, ScreeningItemDef] = {item.key: item for item in SCREENING_ITEMS}


@dataclass
class ScreeningResponse:
    key: str
    answer: Answer
    note: str = ""


@dataclass
class Screening:
    responses: dict[str, ScreeningResponse] = field(default_factory=dict)
    screened_on: date | None = None
    override_reason: str | None = None
    override_by: str | None = None
    override_at: datetime | None = None
    # The findings the override covered, as "item_key:answer" ("unanswered" for an item
    # without an answer); see the module docstring.
    override_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    reasons: list[str]
    unanswered: list[str]
    overridden: bool


def answer(screening: Screening, key: str, value: Answer, note: str = "") -> Screening:
    """A copy of ``screening`` with one item answered (unknown keys are refused)."""
    if key not in ITEMS_BY_KEY:
        raise ValueError(f"Unknown screening item {key!r}.")
    responses = dict(screening.responses)
    responses[key] = ScreeningResponse(key=key, answer=Answer(value), note=note)
    return dataclasses.replace(screening, responses=responses)


def _findings(screening: Screening) -> tuple[Outcome, list[str], list[str], list[str]]:
    """Outcome without any override, the reasons, unanswered labels and every finding
    as "item_key:answer" (each item answered yes or unknown, or not answered)."""
    reasons: list[str] = []
    unanswered: list[str] = []
    keys: list[str] = []
    blocked = False
    review = False
    for item in SCREENING_ITEMS:
        response = screening.responses.get(item.key)
        if response is None:
            unanswered.append(item.label)
            keys.append(f"{item.key}:unanswered")
            review = True
            continue
        given = Answer(response.answer)  # tolerate a plain string from a caller
        if given is Answer.NO:
            continue
        keys.append(f"{item.key}:{given.value}")
        if item.group is ItemGroup.CONTRAINDICATION:
            if given is Answer.YES:
                blocked = True
                reasons.append(f"{item.label}: answered yes. This is a contraindication.")
            else:
                review = True
                reasons.append(
                    f"{item.label}: not known. A physician must review this contraindication."
                )
        else:
            review = True
            said = "answered yes" if given is Answer.YES else "not known"
            reasons.append(f"{item.label}: {said}. Needs physician review.")
    if unanswered:
        count = len(unanswered)
        noun = "item is" if count == 1 else "items are"
        reasons.append(f"{count} screening {noun} not answered yet: {', '.join(unanswered)}.")
    if blocked:
        outcome = Outcome.NOT_ELIGIBLE
    elif review:
        outcome = Outcome.PHYSICIAN_REVIEW
    else:
        outcome = Outcome.ELIGIBLE
    return outcome, reasons, unanswered, keys


def evaluate(screening: Screening) -> ScreeningResult:
    """Apply the screening rules (module docstring); an override is honoured only while
    it still covers every current finding."""
    outcome, reasons, unanswered, keys = _findings(screening)
    reason = (screening.override_reason or "").strip()
    if outcome is Outcome.ELIGIBLE or not reason:
        return ScreeningResult(outcome, reasons, unanswered, overridden=False)
    covered = set(screening.override_keys)
    new = [ITEMS_BY_KEY[k.partition(":")[0]].label for k in keys if k not in covered]
    if new:
        reasons.append(
            "The override no longer applies: new findings since it was recorded: "
            + ", ".join(new)
            + "."
        )
        return ScreeningResult(outcome, reasons, unanswered, overridden=False)
    who = screening.override_by or "unknown"
    when = f" on {screening.override_at:%Y-%m-%d}" if screening.override_at else ""
    reasons.append(f"Overridden by {who}{when}: {reason}")
    return ScreeningResult(Outcome.ELIGIBLE, reasons, unanswered, overridden=True)


def apply_override(screening: Screening, reason: str, by: str, at: datetime) -> Screening:
    """Record an override of a "not eligible" or "physician review" outcome.

    The written reason and the person are required (they go to the audit trail and the
    PDF). The current findings are remembered so that a later finding is not covered.
    """
    if not reason or not reason.strip():
        raise ValueError("An override needs a written reason; the reason is blank.")
    if not by or not by.strip():
        raise ValueError("An override needs the name of the person who made it.")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("The override time must include a time zone (use UTC).")
    outcome, _reasons, _unanswered, keys = _findings(screening)
    if outcome is Outcome.ELIGIBLE:
        raise ValueError("The screening is eligible; there is nothing to override.")
    return dataclasses.replace(
        screening,
        override_reason=reason.strip(),
        override_by=by.strip(),
        override_at=at,
        override_keys=list(keys),
    )


def clear_override(screening: Screening) -> Screening:
    """A copy without the override (for example when the physician withdraws it)."""
    return dataclasses.replace(
        screening, override_reason=None, override_by=None, override_at=None, override_keys=[]
    )
