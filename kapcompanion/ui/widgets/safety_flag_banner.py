"""Active safety flags of a client, shown wherever the client is (record, session screen).

A flag stays until a clinician resolves it with a note (``services.flags.resolve_flag``,
audited in its transaction). A suicide-risk flag also asks for a safety plan: while no
``safety_plan`` document has been written since the flag was raised, the banner says so and
offers to write one.

Changes are announced with ``ctx.signals.client_changed`` (the client's safety state is part of
the client), so every banner, the overview and the client list follow at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.measures import load_instruments
from kapcompanion.core.models import FlagKind, SafetyFlag, StoredDocument
from kapcompanion.services import documents as document_service
from kapcompanion.services import flags as flag_service
from kapcompanion.services import measures as measure_service
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role

FLAG_WORDS = {
    FlagKind.SUICIDE_RISK: "Suicide risk",
    FlagKind.SCREENING_OVERRIDE: "Screening override",
}


def flag_title(flag: SafetyFlag) -> str:
    return FLAG_WORDS.get(flag.kind, flag.kind.value.replace("_", " ").capitalize())


def has_safety_plan_since(ctx: AppContext, flag: SafetyFlag) -> bool:
    return flag_service.has_safety_plan_since(ctx.repos, flag)


def source_date(ctx: AppContext, flag: SafetyFlag) -> datetime | None:
    """When the answer behind a questionnaire's flag was given (the response's date, which
    may be days before it was entered); None for a flag from elsewhere."""
    ids = {i for i, inst in load_instruments().items() if inst.short_name == flag.source}
    if not ids:
        return None
    docs = document_service.find(ctx.repos, "measure", client_id=flag.client_id)
    best: StoredDocument | None = None
    if flag.source_document_id is not None:  # the response that raised it, named by the flag
        best = next((d for d in docs if d.id == flag.source_document_id), None)
    else:  # an older flag: the response saved nearest before it (in the flag's transaction)
        latest = flag.raised_utc + timedelta(seconds=5)
        for doc in docs:
            created = doc.created_utc
            if created is None or created > latest or doc.data.get("instrument_id") not in ids:
                continue
            if best is None or (best.created_utc is not None and created > best.created_utc):
                best = doc
    if best is None:
        return None
    try:
        return datetime.fromisoformat(str(best.data.get("taken_on")))
    except ValueError:
        return None


def save_safety_plan(
    ctx: AppContext, client_id: int, text: str, source: str = ""
) -> StoredDocument:
    """Store a safety-plan note (document kind ``safety_plan``, ``{"text": ...}``)."""
    return measure_service.save_safety_plan(ctx.repos, client_id, text, source)


class _NoteDialog(QDialog):
    """A required note: the button stays honest (an empty note is refused with a message)."""

    def __init__(self, title: str, intro: str, button: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.note = QPlainTextEdit()
        self.note.setAccessibleName(title)
        self.note.setTabChangesFocus(True)
        self.note.setMinimumHeight(110)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setProperty("primary", True)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.note, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.note.setFocus()

    def text(self) -> str:
        return self.note.toPlainText().strip()

    def fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.note.setFocus()

    def _accept(self) -> None:
        if not self.text():
            self.fail("Write a note first: it is kept in the record.")
            return
        if self.commit():
            self.accept()

    def commit(self) -> bool:  # overridden
        return True


class ResolveFlagDialog(_NoteDialog):
    resolved = Signal(object)

    def __init__(self, ctx: AppContext, flag: SafetyFlag, parent: QWidget | None = None) -> None:
        raised = flag.raised_utc.astimezone()
        super().__init__(
            ctx.title("Resolve safety flag"),
            f"<b>{flag_title(flag)}</b> (from {flag.source or 'the record'}, raised "
            f"{wording.date_time(raised)}): {flag.reason}<br><br>Say how it was addressed (for "
            "example: risk assessed, safety plan agreed, no current intent). The note and your "
            "name are kept with the flag and in the audit trail.",
            "&Resolve flag",
            parent,
        )
        self.ctx = ctx
        self.flag = flag
        self.note.setAccessibleName("Resolution note")

    def commit(self) -> bool:
        assert self.flag.id is not None
        try:
            flag = flag_service.resolve_flag(self.ctx.repos, self.flag.id, self.text())
        except VaultError as exc:
            self.fail(exc.message)
            return False
        self.resolved.emit(flag)
        self.ctx.signals.client_changed.emit(flag.client_id)
        return True


class SafetyPlanDialog(_NoteDialog):
    saved = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        reason: str = "",
        source: str = "",
        parent: QWidget | None = None,
    ) -> None:
        why = f"{reason}.<br><br>" if reason else ""
        super().__init__(
            ctx.title("Safety plan"),
            f"{why}A safety plan is needed before discharge. Note the warning signs, coping "
            "steps, people and places that help, who to call (crisis line, clinic) and how "
            "access to means is reduced.",
            "&Save safety plan",
            parent,
        )
        self.ctx = ctx
        self.client_id = client_id
        self.source = source
        self.note.setAccessibleName("Safety plan note")

    def commit(self) -> bool:
        try:
            doc = save_safety_plan(self.ctx, self.client_id, self.text(), self.source)
        except VaultError as exc:
            self.fail(exc.message)
            return False
        self.saved.emit(doc)
        self.ctx.signals.client_changed.emit(self.client_id)
        return True


class SafetyFlagBanner(QWidget):
    """One line per active flag with Resolve…; hidden when the client has none.

    ``compact`` is for the session screen: tighter margins and buttons without mnemonics, so
    the banner never takes an Alt key that screen gives to its own controls.
    """

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        parent: QWidget | None = None,
        *,
        compact: bool = False,
    ) -> None:
        super().__init__(parent)
        self.compact = compact
        self.setObjectName("safetyFlagBanner")
        self.setAccessibleName("Active safety flags")
        self.ctx = ctx
        self.client_id = client_id
        self.flags: list[SafetyFlag] = []
        self.rows: list[QWidget] = []
        self.dialog: QDialog | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0 if compact else 4, 0, 0 if compact else 4)
        self._layout.setSpacing(2 if compact else 4)
        ctx.signals.client_changed.connect(self._changed)
        self.refresh()

    def _changed(self, client_id: int) -> None:
        if client_id == self.client_id:
            self.refresh()

    def refresh(self) -> None:
        for row in self.rows:
            self._layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        try:
            self.flags = flag_service.active_flags(self.ctx.repos, self.client_id)
        except VaultError:  # closing: keep what is shown
            return
        for flag in self.flags:
            self.rows.append(self._row(flag))
            self._layout.addWidget(self.rows[-1])
        self.setVisible(bool(self.flags))

    def _row(self, flag: SafetyFlag) -> QWidget:
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        raised = flag.raised_utc.astimezone()
        answered = source_date(self.ctx, flag)
        when = wording.short_date(answered if answered is not None else raised)
        if answered is not None and wording.short_date(raised) != when:
            when += f"; flagged {wording.short_date(raised)}"
        text = (
            f"⚠ {flag_title(flag)}: {flag.reason or 'see the record'} "
            f"(from {flag.source or 'the record'}, {when})"
        )
        needs_plan = flag.kind is FlagKind.SUICIDE_RISK and not has_safety_plan_since(
            self.ctx, flag
        )
        if needs_plan:
            text += ". No safety plan written since."
        label = QLabel(text, row)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(label, "banner")
        line.addWidget(label, 1)
        if needs_plan:
            plan = QPushButton(self._words("Safety &plan…"), row)
            plan.setAccessibleName("Write a safety plan")
            plan.clicked.connect(lambda _=False, f=flag: self.write_plan(f))
            line.addWidget(plan, 0, Qt.AlignmentFlag.AlignVCenter)
        resolve = QPushButton(self._words("Resol&ve…"), row)
        resolve.setAccessibleName(f"Resolve safety flag: {flag_title(flag)}")
        resolve.setToolTip("Resolve this flag with a note (kept in the audit trail)")
        resolve.clicked.connect(lambda _=False, f=flag: self.resolve(f))
        line.addWidget(resolve, 0, Qt.AlignmentFlag.AlignVCenter)
        row.setProperty("flag_id", flag.id)
        return row

    def _words(self, text: str) -> str:
        return text.replace("&", "") if self.compact else text

    def resolve(self, flag: SafetyFlag | None = None) -> ResolveFlagDialog | None:
        flag = flag or (self.flags[0] if self.flags else None)
        if flag is None:
            return None
        dialog = ResolveFlagDialog(self.ctx, flag, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resolved.connect(lambda _f: self.ctx.notify("Safety flag resolved.", 4000))
        self.dialog = dialog
        dialog.open()
        return dialog

    def write_plan(self, flag: SafetyFlag | None = None) -> SafetyPlanDialog:
        reason = flag.reason if flag is not None else ""
        source = flag.source if flag is not None else ""
        dialog = SafetyPlanDialog(self.ctx, self.client_id, reason, source, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda _d: self.ctx.notify("Safety plan saved.", 4000))
        self.dialog = dialog
        dialog.open()
        return dialog
