"""View > Audit trail…: every unlock, view, change, signature, export and print, newest first.

Filter by client, action and date range; the chain's status (``store.audit.verify_chain``)
is checked off the GUI thread and shown above the table, with the first broken link marked
and one click away. "Export CSV…" writes the rows shown, formula-safe and atomically
(``export/csv_safe.py``), and the export is itself audited (``export.audit_csv``).

The window belongs to the workspace, so a lock closes it with every client row in it.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QDate, QModelIndex, QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.audit_words import action_words
from kapcompanion.export.errors import ExportError
from kapcompanion.services import audit_trail as audit
from kapcompanion.services import clients as client_service
from kapcompanion.services.audit_trail import CHECK_STEPS, CheckReport, iso
from kapcompanion.services.integrity import check_vault
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.models.audit_table import COLUMNS, DETAIL, AuditTableModel, record_text
from kapcompanion.ui.theme import current_theme, set_role
from kapcompanion.ui.widgets.fit import fit_to_screen
from kapcompanion.ui.workers import Task, run_in_background

LIMIT = 2000


def day_start_utc(day: date) -> str:
    """Local midnight at the start of ``day``, as the audit trail's UTC text."""
    return iso(datetime.combine(day, time()).astimezone(UTC))


def day_end_utc(day: date) -> str:
    return iso(
        datetime.combine(day + timedelta(days=1), time()).astimezone(UTC)
        - timedelta(microseconds=1)
    )


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class _ProgressRelay(QObject):
    """Carries the check's progress from its worker thread to the dialog (a queued signal)."""

    changed = Signal(str, int, int)


class AuditView(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("auditView")
        self.setWindowTitle(ctx.title("Audit trail"))
        self.setSizeGripEnabled(True)
        self.check_task: Task | None = None
        self.file_dialog: QFileDialog | None = None
        self.model = AuditTableModel(self)
        self._wanted: dict[int, int] = {}
        self.model.error_colour = QColor(current_theme_error())

        self.client = QComboBox()
        self.client.setAccessibleName("Client filter")
        self.action = QComboBox()
        self.action.setAccessibleName("Action filter")
        for combo in (self.client, self.action):  # a long name must not widen the dialog
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(14)
        self.use_from = QCheckBox("&From")
        self.use_to = QCheckBox("&To")
        today = QDate.currentDate()
        self.from_date = QDateEdit(today.addDays(-30))
        self.to_date = QDateEdit(today)
        for edit, name in ((self.from_date, "From date"), (self.to_date, "To date")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(wording.qt_date_format())
            edit.setAccessibleName(name)
            inner = edit.findChild(QLineEdit)
            if inner is not None:  # screen readers reach the text field itself
                inner.setAccessibleName(name)
            edit.setEnabled(False)
        self.use_from.toggled.connect(self.from_date.setEnabled)
        self.use_to.toggled.connect(self.to_date.setEnabled)
        self.reset_button = QPushButton("&Reset filters")
        self.reset_button.clicked.connect(self.reset_filters)
        client_label = QLabel("C&lient:")
        client_label.setBuddy(self.client)
        action_label = QLabel("&Action:")
        action_label.setBuddy(self.action)
        filters = QGridLayout()
        filters.addWidget(client_label, 0, 0)
        filters.addWidget(self.client, 0, 1)
        filters.addWidget(action_label, 0, 2)
        filters.addWidget(self.action, 0, 3)
        filters.addWidget(self.use_from, 1, 0)
        filters.addWidget(self.from_date, 1, 1)
        filters.addWidget(self.use_to, 1, 2)
        filters.addWidget(self.to_date, 1, 3)
        filters.addWidget(self.reset_button, 1, 4)
        filters.setColumnStretch(1, 2)
        filters.setColumnStretch(3, 2)

        self.chain = QLabel("Checking the chain of entries…")
        self.chain.setWordWrap(True)
        self.chain.setAccessibleName("Audit chain status")
        set_role(self.chain, "hint")
        self.broken_button = QPushButton("Show the &broken entry")
        self.broken_button.hide()
        self.broken_button.clicked.connect(self.show_broken)
        chain_row = QHBoxLayout()
        chain_row.addWidget(self.chain, 1)
        chain_row.addWidget(self.broken_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit entries, newest first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # the detail takes the width left (its whole text in the tooltip and below the table)
        header.setSectionResizeMode(DETAIL, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # the chosen entry whole, wrapped: a long detail is read here, not scrolled to
        self.selected = QLabel()
        self.selected.setWordWrap(True)
        self.selected.setAccessibleName("The chosen entry")
        self.selected.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.selected.hide()
        self.table.selectionModel().currentRowChanged.connect(self._show_selected)
        self.count = QLabel()
        set_role(self.count, "hint")

        self.buttons = QDialogButtonBox()
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setToolTip(
            "Write the entries shown to a CSV file (not encrypted; it names clients)"
        )
        self.verify_button = QPushButton("&Verify again")
        self.whole_button = QPushButton("Check the &whole vault…")
        self.whole_button.setToolTip(
            "Every record against what was recorded, every signed seal, the anchors, and the "
            "encryption pages (a minute or less for a large vault; work can go on meanwhile)"
        )
        self.buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.verify_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.whole_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.choose_csv)
        self.verify_button.clicked.connect(self.verify)
        self.whole_button.clicked.connect(self.check_whole)
        self.whole_task: Task | None = None
        self.whole_progress: QProgressDialog | None = None
        self.buttons.rejected.connect(self.reject)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.hide()

        intro = QLabel(
            "Every unlock, view, change, signature, export and print, newest first. Each "
            "entry is chained to the one before it, so none can be changed, inserted or "
            "removed unnoticed."
        )
        intro.setWordWrap(True)
        set_role(intro, "hint")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(filters)
        layout.addLayout(chain_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.selected)
        layout.addWidget(self.count)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        refresh = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        refresh.activated.connect(self.reload)

        self._fill_filters()
        for signal in (
            self.client.currentIndexChanged,
            self.action.currentIndexChanged,
            self.use_from.toggled,
            self.use_to.toggled,
            self.from_date.dateChanged,
            self.to_date.dateChanged,
        ):
            signal.connect(self.reload)
        ctx.signals.about_to_lock.connect(self.close)
        fit_to_screen(self, 1300, 680)
        screen = self.screen()
        if screen is not None:  # a wide table: on a small screen every pixel of width helps
            self.resize(min(1300, int(screen.availableGeometry().width() * 0.98)), self.height())
        self.reload()
        self.verify()

    # ------------------------------------------------------------------ filters
    def _fill_filters(self) -> None:
        clients = client_service.search(self.ctx.repos, include_archived=True)
        self.client_names = {c.id: (c.name or c.pseudonym) for c in clients if c.id is not None}
        self.client.addItem("All clients", None)
        for c in clients:
            label = c.name or c.pseudonym
            if c.pseudonym and c.name:
                label += f" ({c.pseudonym})"
            self.client.addItem(label, c.id)
        self.action.addItem("All actions", None)
        named = sorted(
            (action_words(str(name)), str(name)) for name in audit.actions(self.ctx.vault)
        )
        for words, name in named:
            self.action.addItem(words, name)

    def reset_filters(self) -> None:
        for widget in (self.client, self.action):
            widget.setCurrentIndex(0)
        self.use_from.setChecked(False)
        self.use_to.setChecked(False)

    def set_filters(
        self,
        *,
        client_id: int | None = None,
        action: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> None:
        """Set every filter at once (one reload); for the menu and tests."""
        widgets = (
            self.client,
            self.action,
            self.use_from,
            self.use_to,
            self.from_date,
            self.to_date,
        )
        for w in widgets:
            w.blockSignals(True)
        self.client.setCurrentIndex(max(0, self.client.findData(client_id)))
        self.action.setCurrentIndex(max(0, self.action.findData(action)) if action else 0)
        self.use_from.setChecked(since is not None)
        self.from_date.setEnabled(since is not None)
        self.use_to.setChecked(until is not None)
        self.to_date.setEnabled(until is not None)
        if since is not None:
            self.from_date.setDate(QDate(since.year, since.month, since.day))
        if until is not None:
            self.to_date.setDate(QDate(until.year, until.month, until.day))
        for w in widgets:
            w.blockSignals(False)
        self.reload()

    def query_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {
            "client_id": self.client.currentData(),
            "action": self.action.currentData(),
            "limit": LIMIT,
        }
        if self.use_from.isChecked():
            args["since_utc"] = day_start_utc(_day(self.from_date.date()))
        if self.use_to.isChecked():
            args["until_utc"] = day_end_utc(_day(self.to_date.date()))
        return args

    #: shown whole, never cut: the entry's number, its time, who and what was done (their
    #: widest text over every row shown, not only the rows on screen)
    WHOLE: ClassVar[tuple[int, ...]] = tuple(
        COLUMNS.index(name) for name in ("#", "When", "Who", "Action")
    )
    RECORD, CLIENT, CHAIN = (COLUMNS.index(n) for n in ("Record", "Client", "Chain"))
    #: the most of the table's width the record and the client may take; the detail takes
    #: what is left. A cut one is whole in its tooltip and in the line below the table
    SHARES: ClassVar[dict[int, float]] = {RECORD: 0.15, CLIENT: 0.14}
    #: the least width the record, the client and the detail keep (cut, with a tooltip)
    FLOOR = 64

    def _measure_columns(self) -> None:
        """Each column's width for its widest text (or its header), over all rows shown."""
        for column in range(len(COLUMNS)):  # Qt's own measure: the rows on screen
            if column != DETAIL:  # the detail stretches: measured, it would run off the side
                self.table.resizeColumnToContents(column)
        self._wanted = {c: self.table.columnWidth(c) for c in range(len(COLUMNS))}
        metrics = self.table.fontMetrics()
        margin = 2 * (self.table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
        pad = margin + 1 + 2  # the item's margins, the grid line, and a little air
        texts: dict[int, set[str]] = {c: set() for c in self.WHOLE}
        for row in self.model.rows:
            cells = self.model.cells(row)
            for c in self.WHOLE:
                texts[c].add(cells[c])
        for c, seen in texts.items():
            need = max((metrics.horizontalAdvance(t) for t in seen), default=0) + pad
            self._wanted[c] = max(self._wanted[c], need)

    def _fit_columns(self) -> None:
        """Number, time, who and action whole; the record and the client up to their share;
        the detail the rest. When that leaves too little (1366x768 at 150 %), the record
        column goes: it is in the line below the table for the chosen entry."""
        width = self.table.viewport().width()
        for column in self.WHOLE:
            self.table.setColumnWidth(column, self._wanted.get(column, 0))
        used = sum(self._wanted.get(c, 0) for c in self.WHOLE)
        if not self.table.isColumnHidden(self.CHAIN):
            used += self.table.columnWidth(self.CHAIN)
        self.table.setColumnHidden(self.RECORD, used + 3 * self.FLOOR > width)
        left = width - used
        shown = [c for c in self.SHARES if not self.table.isColumnHidden(c)]
        for n, column in enumerate(shown):
            after = self.FLOOR * (len(shown) - n)  # the columns after it, and the detail
            wanted = min(self._wanted.get(column, 0), int(width * self.SHARES[column]))
            given = max(self.FLOOR, min(wanted, left - after))
            self.table.setColumnWidth(column, given)
            left -= given

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # the table gets its new width from the layout after this event: fit after it
        QTimer.singleShot(0, self._fit_columns)

    def _show_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rows = self.model.rows
        if not current.isValid() or not 0 <= current.row() < len(rows):
            self.selected.hide()
            return
        row = rows[current.row()]
        text = f"#{row.id} · {action_words(row.action)}"
        record = record_text(row)
        if record:
            text += f" ({record})"
        client = self.model.client_text(row.client_id)
        if client:
            text += f" · {client}"
        if row.detail:
            text += f": {row.detail}"
        self.selected.setText(text)
        self.selected.show()

    def reload(self) -> None:
        self.selected.hide()
        args = self.query_args()
        rows = audit.entries(self.ctx.vault, **args)
        self.model.set_rows(rows, self.client_names)
        self._measure_columns()
        self._fit_columns()
        n = len(rows)
        text = f"{n} entr{'y' if n == 1 else 'ies'} shown, newest first."
        if n >= LIMIT:
            text = (
                f"The newest {LIMIT} matching entries are shown; narrow the filters for older ones."
            )
        if n == 0:
            text = "No entries match these filters. Reset the filters to see the whole trail."
        self.count.setText(text)

    # ------------------------------------------------------------------ chain
    def verify(self) -> Task:
        self.chain.setText("Checking the chain of entries…")
        set_role(self.chain, "hint")
        self.broken_button.hide()
        vault = self.ctx.vault
        self.check_task = run_in_background(
            lambda: audit.verify(vault),
            self._verified,
            self._verify_failed,
            owner=self,
        )
        return self.check_task

    def check_whole(self) -> Task:
        """The whole-vault check off the GUI thread, with a progress bar that names each step."""
        self.whole_button.setEnabled(False)
        dialog = QProgressDialog("Checking the whole vault…", "", 0, 0, self)
        dialog.setWindowTitle("Vault check")
        dialog.setCancelButton(None)  # the check reads only; there is nothing to stop halfway
        dialog.setMinimumDuration(0)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumWidth(420)
        self.whole_progress = dialog
        self.whole_steps: list[str] = []  # the steps shown, in order
        relay = _ProgressRelay(dialog)
        relay.changed.connect(self._whole_step)
        vault = self.ctx.vault
        dialog.show()
        self.whole_task = run_in_background(
            lambda: check_vault(vault, relay.changed.emit),
            self._whole_done,
            self._whole_failed,
            owner=self,
        )
        return self.whole_task

    def _whole_step(self, step: str, done: int, total: int) -> None:
        dialog = self.whole_progress
        if dialog is None:
            return
        index = CHECK_STEPS.index(step) + 1 if step in CHECK_STEPS else 0
        if not self.whole_steps or self.whole_steps[-1] != step:
            self.whole_steps.append(step)
        dialog.setLabelText(f"Step {index} of {len(CHECK_STEPS)}: {step}…")
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total else 0)

    def _whole_finish(self) -> None:
        self.whole_button.setEnabled(True)
        if self.whole_progress is not None:
            self.whole_progress.close()
            self.whole_progress = None

    def _whole_done(self, report: CheckReport) -> None:
        self._whole_finish()
        if report.ok:
            self._say(
                f"Whole vault checked: {report.audit_rows} entries, every record and "
                f"{report.seals} seal(s) agree with what was recorded.",
                error=False,
            )
            return
        problems = report.problems()
        more = f" (and {len(problems) - 6} more)" if len(problems) > 6 else ""
        self._say(
            "The vault check found problems: " + "; ".join(problems[:6]) + more + ". Keep this "
            "vault and its backups as they are; `kapcompanion vault check` lists every line.",
            error=True,
        )

    def _whole_failed(self, exc: BaseException) -> None:
        self._whole_finish()
        if not isinstance(exc, VaultError):
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self._say(f"The vault could not be checked: {exc.message}", error=True)

    def _verified(self, report: audit.ChainReport) -> None:
        self.model.set_report(report)
        chain = COLUMNS.index("Chain")
        self.table.resizeColumnToContents(chain)
        # an intact chain is said once above the table; a column of "verified" adds nothing
        self.table.setColumnHidden(chain, report.ok)
        if report.ok:
            self.chain.setText(
                f"Chain intact: all {report.rows} entries verified; none was changed, "
                "inserted or removed."
            )
            set_role(self.chain, "ok")
            return
        self.chain.setText(
            f"BROKEN at entry #{report.first_broken_id}: {report.problem}. Entries before it "
            "are verified; from it on the trail cannot be vouched for. Keep this vault and "
            "its backups as they are, and compare with the latest backup."
        )
        set_role(self.chain, "error")
        self.broken_button.show()

    def _verify_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, VaultError):  # a bug: the calm error dialog
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self.chain.setText(f"The chain could not be checked: {exc.message}")
        set_role(self.chain, "error")

    def show_broken(self) -> bool:
        """Bring the first broken entry into view and select it."""
        report = self.model.report
        if report is None or report.first_broken_id is None:
            return False
        broken = report.first_broken_id
        if self.model.row_of_id(broken) is None:
            self.reset_filters()
        row = self.model.row_of_id(broken)
        if row is None:
            self._say(f"Entry #{broken} is older than the {LIMIT} newest shown.", error=True)
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        self.table.setFocus()
        return True

    # ------------------------------------------------------------------ CSV
    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        set_role(self.status, "error" if error else "ok")
        self.status.setVisible(bool(text))

    def choose_csv(self) -> QFileDialog:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(self, self.ctx.title("Export the audit trail as CSV"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        if folder and Path(folder).is_dir():
            dialog.setDirectory(folder)
        dialog.selectFile(f"audit trail {date.today().isoformat()}.csv")
        dialog.fileSelected.connect(self.export_csv)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def export_csv(self, path: str) -> Path | None:
        """Write the rows shown to ``path`` (atomic, formula-safe) and audit the export."""
        target = Path(path)
        if target.suffix.lower() != ".csv":
            target = target.with_name(target.name + ".csv")
        args = self.query_args()
        described = ", ".join(f"{k}={v}" for k, v in args.items() if v is not None and k != "limit")
        try:
            audit.export_csv(
                self.ctx.vault,
                target,
                self.model.csv_header(),
                self.model.csv_rows(),
                client_id=args["client_id"],
                detail=f"{self.model.rowCount()} entries" + (f"; {described}" if described else ""),
            )
        except (ExportError, VaultError) as exc:
            message = exc.message if isinstance(exc, VaultError) else str(exc)
            self._say(f"Nothing was exported: {message}", error=True)
            return None
        self._say(f"Exported {self.model.rowCount()} entries to {target.name}.")
        self.ctx.notify(f"Audit trail exported to {target.name}.", 5000)
        return target


def current_theme_error() -> str:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    return current_theme(app).error if isinstance(app, QApplication) else "#a3271f"


def show_audit_view(ctx: AppContext, parent: QWidget | None = None) -> AuditView:
    """Open the audit trail window (non-modal; it closes with the workspace on a lock)."""
    view = AuditView(ctx, parent)
    view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    view.show()
    return view
