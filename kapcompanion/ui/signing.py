"""Signing a record: show what is signed, ask for the passphrase (or PIN), lock it.

A signature is the practitioner's statement that the record is complete and theirs, so
the dialog shows the record's facts first and asks for the vault passphrase again (or the
signing PIN, when one is set: ``services/members.py``). A wrong entry is refused plainly,
counted, and audited as ``sign.failed``; after :data:`MAX_FAILURES` wrong entries in one
unlock the app locks, since someone other than the practitioner may be at the keyboard.
The signature itself is written (and audited) by the store: ``Repos.documents.sign`` and
``Repos.sessions.sign``. A signed record is locked; later changes are addenda.

``sign_document(ctx, doc_id, parent)`` and ``sign_session(ctx, session_id, parent)`` block
until the dialog closes and return whether the record was signed. ``SignDialog`` itself can
be opened without blocking (``dialog.signed`` fires on success).
"""

from __future__ import annotations

import weakref

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.models import SessionStatus
from kapcompanion.services import clients as client_service
from kapcompanion.services import documents as document_service
from kapcompanion.services import session as session_service
from kapcompanion.services import signing as signing_service
from kapcompanion.services.members import check_signing_credential as check_credential
from kapcompanion.services.members import has_signing_pin as has_pin
from kapcompanion.services.records import RecordRef, load_ref
from kapcompanion.store.errors import RecordNotFound, VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.passphrase import PassphraseEdit

#: wrong passphrases or PINs in one unlock before the app locks itself
MAX_FAILURES = 5
#: per open vault (weak: a closed vault's count goes with it)
_failures: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()

STATEMENT = (
    "Signing makes this record final: it can no longer be edited. Anything added later is "
    "written as a dated addendum under it, and the signed original stays as it is."
)


def failures(vault: object) -> int:
    """Wrong signing entries since this vault was unlocked."""
    return _failures.get(vault, 0)


class SignDialog(QDialog):
    """Sign one record (see the module docstring)."""

    signed = Signal(object)  # the new RecordRef, after the store committed the signature

    def __init__(self, ctx: AppContext, ref: RecordRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ref = ref
        self.result_ref: RecordRef | None = None
        self.uses_pin = has_pin(ctx.vault)
        self.setWindowTitle(ctx.title(f"Sign: {ref.title}"))
        self.setObjectName("signDialog")
        self.setMinimumWidth(560)

        heading = QLabel("You are signing")
        set_role(heading, "heading")
        box = QFrame()
        box.setProperty("role", "card")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(4)
        try:
            client = client_service.get(ctx.repos, ref.client_id)
            who = client.name or client.pseudonym
        except RecordNotFound:
            who = ""
        rows = [("Client", who), ("Record", ref.title), ("Date", ref.when_text())]
        rows += [fact for fact in ref.facts if fact[0] != "Record"]
        for label, value in rows:
            if value:
                shown = QLabel(value)
                # a short value on one line (a wrapped label in a form row can be given less
                # height than its text needs, cutting it); a long one wraps, whole
                shown.setWordWrap(len(value) > 48)
                shown.setMinimumHeight(shown.sizeHint().height())
                shown.setToolTip(value)
                shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                name = QLabel(f"{label}:")
                name.setMinimumHeight(name.sizeHint().height())
                form.addRow(name, shown)
        statement = QLabel(STATEMENT)
        statement.setWordWrap(True)

        self.signer = QLineEdit(ctx.vault.who)
        self.signer.setAccessibleName("Signed by")
        self.signer.setPlaceholderText("Your name as it appears on the record")
        self.signer.setReadOnly(bool(ctx.vault.who))
        what = "signing PIN" if self.uses_pin else "vault passphrase"
        self.credential = PassphraseEdit("Signing PIN" if self.uses_pin else "Vault passphrase")
        self.credential.returnPressed.connect(self.try_sign)
        ask = QLabel(f"To sign, enter your {what} again:")
        ask.setWordWrap(True)
        ask.setBuddy(self.credential.edit)
        signer_form = QFormLayout()
        signer_form.addRow("Signed by:", self.signer)
        signer_form.addRow(ask)
        signer_form.addRow(f"{what.capitalize()}:", self.credential)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Signing problem")
        set_role(self.error, "error")
        # a reserved place: a refusal appearing must not squeeze the rows above it
        self.error.setMinimumHeight(self.error.fontMetrics().lineSpacing() * 2 + 4)
        self.error.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.buttons = QDialogButtonBox()
        self.sign_button = QPushButton("&Sign and lock")
        self.sign_button.setProperty("primary", True)
        self.sign_button.setAccessibleName("Sign and lock the record")
        self.sign_button.setDefault(True)
        self.buttons.addButton(self.sign_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button.clicked.connect(self.try_sign)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(box)
        layout.addWidget(statement)
        layout.addLayout(signer_form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        ctx.signals.about_to_lock.connect(self.reject)
        self.credential.setFocus()
        if not ctx.vault.who:
            self.signer.setFocus()

    def _refuse(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def try_sign(self) -> bool:
        """Check the entry, then sign; True when the store committed the signature."""
        if self.result_ref is not None:
            return True
        signer = self.signer.text().strip()
        if not signer:
            self._refuse("Enter your name as it should appear under the record.")
            self.signer.setFocus()
            return False
        entry = self.credential.text()
        self.credential.clear()
        vault = self.ctx.vault
        if not entry or not check_credential(vault, entry):
            return self._wrong(bool(entry))
        _failures.pop(vault, None)
        try:
            signing_service.sign_record(
                self.ctx.repos, self.ref.record_type, self.ref.record_id, signer
            )
            self.result_ref = load_ref(self.ctx.repos, self.ref.record_type, self.ref.record_id)
        except VaultError as exc:  # already signed elsewhere, not ended, disk full...
            self._refuse(f"{exc.message} Nothing was signed.")
            return False
        self.signed.emit(self.result_ref)
        self.accept()
        return True

    def _wrong(self, typed: bool) -> bool:
        what = "PIN" if self.uses_pin else "passphrase"
        if not typed:
            self._refuse(f"Enter your {what} to sign.")
            self.credential.setFocus()
            return False
        vault = self.ctx.vault
        count = _failures.get(vault, 0) + 1
        _failures[vault] = count
        signing_service.record_wrong_entry(
            self.ctx.repos,
            self.ref.record_type,
            self.ref.record_id,
            self.ref.client_id,
            what=what,
            count=count,
            most=MAX_FAILURES,
        )
        if count >= MAX_FAILURES:
            _failures.pop(vault, None)
            self.reject()
            # after this dialog's own event loop has returned (sign_* may be blocking in it)
            QTimer.singleShot(0, self.ctx.lock_requested)
            return False
        left = MAX_FAILURES - count
        self._refuse(
            f"That is not your {what}. Nothing was signed. "
            f"{left} more wrong {'entry locks' if left == 1 else 'entries lock'} the app."
        )
        self.credential.setFocus()
        return False


def _run(ctx: AppContext, ref: RecordRef, parent: QWidget | None) -> bool:
    if ref.signed:
        QMessageBox.information(
            parent, ctx.title("Already signed"), "This record is already signed."
        )
        return False
    dialog = SignDialog(ctx, ref, parent)
    done: list[RecordRef] = []
    dialog.signed.connect(done.append)
    dialog.exec()
    if shiboken6.isValid(dialog):  # a lock meanwhile destroys it with the workspace
        dialog.deleteLater()
    return bool(done)


def sign_document(ctx: AppContext, doc_id: int, parent: QWidget | None = None) -> bool:
    """Ask for the passphrase (or PIN) and sign a document; True when it was signed."""
    doc = document_service.get(ctx.repos, doc_id)
    return _run(ctx, load_ref(ctx.repos, doc.kind, doc_id), parent)


def sign_session(ctx: AppContext, session_id: int, parent: QWidget | None = None) -> bool:
    """The same for an ended session's record (one not ended yet cannot be signed)."""
    session = session_service.get_session(ctx.repos, session_id)
    if session.status is not SessionStatus.ENDED:
        QMessageBox.information(
            parent,
            ctx.title("Not ended yet"),
            "A session record can be signed once the session has ended with its discharge.",
        )
        return False
    return _run(ctx, load_ref(ctx.repos, "session", session_id, with_counts=True), parent)
