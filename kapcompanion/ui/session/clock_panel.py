"""The session clock, large enough to read across the room, and the strip on the locked screen.

Both only repaint from ``SessionController.view()`` on each tick; neither counts time itself.
The locked strip shows no name: the clock, the phase and the next vitals reminder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kapcompanion.ui.theme import set_role

if TYPE_CHECKING:
    from kapcompanion.ui.session.controller import SessionController


def _scaled(label: QLabel, factor: float, bold: bool = False) -> None:
    font = QFont(label.font())
    font.setPointSizeF(max(8.0, font.pointSizeF()) * factor)
    font.setBold(bold)
    label.setFont(font)


def clock_font(base: QFont, factor: float) -> QFont:
    """Fixed-width digits, so the clock does not jitter as the seconds change."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(8.0, base.pointSizeF()) * factor)
    font.setBold(True)
    return font


class ClockPanel(QFrame):
    """Elapsed time since the dose, the current phase with its remaining time, and the next."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionClock")
        self.setProperty("role", "card")
        self.controller = controller
        self.big = QLabel(self)
        self.big.setObjectName("sessionClockBig")
        self.big.setFont(clock_font(self.font(), 4.2))
        self.big.setAccessibleName("Session clock")
        self.caption = QLabel(self)
        set_role(self.caption, "hint")
        self.phase = QLabel(self)
        self.phase.setAccessibleName("Current phase")
        _scaled(self.phase, 1.7, bold=True)
        self.remaining = QLabel(self)
        self.remaining.setAccessibleName("Time left in this phase")
        _scaled(self.remaining, 1.3)
        self.next = QLabel(self)
        self.next.setAccessibleName("Next phase")
        set_role(self.next, "hint")
        for label in (self.big, self.caption):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.phase.setWordWrap(True)
        self.next.setWordWrap(True)
        # side by side: the clock row sits above the scrolling body and must stay short
        time = QVBoxLayout()
        time.setSpacing(0)
        time.addWidget(self.big)
        time.addWidget(self.caption)
        phase = QVBoxLayout()
        phase.setSpacing(2)
        phase.addStretch(1)
        phase.addWidget(self.phase)
        phase.addWidget(self.remaining)
        phase.addWidget(self.next)
        phase.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(time)
        layout.addSpacing(16)
        layout.addLayout(phase, 1)
        controller.ticked.connect(self.refresh)
        controller.state_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        view = self.controller.view()
        self.big.setText(view.big)
        self.caption.setText(view.caption)
        self.phase.setText(view.phase)
        self.remaining.setText(view.remaining)
        self.next.setText(view.next_phase)


class LockedStrip(QFrame):
    """On the locked screen: the clock, the phase and the next vitals; never a name."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockedSessionStrip")
        self.setProperty("role", "card")
        self.controller = controller
        self.title = QLabel(
            "A session is running: the clock and the reminders carry on, and any music keeps "
            "playing.",
            self,
        )
        set_role(self.title, "hint")
        self.title.setWordWrap(True)
        self.clock = QLabel(self)
        self.clock.setFont(clock_font(self.font(), 2.2))
        self.clock.setAccessibleName("Session clock")
        self.phase = QLabel(self)
        _scaled(self.phase, 1.2, bold=True)
        self.phase.setAccessibleName("Current phase")
        self.phase.setWordWrap(True)
        self.vitals = QLabel(self)
        self.vitals.setAccessibleName("Next vitals")
        self.vitals.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.clock)
        column = QVBoxLayout()
        column.addWidget(self.phase)
        column.addWidget(self.vitals)
        row.addSpacing(12)
        row.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(row)
        controller.ticked.connect(self.refresh)
        self.refresh()

    def text(self) -> str:
        return " · ".join(x.text() for x in (self.clock, self.phase, self.vitals) if x.text())

    def refresh(self) -> None:
        view = self.controller.view()
        self.clock.setText(view.big)
        phase = view.phase
        if view.remaining:
            phase += f" · {view.remaining}"
        self.phase.setText(phase)
        self.vitals.setText(view.vitals.text)
        role = "warning" if view.vitals.now else "hint"
        if self.vitals.property("role") != role:
            set_role(self.vitals, role)
