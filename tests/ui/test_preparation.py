"""The preparation checklist through its widgets: filling, locking midway, carry-over,
the readiness override and withdrawing the touch agreement during a session."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import shiboken6
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot
from readiness_support import complete_checklist
from support import PASSPHRASE

from kapcompanion.core import wording
from kapcompanion.core.checklist import (
    FEEDBACK_KEY,
    INTENTION_KEY,
    Checklist,
    ItemKind,
    MusicPreferences,
    default_template,
    new_checklist,
    update_item,
)
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.intake import Contact
from kapcompanion.core.models import SessionStatus
from kapcompanion.core.serial import load
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind
from kapcompanion.services.preparation import (
    checklist_document,
    readiness_for_session,
    save_checklist,
)
from kapcompanion.services.session import SessionRunner, plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.preparation import PreparationView, open_preparation
from kapcompanion.ui.widgets.touch_agreement import TouchAgreementEditor

AuditOf = Callable[..., list[tuple[str, str]]]
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGREEMENT = TouchAgreement(
    [TouchKind.HAND_ON_SHOULDER], "", True, DistressPreference.WORDS_ONLY, date(2026, 3, 1)
)


def ctx_of(window: MainWindow) -> AppContext:
    assert window.ctx is not None
    return window.ctx


def new_session(repos: Repos, client_id: int = 1) -> int:
    plan = DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5, lot="L1")
    session = plan_session(repos, client_id, plan)
    assert session.id is not None
    return session.id


def view_for(qtbot: QtBot, ctx: AppContext, session_id: int) -> PreparationView:
    view = PreparationView(ctx, 1, session_id)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    return view


def stored(repos: Repos, session_id: int) -> Checklist:
    doc = checklist_document(repos, session_id)
    assert doc is not None
    return load(Checklist, doc.data)


def filled() -> Checklist:
    cl = new_checklist(default_template())
    for item in default_template().items:
        kind = ItemKind(item.kind)
        value = {ItemKind.DATE: "2026-02-20", ItemKind.TIME: "07:30"}.get(kind, "kept text")
        contact = Contact("Sam Rivers", "555-0101") if kind is ItemKind.CONTACT else None
        cl = update_item(cl, item.key, AT, done=True, value=value, contact=contact)
    return replace(cl, intention="kept text", touch=AGREEMENT, music=MusicPreferences(["harp"]))


def test_fill_every_item_through_the_widgets(qtbot: QtBot, unlocked: MainWindow) -> None:
    ctx = ctx_of(unlocked)
    sid = new_session(ctx.repos)
    view = view_for(qtbot, ctx, sid)
    assert view.readiness_label.text().startswith("Not ready: 20 required items")
    assert not view.carry_button.isEnabled()  # the first session: nothing to carry
    for key, row in view.rows.items():
        kind = row.kind
        if kind is ItemKind.DATE:
            next(b for b in row.findChildren(QPushButton) if b.text() == "Today").click()
        elif kind is ItemKind.TIME:
            assert row.value is not None
            QTest.keyClicks(row.value, "7.30")
            assert "Not a valid time" in row.status.text()
            row.value.clear()
            QTest.keyClicks(row.value, "07:30")
        elif kind is ItemKind.TEXT:
            assert row.text is not None
            QTest.keyClicks(row.text, f"words for {key}")
        elif kind is ItemKind.CONTACT:
            QTest.keyClicks(row.contact["name"], "Sam Rivers")
            QTest.keyClicks(row.contact["phone"], "555-0101")
        elif kind is ItemKind.MULTI:
            row.options["Blanket"].click()
        elif kind is ItemKind.TOUCH:
            assert view.touch_editor is not None
            view.touch_editor.kinds[TouchKind.HOLDING_HAND].click()
            assert "welcomes holding a hand" in view.touch_editor.summary_text()
        elif kind is ItemKind.MUSIC:
            assert view.music_editor is not None
            QTest.keyClicks(view.music_editor.likes, "slow strings")
            QTest.keyClicks(view.music_editor.avoid, "Enya")
        if row.item.required:
            row.done.click()
        assert row.status.text() == ("Done." if row.item.required else "Not ticked yet.")
    assert view.readiness_label.text() == "Ready: every required item is done."
    assert view.flush()
    cl = stored(ctx.repos, sid)
    assert cl.intention == f"words for {INTENTION_KEY}"
    assert cl.items["fasting_since"].value == "07:30"
    assert cl.items["consent_signed"].value == date.today().isoformat()
    assert cl.items["setting"].selected == ["Blanket"]
    assert cl.items["escort"].contact == Contact("Sam Rivers", "555-0101")
    assert cl.touch is not None and cl.touch.welcome == [TouchKind.HOLDING_HAND]
    assert cl.music is not None and cl.music.avoid == ["Enya"]
    assert (cl.template_id, cl.template_version) == ("kap-default", 1)
    assert readiness_for_session(ctx.repos, sid).ready


def test_lock_midway_loses_nothing(qtbot: QtBot, unlocked: MainWindow) -> None:
    ctx = ctx_of(unlocked)
    sid = new_session(ctx.repos)
    dialog = open_preparation(ctx, 1, sid, unlocked.workspace)
    view = dialog.findChild(PreparationView)
    assert isinstance(view, PreparationView) and dialog.isVisible()
    text = view.rows[INTENTION_KEY].text
    assert text is not None
    QTest.keyClicks(text, "To meet the grief gently")
    QTest.keyClicks(view.rows["stop_signal"].text, "Raise the left hand")  # type: ignore[arg-type]
    assert view.autosaver.dirty  # typed just now: not saved yet
    path = ctx.vault.path
    ctx.lock_requested()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))  # nothing left on screen
    unlocked.enter(Vault.open(path, PASSPHRASE))
    again = view_for(qtbot, ctx_of(unlocked), sid)
    assert again.rows[INTENTION_KEY].text.toPlainText() == "To meet the grief gently"  # type: ignore[union-attr]
    assert again.checklist.intention == "To meet the grief gently"
    assert again.rows["stop_signal"].text.toPlainText() == "Raise the left hand"  # type: ignore[union-attr]


def test_carry_over_from_the_last_session(qtbot: QtBot, unlocked: MainWindow) -> None:
    ctx = ctx_of(unlocked)
    repos = ctx.repos
    first = new_session(repos)
    session = repos.sessions.get(first)
    save_checklist(repos, session, None, filled())
    repos.sessions.save(replace(session, debrief="Music too loud at the start."))
    second = new_session(repos)
    view = view_for(qtbot, ctx, second)
    feedback = view.rows[FEEDBACK_KEY].text
    assert feedback is not None and feedback.toPlainText() == "Music too loud at the start."
    QTest.keyClicks(view.rows[INTENTION_KEY].text, "Today's own intention")  # type: ignore[arg-type]
    assert view.carry_button.isEnabled()
    view.carry_button.click()
    assert "Carried over" in view.message.text() and "not done" in view.message.text()
    stop = view.rows["stop_signal"]
    assert stop.text is not None and stop.text.toPlainText() == "kept text"
    assert not stop.done.isChecked() and "Not ticked" in stop.status.text()
    assert view.rows["escort"].contact["phone"].text() == "555-0101"
    assert feedback.toPlainText() == "Music too loud at the start."
    assert not view.rows[FEEDBACK_KEY].done.isChecked()
    assert view.rows["consent_signed"].value.text() == ""  # type: ignore[union-attr]
    assert view.touch_editor is not None and view.touch_editor.agreement() == AGREEMENT
    cl = stored(repos, second)  # committed by the one action
    assert cl.intention == "Today's own intention"
    assert cl.items["stop_signal"].value == "kept text" and not cl.items["stop_signal"].done
    assert not readiness_for_session(repos, second).ready


def test_readiness_override_never_skips_consent_or_touch_and_needs_a_sentence(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf
) -> None:
    ctx = ctx_of(unlocked)
    sid = new_session(ctx.repos)
    view = view_for(qtbot, ctx, sid)
    assert "Informed consent and the touch agreement cannot be overridden" in (
        view.readiness_label.text()
    )
    view.override_button.click()
    assert view.override_panel.isVisible()
    assert "Informed consent reviewed and signed" in view.override_covers.text()
    assert "No override can skip informed consent" in view.override_error.text()
    assert not view.override_confirm.isEnabled()
    QTest.keyClicks(view.override_reason, "Urgent: prescriber present and agrees to start")
    assert not view.confirm_override()  # the service refuses too
    assert "No override can skip" in view.override_error.text()
    assert not readiness_for_session(ctx.repos, sid).ready

    # With consent and the touch agreement done, the rest can be overridden with a sentence.
    session = ctx.repos.sessions.get(sid)
    save_checklist(ctx.repos, session, view.doc, complete_checklist(skip=("hydrated", "rested")))
    view = view_for(qtbot, ctx, sid)
    view.override_button.click()
    assert view.override_confirm.isEnabled() and view.override_error.text() == ""
    assert view.override_covers.text().endswith("Rested; Hydrated.")
    QTest.keyClicks(view.override_reason, "x")
    assert not view.confirm_override()
    assert "too short to be a reason" in view.override_error.text()
    view.override_reason.clear()
    QTest.keyClicks(view.override_reason, "Client arrived from work; water and rest in the room.")
    assert view.confirm_override()
    assert view.readiness_label.text().startswith("Overridden: may start although 2")
    assert "water and rest" in view.readiness_label.text()
    assert not view.override_button.isEnabled()
    result = readiness_for_session(ctx.repos, sid)
    assert result.ready and result.overridden
    path = ctx.vault.path
    unlocked.close()
    [(action, detail)] = [(a, d) for a, d in audit_of(path, "checklist.") if "override" in a]
    assert action == "checklist.readiness_override"
    assert json.loads(detail) == {
        "by": "Dr Test",
        "items": ["Rested", "Hydrated"],
        "reason": "Client arrived from work; water and rest in the room.",
    }


def test_touch_agreement_is_frozen_while_running_but_can_be_withdrawn(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf
) -> None:
    ctx = ctx_of(unlocked)
    repos = ctx.repos
    sid = new_session(repos)
    save_checklist(repos, repos.sessions.get(sid), None, filled())
    stale = view_for(qtbot, ctx, sid)  # opened before the session starts
    editor = stale.touch_editor
    assert editor is not None and editor.kinds[TouchKind.HOLDING_HAND].isEnabled()
    runner = SessionRunner(repos, sid)
    runner.start(bell=False)
    editor.kinds[TouchKind.HOLDING_HAND].click()  # the client is altered now
    assert "cannot be changed" in stale.message.text()
    assert stored(repos, sid).touch == AGREEMENT
    assert not editor.kinds[TouchKind.HOLDING_HAND].isEnabled() and editor.running

    view = view_for(qtbot, ctx, sid)
    editor = view.touch_editor
    assert editor is not None and editor.running and editor.running_note.isVisible()
    assert not editor.ask_first.isEnabled() and not editor.agreed_on.isEnabled()
    assert editor.withdraw_button.isEnabled()
    assert runner.check_touch(TouchKind.HAND_ON_SHOULDER, asked=True).allowed
    editor.withdraw_button.click()
    assert editor.confirm_row.isVisible()
    QTest.keyClicks(editor.withdraw_note, "Said: please don't touch me today")
    editor.confirm_withdraw.click()
    assert "withdrew this agreement" in editor.summary_text()
    assert not editor.renew_button.isEnabled()  # no new agreement while altered
    touch = stored(repos, sid).touch  # saved at once, not after a pause
    assert touch is not None and touch.withdrawn_at is not None
    assert touch.withdrawn_note == "Said: please don't touch me today"
    check = runner.check_touch(TouchKind.HAND_ON_SHOULDER, asked=True)
    assert not check.allowed and "withdrew" in check.message
    assert "withdrawn" in view.rows["touch_agreement"].status.text()
    path = ctx.vault.path
    unlocked.close()
    assert "checklist.touch_withdrawn" in [a for a, _ in audit_of(path, "checklist.")]


def test_a_withdrawn_agreement_is_renewed_between_sessions(qtbot: QtBot) -> None:
    editor = TouchAgreementEditor(today=date(2026, 4, 1))
    qtbot.addWidget(editor)
    assert editor.agreement() is None and "No touch agreement yet" in editor.summary_text()
    assert not editor.withdraw_button.isEnabled()
    editor.kinds[TouchKind.OTHER].click()
    QTest.keyClicks(editor.other_detail, "a hand on the forearm")
    editor.kinds[TouchKind.NONE].click()  # "no touch" clears the others
    assert not editor.kinds[TouchKind.OTHER].isChecked()
    assert editor.summary_text().startswith("The client does not want to be touched")
    editor.kinds[TouchKind.HAND_ON_SHOULDER].click()
    editor.distress.choose(DistressPreference.TOUCH)
    a = editor.agreement()
    assert a is not None and a.welcome == [TouchKind.HAND_ON_SHOULDER]
    assert a.when_distressed is DistressPreference.TOUCH and a.agreed_on == date(2026, 4, 1)
    withdrawn: list[bool] = []
    editor.withdrawn.connect(lambda: withdrawn.append(True))
    editor.ask_withdraw()
    editor.confirm()
    assert withdrawn == [True] and not editor.kinds[TouchKind.HOLDING_HAND].isEnabled()
    assert editor.renew_button.isEnabled()
    editor.renew_button.click()
    renewed = editor.agreement()
    assert renewed is not None and renewed.withdrawn_at is None
    assert renewed.welcome == [TouchKind.HAND_ON_SHOULDER]


def test_an_ended_session_shows_its_checklist_read_only(qtbot: QtBot, unlocked: MainWindow) -> None:
    ctx = ctx_of(unlocked)
    repos = ctx.repos
    sid = new_session(repos)
    save_checklist(repos, repos.sessions.get(sid), None, filled())
    repos.sessions.save(replace(repos.sessions.get(sid), status=SessionStatus.ENDED))
    view = view_for(qtbot, ctx, sid)
    assert view.read_only and "read-only" in view.read_only_note.text()
    assert not view.rows["rested"].done.isEnabled()
    assert view.touch_editor is not None and not view.touch_editor.withdraw_button.isEnabled()
    assert not view.carry_button.isEnabled() and not view.override_button.isEnabled()


def test_date_items_show_the_clinic_short_date_and_keep_iso(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    wording.set_locale("en_US")  # the conftest puts the tests' locale back afterwards
    ctx = ctx_of(unlocked)
    sid = new_session(ctx.repos)
    cl = update_item(new_checklist(default_template()), "consent_signed", AT, value="2026-12-03")
    save_checklist(ctx.repos, ctx.repos.sessions.get(sid), None, cl)
    view = view_for(qtbot, ctx, sid)
    row = view.rows["consent_signed"]
    assert row.value is not None
    assert row.value.text() == "12/3/2026"  # not 2026-12-03
    assert row.value.placeholderText() == "M/D/YYYY or YYYY-MM-DD"
    row.value.clear()
    QTest.keyClicks(row.value, "12/4/2026")  # the US short date, as shown
    assert view.checklist.items["consent_signed"].value == "2026-12-04"  # kept as ISO
    row.value.clear()
    QTest.keyClicks(row.value, "4 Dec")
    assert view.checklist.items["consent_signed"].value == "4 Dec"
    assert "Not a valid date (M/D/YYYY or YYYY-MM-DD)" in row.status.text()
    next(b for b in row.findChildren(QPushButton) if b.text() == "Today").click()
    assert row.value.text() == wording.short_date(date.today())
    assert view.checklist.items["consent_signed"].value == date.today().isoformat()
