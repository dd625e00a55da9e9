"""Signing a consent in the room: the therapist prepares, the client reads and signs, the
therapist countersigns.

The screen is meant to be handed over: it opens full screen (F11 toggles), the text is large,
and the pad is large enough for a finger. Three pages, each reachable from the keyboard
except the drawing itself:

1. *Prepare* (therapist): which consent, and its values (route, dose band, recipient...).
2. *Read and sign* (client): the exact text that will be stored, the pad and the typed name;
   "I agree and sign" stores it (``services.consent.sign_by_client``).
3. *Countersign* (therapist): the practice member who countersigns is chosen (the vault's
   practitioner by default, or a second clinician in the room) and types their own PIN (the
   vault's practitioner without a PIN: the vault passphrase); optionally a witness, a second
   practice member, signs on a second pad and types their own PIN. "Countersign and lock"
   locks the consent (``services.consent.countersign``). Wrong PINs are counted as wrong
   signing entries are, and lock the app after ``signing.MAX_FAILURES``.

Closing before the countersignature keeps the client's signature; the consent then shows
as waiting for the countersignature and this screen reopens at page 3.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
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
from kapcompanion.core.members import PROFILE_ID, Member
from kapcompanion.export.describe import fmt_datetime
from kapcompanion.services import clients as client_service
from kapcompanion.services import consent as svc
from kapcompanion.services import members as practice
from kapcompanion.store.errors import VaultError
from kapcompanion.ui import signing
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.member_pin import MemberPinField
from kapcompanion.ui.widgets.signature_pad import SignatureField

READ_PT = 15.0  # the consent text, for reading at arm's length
FIELD_WIDTH = 560  # the member pickers and PIN fields on the countersign page


def consent_html(text: str) -> str:
    """The rendered consent as simple HTML for the reading pane (escaped)."""
    parts = []
    for index, (heading, block) in enumerate(text_blocks(text)):
        tag = "h2" if index == 0 else ("h3" if heading else "p")
        parts.append(f"<{tag}>{html.escape(block)}</{tag}>")
    return "\n".join(parts)


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
        self.client = client_service.get(ctx.repos, client_id)
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
        everyone = practice.members(self.ctx.vault)
        who_form = QFormLayout()
        who_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.counter = MemberPinField(
            "Countersigner",
            everyone,
            who_form,
            page,
            empty_text="",
        )
        self.counter_pin_label = who_form.labelForField(self.counter.pin)
        mine = next((m for m in everyone if m.name == self.ctx.vault.who), None)
        self.counter.choose(mine.id if mine else PROFILE_ID)
        member_label = who_form.labelForField(self.counter.choice)
        if isinstance(member_label, QLabel):
            member_label.setText("Countersigned &by (a practice member):")
        self.counter.choice.setAccessibleName("Countersigned by")
        self.counter.choice.currentIndexChanged.connect(self._counter_chosen)
        self.counter.pin.returnPressed.connect(self.countersign)
        statement = QLabel(
            f"{signing.STATEMENT} The countersigner's name and credential are kept with the "
            "consent; a second clinician in the room can countersign with their own PIN."
        )
        statement.setWordWrap(True)
        set_role(statement, "hint")
        self.with_witness = QCheckBox("A &witness signs too")
        self.witness_box = QWidget()
        witness_form = QFormLayout(self.witness_box)
        witness_form.setContentsMargins(0, 0, 0, 0)
        witness_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.everyone = everyone
        self.witness = MemberPinField(
            "Witness",
            [],
            witness_form,
            self.witness_box,
            empty_text=practice.no_second_member(self.ctx.vault),
        )
        label = witness_form.labelForField(self.witness.choice)
        if isinstance(label, QLabel):
            label.setText("Wi&tness (a practice member):")
        self.witness_pin_label = witness_form.labelForField(self.witness.pin)
        # one label column for both forms, and fields of a readable width (not the screen's)
        labels = [
            form.labelForField(field)
            for form, field in (
                (who_form, self.counter.choice),
                (who_form, self.counter.pin),
                (witness_form, self.witness.choice),
                (witness_form, self.witness.pin),
            )
        ]
        shown = [w for w in labels if isinstance(w, QLabel)]
        column = max(w.sizeHint().width() for w in shown) + 24  # room for a longer name
        for w in shown:
            w.setMinimumWidth(column)
        for field in (self.counter.choice, self.counter.pin, self.witness.choice, self.witness.pin):
            field.setMaximumWidth(FIELD_WIDTH)
        self.witness_sig = SignatureField("the witness")
        self.witness_sig.name.setReadOnly(True)
        self.witness_sig.name.setToolTip("The witness's name as the practice knows it")
        witness_form.addRow(self.witness_sig)
        self.witness.choice.currentIndexChanged.connect(self._witness_chosen)
        self.witness_box.setVisible(False)
        self.with_witness.toggled.connect(self.witness_box.setVisible)
        self.with_witness.toggled.connect(self._witness_chosen)
        self.counter_error = QLabel()
        self.counter_error.setWordWrap(True)
        self.counter_error.setAccessibleName("Countersigning problem")
        set_role(self.counter_error, "error")
        self.counter_error.hide()
        self.later = QPushButton("Countersign &later")
        self.later.clicked.connect(self.reject)
        self.counter_button = QPushButton("&Countersign and lock")
        self.counter_button.setProperty("primary", True)
        self.counter_button.setAccessibleName("Countersign and lock the consent")
        self.counter_button.clicked.connect(self.countersign)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.later)
        buttons.addWidget(self.counter_button)
        layout = QVBoxLayout(page)
        layout.addWidget(title)
        layout.addWidget(self.signed_line)
        layout.addLayout(who_form)
        layout.addWidget(statement)
        layout.addWidget(self.with_witness)
        layout.addWidget(self.witness_box, 1)
        layout.addWidget(self.counter_error)
        layout.addStretch(0)
        layout.addLayout(buttons)
        self._counter_chosen()
        return page

    def _counter_chosen(self) -> None:
        """The PIN row names whose PIN it is (the vault's practitioner without a PIN types
        the vault passphrase)."""
        self._offer_witnesses()
        member = self.counter.member()
        label = self.counter_pin_label
        if member is None or not isinstance(label, QLabel):
            return
        if member.profile and not practice.has_signing_pin(self.ctx.vault):
            label.setText("Vault &passphrase:")
            self.counter.pin.setAccessibleName(f"Vault passphrase ({member.name} has no PIN)")
            self.counter.pin.setPlaceholderText(f"{member.name} has no PIN: the vault passphrase")
        else:
            label.setText(f"{member.name}'s own &PIN:")
            self.counter.pin.setAccessibleName(f"{member.name}'s own PIN")
            self.counter.pin.setPlaceholderText(f"typed by {member.name}")

    def _offer_witnesses(self) -> None:
        """The witness is a second person: every current member but the countersigner."""
        counter = self.counter.member_id()
        keep = self.witness.member_id()
        others = [m for m in self.everyone if m.id != counter]
        self.witness.members = others
        self.witness.choice.blockSignals(True)
        self.witness.choice.clear()
        for m in others:
            self.witness.choice.addItem(m.title, m.id)
        self.witness.choice.blockSignals(False)
        if keep is not None:
            self.witness.choose(keep)
        self.witness.note.setVisible(not others)
        self.witness.pin.setEnabled(bool(others))
        self._witness_chosen()

    def _witness_chosen(self) -> None:
        member: Member | None = self.witness.member()
        self.witness_sig.name.setText(member.name if member else "")
        label = self.witness_pin_label
        if not isinstance(label, QLabel):
            return
        if member is not None and member.profile and not practice.has_signing_pin(self.ctx.vault):
            label.setText("Witness's pa&ssphrase:")
            self.witness.pin.setAccessibleName(f"Vault passphrase ({member.name} has no PIN)")
        else:
            label.setText("Witness's own P&IN:")
            self.witness.pin.setAccessibleName("Witness's own PIN")

    def _show_countersign(self) -> None:
        assert self.doc_id is not None
        view = svc.consent_view(self.ctx.repos, self.doc_id)
        rec = view.record
        self.signed_line.setText(
            f"{rec.client.name} signed “{rec.title}” (version {rec.template_version}) on "
            f"{fmt_datetime(rec.client.utc, None)}. Choose who countersigns; they type their "
            "own PIN to lock it. A witness, if there is one, signs below first."
        )
        self.pages.setCurrentIndex(2)
        self.counter.pin.setFocus()

    def _refuse(self, text: str) -> bool:
        self.counter_error.setText(text)
        self.counter_error.show()
        return False

    def countersign(self) -> bool:
        """Countersign as the chosen member (and witness): True when the consent is locked.
        A wrong PIN is refused plainly, counted with the app's wrong signing entries, and
        writes nothing; too many lock the app."""
        if self.doc_id is None:
            return False
        member_id = self.counter.member_id()
        if not self.counter.pin.text():
            self.counter.pin.setFocus()
            return self._refuse(
                "The countersigner types their own PIN (the vault's practitioner without a "
                "PIN: the vault passphrase) to countersign."
            )
        pin = self.counter.take_pin()
        sig: Signature | None = None
        png: bytes | None = None
        witness_id: int | None = None
        witness_pin = ""
        if self.with_witness.isChecked():
            if not self.witness.members:
                return self._refuse(self.witness.note.text())
            sig, png = self.witness_sig.signature("witness"), self.witness_sig.png()
            witness_id = self.witness.member_id()
            witness_pin = self.witness.take_pin()
        vault = self.ctx.vault
        try:
            svc.countersign(
                self.ctx.repos,
                self.doc_id,
                member_id=member_id,
                pin=pin,
                witness=sig,
                witness_png=png,
                witness_id=witness_id,
                witness_pin=witness_pin,
            )
        except practice.WrongPin as exc:
            count = signing._failures.get(vault, 0) + 1
            signing._failures[vault] = count
            if count >= signing.MAX_FAILURES:
                signing._failures.pop(vault, None)
                self.reject()
                QTimer.singleShot(0, self.ctx.lock_requested)
                return False
            left = signing.MAX_FAILURES - count
            return self._refuse(
                f"{exc.message} {left} more wrong "
                f"{'entry locks' if left == 1 else 'entries lock'} the app."
            )
        except VaultError as exc:
            return self._refuse(f"{exc.message} Nothing was signed.")
        signing._failures.pop(vault, None)
        self.counter_error.hide()
        self.countersigned.emit(self.doc_id)
        self.accept()
        return True

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
