"""Intake and assessment: indications, medication, substances, ACE score, support people.

The ACE questions are the ten items of the CDC-Kaiser Permanente Adverse Childhood
Experiences study (Felitti et al., 1998), each about the first 18 years of life, in short
wording. The score is the number of "yes" answers (0-10); unanswered items are counted
separately so an incomplete questionnaire is never shown as a low score. An answer is yes
(``True``), no (``False``) or not answered (``None``); anything else (``1``, ``"yes"``) is
refused rather than counted as no. A score of 4 or more is marked: in the CDC-Kaiser study
4 or more categories of exposure came with markedly higher risk of the health outcomes
studied (Felitti et al., Am J Prev Med 1998;14(4):245-258).

Interacting medication is looked up in ``resources/medications.json`` (generic and common
brand names per group). The table helps the screening's "interacting medication" flag; a
medicine missing from it is not proof that there is no interaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kapcompanion.core.data import read_json, resource_path


@dataclass(frozen=True)
class IndicationDef:
    key: str
    label: str


INDICATIONS: tuple[IndicationDef, ...] = (
    IndicationDef("depression", "Depression"),
    IndicationDef("treatment_resistant_depression", "Treatment-resistant depression"),
    IndicationDef("anxiety", "Anxiety"),
    IndicationDef("ptsd", "PTSD"),
    IndicationDef("alcohol_use_disorder", "Alcohol use disorder"),
    IndicationDef("opioid_use_disorder", "Opioid use disorder"),
    IndicationDef("stimulant_use_disorder", "Cocaine or stimulant use disorder"),
    IndicationDef("heroin", "Heroin use"),
    IndicationDef("other_substance_use", "Other substance use"),
    IndicationDef("existential_distress", "Existential distress"),
    IndicationDef("other", "Other"),
)

INDICATION_LABELS: dict[str, str] = {i.key: i.label for i in INDICATIONS}


def indication_label(key: str) -> str:
    """The words for an indication key (a free-text indication is shown as typed)."""
    return INDICATION_LABELS.get(key, key.replace("_", " "))


ACE_QUESTIONS: tuple[str, ...] = (
    "A parent or other adult in the home often swore at, insulted or humiliated you, or "
    "acted in a way that made you afraid you might be physically hurt.",
    "A parent or other adult in the home often pushed, grabbed, slapped or threw something "
    "at you, or hit you so hard that you had marks or were injured.",
    "An adult or a person at least 5 years older than you ever touched or fondled you or "
    "had you touch their body in a sexual way, or tried to or did have sex with you.",
    "You often felt that no one in your family loved you or thought you were important or "
    "special, or your family did not look out for each other or feel close.",
    "You often did not have enough to eat, had to wear dirty clothes or had no one to "
    "protect you, or your parents were too drunk or high to take care of you.",
    "Your parents were ever separated or divorced.",
    "Your mother or stepmother was often pushed, grabbed, slapped, had something thrown at "
    "her, was kicked, bitten or hit, or was threatened with a gun or knife.",
    "You lived with anyone who was a problem drinker or alcoholic, or who used street drugs.",
    "A household member was depressed or mentally ill, or attempted suicide.",
    "A household member went to prison.",
)

ACE_PREAMBLE = "While you were growing up, during your first 18 years of life:"


@dataclass
class Medication:
    name: str
    dose: str = ""
    groups: list[str] = field(default_factory=list)


@dataclass
class SubstanceUse:
    substance: str
    route: str = ""
    last_use: str = ""  # free text ("last weekend", a date): clients rarely know exactly


@dataclass
class Contact:
    name: str
    phone: str = ""
    relationship: str = ""


def _no_ace_answers() -> list[bool | None]:
    return [None] * len(ACE_QUESTIONS)


@dataclass
class Intake:
    indications: list[str] = field(default_factory=list)
    medical_concerns: str = ""
    medications: list[Medication] = field(default_factory=list)
    substances: list[SubstanceUse] = field(default_factory=list)
    ace_answers: list[bool | None] = field(default_factory=_no_ace_answers)
    support_people: list[Contact] = field(default_factory=list)
    escort: Contact | None = None
    notes: str = ""


#: the ACE score from which the CDC-Kaiser study found markedly higher risk
ACE_HIGH = 4


@dataclass(frozen=True)
class AceResult:
    score: int  # number of "yes" answers
    answered: int  # number of items answered yes or no
    complete: bool  # all ten answered

    @property
    def high(self) -> bool:
        """4 or more "yes" answers (already so on a partly answered form)."""
        return self.score >= ACE_HIGH


def check_ace_answers(answers: list[bool | None]) -> None:
    """Refuse anything but yes (True), no (False) or not answered (None), naming the item."""
    if len(answers) != len(ACE_QUESTIONS):
        raise ValueError(
            f"The ACE questionnaire has {len(ACE_QUESTIONS)} items; got {len(answers)} answers."
        )
    for number, answer in enumerate(answers, 1):
        if answer is not None and not isinstance(answer, bool):
            raise ValueError(
                f"ACE question {number}: the answer must be yes or no (or left unanswered), "
                f"not {answer!r}; it was not counted."
            )


def ace_score(answers: list[bool | None]) -> AceResult:
    """Count the "yes" answers of the ten ACE items; ``None`` means not answered.

    Raises ValueError (naming the item) for an answer that is not yes, no or blank.
    """
    check_ace_answers(answers)
    score = sum(1 for a in answers if a is True)
    answered = sum(1 for a in answers if a is not None)
    return AceResult(score=score, answered=answered, complete=answered == len(ACE_QUESTIONS))


def ace_words(answers: list[bool | None]) -> str:
    """The score in words, with the mark at 4 or more and the refusal of a stray answer."""
    try:
        result = ace_score(answers)
    except ValueError as exc:
        return f"ACE score: not counted. {exc}"
    total = len(ACE_QUESTIONS)
    if result.answered == 0:
        return f"ACE score: not answered yet (0 of {total} items)."
    if result.complete:
        words = f"ACE score: {result.score} of {total}."
    else:
        missing = total - result.answered
        words = (
            f"ACE score so far: {result.score} ({result.answered} of {total} answered; "
            f"{missing} not answered, so the score may be higher)."
        )
    if result.high:
        words += (
            f" \u26a0 {ACE_HIGH} or more: the CDC-Kaiser ACE study associates this with "
            "markedly higher health risks."
        )
    return words


@dataclass(frozen=True)
class MedicationGroup:
    key: str
    label: str
    why: str
    names: tuple[str, ...]


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@cache
def load_medication_groups(path: Path | None = None) -> tuple[MedicationGroup, ...]:
    """The interacting-medication table (bundled ``resources/medications.json`` by default)."""
    data: Any = read_json(path or resource_path("medications.json"))
    groups = []
    for key, raw in data["groups"].items():
        names = tuple(_normalise(str(n)) for n in raw["names"])
        groups.append(MedicationGroup(key, str(raw["label"]), str(raw.get("why", "")), names))
    return tuple(groups)


def group_label(key: str) -> str:
    """Display label of a medication group key (the key itself if unknown)."""
    for group in load_medication_groups():
        if group.key == key:
            return group.label
    return key


def interacting_groups(medication_name: str, path: Path | None = None) -> list[str]:
    """Group keys (benzodiazepines, lamotrigine, opioids, maois, stimulants) that a
    medication name belongs to, in table order.

    Names match as whole words, ignoring case and punctuation, so "Xanax 0.5 mg",
    "LORAZEPAM" and "oxycodone/paracetamol" are all found, while "amphetamine" does not
    match inside "lisdexamfetamine" (that has its own entry).
    """
    text = f" {_normalise(medication_name)} "
    found: list[str] = []
    for group in load_medication_groups(path):
        if any(f" {name} " in text for name in group.names):
            found.append(group.key)
    return found


def medication_flags(medications: list[Medication]) -> dict[str, list[str]]:
    """Interacting groups per medication name, for medications that have any.

    Groups recorded by hand on the medication are kept alongside the looked-up ones.
    """
    result: dict[str, list[str]] = {}
    for med in medications:
        groups = list(dict.fromkeys([*interacting_groups(med.name), *med.groups]))
        if groups:
            result[med.name] = groups
    return result
