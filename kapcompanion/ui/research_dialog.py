"""File > Export research CSV…: de-identified CSV for research, previewed before it leaves.

The dialog asks which clients (every client, or the one open now), which record kinds
(opt-in: none is ticked at first), how dates are treated (a secret shift per subject, a
fixed shift in days, or the real dates) and whether anything identifying goes too (names,
dates of birth, free-text notes: off unless ticked). "Preview" builds every file in memory
off the GUI thread, with progress (``export.csv_research.prepare_research_csv``), and shows
the first rows of each CSV and the whole data dictionary, exactly as they will be written
(formula-guarded cells, the same subject codes and date shifts). Nothing touches the disk
until "Save to a folder…": the prepared files are then written atomically into a new
folder inside the chosen one and the export is audited once (``export.research_csv``, via
``export.atomic.audit_export``). Changing an option discards the preview; closing the dialog
or locking the app drops it from memory.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.export import csv_research
from kapcompanion.export.errors import ExportError
from kapcompanion.services import clients as client_service
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.fit import fit_to_screen, scroll_down
from kapcompanion.ui.widgets.status import BusyLine
from kapcompanion.ui.workers import Task, run_in_background

PREVIEW_ROWS = 12
SHIFT_RANDOM, SHIFT_FIXED, SHIFT_NONE = "random", "fixed", "none"
_KIND_WORDS = {
    "sessions": "&Sessions",
    "doses": "&Doses",
    "vitals": "&Vital signs",
    "events": "&Events",
    "measures": "&Measures",
}


class _Progress(QObject):
    changed = Signal(float, str)


def _plain(exc: BaseException) -> str | None:
    if isinstance(exc, VaultError):
        return exc.message
    if isinstance(exc, ExportError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"The files could not be written: {exc.strerror or exc}."
    return None


def _label(text: str, role: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    if role:
        set_role(label, role)
    return label


def new_folder(parent: Path, today: date | None = None) -> Path:
    """``research-2025-06-02`` inside ``parent`` (``-2``, ``-3``... if taken): a new folder
    each time, so an export never mixes with an earlier one."""
    stem = f"research-{(today or date.today()).isoformat()}"
    candidate, n = parent / stem, 1
    while candidate.exists():
        n += 1
        candidate = parent / f"{stem}-{n}"
    return candidate


class ResearchCsvDialog(QDialog):
    """Choose, preview and save the research CSV (see the module docstring)."""

    written = Signal(object)  # the ResearchResult

    def __init__(
        self, ctx: AppContext, client_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self.prepared: csv_research.ResearchExport | None = None
        self.result_: Any = None
        self.file_dialog: QFileDialog | None = None
        self.setObjectName("researchCsvDialog")
        self.setWindowTitle(ctx.title("Export research CSV"))

        heading = _label("De-identified CSV for research", "heading", self)
        explain = _label(
            "One CSV file per record kind and a data dictionary. Each client becomes a "
            "subject code (S001…) in random order; record numbers, contact details and "
            "addresses never leave. Preview shows exactly what will be written; nothing is "
            "saved until you choose a folder.",
            parent=self,
        )

        self.who = QComboBox(self)
        self.who.setAccessibleName("Clients")
        count = len(client_service.search(ctx.repos, include_archived=True))
        self.who.addItem(f"Every client ({count}, archived too)", None)
        if client_id is not None:
            client = client_service.get(ctx.repos, client_id)
            self.who.addItem(f"Only {client.display_name or 'the client open now'}", client_id)
            self.who.setCurrentIndex(1)

        self.kinds: dict[str, QCheckBox] = {}
        kinds_row = QHBoxLayout()
        for kind in csv_research.KINDS:
            box = QCheckBox(_KIND_WORDS.get(kind, kind), self)
            self.kinds[kind] = box
            kinds_row.addWidget(box)
        kinds_row.addStretch(1)

        self.shift = QComboBox(self)
        self.shift.setAccessibleName("Dates")
        self.shift.addItem("Secret shift per subject, 30 to 365 days earlier", SHIFT_RANDOM)
        self.shift.addItem("The same shift for everyone, this many days earlier:", SHIFT_FIXED)
        self.shift.addItem("Real dates (a limited data set, not de-identified)", SHIFT_NONE)
        self.shift.setToolTip(
            "A shift keeps the intervals within a subject true; the number of days is "
            "written nowhere"
        )
        self.days = QSpinBox(self)
        self.days.setRange(1, 3650)
        self.days.setValue(180)
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Days to move the dates")
        self.days.setEnabled(False)
        shift_row = QHBoxLayout()
        shift_row.addWidget(self.shift)
        shift_row.addWidget(self.days)
        shift_row.addStretch(1)

        self.names = QCheckBox("&Names", self)
        self.dob = QCheckBox("Dates of &birth", self)
        self.notes = QCheckBox("Free-text &notes and quotes", self)
        extra_row = QHBoxLayout()
        for box in (self.names, self.dob, self.notes):
            extra_row.addWidget(box)
        extra_row.addStretch(1)
        self.identifying = _label(
            "These identify the client: with any of them ticked the files are not de-identified.",
            "warning",
            self,
        )
        self.identifying.hide()

        form = QFormLayout()
        form.addRow("Clients:", self.who)
        form.addRow("Record kinds:", kinds_row)
        form.addRow("Dates:", shift_row)
        form.addRow("Also include:", extra_row)
        form.addRow("", self.identifying)

        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.hide()
        self.busy = BusyLine(self)
        self.error = _label("", "error", self)
        self.error.hide()
        self.summary = _label("", parent=self)
        self.summary.hide()
        self.tabs = QTabWidget(self)
        self.tabs.setMinimumHeight(180)
        self.tabs.setAccessibleName("What will be written")
        self.tabs.hide()

        self.buttons = QDialogButtonBox(self)
        self.preview_button = QPushButton("&Preview what leaves", self)
        self.preview_button.setProperty("primary", True)
        self.preview_button.clicked.connect(self.start_preview)
        self.save_button = QPushButton("&Save to a folder…", self)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.choose_folder)
        self.buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)

        # the options and the preview scroll down together when the screen is short (1366x768
        # at 150 %); the buttons stay in sight and are never drawn over the table
        body = QWidget(self)
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(heading)
        inner.addWidget(explain)
        inner.addLayout(form)
        inner.addWidget(self.bar)
        inner.addWidget(self.busy)
        inner.addWidget(self.error)
        inner.addWidget(self.summary)
        inner.addWidget(self.tabs, 1)
        scroll = scroll_down(body, self)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)

        self.progress = _Progress()
        self.progress.changed.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        for box in (*self.kinds.values(), self.names, self.dob, self.notes):
            box.toggled.connect(self._changed)
        self.who.currentIndexChanged.connect(self._changed)
        self.shift.currentIndexChanged.connect(self._changed)
        self.days.valueChanged.connect(self._changed)
        ctx.signals.about_to_lock.connect(self._forget)
        self.finished.connect(self._forget)
        fit_to_screen(self, 980, 700)

    # ------------------------------------------------------------------ options
    def options(self) -> csv_research.ResearchOptions:
        shift_kind = self.shift.currentData()
        shift: csv_research.DateShift = (
            "random"
            if shift_kind == SHIFT_RANDOM
            else self.days.value()
            if shift_kind == SHIFT_FIXED
            else None
        )
        client_id = self.who.currentData()
        return csv_research.ResearchOptions(
            kinds=[k for k, box in self.kinds.items() if box.isChecked()],
            client_ids=None if client_id is None else [int(client_id)],
            date_shift=shift,
            include_names=self.names.isChecked(),
            include_dob=self.dob.isChecked(),
            include_notes=self.notes.isChecked(),
        )

    def _changed(self, *_args: object) -> None:
        """Any change makes the preview stale: it is dropped, and Save waits for a new one."""
        self.days.setEnabled(self.shift.currentData() == SHIFT_FIXED)
        self.identifying.setVisible(
            self.names.isChecked() or self.dob.isChecked() or self.notes.isChecked()
        )
        if self.prepared is not None:
            self.prepared = None
            self.tabs.clear()
            self.tabs.hide()
            self.summary.setText("The options changed: preview again before saving.")
            self.summary.show()
        self.save_button.setEnabled(False)

    def _problem(self, text: str) -> None:
        self.busy.stop()
        self.bar.hide()
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _set_working(self, working: bool) -> None:
        self.preview_button.setEnabled(not working)
        self.save_button.setEnabled(not working and self.prepared is not None)

    def _progress(self, fraction: float, text: str) -> None:
        self.bar.setValue(round(100 * fraction))
        self.busy.start(text)

    def _failed(self, exc: BaseException) -> None:
        self._set_working(False)
        message = _plain(exc)
        if message is None:
            self._problem("")
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self._problem(f"Nothing was saved: {message}")

    # ------------------------------------------------------------------ preview
    def start_preview(self) -> Task | None:
        options = self.options()
        if not options.kinds:
            self._problem("Tick at least one record kind to export.")
            return None
        self._problem("")
        self.prepared = None
        self._set_working(True)
        self.bar.setValue(0)
        self.bar.show()
        self.busy.start("Reading the records")
        repos, report = self.ctx.repos, self.progress.changed.emit

        def work() -> Any:
            return csv_research.prepare_research_csv(repos, options, progress=report)

        self.task = run_in_background(work, self._previewed, self._failed, owner=self)
        return self.task

    def _previewed(self, prepared: csv_research.ResearchExport) -> None:
        self.busy.stop()
        self.bar.hide()
        self.prepared = prepared
        self.tabs.clear()
        for file in prepared.files:
            self.tabs.addTab(_table(file), f"{file.name} ({len(file.rows)})")
        self.tabs.show()
        rows = ", ".join(f"{n} {kind}" for kind, n in prepared.rows.items())
        who = "1 subject" if prepared.subjects == 1 else f"{prepared.subjects} subjects"
        self.summary.setText(
            f"{who}: {rows}. Each tab shows the first "
            f"{PREVIEW_ROWS} rows of its file as it will be written; the data dictionary is "
            "shown whole."
        )
        self.summary.show()
        self._set_working(False)

    # ------------------------------------------------------------------ save
    def choose_folder(self) -> QFileDialog | None:
        if self.prepared is None:
            return None
        found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(
            self, "Choose a folder for the research CSV", found or str(Path.home())
        )
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.write_to)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def write_to(self, folder: str) -> Task | None:
        """Write the previewed files into a new folder inside ``folder`` (worker thread)."""
        prepared = self.prepared
        if not folder or prepared is None:
            return None
        target = new_folder(Path(folder))
        self._problem("")
        self._set_working(True)
        self.busy.start("Writing the CSV files")
        repos = self.ctx.repos

        def work() -> Any:
            return csv_research.write_research_csv(repos, target, prepared)

        self.task = run_in_background(work, self._written, self._failed, owner=self)
        return self.task

    def _written(self, result: Any) -> None:
        self.busy.stop()
        self.result_ = result
        self._set_working(False)
        self.summary.setText(
            f"Written to {result.folder}: {', '.join(p.name for p in result.files)}. The files "
            "are not encrypted: keep them on an encrypted disk. The export is recorded in the "
            "audit trail."
        )
        self.summary.show()
        self.close_button.setText("&Done")
        self.written.emit(result)
        self.ctx.notify("Research CSV written", 4000)

    def _forget(self, *_args: object) -> None:
        self.prepared = None
        self.tabs.clear()
        if self.isVisible():
            self.reject()


def _table(file: csv_research.ResearchFile) -> QTableWidget:
    """The file's first rows (the dictionary whole), read back from its written text."""
    limit = None if file.name == "data_dictionary.csv" else PREVIEW_ROWS
    rows = list(csv.reader(io.StringIO(file.text(limit))))
    header, body = rows[0], rows[1:]
    table = QTableWidget(len(body), len(header))
    table.setHorizontalHeaderLabels(header)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAccessibleName(file.name)
    for r, row in enumerate(body):
        for c, cell in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(cell))
    table.resizeColumnsToContents()
    return table


def open_research_csv(
    ctx: AppContext, client_id: int | None = None, parent: QWidget | None = None
) -> ResearchCsvDialog:
    dialog = ResearchCsvDialog(ctx, client_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def research_csv(window: Any) -> ResearchCsvDialog | None:
    """File > Export research CSV…: every client, or the one open in the workspace."""
    ctx, ws = window.ctx, window.workspace
    if ctx is None:
        return None
    client_id = ws.current_client_id() if ws is not None else None
    return open_research_csv(ctx, client_id, ws or window.window())
