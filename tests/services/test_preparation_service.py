"""Preparation and screening services on a real vault: templates kept in the vault with
every version, readiness for a session, carry-over that never overwrites, the override."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from kapcompanion.core import wording
from kapcompanion.core.checklist import (
    FEEDBACK_KEY,
    INTENTION_KEY,
    Checklist,
    ItemKind,
    MusicPreferences,
    TemplateItem,
    add_item,
    copy_template,
    default_template,
    new_checklist,
    update_item,
)
from kapcompanion.core.data import resource_path
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.intake import Contact
from kapcompanion.core.models import Client
from kapcompanion.core.screening import SCREENING_ITEMS, Answer, Screening, answer
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind
from kapcompanion.services.preparation import (
    ReadinessRefused,
    carry_over_from,
    current_template,
    describe_readiness,
    find_template,
    item_problem,
    latest_versions,
    load_checklist,
    previous_session,
    readiness_for_session,
    record_readiness_override,
    save_checklist,
    save_clinic_template,
    set_current_template,
    template_for_checklist,
)
from kapcompanion.services.screening import (
    SCREENING,
    current_screening,
    override_notice,
    record_override,
    save_record,
    withdraw_override,
)
from kapcompanion.services.session import plan_session
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos


def day(year: int, month: int, dom: int) -> str:
    """A date as the clinic writes it (core.wording)."""
    return wording.short_date(date(year, month, dom))


AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHIPPED = resource_path("checklists", "default.json")


def _client(repos: Repos) -> int:
    client = repos.clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    assert client.id is not None
    return client.id


def _session(repos: Repos, cid: int) -> int:
    s = plan_session(repos, cid, DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5, lot="L1"))
    assert s.id is not None
    return s.id


def _audit(repos: Repos, prefix: str) -> list[str]:
    rows = repos.vault.read("SELECT action, detail FROM audit ORDER BY id")
    return [f"{a}:{d}" for a, d in rows if str(a).startswith(prefix)]


def fill(checklist: Checklist) -> Checklist:
    """Every item of the default template complete, as the screen would leave it."""
    template = default_template()
    for item in template.items:
        kind = ItemKind(item.kind)
        value = {ItemKind.DATE: "2026-02-20", ItemKind.TIME: "07:30"}.get(kind, "text")
        contact = Contact("Sam Rivers", "555-0101") if kind is ItemKind.CONTACT else None
        checklist = update_item(checklist, item.key, AT, done=True, value=value, contact=contact)
    return replace(
        checklist,
        intention="To rest",
        touch=TouchAgreement(
            [TouchKind.HAND_ON_SHOULDER], "", True, DistressPreference.WORDS_ONLY, date(2026, 3, 1)
        ),
        music=MusicPreferences(["strings"], ["Enya"], 30),
    )


def test_clinic_templates_live_in_the_vault_with_every_version(repos: Repos) -> None:
    before = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    shipped = default_template()
    assert current_template(repos.vault) == shipped
    copy = save_clinic_template(repos.vault, copy_template(shipped, "clinic-a", "Ours"))
    extra = TemplateItem("blanket_warm", "Blanket warmed", ItemKind.CHECK, required=False)
    v2 = save_clinic_template(repos.vault, replace(add_item(copy, extra), version=2))
    assert [t.version for t in latest_versions(repos.vault) if t.id == "clinic-a"] == [2]
    assert find_template(repos.vault, "clinic-a", 1) == copy  # the old version is kept
    assert current_template(repos.vault) == shipped  # until the clinic chooses
    set_current_template(repos.vault, "clinic-a")
    assert current_template(repos.vault) == v2
    with pytest.raises(VaultError, match="shipped"):
        save_clinic_template(repos.vault, replace(shipped, version=2))
    with pytest.raises(VaultError, match="never changes"):
        save_clinic_template(repos.vault, replace(v2, name="changed"))
    with pytest.raises(VaultError, match="no checklist template"):
        set_current_template(repos.vault, "nope")
    assert hashlib.sha256(SHIPPED.read_bytes()).hexdigest() == before
    assert _audit(repos, "checklist_template") == [
        "checklist_template.save:clinic-a@1",
        "checklist_template.save:clinic-a@2",
        "checklist_template.current:clinic-a",
    ]


def test_a_checklist_keeps_the_version_it_was_filled_against(repos: Repos) -> None:
    copy = save_clinic_template(repos.vault, copy_template(default_template(), "clinic-b", "Ours"))
    old = new_checklist(copy)
    newer = save_clinic_template(
        repos.vault,
        replace(add_item(copy, TemplateItem("extra", "Extra", ItemKind.CHECK)), version=2),
    )
    assert template_for_checklist(repos.vault, old) == (copy, True)
    missing = replace(old, template_version=7)
    assert template_for_checklist(repos.vault, missing) == (newer, False)


def test_readiness_for_a_session(repos: Repos) -> None:
    cid = _client(repos)
    sid = _session(repos, cid)
    empty = readiness_for_session(repos, sid)
    assert not empty.ready and len(empty.missing) == 20  # no checklist yet: nothing done
    session = repos.sessions.get(sid)
    doc, checklist = load_checklist(repos, sid)
    assert doc is None and checklist.template_id == "kap-default"
    doc = save_checklist(repos, session, doc, fill(checklist))
    assert readiness_for_session(repos, sid).ready
    checklist = update_item(fill(checklist), "hydrated", AT, done=False)
    doc = save_checklist(repos, session, doc, checklist)
    result = readiness_for_session(repos, sid)
    assert not result.ready and result.missing == ["Hydrated"]
    assert describe_readiness(result) == "Not ready: 1 required item is not done: Hydrated."
    for token in ("  ", "x", "ok"):
        with pytest.raises(ReadinessRefused, match="reason"):
            record_readiness_override(repos, session, doc, checklist, token)
    record_readiness_override(repos, session, doc, checklist, "Client drank at the desk", at=AT)
    result = readiness_for_session(repos, sid)
    assert result.ready and result.overridden and result.missing == ["Hydrated"]
    [entry] = _audit(repos, "checklist.readiness_override")
    detail = json.loads(entry.partition(":")[2])
    assert detail == {"by": "Dr Test", "items": ["Hydrated"], "reason": "Client drank at the desk"}


def test_carry_over_fills_only_what_is_empty(repos: Repos) -> None:
    template = default_template()
    previous = fill(new_checklist(template))
    current = update_item(new_checklist(template), "treatment_goals", AT, value="Today's goals")
    merged = carry_over_from(current, previous, template, "Music too loud at first.")
    assert merged.items["treatment_goals"].value == "Today's goals"  # kept
    assert merged.items["stop_signal"].value == "text" and not merged.items["stop_signal"].done
    assert merged.items["escort"].contact == Contact("Sam Rivers", "555-0101")
    assert not merged.items["consent_signed"].value  # consent is not carried
    assert merged.items[INTENTION_KEY].value == "" and merged.intention == ""
    assert merged.touch == previous.touch and merged.music == previous.music
    assert merged.items[FEEDBACK_KEY].value == "Music too loud at first."
    assert not merged.items[FEEDBACK_KEY].done


def test_previous_session_is_the_one_before_in_the_same_course(repos: Repos) -> None:
    cid = _client(repos)
    first, second, third = (_session(repos, cid) for _ in range(3))
    assert previous_session(repos, repos.sessions.get(first)) is None
    before = previous_session(repos, repos.sessions.get(third))
    assert before is not None and before.id == second


def test_item_problems_say_what_is_missing() -> None:
    template = default_template()
    cl = new_checklist(template)
    item = template.item
    assert item_problem(cl, item("rested")) == "Not ticked yet."
    assert item_problem(cl, item("consent_signed")) == (
        "Needs a date (DD/MM/YYYY or YYYY-MM-DD). Then tick it."  # en_GB, the tests' locale
    )
    cl = update_item(cl, "consent_signed", AT, done=True, value="20 Feb")
    assert item_problem(cl, item("consent_signed")) == (
        "Not a valid date (DD/MM/YYYY or YYYY-MM-DD)."
    )
    cl = update_item(cl, "escort", AT, done=True, contact=Contact("Sam"))
    assert item_problem(cl, item("escort")) == "Needs a name and a phone number."
    assert item_problem(cl, item("touch_agreement")) == "No touch agreement yet. Then tick it."
    cl = update_item(cl, "rested", AT, done=True)
    assert item_problem(cl, item("rested")) == ""


def test_screening_override_is_audited_and_withdrawn(repos: Repos) -> None:
    cid = _client(repos)
    screening = Screening()
    for it in SCREENING_ITEMS:
        screening = answer(screening, it.key, Answer.NO)
    screening = answer(screening, "hiv", Answer.YES, "treated, undetectable")
    doc, _ = current_screening(repos, cid)
    assert override_notice(repos, cid) is None
    with pytest.raises(ValueError, match="reason"):
        record_override(repos, cid, doc, screening, " ")
    reason = "Reviewed by Dr Lee, who agreed in writing."
    doc, overridden = record_override(repos, cid, doc, screening, reason, at=AT)
    notice = override_notice(repos, cid)
    assert notice is not None and notice.active
    assert notice.text == f"Screening overridden by Dr Test on {day(2026, 3, 2)}. Reason: {reason}"
    # a new finding after the override: it no longer applies, and the banner says so
    later = answer(overridden, "acute_suicidality", Answer.UNKNOWN)
    doc = save_record(repos, SCREENING, cid, doc, later)
    notice = override_notice(repos, cid)
    assert notice is not None and not notice.active and "no longer applies" in notice.text
    assert "Screening overridden" not in notice.text
    doc, cleared = withdraw_override(repos, cid, doc, later)
    assert override_notice(repos, cid) is None
    assert [a.partition(":")[0] for a in _audit(repos, "screening.")] == [
        "screening.override",
        "screening.update",
        "screening.override_withdrawn",
    ]
    assert current_screening(repos, cid)[1] == cleared
