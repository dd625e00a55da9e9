"""The same keys in every dialog: Ctrl+S saves, Ctrl+Enter confirms, Escape asks first.

:func:`install_form_keys` gives a dialog

* **Ctrl+S** (the platform's Save key) calling ``save``;
* **Ctrl+Enter** / **Ctrl+Return** calling ``confirm`` (``save`` when there is no separate
  confirm), also from inside a multi-line field, where plain Enter starts a new line;
* **Escape** and the window's close button asking "Discard the changes?" when ``modified()``
  says the form changed; an unchanged form closes at once, as before.

A programmatic ``reject()`` or ``close()`` (the vault locking, the app quitting) is not asked
about: only the user's Escape and the window system's close button are. The question is a
real QMessageBox with Discard and Keep editing (the default), so a stray Enter keeps the work.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDoubleSpinBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QTextEdit,
    QWidget,
)

DISCARD_TITLE = "Discard the changes?"
DISCARD_TEXT = "This form has changes that are not saved. Discard them and close?"


def ask_discard(parent: QWidget) -> bool:
    """The real question; True when the user chose to discard."""
    box = QMessageBox(QMessageBox.Icon.Question, DISCARD_TITLE, DISCARD_TEXT, parent=parent)
    box.setObjectName("discardQuestion")
    discard = box.addButton("&Discard", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("&Keep editing", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is discard


class FormKeys(QObject):
    """Installed by :func:`install_form_keys`; kept as the dialog's child."""

    def __init__(
        self,
        dialog: QDialog,
        *,
        save: Callable[[], object],
        confirm: Callable[[], object] | None,
        modified: Callable[[], bool],
        ask: Callable[[QWidget], bool] = ask_discard,
    ) -> None:
        super().__init__(dialog)
        self.setObjectName("formKeys")
        self._dialog = dialog
        self._save = save
        self._confirm = confirm or save
        self._modified = modified
        self._ask = ask
        self.shortcuts: list[QShortcut] = []
        self._add(QKeySequence(QKeySequence.StandardKey.Save), self._save)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._add(QKeySequence(Qt.KeyboardModifier.ControlModifier | key), self._confirm)
        dialog.installEventFilter(self)

    def _add(self, sequence: QKeySequence, slot: Callable[[], object]) -> None:
        shortcut = QShortcut(sequence, self._dialog)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)
        self.shortcuts.append(shortcut)

    def may_close(self) -> bool:
        """True when the dialog may close now (unchanged, or the user chose to discard)."""
        return not self._modified() or self._ask(self._dialog)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._dialog:
            kind = event.type()
            if (
                kind == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
            ):
                if not self.may_close():
                    event.accept()
                    return True
                self._dialog.reject()
                return True
            if (
                kind == QEvent.Type.Close
                and event.spontaneous()  # the window's close button, not a program's close()
                and self._dialog.isVisible()
                and not self.may_close()
            ):
                event.ignore()
                return True
        return False


def install_form_keys(
    dialog: QDialog,
    *,
    save: Callable[[], object],
    modified: Callable[[], bool],
    confirm: Callable[[], object] | None = None,
    ask: Callable[[QWidget], bool] = ask_discard,
) -> FormKeys:
    return FormKeys(dialog, save=save, confirm=confirm, modified=modified, ask=ask)


def form_state(dialog: QWidget) -> tuple[object, ...]:
    """What the user can change in ``dialog``: every text, choice, tick and number."""
    state: list[object] = []
    for widget in dialog.findChildren(QWidget):
        if isinstance(widget, QLineEdit):
            if not isinstance(widget.parent(), QAbstractSpinBox | QComboBox):  # (their own)
                state.append(widget.text())
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            state.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            state.append((widget.currentIndex(), widget.currentText()))
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            state.append(widget.isChecked())
        elif isinstance(widget, QSpinBox | QDoubleSpinBox):
            state.append(widget.value())
        elif isinstance(widget, QDateTimeEdit):
            state.append(widget.dateTime().toString(Qt.DateFormat.ISODate))
    return tuple(state)


def changed_since_now(dialog: QWidget) -> Callable[[], bool]:
    """A ``modified`` for :func:`install_form_keys`: has anything changed since this call?
    (Call it when the form is filled, before the user types.)"""
    initial = form_state(dialog)
    return lambda: form_state(dialog) != initial
