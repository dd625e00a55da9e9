"""The Integration section: the client's entries, newest first, searchable, and one open.

Entries are ``integration`` documents linked to a session: the same-day debrief (the session
runner opens it as a draft when a session ends), the next day, and later. Open one from the
list or start a new one; a new entry guesses its kind and session from the latest session
(same day, next day, later). Search covers titles, free writing and prompt answers
(``core.integration.search_entries``, case- and accent-insensitive).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import serial, wording
from kapcompanion.core.integration import IntegrationEntry, IntegrationKind, search_entries
from kapcompanion.core.models import SessionStatus, StoredDocument
from kapcompanion.services import documents as document_service
from kapcompanion.services import session as session_service
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.integration_editor import IntegrationEditor
from kapcompanion.ui.measure_records import session_day
from kapcompanion.ui.prompt_editor import PromptEditorDialog, load_clinic_prompts
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.status import EmptyState

DOC_ROLE = Qt.ItemDataRole.UserRole


SHORT_KIND = {
    IntegrationKind.SAME_DAY_DEBRIEF: "Debrief",
    IntegrationKind.NEXT_DAY: "Next day",
    IntegrationKind.LATER: "Later",
    IntegrationKind.OTHER: "Other",
}


def entry_line(doc: StoredDocument, entry: IntegrationEntry) -> str:
    bits = [wording.short_date(entry.entry_date), SHORT_KIND.get(entry.kind, entry.kind.value)]
    second = entry.title or " ".join(entry.free_text.split()[:8]) or "(nothing written yet)"
    tail = []
    if entry.mood is not None:
        tail.append(f"mood {entry.mood}")
    tail.append("signed" if doc.signed else "draft")
    return f"{' · '.join(bits)}\n{second}\n{' · '.join(tail)}"


class IntegrationSection(QWidget):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.docs: list[tuple[StoredDocument, IntegrationEntry]] = []
        self.dialog: PromptEditorDialog | None = None
        prompts, retired = load_clinic_prompts(ctx.vault)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the entries")
        self.search.setAccessibleName("Search integration entries")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._fill_list)
        self.list = QListWidget()
        self.list.setAccessibleName("Integration entries")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.currentItemChanged.connect(self._selected)
        self.new_button = QPushButton("&New entry")
        self.new_button.setToolTip("Start a new integration entry")
        self.new_button.clicked.connect(self.new_entry)
        self.prompts_button = QPushButton("Prom&pts…")
        self.prompts_button.setToolTip("Edit the clinic's integration prompts")
        self.prompts_button.clicked.connect(self.edit_prompts)
        self.list_hint = QLabel()
        self.list_hint.setWordWrap(True)
        set_role(self.list_hint, "empty")
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.search)
        left_box.addWidget(self.list, 1)
        left_box.addWidget(self.list_hint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.prompts_button)
        buttons.addStretch(1)
        left_box.addLayout(buttons)

        self.editor = IntegrationEditor(ctx, client_id, prompts, retired)
        self.editor.saved.connect(self._editor_saved)
        self.editor_scroll = QScrollArea()
        self.editor_scroll.setWidgetResizable(True)
        self.editor_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.editor_scroll.setWidget(self.editor)
        self.nothing = EmptyState(
            "No integration entries yet",
            "Entries hold the same-day debrief, the next day and later integration: insights, "
            "challenges, what changed and what did not, commitments, mood, and drawings or "
            "photos kept inside the vault. The debrief of each session appears here as a "
            "draft when the session ends.",
            "Start one with New entry (Alt+N).",
        )
        self.right = QStackedWidget()
        self.right.addWidget(self.nothing)
        self.right.addWidget(self.editor_scroll)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([240, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.splitter)
        self.reload()
        if self.list.count():
            self.list.setCurrentRow(0)

    # ------------------------------------------------------------------ the list
    def showEvent(self, event: QShowEvent) -> None:
        """Entries made elsewhere meanwhile (a session's debrief) appear when the tab shows."""
        super().showEvent(event)
        if self._shown_once:
            self.reload()
            self._follow_signature()
        self._shown_once = True

    def _follow_signature(self) -> None:
        """An entry signed elsewhere (Documents) while shown here becomes read-only here."""
        shown = self.editor.doc
        if shown is None or shown.id is None or self.editor.read_only:
            return
        fresh = next((d for d, _e in self.docs if d.id == shown.id), None)
        if fresh is not None and fresh.signed:
            self.editor.load(fresh)

    _shown_once = False

    def reload(self) -> None:
        found: list[tuple[StoredDocument, IntegrationEntry]] = []
        for doc in document_service.find(self.ctx.repos, "integration", client_id=self.client_id):
            try:
                found.append((doc, serial.load(IntegrationEntry, doc.data)))
            except (TypeError, ValueError):
                continue
        found.sort(key=lambda de: (de[1].entry_date, de[0].id or 0), reverse=True)
        self.docs = found
        self._fill_list()

    def _fill_list(self) -> None:
        current = self.editor.doc.id if self.editor.doc is not None else None
        hits = search_entries([e for _d, e in self.docs], self.search.text())
        self.list.blockSignals(True)
        self.list.clear()
        for i in hits:
            doc, entry = self.docs[i]
            item = QListWidgetItem(entry_line(doc, entry))
            item.setData(DOC_ROLE, doc.id)
            self.list.addItem(item)
            if doc.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if not self.docs:
            self.list_hint.setText("No entries yet.")
        elif not hits:
            self.list_hint.setText("No entry contains every word searched for.")
        self.list_hint.setVisible(not hits)
        if self.editor.doc is None and not self._editing_new:
            self.right.setCurrentWidget(self.nothing)

    _editing_new = False

    def _selected(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        doc_id = item.data(DOC_ROLE)
        if self.editor.doc is not None and self.editor.doc.id == doc_id:
            return
        self.open_entry(int(doc_id))

    def open_entry(self, doc_id: int) -> IntegrationEditor:
        self._editing_new = False
        self.editor.load(document_service.get(self.ctx.repos, doc_id))  # saves the one shown first
        self.right.setCurrentWidget(self.editor_scroll)
        self.editor_scroll.verticalScrollBar().setValue(0)
        self._mark_current()
        return self.editor

    def _mark_current(self) -> None:
        """Select the open entry's row (saving the previous entry may have rebuilt the list)."""
        current = self.editor.doc.id if self.editor.doc is not None else None
        self.list.blockSignals(True)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item is not None and item.data(DOC_ROLE) == current:
                self.list.setCurrentItem(item)
                break
        self.list.blockSignals(False)

    def _editor_saved(self, doc: StoredDocument) -> None:
        self._editing_new = False
        self.reload()

    # ------------------------------------------------------------------ new entry
    def defaults(self) -> IntegrationEntry:
        """Kind and session guessed from the latest session that took place."""
        today = date.today()
        held = [
            s
            for s in session_service.sessions_of(self.ctx.repos, self.client_id)
            if s.status is not SessionStatus.PLANNED and session_day(s) is not None
        ]
        held.sort(key=lambda s: (session_day(s) or today, s.number))
        if not held:
            return IntegrationEntry(None, IntegrationKind.OTHER, today)
        last = held[-1]
        day = session_day(last) or today
        gap = (today - day).days
        kind = (
            IntegrationKind.SAME_DAY_DEBRIEF
            if gap <= 0
            else IntegrationKind.NEXT_DAY
            if gap == 1
            else IntegrationKind.LATER
        )
        return IntegrationEntry(last.id, kind, today)

    def new_entry(self) -> IntegrationEditor:
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self.editor.load(None, self.defaults())
        self._editing_new = True
        self.right.setCurrentWidget(self.editor_scroll)
        self.editor.free_text.setFocus()
        return self.editor

    def edit_prompts(self) -> PromptEditorDialog:
        dialog = PromptEditorDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._prompts_changed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _prompts_changed(self) -> None:
        self.editor.flush()
        prompts, retired = load_clinic_prompts(self.ctx.vault)
        self.editor.prompts, self.editor.retired = prompts, retired
        self.editor._fill_prompt_picker()
        if self.editor.doc is not None:
            self.editor.load(document_service.get(self.ctx.repos, self.editor.doc.id or 0))


def create_section(ctx: AppContext, client_id: int) -> QWidget:
    return IntegrationSection(ctx, client_id)
