"""The REMS form of an ended esketamine session, in the session summary (issue 16).

What is due and by when, the worksheet exported as PDF or CSV (``export.rems_pdf``, audited),
and the date it was submitted, recorded by the user (``services.rems.mark_submitted``). The app
sends nothing anywhere.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.export.errors import ExportError
from kapcompanion.export.rems_pdf import export_rems_csv, export_rems_pdf
from kapcompanion.services import rems
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role


class RemsBox(QGroupBox):
    def __init__(self, ctx: AppContext, session_id: int, parent: QWidget | None = None) -> None:
        super().__init__("Spravato REMS Patient Monitoring Form", parent)
        self.ctx = ctx
        self.session_id = session_id
        self.file_dialog: QFileDialog | None = None
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.state.setAccessibleName("REMS form state")
        self.export_button = QPushButton("Export the &REMS form…", self)
        self.export_button.setAccessibleName("Export the REMS form as PDF or CSV")
        self.export_button.clicked.connect(self.choose_file)
        self.submitted = QDateEdit(QDate.currentDate(), self)
        self.submitted.setCalendarPopup(True)
        self.submitted.setDisplayFormat("yyyy-MM-dd")
        self.submitted.setAccessibleName("Date the REMS form was submitted")
        label = QLabel("Submitted &on", self)
        label.setBuddy(self.submitted)
        self.record_button = QPushButton("Record &date", self)
        self.record_button.setAccessibleName("Record the date the REMS form was submitted")
        self.record_button.clicked.connect(self.record_submitted)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("REMS form message")
        row = QHBoxLayout()
        row.addWidget(self.export_button)
        row.addStretch(1)
        row.addWidget(label)
        row.addWidget(self.submitted)
        row.addWidget(self.record_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        try:
            record = rems.rems_record(self.ctx.repos, self.session_id)
        except VaultError as exc:
            self.state.setText(exc.message)
            set_role(self.state, "error")
            return
        if record.submitted_on is not None:
            self.state.setText(f"Submitted on {record.submitted_on}.")
            set_role(self.state, "ok")
        elif record.due_on is not None:
            late = date.today() > record.due_on
            self.state.setText(
                f"REMS form {'overdue since' if late else 'due by'} {record.due_on} (within 7 "
                "days of the treatment). Export it, submit it through the REMS, then record "
                "the date here."
            )
            set_role(self.state, "warning")
        if record.missing:
            self.message.setText("Not recorded in the session: " + "; ".join(record.missing) + ".")
            set_role(self.message, "hint")

    def choose_file(self) -> QFileDialog:
        dialog = QFileDialog(self, self.ctx.title("Export the REMS form"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["PDF (*.pdf)", "CSV (*.csv)"])
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def export_to(self, path: Path) -> bool:
        try:
            if path.suffix.lower() == ".csv":
                export_rems_csv(self.ctx.repos, self.session_id, path)
            else:
                export_rems_pdf(self.ctx.repos, self.session_id, path)
        except (ExportError, VaultError) as exc:
            self.message.setText(str(exc))
            set_role(self.message, "error")
            return False
        self.message.setText(f"Written to {path} (not encrypted: keep it on an encrypted disk).")
        set_role(self.message, "ok")
        return True

    def record_submitted(self) -> bool:
        on = self.submitted.date().toPython()
        assert isinstance(on, date)
        try:
            rems.mark_submitted(self.ctx.repos, self.session_id, on)
        except VaultError as exc:
            self.message.setText(exc.message)
            set_role(self.message, "error")
            return False
        self.message.setText(f"Recorded: submitted on {on}.")
        set_role(self.message, "ok")
        self.refresh()
        return True
