"""File menu actions on the open vault: back up now, change the passphrase.

Both run off the GUI thread with a busy cursor and report in plain words. A backup is an
encrypted copy written atomically (``services.access.back_up``); a passphrase change exports
the vault under the new key and renames it into place (``services.access.change_passphrase``),
so a crash leaves exactly one working passphrase. Both are audited by the store.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.services import access
from kapcompanion.services.access import MIN_PASSPHRASE_LENGTH, check_passphrase
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.passphrase import PassphraseEdit, strength
from kapcompanion.ui.workers import run_in_background


def _busy(on: bool) -> None:
    if on:
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
    else:
        QApplication.restoreOverrideCursor()


def _message(exc: BaseException) -> str:
    return exc.message if isinstance(exc, VaultError) else "Something went wrong; see the log."


def back_up_now(ctx: AppContext, parent: QWidget) -> None:
    """Ask where, then write an encrypted backup there (never over an existing file)."""
    suggested = Path.home() / f"{ctx.vault.path.stem}-{datetime.now():%Y-%m-%d-%H%M}.kapbak"
    target, _ = QFileDialog.getSaveFileName(
        parent, ctx.title("Back up the vault"), str(suggested), "KAP vault backup (*.kapbak)"
    )
    if not target:
        return
    path = Path(target)
    if path.suffix != ".kapbak":
        path = path.with_suffix(".kapbak")
    vault = ctx.vault
    _busy(True)

    def done(made: Path) -> None:
        _busy(False)
        QMessageBox.information(
            parent,
            ctx.title("Backup written"),
            f"An encrypted backup was written to\n{made}\n\nIt opens with the current passphrase.",
        )

    def failed(exc: BaseException) -> None:
        _busy(False)
        QMessageBox.warning(parent, ctx.title("Backup not written"), _message(exc))

    run_in_background(lambda: access.back_up(vault, path), done, failed, owner=parent)


class ChangePassphraseDialog(QDialog):
    """Current passphrase, then the new one twice with a strength hint."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(ctx.title("Change the vault passphrase"))
        self.current = PassphraseEdit("Current passphrase", self)
        self.new = PassphraseEdit("New passphrase", self)
        self.repeat = PassphraseEdit("Repeat the new passphrase", self)
        self.hint = QLabel(self)
        set_role(self.hint, "hint")
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        note = QLabel(
            "Backups keep the passphrase they were made with. Nobody can recover a forgotten "
            "passphrase: write the new one down and keep it safe.",
            self,
        )
        note.setWordWrap(True)
        set_role(note, "warning")
        form = QFormLayout()
        form.addRow("&Current passphrase", self.current)
        form.addRow("&New passphrase", self.new)
        form.addRow("&Repeat it", self.repeat)
        form.addRow("", self.hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Change passphrase")
        buttons.accepted.connect(self._change)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.new.edit.textChanged.connect(self._update_hint)
        self._update_hint()

    def _update_hint(self) -> None:
        _score, words = strength(self.new.text())
        self.hint.setText(f"At least {MIN_PASSPHRASE_LENGTH} characters. Strength: {words}")

    def _change(self) -> None:
        if not access.verify_passphrase(self.ctx.vault, self.current.text()):
            self.error.setText("The current passphrase is not right. Nothing was changed.")
            return
        new = self.new.text()
        if new != self.repeat.text():
            self.error.setText("The two new passphrases differ. Nothing was changed.")
            return
        try:
            check_passphrase(new)
        except VaultError as exc:
            self.error.setText(exc.message)
            return
        self.buttons.setEnabled(False)
        self.error.setText("Changing the passphrase…")
        vault = self.ctx.vault
        _busy(True)

        def done(_result: object) -> None:
            _busy(False)
            self.accept()
            QMessageBox.information(
                self.parentWidget(),
                self.ctx.title("Passphrase changed"),
                "The vault now opens with the new passphrase.",
            )

        def failed(exc: BaseException) -> None:
            _busy(False)
            self.buttons.setEnabled(True)
            self.error.setText(f"Not changed: {_message(exc)}")

        run_in_background(lambda: access.change_passphrase(vault, new), done, failed, owner=self)


def change_passphrase(ctx: AppContext, parent: QWidget) -> None:
    ChangePassphraseDialog(ctx, parent).exec()
