"""Small reusable pieces: a busy line (indeterminate bar + words) and an empty state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.ui.theme import set_role


class BusyLine(QWidget):
    """Shown while slow work runs (unlocking, creating a vault): a moving bar and a sentence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(160)
        self.bar.setAccessibleName("Working")
        self.label = QLabel(self)
        set_role(self.label, "hint")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)
        self.hide()

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def stop(self) -> None:
        self.hide()

    @property
    def busy(self) -> bool:
        return not self.isHidden()


class EmptyState(QWidget):
    """A calm, centred explanation: what will be here and how to start it."""

    def __init__(self, title: str, body: str, how: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        column = QWidget(self)
        column.setMaximumWidth(620)
        inner = QVBoxLayout(column)
        inner.setSpacing(10)
        self.title = QLabel(title, column)
        set_role(self.title, "heading")
        self.body = QLabel(body, column)
        self.how = QLabel(how, column)
        set_role(self.how, "empty")
        for label in (self.title, self.body, self.how):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            inner.addWidget(label)
        self.how.setVisible(bool(how))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 20)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def text(self) -> str:
        return "\n".join(x.text() for x in (self.title, self.body, self.how) if x.text())


def centred_scroll(column: QWidget, parent: QWidget | None = None) -> QScrollArea:
    """``column`` centred horizontally in a frameless scroll area (fits at 200 % scaling)."""
    holder = QWidget()
    centre = QHBoxLayout(holder)
    centre.addStretch(1)
    centre.addWidget(column, 4)
    centre.addStretch(1)
    scroll = QScrollArea(parent)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(holder)
    return scroll
