"""One questionnaire item, answered from the keyboard as fast as it is read aloud.

A row takes the focus itself. A digit answers it (when the scale has a value with that digit)
and moves on; Up and Down move between items, Left and Right step the answer, Backspace or
Delete clears it, Enter moves on. The answer buttons can be clicked but never take the focus,
so the keyboard path stays on the rows. Scales wider than one digit (0-10, 0-100) use a spin
box instead, where the number is typed and Enter moves on.
"""

from __future__ import annotations

import textwrap

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.measures import Instrument, Item

ROW_STYLE = """
QFrame[itemrow="true"] { border: 1px solid transparent; border-radius: 6px; }
QFrame[itemrow="true"][focused="true"] { border: 2px solid palette(link); }
QFrame[itemrow="true"] QPushButton:checked {
    background: palette(highlight); color: palette(highlighted-text); font-weight: 600;
    border: 1px solid palette(link); border-radius: 3px;
}
"""


def buttons_fit(inst: Instrument) -> bool:
    """One button per answer when every value is a single digit and every value is labelled."""
    values = [o.value for o in inst.options]
    return (
        inst.answer_min >= 0
        and inst.answer_max <= 9
        and values == list(range(inst.answer_min, inst.answer_max + 1))
    )


class _Spin(QSpinBox):
    """A spin box whose Enter, Up and Down belong to the form (next or previous item)."""

    step = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down):
            self.step.emit(1)
        elif key == Qt.Key.Key_Up:
            self.step.emit(-1)
        else:
            super().keyPressEvent(event)


class ItemRow(QFrame):
    #: (item number, value or None)
    changed = Signal(int, object)
    #: move the focus by this many rows (+1 next, -1 previous)
    step = Signal(int)

    def __init__(self, inst: Instrument, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inst = inst
        self.item = item
        self._value: int | None = None
        self.setProperty("itemrow", True)
        self.setProperty("focused", False)
        self.setStyleSheet(ROW_STYLE)
        stem = f"{inst.item_stem} " if inst.item_stem else ""
        self.text = QLabel(f"<b>{item.number}.</b> {stem}{item.text}", self)
        self.text.setWordWrap(True)
        self.answer_label = QLabel(self)
        self.answer_label.setProperty("role", "hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.text)
        answers = QHBoxLayout()
        answers.setSpacing(6)
        self.buttons: dict[int, QPushButton] = {}
        self.spin: _Spin | None = None
        if buttons_fit(inst):
            self.group = QButtonGroup(self)
            self.group.setExclusive(False)
            wrap = 16 if len(inst.options) > 5 else 26
            for option in inst.options:
                words = "\n".join(textwrap.wrap(option.label, wrap)) or str(option.value)
                button = QPushButton(f"{option.value}  {words}", self)
                button.setCheckable(True)
                button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.setAccessibleName(f"Answer {option.value}: {option.label}")
                button.clicked.connect(lambda _=False, v=option.value: self._clicked(v))
                self.buttons[option.value] = button
                answers.addWidget(button, 1)
            self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        else:
            spin = _Spin(self)
            spin.setRange(inst.answer_min - 1, inst.answer_max)
            spin.setSpecialValueText("not answered")
            spin.setValue(inst.answer_min - 1)
            spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.PlusMinus)
            spin.setMinimumWidth(160)
            spin.setAccessibleName(
                f"Item {item.number} answer, {inst.answer_min} to {inst.answer_max}"
            )
            spin.valueChanged.connect(self._spun)
            spin.step.connect(self.step.emit)
            self.spin = spin
            anchors = " · ".join(f"{o.value} = {o.label}" for o in inst.options)
            hint = QLabel(anchors, self)
            hint.setWordWrap(True)
            hint.setProperty("role", "hint")
            answers.addWidget(spin)
            answers.addWidget(hint, 1)
            self.setFocusProxy(spin)
            self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout.addLayout(answers)
        self.setAccessibleName(f"Item {item.number}: {item.text}")
        self._show()

    # ------------------------------------------------------------------ value
    @property
    def value(self) -> int | None:
        return self._value

    def set_value(self, value: int | None) -> None:
        if value is not None and not self.inst.answer_min <= value <= self.inst.answer_max:
            return
        if value == self._value:
            return
        self._value = value
        if self.spin is not None:
            self.spin.blockSignals(True)
            self.spin.setValue(self.inst.answer_min - 1 if value is None else value)
            self.spin.blockSignals(False)
        self._show()
        self.changed.emit(self.item.number, value)

    def _show(self) -> None:
        for v, button in self.buttons.items():
            button.setChecked(v == self._value)
        if self._value is None:
            words = "not answered"
        else:
            label = self.inst.option_label(self._value)
            words = f"{self._value}" + (f" ({label})" if label else "")
        self.setAccessibleDescription(f"Answer: {words}")

    def _clicked(self, value: int) -> None:
        self.set_value(None if value == self._value else value)
        self.setFocus(Qt.FocusReason.MouseFocusReason)

    def _spun(self, value: int) -> None:
        self.set_value(None if value < self.inst.answer_min else value)

    # ------------------------------------------------------------------ keys and focus
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        text = event.text()
        if self.spin is None and text.isdigit() and len(text) == 1:
            value = int(text)
            if value in self.buttons:
                self.set_value(value)
                self.step.emit(1)
            return
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.step.emit(1)
        elif key == Qt.Key.Key_Up:
            self.step.emit(-1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self.spin is None:
            step = -1 if key == Qt.Key.Key_Left else 1
            start = (
                self._value
                if self._value is not None
                else (self.inst.answer_min - 1 if step > 0 else self.inst.answer_max + 1)
            )
            self.set_value(min(self.inst.answer_max, max(self.inst.answer_min, start + step)))
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self.set_value(None)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._focus_look(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._focus_look(False)

    def _focus_look(self, on: bool) -> None:
        self.setProperty("focused", on)
        self.style().unpolish(self)
        self.style().polish(self)

    def take_focus(self) -> None:
        if self.spin is not None:
            self.spin.setFocus(Qt.FocusReason.OtherFocusReason)
            self.spin.selectAll()
        else:
            self.setFocus(Qt.FocusReason.OtherFocusReason)
