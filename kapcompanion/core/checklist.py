"""A session's preparation checklist: item states, carry-over and readiness.

A checklist is filled against one template version. An item counts as complete when it is
marked done *and* its content is there: a date or time that parses, a text that is not
blank, a contact with a name and a phone number, a touch agreement that is not withdrawn,
music preferences. A tick alone is enough only for plain "check" items. The intention's
text lives in ``Checklist.intention`` (the PDFs quote it), the touch agreement in
``Checklist.touch`` and the music in ``Checklist.music``.

A session cannot start until every required item is complete, unless the therapist
overrides with a written reason.

Carry-over copies what stays true across sessions (goals, touch agreement, music, ground
rules, aftercare, rescue medication: the items marked ``carry_over`` in the template) and
marks each copied item not done, so the therapist reviews it with the client rather than
inheriting a tick. Consent dates, the intention, body preparation and feedback start
empty.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from kapcompanion.core.checklist_template import (
    ChecklistTemplate,
    ItemKind,
    TemplateError,
    TemplateItem,
    add_item,
    copy_template,
    default_template,
    load_template,
    move_item,
    remove_item,
    replace_item,
    set_required,
    shipped_templates,
    template_from_dict,
    template_to_json,
    validate_template,
)
from kapcompanion.core.intake import Contact
from kapcompanion.core.touch import TouchAgreement

__all__ = [
    "FEEDBACK_KEY",
    "INTENTION_KEY",
    "Checklist",
    "ChecklistTemplate",
    "ItemKind",
    "ItemState",
    "MusicOutput",
    "MusicPreferences",
    "Readiness",
    "TemplateError",
    "TemplateItem",
    "add_item",
    "carry_over",
    "copy_template",
    "default_template",
    "is_complete",
    "load_template",
    "move_item",
    "new_checklist",
    "override_readiness",
    "prefill_feedback",
    "readiness",
    "remove_item",
    "replace_item",
    "set_required",
    "shipped_templates",
    "template_from_dict",
    "template_to_json",
    "update_item",
    "validate_template",
]

INTENTION_KEY = "intention"
FEEDBACK_KEY = "last_session_feedback"


class MusicOutput(StrEnum):
    HEADPHONES = "headphones"
    SPEAKERS = "speakers"


@dataclass
class MusicPreferences:
    likes: list[str] = field(default_factory=list)
    avoid: list[str] = field(default_factory=list)  # artists or pieces with associations
    volume: int | None = None  # 0-100, the player's scale
    output: MusicOutput = MusicOutput.HEADPHONES
    eyeshade: bool = True


@dataclass
class ItemState:
    key: str
    done: bool = False
    value: str = ""  # text; ISO date (YYYY-MM-DD) for "date"; HH:MM for "time"
    note: str = ""
    updated_at: datetime | None = None
    selected: list[str] = field(default_factory=list)  # "multi" items
    contact: Contact | None = None  # "contact" items


@dataclass
class Checklist:
    template_id: str
    template_version: int
    items: dict[str, ItemState] = field(default_factory=dict)
    intention: str = ""
    touch: TouchAgreement | None = None
    music: MusicPreferences | None = None
    readiness_override: str | None = None
    readiness_override_by: str | None = None
    readiness_override_at: datetime | None = None


@dataclass(frozen=True)
class Readiness:
    ready: bool
    missing: list[str]  # labels of required items not complete
    overridden: bool


def new_checklist(template: ChecklistTemplate) -> Checklist:
    return Checklist(
        template_id=template.id,
        template_version=template.version,
        items={item.key: ItemState(key=item.key) for item in template.items},
    )


def _parses(kind: ItemKind, value: str) -> bool:
    try:
        if kind is ItemKind.DATE:
            date.fromisoformat(value.strip())
        else:
            time.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def is_complete(checklist: Checklist, item: TemplateItem) -> bool:
    """Whether one item is done with its content present (module docstring)."""
    state = checklist.items.get(item.key)
    if state is None or not state.done:
        return False
    kind = ItemKind(item.kind)
    if kind is ItemKind.CHECK or kind is ItemKind.MULTI:
        return True
    if kind is ItemKind.TOUCH:
        return checklist.touch is not None and checklist.touch.withdrawn_at is None
    if kind is ItemKind.MUSIC:
        return checklist.music is not None
    if kind is ItemKind.CONTACT:
        contact = state.contact
        return contact is not None and bool(contact.name.strip() and contact.phone.strip())
    if kind is ItemKind.DATE or kind is ItemKind.TIME:
        return _parses(kind, state.value)
    if item.key == INTENTION_KEY:
        return bool(checklist.intention.strip() or state.value.strip())
    return bool(state.value.strip())


def readiness(checklist: Checklist, template: ChecklistTemplate) -> Readiness:
    """Can the session start? Missing required items by label; an override with a
    written reason makes it ready but keeps the list, so the record shows what was
    skipped."""
    missing = [
        item.label for item in template.items if item.required and not is_complete(checklist, item)
    ]
    override = (checklist.readiness_override or "").strip()
    if missing and override:
        return Readiness(ready=True, missing=missing, overridden=True)
    return Readiness(ready=not missing, missing=missing, overridden=False)


def override_readiness(checklist: Checklist, reason: str, by: str, at: datetime) -> Checklist:
    """Start despite missing items; the written reason is required."""
    if not reason or not reason.strip():
        raise ValueError("Starting with missing items needs a written reason; it is blank.")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("The override time must include a time zone (use UTC).")
    return dataclasses.replace(
        checklist,
        readiness_override=reason.strip(),
        readiness_override_by=by.strip() or None,
        readiness_override_at=at,
    )


def update_item(
    checklist: Checklist,
    key: str,
    at: datetime,
    *,
    done: bool | None = None,
    value: str | None = None,
    note: str | None = None,
    selected: list[str] | None = None,
    contact: Contact | None = None,
) -> Checklist:
    """A copy with one item's state changed and stamped with ``at``."""
    old = checklist.items.get(key, ItemState(key=key))
    state = dataclasses.replace(
        old,
        done=old.done if done is None else done,
        value=old.value if value is None else value,
        note=old.note if note is None else note,
        selected=list(old.selected if selected is None else selected),
        contact=old.contact if contact is None else contact,
        updated_at=at,
    )
    return dataclasses.replace(checklist, items={**checklist.items, key: state})


def carry_over(previous: Checklist, template: ChecklistTemplate) -> Checklist:
    """The next session's checklist, with the lasting items copied and set not done."""
    fresh = new_checklist(template)
    items = dict(fresh.items)
    for item in template.items:
        old = previous.items.get(item.key)
        if not item.carry_over or old is None:
            continue
        items[item.key] = ItemState(
            key=item.key,
            done=False,
            value=old.value,
            note=old.note,
            updated_at=old.updated_at,
            selected=list(old.selected),
            contact=dataclasses.replace(old.contact) if old.contact else None,
        )
    carry_kinds = {ItemKind(i.kind) for i in template.items if i.carry_over}
    touch = previous.touch if ItemKind.TOUCH in carry_kinds else None
    music = previous.music if ItemKind.MUSIC in carry_kinds else None
    return dataclasses.replace(
        fresh,
        items=items,
        touch=dataclasses.replace(touch, welcome=list(touch.welcome)) if touch else None,
        music=(
            dataclasses.replace(music, likes=list(music.likes), avoid=list(music.avoid))
            if music
            else None
        ),
    )


def prefill_feedback(checklist: Checklist, text: str) -> Checklist:
    """Put the last session's feedback into its item (not done: the therapist reviews it)."""
    old = checklist.items.get(FEEDBACK_KEY, ItemState(key=FEEDBACK_KEY))
    state = dataclasses.replace(old, value=text, done=False)
    return dataclasses.replace(checklist, items={**checklist.items, FEEDBACK_KEY: state})
