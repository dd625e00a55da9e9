"""Checklist templates (shipped file, validation, versioned edits) and checklists
(completion rules, readiness and its override, carry-over, feedback)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kapcompanion.core import serial
from kapcompanion.core.checklist import (
    FEEDBACK_KEY,
    Checklist,
    ChecklistTemplate,
    ItemKind,
    MusicOutput,
    MusicPreferences,
    TemplateError,
    TemplateItem,
    add_item,
    carry_over,
    copy_template,
    default_template,
    load_template,
    move_item,
    new_checklist,
    override_readiness,
    prefill_feedback,
    readiness,
    remove_item,
    replace_item,
    set_required,
    shipped_templates,
    template_from_dict,
    template_to_json,
    update_item,
)
from kapcompanion.core.data import resource_path
from kapcompanion.core.intake import Contact
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind, withdraw

AT = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
SHIPPED = resource_path("checklists", "default.json")


def touch_terms() -> TouchAgreement:
    return TouchAgreement(
        [TouchKind.HAND_ON_SHOULDER], "", True, DistressPreference.WORDS_ONLY, date(2025, 3, 1)
    )


def fill_everything(template: ChecklistTemplate) -> Checklist:
    """A checklist with every item completed the way the UI would."""
    checklist = new_checklist(template)
    checklist.intention = "To meet my grief with kindness"
    checklist.touch = touch_terms()
    checklist.music = MusicPreferences(["drones"], ["Max Richter"], 40, MusicOutput.SPEAKERS)
    values = {
        ItemKind.DATE: "2025-03-01",
        ItemKind.TIME: "07:30",
        ItemKind.TEXT: "written",
    }
    for item in template.items:
        kind = ItemKind(item.kind)
        checklist = update_item(
            checklist,
            item.key,
            AT,
            done=True,
            value=values.get(kind, ""),
            contact=Contact("Sam", "555 0100", "partner") if kind is ItemKind.CONTACT else None,
            selected=["Blanket"] if kind is ItemKind.MULTI else None,
        )
    return checklist


def test_shipped_default_covers_the_brief() -> None:
    template = default_template()
    assert template.id == "kap-default"
    assert template.version == 1
    assert template.based_on is None
    keys = template.keys
    for key in [
        "consent_signed",
        "course_nonlinear",
        "treatment_goals",
        "intention",
        "touch_agreement",
        "music",
        "no_standing_unassisted",
        "stay_whole_session",
        "stop_signal",
        "fasting_since",
        "rested",
        "hydrated",
        "no_alcohol",
        "breathing_grounding",
        "setting",
        "escort",
        "no_driving",
        "no_major_decisions",
        "who_to_call",
        "rescue_medication",
        "last_session_feedback",
    ]:
        assert key in keys
    assert template.item("intention").help.count("may not follow") == 1
    assert template.item("fasting_since").kind is ItemKind.TIME
    assert template.item("consent_signed").kind is ItemKind.DATE
    assert template.item("escort").kind is ItemKind.CONTACT
    assert set(template.item("setting").options) >= {
        "Lighting",
        "Blanket",
        "Aroma",
        "Eyeshade",
        "Grounding objects",
    }
    assert {k.value for k in ItemKind} == {i.kind.value for i in template.items}


def test_shipped_templates_lists_the_default() -> None:
    assert [t.id for t in shipped_templates()] == ["kap-default"]


def test_edits_bump_the_version_and_leave_the_shipped_file_alone() -> None:
    before = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    t1 = default_template()
    t2 = set_required(t1, "last_session_feedback", True)
    t3 = add_item(t2, TemplateItem("oxygen_ready", "Oxygen ready", ItemKind.CHECK), index=0)
    t4 = move_item(t3, "oxygen_ready", 99)
    t5 = remove_item(t4, "rested")
    t6 = replace_item(t5, TemplateItem("stop_signal", "Stop word", ItemKind.TEXT))
    assert [t.version for t in (t1, t2, t3, t4, t5, t6)] == [1, 2, 3, 4, 5, 6]
    assert t1.item("last_session_feedback").required is False
    assert t2.item("last_session_feedback").required is True
    assert t3.keys[0] == "oxygen_ready"
    assert t4.keys[-1] == "oxygen_ready"
    assert "rested" not in t5.keys and "rested" in t4.keys
    assert t6.item("stop_signal").label == "Stop word"
    assert all(t.id == "kap-default" for t in (t2, t3, t4, t5, t6))
    assert hashlib.sha256(SHIPPED.read_bytes()).hexdigest() == before
    assert default_template() == t1


def test_copy_template() -> None:
    original = set_required(default_template(), "rested", False)
    copy = copy_template(original, "clinic-a", "Clinic A preparation")
    assert (copy.id, copy.version, copy.name) == ("clinic-a", 1, "Clinic A preparation")
    assert copy.based_on == "kap-default@2"
    assert copy.items == original.items
    with pytest.raises(TemplateError, match="new id"):
        copy_template(original, "kap-default", "same")


def test_saved_copy_loads_back(tmp_path: Path) -> None:
    copy = copy_template(default_template(), "clinic-a", "Clinic A")
    path = tmp_path / "clinic-a.json"
    path.write_text(template_to_json(copy), encoding="utf-8")
    assert load_template(path) == copy


def test_duplicate_keys_are_refused() -> None:
    template = default_template()
    with pytest.raises(TemplateError, match="Duplicate item key 'rested'"):
        add_item(template, TemplateItem("rested", "Rested again", ItemKind.CHECK))


def test_editing_a_missing_item_is_refused() -> None:
    with pytest.raises(TemplateError, match="no item 'nope'"):
        remove_item(default_template(), "nope")


def test_multi_needs_options() -> None:
    with pytest.raises(TemplateError, match="no options"):
        add_item(default_template(), TemplateItem("x", "X", ItemKind.MULTI))


def raw_template(**item: object) -> dict[str, object]:
    base = {"key": "a", "label": "A", "kind": "check", "required": True}
    return {"id": "t", "version": 1, "name": "T", "items": [{**base, **item}]}


def test_unknown_kind_in_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw_template(kind="slider")), encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_template(path)
    assert str(info.value).startswith("bad.json: ")
    assert 'unknown kind "slider"' in str(info.value)
    assert "check, date, text, time, touch, music, contact, multi" in str(info.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "", "version": 1, "name": "T", "items": []}, '"id" must be'),
        ({"id": "t", "version": 0, "name": "T", "items": []}, '"version" must be'),
        ({"id": "t", "version": 1, "name": "T", "items": {}}, '"items" must be a list'),
        ({"id": "t", "version": 1, "name": "T", "items": []}, "no items"),
        (raw_template(colour="red"), "unknown field(s) colour"),
        (raw_template(label=None), '"label" is missing'),
        ([], "JSON object"),
    ],
)
def test_structural_errors(data: object, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        template_from_dict(data)
    assert message in str(info.value)


def test_broken_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json is not valid JSON"):
        load_template(path)


def test_new_checklist_is_not_ready_and_lists_required_labels() -> None:
    template = default_template()
    result = readiness(new_checklist(template), template)
    assert not result.ready and not result.overridden
    required = [i.label for i in template.items if i.required]
    assert result.missing == required
    assert "Feedback from the last session" not in result.missing


def test_complete_checklist_is_ready() -> None:
    template = default_template()
    result = readiness(fill_everything(template), template)
    assert result.ready and result.missing == [] and not result.overridden


@pytest.mark.parametrize(
    ("key", "change", "label"),
    [
        ("fasting_since", {"value": "25:99"}, "Fasting since"),
        ("consent_signed", {"value": "yesterday"}, "Informed consent reviewed and signed"),
        ("stop_signal", {"value": "   "}, "Stop signal"),
        ("rested", {"done": False}, "Rested"),
        ("escort", {"contact": Contact("Sam", "", "")}, "Escort home (name and phone)"),
    ],
)
def test_ticked_items_need_their_content(key: str, change: dict[str, object], label: str) -> None:
    template = default_template()
    checklist = update_item(fill_everything(template), key, AT, **change)  # type: ignore[arg-type]
    assert readiness(checklist, template).missing == [label]


def test_touch_music_and_intention_need_their_records() -> None:
    template = default_template()
    full = fill_everything(template)
    full.touch = withdraw(touch_terms(), AT)
    full.music = None
    full.intention = ""
    full.items["intention"].value = ""
    assert readiness(full, template).missing == [
        "This session's intention, in the client's words",
        "Touch agreement reviewed",
        "Music preferences and avoid list",
    ]


def test_override_needs_a_written_reason() -> None:
    template = default_template()
    checklist = new_checklist(template)
    with pytest.raises(ValueError, match="written reason"):
        override_readiness(checklist, "  ", "Alex", AT)
    overridden = override_readiness(checklist, "Client arrived late; consent on file", "Alex", AT)
    assert checklist.readiness_override is None
    result = readiness(overridden, template)
    assert result.ready and result.overridden
    assert result.missing  # what was skipped stays on the record


def test_carry_over_copies_lasting_items_not_done() -> None:
    template = default_template()
    previous = fill_everything(template)
    previous = update_item(previous, "treatment_goals", AT, value="Less drinking")
    previous = update_item(previous, FEEDBACK_KEY, AT, value="music too loud")
    following = carry_over(previous, template)

    carried = {i.key for i in template.items if i.carry_over}
    assert carried == {
        "treatment_goals",
        "touch_agreement",
        "music",
        "no_standing_unassisted",
        "stay_whole_session",
        "stop_signal",
        "escort",
        "no_driving",
        "no_major_decisions",
        "who_to_call",
        "rescue_medication",
    }
    assert following.items["treatment_goals"].value == "Less drinking"
    assert following.items["escort"].contact == Contact("Sam", "555 0100", "partner")
    assert all(not state.done for state in following.items.values())
    for key in [
        "consent_signed",
        "intention",
        "fasting_since",
        "rested",
        "setting",
        FEEDBACK_KEY,
    ]:
        assert following.items[key].value == "" and following.items[key].selected == []
    assert following.intention == ""
    assert following.touch == previous.touch and following.touch is not previous.touch
    assert following.music == previous.music
    assert following.readiness_override is None
    # Editing the new checklist does not reach back into the previous one.
    assert following.music is not None
    following.music.avoid.append("Enya")
    assert previous.music is not None and previous.music.avoid == ["Max Richter"]


def test_carry_over_into_a_newer_template_version() -> None:
    v1 = default_template()
    previous = fill_everything(v1)
    v2 = remove_item(v1, "who_to_call")
    following = carry_over(previous, v2)
    assert following.template_version == 2
    assert "who_to_call" not in following.items


def test_prefill_feedback() -> None:
    template = default_template()
    checklist = prefill_feedback(new_checklist(template), "Ask before holding a hand")
    state = checklist.items[FEEDBACK_KEY]
    assert state.value == "Ask before holding a hand" and not state.done


def test_checklist_round_trips() -> None:
    template = default_template()
    checklist = override_readiness(fill_everything(template), "reason", "Alex", AT)
    data = json.loads(json.dumps(serial.to_jsonable(checklist)))
    restored = serial.load(Checklist, data)
    assert restored == checklist
    assert readiness(restored, template) == readiness(checklist, template)
    assert serial.load(ChecklistTemplate, serial.to_jsonable(template)) == template
