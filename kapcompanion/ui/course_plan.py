"""The course plan of one client: what is planned, done, missed or moved, and changing it.

``CoursePlanPanel(ctx, client_id)`` shows the plan (the ``course_plan`` document
``{"appointments": [...]}``) as a table and offers New plan… (``core.course_plan.plan_course``:
for example twice a week for three weeks, integration the day after, boosters, measure
visits), Move…, Mark done, Mark missed… and Export to calendar…. A moved appointment keeps its
original time, so the table shows what was planned and what happened. Every change is stored
(and audited by the store) before the table shows it. ``CoursePlanDialog`` wraps the panel for
the overview's "Course plan…" button; the Sessions section can embed the panel itself.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.course_plan import (
    AppointmentKind,
    AppointmentStatus,
    PlannedAppointment,
    cancel,
    mark_done,
    mark_missed,
    move,
)
from kapcompanion.core.models import StoredDocument
from kapcompanion.export.calendar import EXPORTED
from kapcompanion.services import clients as client_service
from kapcompanion.services import session as session_service
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.course_plan_dialogs import MissedDialog, MoveDialog, NewPlanDialog
from kapcompanion.ui.ics_export import CalendarExportDialog
from kapcompanion.ui.measure_records import session_day
from kapcompanion.ui.plan_records import (
    OPEN,
    describe,
    load_plan,
    plan_document,
    save_plan,
    status_words,
    summary,
)
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.fit import fit_to_screen

HEADERS = ["When", "What", "Status", "Note"]
MARKS = {
    AppointmentStatus.DONE: "✓ ",
    AppointmentStatus.MISSED: "✗ ",
    AppointmentStatus.MOVED: "→ ",
    AppointmentStatus.PLANNED: "",
    AppointmentStatus.CANCELLED: "× ",
}


class CoursePlanPanel(QWidget):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.doc: StoredDocument | None = None
        self.appts: list[PlannedAppointment] = []
        self.dialog: QDialog | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Plan summary")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setAccessibleName("Appointments of the course")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.new_button = QPushButton("&New plan…")
        self.new_button.setToolTip("Lay out the course: dosing, integration, boosters, measures")
        self.move_button = QPushButton("Mo&ve…")
        self.done_button = QPushButton("Mark &done")
        self.missed_button = QPushButton("Mark &missed…")
        self.export_button = QPushButton("E&xport to calendar…")
        self.export_button.setToolTip("Write the open appointments to an .ics calendar file")
        self.new_button.clicked.connect(self.open_new_plan)
        self.move_button.clicked.connect(self.open_move)
        self.done_button.clicked.connect(lambda: self.mark_done_selected())
        self.missed_button.clicked.connect(self.open_missed)
        self.export_button.clicked.connect(self.open_export)
        buttons = QHBoxLayout()
        for b in (
            self.new_button,
            self.move_button,
            self.done_button,
            self.missed_button,
            self.export_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.refresh()

    # ------------------------------------------------------------------ showing
    def refresh(self) -> None:
        self.doc = plan_document(self.ctx.repos, self.client_id)
        self.appts = load_plan(self.doc)
        self.summary.setText(
            summary(self.appts)
            if self.appts
            else "No course plan yet. A plan lays out the dosing sessions (for example twice "
            "a week for three weeks), integration sessions, boosters and measure visits; "
            "start one with New plan."
        )
        set_role(self.summary, "" if self.appts else "empty")
        now = datetime.now().astimezone()
        self.table.setRowCount(len(self.appts))
        for row, appt in enumerate(self.appts):
            status = MARKS[appt.status] + status_words(appt)
            if appt.status is AppointmentStatus.PLANNED and appt.ends < now:
                status = "planned (past: mark done or missed)"
            values = [wording.appointment(appt.when.astimezone()), describe(appt), status]
            values.append(appt.note)
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if appt.status in (AppointmentStatus.MISSED, AppointmentStatus.CANCELLED):
                    font = QFont(item.font())
                    font.setStrikeOut(col < 2)
                    item.setFont(font)
                self.table.setItem(row, col, item)
        self.table.setVisible(bool(self.appts))
        upcoming = next((r for r, a in enumerate(self.appts) if a.status in OPEN), None)
        first = self.table.item(upcoming, 0) if upcoming is not None else None
        if first is not None and self.selected_row() is None:
            self.table.scrollToItem(first, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.export_button.setEnabled(any(a.status in EXPORTED for a in self.appts))
        self._update_buttons()

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def select(self, row: int) -> None:
        self.table.selectRow(row)

    def _update_buttons(self) -> None:
        row = self.selected_row()
        open_ = row is not None and self.appts[row].status in OPEN
        for b in (self.move_button, self.done_button, self.missed_button):
            b.setEnabled(open_)

    # ------------------------------------------------------------------ changing
    def _store(self, appts: list[PlannedAppointment], message: str) -> bool:
        try:
            self.doc = save_plan(self.ctx.repos, self.client_id, appts, self.doc)
        except VaultError as exc:
            self.error.setText(f"Not saved: {exc.message}")
            self.error.show()
            return False
        self.error.hide()
        self.refresh()
        self.ctx.signals.client_changed.emit(self.client_id)
        self.ctx.notify(message, 3000)
        return True

    def _replace(self, row: int, new: PlannedAppointment, message: str) -> bool:
        appts = list(self.appts)
        appts[row] = new
        if not self._store(appts, message):
            return False
        self._reselect(new)
        return True

    def _reselect(self, appt: PlannedAppointment) -> None:
        for row, a in enumerate(self.appts):
            if a == appt:
                self.select(row)
                return

    def create_plan(self, plan: list[PlannedAppointment]) -> bool:
        """Store a new plan; what already happened (done, missed, moved) is kept.

        The planned appointments it replaces stay on record as cancelled, so the next calendar
        export cancels them in the therapist's calendar instead of leaving them there.
        """
        same = {(a.kind, a.number, a.planned_for) for a in plan}
        kept = [
            cancel(a) if a.status is AppointmentStatus.PLANNED else a
            for a in self.appts
            if a.status is not AppointmentStatus.PLANNED
            or (a.kind, a.number, a.planned_for) not in same
        ]
        return self._store(kept + plan, "Course plan saved.")

    def move_selected(self, new_time: datetime, note: str = "") -> bool:
        row = self.selected_row()
        if row is None:
            return False
        try:
            moved = move(self.appts[row], new_time, note or None)
        except ValueError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return False
        return self._replace(row, moved, f"Moved to {wording.appointment(new_time)}.")

    def mark_done_selected(self) -> bool:
        row = self.selected_row()
        if row is None:
            return False
        appt = self.appts[row]
        session_id = None
        if appt.kind in (AppointmentKind.DOSING, AppointmentKind.BOOSTER):
            day = appt.when.astimezone().date()
            same = [
                s
                for s in session_service.sessions_of(self.ctx.repos, self.client_id)
                if session_day(s) == day
            ]
            session_id = same[0].id if same else None
        return self._replace(row, mark_done(appt, session_id), f"{describe(appt)}: done.")

    def mark_missed_selected(self, note: str = "") -> bool:
        row = self.selected_row()
        if row is None:
            return False
        appt = self.appts[row]
        return self._replace(row, mark_missed(appt, note or None), f"{describe(appt)}: missed.")

    # ------------------------------------------------------------------ dialogs
    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_new_plan(self) -> QDialog:
        replacing = sum(a.status is AppointmentStatus.PLANNED for a in self.appts)
        return self._open(
            NewPlanDialog(self.ctx.title("New course plan"), self.create_plan, replacing, self)
        )

    def open_move(self) -> QDialog | None:
        row = self.selected_row()
        if row is None:
            return None
        return self._open(MoveDialog(self.appts[row], self.move_selected, self))

    def open_missed(self) -> QDialog | None:
        row = self.selected_row()
        if row is None:
            return None
        return self._open(MissedDialog(self.appts[row], self.mark_missed_selected, self))

    def open_export(self) -> QDialog:
        return self._open(CalendarExportDialog(self.ctx, [self.client_id], self))


class CoursePlanDialog(QDialog):
    """The panel in a window of its own (from the overview's "Course plan…")."""

    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        client = client_service.get(ctx.repos, client_id)
        self.setWindowTitle(ctx.title(f"Course plan: {client.display_name}"))
        self.panel = CoursePlanPanel(ctx, client_id, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(buttons)
        fit_to_screen(self, 860, 560)
