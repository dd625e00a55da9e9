"""A booster dose in an esketamine session: whole devices of 28 mg (issue 16).

The session's running total goes through the clinic's extra-dose limits like any extra dose
(``services.session.SessionRunner.give_booster``): above the usual range (the label's 84 mg)
it needs a reason and a confirmation that names the number; above the clinic's maximum it is
refused. The refusal is shown in place; the form stays.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import esketamine as esk
from kapcompanion.core.models import SessionEvent
from kapcompanion.services.session import DoseNotAccepted
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.theme import set_role


class BoosterDialog(QDialog):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(controller.ctx.title("Booster dose"))
        self.controller = controller
        self.recorded: SessionEvent | None = None
        self.question = ""
        intro = QLabel(
            f"A booster of esketamine in devices of {esk.DEVICE_MG} mg, recorded now against the "
            "session clock and checked against the session's total.",
            self,
        )
        intro.setWordWrap(True)
        self.devices = QSpinBox(self)
        self.devices.setRange(1, 3)
        self.devices.setSuffix(" device(s) of 28 mg")
        self.devices.setAccessibleName("Booster devices of 28 mg")
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason for a total above the usual range")
        self.reason.setPlaceholderText("Needed above the usual range: why, in a sentence")
        self.confirm = QCheckBox(self)
        self.confirm.setAccessibleName("Confirm the dose above the usual range")
        self.confirm.hide()
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Booster message")
        form = QFormLayout()
        form.addRow("&Devices", self.devices)
        form.addRow("&Reason", self.reason)
        form.addRow("", self.confirm)
        buttons = QDialogButtonBox(self)
        self.record_button = buttons.addButton(
            "Record &booster", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.record_button.setProperty("primary", "true")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.devices.valueChanged.connect(self._changed)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())
        self.devices.setFocus()

    def _changed(self) -> None:
        self.question = ""
        self.confirm.setChecked(False)
        self.confirm.hide()
        self.message.setText("")

    def submit(self) -> SessionEvent | None:
        confirmed = self.question if self.confirm.isChecked() else ""
        try:
            self.recorded = self.controller.give_booster(
                self.devices.value(), reason=self.reason.text(), confirmed=confirmed
            )
        except DoseNotAccepted as exc:
            self.message.setText(exc.message)
            set_role(self.message, "error")
            if exc.needs_confirmation:
                self.question = exc.needs_confirmation
                self.confirm.setText(f"I confirm: {exc.needs_confirmation}")
                self.confirm.show()
            return None
        except VaultError as exc:
            self.message.setText(exc.message)
            set_role(self.message, "error")
            return None
        self.accept()
        return self.recorded
