"""Settings > Clinic settings…: every declared setting, a widget by type, saved and audited."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QMenu, QSpinBox
from pytestqt.qtbot import QtBot

from kapcompanion.core import settings as declared
from kapcompanion.core.settings import PAPER_SIZE, PART2_NOTICE, VITALS_RECHECK_MIN, Setting
from kapcompanion.services import settings as clinic_settings
from kapcompanion.ui.clinic_settings import ClinicSettingsDialog
from kapcompanion.ui.main_window import MainWindow

AuditOf = Callable[..., list[tuple[str, str]]]


def open_dialog(window: MainWindow) -> ClinicSettingsDialog:
    (settings_menu,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&Settings"]
    assert isinstance(settings_menu, QMenu)
    assert window.actions_["clinic_settings"] in settings_menu.actions()
    window.actions_["clinic_settings"].trigger()
    assert window.workspace is not None
    (dialog,) = [d for d in window.workspace.findChildren(ClinicSettingsDialog) if d.isVisible()]
    return dialog


def test_every_declared_setting_has_a_widget_by_its_type(
    qtbot: QtBot, unlocked: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = Setting(
        "room_label", str, "Room 1", "Treatment room", "Printed on the records.", choices=()
    )
    ratio = Setting("ratio", float, 1.5, "A ratio", "A number with a fraction.", unit="x")
    monkeypatch.setitem(declared._REGISTRY, extra.key, extra)  # declared after this screen
    monkeypatch.setitem(declared._REGISTRY, ratio.key, ratio)
    dialog = open_dialog(unlocked)
    assert list(dialog.editors) == [s.key for s in declared.all_settings()]
    paper = dialog.editor(PAPER_SIZE.key)
    assert isinstance(paper, QComboBox)
    assert [paper.itemData(i) for i in range(paper.count())] == ["a4", "letter"]
    assert isinstance(dialog.editor(PART2_NOTICE.key), QCheckBox)
    recheck = dialog.editor(VITALS_RECHECK_MIN.key)
    assert isinstance(recheck, QSpinBox)
    assert (recheck.minimum(), recheck.maximum(), recheck.suffix()) == (1, 30, " min")
    assert recheck.value() == 5
    assert recheck.accessibleName() == "Recheck after a flagged reading, in min"
    assert isinstance(dialog.editor("room_label"), QLineEdit)
    assert isinstance(dialog.editor("ratio"), QDoubleSpinBox)
    for setting, editor in dialog.editors.values():  # the label and help are on the screen
        assert editor.toolTip() == setting.help
        assert editor.focusPolicy() & Qt.FocusPolicy.TabFocus
    texts = {w.text() for w in dialog.findChildren(type(dialog.error))}
    assert {s.label for s in declared.all_settings()} <= texts
    assert {s.help for s in declared.all_settings()} <= texts
    dialog.reject()


def test_save_changes_only_what_changed_in_one_audited_action(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf
) -> None:
    assert unlocked.ctx is not None
    vault = unlocked.ctx.vault
    dialog = open_dialog(unlocked)
    paper = dialog.editor(PAPER_SIZE.key)
    assert isinstance(paper, QComboBox)
    paper.setCurrentIndex(paper.findData("letter"))
    part2 = dialog.editor(PART2_NOTICE.key)
    assert isinstance(part2, QCheckBox)
    part2.click()
    assert dialog.save()
    assert clinic_settings.get(vault, PAPER_SIZE) == "letter"
    assert clinic_settings.get(vault, PART2_NOTICE) is True

    again = open_dialog(unlocked)  # shows what is stored now
    assert again.values()[PAPER_SIZE.key] == "letter" and again.values()[PART2_NOTICE.key]
    again.reset()
    assert again.values()[PAPER_SIZE.key] == "a4"  # the shipped values, not yet saved
    again.reject()
    assert clinic_settings.get(vault, PAPER_SIZE) == "letter"

    path = vault.path
    unlocked.close()
    updates = [json.loads(d) for a, d in audit_of(path) if a == "settings.update"]
    assert updates == [
        {"key": "paper_size", "old": "a4", "new": "letter"},
        {"key": "part2_notice", "old": False, "new": True},
    ]


def test_a_bad_value_changes_nothing(
    qtbot: QtBot, unlocked: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All values are checked before the first is stored (one action, one transaction)."""
    assert unlocked.ctx is not None
    odd = Setting("odd_label", str, "x", "Label", "Help.", choices=("x", "y"))
    monkeypatch.setitem(declared._REGISTRY, odd.key, odd)
    dialog = open_dialog(unlocked)
    paper = dialog.editor(PAPER_SIZE.key)
    assert isinstance(paper, QComboBox)
    paper.setCurrentIndex(paper.findData("letter"))
    bad = dialog.editor(odd.key)
    assert isinstance(bad, QComboBox)
    bad.setItemData(0, "z")  # a value the declaration refuses
    assert not dialog.save()
    assert dialog.error.isVisibleTo(dialog) and "odd_label is one of x, y" in dialog.error.text()
    assert clinic_settings.get(unlocked.ctx.vault, PAPER_SIZE) == "a4"
