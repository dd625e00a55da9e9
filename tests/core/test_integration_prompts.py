"""Integration prompts (loading, validation) and entries (mood range, search)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kapcompanion.core import serial
from kapcompanion.core.integration import (
    IntegrationEntry,
    IntegrationKind,
    load_prompts,
    parse_prompts,
    search_entries,
)


def test_shipped_prompts_cover_every_group() -> None:
    prompts = load_prompts()
    assert (prompts.id, prompts.version) == ("integration", "1")
    groups = [g.id for g in prompts.groups]
    assert groups == [
        "personal",
        "somatic",
        "transpersonal",
        "insights",
        "challenges",
        "changes",
        "commitments",
    ]
    for group in prompts.groups:
        assert len(group.prompts) >= 3, group.id
        assert all(p.id.startswith(group.id + ".") for p in group.prompts)
    challenges = " ".join(p.text for p in prompts.group("challenges").prompts).lower()
    for theme in ("not a straight line", "relationships", "big decision"):
        assert theme in challenges
    assert "stayed the same" in prompts.prompt("changes.same").text
    assert len(set(prompts.prompt_ids)) == len(prompts.prompt_ids)


def test_clinic_copy_and_bad_files(tmp_path: Path) -> None:
    data = serial.to_jsonable(load_prompts())
    data["version"] = "2-clinic"
    data["groups"][0]["prompts"][0]["text"] = "Edited by the clinic"
    path = tmp_path / "integration.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    edited = load_prompts(path)
    assert edited.version == "2-clinic"
    assert edited.prompt("personal.memories").text == "Edited by the clinic"

    dup = serial.to_jsonable(load_prompts())
    dup["groups"][1]["prompts"][0]["id"] = "personal.memories"
    with pytest.raises(ValueError, match="duplicate"):
        parse_prompts(dup)
    blank = serial.to_jsonable(load_prompts())
    blank["groups"][0]["prompts"][1]["text"] = "  "
    with pytest.raises(ValueError, match="no text"):
        parse_prompts(blank)
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read"):
        load_prompts(tmp_path / "broken.json")
    with pytest.raises(KeyError):
        edited.prompt("nope")


@pytest.mark.parametrize("mood", [-1, 11, True, 5.5])
def test_mood_must_be_0_to_10(mood: object) -> None:
    with pytest.raises(ValueError, match="mood"):
        IntegrationEntry(None, IntegrationKind.NEXT_DAY, date(2025, 3, 4), mood=mood)  # type: ignore[arg-type]


def test_entry_round_trip_and_unknown_prompts() -> None:
    entry = IntegrationEntry(
        session_id=7,
        kind="same_day_debrief",  # type: ignore[arg-type]
        entry_date=date(2025, 3, 3),
        prompt_answers={"somatic.release": "shoulders", "old.prompt": "kept"},
        free_text="Calm",
        mood=0,
        title="Debrief",
        prompt_set_id="integration",
        prompt_set_version="1",
    )
    assert entry.kind is IntegrationKind.SAME_DAY_DEBRIEF
    assert serial.load(IntegrationEntry, serial.to_jsonable(entry)) == entry
    assert entry.unknown_prompts(load_prompts()) == ["old.prompt"]
    assert IntegrationEntry(None, IntegrationKind.LATER, date(2025, 4, 1), mood=10).mood == 10


def test_search_is_case_and_accent_insensitive_across_all_text() -> None:
    entries = [
        IntegrationEntry(1, IntegrationKind.SAME_DAY_DEBRIEF, date(2025, 3, 3), title="Première"),
        IntegrationEntry(
            1,
            IntegrationKind.NEXT_DAY,
            date(2025, 3, 4),
            prompt_answers={"somatic.release": "Tension left my SHOULDERS; felt déjà vu"},
        ),
        IntegrationEntry(
            2,
            IntegrationKind.LATER,
            date(2025, 3, 20),
            free_text="Talked to my mother. Große Ruhe.",
        ),
        IntegrationEntry(None, IntegrationKind.OTHER, date(2025, 3, 21), free_text="Nothing new"),
    ]
    assert search_entries(entries, "premiere") == [0]
    assert search_entries(entries, "PREMIÈRE") == [0]
    assert search_entries(entries, "shoulders") == [1]
    assert search_entries(entries, "deja VU") == [1]
    assert search_entries(entries, "grosse ruhe") == [2]
    assert search_entries(entries, "mother grosse") == [2]  # every word, any order
    assert search_entries(entries, "mother shoulders") == []
    assert search_entries(entries, "new") == [3]
    assert search_entries(entries, "  ") == [0, 1, 2, 3]
    assert search_entries([], "x") == []
