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
