"""One question answered with a few buttons (yes / no / unknown), by mouse or by keys.

The row itself takes the keyboard focus (Tab stops on it, then on its note): Y, N, U or
1, 2, 3 answer it, and Down / Up move to the next / previous question (skipping the notes),
so a long questionnaire is filled without the mouse. The answer buttons
stay out of the Tab chain to keep it short; the row's accessible name carries the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QWidget

from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.choice import SegmentedChoice

ROW_STYLE = """
QFrame#answerRow { border: 2px solid transparent; border-radius: 4px; }
QFrame#answerRow:focus { border: 2px solid palette(highlight); }
"""

#: (value, button text, keys that choose it)
Option = tuple[Any, str, str]


class AnswerRow(QFrame):
    answered = Signal(object)
    note_edited = Signal(str)

    def __init__(
        self,
        key: str,
        label: str,
        options: Sequence[Option],
        *,
        help_text: str = "",
        with_note: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.label_text = label
        self.setObjectName("answerRow")
        self.setStyleSheet(ROW_STYLE)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._texts = {value: text for value, text, _keys in options}
        self._keys = {k: value for value, _text, keys in options for k in keys.lower()}
        self.label = QLabel(label)
        self.label.setWordWrap(True)
        self.choice = SegmentedChoice(
            [(value, text) for value, text, _keys in options], label, focusable=False
        )
        self.choice.chosen.connect(self._chosen)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.label, 0, 0)
        grid.addWidget(self.choice, 0, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 3)
        self.hint: QLabel | None = None
        if help_text:
            self.hint = QLabel(help_text)
            self.hint.setWordWrap(True)
            set_role(self.hint, "hint")
            grid.addWidget(self.hint, 1, 0)
        self.note: QLineEdit | None = None
        if with_note:
            self.note = QLineEdit()
            self.note.setAccessibleName(f"{label}: note")
            self.note.setPlaceholderText("note (answer first)")
            self.note.setEnabled(False)
            self.note.textEdited.connect(self.note_edited.emit)
            grid.addWidget(self.note, 0, 2, Qt.AlignmentFlag.AlignTop)
            grid.setColumnStretch(2, 2)
        self._describe()

    def value(self) -> Any:
        return self.choice.value()

    def set_answer(self, value: Any, note: str = "") -> None:
        """Show a stored answer (no signal)."""
        self.choice.set_value(value)
        if self.note is not None:
            self.note.setText(note)
            self.note.setCursorPosition(0)
            self._note_ready(value is not None)
        self._describe()

    def _note_ready(self, answered: bool) -> None:
        assert self.note is not None
        self.note.setEnabled(answered)
        self.note.setPlaceholderText("note (optional)" if answered else "note (answer first)")

    def answer(self, value: Any) -> None:
        """Answer as the user would (emits ``answered``)."""
        self.choice.choose(value)

    def _chosen(self, value: Any) -> None:
        if self.note is not None:
            self._note_ready(True)
        self._describe()
        self.answered.emit(value)

    def _describe(self) -> None:
        value = self.choice.value()
        said = self._texts.get(value, "not answered").replace("&", "").lower()
        self.setAccessibleName(f"{self.label_text}: {said}")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        value = self._keys.get(event.text().lower()) if event.text() else None
        if value is not None and self.isEnabled():
            self.answer(value)
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and not event.modifiers():
            row = self._neighbour(forward=event.key() == Qt.Key.Key_Down)
            if row is not None:
                row.setFocus(Qt.FocusReason.TabFocusReason)  # (scrolls it into view)
            event.accept()
            return
        super().keyPressEvent(event)

    def _neighbour(self, *, forward: bool) -> AnswerRow | None:
        """The next (or previous) question in the Tab order, past any notes and fields."""
        widget = self.nextInFocusChain() if forward else self.previousInFocusChain()
        while widget is not None and widget is not self:
            if isinstance(widget, AnswerRow) and widget.isVisible() and widget.isEnabled():
                # the chain is a ring: past the last question it comes back to the first
                here = self.mapTo(self.window(), self.rect().topLeft()).y()
                there = widget.mapTo(self.window(), widget.rect().topLeft()).y()
                return widget if (there > here) == forward else None
            widget = widget.nextInFocusChain() if forward else widget.previousInFocusChain()
        return None

    def set_read_only(self, read_only: bool) -> None:
        self.choice.setEnabled(not read_only)
        if self.note is not None:
            self.note.setReadOnly(read_only)
