"""The agenda across clients: today and this week (Ctrl+G, menu View > Agenda).

Appointments of every active client's course plan (dosing, integration, boosters, measure
visits) and planned session records, grouped by day; the questionnaires due; the records
not signed yet. Gathered off the GUI thread (it reads every active client), shown with the
pseudonym where there is one. Enter or a double click opens that client at the right
section. Export to calendar… writes every client's open appointments to an .ics file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.ics_export import CalendarExportDialog
from kapcompanion.ui.measure_records import load_schedule
from kapcompanion.ui.plan_records import AgendaData, collect_agenda
from kapcompanion.ui.shell import Shell
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.status import BusyLine
from kapcompanion.ui.workers import run_in_background

CLIENT_ROLE = Qt.ItemDataRole.UserRole
SECTION_ROLE = Qt.ItemDataRole.UserRole + 1
OpenClient = Callable[[int, str], object]


def day_title(day: date, today: date) -> str:
    """``Tomorrow, Tuesday, March 2``, in the user's locale."""
    return wording.agenda_day(day, today)


def _tree(name: str, headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setAccessibleName(name)
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setUniformRowHeights(False)
    tree.setWordWrap(True)
    return tree


class AgendaDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        open_client: OpenClient | None = None,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.open_client = open_client
        self.today = today or date.today()
        self.data: AgendaData | None = None
        self.export_dialog: QDialog | None = None
        self.setObjectName("agendaDialog")
        self.setWindowTitle(ctx.title("Agenda: today and this week"))
        self.busy = BusyLine(self)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.appointments = _tree("Appointments this week", ["Time", "Client", "What", "Status"])
        self.appointments.setRootIsDecorated(True)
        self.measures = _tree("Questionnaires due", ["Client", "Due"])
        self.unsigned = _tree("Records not signed yet", ["Client", "Not signed"])
        for tree in (self.appointments, self.measures, self.unsigned):
            tree.itemActivated.connect(self._activated)
        self.appointments_empty = QLabel()
        self.appointments_empty.setWordWrap(True)
        set_role(self.appointments_empty, "empty")
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self._heading("&Appointments", self.appointments))
        left_box.addWidget(self.appointments_empty)
        left_box.addWidget(self.appointments, 1)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addWidget(self._heading("&Questionnaires due", self.measures))
        right_box.addWidget(self.measures, 1)
        right_box.addWidget(self._heading("&Unsigned records", self.unsigned))
        right_box.addWidget(self.unsigned, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("E&xport to calendar…")
        self.export_button.setToolTip("Every client's open appointments as an .ics file")
        self.export_button.clicked.connect(self.open_export)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.busy, 1)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        hint = QLabel("Enter or a double click opens the client.")
        set_role(hint, "hint")
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(split, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._fit()
        self.refresh()

    def _heading(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        set_role(label, "heading")
        label.setBuddy(buddy)
        return label

    def _fit(self) -> None:
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = 1100, 680
        if screen is not None:
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 40)
        self.resize(width, height)

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        repos = self.ctx.repos
        schedule = load_schedule(self.ctx.vault)
        start, end = self.today, self.today + timedelta(days=6)
        self.busy.start("Gathering the agenda…")
        self.refresh_button.setEnabled(False)
        self.task = run_in_background(
            lambda: collect_agenda(repos, schedule, start, end),
            self.show_data,
            self._failed,
            owner=self,
        )

    def _failed(self, exc: BaseException) -> None:
        self.busy.stop()
        self.refresh_button.setEnabled(True)
        text = exc.message if isinstance(exc, VaultError) else "See the log for details."
        self.error.setText(f"The agenda could not be gathered. {text}")
        self.error.show()
        if not isinstance(exc, VaultError):
            raise exc

    def show_data(self, data: AgendaData) -> None:
        self.busy.stop()
        self.refresh_button.setEnabled(True)
        self.error.hide()
        self.data = data
        self.appointments.clear()
        days: dict[date, QTreeWidgetItem] = {}
        for row in data.rows:
            day = row.when.astimezone().date()
            if day not in days:
                top = QTreeWidgetItem([day_title(day, self.today)])
                top.setFirstColumnSpanned(True)
                font = top.font(0)
                font.setBold(True)
                top.setFont(0, font)
                self.appointments.addTopLevelItem(top)
                top.setFirstColumnSpanned(True)
                days[day] = top
            ends = f"–{wording.time_of_day(row.ends.astimezone())}" if row.ends else ""
            time_text = (
                "due" if row.all_day else f"{wording.time_of_day(row.when.astimezone())}{ends}"
            )
            item = QTreeWidgetItem([time_text, row.client, row.what, row.status])
            item.setData(0, CLIENT_ROLE, row.client_id)
            item.setData(0, SECTION_ROLE, "overview")
            days[day].addChild(item)
        self.appointments.expandAll()
        for col in range(3):
            self.appointments.resizeColumnToContents(col)
        self.appointments_empty.setText(
            "Nothing planned today or this week. Appointments come from each client's course "
            "plan (Course plan… on the client's overview) and from planned sessions."
        )
        self.appointments_empty.setVisible(not data.rows)
        self.appointments.setVisible(bool(data.rows))
        self._fill(self.measures, data.measures_due, "measures", "No questionnaires are due.")
        self._fill(self.unsigned, data.unsigned, "documents", "Every record is signed.")

    def _fill(
        self, tree: QTreeWidget, rows: list[tuple[int, str, str]], section: str, empty: str
    ) -> None:
        tree.clear()
        for cid, name, text in rows:
            item = QTreeWidgetItem([name, text])
            item.setToolTip(1, text)
            item.setData(0, CLIENT_ROLE, cid)
            item.setData(0, SECTION_ROLE, section)
            tree.addTopLevelItem(item)
        if not rows:
            tree.addTopLevelItem(QTreeWidgetItem(["", empty]))
        tree.resizeColumnToContents(0)

    # ------------------------------------------------------------------ actions
    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        cid = item.data(0, CLIENT_ROLE)
        if cid is None or self.open_client is None:
            return
        self.open_client(int(cid), str(item.data(0, SECTION_ROLE) or "overview"))

    def open_export(self) -> QDialog:
        dialog = CalendarExportDialog(self.ctx, None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.export_dialog = dialog
        dialog.open()
        return dialog


def open_agenda(window: Shell) -> AgendaDialog | None:
    """The menu action: one agenda dialog on the workspace (it closes with it at a lock)."""
    workspace, ctx = window.workspace, window.ctx
    if workspace is None or ctx is None:
        return None
    existing = workspace.findChild(AgendaDialog)
    if existing is not None:
        existing.refresh()
        existing.raise_()
        existing.activateWindow()
        return existing

    def open_client(client_id: int, section: str) -> object:
        return workspace.open_client(client_id, section)

    dialog = AgendaDialog(ctx, open_client, workspace)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
