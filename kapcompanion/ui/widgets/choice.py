"""A row of exclusive choice buttons (yes / no / unknown) that may also be left unanswered.

Radio indicators are hard to see in the dim theme and too small at arm's length; these are
ordinary buttons, and the chosen one takes the highlight colour of the current theme
(``palette(highlight)``, so a theme switch follows). ``set_value(None)`` shows "not answered".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QWidget

STYLE = """
QPushButton:checked {
    background: palette(highlight); color: palette(highlighted-text);
    border: 1px solid palette(highlight); border-radius: 3px;
}
"""


class SegmentedChoice(QWidget):
    """``options``: (value, text). ``chosen`` carries the value (never for programmatic sets)."""

    chosen = Signal(object)

    def __init__(
        self,
        options: Sequence[tuple[Any, str]],
        name: str,
        parent: QWidget | None = None,
        *,
        focusable: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # exclusive by hand, so "none chosen" stays possible
        self.buttons: dict[Any, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for value, text in options:
            button = QPushButton(text)
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setAccessibleName(f"{name}: {text.replace('&', '')}")
            if not focusable:
                button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            button.clicked.connect(lambda _on=False, v=value: self._clicked(v))
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
        self._value: Any = None

    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        self._value = value if value in self.buttons else None
        for v, button in self.buttons.items():
            button.setChecked(v == self._value)

    def choose(self, value: Any) -> None:
        """As if the user clicked ``value`` (keyboard shortcuts use this)."""
        if value in self.buttons and self.isEnabled():
            self._clicked(value)

    def _clicked(self, value: Any) -> None:
        self.set_value(value)
        self.chosen.emit(value)
