"""The signature of a record and the dated addenda under it.

``AddendaPanel(ctx, record_type, record_id, client_id)`` goes under any record shown on
screen: the original's signature line, then every addendum with its author and time, then
"Add addendum…". A signed record is never edited; what is learned later is added here and
the original stays as it was signed. ``record_type`` is ``"session"`` for a session record
and the document's kind for a document (as the store and the PDF export use them).

An addendum being written is a draft like any other: it is kept in the vault (never only
in the widget) until it is added, and it comes back after a lock.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.models import Addendum
from kapcompanion.export.describe import fmt_datetime
from kapcompanion.services import addenda as addendum_service
from kapcompanion.services import documents as document_service
from kapcompanion.services.addenda import draft_key as draft_key
from kapcompanion.services.records import RecordRef, load_ref, signature_line
from kapcompanion.store.errors import RecordNotFound, VaultError
from kapcompanion.ui.autosave import Autosaver, guard_conflicts
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.conflict_banner import ConflictBanner


def addendum_heading(number: int, addendum: Addendum) -> str:
    by = addendum.author or "the practitioner"
    return f"Addendum {number} · {fmt_datetime(addendum.utc, None)} · {by}"


class AddendumDialog(QDialog):
    """Write one addendum; the draft autosaves into the vault until it is added."""

    added = Signal(object)  # the stored Addendum

    def __init__(self, ctx: AppContext, ref: RecordRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ref = ref
        self.setObjectName("addendumDialog")
        self.setWindowTitle(ctx.title(f"Addendum to {ref.title}"))
        self.setMinimumSize(560, 360)
        intro = QLabel(
            f"Add to the signed {ref.title.lower()} of {ref.when_text() or 'this record'}. "
            "The addendum is dated and signed with your name; the original is not changed, "
            "and an addendum cannot be edited once added."
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Addendum text")
        self.text.setTabChangesFocus(True)
        loaded = document_service.load_draft(ctx.repos, draft_key(ref.record_type, ref.record_id))
        draft, self.draft_revision = loaded.value, loaded.revision
        if isinstance(draft, str):
            self.text.setPlainText(draft)
        label = QLabel("&Addendum:")
        label.setBuddy(self.text)
        self.error = QLabel()
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        self.state = QLabel("Kept as a draft until you add it." if draft else "")
        set_role(self.state, "hint")
        self.buttons = QDialogButtonBox()
        self.add_button = QPushButton("&Add addendum")
        self.add_button.setProperty("primary", True)
        self.buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.add_button.clicked.connect(self.add)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.state)
        layout.addWidget(self.buttons)
        self.autosaver = Autosaver(self._save_draft, self, about_to_lock=ctx.signals.about_to_lock)
        self.autosaver.saved.connect(lambda text: self.state.setText(f"Draft {text.lower()}"))
        self.autosaver.failed.connect(self.state.setText)
        self.text.textChanged.connect(self.autosaver.touch)
        self.conflict_banner = ConflictBanner("addendum draft")  # the same draft in two windows
        layout.insertWidget(1, self.conflict_banner)
        guard_conflicts(
            self.autosaver, self.conflict_banner, ctx, self.text.toPlainText, self._kept
        )
        self.text.setFocus()

    def _save_draft(self) -> None:
        text = self.text.toPlainText()
        self.draft_revision = document_service.save_draft(
            self.ctx.repos,
            draft_key(self.ref.record_type, self.ref.record_id),
            text if text.strip() else None,
            self.draft_revision,
            client_id=self.ref.client_id,
        )

    def _kept(self, _doc: object) -> None:
        """Show the draft as kept after a choice on the conflict strip."""
        loaded = document_service.load_draft(
            self.ctx.repos, draft_key(self.ref.record_type, self.ref.record_id)
        )
        self.draft_revision = loaded.revision
        self.text.blockSignals(True)
        self.text.setPlainText(loaded.value if isinstance(loaded.value, str) else "")
        self.text.blockSignals(False)

    def add(self) -> bool:
        text = self.text.toPlainText().strip()
        if not text:
            self.error.setText("Write the addendum first: it cannot be empty.")
            self.error.show()
            return False
        self.autosaver.flush()  # the draft is safe should the add fail
        try:
            stored = addendum_service.add_addendum(
                self.ctx.repos, self.ref.record_type, self.ref.record_id, text, self.ref.client_id
            )
        except VaultError as exc:
            self.error.setText(f"Not added: {exc.message}")
            self.error.show()
            return False
        self.added.emit(stored)
        self.accept()
        return True

    def reject(self) -> None:
        """Cancel (or Escape): a written draft is kept only if the user says so."""
        if self.text.toPlainText().strip():
            answer = QMessageBox.question(
                self,
                self.ctx.title("Keep the draft?"),
                "Keep this addendum as a draft to finish later?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
                QMessageBox.StandardButton.Yes,
            )
            if answer == QMessageBox.StandardButton.Discard:
                self.text.clear()
            self.autosaver.touch()
        self.autosaver.flush()
        super().reject()


class AddendaPanel(QWidget):
    """A record's signature line, its addenda (oldest first) and "Add addendum…"."""

    added = Signal(object)  # the new Addendum

    def __init__(
        self,
        ctx: AppContext,
        record_type: str,
        record_id: int,
        client_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.record_type = record_type
        self.record_id = record_id
        self.client_id = client_id
        self.ref: RecordRef | None = None
        self.dialog: AddendumDialog | None = None
        self.setObjectName("addendaPanel")
        self.signature = QLabel()
        self.signature.setWordWrap(True)
        self.signature.setAccessibleName("Signature")
        self.heading = QLabel("Addenda")
        set_role(self.heading, "heading")
        self.items = QVBoxLayout()
        self.items.setSpacing(6)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        set_role(self.empty, "empty")
        self.add_button = QPushButton("Add a&ddendum…")
        self.add_button.setAccessibleName("Add an addendum to this record")
        self.add_button.clicked.connect(self.open_add)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.signature)
        layout.addWidget(self.heading)
        layout.addLayout(self.items)
        layout.addWidget(self.empty)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.refresh()

    def addenda(self) -> list[Addendum]:
        return addendum_service.addenda_for(self.ctx.repos, self.record_type, self.record_id)

    def refresh(self) -> None:
        try:
            self.ref = load_ref(self.ctx.repos, self.record_type, self.record_id)
        except RecordNotFound:
            self.ref = None
        signed = self.ref is not None and self.ref.signed
        self.signature.setText(signature_line(self.ref) if self.ref else "This record is gone.")
        set_role(self.signature, "ok" if signed else "warning")
        while self.items.count():
            item = self.items.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        addenda = self.addenda()
        for number, addendum in enumerate(addenda, 1):
            self.items.addWidget(self._card(number, addendum))
        self.empty.setVisible(not addenda)
        self.empty.setText(
            "No addenda. What is learned after signing is added here, dated and with your "
            "name; the signed original stays as it is."
            if signed
            else "Addenda are for signed records. This one is not signed yet, so it can still "
            "be corrected where it was written."
        )
        self.add_button.setEnabled(signed)

    @staticmethod
    def _card(number: int, addendum: Addendum) -> QFrame:
        card = QFrame()
        card.setProperty("role", "card")
        card.setObjectName("addendum")
        box = QVBoxLayout(card)
        head = QLabel(addendum_heading(number, addendum))
        head.setWordWrap(True)
        set_role(head, "hint")
        body = QLabel(addendum.text)
        body.setWordWrap(True)
        body.setTextFormat(Qt.TextFormat.PlainText)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(head)
        box.addWidget(body)
        return card

    def open_add(self) -> AddendumDialog | None:
        if self.ref is None or not self.ref.signed:
            return None
        dialog = AddendumDialog(self.ctx, self.ref, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.added.connect(self._added)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _added(self, addendum: Addendum) -> None:
        self.refresh()
        self.ctx.notify("Addendum added under the signed record.", 4000)
        self.added.emit(addendum)
