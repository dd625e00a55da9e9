"""Ctrl+S saves, Ctrl+Enter confirms, Escape on a changed form asks first: in the real
client dialog and in a bare dialog with the helper."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
)
from pytestqt.qtbot import QtBot

from kapcompanion.ui.client_dialog import ClientDialog
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.widgets.form_keys import DISCARD_TITLE, install_form_keys


def answer_question(qtbot: QtBot, button_text: str, seen: list[str]) -> None:
    """Click a button of the discard question once it is up (it runs its own event loop)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.windowTitle())
        for button in box.buttons():
            if button.text().replace("&", "") == button_text:
                button.click()
                return

    QTimer.singleShot(20, click)


def activate(qtbot: QtBot, dialog: QDialog) -> None:
    """Shortcuts work in the active window only (offscreen too, once activated)."""
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)


class Form(QDialog):
    def __init__(self) -> None:
        super().__init__()
        self.edit = QLineEdit()
        self.note = QPlainTextEdit()
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.note)
        self.saves = 0
        self.confirms = 0
        self.keys = install_form_keys(
            self,
            save=self._save,
            confirm=self._confirm,
            modified=lambda: bool(self.edit.text() or self.note.toPlainText()),
        )

    def _save(self) -> None:
        self.saves += 1

    def _confirm(self) -> None:
        self.confirms += 1


def test_ctrl_s_and_ctrl_enter_from_any_field(qtbot: QtBot) -> None:
    form = Form()
    qtbot.addWidget(form)
    activate(qtbot, form)
    form.note.setFocus()
    QTest.keyClicks(form.note, "a line")
    QTest.keyClick(form.note, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert form.saves == 1
    QTest.keyClick(form.note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert form.confirms == 1
    assert form.note.toPlainText() == "a line"  # Ctrl+Enter did not add a new line
    form.edit.setFocus()
    QTest.keyClick(form.edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    assert form.confirms == 2


def test_escape_closes_an_unchanged_form_at_once(qtbot: QtBot) -> None:
    form = Form()
    qtbot.addWidget(form)
    form.show()
    form.edit.setFocus()
    QTest.keyClick(form.edit, Qt.Key.Key_Escape)
    assert not form.isVisible() and form.result() == QDialog.DialogCode.Rejected


def test_escape_on_a_changed_form_asks_and_keeps_the_work(qtbot: QtBot) -> None:
    form = Form()
    qtbot.addWidget(form)
    form.show()
    form.edit.setFocus()
    QTest.keyClicks(form.edit, "half-filled")
    seen: list[str] = []
    answer_question(qtbot, "Keep editing", seen)
    QTest.keyClick(form.edit, Qt.Key.Key_Escape)
    assert seen == [DISCARD_TITLE]
    assert form.isVisible() and form.edit.text() == "half-filled"
    answer_question(qtbot, "Discard", seen)
    QTest.keyClick(form.edit, Qt.Key.Key_Escape)
    assert seen == [DISCARD_TITLE, DISCARD_TITLE]
    assert not form.isVisible()


def test_a_programmatic_close_or_reject_does_not_ask(qtbot: QtBot) -> None:
    """Locking the vault or quitting closes forms without a question (lock saves first)."""
    form = Form()
    qtbot.addWidget(form)
    form.show()
    form.edit.setText("changed")
    form.close()
    assert not form.isVisible()
    form.show()
    form.reject()
    assert not form.isVisible()


def test_the_client_dialog_saves_with_ctrl_s_and_asks_on_escape(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    ws = unlocked.workspace
    assert ws is not None
    dialog = ws.new_client()
    assert isinstance(dialog, ClientDialog)
    activate(qtbot, dialog)
    dialog.name.setFocus()
    QTest.keyClicks(dialog.name, "Grace Hopper")
    seen: list[str] = []
    answer_question(qtbot, "Keep editing", seen)
    QTest.keyClick(dialog.name, Qt.Key.Key_Escape)
    assert seen == [DISCARD_TITLE] and dialog.isVisible()
    activate(qtbot, dialog)  # a window system gives the focus back after the question
    QTest.keyClick(dialog.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
    assert ws.record is not None and ws.record.client.name == "Grace Hopper"


def test_the_client_dialog_opens_in_full_name_and_tab_walks_the_fields(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    """The first keys typed land in Full name (the scroll area holding the form, and the
    message area, are not Tab stops), and Tab goes name, pseudonym, date of birth, pronouns."""
    ws = unlocked.workspace
    assert ws is not None
    dialog = ws.new_client()
    assert isinstance(dialog, ClientDialog)
    activate(qtbot, dialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert QApplication.focusWidget() is dialog.name
    order = []
    for _ in range(4):
        here = QApplication.focusWidget()
        assert here is not None
        order.append(here)
        QTest.keyClick(here, Qt.Key.Key_Tab)
    assert order == [dialog.name, dialog.pseudonym, dialog.dob, dialog.pronouns]
    assert dialog.error.focusPolicy() == Qt.FocusPolicy.NoFocus
    dialog.reject()
