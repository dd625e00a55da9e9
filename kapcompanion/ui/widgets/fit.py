"""Size a dialog to what it wants, but never past the screen (1366x768 at 1.5x is 911x512)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


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
