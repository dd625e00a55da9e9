"""Settings > Signing PIN: set, change or remove the PIN that signs records.

Changing how records are signed is itself guarded by the vault passphrase, so a PIN seen
over a shoulder cannot be used to replace the PIN. Only a salted hash is stored
(``core/pins.py``, kept by ``services/members.py``); every change is audited.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.pins import MIN_LENGTH, pin_problem
from kapcompanion.services.members import (
    clear_signing_pin,
    has_signing_pin,
    note_failed_check,
    set_signing_pin,
)
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.passphrase import PassphraseEdit


class SigningPinDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("signingPinDialog")
        self.setWindowTitle(ctx.title("Signing PIN"))
        self.setMinimumWidth(520)
        had = has_signing_pin(ctx.vault)
        intro = QLabel(
            (
                "Records are signed with a PIN. Set a new one below, or remove it to sign "
                "with the vault passphrase again."
                if had
                else "Records are signed by entering the vault passphrase again. A signing PIN "
                "is a shorter alternative for the practitioner at this computer."
            )
            + f" A PIN has at least {MIN_LENGTH} characters; only a salted hash of it is kept, "
            "inside the encrypted vault."
        )
        intro.setWordWrap(True)
        self.passphrase = PassphraseEdit("Vault passphrase")
        self.pin = PassphraseEdit("New signing PIN")
        self.repeat = PassphraseEdit("Repeat the new PIN")
        self.repeat.returnPressed.connect(self.save)
        form = QFormLayout()
        for text, edit in (
            ("&Vault passphrase:", self.passphrase),
            ("&New PIN:", self.pin),
            ("&Repeat the PIN:", self.repeat),
        ):
            label = QLabel(text)
            label.setBuddy(edit.edit)
            form.addRow(label, edit)
        self.error = QLabel()
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        self.buttons = QDialogButtonBox()
        self.save_button = QPushButton("&Save PIN")
        self.save_button.setProperty("primary", True)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.remove_button = QPushButton("Re&move PIN")
        self.remove_button.setAccessibleName("Remove the PIN and sign with the passphrase")
        self.buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.remove_button.setVisible(had)  # after addButton, which shows it
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        ctx.signals.about_to_lock.connect(self.reject)
        self.passphrase.setFocus()

    def _problem(self, text: str, focus: PassphraseEdit) -> bool:
        self.error.setText(text)
        self.error.show()
        focus.setFocus()
        return False

    def _authorised(self) -> bool:
        entry = self.passphrase.text()
        self.passphrase.clear()
        if not self.ctx.vault.verify_passphrase(entry):
            note_failed_check(self.ctx.vault)
            return self._problem(
                "That is not the vault passphrase; the signing PIN was not changed.",
                self.passphrase,
            )
        return True

    def save(self) -> bool:
        pin, repeat = self.pin.text(), self.repeat.text()
        problem = pin_problem(pin)
        if problem:
            return self._problem(problem, self.pin)
        if pin != repeat:
            return self._problem("The two PINs differ; type the same PIN twice.", self.repeat)
        if not self._authorised():
            return False
        set_signing_pin(self.ctx.vault, pin)
        self.pin.clear()
        self.repeat.clear()
        self.ctx.notify("Signing PIN saved. Records are now signed with the PIN.", 5000)
        self.accept()
        return True

    def remove(self) -> bool:
        if not self._authorised():
            return False
        clear_signing_pin(self.ctx.vault)
        self.ctx.notify("Signing PIN removed. Records are signed with the vault passphrase.", 5000)
        self.accept()
        return True


def open_signing_pin_dialog(ctx: AppContext, parent: QWidget | None = None) -> SigningPinDialog:
    """Open the dialog without blocking (it closes itself on a lock)."""
    dialog = SigningPinDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
