"""A mouse wheel never changes a value the therapist is not editing.

Scrolling a long form (the discharge dialog, a plan, the settings) with the wheel used to
change whichever combo box or spin box passed under the pointer ("Circulation" went from 1 to
2 in issue 19). :class:`WheelGuard`, installed once on the application (``ui.app``), lets a
combo box or spin box (dates and times too) take the wheel only while it has the keyboard
focus; otherwise the wheel scrolls the nearest scroll area, as the therapist meant. It also
gives these widgets ``Qt.StrongFocus``, so the wheel alone never focuses them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)

_GUARDED = (QComboBox, QAbstractSpinBox)


def _has_focus(widget: QWidget) -> bool:
    focused = QApplication.focusWidget()
    return widget.hasFocus() or (focused is not None and widget.isAncestorOf(focused))


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and not isinstance(parent, _GUARDED):
            return parent
        parent = parent.parentWidget()
    return None


class WheelGuard(QObject):
    """The application-wide event filter (see the module docstring)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(watched, _GUARDED):
            watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif (
            kind == QEvent.Type.Wheel and isinstance(watched, _GUARDED) and not _has_focus(watched)
        ):
            area = _scroll_area_of(watched)
            if area is not None:
                QCoreApplication.sendEvent(area.viewport(), event.clone())
            event.ignore()
            return True
        return False


def install_wheel_guard(app: QCoreApplication) -> WheelGuard:
    """Install the guard once on ``app`` (again is a no-op); returns it.

    Boxes polished before it was installed get their strong focus now."""
    for child in app.findChildren(WheelGuard):
        return child
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    for widget in QApplication.allWidgets():
        if isinstance(widget, _GUARDED):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return guard
