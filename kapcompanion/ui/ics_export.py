"""Export planned appointments to an .ics calendar file (one client's plan, or every client's).

A calendar leaves the vault (it goes to a phone or a shared calendar), so events carry only
the client's pseudonym (or "Client 12") unless the therapist ticks "Include names"; notes are
never exported. The work is ``kapcompanion.export.calendar`` (written atomically, audited as
``export.ics``: how many appointments, names or not); this is only the dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.export.calendar import CalendarExport, calendar_export, export_calendar
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role


class CalendarExportDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        client_ids: list[int] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_ids = client_ids
        self.result_export: CalendarExport | None = None
        self.file_dialog: QFileDialog | None = None
        whose = "this client's" if client_ids and len(client_ids) == 1 else "every active client's"
        self.setWindowTitle(ctx.title("Export to calendar"))
        intro = QLabel(
            f"Writes {whose} planned and moved appointments from today on to an iCalendar "
            "(.ics) file that phone and desktop calendars can import. Exporting again later "
            "updates the same events instead of adding copies."
        )
        intro.setWordWrap(True)
        self.include_names = QCheckBox("Include &names (otherwise pseudonyms only)")
        self.include_names.setToolTip(
            "A calendar file is not encrypted: anyone who sees it sees these names"
        )
        self.warning = QLabel(
            "Names will leave the encrypted vault in a file that is not encrypted."
        )
        set_role(self.warning, "warning")
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.include_names.toggled.connect(self.warning.setVisible)
        self.path = QLineEdit(str(Path.home() / "kap-appointments.ics"))
        self.path.setAccessibleName("File to write")
        browse = QPushButton("&Choose…")
        browse.setAutoDefault(False)
        browse.clicked.connect(self.choose_path)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.count = QLabel()
        set_role(self.count, "hint")
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setProperty("primary", True)
        self.buttons.accepted.connect(lambda: self.export_to(Path(self.path.text().strip())))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.include_names)
        layout.addWidget(self.warning)
        layout.addLayout(row)
        layout.addWidget(self.count)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self._count()

    def _count(self) -> None:
        try:
            found = calendar_export(self.ctx.repos, client_ids=self.client_ids)
        except VaultError:
            return
        cancelled = f", {found.cancelled} cancellation(s)" if found.cancelled else ""
        self.count.setText(f"{found.events} appointment(s) to export{cancelled}.")

    def choose_path(self) -> QFileDialog:
        dialog = QFileDialog(self, "Export to calendar", self.path.text(), "Calendar (*.ics)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("ics")
        dialog.fileSelected.connect(self.path.setText)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def export_to(self, path: Path) -> bool:
        if not path.name or not path.parent.is_dir():
            return self._fail("Choose a file in a folder that exists.")
        try:
            self.result_export = export_calendar(
                self.ctx.repos,
                path,
                client_ids=self.client_ids,
                include_names=self.include_names.isChecked(),
            )
        except OSError as exc:
            return self._fail(f"The file could not be written: {exc.strerror or exc}")
        except VaultError as exc:
            return self._fail(exc.message)
        self.ctx.notify(
            f"{self.result_export.events} appointment(s) exported to {path.name}.", 5000
        )
        self.accept()
        return True

    def _fail(self, message: str) -> bool:
        self.error.setText(message)
        self.error.show()
        return False
