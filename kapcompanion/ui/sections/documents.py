"""The Documents section: what waits for signature, the signed records with their addenda,
and PDF exports of a session record or the course summary.

The left column lists the client's unsigned records oldest first (documents and ended
sessions; the oldest are the most overdue) and the signed ones, most recently signed
first. The right side shows the chosen record: its facts, its signature line, its dated
addenda and "Add addendum…", or "Sign…" while it is unsigned. Signing and exporting use
the shared dialogs (``ui/signing.py``, ``ui/export_dialog.py``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.models import SessionStatus
from kapcompanion.export.describe import fmt_date
from kapcompanion.services import addenda as addendum_service
from kapcompanion.services import session as session_service
from kapcompanion.services.records import RecordRef, load_ref, signed_records, unsigned_records
from kapcompanion.store.errors import RecordNotFound
from kapcompanion.ui.addenda import AddendaPanel
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.export_dialog import (
    ExportDialog,
    export_course_dialog,
    export_session_dialog,
)
from kapcompanion.ui.signing import SignDialog
from kapcompanion.ui.theme import set_role

KEY_ROLE = Qt.ItemDataRole.UserRole


def _list(name: str) -> QListWidget:
    widget = QListWidget()
    widget.setAccessibleName(name)
    widget.setWordWrap(True)
    widget.setUniformItemSizes(False)
    widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    widget.setSpacing(2)
    return widget


class DocumentsSection(QWidget):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.setObjectName("documentsSection")
        self.unsigned: list[RecordRef] = []
        self.signed: list[RecordRef] = []
        self.current: RecordRef | None = None
        self.addenda: AddendaPanel | None = None
        self.sign_dialog: SignDialog | None = None
        self.export_dialog: ExportDialog | None = None

        self.session_button = QPushButton("Session &record PDF…")
        self.session_button.setAccessibleName("Export a session record as PDF")
        self.session_menu = QMenu(self.session_button)
        self.session_button.setMenu(self.session_menu)
        self.course_button = QPushButton("&Course summary PDF…")
        self.course_button.setAccessibleName("Export the course summary as PDF")
        self.course_button.setToolTip("All sessions, outcome measures and safety flags")
        self.course_button.clicked.connect(self.export_course)
        exports = QHBoxLayout()
        exports.setContentsMargins(0, 0, 0, 0)
        exports_label = QLabel("Export:")
        set_role(exports_label, "hint")
        exports.addWidget(exports_label)
        exports.addWidget(self.session_button)
        exports.addWidget(self.course_button)
        exports.addStretch(1)

        self.unsigned_heading = QLabel()
        set_role(self.unsigned_heading, "heading")
        self.unsigned_list = _list("Records waiting for signature, oldest first")
        self.unsigned_empty = QLabel(
            "Nothing waits for signature. Screening, intake, checklists, integration entries, "
            "safety plans and ended sessions appear here until you sign them."
        )
        self.unsigned_empty.setWordWrap(True)
        set_role(self.unsigned_empty, "empty")
        self.signed_heading = QLabel()
        set_role(self.signed_heading, "heading")
        self.signed_list = _list("Signed records, most recently signed first")
        self.signed_empty = QLabel(
            "No signed records yet. Once signed, a record is locked and later changes are "
            "added under it as dated addenda."
        )
        self.signed_empty.setWordWrap(True)
        set_role(self.signed_empty, "empty")
        left = QWidget()
        lists = QVBoxLayout(left)
        lists.setContentsMargins(0, 0, 6, 0)
        for w in (self.unsigned_heading, self.unsigned_list, self.unsigned_empty):
            lists.addWidget(w)
        for w in (self.signed_heading, self.signed_list, self.signed_empty):
            lists.addWidget(w)
        self.lists = lists
        for widget in (self.unsigned_list, self.signed_list):
            widget.currentItemChanged.connect(self._current_changed)
            widget.itemActivated.connect(self._activated)

        self.detail_title = QLabel()
        set_role(self.detail_title, "heading")
        self.detail_title.setWordWrap(True)
        self.facts = QFormLayout()
        self.facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.sign_button = QPushButton("&Sign…")
        self.sign_button.setProperty("primary", True)
        self.sign_button.setAccessibleName("Sign the chosen record")
        self.sign_button.clicked.connect(self.sign_current)
        self.detail_hint = QLabel(
            "Choose a record on the left to see its signature and addenda, or to sign it."
        )
        self.detail_hint.setWordWrap(True)
        set_role(self.detail_hint, "empty")
        detail = QWidget()
        self.detail_box = QVBoxLayout(detail)
        self.detail_box.addWidget(self.detail_hint)
        self.detail_box.addWidget(self.detail_title)
        self.detail_box.addLayout(self.facts)
        self.detail_box.addWidget(self.sign_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.addenda_slot = QVBoxLayout()
        self.detail_box.addLayout(self.addenda_slot)
        self.detail_box.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(detail)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(exports)
        layout.addWidget(self.splitter, 1)
        sign_key = QShortcut(QKeySequence("Ctrl+Shift+S"), self)
        sign_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sign_key.activated.connect(self.sign_current)
        self.sign_button.setToolTip("Sign the chosen record (Ctrl+Shift+S)")
        self.refresh()
        self._show(None)

    # ------------------------------------------------------------------ lists
    def refresh(self) -> None:
        """Reload both lists, keeping the chosen record chosen when it is still there."""
        keep = self.current.key if self.current is not None else None
        self.unsigned = unsigned_records(self.ctx.repos, self.client_id)
        self.signed = signed_records(self.ctx.repos, self.client_id)
        self._fill(self.unsigned_list, self.unsigned, with_addenda=False)
        self._fill(self.signed_list, self.signed, with_addenda=True)
        self.unsigned_heading.setText(f"Waiting for signature ({len(self.unsigned)})")
        self.signed_heading.setText(f"Signed ({len(self.signed)})")
        self.unsigned_list.setVisible(bool(self.unsigned))
        self.unsigned_empty.setVisible(not self.unsigned)
        self.signed_list.setVisible(bool(self.signed))
        self.signed_empty.setVisible(not self.signed)
        # the longer list gets more of the height (a few signed records need little room)
        self.lists.setStretch(1, max(1, min(len(self.unsigned), 8)))
        self.lists.setStretch(4, max(1, min(len(self.signed), 8)))
        self._fill_session_menu()
        if keep is not None and not self.select_record(*keep):
            self._show(None)

    def _fill(self, widget: QListWidget, refs: list[RecordRef], *, with_addenda: bool) -> None:
        widget.blockSignals(True)
        widget.clear()
        for ref in refs:
            text = ref.label()
            if with_addenda:
                n = len(
                    addendum_service.addenda_for(self.ctx.repos, ref.record_type, ref.record_id)
                )
                if n:
                    text += f" — {n} addend{'a' if n > 1 else 'um'}"
            item = QListWidgetItem(text)
            item.setData(KEY_ROLE, ref.key)
            item.setToolTip(ref.kind_label)
            widget.addItem(item)
        widget.blockSignals(False)

    def _fill_session_menu(self) -> None:
        self.session_menu.clear()
        sessions = [
            s
            for s in session_service.sessions_of(self.ctx.repos, self.client_id)
            if s.status is not SessionStatus.PLANNED and s.id is not None
        ]
        for s in sessions:
            day = s.dose_utc or s.started_utc
            state = "signed" if s.signed_utc else ("ended" if s.ended_utc else "running")
            label = f"Session {s.number}" + (f" · {fmt_date(day)}" if day else "")
            action = QAction(f"{label} ({state})", self.session_menu)
            action.triggered.connect(lambda _=False, sid=s.id: self.export_session(sid))
            self.session_menu.addAction(action)
        self.session_button.setEnabled(bool(sessions))
        self.session_button.setToolTip(
            "Choose a session to export its record"
            if sessions
            else "No session has taken place yet: there is no session record to export."
        )

    def _ref_for(self, key: tuple[str, int]) -> RecordRef | None:
        for ref in (*self.unsigned, *self.signed):
            if ref.key == key:
                return ref
        return None

    def _current_changed(self, item: QListWidgetItem | None, _old: object = None) -> None:
        if item is None:
            return
        other = self.signed_list if item.listWidget() is self.unsigned_list else self.unsigned_list
        other.blockSignals(True)
        other.setCurrentRow(-1)
        other.clearSelection()
        other.blockSignals(False)
        key = item.data(KEY_ROLE)
        self._show(self._ref_for((str(key[0]), int(key[1]))))

    def _activated(self, item: QListWidgetItem) -> None:
        if item.listWidget() is self.unsigned_list:
            self.sign_current()
        elif self.addenda is not None:
            self.addenda.open_add()

    def select_record(self, record_type: str, record_id: int) -> bool:
        """Choose a record in either list (e.g. from the overview); False when not listed."""
        for widget in (self.unsigned_list, self.signed_list):
            for row in range(widget.count()):
                key = widget.item(row).data(KEY_ROLE)
                if (str(key[0]), int(key[1])) == (record_type, record_id):
                    widget.setCurrentRow(row)
                    self._current_changed(widget.item(row))
                    widget.setFocus()
                    return True
        return False

    # ------------------------------------------------------------------ detail
    def _show(self, ref: RecordRef | None) -> None:
        self.current = ref
        while self.facts.rowCount():
            self.facts.removeRow(0)
        if self.addenda is not None:
            self.addenda_slot.removeWidget(self.addenda)
            self.addenda.deleteLater()
            self.addenda = None
        self.detail_hint.setVisible(ref is None)
        self.detail_title.setVisible(ref is not None)
        self.sign_button.setVisible(ref is not None and not ref.signed)
        if ref is None:
            return
        self.detail_title.setText(ref.title)
        rows = [("Date", ref.when_text()), *ref.facts]
        for label, value in rows:
            if value:
                shown = QLabel(value)
                shown.setWordWrap(True)
                shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.facts.addRow(f"{label}:", shown)
        self.addenda = AddendaPanel(self.ctx, ref.record_type, ref.record_id, self.client_id)
        self.addenda.added.connect(lambda _a: self.refresh())
        self.addenda_slot.addWidget(self.addenda)

    # ------------------------------------------------------------------ actions
    def sign_current(self) -> SignDialog | None:
        ref = self.current
        if ref is None or ref.signed:
            if ref is None:
                self.ctx.notify("Choose a record waiting for signature first.", 4000)
            return None
        try:
            fresh = load_ref(self.ctx.repos, ref.record_type, ref.record_id, with_counts=True)
        except RecordNotFound:
            self.refresh()
            return None
        dialog = SignDialog(self.ctx, fresh, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.signed.connect(self._signed)
        self.sign_dialog = dialog
        dialog.open()
        return dialog

    def _signed(self, ref: RecordRef) -> None:
        self.refresh()
        self.select_record(*ref.key)
        self.ctx.notify(f"Signed: {ref.title}. It is locked now; add addenda below it.", 5000)

    def export_session(self, session_id: int) -> ExportDialog:
        self.export_dialog = export_session_dialog(self.ctx, session_id, self)
        return self.export_dialog

    def export_course(self) -> ExportDialog:
        self.export_dialog = export_course_dialog(self.ctx, self.client_id, self)
        return self.export_dialog

    def showEvent(self, event: QShowEvent) -> None:
        """Other sections may have written or signed records meanwhile."""
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()


def create_section(ctx: AppContext, client_id: int) -> QWidget:
    return DocumentsSection(ctx, client_id)
