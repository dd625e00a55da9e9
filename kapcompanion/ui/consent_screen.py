"""Signing a consent in the room: the therapist prepares, the client reads and signs, the
therapist countersigns.

The screen is meant to be handed over: it opens full screen (F11 toggles), the text is large,
and the pad is large enough for a finger. Three pages, each reachable from the keyboard
except the drawing itself:

1. *Prepare* (therapist): which consent, and its values (route, dose band, recipient...).
2. *Read and sign* (client): the exact text that will be stored, the pad and the typed name;
   "I agree and sign" stores it (``services.consent.sign_by_client``).
3. *Countersign* (therapist): optionally a witness signs on a second pad; "Countersign…"
   asks for the passphrase or PIN (the ordinary signing dialog, with its failure count)
   and locks the consent (``services.consent.countersign``).

Closing before the countersignature keeps the client's signature; the consent then shows
as waiting for the countersignature and this screen reopens at page 3.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.consent import ConsentField, ConsentTemplate, Signature, text_blocks
from kapcompanion.export.describe import fmt_datetime
from kapcompanion.services import consent as svc
from kapcompanion.services.members import check_signing_credential as check_credential
from kapcompanion.services.records import load_ref
from kapcompanion.store.errors import VaultError
from kapcompanion.ui import signing
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.signing import SignDialog
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.signature_pad import SignatureField

READ_PT = 15.0  # the consent text, for reading at arm's length


def consent_html(text: str) -> str:
    """The rendered consent as simple HTML for the reading pane (escaped)."""
    parts = []
    for index, (heading, block) in enumerate(text_blocks(text)):
        tag = "h2" if index == 0 else ("h3" if heading else "p")
        parts.append(f"<{tag}>{html.escape(block)}</{tag}>")
    return "\n".join(parts)


class CountersignDialog(SignDialog):
    """The ordinary signing dialog (passphrase or PIN, failures counted and audited), whose
    signature is the consent's countersignature with the witness, if any."""

    def __init__(
        self,
        ctx: AppContext,
        doc_id: int,
        witness: tuple[Signature, bytes] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, load_ref(ctx.repos, "consent", doc_id), parent)
        self.doc_id = doc_id
        self.witness = witness
        self.setWindowTitle(ctx.title("Countersign the consent"))

    def try_sign(self) -> bool:
        if self.result_ref is not None:
            return True
        signer = self.signer.text().strip()
        if not signer:
            self._refuse("Enter your name as it should appear under the consent.")
            self.signer.setFocus()
            return False
        entry = self.credential.text()
        self.credential.clear()
        if not entry or not check_credential(self.ctx.vault, entry):
            return self._wrong(bool(entry))
        signing._failures.pop(self.ctx.vault, None)
        sig, png = self.witness if self.witness else (None, None)
        try:
            svc.countersign(self.ctx.repos, self.doc_id, signer, witness=sig, witness_png=png)
            self.result_ref = load_ref(self.ctx.repos, "consent", self.doc_id)
        except VaultError as exc:
            self._refuse(f"{exc.message} Nothing was signed.")
            return False
        self.signed.emit(self.result_ref)
        self.accept()
        return True


class _FieldInput(QWidget):
    """One template field: a drop-down for fixed choices, a line of text otherwise."""

    def __init__(self, f: ConsentField) -> None:
        super().__init__()
        self.field = f
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo: QComboBox | None = None
        self.line: QLineEdit | None = None
        if f.choices():
            self.combo = QComboBox()
            self.combo.addItem("(choose)", "")
            for value, label in f.choices():
                self.combo.addItem(label, value)
            self.combo.setAccessibleName(f.label)
            layout.addWidget(self.combo)
        else:
            self.line = QLineEdit()
            self.line.setAccessibleName(f.label)
            self.line.setPlaceholderText(f.help)
            layout.addWidget(self.line)
        if f.help:
            self.setToolTip(f.help)

    def focus_target(self) -> QWidget:
        return self.combo if self.combo is not None else self.line  # type: ignore[return-value]

    def value(self) -> str:
        if self.combo is not None:
            return str(self.combo.currentData() or "")
        return self.line.text().strip() if self.line is not None else ""


class ConsentScreen(QDialog):
    """The three pages described in the module docstring."""

    signed = Signal(int)  # the consent's document id, after the client signed
    countersigned = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        template_id: str | None = None,
        *,
        session_id: int | None = None,
        resume_doc: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.session_id = session_id
        self.doc_id: int | None = resume_doc
        self.client = ctx.repos.clients.get(client_id)
        self.templates = svc.current_templates(ctx.vault)
        self.shown_text = ""
        self.setObjectName("consentScreen")
        self.setWindowTitle(ctx.title(f"Consent: {self.client.name or self.client.pseudonym}"))
        self.pages = QStackedWidget()
        self.pages.addWidget(self._prepare_page(template_id))
        self.pages.addWidget(self._client_page())
        self.pages.addWidget(self._countersign_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(self.pages)
        full = QShortcut(QKeySequence(Qt.Key.Key_F11), self)
        full.activated.connect(self.toggle_full_screen)
        ctx.signals.about_to_lock.connect(self.reject)
        if resume_doc is not None:
            self._show_countersign()

    # ----------------------------------------------------------------- page 1: prepare
    def _prepare_page(self, template_id: str | None) -> QWidget:
        page = QWidget()
        title = QLabel("Prepare the consent")
        set_role(title, "title")
        intro = QLabel(
            "Choose the consent and fill in what it covers, then hand the screen to the client. "
            "The client reads the exact text that will be kept, and signs it."
        )
        intro.setWordWrap(True)
        self.which = QComboBox()
        self.which.setAccessibleName("Consent document")
        for t in self.templates:
            self.which.addItem(f"{t.title} (version {t.version})", t.id)
        if template_id is not None:
            self.which.setCurrentIndex(max(0, self.which.findData(template_id)))
        self.which.currentIndexChanged.connect(self._build_fields)
        which_label = QLabel("&Consent:")
        which_label.setBuddy(self.which)
        top = QFormLayout()
        top.addRow(which_label, self.which)
        self.fields_form = QFormLayout()
        self.inputs: list[_FieldInput] = []
        self.prepare_error = QLabel()
        self.prepare_error.setWordWrap(True)
        set_role(self.prepare_error, "error")
        self.prepare_error.hide()
        self.to_client = QPushButton("Show to the &client ▸")
        self.to_client.setProperty("primary", True)
        self.to_client.setDefault(True)
        self.to_client.clicked.connect(self.show_to_client)
        cancel = QPushButton("Close")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.to_client)
        layout = QVBoxLayout(page)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addLayout(self.fields_form)
        layout.addWidget(self.prepare_error)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._build_fields()
        return page

    def template(self) -> ConsentTemplate:
        chosen = self.which.currentData()
        return next(t for t in self.templates if t.id == chosen)

    def _build_fields(self) -> None:
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.inputs = []
        if not self.templates:
            return
        for f in self.template().fields:
            widget = _FieldInput(f)
            label = QLabel(f"{f.label}:")
            label.setBuddy(widget.focus_target())
            label.setWordWrap(True)
            self.fields_form.addRow(label, widget)
            self.inputs.append(widget)

    def values(self) -> dict[str, str]:
        return {w.field.key: w.value() for w in self.inputs}

    def show_to_client(self) -> bool:
        if not self.templates:
            return False
        try:
            self.shown_text = svc.text_for(
                self.ctx.repos, self.client_id, self.template(), self.values()
            )
        except VaultError as exc:
            self.prepare_error.setText(exc.message)
            self.prepare_error.show()
            return False
        self.prepare_error.hide()
        self.reading.setHtml(consent_html(self.shown_text))
        self.client_sig.reset()
        self.client_sig.name.setText(self.client.name)
        self.client_error.hide()
        self.pages.setCurrentIndex(1)
        self.reading.setFocus()
        return True

    # ----------------------------------------------------------------- page 2: the client
    def _client_page(self) -> QWidget:
        page = QWidget()
        hint = QLabel(
            "Please read this carefully. Scroll with a finger or the arrow keys. "
            "Ask your therapist about anything that is unclear."
        )
        hint.setWordWrap(True)
        set_role(hint, "hint")
        self.reading = QTextBrowser()
        self.reading.setObjectName("consentText")
        self.reading.setAccessibleName("Consent text")
        font = QFont(self.font())
        font.setPointSizeF(READ_PT)
        self.reading.setFont(font)
        self.reading.setOpenLinks(False)
        self.client_sig = SignatureField("the client")
        self.client_error = QLabel()
        self.client_error.setWordWrap(True)
        set_role(self.client_error, "error")
        self.client_error.hide()
        back = QPushButton("◂ &Back to the therapist")
        back.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.sign_button = QPushButton("I agree and &sign")
        self.sign_button.setProperty("primary", True)
        self.sign_button.setMinimumHeight(44)
        self.sign_button.clicked.connect(self.client_signs)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_button)
        layout = QVBoxLayout(page)
        layout.setSpacing(8)
        layout.addWidget(hint)
        layout.addWidget(self.reading, 3)
        layout.addWidget(self.client_sig, 2)
        layout.addWidget(self.client_error)
        layout.addLayout(buttons)
        return page

    def client_signs(self) -> bool:
        signature = self.client_sig.signature("client")
        try:
            doc = svc.sign_by_client(
                self.ctx.repos,
                self.client_id,
                self.template().id,
                self.values(),
                signature,
                self.client_sig.png(),
                shown_text=self.shown_text,
                session_id=self.session_id,
            )
        except VaultError as exc:
            self.client_error.setText(exc.message)
            self.client_error.show()
            return False
        assert doc.id is not None
        self.doc_id = doc.id
        self.signed.emit(doc.id)
        self._show_countersign()
        return True

    # ----------------------------------------------------------------- page 3: countersign
    def _countersign_page(self) -> QWidget:
        page = QWidget()
        title = QLabel("Thank you. Please hand the screen back to your therapist.")
        set_role(title, "title")
        title.setWordWrap(True)
        self.signed_line = QLabel()
        self.signed_line.setWordWrap(True)
        self.with_witness = QCheckBox("A &witness signs too")
        self.witness_sig = SignatureField("the witness")
        self.witness_sig.setVisible(False)
        self.with_witness.toggled.connect(self.witness_sig.setVisible)
        self.counter_error = QLabel()
        self.counter_error.setWordWrap(True)
        set_role(self.counter_error, "error")
        self.counter_error.hide()
        self.later = QPushButton("Countersign &later")
        self.later.clicked.connect(self.reject)
        self.counter_button = QPushButton("&Countersign…")
        self.counter_button.setProperty("primary", True)
        self.counter_button.clicked.connect(self.countersign)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.later)
        buttons.addWidget(self.counter_button)
        layout = QVBoxLayout(page)
        layout.addWidget(title)
        layout.addWidget(self.signed_line)
        layout.addWidget(self.with_witness)
        layout.addWidget(self.witness_sig, 1)
        layout.addWidget(self.counter_error)
        layout.addStretch(0)
        layout.addLayout(buttons)
        return page

    def _show_countersign(self) -> None:
        assert self.doc_id is not None
        view = svc.consent_view(self.ctx.repos, self.doc_id)
        rec = view.record
        self.signed_line.setText(
            f"{rec.client.name} signed “{rec.title}” (version {rec.template_version}) on "
            f"{fmt_datetime(rec.client.utc, None)}. Countersign it with your passphrase or PIN "
            "to lock it. A witness, if there is one, signs below first."
        )
        self.pages.setCurrentIndex(2)
        self.counter_button.setFocus()

    def countersign(self) -> bool:
        if self.doc_id is None:
            return False
        witness: tuple[Signature, bytes] | None = None
        if self.with_witness.isChecked():
            witness = (self.witness_sig.signature("witness"), self.witness_sig.png())
        dialog = CountersignDialog(self.ctx, self.doc_id, witness, self)
        done: list[object] = []
        dialog.signed.connect(done.append)
        dialog.exec()
        dialog.deleteLater()
        if done:
            self.countersigned.emit(self.doc_id)
            self.accept()
            return True
        return False

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()


def open_consent_screen(
    ctx: AppContext,
    client_id: int,
    template_id: str | None = None,
    *,
    session_id: int | None = None,
    resume_doc: int | None = None,
    parent: QWidget | None = None,
    full_screen: bool = True,
) -> ConsentScreen:
    """Open the screen without blocking (full screen unless told otherwise)."""
    screen = ConsentScreen(
        ctx, client_id, template_id, session_id=session_id, resume_doc=resume_doc, parent=parent
    )
    screen.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if full_screen:
        screen.showFullScreen()
    else:
        screen.show()
    return screen
