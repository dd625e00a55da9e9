"""The client's Consent tab: what is signed and current, signing in the room, withdrawal.

The top line says whether every required consent is signed and current (the same answer the
readiness gate gets from ``services.consent.consent_status``). The list shows each consent
the clinic asks for with its state; a withdrawn consent says so, with its date, on every
later visit. Buttons, all with keyboard mnemonics: sign with the client (the full-screen
``ui/consent_screen.py``), countersign a consent the client signed, withdraw (a reason of
substance, recorded and signed; the consent itself stays), export the PDF, and edit the
clinic's wording (a new version; consents already signed keep their text).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.consent import (
    ConsentState,
    ConsentStatus,
    ConsentSummary,
    editable_text,
)
from kapcompanion.core.reasons import REASON_RULE
from kapcompanion.export.consent_pdf import export_consent_pdf
from kapcompanion.export.describe import fmt_datetime
from kapcompanion.export.errors import ExportError
from kapcompanion.services import consent as svc
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.consent_screen import open_consent_screen
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role

KEY = Qt.ItemDataRole.UserRole


class WithdrawDialog(QDialog):
    """The client withdraws a consent: the reason in a sentence, recorded now."""

    def __init__(self, ctx: AppContext, doc_id: int, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.doc_id = doc_id
        self.setWindowTitle(ctx.title("Withdraw consent"))
        self.setMinimumWidth(520)
        intro = QLabel(
            f"Record that the client withdraws “{title}”. The signed consent stays in the "
            "record; the withdrawal is dated now, signed by you and shown on every later "
            "screen. If a dose was already given today, no further dose is given and the client "
            "is monitored until safe to go home."
        )
        intro.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for the withdrawal")
        self.reason.setPlaceholderText(
            "In the client's words where possible, or: the client did not give a reason."
        )
        self.reason.setTabChangesFocus(True)
        label = QLabel("&Reason:")
        label.setBuddy(self.reason)
        rule = QLabel(REASON_RULE)
        rule.setWordWrap(True)
        set_role(rule, "hint")
        self.error = QLabel()
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        buttons = QDialogButtonBox()
        self.record_button = QPushButton("Record the &withdrawal")
        self.record_button.setProperty("primary", True)
        buttons.addButton(self.record_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.record_button.clicked.connect(self.record)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        layout.addWidget(rule)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        ctx.signals.about_to_lock.connect(self.reject)

    def record(self) -> bool:
        try:
            svc.withdraw(self.ctx.repos, self.doc_id, self.reason.toPlainText())
        except VaultError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.reason.setFocus()
            return False
        self.accept()
        return True


class EditWordingDialog(QDialog):
    """The clinic's wording of one consent, saved as its next version."""

    def __init__(self, ctx: AppContext, template_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.template = svc.current_template(ctx.vault, template_id)
        t = self.template
        self.setWindowTitle(ctx.title(f"Edit consent wording: {t.title}"))
        self.resize(900, 640)
        intro = QLabel(
            f"Version {t.version}. Saving makes version {t.version + 1}; consents already "
            "signed keep the exact text they were signed with, and clients are asked to sign "
            "the new version at their next session. A blank line separates paragraphs; a "
            "paragraph starting with ## is a heading. Placeholders: "
            + ", ".join(
                "{" + k + "}" for k in [*(f.key for f in t.fields), "client_name", "clinic"]
            )
            + "."
        )
        intro.setWordWrap(True)
        self.title_edit = QLineEdit(t.title)
        self.text = QPlainTextEdit(editable_text(t))
        self.text.setAccessibleName("Consent text")
        self.text.setTabChangesFocus(True)
        self.required = QCheckBox("&Required before a dosing session")
        self.required.setChecked(t.required)
        form = QFormLayout()
        title_label = QLabel("&Title:")
        title_label.setBuddy(self.title_edit)
        form.addRow(title_label, self.title_edit)
        text_label = QLabel("Te&xt:")
        text_label.setBuddy(self.text)
        self.error = QLabel()
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        buttons = QDialogButtonBox()
        save = QPushButton(f"&Save as version {t.version + 1}")
        save.setProperty("primary", True)
        buttons.addButton(save, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        save.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(text_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.required)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        ctx.signals.about_to_lock.connect(self.reject)

    def save(self) -> bool:
        try:
            svc.edit_template(
                self.ctx.vault,
                self.template.id,
                title=self.title_edit.text(),
                text=self.text.toPlainText(),
                required=self.required.isChecked(),
            )
        except VaultError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return False
        self.accept()
        return True


def short_summary(summary: ConsentSummary) -> str:
    """One line for the top of the tab; each consent's own state is in the list below."""
    if summary.ready:
        return "Every required consent is signed and current."
    missing = summary.missing
    withdrawn = [s for s in missing if s.state is ConsentState.WITHDRAWN]
    text = (
        f"Not complete: {len(missing)} of {sum(1 for s in summary.statuses if s.required)} "
        "required consents are not signed and current."
    )
    if withdrawn:
        text += " Withdrawn: " + "; ".join(s.title for s in withdrawn) + "."
    return text


class ConsentSection(QWidget):
    """The tab (see the module docstring)."""

    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.setObjectName("consentSection")
        heading = QLabel("Consent")
        set_role(heading, "heading")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Consent summary")
        # a tab page does not pass height-for-width down: keep room for two lines
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 2 + 6)
        self.list = QListWidget()
        self.list.setAccessibleName("Consents the clinic asks for")
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(self._enable)
        self.history = QListWidget()
        self.history.setAccessibleName("Signed consents and withdrawals")
        self.history.setWordWrap(True)
        self.sign_button = QPushButton("&Sign with the client…")
        self.counter_button = QPushButton("C&ountersign…")
        self.withdraw_button = QPushButton("&Withdraw…")
        self.pdf_button = QPushButton("Export &PDF…")
        self.edit_button = QPushButton("Edit &wording…")
        self.sign_button.setProperty("primary", True)
        self.sign_button.clicked.connect(self.sign)
        self.counter_button.clicked.connect(self.countersign)
        self.withdraw_button.clicked.connect(self.withdraw)
        self.pdf_button.clicked.connect(self.export_pdf)
        self.edit_button.clicked.connect(self.edit_wording)
        buttons = QHBoxLayout()
        for b in (
            self.sign_button,
            self.counter_button,
            self.withdraw_button,
            self.pdf_button,
            self.edit_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        history_label = QLabel("&History:")
        history_label.setBuddy(self.history)
        list_label = QLabel("Co&nsents:")
        list_label.setBuddy(self.list)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.summary)
        layout.addWidget(list_label)
        layout.addWidget(self.list, 2)
        layout.addLayout(buttons)
        layout.addWidget(history_label)
        layout.addWidget(self.history, 1)
        self.statuses: list[ConsentStatus] = []
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reload()

    def reload(self) -> None:
        summary = svc.consent_status(self.ctx.repos, self.client_id)
        self.statuses = list(summary.statuses)
        self.summary.setText(short_summary(summary))
        set_role(self.summary, "ok" if summary.ready else "warning")
        row = max(self.list.currentRow(), 0)
        self.list.clear()
        for status in self.statuses:
            need = "" if status.required else " (when needed)"
            item = QListWidgetItem(f"{status.describe()}{need}")
            item.setData(KEY, status.template_id)
            self.list.addItem(item)
        if self.statuses:
            self.list.setCurrentRow(min(row, len(self.statuses) - 1))
        self.history.clear()
        for signed in reversed(svc.signed_consents(self.ctx.repos, self.client_id)):
            rec = signed.record
            line = (
                f"{rec.title}, version {rec.template_version}: signed by {rec.client.name} "
                f"{fmt_datetime(rec.client.utc, None)}"
            )
            if rec.countersigned_utc is not None:
                line += f"; countersigned by {rec.countersigned_by}"
            else:
                line += "; waiting for the countersignature"
            if rec.witness is not None:
                line += f"; witness {rec.witnessed_by}"
            if signed.withdrawal is not None:
                line += (
                    f". WITHDRAWN {fmt_datetime(signed.withdrawal.withdrawn_utc, None)}: "
                    f"{signed.withdrawal.reason}"
                )
            item = QListWidgetItem(line)
            item.setData(KEY, signed.document_id)
            self.history.addItem(item)
        self._enable()

    def current(self) -> ConsentStatus | None:
        row = self.list.currentRow()
        return self.statuses[row] if 0 <= row < len(self.statuses) else None

    def _enable(self, *_args: object) -> None:
        status = self.current()
        has_doc = status is not None and status.document_id is not None
        state = status.state if status is not None else None
        self.sign_button.setEnabled(status is not None)
        self.counter_button.setEnabled(state is ConsentState.AWAITING_COUNTERSIGNATURE)
        self.withdraw_button.setEnabled(has_doc and state is not ConsentState.WITHDRAWN)
        self.pdf_button.setEnabled(has_doc)
        self.edit_button.setEnabled(status is not None)

    def sign(self) -> None:
        status = self.current()
        screen = open_consent_screen(
            self.ctx, self.client_id, status.template_id if status else None, parent=self
        )
        screen.finished.connect(lambda _r: self.reload())

    def countersign(self) -> None:
        status = self.current()
        if status is None or status.document_id is None:
            return
        screen = open_consent_screen(
            self.ctx, self.client_id, resume_doc=status.document_id, parent=self
        )
        screen.finished.connect(lambda _r: self.reload())

    def withdraw(self) -> None:
        status = self.current()
        if status is None or status.document_id is None:
            return
        dialog = WithdrawDialog(self.ctx, status.document_id, status.title, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: self.reload())
        dialog.open()

    def edit_wording(self) -> None:
        status = self.current()
        if status is None:
            return
        dialog = EditWordingDialog(self.ctx, status.template_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: self.reload())
        dialog.open()

    def export_pdf(self) -> None:
        status = self.current()
        if status is None or status.document_id is None:
            return
        target, _ = QFileDialog.getSaveFileName(
            self,
            self.ctx.title("Save the consent PDF"),
            str(Path.home() / f"consent-{status.template_id}-v{status.signed_version}.pdf"),
            "PDF (*.pdf)",
        )
        if not target:
            return
        self.write_pdf(status.document_id, Path(target))

    def write_pdf(self, doc_id: int, target: Path) -> bool:
        try:
            export_consent_pdf(self.ctx.repos, doc_id, target)
        except (ExportError, VaultError) as exc:
            QMessageBox.warning(self, self.ctx.title("Consent PDF"), str(exc))
            return False
        self.ctx.notify(f"Consent PDF saved as {target.name}.", 5000)
        return True


def create_section(ctx: AppContext, client_id: int) -> QWidget:
    return ConsentSection(ctx, client_id)
