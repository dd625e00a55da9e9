"""One integration entry: date, kind, session, mood, free writing, prompt answers, images.

Nothing is forced: free writing is always there, and any prompt can be added in any order
from the clinic's prompt set (answers are kept by prompt id). The entry is a draft that
autosaves (``ui/autosave.py``: after a pause, during long typing, before a lock); the first
save creates the ``integration`` document. A signed entry is read-only: its addenda are shown
under it (``ui/addenda.py``) when that screen is present. Signing uses ``ui/signing.py``'s
``sign_document`` when it exists; otherwise the Sign button stays disabled and says why.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import serial, wording
from kapcompanion.core.integration import IntegrationEntry, IntegrationKind, PromptSet
from kapcompanion.core.models import DosingSession, SessionStatus, StoredDocument
from kapcompanion.services import documents as document_service
from kapcompanion.services import session as session_service
from kapcompanion.store.errors import RecordLocked, VaultError
from kapcompanion.ui.autosave import Autosaver, guard_conflicts
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.measure_records import current_course, session_day
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.conflict_banner import ConflictBanner
from kapcompanion.ui.widgets.image_strip import ImageStrip

KIND_WORDS = {
    IntegrationKind.SAME_DAY_DEBRIEF: "Same-day debrief",
    IntegrationKind.NEXT_DAY: "Next day",
    IntegrationKind.LATER: "Later integration",
    IntegrationKind.OTHER: "Other",
}


def optional_module(name: str) -> Any:
    """A sibling screen module when it is present in this build, else None."""
    full = f"kapcompanion.ui.{name}"
    return importlib.import_module(full) if importlib.util.find_spec(full) else None


class GrowingText(QPlainTextEdit):
    """A text box as tall as its text (between ``lines`` and ``most`` lines), then scrolling."""

    def __init__(self, lines: int = 3, most: int = 16, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines, self.most = lines, most
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def _fit(self, *_args: object) -> None:
        shown = min(self.most, max(self.lines, int(self.document().size().height())))
        margins = self.contentsMargins()
        frame = int(self.document().documentMargin() * 2) + margins.top() + margins.bottom()
        self.setFixedHeight(self.fontMetrics().lineSpacing() * shown + frame + 4)


def _text_box(name: str, lines: int = 3, most: int = 16) -> GrowingText:
    box = GrowingText(lines, most)
    box.setAccessibleName(name)
    return box


class PromptAnswer(QFrame):
    """A prompt and the client's answer, with Remove."""

    remove_requested = Signal(str)

    def __init__(self, prompt_id: str, heading: str, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.prompt_id = prompt_id
        self.setProperty("role", "card")
        self.heading = QLabel(heading)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        plain = QTextDocumentFragment.fromHtml(heading).toPlainText()
        self.answer = _text_box(f"Answer: {plain}")
        self.answer.setPlainText(text)
        self.remove = QPushButton("Remove")
        self.remove.setAccessibleName(f"Remove the prompt: {plain}")
        self.remove.setAutoDefault(False)
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self.prompt_id))
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignTop)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.answer)


class IntegrationEditor(QWidget):
    #: the stored document after each save
    saved = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        prompts: PromptSet,
        retired: dict[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.prompts = prompts
        self.retired = retired or {}
        self.doc: StoredDocument | None = None
        self.read_only = False
        self._loading = False
        self.answers: dict[str, PromptAnswer] = {}
        self.addenda: QWidget | None = None
        self.signing = optional_module("signing")

        self.status = QLabel()
        self.status.setWordWrap(True)
        set_role(self.status, "hint")
        self.status.setAccessibleName("Save status")
        self.sign_button = QPushButton("Si&gn…")
        self.sign_button.setAutoDefault(False)
        self.sign_button.clicked.connect(self.sign)
        head = QHBoxLayout()
        head.addWidget(self.status, 1)
        head.addWidget(self.sign_button)

        self.entry_date = QDateEdit()
        self.entry_date.setCalendarPopup(True)
        self.entry_date.setDisplayFormat("yyyy-MM-dd")
        self.entry_date.setAccessibleName("Entry date")
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of entry")
        for kind, words in KIND_WORDS.items():
            self.kind.addItem(words, kind.value)
        self.session = QComboBox()
        self.session.setAccessibleName("Linked session")
        self.title = QLineEdit()
        self.title.setAccessibleName("Title")
        self.title.setPlaceholderText("A few words to find it again (optional)")
        self.mood = QSpinBox()
        self.mood.setRange(-1, 10)
        self.mood.setSpecialValueText("not rated")
        self.mood.setAccessibleName("Mood, 0 to 10")
        self.mood.setToolTip("The client's mood from 0 (worst) to 10 (best)")
        self.mood.setMinimumWidth(120)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Date", self.entry_date)
        form.addRow("&Kind", self.kind)
        form.addRow("Sessi&on", self.session)
        form.addRow("&Title", self.title)
        form.addRow("&Mood (0-10)", self.mood)

        self.free_text = _text_box("Free writing", 6, 24)
        self.free_text.setPlaceholderText(
            "Free writing, in the client's words: what stays with them, insights, difficulties, "
            "what changed and what did not."
        )
        free_label = QLabel("&Free writing")
        free_label.setBuddy(self.free_text)
        set_role(free_label, "heading")

        prompts_label = QLabel("Prompts")
        set_role(prompts_label, "heading")
        self.prompt_hint = QLabel(
            "Optional, in any order: add the prompts that fit today from the list."
        )
        self.prompt_hint.setWordWrap(True)
        set_role(self.prompt_hint, "hint")
        self.add_prompt = QComboBox()
        self.add_prompt.setAccessibleName("Add a prompt")
        for combo in (self.add_prompt, self.session, self.kind):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(16)
        self._fill_prompt_picker()
        self.add_prompt.activated.connect(self._prompt_picked)
        self.answers_box = QVBoxLayout()
        self.answers_box.setSpacing(8)

        images_label = QLabel("Images")
        set_role(images_label, "heading")
        self.images = ImageStrip(ctx, self.ensure_saved, self)

        self.column = QVBoxLayout(self)
        self.column.addLayout(head)
        self.column.addLayout(form)
        self.column.addWidget(free_label)
        self.column.addWidget(self.free_text)
        self.column.addWidget(prompts_label)
        self.column.addWidget(self.prompt_hint)
        self.column.addWidget(self.add_prompt)
        self.column.addLayout(self.answers_box)
        self.column.addWidget(images_label)
        self.column.addWidget(self.images)
        self.column.addStretch(1)

        self.autosaver = Autosaver(self._save, self, about_to_lock=ctx.signals.about_to_lock)
        self.autosaver.saved.connect(self._saved_ok)
        self.autosaver.failed.connect(self._save_failed)
        self.conflict_banner = ConflictBanner("entry")  # changed elsewhere: keep mine/theirs/both
        self.column.insertWidget(0, self.conflict_banner)
        guard_conflicts(self.autosaver, self.conflict_banner, ctx, self.entry, self.load)
        for signal in (
            self.entry_date.dateChanged,
            self.kind.currentIndexChanged,
            self.session.currentIndexChanged,
            self.title.textChanged,
            self.mood.valueChanged,
            self.free_text.textChanged,
        ):
            signal.connect(self._edited)

    # ------------------------------------------------------------------ prompts
    def _fill_prompt_picker(self) -> None:
        self.add_prompt.clear()
        self.add_prompt.addItem("Add a prompt…", None)
        for group in self.prompts.groups:
            self.add_prompt.insertSeparator(self.add_prompt.count())
            self.add_prompt.addItem(f"{group.title}:", None)
            header = self.add_prompt.model().index(self.add_prompt.count() - 1, 0)
            self.add_prompt.model().setData(header, 0, Qt.ItemDataRole.UserRole - 1)
            for p in group.prompts:
                self.add_prompt.addItem(f"    {p.text}", p.id)
                self.add_prompt.setItemData(
                    self.add_prompt.count() - 1, p.text, Qt.ItemDataRole.ToolTipRole
                )

    def _heading(self, prompt_id: str) -> str:
        for group in self.prompts.groups:
            for p in group.prompts:
                if p.id == prompt_id:
                    return f"<b>{html.escape(group.title)}</b> · {html.escape(p.text)}"
        if prompt_id in self.retired:
            return f"{html.escape(self.retired[prompt_id])} <i>(no longer offered)</i>"
        return f"Earlier prompt “{html.escape(prompt_id)}”"

    def _prompt_picked(self, index: int) -> None:
        prompt_id = self.add_prompt.itemData(index)
        self.add_prompt.setCurrentIndex(0)
        if prompt_id:
            self.add_answer(str(prompt_id)).answer.setFocus()

    def add_answer(self, prompt_id: str, text: str = "") -> PromptAnswer:
        if prompt_id in self.answers:
            return self.answers[prompt_id]
        box = PromptAnswer(prompt_id, self._heading(prompt_id), text, self)
        box.answer.textChanged.connect(self._edited)
        box.remove_requested.connect(self.remove_answer)
        box.answer.setReadOnly(self.read_only)
        box.remove.setVisible(not self.read_only)
        self.answers[prompt_id] = box
        self.answers_box.addWidget(box)
        self._edited()
        return box

    def remove_answer(self, prompt_id: str) -> None:
        box = self.answers.pop(prompt_id, None)
        if box is not None:
            self.answers_box.removeWidget(box)
            box.deleteLater()
            self._edited()

    # ------------------------------------------------------------------ loading
    def _fill_sessions(self, selected: int | None) -> None:
        self.session.clear()
        self.session.addItem("No session", None)
        sessions: list[DosingSession] = session_service.sessions_of(self.ctx.repos, self.client_id)
        for s in sessions:
            day = session_day(s)
            when = f", {wording.short_date(day)}" if day else ""
            state = "" if s.status is SessionStatus.ENDED else f" ({s.status.value})"
            self.session.addItem(f"Session {s.number}{when}{state}", s.id)
        self.session.setCurrentIndex(max(0, self.session.findData(selected)))

    def load(self, doc: StoredDocument | None, entry: IntegrationEntry | None = None) -> None:
        """Show ``doc`` (or a new entry prefilled from ``entry``); saves the previous first."""
        self.autosaver.flush()
        self._loading = True
        try:
            self.doc = doc
            if doc is not None:
                entry = serial.load(IntegrationEntry, doc.data)
            entry = entry or IntegrationEntry(None, IntegrationKind.LATER, date.today())
            d = entry.entry_date
            self.entry_date.setDate(QDate(d.year, d.month, d.day))
            self.kind.setCurrentIndex(max(0, self.kind.findData(entry.kind.value)))
            self._fill_sessions(entry.session_id)
            self.title.setText(entry.title)
            self.mood.setValue(-1 if entry.mood is None else entry.mood)
            self.free_text.setPlainText(entry.free_text)
            for prompt_id in list(self.answers):
                self.remove_answer(prompt_id)
            for prompt_id, text in entry.prompt_answers.items():
                self.add_answer(prompt_id, text)
            self.read_only = doc is not None and doc.signed
            self._apply_read_only()
            self.images.set_document(doc.id if doc else None, self.read_only)
            self._show_addenda()
        finally:
            self._loading = False
        self.autosaver.flush()  # nothing dirty: loading is not an edit
        self._show_status()

    def _apply_read_only(self) -> None:
        ro = self.read_only
        for box in (self.free_text, *[a.answer for a in self.answers.values()]):
            box.setReadOnly(ro)
        self.title.setReadOnly(ro)
        for w in (self.entry_date, self.kind, self.session, self.mood):
            w.setEnabled(not ro)
        for a in self.answers.values():
            a.remove.setVisible(not ro)
        self.add_prompt.setVisible(not ro)
        self.prompt_hint.setVisible(not ro)
        self.sign_button.setVisible(not ro)
        self.sign_button.setEnabled(self.signing is not None)
        self.sign_button.setToolTip(
            "Sign the entry: it becomes final and read-only"
            if self.signing is not None
            else "Signing is not available in this version"
        )

    def _show_addenda(self) -> None:
        if self.addenda is not None:
            self.column.removeWidget(self.addenda)
            self.addenda.deleteLater()
            self.addenda = None
        module = optional_module("addenda") if self.read_only else None
        if module is not None and self.doc is not None and self.doc.id is not None:
            self.addenda = module.AddendaPanel(self.ctx, "integration", self.doc.id, self.client_id)
            self.column.insertWidget(self.column.count() - 1, self.addenda)

    def _show_status(self) -> None:
        doc = self.doc
        if doc is None:
            text = "New entry: it is saved as a draft as soon as you write."
        elif doc.signed:
            when = doc.signed_utc.astimezone() if doc.signed_utc else None
            on = f" on {wording.date_time(when)}" if when else ""
            text = f"Signed by {doc.signed_by or 'the practitioner'}{on}. Read-only."
        else:
            saved = doc.updated_utc.astimezone() if doc.updated_utc else None
            text = "Draft" + (f", saved {wording.date_time(saved)}" if saved else "")
        set_role(self.status, "hint")
        self.status.setText(text)

    # ------------------------------------------------------------------ saving
    def entry(self) -> IntegrationEntry:
        mood = self.mood.value()
        q = self.entry_date.date()
        return IntegrationEntry(
            session_id=self.session.currentData(),
            kind=IntegrationKind(self.kind.currentData()),
            entry_date=date(q.year(), q.month(), q.day()),
            prompt_answers={pid: a.answer.toPlainText() for pid, a in self.answers.items()},
            free_text=self.free_text.toPlainText(),
            mood=None if mood < 0 else mood,
            title=self.title.text().strip(),
            prompt_set_id=self.prompts.id,
            prompt_set_version=self.prompts.version,
        )

    def _edited(self, *_args: object) -> None:
        if not self._loading and not self.read_only:
            self.autosaver.touch()

    def _save(self) -> None:
        if self.read_only:
            return
        entry = self.entry()
        data = serial.to_jsonable(entry)
        if self.doc is None:
            course = current_course(self.ctx.repos, self.client_id)
            doc = StoredDocument(
                kind="integration",
                client_id=self.client_id,
                course_id=course.id if course else None,
                session_id=entry.session_id,
                data=data,
            )
        else:
            doc = replace(self.doc, data=data, session_id=entry.session_id)
        loaded = self.doc.revision if self.doc is not None else None
        self.doc = document_service.save(self.ctx.repos, doc, loaded)
        self.saved.emit(self.doc)

    def _saved_ok(self, message: str) -> None:
        set_role(self.status, "hint")
        self.status.setText(f"Draft. {message}")

    def _save_failed(self, message: str) -> None:
        self.status.setText(message)
        set_role(self.status, "error")

    def ensure_saved(self) -> int | None:
        """Save now (creating the document if needed) and return its id."""
        if self.doc is None:
            self.autosaver.touch()
        if not self.autosaver.flush():
            return None
        return self.doc.id if self.doc is not None else None

    def flush(self) -> bool:
        return self.autosaver.flush()

    def sign(self) -> bool:
        if self.signing is None or self.read_only:
            return False
        doc_id = self.ensure_saved()
        if doc_id is None:
            return False
        try:
            signed = bool(self.signing.sign_document(self.ctx, doc_id, self))
        except RecordLocked:
            signed = True
        except VaultError as exc:
            self._save_failed(exc.message)
            return False
        if signed:
            self.load(document_service.get(self.ctx.repos, doc_id))
            self.saved.emit(self.doc)
        return signed
