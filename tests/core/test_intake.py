"""Intake: ACE scoring, the indication list, interacting-medication lookup, storage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kapcompanion.core import serial
from kapcompanion.core.intake import (
    ACE_QUESTIONS,
    INDICATIONS,
    Contact,
    Intake,
    Medication,
    SubstanceUse,
    ace_score,
    ace_words,
    group_label,
    interacting_groups,
    load_medication_groups,
    medication_flags,
)


def test_ace_has_the_ten_standard_items() -> None:
    assert len(ACE_QUESTIONS) == 10
    # The ten CDC-Kaiser categories, in the standard order.
    for question, word in zip(
        ACE_QUESTIONS,
        [
            "humiliated",
            "hit",
            "sexual",
            "loved",
            "enough to eat",
            "divorced",
            "mother",
            "drinker",
            "mentally ill",
            "prison",
        ],
        strict=True,
    ):
        assert word in question


@pytest.mark.parametrize(
    ("answers", "score", "answered", "complete"),
    [
        ([None] * 10, 0, 0, False),
        ([False] * 10, 0, 10, True),
        ([True] * 10, 10, 10, True),
        ([True, False, None, True, None, False, False, True, None, None], 3, 6, False),
        ([True] * 9 + [None], 9, 9, False),
    ],
)
def test_ace_score(answers: list[bool | None], score: int, answered: int, complete: bool) -> None:
    result = ace_score(answers)
    assert (result.score, result.answered, result.complete) == (score, answered, complete)


@pytest.mark.parametrize("count", [0, 9, 11])
def test_ace_score_refuses_wrong_length(count: int) -> None:
    with pytest.raises(ValueError, match="10 items"):
        ace_score([False] * count)


@pytest.mark.parametrize(
    ("stray", "shown"),
    [(1, "not 1"), (0, "not 0"), ("yes", "not 'yes'"), ("no", "not 'no'"), (2.0, "not 2.0")],
)
def test_ace_refuses_anything_but_yes_no_or_blank(stray: object, shown: str) -> None:
    # 1 or "yes" used to count silently as "no"; now the item is named and nothing is counted
    answers: list[object] = [True, True, True, None, False, False, False, False, False, False]
    answers[3] = stray
    with pytest.raises(ValueError, match=f"ACE question 4: the answer must be yes or no.*{shown}"):
        ace_score(answers)  # type: ignore[arg-type]
    words = ace_words(answers)  # type: ignore[arg-type]
    assert words.startswith("ACE score: not counted. ACE question 4") and shown in words


@pytest.mark.parametrize(
    ("yes", "high"),
    [(0, False), (3, False), (4, True), (10, True)],
)
def test_ace_4_or_more_is_marked(yes: int, high: bool) -> None:
    # Felitti et al. 1998: 4 or more categories came with markedly higher risk.
    answers: list[bool | None] = [*([True] * yes), *([False] * (10 - yes))]
    result = ace_score(answers)
    assert (result.score, result.high) == (yes, high)
    words = ace_words(answers)
    assert words.startswith(f"ACE score: {yes} of 10.")
    assert ("4 or more: the CDC-Kaiser ACE study" in words) is high


def test_ace_4_is_marked_already_on_a_partly_answered_form() -> None:
    answers: list[bool | None] = [True] * 4 + [None] * 6
    words = ace_words(answers)
    assert words.startswith("ACE score so far: 4 (4 of 10 answered; 6 not answered")
    assert "\u26a0 4 or more" in words
    assert ace_words([None] * 10) == "ACE score: not answered yet (0 of 10 items)."


def test_new_intake_has_ten_unanswered_ace_items() -> None:
    assert Intake().ace_answers == [None] * 10


def test_indications_cover_the_brief() -> None:
    labels = [i.label for i in INDICATIONS]
    assert labels[0] == "Depression"
    for expected in [
        "Treatment-resistant depression",
        "Anxiety",
        "PTSD",
        "Alcohol use disorder",
        "Opioid use disorder",
        "Cocaine or stimulant use disorder",
        "Heroin use",
        "Other substance use",
        "Existential distress",
        "Other",
    ]:
        assert expected in labels
    assert len({i.key for i in INDICATIONS}) == len(INDICATIONS)


@pytest.mark.parametrize(
    ("name", "groups"),
    [
        ("Xanax 0.5 mg", ["benzodiazepines"]),
        ("LORAZEPAM", ["benzodiazepines"]),
        ("clonazepam (Klonopin)", ["benzodiazepines"]),
        ("Lamictal XR 200mg", ["lamotrigine"]),
        ("oxycodone/paracetamol", ["opioids"]),
        ("Suboxone film", ["opioids"]),
        ("MS Contin", ["opioids"]),
        ("tramadol", ["opioids"]),
        ("Nardil", ["maois"]),
        ("selegiline patch", ["maois"]),
        ("Adderall XR", ["stimulants"]),
        ("lisdexamfetamine", ["stimulants"]),
        ("Vyvanse", ["stimulants"]),
        ("Ritalin", ["stimulants"]),
        ("sertraline", []),
        ("lithium", []),
        ("", []),
        ("Xanax and tramadol", ["benzodiazepines", "opioids"]),
    ],
)
def test_interacting_groups(name: str, groups: list[str]) -> None:
    assert interacting_groups(name) == groups


def test_no_partial_word_matches() -> None:
    # "codeine" inside "dihydrocodeinex" or "valium" inside "valiumish" must not match.
    assert interacting_groups("valiumish") == []
    assert interacting_groups("morphinex") == []


def test_table_groups_and_labels() -> None:
    keys = [g.key for g in load_medication_groups()]
    assert keys == ["benzodiazepines", "lamotrigine", "opioids", "maois", "stimulants"]
    assert group_label("maois") == "MAOIs"
    assert group_label("nothing") == "nothing"


def test_custom_table(tmp_path: Path) -> None:
    table = tmp_path / "meds.json"
    table.write_text(
        json.dumps({"groups": {"opioids": {"label": "Opioids", "names": ["Kratom"]}}}),
        encoding="utf-8",
    )
    assert interacting_groups("kratom tea", table) == ["opioids"]
    assert interacting_groups("oxycodone", table) == []


def test_medication_flags_merges_hand_entered_groups() -> None:
    meds = [
        Medication("Xanax", "0.5 mg"),
        Medication("sertraline", "100 mg"),
        Medication("compounded thing", "", ["stimulants"]),
    ]
    assert medication_flags(meds) == {
        "Xanax": ["benzodiazepines"],
        "compounded thing": ["stimulants"],
    }


def test_intake_round_trips() -> None:
    intake = Intake(
        indications=["ptsd", "alcohol_use_disorder"],
        medical_concerns="asthma, controlled",
        medications=[Medication("lamotrigine", "100 mg", ["lamotrigine"])],
        substances=[SubstanceUse("alcohol", "oral", "last weekend")],
        ace_answers=[True, None, False, True, False, False, None, True, False, False],
        support_people=[Contact("Sam", "555 0100", "partner")],
        escort=Contact("Sam", "555 0100", "partner"),
        notes="",
    )
    data = json.loads(json.dumps(serial.to_jsonable(intake)))
    assert serial.load(Intake, data) == intake
