"""The unlock screen, also the locked screen.

Unlocking runs off the GUI thread with a busy line. A wrong passphrase and a damaged first
page look the same to SQLCipher, so the message says both, and after the second failure (or
at once when the file is known to be damaged) it offers the latest automatic backup.
Repeated failures make the next attempt wait longer, across restarts (``throttle``); the
failures are written to the vault's audit trail at the next successful unlock.

A vault open for writing elsewhere (another copy of the app, a command) is said at once, with
the process that holds it, and can be opened read-only instead.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.store.errors import (
    VaultDamaged,
    VaultError,
    VaultInUse,
    WrongPassphraseOrDamaged,
)
from kapcompanion.store.lock import holder, in_use_error
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.throttle import UnlockThrottle
from kapcompanion.ui.widgets.passphrase import PassphraseEdit
from kapcompanion.ui.widgets.status import BusyLine, centred_scroll
from kapcompanion.ui.workers import Task, run_in_background

if TYPE_CHECKING:
    from kapcompanion.services.handles import Vault

WRONG = (
    "That passphrase did not open the vault. Check it and try again (is Caps Lock on?). "
    "If you are sure it is right, the vault file may be damaged."
)


READ_ONLY_NOTE = (
    "Read-only: you can look but not change anything here while the vault is open elsewhere."
)


def access_module() -> ModuleType:
    """``kapcompanion.services.access`` (the unlock and its audit rows, backups, restore, with
    the vault code and SQLCipher), loaded once a passphrase is typed.

    The unlock screen shows without it (bench/ figure: cold start). Call it on the GUI
    thread: the work handed to a worker must find it loaded (PySide6's import hook is not
    safe in worker threads)."""
    from kapcompanion.services import access

    return access


def open_and_audit(
    path: Path,
    passphrase: str,
    backups: Path,
    failed_at: list[str],
    *,
    read_only: bool = False,
    store: ModuleType | None = None,
) -> Vault:
    """Open the vault and record this unlock (and the failures before it) in its audit trail
    in one transaction (``services.access.unlock``). ``read_only``: no lock, nothing written
    (the failures are audited at a writing unlock). ``store``: :func:`access_module`'s
    module, when this runs off the GUI thread."""
    service = store or access_module()
    opened: Vault = service.unlock(path, passphrase, backups, failed_at, read_only=read_only)
    return opened


class UnlockScreen(QWidget):
    unlocked = Signal(object)  # the open Vault
    switch_requested = Signal()  # "use a different vault": back to the welcome screen

    def __init__(
        self,
        vault_path: Path,
        backups: Path,
        throttle: UnlockThrottle,
        *,
        locked: bool = False,
        demo_passphrase: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("unlockScreen")
        self.vault_path = Path(vault_path)
        self.backups = backups
        self.throttle = throttle
        self.task: Task | None = None
        self._overlay: QWidget | None = None

        column = QWidget()
        column.setMaximumWidth(680)
        box = QVBoxLayout(column)
        box.setSpacing(12)
        self.overlay_slot = QVBoxLayout()
        box.addLayout(self.overlay_slot)
        self.title = QLabel("KAP Companion is locked" if locked else "Unlock your vault")
        set_role(self.title, "title")
        box.addWidget(self.title)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.hide()
        box.addWidget(self.reason)
        self.where = QLabel(f"Vault file: {self.vault_path}")
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.where, "hint")
        box.addWidget(self.where)
        if demo_passphrase:
            demo = QLabel(f"Demo vault of invented clients. Its passphrase is: {demo_passphrase}")
            demo.setWordWrap(True)
            demo.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            set_role(demo, "warning")
            box.addWidget(demo)

        card = QFrame()
        card.setProperty("role", "card")
        row = QHBoxLayout(card)
        prompt = QLabel("&Passphrase")
        self.passphrase = PassphraseEdit("Passphrase")
        prompt.setBuddy(self.passphrase.edit)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setProperty("primary", "true")
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.clicked.connect(self.attempt)
        self.passphrase.returnPressed.connect(self.attempt)
        self.passphrase.textChanged.connect(self._typed)
        row.addWidget(prompt)
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.unlock_button)
        box.addWidget(card)

        self.busy = BusyLine()
        box.addWidget(self.busy)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Unlock message")
        set_role(self.message, "error")
        self.message.hide()
        box.addWidget(self.message)
        self.wait = QLabel()
        set_role(self.wait, "warning")
        self.wait.hide()
        box.addWidget(self.wait)

        restore_row = QHBoxLayout()
        self.backup_note = QLabel()
        self.backup_note.setWordWrap(True)
        self.restore_button = QPushButton("&Restore latest backup…")
        self.restore_button.setAccessibleName("Restore the latest backup")
        self.restore_button.clicked.connect(self._confirm_restore)
        restore_row.addWidget(self.backup_note, 1)
        restore_row.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignTop)
        self.backup_note.hide()
        self.restore_button.hide()
        box.addLayout(restore_row)

        self.read_only_button = QPushButton("Open &read-only")
        self.read_only_button.setAccessibleName("Open the vault read-only")
        self.read_only_button.setToolTip(READ_ONLY_NOTE)
        self.read_only_button.clicked.connect(lambda: self.attempt(read_only=True))
        self.read_only_button.hide()
        self.switch_button = QPushButton("Use a &different vault…")
        self.switch_button.setAccessibleName("Use a different vault")
        self.switch_button.clicked.connect(self.switch_requested)
        switch_row = QHBoxLayout()
        switch_row.addWidget(self.read_only_button)
        switch_row.addWidget(self.switch_button)
        switch_row.addStretch(1)
        box.addLayout(switch_row)
        box.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 24, 0, 0)
        layout.addWidget(centred_scroll(column, self))
        self.setFocusProxy(self.passphrase.edit)

        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._refresh_wait)
        self._refresh_wait()
        self.note_in_use()

    def note_in_use(self) -> bool:
        """Say so now if another process has the vault open for writing (True if it has)."""
        try:
            held = holder(self.vault_path) is not None
        except OSError:
            return False
        if held:
            self._show_in_use(in_use_error(self.vault_path))
        return held

    def _show_in_use(self, exc: VaultInUse) -> None:
        self._show_message(exc.message)
        self.read_only_button.show()

    # ------------------------------------------------------------------ overlay, reason
    def set_overlay(self, widget: QWidget | None) -> None:
        """Show a widget above the prompt (a running session's strip)."""
        if self._overlay is not None:
            self._overlay.deleteLater()
        self._overlay = widget
        if widget is not None:
            self.overlay_slot.addWidget(widget)

    def set_reason(self, text: str) -> None:
        self.reason.setText(text)
        self.reason.setVisible(bool(text))

    # ------------------------------------------------------------------ throttle
    def _refresh_wait(self) -> None:
        left = self.throttle.remaining(self.vault_path)
        if left > 0:
            self.wait.setText(
                f"Several attempts failed. You can try again in {int(left + 0.999)} s."
            )
            self.wait.show()
            self._tick.start()
        else:
            self.wait.hide()
            self._tick.stop()
        self.unlock_button.setEnabled(left <= 0 and not self.busy.busy)

    # ------------------------------------------------------------------ unlock
    def _typed(self, text: str) -> None:
        """The first character typed loads the vault code while the rest is typed."""
        if text:
            self.passphrase.textChanged.disconnect(self._typed)
            access_module()

    def attempt(self, *, read_only: bool = False) -> None:
        if self.busy.busy or not self.passphrase.text():
            if read_only and not self.passphrase.text():
                self._show_message("Type the passphrase first, then open read-only.")
                self.passphrase.setFocus()
            return
        if self.throttle.remaining(self.vault_path) > 0:
            self._refresh_wait()
            return
        path, passphrase, backups = self.vault_path, self.passphrase.text(), self.backups
        pending = self.throttle.pending(path)
        store = access_module()
        self._set_busy("Opening read-only…" if read_only else "Unlocking…")
        self.task = run_in_background(
            lambda: open_and_audit(
                path, passphrase, backups, pending, read_only=read_only, store=store
            ),
            self._on_unlocked,
            self._on_failed,
            owner=self,
            discard=lambda vault: vault.close(),
        )

    def _set_busy(self, text: str | None) -> None:
        self.passphrase.setEnabled(text is None)
        self.restore_button.setEnabled(text is None)
        self.read_only_button.setEnabled(text is None)
        self.switch_button.setEnabled(text is None)
        if text is None:
            self.busy.stop()
        else:
            self.message.hide()
            self.busy.start(text)
        self._refresh_wait()

    def _on_unlocked(self, vault: Vault) -> None:
        if not vault.read_only:  # the failures are audited by a writing unlock
            self.throttle.reset(self.vault_path)
        self._set_busy(None)
        self.passphrase.clear()
        self.unlocked.emit(vault)

    def _on_failed(self, exc: BaseException) -> None:
        self._set_busy(None)
        if isinstance(exc, WrongPassphraseOrDamaged):
            self.throttle.record_failure(self.vault_path)
            self._show_message(WRONG)
            if self.throttle.failures(self.vault_path) >= 2:
                self._offer_backup()
            self.passphrase.edit.selectAll()
            self.passphrase.setFocus()
        elif isinstance(exc, VaultInUse):
            self._show_in_use(exc)
        elif isinstance(exc, VaultError):
            self._show_message(exc.message)
            if isinstance(exc, VaultDamaged) or not self.vault_path.exists():
                self._offer_backup()
        else:
            self._show_message("The vault could not be opened. See the log for details.")
            raise exc
        self._refresh_wait()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    # ------------------------------------------------------------------ backup
    def _offer_backup(self) -> None:
        backup = access_module().latest_backup(self.backups, self.vault_path)
        if backup is None:
            self.backup_note.setText("There is no automatic backup of this vault to fall back on.")
            self.backup_note.show()
            self.restore_button.hide()
            return
        from kapcompanion.core import wording  # babel: loaded once a passphrase was typed

        when = wording.date_time(datetime.fromtimestamp(backup.stat().st_mtime))
        self.backup_note.setText(
            f"If the file is damaged, restore the latest automatic backup (from {when}). "
            "The current file is kept beside it; nothing is deleted."
        )
        self.backup_note.show()
        self.restore_button.show()

    def _confirm_restore(self) -> None:
        if not self.passphrase.text():
            self._show_message("Type the passphrase first: the backup opens with it too.")
            self.passphrase.setFocus()
            return
        backup = access_module().latest_backup(self.backups, self.vault_path)
        if backup is None:
            return
        from PySide6.QtWidgets import QMessageBox  # not loaded for the bare unlock screen

        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Restore backup",
            f"Replace the vault with the backup {backup.name}? Changes made after that "
            "backup are not in it. The current file is kept beside it, renamed.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(
            lambda result: (
                self.restore_backup(backup) if result == QMessageBox.StandardButton.Yes else None
            )
        )
        box.open()

    def restore_backup(self, backup: Path) -> None:
        path, passphrase = self.vault_path, self.passphrase.text()
        restore = access_module().restore
        self._set_busy("Checking and restoring the backup…")
        self.task = run_in_background(
            lambda: restore(backup, path, passphrase),
            lambda _kept: self._restored(backup),
            self._on_failed,
            owner=self,
        )

    def _restored(self, backup: Path) -> None:
        self._set_busy(None)
        self.restore_button.hide()
        self.backup_note.setText(f"Restored from {backup.name}. Unlocking…")
        self.attempt()
