"""Correct an event after the fact: the original stays, the correction points at it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.models import SessionEvent
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.session import describe as words
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.theme import set_role


class CorrectionDialog(QDialog):
    def __init__(
        self, controller: SessionController, event: SessionEvent, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(controller.ctx.title("Correct an event"))
        self.controller = controller
        self.original = event
        self.result_event: SessionEvent | None = None
        original = QLabel(f"Recorded: {words.line(event, session=controller.runner.session)}", self)
        original.setWordWrap(True)
        note = QLabel(
            "The original stays in the record; the correction is added with its reason.", self
        )
        note.setWordWrap(True)
        set_role(note, "hint")
        self.text = QLineEdit(str(event.payload.get("text") or ""), self)
        self.text.setAccessibleName("Corrected text")
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason for the correction")
        self.reason.setPlaceholderText("e.g. wrong words noted; client said…")
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        form = QFormLayout()
        form.addRow("Corrected &text", self.text)
        form.addRow("&Reason", self.reason)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(original)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.text.setFocus()

    def save(self) -> SessionEvent | None:
        if not self.reason.text().strip():
            self.error.setText("Write why the event is corrected.")
            self.error.show()
            self.reason.setFocus()
            return None
        payload: dict[str, Any] = {**self.original.payload, "text": self.text.text().strip()}
        try:
            self.result_event = self.controller.correct(self.original, payload, self.reason.text())
        except VaultError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return None
        self.accept()
        return self.result_event
