"""One place for a form's problems, of a reserved height, so nothing moves under the pointer.

The form recomputes its problems from the current values on every change and hands the whole
list to :meth:`MessageArea.show_messages`; a message disappears as soon as its cause does, each
problem is said once, and the area keeps its height whether it holds nothing or several lines
(longer lists scroll inside it).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QWidget

from kapcompanion.ui.theme import set_role


class MessageArea(QScrollArea):
    def __init__(self, name: str = "Problems", lines: int = 2, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("messageArea")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # words to read, not a Tab stop
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setAccessibleName(name)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.label, "error")
        self.setWidget(self.label)
        height = self.fontMetrics().lineSpacing() * lines + 6
        self.setFixedHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._messages: tuple[str, ...] = ()

    @property
    def messages(self) -> tuple[str, ...]:
        return self._messages

    def show_messages(self, messages: Sequence[str]) -> None:
        """Show exactly these (duplicates dropped, order kept); an empty list clears."""
        unique = tuple(dict.fromkeys(m for m in messages if m))
        if unique == self._messages:
            return
        self._messages = unique
        self.label.setText("\n".join(unique))

    def text(self) -> str:
        return self.label.text()
