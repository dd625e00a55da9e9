"""Size a dialog to what it wants, but never past the screen (1366x768 at 1.5x is 911x512)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


def fit_to_screen(widget: QWidget, width: int, height: int, share: float = 0.92) -> None:
    """Resize ``widget`` to ``width`` x ``height`` or to ``share`` of the available screen,
    whichever is smaller, and lower its minimum size to match (its body scrolls)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        avail = screen.availableGeometry()
        width = min(width, int(avail.width() * share))
        height = min(height, int(avail.height() * share))
    minimum = widget.minimumSize()
    widget.setMinimumSize(min(minimum.width(), width), min(minimum.height(), height))
    widget.resize(width, height)


def scroll_down(content: QWidget, parent: QWidget | None = None) -> QScrollArea:
    """``content`` in a frameless scroll area that scrolls down only (never sideways) and is
    not a Tab stop: the body of a dialog whose buttons stay in sight below it when the
    screen is short (1366x768 at 150 %)."""
    scroll = QScrollArea(parent)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    scroll.setWidget(content)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll
