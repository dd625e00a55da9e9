"""The client's dosing sessions: plan, prepare, start or resume, and read the summary.

The list shows each session's number, date, status and whether it is signed. Enter on a row
does the natural next thing (start or resume a planned or running session, the summary of an
ended one). The session itself opens full-window (``ui.session.host``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.dose import DosePlan, plan_summary
from kapcompanion.core.models import DosingSession, SessionStatus
from kapcompanion.core.serial import load
from kapcompanion.services import session as session_service
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.session.readiness import open_preparation, preparation_view_class
from kapcompanion.ui.theme import set_role

STATUS_TEXT = {
    SessionStatus.PLANNED: "Planned",
    SessionStatus.STARTED: "Running (before the dose)",
    SessionStatus.DOSED: "Running",
    SessionStatus.ENDED: "Ended",
}
HEADERS = ("No.", "Date", "Status", "Signed", "Dose")


def session_date(s: DosingSession) -> str:
    when = s.started_utc or s.planned_for
    return wording.date_time(when.astimezone()) if when else "not scheduled"


def create_section(ctx: AppContext, client_id: int) -> QWidget:
    return SessionsSection(ctx, client_id)


class SessionsSection(QWidget):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionsSection")
        self.ctx = ctx
        self.client_id = client_id
        self.sessions: list[DosingSession] = []
        self.dialog: QDialog | None = None
        self.session_screen: QWidget | None = None

        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setAccessibleName("Sessions")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.itemActivated.connect(lambda _item: self.activate())
        self.empty = QLabel(
            "No sessions yet. Each dosing session will be listed here with its date, status "
            "and signature. Plan the first with Plan a session (Alt+P).",
            self,
        )
        self.empty.setWordWrap(True)
        set_role(self.empty, "empty")

        self.plan_button = QPushButton("&Plan a session…", self)
        self.edit_button = QPushButton("Edit p&lan…", self)
        self.prepare_button = QPushButton("P&repare…", self)
        self.start_button = QPushButton("Start / res&ume", self)
        self.start_button.setAccessibleName("Start or resume the session")
        self.start_button.setProperty("primary", "true")
        self.summary_button = QPushButton("Summar&y", self)
        self.music_button = QPushButton("&Music…", self)
        self.music_button.setToolTip("Music folders and the playlists for this client's phases")
        if preparation_view_class() is None:
            self.prepare_button.setToolTip("The preparation checklist is not in this version.")
        self.plan_button.clicked.connect(self.plan)
        self.edit_button.clicked.connect(self.edit_plan)
        self.prepare_button.clicked.connect(self.prepare)
        self.start_button.clicked.connect(self.start)
        self.summary_button.clicked.connect(self.summary)
        self.music_button.clicked.connect(self.music)
        buttons = QGridLayout()  # two rows: fits the record side of a 960 px window
        for index, b in enumerate(
            (
                self.plan_button,
                self.edit_button,
                self.prepare_button,
                self.start_button,
                self.summary_button,
                self.music_button,
            )
        ):
            buttons.addWidget(b, index // 3, index % 3)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.setFocusProxy(self.table)
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reload()

    # ------------------------------------------------------------------ list
    def reload(self) -> None:
        keep = self.selected()
        self.sessions = session_service.sessions_of(self.ctx.repos, self.client_id)
        self.table.setRowCount(len(self.sessions))
        for row, s in enumerate(self.sessions):
            plan = load(DosePlan, s.plan) if s.plan else None
            dose = plan_summary(plan) if plan is not None else ""
            signed = wording.short_date(s.signed_utc.astimezone()) if s.signed_utc else "—"
            for col, text in enumerate(
                (str(s.number), session_date(s), STATUS_TEXT[s.status], signed, dose)
            ):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, s.id)
                if col == 4 and plan is not None and plan.above_usual:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    item.setToolTip(f"Reason recorded: {plan.out_of_range_reason or ''}")
                self.table.setItem(row, col, item)
        self.empty.setVisible(not self.sessions)
        self.table.setVisible(bool(self.sessions))
        target = keep.id if keep else self._default_id()
        for row, s in enumerate(self.sessions):
            if s.id == target:
                self.table.selectRow(row)
        self._enable()

    def _default_id(self) -> int | None:
        """Select what comes next: a running session, else the first planned, else the last."""
        for wanted in ((SessionStatus.STARTED, SessionStatus.DOSED), (SessionStatus.PLANNED,)):
            for s in self.sessions:
                if s.status in wanted:
                    return s.id
        return self.sessions[-1].id if self.sessions else None

    def selected(self) -> DosingSession | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.sessions[rows[0].row()] if rows[0].row() < len(self.sessions) else None

    def _enable(self) -> None:
        s = self.selected()
        status = s.status if s else None
        self.edit_button.setEnabled(status is SessionStatus.PLANNED)
        self.prepare_button.setEnabled(
            status is SessionStatus.PLANNED and preparation_view_class() is not None
        )
        self.start_button.setEnabled(s is not None and status is not SessionStatus.ENDED)
        self.start_button.setText(
            "Res&ume session" if s is not None and s.running else "Start / res&ume"
        )
        self.summary_button.setEnabled(s is not None and status is not SessionStatus.PLANNED)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # ------------------------------------------------------------------ actions
    def activate(self) -> None:
        s = self.selected()
        if s is None:
            return
        if s.status is SessionStatus.ENDED:
            self.summary()
        else:
            self.start()

    def plan(self) -> QDialog:
        from kapcompanion.ui.session.plan_dialog import PlanDialog

        dialog = PlanDialog(self.ctx, self.client_id, None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda _s: self.reload())
        dialog.saved.connect(lambda s: self.ctx.notify(f"Session {s.number} planned.", 4000))
        self.dialog = dialog
        dialog.open()
        return dialog

    def edit_plan(self) -> QDialog | None:
        from kapcompanion.ui.session.plan_dialog import PlanDialog

        s = self.selected()
        if s is None or s.status is not SessionStatus.PLANNED:
            return None
        dialog = PlanDialog(self.ctx, self.client_id, s, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda _s: self.reload())
        self.dialog = dialog
        dialog.open()
        return dialog

    def prepare(self) -> QDialog | None:
        s = self.selected()
        if s is None or s.id is None:
            return None
        dialog: QDialog | None = open_preparation(self.ctx, self.client_id, s.id, self)
        if dialog is not None:
            dialog.finished.connect(lambda _r: self.reload())
            self.dialog = dialog
        return dialog

    def start(self) -> QWidget | None:
        from kapcompanion.ui.session.host import main_window_of, open_session

        s = self.selected()
        if s is None or s.id is None or s.status is SessionStatus.ENDED:
            return None
        window = main_window_of(self)
        if window is None:
            self._say("Open the session from the main window.")
            return None
        self.session_screen = open_session(window, s.id)
        return self.session_screen

    def summary(self) -> QDialog | None:
        from kapcompanion.ui.session.summary import SummaryDialog

        s = self.selected()
        if s is None or s.id is None:
            return None
        try:
            dialog = SummaryDialog(self.ctx, s.id, self)
        except VaultError as exc:
            self._say(exc.message)
            return None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def music(self) -> QWidget | None:
        from kapcompanion.ui.session.music_dialog import MusicDialog

        dialog = MusicDialog(self.ctx, self.client_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog
