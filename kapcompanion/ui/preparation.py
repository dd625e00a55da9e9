"""The preparation checklist of one session: items by kind, readiness, carry-over, override.

The checklist is rendered with the template version it was filled against (an older
checklist keeps its own version); a new one uses the clinic's current template. Every edit
goes into ``self.checklist`` at once and autosaves (``ui/autosave.py``), so leaving the
screen, a lock or a crash loses nothing typed. A touch withdrawal and a readiness override
are committed immediately, each with its own audit action.

The sessions section and the session screen open it: ``PreparationView(ctx, client_id,
session_id)`` as a widget, or ``open_preparation(...)`` as a dialog.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.checklist import (
    FEEDBACK_KEY,
    INTENTION_KEY,
    Checklist,
    ItemKind,
    Readiness,
    new_checklist,
    prefill_feedback,
    update_item,
)
from kapcompanion.core.models import DosingSession, SessionStatus, StoredDocument
from kapcompanion.core.reasons import REASON_RULE
from kapcompanion.core.serial import load
from kapcompanion.services import clients as client_service
from kapcompanion.services import measures
from kapcompanion.services import session as session_service
from kapcompanion.services.preparation import (
    ReadinessRefused,
    carry_over_from,
    describe_readiness,
    item_problem,
    load_checklist,
    previous_checklist,
    previous_session,
    protected_missing,
    readiness_state,
    record_readiness_override,
    save_checklist,
    template_for_checklist,
)
from kapcompanion.services.screening import current_intake
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.autosave import Autosaver, guard_conflicts
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.checklist_items import ItemRow
from kapcompanion.ui.widgets.conflict_banner import ConflictBanner
from kapcompanion.ui.widgets.fit import fit_to_screen
from kapcompanion.ui.widgets.form_keys import install_form_keys
from kapcompanion.ui.widgets.music_prefs import MusicPreferencesEditor
from kapcompanion.ui.widgets.override_banner import ScreeningOverrideBanner
from kapcompanion.ui.widgets.touch_agreement import TouchAgreementEditor

READ_ONLY_SIGNED = "This checklist is signed and cannot change. Add an addendum in Documents."
READ_ONLY_ENDED = "This session has ended: its preparation is part of the record and is read-only."

READINESS_NAMES = 4  # missing items named at the top; each item says what it needs itself


def _now() -> datetime:
    return datetime.now(UTC)


class PreparationView(QWidget):
    def __init__(
        self, ctx: AppContext, client_id: int, session_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preparationView")
        self.ctx = ctx
        self.client_id = client_id
        self.session_id = session_id
        self.session: DosingSession = session_service.get_session(ctx.repos, session_id)
        self.doc, self.checklist = load_checklist(ctx.repos, session_id)
        self.template, exact = template_for_checklist(ctx.vault, self.checklist)
        self._pending_action: str | None = None
        self.rows: dict[str, ItemRow] = {}

        title = QLabel(self._title())
        set_role(title, "heading")
        self.banner = ScreeningOverrideBanner(ctx, client_id, self)
        version = f"{self.template.name}, version {self.template.version}"
        if not exact:
            version = (
                f"Version {self.checklist.template_version} of the template "
                f"{self.checklist.template_id!r} is not in this vault; shown with {version}."
            )
        self.template_line = QLabel(f"Checklist template: {version}")
        self.template_line.setWordWrap(True)
        set_role(self.template_line, "hint" if exact else "warning")
        self.readiness_label = QLabel()
        self.readiness_label.setObjectName("readiness")
        self.readiness_label.setWordWrap(True)
        self.readiness_label.setAccessibleName("Readiness")
        self.readiness_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_only_note = QLabel()
        self.read_only_note.setWordWrap(True)
        set_role(self.read_only_note, "warning")
        self.read_only_note.hide()

        self.carry_button = QPushButton("&Carry over from last session")
        self.carry_button.setAccessibleName("Carry over from last session")
        self.carry_button.clicked.connect(self.carry_over)
        self.override_button = QPushButton("&Override readiness…")
        self.override_button.setAccessibleName("Override readiness with a written reason")
        self.override_button.clicked.connect(self.ask_override)
        self.saved_label = QLabel()
        set_role(self.saved_label, "hint")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        actions = QHBoxLayout()
        actions.addWidget(self.carry_button)
        actions.addWidget(self.override_button)
        actions.addStretch(1)
        actions.addWidget(self.saved_label)

        self.override_reason = QPlainTextEdit()
        self.override_reason.setAccessibleName("Reason for starting with items missing")
        self.override_reason.setPlaceholderText(
            "Why the session may start although required items are not done"
        )
        self.override_reason.setTabChangesFocus(True)
        self.override_reason.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.override_error = QLabel()
        set_role(self.override_error, "error")
        self.override_error.setWordWrap(True)
        self.override_confirm = QPushButton("Record override")
        self.override_confirm.setProperty("primary", True)
        self.override_confirm.clicked.connect(self.confirm_override)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self._hide_override)
        self.override_panel = QFrame()
        self.override_panel.setProperty("role", "card")
        panel = QVBoxLayout(self.override_panel)
        self.override_covers = QLabel()
        self.override_covers.setWordWrap(True)
        self.override_covers.setAccessibleName("Items the override covers")
        rule = QLabel(
            "Informed consent and the touch agreement can never be skipped. " + REASON_RULE
        )
        rule.setWordWrap(True)
        set_role(rule, "hint")
        panel.addWidget(self.override_covers)
        panel.addWidget(self.override_reason)
        panel.addWidget(rule)
        panel.addWidget(self.override_error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.override_confirm)
        buttons.addWidget(cancel)
        panel.addLayout(buttons)
        self.override_panel.hide()

        self.touch_editor: TouchAgreementEditor | None = None
        self.music_editor: MusicPreferencesEditor | None = None
        body = QWidget()
        column = QVBoxLayout(body)
        column.setSpacing(6)
        self._build_items(column)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a container, not a Tab stop
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(body)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(title)
        layout.addWidget(self.banner)
        layout.addWidget(self.template_line)
        layout.addWidget(self.readiness_label)
        layout.addWidget(self.read_only_note)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.override_panel)
        layout.addWidget(self.scroll_area, 1)

        self.autosaver = Autosaver(self._save, self, about_to_lock=ctx.signals.about_to_lock)
        self.autosaver.saved.connect(self._saved)
        self.autosaver.failed.connect(self._failed)
        self.conflict_banner = ConflictBanner("checklist")  # changed in another window
        layout.insertWidget(1, self.conflict_banner)
        guard_conflicts(
            self.autosaver, self.conflict_banner, ctx, lambda: self.checklist, self._show_kept
        )
        if self.doc is None and not self.read_only:
            self._prefill_feedback()
        self._load_rows()
        self._apply_mode()

    def _prefill_feedback(self) -> None:
        """A new checklist starts with the last session's debrief as its feedback (not
        done: the therapist reviews it); saved with the first edit."""
        before = previous_session(self.ctx.repos, self.session)
        debrief = before.debrief.strip() if before is not None else ""
        if debrief and any(i.key == FEEDBACK_KEY for i in self.template.items):
            self.checklist = prefill_feedback(self.checklist, debrief)

    # ------------------------------------------------------------------ building
    def _title(self) -> str:
        s = self.session
        when = (
            f", planned for {wording.appointment(s.planned_for.astimezone())}"
            if s.planned_for
            else ""
        )
        return f"Preparation for session {s.number}{when}"

    def _build_items(self, column: QVBoxLayout) -> None:
        client = client_service.get(self.ctx.repos, self.client_id)
        escort = client.escort
        if escort is None:
            escort = current_intake(self.ctx.repos, self.client_id)[1].escort
        section = None
        for item in self.template.items:
            if item.section and item.section != section:
                section = item.section
                heading = QLabel(section)
                set_role(heading, "heading")
                column.addWidget(heading)
            row = ItemRow(item)
            row.edited.connect(self._row_edited)
            kind = ItemKind(item.kind)
            if kind is ItemKind.TOUCH and self.touch_editor is None:
                self.touch_editor = TouchAgreementEditor(row)
                self.touch_editor.changed.connect(self._touch_changed)
                self.touch_editor.withdrawn.connect(self._touch_withdrawn)
                row.slot.addWidget(self.touch_editor)
            elif kind is ItemKind.MUSIC and self.music_editor is None:
                self.music_editor = MusicPreferencesEditor(row)
                self.music_editor.changed.connect(self._music_changed)
                row.slot.addWidget(self.music_editor)
            elif kind is ItemKind.CONTACT:
                row.suggest_contact(escort)
            self.rows[item.key] = row
            column.addWidget(row)

    def _load_rows(self) -> None:
        cl = self.checklist
        for key, row in self.rows.items():
            text = cl.intention or None if key == INTENTION_KEY else None
            row.load(cl.items.get(key), text)
        if self.touch_editor is not None:
            self.touch_editor.set_agreement(cl.touch)
        if self.music_editor is not None:
            self.music_editor.set_preferences(cl.music)
        self._refresh_state()

    # ------------------------------------------------------------------ mode
    @property
    def read_only(self) -> bool:
        return bool(
            (self.doc is not None and self.doc.signed) or self.session.status is SessionStatus.ENDED
        )

    def _apply_mode(self) -> None:
        ro = self.read_only
        for row in self.rows.values():
            row.set_read_only(ro)
        if self.music_editor is not None:
            self.music_editor.set_read_only(ro)
        if self.touch_editor is not None:
            self.touch_editor.set_running(self.session.running)
            self.touch_editor.set_read_only(ro)
        self.carry_button.setEnabled(
            not ro and previous_session(self.ctx.repos, self.session) is not None
        )
        if not self.carry_button.isEnabled() and not ro:
            self.carry_button.setToolTip("There is no earlier session in this course.")
        if ro:
            signed = self.doc is not None and self.doc.signed
            self.read_only_note.setText(READ_ONLY_SIGNED if signed else READ_ONLY_ENDED)
        self.read_only_note.setVisible(ro)
        self._refresh_state()

    def _reload_session(self) -> None:
        """The session may have started meanwhile (the session screen runs beside us)."""
        try:
            self.session = session_service.get_session(self.ctx.repos, self.session_id)
        except VaultError:
            return
        self._apply_mode()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._reload_session()

    # ------------------------------------------------------------------ edits
    def _changed(self) -> None:
        self._refresh_state()
        self.autosaver.touch()

    def _row_edited(self, key: str, changes: dict[str, Any]) -> None:
        if self.read_only:
            return
        self.checklist = update_item(self.checklist, key, _now(), **changes)
        if key == INTENTION_KEY and "value" in changes:
            self.checklist = dataclasses.replace(self.checklist, intention=changes["value"])
        self._changed()

    def _touch_changed(self) -> None:
        assert self.touch_editor is not None
        self._reload_session()
        if self.session.running or self.read_only:
            # never changed while the client is altered: put the stored agreement back
            self.touch_editor.set_agreement(self.checklist.touch)
            self._show_message(
                "The session is running: the touch agreement cannot be changed now.", "warning"
            )
            return
        self.checklist = dataclasses.replace(self.checklist, touch=self.touch_editor.agreement())
        self._changed()

    def _touch_withdrawn(self) -> None:
        """Committed at once, whatever else is going on."""
        assert self.touch_editor is not None
        self.checklist = dataclasses.replace(self.checklist, touch=self.touch_editor.agreement())
        self._refresh_state()
        if self._commit("checklist.touch_withdrawn"):
            self._show_message(
                "The touch agreement is withdrawn and saved: no touch is agreed.", "warning"
            )

    def _music_changed(self) -> None:
        assert self.music_editor is not None
        self.checklist = dataclasses.replace(self.checklist, music=self.music_editor.preferences())
        self._changed()

    def _commit(self, action: str) -> bool:
        self._pending_action = action
        self.autosaver.touch()
        ok = self.autosaver.flush()
        self._pending_action = None
        return ok

    # ------------------------------------------------------------------ carry-over
    def carry_over(self) -> None:
        if self.read_only:
            return
        previous, debrief = previous_checklist(self.ctx.repos, self.session)
        if previous is None and not debrief.strip():
            self._show_message(
                "The last session has no checklist or debrief to carry over.", "hint"
            )
            return
        source = previous or new_checklist(self.template)
        before = self.checklist
        self.checklist = carry_over_from(before, source, self.template, debrief)
        changed = [
            k for k in self.checklist.items if self.checklist.items[k] != before.items.get(k)
        ]
        count = (
            len(changed)
            + (self.checklist.touch is not before.touch)
            + (self.checklist.music is not before.music)
        )
        self._load_rows()
        self._commit("checklist.carry_over")
        if count:
            self._show_message(
                f"Carried over {count} item{'s' if count != 1 else ''} from the last session. "
                "Review each with the client and tick it: carried items are not done.",
                "ok",
            )
        else:
            self._show_message("Nothing to carry over: every item here is already filled.", "hint")

    # ------------------------------------------------------------------ readiness
    def ask_override(self) -> None:
        self.override_error.clear()
        result = self.current_readiness()
        protected = protected_missing(self.checklist, self.template)
        self.override_covers.setText(
            "Start with these items not done (the reason, your name and the items are "
            "recorded): " + "; ".join(result.missing) + "."
        )
        self.override_panel.show()
        self.override_confirm.setEnabled(not protected)
        if protected:
            self.override_error.setText(
                "No override can skip informed consent or the touch agreement. Complete these "
                f"first: {'; '.join(protected)}."
            )
            return
        self.override_reason.setFocus()

    def _hide_override(self) -> None:
        self.override_panel.hide()
        self.override_reason.clear()

    def confirm_override(self) -> bool:
        reason = self.override_reason.toPlainText()
        self.autosaver.flush()
        try:
            self.doc, self.checklist = record_readiness_override(
                self.ctx.repos, self.session, self.doc, self.checklist, reason
            )
        except ReadinessRefused as exc:
            self.override_error.setText(exc.message)
            self.override_reason.setFocus()
            return False
        except ValueError as exc:
            self.override_error.setText(str(exc))
            self.override_reason.setFocus()
            return False
        except VaultError as exc:
            self.override_error.setText(f"Not saved: {exc.message}")
            return False
        self._hide_override()
        self._refresh_state()
        self._saved(f"Saved {wording.time_of_day(datetime.now())}")
        self._show_message("The override, its reason and the items it covers are recorded.", "ok")
        return True

    def current_readiness(self) -> Readiness:
        return readiness_state(self.checklist, self.template)

    def _refresh_state(self) -> None:
        result = self.current_readiness()
        text = describe_readiness(result, limit=READINESS_NAMES)
        if result.overridden and self.checklist.readiness_override:
            text += f" Reason: {self.checklist.readiness_override}"
        elif protected_missing(self.checklist, self.template):
            text += " Informed consent and the touch agreement cannot be overridden."
        self.readiness_label.setText(text)
        set_role(
            self.readiness_label, "ok" if result.ready and not result.overridden else "warning"
        )
        for item in self.template.items:
            row = self.rows.get(item.key)
            if row is not None:
                row.set_problem(item_problem(self.checklist, item))
        self.override_button.setEnabled(
            not self.read_only and bool(result.missing) and not result.overridden
        )

    # ------------------------------------------------------------------ saving
    def _save(self) -> None:
        action = self._pending_action
        self.doc = save_checklist(
            self.ctx.repos, self.session, self.doc, self.checklist, audit_action=action
        )

    def _show_kept(self, doc: StoredDocument | None) -> None:
        """The checklist as kept after a choice on the conflict strip."""
        if doc is not None:
            self.doc, self.checklist = doc, load(Checklist, doc.data)
            self._load_rows()

    def _saved(self, text: str) -> None:
        self.saved_label.setText(text)
        set_role(self.saved_label, "hint")

    def _failed(self, text: str) -> None:
        self.saved_label.setText(text)
        set_role(self.saved_label, "error")

    def _show_message(self, text: str, role: str) -> None:
        self.message.setText(text)
        set_role(self.message, role)
        self.message.show()

    def flush(self) -> bool:
        return self.autosaver.flush()


class PreparationDialog(QDialog):
    def __init__(
        self, ctx: AppContext, client_id: int, session_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preparationDialog")
        self.view = PreparationView(ctx, client_id, session_id, self)
        try:
            name = measures.client_name(ctx.repos, client_id)
        except VaultError:
            name = ""
        number = self.view.session.number
        self.setWindowTitle(
            ctx.title(
                f"Preparation: {name}, session {number}"
                if name
                else f"Preparation: session {number}"
            )
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 8)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        for button in self.findChildren(QPushButton):  # Enter in a field must not press one
            button.setAutoDefault(False)
        fit_to_screen(self, 960, 720)
        # every change is kept as it is typed (autosave): Ctrl+S and Ctrl+Enter save now,
        # and Escape has nothing to discard
        self.keys = install_form_keys(self, save=self.view.flush, modified=lambda: False)

    def done(self, result: int) -> None:
        self.view.flush()
        super().done(result)


def open_preparation(
    ctx: AppContext, client_id: int, session_id: int, parent: QWidget | None = None
) -> QDialog:
    """Open the checklist as a dialog (deleted on close; a lock closes it after saving)."""
    dialog = PreparationDialog(ctx, client_id, session_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is not None:
        top = parent.window().size()
        fit_to_screen(dialog, min(960, top.width() - 40), min(720, top.height() - 40))
    dialog.open()
    return dialog
