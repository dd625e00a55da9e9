"""Dialogs of the course plan: lay out a new plan, move an appointment, note a miss.

Each dialog only collects values and hands them to the panel's methods (which store them),
so the panel's behaviour is tested without driving the dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.course_plan import (
    AppointmentKind,
    PlannedAppointment,
    plan_course,
)
from kapcompanion.ui.plan_records import describe
from kapcompanion.ui.theme import set_role


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def pytime(q: QTime) -> time:
    return time(q.hour(), q.minute())


def next_monday(today: date | None = None) -> date:
    today = today or date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def parse_weeks(text: str) -> list[int]:
    """'4, 8' -> [4, 8]; raises ValueError with a readable message."""
    weeks: list[int] = []
    for bit in text.replace(";", ",").split(","):
        bit = bit.strip()
        if not bit:
            continue
        if not bit.isdigit() or int(bit) < 1:
            raise ValueError(f"“{bit}” is not a number of weeks (use whole numbers like 4, 8).")
        weeks.append(int(bit))
    return sorted(set(weeks))


class NewPlanDialog(QDialog):
    """Dosing sessions a week for some weeks, integration the day after, boosters, measures."""

    def __init__(
        self,
        title: str,
        create: Callable[[list[PlannedAppointment]], bool],
        replacing: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.on_create = create
        self.start = QDateEdit(qdate(next_monday()))
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat(f"ddd {wording.qt_date_format()}")
        self.start.setAccessibleName("First dosing day")
        self.per_week = QSpinBox()
        self.per_week.setRange(1, 7)
        self.per_week.setValue(2)
        self.per_week.setAccessibleName("Dosing sessions a week")
        self.weeks = QSpinBox()
        self.weeks.setRange(1, 26)
        self.weeks.setValue(3)
        self.weeks.setAccessibleName("Number of weeks")
        self.every = QComboBox()
        self.every.addItem("Every week", 1)
        self.every.addItem("Every second week", 2)
        self.every.setAccessibleName("How often")
        self.at = QTimeEdit(QTime(10, 0))
        self.at.setDisplayFormat("HH:mm")
        self.at.setAccessibleName("Time of the dosing sessions")
        self.integration = QCheckBox("Integration session the day &after each dosing")
        self.integration.setChecked(True)
        self.integration_at = QTimeEdit(QTime(10, 0))
        self.integration_at.setDisplayFormat("HH:mm")
        self.integration_at.setAccessibleName("Time of the integration sessions")
        self.boosters = QLineEdit("4, 8")
        self.boosters.setAccessibleName("Boosters, weeks after the last dosing session")
        self.boosters.setToolTip("Weeks after the last dosing session, e.g. 4, 8 (empty for none)")
        self.measures = QCheckBox("Baseline and end-of-course &measure visits")
        self.measures.setChecked(True)
        form = QFormLayout()
        form.addRow("&First dosing day", self.start)
        form.addRow("&Dosing sessions a week", self.per_week)
        form.addRow("For &weeks", self.weeks)
        form.addRow("&How often", self.every)
        form.addRow("&Time", self.at)
        form.addRow("", self.integration)
        form.addRow("&Integration time", self.integration_at)
        form.addRow("&Boosters (weeks after)", self.boosters)
        form.addRow("", self.measures)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        set_role(self.preview, "hint")
        self.error = QLabel()
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        note = QLabel(
            f"The {replacing} planned appointment(s) of the current plan will be cancelled and "
            "replaced (a calendar export cancels them too); done, missed and moved ones are kept."
            if replacing
            else ""
        )
        note.setWordWrap(True)
        note.setVisible(bool(replacing))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.addButton("&Create plan", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setProperty("primary", True)
        self.buttons.accepted.connect(self._create)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        for signal in (
            self.start.dateChanged,
            self.per_week.valueChanged,
            self.weeks.valueChanged,
            self.every.currentIndexChanged,
            self.at.timeChanged,
            self.integration.toggled,
            self.boosters.textChanged,
            self.measures.toggled,
        ):
            signal.connect(self._update_preview)
        self.integration.toggled.connect(self.integration_at.setEnabled)
        self._update_preview()

    def plan(self) -> list[PlannedAppointment]:
        return plan_course(
            pydate(self.start.date()),
            self.per_week.value(),
            self.weeks.value(),
            self.integration.isChecked(),
            pytime(self.at.time()),
            parse_weeks(self.boosters.text()),
            every_weeks=int(self.every.currentData()),
            integration_time=pytime(self.integration_at.time()),
            measure_visits=self.measures.isChecked(),
        )

    def _update_preview(self, *_args: object) -> None:
        try:
            plan = self.plan()
        except ValueError as exc:
            self.preview.setText(str(exc))
            return
        dosing = [a for a in plan if a.kind is AppointmentKind.DOSING]
        counts = {k: sum(a.kind is k for a in plan) for k in AppointmentKind}
        self.preview.setText(
            f"{counts[AppointmentKind.DOSING]} dosing sessions from "
            f"{wording.appointment_day(dosing[0].when)} to "
            f"{wording.appointment_day(dosing[-1].when)}, "
            f"{counts[AppointmentKind.INTEGRATION]} integration sessions, "
            f"{counts[AppointmentKind.BOOSTER]} boosters, "
            f"{counts[AppointmentKind.MEASURE]} measure visits."
        )

    def _create(self) -> None:
        try:
            plan = self.plan()
        except ValueError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        if self.on_create(plan):
            self.accept()


class MoveDialog(QDialog):
    def __init__(
        self,
        appt: PlannedAppointment,
        apply: Callable[[datetime, str], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Move: {describe(appt)}")
        self.apply = apply
        when = appt.when.astimezone()
        self.when = QDateTimeEdit(QDateTime(qdate(when.date()), QTime(when.hour, when.minute)))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(f"ddd {wording.qt_date_format()} HH:mm")
        self.when.setAccessibleName("New date and time")
        self.note = QLineEdit(appt.note)
        self.note.setAccessibleName("Why it moved (optional)")
        form = QFormLayout()
        form.addRow("&New time", self.when)
        form.addRow("&Note", self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        planned = wording.appointment(appt.planned_for.astimezone())
        layout.addWidget(QLabel(f"Planned for {planned}."))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _apply(self) -> None:
        q = self.when.dateTime()
        new = datetime.combine(pydate(q.date()), pytime(q.time())).astimezone()
        if self.apply(new, self.note.text().strip()):
            self.accept()


class MissedDialog(QDialog):
    def __init__(
        self,
        appt: PlannedAppointment,
        apply: Callable[[str], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Missed: {describe(appt)}")
        self.apply = apply
        self.note = QLineEdit()
        self.note.setAccessibleName("What happened (optional)")
        self.note.setPlaceholderText("e.g. unwell; called to cancel")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Mark &missed", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        text = QLabel(
            f"{describe(appt)} on {wording.appointment(appt.when.astimezone())} "
            "did not take place. "
            "The miss stays on the plan, as a record of the course."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addWidget(self.note)
        layout.addWidget(buttons)

    def _apply(self) -> None:
        if self.apply(self.note.text().strip()):
            self.accept()
