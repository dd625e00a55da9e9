"""Vitals: the reminder, quick entry (BP, HR, SpO2) and the readings with their flags.

The reminder is a quiet change of the line above the entry (no sound, no flashing). Enter in
any field records; a recorded reading, or Escape, leaves the entry and the session screen takes
the focus back, so the one-key event shortcuts work. The runner validates and flags against the
clinic's thresholds, and the reading appears in the list only after it was committed. Units
are always printed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.clock import format_offset
from kapcompanion.core.vitals import VitalReading
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.session.vitals_chart import VitalsChart
from kapcompanion.ui.theme import current_theme, set_role


def reading_text(reading: VitalReading) -> str:
    when = "before dose" if reading.pre_dose else format_offset(reading.offset_s or 0.0)
    parts = []
    if reading.systolic is not None and reading.diastolic is not None:
        parts.append(f"BP {reading.systolic}/{reading.diastolic} mmHg")
    if reading.heart_rate is not None:
        parts.append(f"HR {reading.heart_rate} bpm")
    if reading.spo2 is not None:
        parts.append(f"SpO2 {reading.spo2}%")
    text = f"{when}   " + " · ".join(parts)
    if reading.flags:
        text = "⚑ " + text + "\n    " + " ".join(reading.flags)
    return text


def parse_int(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} must be a whole number, not “{text}”.") from None


def parse_bp(text: str) -> tuple[int | None, int | None]:
    """``120/80`` (also ``120 80``) -> (120, 80); blank -> (None, None)."""
    text = text.strip()
    if not text:
        return None, None
    parts = text.replace(" ", "/").replace("\\", "/").split("/")
    parts = [p for p in parts if p]
    if len(parts) != 2:
        raise ValueError(f"Write blood pressure as systolic/diastolic, e.g. 120/80, not “{text}”.")
    return parse_int(parts[0], "Systolic"), parse_int(parts[1], "Diastolic")


class VitalsPanel(QWidget):
    recorded = Signal(object)
    #: the entry is done with (a reading recorded, or Escape in a field): the session screen
    #: takes the focus back, so the one-key event shortcuts (C, O, S...) work again
    left = Signal()

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vitalsPanel")
        self.controller = controller
        heading = QLabel("Vitals", self)
        set_role(heading, "heading")
        self.reminder = QLabel(self)
        self.reminder.setObjectName("vitalsReminder")
        self.reminder.setAccessibleName("Vitals reminder")
        self.reminder.setWordWrap(True)
        self.bp = QLineEdit(self)
        self.bp.setPlaceholderText("e.g. 120/80")
        self.bp.setAccessibleName("Blood pressure in mmHg")
        self.hr = QLineEdit(self)
        self.hr.setPlaceholderText("e.g. 72")
        self.hr.setAccessibleName("Heart rate in bpm")
        self.spo2 = QLineEdit(self)
        self.spo2.setPlaceholderText("e.g. 98")
        self.spo2.setAccessibleName("SpO2 in percent")
        for edit in (self.bp, self.hr, self.spo2):
            edit.returnPressed.connect(self.submit)
        self.record_button = QPushButton("Record vitals", self)
        self.record_button.setAccessibleName("Record vitals")
        self.record_button.setToolTip("Record the reading (Enter in any field; V jumps here)")
        self.record_button.clicked.connect(self.submit)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Vitals message")
        set_role(self.error, "error")
        self.error.hide()
        # the three fields side by side, each with its unit above: short enough that the
        # readings and the chart stay in sight at 1366x768
        # no mnemonics (Alt+B, H and V are taken): V jumps to BP, Tab moves, Enter records
        form = QGridLayout()
        form.setVerticalSpacing(2)
        for column, (text, edit) in enumerate(
            (("BP (mmHg)", self.bp), ("HR (bpm)", self.hr), ("SpO2 (%)", self.spo2))
        ):
            label = QLabel(text, self)
            label.setBuddy(edit)
            edit.setMinimumWidth(60)
            form.addWidget(label, 0, column)
            form.addWidget(edit, 1, column)
            form.setColumnStretch(column, 4 if edit is self.bp else 3)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Vitals readings")
        self.list.setWordWrap(True)
        # a few readings stay readable; when the room is short the body scrolls instead
        self.list.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 8)
        self.chart = VitalsChart(self)
        layout = QVBoxLayout(self)
        self.column = layout  # the session screen may lend the chart to a wider column
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(heading)
        layout.addWidget(self.reminder)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addWidget(self.record_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.chart, 3)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.left)
        self.setTabOrder(self.bp, self.hr)
        self.setTabOrder(self.hr, self.spo2)
        self.setTabOrder(self.spo2, self.record_button)
        controller.ticked.connect(self.refresh_reminder)
        controller.reminder_changed.connect(self._reminder_changed)
        self.reload()
        self.refresh_reminder()

    def hasHeightForWidth(self) -> bool:
        return False  # its minimum keeps the readings and the chart whole (never squeezed)

    def keep_chart(self) -> None:
        """Take the chart back below the readings (after the screen lent it elsewhere)."""
        if self.column.indexOf(self.chart) < 0:
            self.column.addWidget(self.chart, 3)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.list.scrollToBottom()

    # ------------------------------------------------------------------ display
    def reload(self) -> None:
        self.list.clear()
        readings = [r for _vid, r in self.controller.runner.vitals()]
        for reading in readings:
            self._add_item(reading)
        self.chart.set_readings(readings)

    def _add_item(self, reading: VitalReading) -> None:
        item = QListWidgetItem(reading_text(reading))
        if reading.flags:
            app = QApplication.instance()
            if isinstance(app, QApplication):
                item.setForeground(QColor(current_theme(app).error))
            item.setToolTip(" ".join(reading.flags))
        self.list.addItem(item)
        self.list.scrollToBottom()

    def _reminder_changed(self, _due: bool) -> None:
        self.refresh_reminder()

    def refresh_reminder(self) -> None:
        view = self.controller.view()
        self.reminder.setText(view.vitals.text)
        role = "banner" if view.vitals.now else "hint"
        if self.reminder.property("role") != role:
            set_role(self.reminder, role)

    def focus_entry(self) -> None:
        self.bp.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.bp.selectAll()

    # ------------------------------------------------------------------ entry
    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def submit(self) -> bool:
        try:
            systolic, diastolic = parse_bp(self.bp.text())
            reading = VitalReading(
                systolic=systolic,
                diastolic=diastolic,
                heart_rate=parse_int(self.hr.text(), "Heart rate"),
                spo2=parse_int(self.spo2.text(), "SpO2"),
                taken_utc=datetime.now(UTC),
            )
            _vid, stored = self.controller.record_vitals(reading)
        except ValueError as exc:
            self._show_error(str(exc))
            return False
        except VaultError as exc:
            self._show_error(exc.message)
            return False
        self._show_error("")
        for edit in (self.bp, self.hr, self.spo2):
            edit.clear()
        self._add_item(stored)
        self.chart.set_readings([*self.chart.readings, stored])
        self.recorded.emit(stored)
        self.left.emit()
        return True
