"""Checklist templates: copy the shipped one from the menu, edit and save versions, choose
the current one; the shipped file stays byte-identical and old checklists keep their version."""

from __future__ import annotations

import hashlib

from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.core.checklist import ItemKind, default_template
from kapcompanion.core.data import resource_path
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.services.preparation import (
    current_template,
    find_template,
    load_store,
    save_checklist,
)
from kapcompanion.services.session import plan_session
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.preparation import PreparationView
from kapcompanion.ui.template_editor import TemplateEditor

SHIPPED = resource_path("checklists", "default.json")


def digest() -> str:
    return hashlib.sha256(SHIPPED.read_bytes()).hexdigest()


def session_id(window: MainWindow) -> int:
    assert window.ctx is not None
    plan = DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5, lot="L1")
    s = plan_session(window.ctx.repos, 1, plan)
    assert s.id is not None
    return s.id


def test_copy_edit_and_choose_a_clinic_template(qtbot: QtBot, unlocked: MainWindow) -> None:
    before = digest()
    ctx = unlocked.ctx
    assert ctx is not None
    old_session = session_id(unlocked)
    old = PreparationView(ctx, 1, old_session)  # a checklist on the shipped version 1
    qtbot.addWidget(old)
    save_checklist(ctx.repos, old.session, None, old.checklist)

    unlocked.actions_["templates"].trigger()
    editor = unlocked.findChild(TemplateEditor)
    assert isinstance(editor, TemplateEditor)
    qtbot.waitUntil(editor.isVisible)
    assert editor.selected is not None and editor.selected.id == "kap-default"
    assert not editor.editable and not editor.add_button.isEnabled()  # shipped: read-only
    editor.copy_name.setText("Harbour clinic")
    copy = editor.make_copy()
    assert copy is not None and copy.id == "clinic-harbour-clinic" and copy.version == 1
    assert editor.editable and editor.selected == copy

    editor.items.setCurrentRow(0)
    editor.add()  # after item 0
    QTest.keyClicks(editor.label, "Blanket warmed")  # replaces the selected "New item"
    editor.help.setPlainText("Warm it on the radiator.")
    editor.required.click()
    assert editor.working is not None
    new = editor.working.items[1]
    assert (new.label, new.help, new.required) == (
        "Blanket warmed",
        "Warm it on the radiator.",
        True,
    )
    editor.move_current(-1)
    assert editor.working.items[0].key == new.key
    rested = editor.working.keys.index("rested")
    editor.items.setCurrentRow(rested)
    editor.remove()
    assert "rested" not in editor.working.keys
    editor.items.setCurrentRow(editor.working.keys.index("hydrated"))
    editor.required.click()  # hydrated becomes optional
    editor.label.clear()
    editor._item_edited()
    assert "no label" in editor.error.text()  # refused; the last valid label is kept
    assert editor.working.item("hydrated").label == "Hydrated"
    assert editor.dirty and editor.save_button.isEnabled()
    assert editor.save()
    saved = find_template(ctx.vault, copy.id, 2)
    assert saved is not None and saved.items[0].label == "Blanket warmed"
    assert not saved.item("hydrated").required and "rested" not in saved.keys
    assert find_template(ctx.vault, copy.id, 1) == copy  # the first version is kept
    assert current_template(ctx.vault).id == "kap-default"  # until the clinic chooses

    editor.use_as_current()
    assert current_template(ctx.vault) == saved
    assert load_store(ctx.vault).current == copy.id
    editor.close()
    assert digest() == before  # the shipped file was never written

    fresh = PreparationView(ctx, 1, session_id(unlocked))
    qtbot.addWidget(fresh)
    assert (fresh.checklist.template_id, fresh.checklist.template_version) == (copy.id, 2)
    assert next(iter(fresh.rows)) == new.key and "rested" not in fresh.rows
    again = PreparationView(ctx, 1, old_session)  # the older checklist keeps version 1
    qtbot.addWidget(again)
    assert (again.template.id, again.template.version) == ("kap-default", 1)
    assert "rested" in again.rows and new.key not in again.rows
    assert "version 1" in again.template_line.text()


def test_unsaved_template_edits_are_kept_when_the_app_locks(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    ctx = unlocked.ctx
    assert ctx is not None
    editor = TemplateEditor(ctx, unlocked.workspace)
    editor.show()
    copy = editor.make_copy()
    assert copy is not None
    editor.items.setCurrentRow(0)
    editor.kind.setCurrentIndex(editor.kind.findData(ItemKind.TEXT))
    assert editor.dirty
    vault = ctx.vault
    ctx.lock_requested()
    assert unlocked.ctx is None

    reopened = Vault.open(vault.path, PASSPHRASE)
    try:
        kept = find_template(reopened, copy.id, 2)
        assert kept is not None and kept.items[0].kind is ItemKind.TEXT
        assert default_template().items[0].kind is ItemKind.DATE
    finally:
        reopened.close()
