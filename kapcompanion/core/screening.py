"""Screening: is ketamine appropriate for this client?

Each item is answered yes / no / unknown with a note. The rules are deliberately simple
and conservative, because the software must never make the decision quietly:

- any contraindication answered "yes" makes the client not eligible;
- a contraindication answered "unknown", any flag answered "yes" or "unknown", and any
  item not answered at all make the outcome "physician review";
- everything answered "no" is eligible.

Findings come in two levels (:class:`Level`). A finding on a *label contraindication*
(the first group: answered yes, not known, or not answered) can be overridden only by the
prescriber: the override names the prescriber and their credential, gives a reason, and is
recorded as the prescriber's decision (entered by the therapist at the keyboard). A
*relative* finding (the second group) can be overridden by the therapist. Either way the
reason must be a sentence (``core.reasons``), not a token.

The override remembers which findings it covered: if a new finding appears after it
(another "yes", say), the override no longer applies and the screening is evaluated again,
so an old override can never wave through new information.

Two findings come from elsewhere in the record (:class:`ScreeningContext`): an interacting
medication on the intake's list makes the "Interacting medication" item "yes" until the
prescriber reconciles the list (:func:`reconcile_medication`), and a positive PHQ-9 item 9
or an active suicide-risk flag makes the "Acute suicidality" item "yes", with a note that
says where it comes from.

The item list is drawn from the published KAP literature (the Krupitsky trials, Dakwar et
al. 2019, and the reviews of Nova Health Recovery and of Friedman 2022): it is
shipped as an editable default, never as medical advice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from kapcompanion.core import wording
from kapcompanion.core.intake import group_label
from kapcompanion.core.reasons import reason_problem


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class ItemGroup(StrEnum):
    CONTRAINDICATION = "contraindication"
    PHYSICIAN_REVIEW = "physician_review"


class Level(StrEnum):
    """How strong a finding is, and so who may override it."""

    #: a label contraindication: only the prescriber may override
    LABEL = "label"
    #: a relative finding: the therapist may override with a reason
    RELATIVE = "relative"

    @property
    def label(self) -> str:
        return "label contraindication" if self is Level.LABEL else "relative finding"


class OverrideRole(StrEnum):
    THERAPIST = "therapist"
    PRESCRIBER = "prescriber"


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
    # Absolute or strong contraindications named in those sources.
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
INTERACTING = "interacting_medication"
SUICIDALITY = "acute_suicidality"


def level_of(key: str) -> Level:
    """Label contraindications are the first group; the rest are relative findings."""
    return Level.LABEL if ITEMS_BY_KEY[key].group is ItemGroup.CONTRAINDICATION else Level.RELATIVE


@dataclass
class ScreeningResponse:
    key: str
    answer: Answer
    note: str = ""


@dataclass(frozen=True)
class Prescriber:
    """The prescriber who makes a decision the therapist may not make alone."""

    name: str
    credential: str  # "MD", "DO", "NP", "PA", as the prescriber signs
    #: the practice member (``core/members.py``) who confirmed with their own PIN
    member_id: int | None = None


@dataclass
class MedicationReconciliation:
    """The prescriber reviewed the intake's interacting medication (by name)."""

    prescriber: str
    credential: str
    reason: str
    at: datetime
    medications: list[str] = field(default_factory=list)
    entered_by: str = ""


@dataclass
class Screening:
    responses: dict[str, ScreeningResponse] = field(default_factory=dict)
    screened_on: date | None = None
    override_reason: str | None = None
    #: who decided: the therapist, or for a label contraindication the prescriber
    override_by: str | None = None
    override_at: datetime | None = None
    # The findings the override covered, as "item_key:answer" ("unanswered" for an item
    # without an answer); see the module docstring.
    override_keys: list[str] = field(default_factory=list)
    #: "therapist" or "prescriber" (None: recorded before the levels existed, a therapist's)
    override_role: OverrideRole | None = None
    override_credential: str | None = None
    #: the person at the keyboard who entered a prescriber's decision
    override_entered_by: str | None = None
    #: the prescriber, a practice member, confirmed with their own PIN (``services.screening``)
    override_confirmed: bool = False
    reconciliation: MedicationReconciliation | None = None


@dataclass(frozen=True)
class ScreeningContext:
    """What the rest of the record says that the screening must take into account."""

    #: interacting medication on the intake's list: name -> group keys
    interacting: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: why the suicidality item is flagged (a positive PHQ-9 item 9, an active flag); "" if not
    suicide_risk: str = ""


@dataclass(frozen=True)
class Finding:
    key: str
    label: str
    answer: str  # "yes", "unknown" or "unanswered"
    level: Level
    #: where an answer the therapist did not give comes from ("" when it is theirs)
    source: str = ""

    @property
    def token(self) -> str:
        return f"{self.key}:{self.answer}"


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    reasons: list[str]
    unanswered: list[str]
    overridden: bool
    findings: tuple[Finding, ...] = ()
    #: notes that explain an answer derived from the record, by item key
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def needs_prescriber(self) -> bool:
        """Only the prescriber may override this outcome (a label contraindication)."""
        return any(f.level is Level.LABEL for f in self.findings)


class OverrideNeedsPrescriber(ValueError):
    """A label contraindication: the therapist alone may not override it."""


def answer(screening: Screening, key: str, value: Answer, note: str = "") -> Screening:
    """A copy of ``screening`` with one item answered (unknown keys are refused)."""
    if key not in ITEMS_BY_KEY:
        raise ValueError(f"Unknown screening item {key!r}.")
    responses = dict(screening.responses)
    responses[key] = ScreeningResponse(key=key, answer=Answer(value), note=note)
    return dataclasses.replace(screening, responses=responses)


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def unreconciled(
    screening: Screening, context: ScreeningContext
) -> list[tuple[str, tuple[str, ...]]]:
    """Interacting medication on the intake's list that the prescriber has not reconciled."""
    done = screening.reconciliation
    covered = {_name_key(m) for m in done.medications} if done else set()
    return [
        (name, groups) for name, groups in context.interacting if _name_key(name) not in covered
    ]


def _medication_words(medications: list[tuple[str, tuple[str, ...]]]) -> str:
    return "; ".join(
        f"{name} ({', '.join(group_label(g) for g in groups)})" if groups else name
        for name, groups in medications
    )


def derived_answers(
    screening: Screening, context: ScreeningContext | None
) -> tuple[dict[str, Answer], dict[str, str]]:
    """Answers the record sets (item key -> answer) and the note that says why, for every
    item the record speaks about (a note without an answer: the record agrees, or the
    prescriber reconciled)."""
    answers: dict[str, Answer] = {}
    notes: dict[str, str] = {}
    if context is None:
        return answers, notes
    open_meds = unreconciled(screening, context)
    done = screening.reconciliation
    if open_meds:
        answers[INTERACTING] = Answer.YES
        notes[INTERACTING] = (
            f"The intake lists {_medication_words(open_meds)}. This item counts as \u201cyes\u201d "
            "until the prescriber reconciles the medication list."
        )
    elif context.interacting and done is not None:
        notes[INTERACTING] = (
            f"Medication list reconciled by {done.prescriber} ({done.credential}) on "
            f"{wording.short_date(done.at)}: {done.reason}"
        )
    if context.suicide_risk.strip():
        answers[SUICIDALITY] = Answer.YES
        notes[SUICIDALITY] = (
            f"{context.suicide_risk.strip()} This item counts as \u201cyes\u201d; review it "
            "with the client and the prescriber."
        )
    return answers, notes


def _findings(
    screening: Screening, context: ScreeningContext | None = None
) -> tuple[Outcome, list[str], list[str], list[Finding], dict[str, str]]:
    """Outcome without any override, the reasons, unanswered labels, every finding (each
    item answered yes or unknown, or not answered) and the notes on derived answers."""
    derived, notes = derived_answers(screening, context)
    reasons: list[str] = []
    unanswered: list[str] = []
    findings: list[Finding] = []
    blocked = False
    review = False
    for item in SCREENING_ITEMS:
        level = level_of(item.key)
        response = screening.responses.get(item.key)
        given = Answer(response.answer) if response is not None else None  # plain strings too
        source = ""
        if item.key in derived and given is not derived[item.key]:
            given, source = derived[item.key], notes[item.key]
        if given is None:
            unanswered.append(item.label)
            findings.append(Finding(item.key, item.label, "unanswered", level))
            review = True
            continue
        if given is Answer.NO:
            continue
        findings.append(Finding(item.key, item.label, given.value, level, source))
        from_record = " (from the record)" if source else ""
        if level is Level.LABEL:
            if given is Answer.YES:
                blocked = True
                reasons.append(
                    f"{item.label}: answered yes{from_record}. This is a label contraindication; "
                    "only the prescriber can override it."
                )
            else:
                review = True
                reasons.append(
                    f"{item.label}: not known. The prescriber must review this contraindication."
                )
        else:
            review = True
            said = "answered yes" if given is Answer.YES else "not known"
            reasons.append(f"{item.label}: {said}{from_record}. Needs physician review.")
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
    return outcome, reasons, unanswered, findings, notes


def override_lapse(screening: Screening, findings: list[Finding]) -> str:
    """Why the recorded override does not cover ``findings`` ("" when it does)."""
    covered = set(screening.override_keys)
    new = [f.label for f in findings if f.token not in covered]
    if new:
        return (
            "The override no longer applies: new findings since it was recorded: "
            + ", ".join(new)
            + "."
        )
    label = [f.label for f in findings if f.level is Level.LABEL]
    if label and screening.override_role is not OverrideRole.PRESCRIBER:
        return (
            "The override does not apply: it was recorded without the prescriber, and "
            f"{', '.join(label)} needs the prescriber's decision."
        )
    return ""


def override_author(screening: Screening) -> str:
    """'the prescriber Dr Lee (MD)', or the therapist's name."""
    who = screening.override_by or "unknown"
    if screening.override_role is OverrideRole.PRESCRIBER:
        credential = f" ({screening.override_credential})" if screening.override_credential else ""
        return f"the prescriber {who}{credential}"
    return who


def evaluate(screening: Screening, context: ScreeningContext | None = None) -> ScreeningResult:
    """Apply the screening rules (module docstring); an override is honoured only while
    it still covers every current finding, and, for a label contraindication, only when
    it is the prescriber's."""
    outcome, reasons, unanswered, findings, notes = _findings(screening, context)
    reason = (screening.override_reason or "").strip()
    found = tuple(findings)
    if outcome is Outcome.ELIGIBLE or not reason:
        return ScreeningResult(outcome, reasons, unanswered, False, found, notes)
    lapse = override_lapse(screening, findings)
    if lapse:
        reasons.append(lapse)
        return ScreeningResult(outcome, reasons, unanswered, False, found, notes)
    when = f" on {wording.short_date(screening.override_at)}" if screening.override_at else ""
    reasons.append(f"Overridden by {override_author(screening)}{when}: {reason}")
    return ScreeningResult(Outcome.ELIGIBLE, reasons, unanswered, True, found, notes)


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("The time must include a time zone (use UTC).")


def _checked_prescriber(prescriber: Prescriber) -> Prescriber:
    name, credential = prescriber.name.strip(), prescriber.credential.strip()
    if not name:
        raise ValueError("Write the prescriber's name.")
    if not credential:
        raise ValueError("Write the prescriber's credential (for example MD, DO, NP or PA).")
    return Prescriber(name, credential)


def apply_override(
    screening: Screening,
    reason: str,
    by: str,
    at: datetime,
    *,
    prescriber: Prescriber | None = None,
    context: ScreeningContext | None = None,
) -> Screening:
    """Record an override of a "not eligible" or "physician review" outcome.

    ``by`` is the person at the keyboard. A label contraindication among the findings needs
    ``prescriber``: the override is then the prescriber's decision, entered by ``by``
    (:class:`OverrideNeedsPrescriber` otherwise). The reason must be a sentence. The current
    findings are remembered so that a later finding is not covered.
    """
    problem = reason_problem(reason)
    if problem:
        raise ValueError(problem)
    if not by or not by.strip():
        raise ValueError("An override needs the name of the person who made it.")
    _aware(at)
    outcome, _reasons, _unanswered, findings, _notes = _findings(screening, context)
    if outcome is Outcome.ELIGIBLE:
        raise ValueError("The screening is eligible; there is nothing to override.")
    label = [f.label for f in findings if f.level is Level.LABEL]
    if label and prescriber is None:
        raise OverrideNeedsPrescriber(
            f"{', '.join(label)}: a label contraindication can be overridden only by the "
            "prescriber. Record the prescriber's name, credential and reason."
        )
    entered = by.strip()
    if prescriber is not None:
        checked = _checked_prescriber(prescriber)
        author, role, credential = checked.name, OverrideRole.PRESCRIBER, checked.credential
    else:
        author, role, credential = entered, OverrideRole.THERAPIST, None
    return dataclasses.replace(
        screening,
        override_reason=" ".join(reason.split()),
        override_by=author,
        override_at=at,
        override_keys=[f.token for f in findings],
        override_role=role,
        override_credential=credential,
        override_entered_by=entered,
        override_confirmed=False,
    )


def clear_override(screening: Screening) -> Screening:
    """A copy without the override (for example when the physician withdraws it)."""
    return dataclasses.replace(
        screening,
        override_reason=None,
        override_by=None,
        override_at=None,
        override_keys=[],
        override_role=None,
        override_credential=None,
        override_entered_by=None,
        override_confirmed=False,
    )


def reconcile_medication(
    screening: Screening,
    context: ScreeningContext,
    prescriber: Prescriber,
    reason: str,
    by: str,
    at: datetime,
) -> Screening:
    """The prescriber reviewed the intake's interacting medication: the interaction item
    takes the therapist's own answer again, until a medication not covered here is listed."""
    problem = reason_problem(reason)
    if problem:
        raise ValueError(problem)
    _aware(at)
    checked = _checked_prescriber(prescriber)
    if not context.interacting:
        raise ValueError(
            "The intake lists no interacting medication; there is nothing to reconcile."
        )
    return dataclasses.replace(
        screening,
        reconciliation=MedicationReconciliation(
            prescriber=checked.name,
            credential=checked.credential,
            reason=" ".join(reason.split()),
            at=at,
            medications=[name for name, _groups in context.interacting],
            entered_by=by.strip(),
        ),
    )
