"""Transfer of care in the app: send a client's record to another vault, or bring one in.

``open_transfer_out(ctx, client_id, parent)`` (File > Transfer this client…) explains what
leaves, asks where to save, writes the encrypted bundle off the GUI thread
(``services.transfer.export_client``: audited in this vault) and then shows the one-time
passphrase once, with a plain word on how to hand it over. The passphrase lives only in the
dialog: closing it or locking the app forgets it.

``open_transfer_in(ctx, parent)`` (File > Import a transferred client…) takes the bundle and
its passphrase, checks it first and shows what will arrive (client, sessions, documents,
measures, source vault, the bundle's SHA-256; ``services.transfer.preview``, nothing written),
and only then imports that same file (its digest must still match) off the GUI thread as a
new client
(``services.transfer.import_client``: one transaction, audited). A same-named client with the
same date of birth is never merged into: the import is refused unless "as a new client" is
ticked.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.services import clients as client_service
from kapcompanion.services import transfer
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.fit import scroll_down
from kapcompanion.ui.widgets.passphrase import PassphraseEdit
from kapcompanion.ui.widgets.status import BusyLine
from kapcompanion.ui.workers import Task, run_in_background

FILTER = "KAP Companion transfer bundle (*.kapx)"


class _Progress(QObject):
    """Progress from the worker, delivered (queued) on the GUI thread."""

    changed = Signal(float, str)


def plain(exc: BaseException) -> str | None:
    """The message of an error the user can act on, or None for a bug."""
    if isinstance(exc, VaultError):
        return exc.message
    if isinstance(exc, transfer.TransferError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"The file could not be written or read: {exc.strerror or exc}."
    return None


def _wrapped(text: str, role: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if role:
        set_role(label, role)
    return label


def _documents_folder() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


class _TransferBase(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self.file_dialog: QFileDialog | None = None
        self.busy = BusyLine(self)
        self.error = _wrapped("", "error", self)
        self.error.hide()
        self.progress = _Progress()
        self.progress.changed.connect(
            lambda _f, text: self.busy.start(text), Qt.ConnectionType.QueuedConnection
        )
        self.setMinimumWidth(640)

    def _problem(self, text: str) -> None:
        self.busy.stop()
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _failed(self, exc: BaseException) -> None:
        self._set_working(False)
        message = plain(exc)
        if message is None:  # a bug: the calm error dialog, with the details in the log
            self.busy.stop()
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self._problem(message)

    def _set_working(self, working: bool) -> None:
        """Disable the action button while the work runs (each dialog has its own)."""


# --------------------------------------------------------------------------- sending
class TransferOutDialog(_TransferBase):
    """Write one client's encrypted transfer bundle and show its passphrase once."""

    written = Signal(object)  # the TransferResult

    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.client_id = client_id
        self.result_: Any = None
        client = client_service.get(ctx.repos, client_id)
        who = client.display_name or "this client"
        self.setObjectName("transferOutDialog")
        self.setWindowTitle(ctx.title("Transfer this client to another vault"))
        heading = _wrapped(f"Transfer {who}'s record", "heading", self)
        self.explain = _wrapped(
            f"This writes {who}'s whole record (details, courses, sessions with their events "
            "and vital signs, notes, measures, attached files, safety flags, addenda and "
            "signatures) into one encrypted file, for a colleague's copy of KAP Companion "
            "taking over care. Their vault adds it as a new client; signed records stay "
            "signed and can be checked there.\n\n"
            "The file opens only with a one-time passphrase that is made for it and shown "
            "once, after the file is written. Give the passphrase by a different route than "
            "the file: read it out on the phone or hand it over on paper. Nothing in this "
            "vault changes; the transfer is recorded in its audit trail.",
            parent=self,
        )
        self.explain.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.default_name = transfer.default_bundle_name(client)

        self.done_box = QWidget(self)
        self.where = _wrapped("", parent=self.done_box)
        self.phrase = QLabel("", self.done_box)
        self.phrase.setObjectName("oneTimePassphrase")
        self.phrase.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(mono.pointSizeF() * 1.4)
        mono.setWeight(QFont.Weight.DemiBold)
        self.phrase.setFont(mono)
        self.phrase.setAccessibleName("One-time passphrase")
        self.copy_button = QPushButton("&Copy the passphrase", self.done_box)
        self.copy_button.clicked.connect(lambda: self.ctx.copy_text(self.phrase.text()))
        warn = _wrapped(
            "Write it down now: it is shown only this once and is kept nowhere. If it is "
            "lost, transfer the client again (a new file, a new passphrase).",
            "warning",
            self.done_box,
        )
        inner = QVBoxLayout(self.done_box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.where)
        inner.addWidget(_wrapped("One-time passphrase:", parent=self.done_box))
        row = QHBoxLayout()
        row.addWidget(self.phrase, 1)
        row.addWidget(self.copy_button)
        inner.addLayout(row)
        inner.addWidget(warn)
        self.done_box.hide()

        self.buttons = QDialogButtonBox(self)
        self.save_button = QPushButton("&Save the bundle…", self)
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.choose_file)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.explain)
        layout.addWidget(self.done_box)
        layout.addWidget(self.busy)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        ctx.signals.about_to_lock.connect(self._forget)
        self.finished.connect(self._forget)

    def _set_working(self, working: bool) -> None:
        self.save_button.setEnabled(not working)

    def choose_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "Save the transfer bundle", str(_documents_folder()), FILTER)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("kapx")
        dialog.selectFile(self.default_name)
        dialog.fileSelected.connect(self.write_to)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def write_to(self, path: str) -> Task | None:
        if not path:
            return None
        self._problem("")
        self._set_working(True)
        self.busy.start("Reading the client's record")
        report: Callable[[float, str], None] = self.progress.changed.emit
        vault, cid = self.ctx.vault, self.client_id

        def work() -> Any:
            return transfer.export_client(vault, cid, Path(path), None, report)

        self.task = run_in_background(work, self._written, self._failed, owner=self)
        return self.task

    def _written(self, result: Any) -> None:
        self.busy.stop()
        self.result_ = result
        self.where.setText(
            f"The bundle was written to {result.path} ({result.size // 1024 + 1} KB). "
            "It is encrypted; the receiving clinic imports it with File > Import a "
            "transferred client."
        )
        self.phrase.setText(result.passphrase)
        self.explain.hide()
        self.done_box.show()
        self.save_button.hide()
        self.close_button.setText("&Done")
        self.written.emit(result)
        self.ctx.notify("Transfer bundle written", 4000)

    def _forget(self, *_args: object) -> None:
        """The passphrase is shown once: closing or locking drops it from the dialog."""
        self.phrase.clear()
        self.result_ = None
        if self.isVisible():
            self.reject()


# --------------------------------------------------------------------------- receiving
class TransferInDialog(_TransferBase):
    """Import a transfer bundle as a new client."""

    imported = Signal(object)  # the ImportResult

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.result_: Any = None
        self.setObjectName("transferInDialog")
        self.setWindowTitle(ctx.title("Import a transferred client"))
        heading = _wrapped("Import a client from another vault", "heading", self)
        explain = _wrapped(
            "Choose the transfer bundle (.kapx) you were sent and type the one-time passphrase "
            "that came with it. The record arrives as a new client with everything in it; "
            "signed records stay signed and are checked on arrival. Nothing is ever merged "
            "into a client already in this vault. If the file was changed on the way or the "
            "passphrase is wrong, nothing is imported.",
            parent=self,
        )
        explain.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.path = QLineEdit(self)
        self.path.setAccessibleName("Bundle file")
        self.path.setPlaceholderText("client-12-2025-03-04.kapx")
        browse = QPushButton("C&hoose…", self)
        browse.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.passphrase = PassphraseEdit("Bundle passphrase", self)
        self.as_new = QCheckBox(
            "Import as a &new client even if one with the same name and date of birth is here",
            self,
        )
        self.as_new.setToolTip("The two records are kept apart: nothing is ever merged.")
        file_label = QLabel("&Bundle file:", self)
        file_label.setBuddy(self.path)
        form = QFormLayout()
        form.addRow(file_label, file_row)
        form.addRow("&Passphrase:", self.passphrase)
        self.outcome = _wrapped("", parent=self)
        self.outcome.hide()
        self.summary: transfer.BundleSummary | None = None
        self.checked_for: tuple[str, str] | None = None  # (path, passphrase) checked
        self.preview_box = QGroupBox("What will arrive", self)
        self.preview_box.setObjectName("bundlePreview")
        self.preview_form = QFormLayout(self.preview_box)
        self.same_warning = _wrapped("", "warning", self)
        self.same_warning.hide()
        self.preview_box.hide()
        self.buttons = QDialogButtonBox(self)
        self.check_button = QPushButton("Chec&k the bundle", self)
        self.check_button.setProperty("primary", True)
        self.check_button.clicked.connect(self.start_check)
        self.buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button = QPushButton("&Import", self)
        self.import_button.setProperty("primary", False)
        self.import_button.clicked.connect(self.start_import)
        self.import_button.setEnabled(False)
        self.import_button.setToolTip("Check the bundle first: you see what will arrive")
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button = QPushButton("&Open the client", self)
        self.buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.hide()
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        self.open_button.clicked.connect(self.accept)
        # everything but the buttons scrolls down when the screen is short (150 %), so the
        # preview's rows keep their height instead of being squeezed
        body = QWidget(self)
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(heading)
        inner.addWidget(explain)
        inner.addLayout(form)
        inner.addWidget(self.as_new)
        inner.addWidget(self.preview_box)
        inner.addWidget(self.same_warning)
        inner.addWidget(self.busy)
        inner.addWidget(self.error)
        inner.addWidget(self.outcome)
        inner.addStretch(1)
        self.body_scroll = scroll_down(body, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body_scroll, 1)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(self._inputs_changed)
        self.passphrase.edit.textChanged.connect(self._inputs_changed)
        ctx.signals.about_to_lock.connect(self.reject)

    def _inputs(self) -> tuple[str, str]:
        return self.path.text().strip(), self.passphrase.text().strip()

    def _ready_to_import(self) -> bool:
        return self.summary is not None and self.checked_for == self._inputs()

    def _set_working(self, working: bool) -> None:
        self.check_button.setEnabled(not working)
        self.import_button.setEnabled(not working and self._ready_to_import())
        self._mark_next_step()

    def _mark_next_step(self) -> None:
        """One highlighted button: Check until the bundle is checked, then Import."""
        ready = self._ready_to_import()
        for button, primary in ((self.check_button, not ready), (self.import_button, ready)):
            if bool(button.property("primary")) != primary:
                button.setProperty("primary", primary)
                button.style().unpolish(button)
                button.style().polish(button)
            button.setDefault(primary)

    def _inputs_changed(self, *_args: object) -> None:
        """Another file or passphrase: what was checked no longer applies."""
        if self.summary is not None and self.checked_for != self._inputs():
            self.summary = None
            self.checked_for = None
            self.preview_box.hide()
            self.same_warning.hide()
        self.import_button.setEnabled(self._ready_to_import())
        self._mark_next_step()

    def _asked(self) -> tuple[str, str] | None:
        path, secret = self._inputs()
        if not path:
            self._problem("Choose the bundle file first.")
            return None
        if not secret:
            self._problem("Type the one-time passphrase that came with the bundle.")
            return None
        return path, secret

    def start_check(self) -> Task | None:
        """Decrypt and check the bundle off the GUI thread and show what it holds; nothing
        is written. A bundle that fails its check is refused here, plainly."""
        asked = self._asked()
        if asked is None:
            return None
        path, secret = asked
        self._problem("")
        self.summary = None
        self.checked_for = None
        self.preview_box.hide()
        self.same_warning.hide()
        self._set_working(True)
        self.busy.start("Checking the bundle (this takes a few seconds)")
        vault = self.ctx.vault

        def work() -> Any:
            return transfer.preview(vault, Path(path), secret)

        def shown(summary: Any) -> None:
            self._checked(summary, (path, secret))

        self.task = run_in_background(work, shown, self._check_failed, owner=self)
        return self.task

    def _check_failed(self, exc: BaseException) -> None:
        self._failed(exc)
        if plain(exc) is not None:
            self.error.setText(f"{plain(exc)} The bundle cannot be imported.")

    def _checked(self, summary: transfer.BundleSummary, inputs: tuple[str, str]) -> None:
        self.busy.stop()
        if inputs != self._inputs():  # changed while the check ran: check again
            self._set_working(False)
            return
        self.summary = summary
        self.checked_for = inputs
        _fill_preview(self.preview_form, summary, self.preview_box)
        self.preview_box.show()
        if summary.same_clients:
            listed = ", ".join(str(i) for i in summary.same_clients)
            self.same_warning.setText(
                f"A client with this name and date of birth is already in this vault (client "
                f"{listed}). Nothing is merged: to bring this record in beside it, tick "
                '"Import as a new client".'
            )
            self.same_warning.show()
        self._set_working(False)
        self._grow()

    def _grow(self) -> None:
        """Room for the preview (the layout would squeeze its rows), within the screen."""
        screen = self.screen().availableGeometry() if self.screen() else None
        width = max(self.width(), 780)
        body = self.body_scroll.widget()
        wanted = (body.sizeHint().height() if body is not None else 0) + 80  # + the buttons
        height = max(self.height(), wanted)
        if screen is not None:
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 40)
        self.resize(width, height)

    def choose_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "Choose the transfer bundle", str(_documents_folder()), FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.path.setText)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def start_import(self) -> Task | None:
        asked = self._asked()
        if asked is None:
            return None
        if not self._ready_to_import() or self.summary is None:
            self._problem("Check the bundle first, to see what will arrive.")
            return None
        path, secret = asked
        expected = self.summary.sha256
        self._problem("")
        self._set_working(True)
        self.busy.start("Checking and importing the bundle (this takes a few seconds)")
        vault, as_new = self.ctx.vault, self.as_new.isChecked()

        def work() -> Any:
            return transfer.import_client(
                vault, Path(path), secret, as_new=as_new, expect_sha256=expected
            )

        self.task = run_in_background(work, self._imported, self._failed, owner=self)
        return self.task

    def _imported(self, result: Any) -> None:
        self.busy.stop()
        self.result_ = result
        held = transfer.describe(result.counts, skip=("clients",))
        self.outcome.setText(
            f"Imported as a new client with {held}. The import is recorded in this vault's "
            "audit trail."
        )
        self.outcome.show()
        self.import_button.hide()
        self.check_button.hide()
        self.open_button.show()
        self.close_button.setText("&Close")
        self.passphrase.edit.clear()
        self.ctx.signals.client_changed.emit(result.client_id)
        self.imported.emit(result)


def _fill_preview(form: QFormLayout, summary: transfer.BundleSummary, parent: QWidget) -> None:
    """The bundle's summary as label/value rows: who, what, from where, and its digest."""
    while form.rowCount():
        form.removeRow(0)
    who = summary.name or summary.pseudonym or "(no name)"
    if summary.pseudonym and summary.name:
        who += f" ({summary.pseudonym})"
    if summary.dob:
        with contextlib.suppress(ValueError):
            who += f", born {wording.long_date(date.fromisoformat(summary.dob))}"
    counts = summary.counts
    other_docs = counts.get("documents", 0) - summary.measures
    source = summary.source_vault or "not recorded"
    made_by = ", ".join(x for x in (summary.practitioner, summary.clinic) if x)
    exported = ""
    with contextlib.suppress(ValueError):
        exported = wording.date_time(datetime.fromisoformat(summary.created_utc).astimezone())
    rows = [
        ("Client", who),
        ("Sessions", str(counts.get("sessions", 0))),
        ("Documents", f"{other_docs} (notes, consents, checklists, plans…)"),
        ("Measures", str(summary.measures)),
        ("Also", transfer.describe(counts, skip=("clients", "sessions", "documents")) or "-"),
        ("From vault", f"{source}" + (f", {made_by}" if made_by else "")),
        ("Exported", exported or "not recorded"),
    ]
    for label, value in rows:
        form.addRow(f"{label}:", _wrapped(value, parent=parent))
    digest = QLabel(summary.sha256, parent)
    digest.setObjectName("bundleSha256")
    digest.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    digest.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    digest.setToolTip("Compare with the SHA-256 the sending clinic saw, if they gave it to you")
    form.addRow("Bundle SHA-256:", digest)


def _show(dialog: QDialog) -> QDialog:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def open_transfer_out(
    ctx: AppContext, client_id: int, parent: QWidget | None = None
) -> TransferOutDialog:
    dialog = TransferOutDialog(ctx, client_id, parent)
    _show(dialog)
    return dialog


def open_transfer_in(
    ctx: AppContext,
    parent: QWidget | None = None,
    open_client: Callable[[int], object] | None = None,
) -> TransferInDialog:
    dialog = TransferInDialog(ctx, parent)
    if open_client is not None:
        dialog.accepted.connect(
            lambda: open_client(dialog.result_.client_id) if dialog.result_ else None
        )
    _show(dialog)
    return dialog


def transfer_current_client(window: Any) -> TransferOutDialog | None:
    """File > Transfer this client…: the client open in the workspace, if any."""
    ctx, ws = window.ctx, window.workspace
    client_id = ws.current_client_id() if ws is not None else None
    if ctx is None or client_id is None:
        if ctx is not None:
            ctx.notify("Open a client first, then choose Transfer this client.", 5000)
        return None
    return open_transfer_out(ctx, client_id, ws)


def import_client(window: Any) -> TransferInDialog | None:
    """File > Import a transferred client…"""
    if window.ctx is None:
        return None
    return open_transfer_in(
        window.ctx,
        window.workspace or window.window(),
        lambda cid: window.show_workspace(cid),
    )
