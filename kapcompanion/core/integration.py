"""Integration: the prompt set (a versioned template) and the client's dated entries.

Prompts are data (``resources/prompts/integration.json``) so a clinic can edit them; each
entry records which prompt set and version it answered, so an old entry still reads
correctly after the prompts change. Prompt answers are keyed by prompt id
(``"somatic.release"``), never by the prompt's position.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from kapcompanion.core import serial
from kapcompanion.core.bundled import bundled_resource


class IntegrationKind(StrEnum):
    SAME_DAY_DEBRIEF = "same_day_debrief"
    NEXT_DAY = "next_day"
    LATER = "later"
    OTHER = "other"


@dataclass(frozen=True)
class Prompt:
    id: str
    text: str


@dataclass(frozen=True)
class PromptGroup:
    id: str
    title: str
    prompts: tuple[Prompt, ...]
    description: str = ""


@dataclass(frozen=True)
class PromptSet:
    id: str
    version: str
    title: str
    groups: tuple[PromptGroup, ...]
    description: str = ""

    @property
    def prompt_ids(self) -> list[str]:
        return [p.id for g in self.groups for p in g.prompts]

    def prompt(self, prompt_id: str) -> Prompt:
        for group in self.groups:
            for p in group.prompts:
                if p.id == prompt_id:
                    return p
        raise KeyError(f"no prompt {prompt_id!r} in {self.id} v{self.version}")

    def group(self, group_id: str) -> PromptGroup:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(f"no group {group_id!r} in {self.id} v{self.version}")


def parse_prompts(data: dict[str, Any], where: str = "prompts") -> PromptSet:
    """Build a :class:`PromptSet` and check it: ids present and unique, no empty text."""
    try:
        prompts = serial.load(PromptSet, data)
    except TypeError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    if not prompts.id or not prompts.version:
        raise ValueError(f"{where}: a prompt set needs an id and a version")
    if not prompts.groups:
        raise ValueError(f"{where}: a prompt set needs at least one group")
    seen: set[str] = set()
    for group in prompts.groups:
        if group.id in seen or not group.id:
            raise ValueError(f"{where}: duplicate or empty group id {group.id!r}")
        seen.add(group.id)
        for p in group.prompts:
            if p.id in seen or not p.id:
                raise ValueError(f"{where}: duplicate or empty prompt id {p.id!r}")
            if not p.text.strip():
                raise ValueError(f"{where}: prompt {p.id!r} has no text")
            seen.add(p.id)
    return prompts


def load_prompts(path: Path | None = None) -> PromptSet:
    """The shipped integration prompts, or a clinic-edited copy at ``path``."""
    path = path or bundled_resource("prompts", "integration.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot read prompts: {exc}") from exc
    return parse_prompts(data, path.name)


@dataclass
class IntegrationEntry:
    session_id: int | None
    kind: IntegrationKind
    entry_date: date
    prompt_answers: dict[str, str] = field(default_factory=dict)
    free_text: str = ""
    mood: int | None = None
    title: str = ""
    prompt_set_id: str = ""
    prompt_set_version: str = ""

    def __post_init__(self) -> None:
        self.kind = IntegrationKind(self.kind)
        if self.mood is not None and (
            isinstance(self.mood, bool)
            or not isinstance(self.mood, int)
            or not 0 <= self.mood <= 10
        ):
            raise ValueError(f"mood must be a whole number from 0 to 10, got {self.mood!r}")
        for key, value in self.prompt_answers.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError("prompt answers map prompt ids to text")

    def unknown_prompts(self, prompts: PromptSet) -> list[str]:
        """Answered prompt ids that ``prompts`` does not contain (e.g. after an edit)."""
        known = set(prompts.prompt_ids)
        return [k for k in self.prompt_answers if k not in known]


def _fold(text: str) -> str:
    """Lower-case and strip accents so 'Émotion' matches 'emotion' and 'STRASSE' 'Straße'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _entry_text(entry: IntegrationEntry) -> str:
    return "\n".join([entry.title, entry.free_text, *entry.prompt_answers.values()])


def search_entries(entries: Sequence[IntegrationEntry], query: str) -> list[int]:
    """Indexes of the entries containing every word of ``query`` in any of their text.

    Matching is case- and accent-insensitive over the title, free text and prompt answers.
    An empty query matches every entry.
    """
    words = _fold(query).split()
    hits: list[int] = []
    for index, entry in enumerate(entries):
        haystack = _fold(_entry_text(entry))
        if all(w in haystack for w in words):
            hits.append(index)
    return hits
