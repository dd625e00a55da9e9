"""Preparation checklist templates: data, loading, validation and versioned editing.

Templates are JSON files (``resources/checklists/*.json``), so a clinic can read them and
keep its own copy. A template is immutable: every edit returns a new template with the
version increased by one, so each session's checklist can name the exact version it was
filled against (``Checklist.template_version``) and an old record always reads the same.
A clinic's own template starts as a copy (``copy_template``): version 1 and ``based_on``
naming the original as ``"id@version"``. The shipped files are never written.

``kapcompanion.core.checklist`` re-exports everything here; import it from there.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from kapcompanion.core import serial
from kapcompanion.core.data import read_json, resource_path


class ItemKind(StrEnum):
    CHECK = "check"
    DATE = "date"
    TEXT = "text"
    TIME = "time"
    TOUCH = "touch"
    MUSIC = "music"
    CONTACT = "contact"
    MULTI = "multi"


@dataclass(frozen=True)
class TemplateItem:
    key: str
    label: str
    kind: ItemKind
    required: bool = True
    help: str = ""
    section: str = ""
    # Copied into the next session's checklist (then marked not done, to be reviewed).
    carry_over: bool = False
    options: tuple[str, ...] = ()  # the choices of a "multi" item


@dataclass(frozen=True)
class ChecklistTemplate:
    id: str
    version: int
    name: str
    items: tuple[TemplateItem, ...]
    based_on: str | None = None

    def item(self, key: str) -> TemplateItem:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(f"The template {self.id!r} has no item {key!r}.")

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]


class TemplateError(ValueError):
    """A template file or edit is invalid; the message lists every problem found."""


_ITEM_FIELDS = {f.name for f in dataclasses.fields(TemplateItem)}
_KINDS = ", ".join(k.value for k in ItemKind)


def _problems_raw(data: Any) -> list[str]:
    """Check the JSON structure before building objects, so errors are readable."""
    if not isinstance(data, dict):
        return ["The template must be a JSON object."]
    problems: list[str] = []
    if not isinstance(data.get("id"), str) or not data["id"].strip():
        problems.append('"id" must be a non-empty text.')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append('"version" must be a whole number of 1 or more.')
    if not isinstance(data.get("name"), str):
        problems.append('"name" must be text.')
    items = data.get("items")
    if not isinstance(items, list):
        return [*problems, '"items" must be a list.']
    for index, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            problems.append(f"Item {index} must be an object.")
            continue
        name = raw.get("key", f"#{index}")
        for required in ("key", "label", "kind"):
            if not isinstance(raw.get(required), str):
                problems.append(f'Item {name}: "{required}" is missing or not text.')
        kind = raw.get("kind")
        if isinstance(kind, str) and kind not in ItemKind.__members__.values():
            problems.append(f'Item {name}: unknown kind "{kind}" (use one of: {_KINDS}).')
        unknown = sorted(set(raw) - _ITEM_FIELDS)
        if unknown:
            problems.append(f"Item {name}: unknown field(s) {', '.join(unknown)}.")
    return problems


def validate_template(template: ChecklistTemplate) -> list[str]:
    """Problems with a template (empty when it is valid)."""
    problems: list[str] = []
    if not template.id.strip():
        problems.append("The template needs an id.")
    if template.version < 1:
        problems.append("The template version must be 1 or more.")
    if not template.items:
        problems.append("The template has no items.")
    seen: set[str] = set()
    for item in template.items:
        if not item.key.strip():
            problems.append(f"The item {item.label!r} has no key.")
        elif item.key in seen:
            problems.append(f"Duplicate item key {item.key!r}.")
        seen.add(item.key)
        if not item.label.strip():
            problems.append(f"The item {item.key!r} has no label.")
        if item.kind not in ItemKind.__members__.values():
            problems.append(f"The item {item.key!r} has unknown kind {item.kind!r}.")
        if item.kind == ItemKind.MULTI and not item.options:
            problems.append(f"The multiple-choice item {item.key!r} has no options.")
    return problems


def _checked(template: ChecklistTemplate) -> ChecklistTemplate:
    problems = validate_template(template)
    if problems:
        raise TemplateError(" ".join(problems))
    return template


def template_from_dict(data: Any) -> ChecklistTemplate:
    problems = _problems_raw(data)
    if problems:
        raise TemplateError(" ".join(problems))
    return _checked(serial.load(ChecklistTemplate, data))


def load_template(path: Path) -> ChecklistTemplate:
    """Read and validate a template file; a :class:`TemplateError` names the file."""
    try:
        return template_from_dict(read_json(path))
    except TemplateError as exc:
        raise TemplateError(f"{path.name}: {exc}") from exc


def template_to_json(template: ChecklistTemplate) -> str:
    """The template as JSON text (for saving a clinic's copy)."""
    return json.dumps(serial.to_jsonable(template), indent=2, ensure_ascii=False) + "\n"


def shipped_templates(folder: Path | None = None) -> list[ChecklistTemplate]:
    """Every template shipped in ``resources/checklists``, sorted by id."""
    directory = folder or resource_path("checklists")
    templates = [load_template(p) for p in sorted(directory.glob("*.json"))]
    return sorted(templates, key=lambda t: t.id)


def default_template() -> ChecklistTemplate:
    return load_template(resource_path("checklists", "default.json"))


def copy_template(template: ChecklistTemplate, new_id: str, name: str) -> ChecklistTemplate:
    """A clinic's own copy: a new id, version 1, ``based_on`` = ``"id@version"``."""
    if new_id == template.id:
        raise TemplateError("A copy needs a new id, different from the original's.")
    return _checked(
        dataclasses.replace(
            template,
            id=new_id,
            name=name,
            version=1,
            based_on=f"{template.id}@{template.version}",
        )
    )


def _bumped(template: ChecklistTemplate, items: list[TemplateItem]) -> ChecklistTemplate:
    return _checked(dataclasses.replace(template, items=tuple(items), version=template.version + 1))


def _index(template: ChecklistTemplate, key: str) -> int:
    for index, item in enumerate(template.items):
        if item.key == key:
            return index
    raise TemplateError(f"The template {template.id!r} has no item {key!r}.")


def add_item(
    template: ChecklistTemplate, item: TemplateItem, index: int | None = None
) -> ChecklistTemplate:
    """Add an item (at the end, or at ``index``); refuses a duplicate key."""
    items = list(template.items)
    items.insert(len(items) if index is None else index, item)
    return _bumped(template, items)


def remove_item(template: ChecklistTemplate, key: str) -> ChecklistTemplate:
    items = list(template.items)
    del items[_index(template, key)]
    return _bumped(template, items)


def move_item(template: ChecklistTemplate, key: str, new_index: int) -> ChecklistTemplate:
    """Move an item to position ``new_index`` (0-based, clamped to the list)."""
    items = list(template.items)
    item = items.pop(_index(template, key))
    items.insert(max(0, min(new_index, len(items))), item)
    return _bumped(template, items)


def set_required(template: ChecklistTemplate, key: str, required: bool) -> ChecklistTemplate:
    items = list(template.items)
    index = _index(template, key)
    items[index] = dataclasses.replace(items[index], required=required)
    return _bumped(template, items)


def replace_item(template: ChecklistTemplate, item: TemplateItem) -> ChecklistTemplate:
    """Replace the item with the same key (new label, help, kind, options...)."""
    items = list(template.items)
    items[_index(template, item.key)] = item
    return _bumped(template, items)
