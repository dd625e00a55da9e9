"""Export a session record or a course summary as PDF: preview, protect, save, print.

One entry point per record, shared by the session screen and the documents section:
``export_session_dialog(ctx, session_id, parent)`` and
``export_course_dialog(ctx, client_id, parent)``. Each opens an :class:`ExportDialog`
(non-blocking) that

1. lays the PDF out in memory off the GUI thread (with progress) and shows its pages: the
   unprotected preview never touches the disk (``ui/pdf_preview.py``);
2. asks for a PDF password (recommended, on by default) or, without one, for an explicit
   confirmation that an unprotected file is wanted;
3. asks where to save, then writes through ``kapcompanion.export`` (atomic write, AES-256
   protection, audited as ``export.session_pdf`` / ``export.course_pdf``);
4. can print the previewed pages (audited as ``print.session_pdf`` / ``print.course_pdf``).

The course dialog also saves the client's whole record as a FHIR R4 JSON bundle
(``export.fhir_export``): it first says what the file will hold (counted in memory), then
asks where to save, with an option to attach the signed PDFs (``export.fhir_documents``);
written atomically and audited as ``export.fhir``.

The file name suggested carries the client's identifier, never their name.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.services import audit_trail
from kapcompanion.services import clients as client_service
from kapcompanion.services import session as session_service
from kapcompanion.store.errors import VaultError
from kapcompanion.ui import pdf_preview
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import DIM, set_role
from kapcompanion.ui.widgets.form_keys import install_form_keys
from kapcompanion.ui.widgets.message_area import MessageArea
from kapcompanion.ui.widgets.passphrase import PassphraseEdit
from kapcompanion.ui.widgets.status import BusyLine
from kapcompanion.ui.workers import Task, run_in_background

MIN_PDF_PASSWORD = 8
# the exporter's modules, imported on the GUI thread by _load_exporter (reportlab is slow
# to import, so not at start-up)
api: Any = None
course_pdf: Any = None
records: Any = None
session_pdf: Any = None
ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True)
class ExportKind:
    key: str
    title: str
    print_action: str


SESSION = ExportKind("session", "Session record", "print.session_pdf")
COURSE = ExportKind("course", "Course summary", "print.course_pdf")


#: what each FHIR resource of the export holds, in the therapist's words
_FHIR_WORDS = {
    "Patient": "client",
    "Practitioner": "practitioner",
    "Organization": "clinic",
    "Consent": "touch agreement(s)",
    "EpisodeOfCare": "course(s)",
    "Encounter": "dosing session(s)",
    "MedicationAdministration": "dose(s) given",
    "Observation": "vital sign and score reading(s)",
    "QuestionnaireResponse": "questionnaire(s)",
    "Provenance": "note of where the file comes from",
    "DocumentReference": "signed PDF(s)",
}


class _Progress(QObject):
    """Carries progress from the worker to the GUI thread (a queued signal)."""

    changed = Signal(float, str)


def _pdf_in_memory(repos: Any, kind: ExportKind, record_id: int, report: ProgressFn) -> bytes:
    """The unprotected PDF as bytes (worker thread): laid out exactly as the export does."""
    buffer = io.BytesIO()
    if kind is SESSION:
        report(0.1, "Reading the session record")
        data = records.gather_session(repos, record_id)
        report(0.5, "Laying out the pages")
        session_pdf.build_session_pdf(data, buffer)
    else:
        report(0.0, "Reading the records")
        course = records.gather_course(repos, record_id, progress_fn=report)
        report(0.6, "Laying out the pages")
        course_pdf.build_course_pdf(
            course,
            buffer,
            on_page=lambda n: report(0.6 + 0.3 * n / (n + 4), f"Laying out page {n}"),
        )
    return buffer.getvalue()


def _load_exporter() -> None:
    """Import the exporter (reportlab, pypdf) on the GUI thread, before a worker uses it:
    an import on a worker thread while the GUI thread runs can crash PySide6."""
    global api, course_pdf, records, session_pdf
    import pypdf  # noqa: F401  (the exporter imports it lazily to encrypt)

    import kapcompanion.core.checklist  # noqa: F401  (imported lazily by export.records)
    from kapcompanion.export import api, course_pdf, records, session_pdf


def suggested_name(ctx: AppContext, kind: ExportKind, record_id: int) -> str:
    """E.g. ``KAP-1004 session 2 record 2025-03-03.pdf``: an identifier, never a name."""
    if kind is SESSION:
        session = session_service.get_session(ctx.repos, record_id)
        client = client_service.get(ctx.repos, session.client_id)
        day = session.dose_utc or session.started_utc or session.planned_for
        stamp = day.date().isoformat() if day else date.today().isoformat()
        what = f"session {session.number} record {stamp}"
    else:
        client = client_service.get(ctx.repos, record_id)
        what = f"course summary {date.today().isoformat()}"
    who = client.identifier.strip() or f"client {client.id}"
    safe = "".join(c if c.isalnum() or c in " -_" else "-" for c in who)
    return f"{safe} {what}.pdf"


class ExportDialog(QDialog):
    """Preview, protect and save one PDF (see the module docstring)."""

    saved = Signal(object)  # the exporter's WriteResult

    def __init__(
        self, ctx: AppContext, kind: ExportKind, record_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.kind = kind
        self.record_id = record_id
        self.pdf: bytes | None = None
        self.pages: list[QImage] = []
        self.task: Task | None = None
        self.result_: Any = None
        self.confirm_box: QMessageBox | None = None
        self.unprotected_button: QPushButton | None = None
        self.file_dialog: QFileDialog | None = None
        self.print_dialog: QPrintDialog | None = None
        self.fhir_box: QMessageBox | None = None
        self.fhir_documents: QCheckBox | None = None
        self.fhir_result: Any = None
        self.setObjectName("exportDialog")
        self.setWindowTitle(ctx.title(f"{kind.title} PDF"))
        self.default_name = suggested_name(ctx, kind, record_id)
        self.unsigned_note = self._unsigned_note()

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._busy_page())
        self.stack.addWidget(self._preview_page())
        self.buttons = QDialogButtonBox()
        self.save_button = QPushButton("&Save PDF…")
        self.save_button.setProperty("primary", True)
        self.print_button = QPushButton("&Print…")
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.fhir_button = QPushButton("Save as F&HIR…")
        self.fhir_button.setToolTip(
            "The client's whole record as a FHIR R4 JSON bundle, for an EHR or the client"
        )
        self.fhir_button.clicked.connect(self.fhir_clicked)
        self.buttons.addButton(self.fhir_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.fhir_button.setVisible(kind is COURSE)  # after addButton, which shows it
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_button.clicked.connect(self.save_clicked)
        self.print_button.clicked.connect(self.print_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.buttons)
        self._set_ready(False)
        ctx.signals.about_to_lock.connect(self._forget)
        self.finished.connect(self._forget)
        # Ctrl+S / Ctrl+Enter save; a typed password is not work to keep, so Escape just closes
        self.keys = install_form_keys(self, save=self.save_clicked, modified=lambda: False)
        self._fit_screen()

    # ------------------------------------------------------------------ pages
    def _busy_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.addStretch(1)
        heading = QLabel("Preparing the preview…")
        set_role(heading, "heading")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress of the preview")
        self.progress.setRange(0, 100)
        self.progress_text = QLabel("")
        set_role(self.progress_text, "hint")
        self.prepare_error = QLabel()
        self.prepare_error.setWordWrap(True)
        set_role(self.prepare_error, "error")
        self.prepare_error.hide()
        for w in (heading, self.progress, self.progress_text, self.prepare_error):
            box.addWidget(w)
        box.addStretch(2)
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget()
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.preview = pdf_preview.PreviewPane()
        side = QWidget()
        side.setMaximumWidth(400)
        column = QVBoxLayout(side)
        heading = QLabel("Protection (recommended)")
        set_role(heading, "heading")
        self.protect = QCheckBox("Pro&tect with a password")
        self.protect.setAccessibleName("Protect the PDF with a password (recommended)")
        self.protect.setChecked(True)
        self.protect.toggled.connect(self._protect_toggled)
        self.password = PassphraseEdit("PDF password")
        self.repeat = PassphraseEdit("Repeat the PDF password")
        self.repeat.returnPressed.connect(self.save_clicked)
        form = QFormLayout()
        for text, edit in (("Pass&word:", self.password), ("Rep&eat:", self.repeat)):
            label = QLabel(text)
            label.setBuddy(edit.edit)
            form.addRow(label, edit)
        hint = QLabel(
            f"At least {MIN_PDF_PASSWORD} characters. Whoever receives the file needs this "
            "password: give it another way (in person or by phone), never with the file."
        )
        hint.setWordWrap(True)
        set_role(hint, "hint")
        self.error = MessageArea("Export problem")
        self._tried = False  # after the first Save the password rules are checked live
        for edit in (self.password, self.repeat):
            edit.textChanged.connect(lambda _t: self.refresh_password_message())
        self.protect.toggled.connect(lambda _on: self.refresh_password_message())
        self.busy = BusyLine()
        column.addWidget(heading)
        column.addWidget(self.protect)
        column.addLayout(form)
        column.addWidget(hint)
        column.addWidget(self.error)
        column.addWidget(self.busy)
        column.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.preview, 3)
        row.addWidget(side, 2)
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.info)
        box.addLayout(row, 1)
        return page

    def _fit_screen(self) -> None:
        screen = QGuiApplication.primaryScreen()
        width, height = 1080, 720
        if screen is not None:
            avail = screen.availableGeometry()
            width = min(width, int(avail.width() * 0.92))
            height = min(height, int(avail.height() * 0.9))
        self.resize(width, height)

    def _unsigned_note(self) -> str:
        if self.kind is not SESSION:
            return ""
        if session_service.get_session(self.ctx.repos, self.record_id).signed_utc is None:
            return " This session record is not signed yet; the PDF says so."
        return ""

    def _set_ready(self, ready: bool) -> None:
        self.save_button.setEnabled(ready)
        self.print_button.setEnabled(ready)

    def _protect_toggled(self, on: bool) -> None:
        self.password.setEnabled(on)
        self.repeat.setEnabled(on)

    def _problem(self, text: str) -> None:
        self.error.show_messages([text] if text else [])

    def password_problem(self) -> tuple[str, QWidget] | None:
        """What is wrong with the password as typed now (and where), or None."""
        if not self.protect.isChecked():
            return None
        password, repeat = self.password.text(), self.repeat.text()
        if len(password) < MIN_PDF_PASSWORD:
            return f"The PDF password needs at least {MIN_PDF_PASSWORD} characters.", self.password
        if password != repeat:
            return "The two passwords differ; type the same password twice.", self.repeat
        return None

    def refresh_password_message(self) -> None:
        """Recomputed on every change once Save was tried: a message goes when its cause does."""
        if not self._tried:
            return
        problem = self.password_problem()
        self._problem(problem[0] if problem else "")

    # ------------------------------------------------------------------ preview
    @property
    def ready(self) -> bool:
        return self.pdf is not None and self.stack.currentIndex() == 1

    def start(self) -> Task:
        """Lay out and render the preview off the GUI thread."""
        _load_exporter()
        progress = _Progress(self)
        progress.changed.connect(self._progress)
        repos, kind, record_id = self.ctx.repos, self.kind, self.record_id
        self.progress.setRange(0, 100 if kind is COURSE else 0)

        def work() -> tuple[bytes, list[QImage]]:
            pdf = _pdf_in_memory(repos, kind, record_id, progress.changed.emit)
            progress.changed.emit(0.92, "Drawing the preview")
            return pdf, pdf_preview.render_pages(pdf)

        self.task = run_in_background(work, self._show_preview, self._prepare_failed, owner=self)
        return self.task

    def _progress(self, fraction: float, text: str) -> None:
        if self.progress.maximum():
            self.progress.setValue(round(100 * max(0.0, min(1.0, fraction))))
        self.progress_text.setText(text)

    def _show_preview(self, result: tuple[bytes, list[QImage]]) -> None:
        self.pdf, self.pages = result
        app = QGuiApplication.instance()
        dim = bool(app is not None and app.property("kap_theme") == DIM)
        self.preview.set_pages(self.pages, dim=dim)
        n = len(self.pages)
        text = (
            f"{n} page{'s' if n != 1 else ''}: the record as it will be saved.{self.unsigned_note}"
        )
        if dim:
            text += " The preview is dimmed for the treatment room; the file is not."
        self.info.setText(text)
        self.stack.setCurrentIndex(1)
        self._set_ready(True)
        (self.password if self.protect.isChecked() else self.save_button).setFocus()

    def _prepare_failed(self, exc: BaseException) -> None:
        message = _plain(exc)
        if message is None:  # a bug: the calm error dialog, with the details in the log
            self.reject()
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self.prepare_error.setText(f"The preview could not be made: {message}")
        self.prepare_error.show()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)

    # ------------------------------------------------------------------ save
    def chosen_password(self) -> tuple[bool, str | None]:
        """(usable, password): None for an unprotected file; not usable says why on screen."""
        self._tried = True
        problem = self.password_problem()
        if problem is not None:
            self._problem(problem[0])
            problem[1].setFocus()
            return False, None
        if not self.protect.isChecked():
            return True, None
        return True, self.password.text()

    def save_clicked(self) -> None:
        if not self.ready or self.busy.busy:
            return
        usable, password = self.chosen_password()
        if not usable:
            return
        self._problem("")
        if password is None:
            self._confirm_unprotected()
        else:
            self._choose_file()

    def _confirm_unprotected(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.ctx.title("Save without a password?"),
            "Without a password, anyone who gets this file (a shared folder, an email, a lost "
            "USB stick) can read the client's record.\n\nSave it unprotected anyway?",
            parent=self,
        )
        self.unprotected_button = box.addButton(
            "Save &unprotected", QMessageBox.ButtonRole.DestructiveRole
        )
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.finished.connect(lambda _r: self._confirmed(box))
        self.confirm_box = box
        box.open()

    def _confirmed(self, box: QMessageBox) -> None:
        if box.clickedButton() is self.unprotected_button:
            self._choose_file()
        else:
            self.protect.setChecked(True)
            self.password.setFocus()

    def _choose_file(self) -> None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(self, self.ctx.title(f"Save the {self.kind.title.lower()} PDF"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter("PDF files (*.pdf)")
        dialog.setDefaultSuffix("pdf")
        if folder and Path(folder).is_dir():
            dialog.setDirectory(folder)
        dialog.selectFile(self.default_name)
        dialog.fileSelected.connect(self.write_to)
        self.file_dialog = dialog
        dialog.open()

    def write_to(self, path: str) -> Task | None:
        """Write the PDF to ``path`` (worker thread), with the protection chosen above."""
        usable, password = self.chosen_password()
        if not usable or not path:
            return None
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            target = target.with_name(target.name + ".pdf")
        _load_exporter()
        repos, record_id = self.ctx.repos, self.record_id
        if self.kind is SESSION:

            def work() -> Any:
                return api.export_session_pdf(repos, record_id, target, password)
        else:

            def work() -> Any:
                return api.export_course_pdf(repos, record_id, target, password)

        self._set_ready(False)
        self.busy.start("Writing the PDF…")
        self.task = run_in_background(work, self._written, self._write_failed, owner=self)
        return self.task

    def _written(self, result: Any) -> None:
        self.busy.stop()
        self.result_ = result
        protection = (
            "unprotected" if result.encryption == "none" else f"protected with {result.encryption}"
        )
        self.ctx.notify(f"Saved {result.path.name} ({protection}).", 6000)
        self.saved.emit(result)
        self.accept()

    def _write_failed(self, exc: BaseException) -> None:
        self.busy.stop()
        self._set_ready(True)
        message = _plain(exc)
        if message is None:
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self._problem(f"Nothing was saved: {message}")

    # ------------------------------------------------------------------ FHIR
    def fhir_clicked(self) -> Task | None:
        """Count what the FHIR file would hold (in memory, off the GUI thread), then ask."""
        if self.kind is not COURSE or self.busy.busy:
            return None
        from kapcompanion.export import fhir_export  # imported on the GUI thread (see above)

        repos, client_id = self.ctx.repos, self.record_id

        from kapcompanion.export import fhir_documents

        def work() -> Any:
            counts = fhir_export.build_client_bundle(repos, client_id).counts
            return counts, fhir_documents.document_sources(repos, client_id)

        self._problem("")
        self.fhir_button.setEnabled(False)
        self.busy.start("Reading the record for FHIR…")
        self.task = run_in_background(work, self._fhir_confirm, self._fhir_failed, owner=self)
        return self.task

    def _fhir_confirm(self, found: tuple[dict[str, int], list[Any]]) -> None:
        counts, sources = found
        self.busy.stop()
        self.fhir_button.setEnabled(True)
        held = "\n".join(
            f"• {n} {_FHIR_WORDS.get(name, name)} ({name})" for name, n in sorted(counts.items())
        )
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.ctx.title("Save the record as FHIR?"),
            "The FHIR file holds the client's whole record in a standard form that an EHR "
            f"can read:\n\n{held}\n\nIt is plain JSON, not encrypted: keep it on an "
            "encrypted disk and hand it over securely.",
            parent=self,
        )
        self.fhir_documents = _documents_box(sources, box)
        box.setCheckBox(self.fhir_documents)
        self.fhir_save_button = box.addButton("Choose &file…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r: self._fhir_answered(box))
        self.fhir_box = box
        box.open()

    def _fhir_answered(self, box: QMessageBox) -> None:
        if box.clickedButton() is not self.fhir_save_button:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(self, self.ctx.title("Save the record as FHIR"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter("FHIR JSON (*.json)")
        dialog.setDefaultSuffix("json")
        if folder and Path(folder).is_dir():
            dialog.setDirectory(folder)
        dialog.selectFile(self.default_name.replace("course summary", "FHIR")[:-4] + ".json")
        dialog.fileSelected.connect(self.write_fhir_to)
        self.file_dialog = dialog
        dialog.open()

    def write_fhir_to(self, path: str) -> Task | None:
        """Write the FHIR bundle to ``path`` (worker thread); atomic and audited."""
        if not path or self.kind is not COURSE:
            return None
        from kapcompanion.export import fhir_export

        target = Path(path)
        if target.suffix.lower() != ".json":
            target = target.with_name(target.name + ".json")
        repos, client_id = self.ctx.repos, self.record_id

        documents = self.fhir_documents is not None and self.fhir_documents.isChecked()

        def work() -> Any:
            return fhir_export.export_fhir(repos, target, [client_id], with_documents=documents)

        self.fhir_button.setEnabled(False)
        self.busy.start("Writing the FHIR file…")
        self.task = run_in_background(work, self._fhir_written, self._fhir_failed, owner=self)
        return self.task

    def _fhir_written(self, result: Any) -> None:
        self.busy.stop()
        self.fhir_button.setEnabled(True)
        self.fhir_result = result
        self.ctx.notify(f"Saved {result.path.name} (FHIR, not encrypted).", 6000)

    def _fhir_failed(self, exc: BaseException) -> None:
        self.busy.stop()
        self.fhir_button.setEnabled(True)
        message = _plain(exc)
        if message is None:
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self._problem(f"No FHIR file was saved: {message}")

    # ------------------------------------------------------------------ print
    def print_clicked(self) -> QPrintDialog | None:
        if not self.ready:
            return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.ctx.title(f"Print the {self.kind.title.lower()}"))
        dialog.accepted.connect(lambda: self.print_to(printer))
        self.print_dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        return dialog

    def print_to(self, printer: QPrinter) -> int:
        """Print the previewed PDF; audited. Returns the pages printed (0 on failure)."""
        if self.pdf is None:
            return 0
        try:
            pages = pdf_preview.print_pdf(self.pdf, printer)
            audit_trail.record_printed(
                self.ctx.repos,
                self.kind.print_action,
                "session" if self.kind is SESSION else "client",
                self.record_id,
                pages,
            )
        except (pdf_preview.PreviewError, VaultError) as exc:
            self._problem(f"Not printed: {_plain(exc)}")
            return 0
        self.ctx.notify(f"Sent {pages} page{'s' if pages != 1 else ''} to the printer.", 5000)
        return pages

    # ------------------------------------------------------------------ life
    def _forget(self, *_args: object) -> None:
        """Drop the unprotected PDF and its pages from memory (closing, or locking)."""
        self.pdf = None
        self.pages = []
        if self.isVisible():
            self.reject()


def _documents_box(sources: list[Any], parent: QWidget) -> QCheckBox:
    """ "Attach the signed PDFs", saying which; off by default, and disabled when none."""
    kinds = {"session": 0, "consent": 0, "course": 0}
    for source in sources:
        kinds[source.kind] = kinds.get(source.kind, 0) + 1
    parts = []
    if kinds["session"]:
        parts.append(
            f"{kinds['session']} signed session record{'s' if kinds['session'] > 1 else ''}"
        )
    if kinds["consent"]:
        parts.append(f"{kinds['consent']} consent{'s' if kinds['consent'] > 1 else ''}")
    if kinds["course"]:
        parts.append("the course summary")
    if parts:
        listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
        text = f"Also attach the PDFs: {listed} (as DocumentReference)"
    else:
        text = "Attach the PDFs (there is no signed record to attach)"
    box = QCheckBox(text, parent)
    box.setEnabled(bool(parts))
    box.setToolTip(
        "Each PDF goes into the FHIR file whole, unprotected, so an EHR can file it; "
        "the file grows accordingly"
    )
    return box


def _plain(exc: BaseException) -> str | None:
    """The message of an error the user can act on, or None for a bug."""
    from kapcompanion.export.errors import ExportError

    if isinstance(exc, VaultError):
        return exc.message
    if isinstance(exc, ExportError | pdf_preview.PreviewError):
        return str(exc)
    return None


def _open(
    ctx: AppContext, kind: ExportKind, record_id: int, parent: QWidget | None
) -> ExportDialog:
    dialog = ExportDialog(ctx, kind, record_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    dialog.start()
    return dialog


def export_session_dialog(
    ctx: AppContext, session_id: int, parent: QWidget | None = None
) -> ExportDialog:
    """Preview and export one session's record PDF (non-blocking; returns the dialog)."""
    return _open(ctx, SESSION, session_id, parent)


def export_course_dialog(
    ctx: AppContext, client_id: int, parent: QWidget | None = None
) -> ExportDialog:
    """Preview and export a client's course summary PDF (non-blocking; returns the dialog)."""
    return _open(ctx, COURSE, client_id, parent)
