"""Issue 22: the form keys (Ctrl+S saves, Escape asks before discarding a changed form) in the
plan and ledger dialogs, and the helper that tells a changed form from an unchanged one."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot
from support import PASSPHRASE
from ui.session_support import add_client

from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.ledger import ProductDialog
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.session.plan_dialog import PlanDialog
from kapcompanion.ui.widgets.form_keys import FormKeys, changed_since_now


@pytest.fixture
def opened(
    qtbot: QtBot, tmp_path: Path, template_vault: Path, window_factory: Callable[..., MainWindow]
) -> Iterator[tuple[MainWindow, int]]:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    cid = add_client(Repos(vault))
    window = window_factory()
    window.show()
    window.enter(vault)
    yield window, cid


def _asked(asked: list[bool]) -> bool:
    """A stand-in for the "discard?" question: note that it was asked, answer "keep editing"."""
    asked.append(True)
    return False


def activate(qtbot: QtBot, dialog: QDialog) -> None:
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)


def test_changed_since_now_sees_every_kind_of_field(qtbot: QtBot) -> None:
    form = QWidget()
    qtbot.addWidget(form)
    edit, note, tick, combo, spin = (
        QLineEdit(),
        QPlainTextEdit(),
        QCheckBox("x"),
        QComboBox(),
        QSpinBox(),
    )
    combo.addItems(["a", "b"])
    layout = QVBoxLayout(form)
    for w in (edit, note, tick, combo, spin):
        layout.addWidget(w)
    steps: list[tuple[Callable[[], object], Callable[[], object]]] = [
        (lambda: edit.setText("x"), lambda: edit.setText("")),
        (lambda: note.setPlainText("x"), lambda: note.setPlainText("")),
        (lambda: tick.setChecked(True), lambda: tick.setChecked(False)),
        (lambda: combo.setCurrentIndex(1), lambda: combo.setCurrentIndex(0)),
        (lambda: spin.setValue(3), lambda: spin.setValue(0)),
    ]
    for change, undo in steps:
        modified = changed_since_now(form)
        assert not modified()
        change()
        assert modified()
        undo()
        assert not modified()  # back as it was: nothing to discard


def test_plan_dialog_ctrl_s_saves_and_escape_asks_when_changed(
    qtbot: QtBot, opened: tuple[MainWindow, int]
) -> None:
    window, cid = opened
    assert window.ctx is not None
    dialog = PlanDialog(window.ctx, cid, None, window)
    qtbot.addWidget(dialog)
    keys = dialog.findChild(FormKeys)
    assert keys is not None
    asked: list[bool] = []
    keys._ask = lambda _parent: _asked(asked)  # "Keep editing"
    activate(qtbot, dialog)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == [] and not dialog.isVisible()  # unchanged: closes at once

    dialog = PlanDialog(window.ctx, cid, None, window)
    qtbot.addWidget(dialog)
    keys = dialog.findChild(FormKeys)
    assert keys is not None
    keys._ask = lambda _parent: _asked(asked)
    activate(qtbot, dialog)
    QTest.keyClicks(dialog.weight.edit, "70")
    dialog.dose.clear()
    QTest.keyClicks(dialog.dose, "0.5")
    QTest.keyClicks(dialog.lot, "LOT-7")
    QTest.keyClick(dialog.lot, Qt.Key.Key_Escape)
    assert asked == [True] and dialog.isVisible()  # asked, and the work kept
    before = len(window.ctx.repos.sessions.for_client(cid))
    QTest.keyClick(dialog.lot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(window.ctx.repos.sessions.for_client(cid)) == before + 1


def test_ledger_form_escape_asks_only_after_a_change(
    qtbot: QtBot, opened: tuple[MainWindow, int]
) -> None:
    window, _cid = opened
    assert window.ctx is not None
    dialog = ProductDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    keys = dialog.findChild(FormKeys)
    assert keys is not None
    activate(qtbot, dialog)
    assert not dialog.modified()
    dialog.choice.setCurrentIndex(dialog.choice.currentIndex() + 1)
    assert dialog.modified()
