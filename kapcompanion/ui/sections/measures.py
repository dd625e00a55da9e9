"""The Measures section: what is due, taking a form, the history, and progress over the course.

Due forms follow the clinic's schedule (baseline at intake, before each dosing session, end
of course), which the clinic edits here (stored in the vault as ``measure_schedule``). The
progress tab draws each instrument's scores with the session dates and the band thresholds,
and says in words whether the response (a 50% drop from baseline for the PHQ-9) and
remission criteria are met (``core.measures.progress``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.measures import MeasureContext, progress
from kapcompanion.services import measures
from kapcompanion.services.measures import (
    CONTEXT_WORDS,
    DueGroup,
    StoredResponse,
    due_for_client,
    load_schedule,
    ordered_instrument_ids,
    responses,
)
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.measure_form import MeasureFormDialog
from kapcompanion.ui.measure_schedule import ResponseDialog, ScheduleDialog
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.score_chart import ScoreChart, SessionMark

HEADERS = ["Date", "Questionnaire", "Occasion", "Score", "Band", "Notes"]
BAND_COLUMN = HEADERS.index("Band")
#: the widest the band column grows to fit its text (pixels); longer bands are elided
BAND_MAX_WIDTH = 200


class MeasuresSection(QWidget):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.instruments = measures.instruments(ctx.vault)
        self.stored: list[StoredResponse] = []
        self.due: list[DueGroup] = []
        self.dialog: QDialog | None = None

        self.due_box = QFrame()
        self.due_box.setProperty("role", "card")
        self.due_layout = QVBoxLayout(self.due_box)
        heading = QLabel("Due now")
        set_role(heading, "heading")
        self.due_layout.addWidget(heading)
        self.due_rows = QVBoxLayout()
        self.due_layout.addLayout(self.due_rows)
        self.take_button = QPushButton("&Take a measure…")
        self.take_button.setToolTip("Fill in a questionnaire with the client")
        self.take_button.clicked.connect(lambda: self.take())
        self.schedule_button = QPushButton("Sc&hedule…")
        self.schedule_button.setToolTip("Which questionnaires are due when (for the whole clinic)")
        self.schedule_button.clicked.connect(self.edit_schedule)
        actions = QHBoxLayout()
        actions.addWidget(self.take_button)
        actions.addWidget(self.schedule_button)
        actions.addStretch(1)
        self.due_layout.addLayout(actions)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Measures views")
        self.tabs.addTab(self._progress_tab(), "&Progress")
        self.tabs.addTab(self._history_tab(), "Histor&y")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.due_box)
        layout.addWidget(self.tabs, 1)
        ctx.signals.client_changed.connect(self._changed)
        self.refresh()

    # ------------------------------------------------------------------ building
    def _progress_tab(self) -> QWidget:
        page = QWidget()
        self.chart_instrument = QComboBox()
        self.chart_instrument.setAccessibleName("Questionnaire to chart")
        self.chart_instrument.currentIndexChanged.connect(self._show_progress)
        pick = QHBoxLayout()
        label = QLabel("&Questionnaire")
        label.setBuddy(self.chart_instrument)
        pick.addWidget(label)
        pick.addWidget(self.chart_instrument)
        pick.addStretch(1)
        self.chart = ScoreChart()
        self.words = QLabel()
        self.words.setWordWrap(True)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.words.setAccessibleName("Progress in words")
        # a wrapped label's height is not part of the section's minimum: keep room for the
        # three lines the summary takes at 1366x768, so it never draws over the chart's axis
        self.words.setMinimumHeight(self.words.fontMetrics().lineSpacing() * 3 + 6)
        box = QVBoxLayout(page)
        box.addLayout(pick)
        box.addWidget(self.chart, 1)
        box.addWidget(self.words)
        return page

    def _history_tab(self) -> QWidget:
        page = QWidget()
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setAccessibleName("Measures taken")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        # the PCL-5 band says the clinic's cut-point and the published range: a long text
        # that is elided here (full text in the tooltip) so the notes keep their room
        header.setSectionResizeMode(BAND_COLUMN, QHeaderView.ResizeMode.Interactive)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.activated.connect(lambda index: self.show_response(index.row()))
        self.table.doubleClicked.connect(lambda index: self.show_response(index.row()))
        self.history_empty = QLabel(
            "No questionnaires yet. Forms taken here, or at preparation before a session, are "
            "listed with their date, occasion, score and band. Start with Take a measure."
        )
        self.history_empty.setWordWrap(True)
        set_role(self.history_empty, "empty")
        box = QVBoxLayout(page)
        box.addWidget(self.history_empty)
        box.addWidget(self.table, 1)
        return page

    # ------------------------------------------------------------------ data
    def showEvent(self, event: QShowEvent) -> None:
        """Sessions held or planned meanwhile change what is due: refresh when shown again."""
        super().showEvent(event)
        if self._shown_once:
            self.refresh()
        self._shown_once = True

    _shown_once = False

    def _changed(self, client_id: int) -> None:
        if client_id == self.client_id:
            self.refresh()

    def refresh(self) -> None:
        self.instruments = measures.instruments(self.ctx.vault)  # the cut-point may change
        self.stored = responses(self.ctx.repos, self.client_id)
        self.due = due_for_client(
            self.ctx.repos, self.client_id, load_schedule(self.ctx.vault), self.stored
        )
        self._fill_due()
        self._fill_history()
        self._fill_instruments()

    def _fill_due(self) -> None:
        while self.due_rows.count():
            item = self.due_rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if not self.due:
            none = QLabel(
                "Nothing is due. Baseline forms are due at intake, the short forms before each "
                "dosing session, and the full set at the end of the course."
            )
            none.setWordWrap(True)
            set_role(none, "hint")
            self.due_rows.addWidget(none)
            return
        for group in self.due:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            text = QLabel(f"<b>{group.label}</b>: {group.names()}")
            text.setWordWrap(True)
            button = QPushButton("Take…")
            button.setAccessibleName(f"Take the forms due: {group.label}")
            button.clicked.connect(lambda _=False, g=group: self.take(g))
            line.addWidget(text, 1)
            line.addWidget(button)
            self.due_rows.addWidget(row)

    def _fill_history(self) -> None:
        rows = list(reversed(self.stored))
        self.table.setRowCount(len(rows))
        for r, s in enumerate(rows):
            resp = s.response
            inst = self.instruments.get(resp.instrument_id)
            notes = list(resp.flags)
            if inst is not None and inst.provisional is not None and resp.provisional is not None:
                # short in the table; the form and the stored-form view say the whole rule
                verdict = "met" if resp.provisional else "not met"
                notes.insert(0, f"DSM-5 provisional: {verdict}")
            if resp.incomplete_reason:
                notes.insert(0, f"incomplete: {resp.incomplete_reason}")
            values = [
                wording.short_date(resp.taken_on.astimezone()),
                inst.short_name if inst else resp.instrument_id,
                CONTEXT_WORDS.get(resp.context, resp.context.value),
                "—" if resp.score is None else str(resp.score),
                resp.band or "",
                "; ".join(notes),
            ]
            for c, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if c == 3:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                elif c in (BAND_COLUMN, len(values) - 1) and value:
                    cell.setToolTip(value)
                self.table.setItem(r, c, cell)
        self.table.resizeColumnToContents(BAND_COLUMN)
        self.table.setColumnWidth(
            BAND_COLUMN, min(self.table.columnWidth(BAND_COLUMN), BAND_MAX_WIDTH)
        )
        self.table.setVisible(bool(rows))
        self.history_empty.setVisible(not rows)

    def _fill_instruments(self) -> None:
        keep = self.chart_instrument.currentData()
        have = {s.response.instrument_id for s in self.stored if s.response.score is not None}
        self.chart_instrument.blockSignals(True)
        self.chart_instrument.clear()
        for inst_id in ordered_instrument_ids(have):
            self.chart_instrument.addItem(self.instruments[inst_id].short_name, inst_id)
        index = self.chart_instrument.findData(keep)
        self.chart_instrument.setCurrentIndex(max(0, index))
        self.chart_instrument.setEnabled(bool(have))
        self.chart_instrument.blockSignals(False)
        self._show_progress()

    def session_marks(self) -> list[SessionMark]:
        return [
            SessionMark(f"S{number}", day)
            for number, day in measures.held_session_days(self.ctx.repos, self.client_id)
        ]

    def _show_progress(self) -> None:
        inst_id = self.chart_instrument.currentData()
        if inst_id is None:
            self.chart.set_data(None, [], [])
            self.words.setText(
                "The chart shows each questionnaire's scores across the course, with the "
                "sessions and severity bands, once a scored form is saved."
            )
            return
        inst = self.instruments[inst_id]
        mine = [s.response for s in self.stored if s.response.instrument_id == inst_id]
        result = progress(mine, inst)
        self.chart.set_data(inst, mine, self.session_marks(), result.baseline, result.words)
        self.words.setText(result.words)

    # ------------------------------------------------------------------ actions
    def take(self, group: DueGroup | None = None) -> MeasureFormDialog:
        context = group.context if group is not None else self._default_context()
        session_id = group.session_id if group is not None else None
        dialog = MeasureFormDialog(self.ctx, self.client_id, context, session_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if group is not None and group.instrument_ids:
            index = dialog.instrument.findData(group.instrument_ids[0])
            dialog.instrument.setCurrentIndex(max(0, index))
        dialog.saved.connect(lambda _doc: self.refresh())
        self.dialog = dialog
        dialog.open()
        return dialog

    def _default_context(self) -> MeasureContext:
        return self.due[0].context if self.due else MeasureContext.OTHER

    def edit_schedule(self) -> ScheduleDialog:
        dialog = ScheduleDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.refresh)
        self.dialog = dialog
        dialog.open()
        return dialog

    def show_response(self, row: int) -> ResponseDialog | None:
        rows = list(reversed(self.stored))
        if not 0 <= row < len(rows):
            return None
        dialog = ResponseDialog(self.ctx, rows[row], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog


def create_section(ctx: AppContext, client_id: int) -> QWidget:
    return MeasuresSection(ctx, client_id)
