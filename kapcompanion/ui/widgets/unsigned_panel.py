"""The overview's "Unsigned records" card: what still waits for the practitioner's signature.

Oldest first, because the oldest unsigned note is the most overdue. Activating a line (or
"Review and sign…") opens the Documents section with that record chosen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.services.records import RecordRef, unsigned_records
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role

SHOWN = 5  # lines before "and N more"


class UnsignedPanel(QFrame):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.refs: list[RecordRef] = []
        self.setObjectName("unsignedPanel")
        self.setProperty("role", "card")
        self.heading = QLabel("Unsigned records")
        set_role(self.heading, "heading")
        self.list = QListWidget()
        self.list.setAccessibleName("Unsigned records, oldest first")
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._activated)
        self.more = QLabel()
        set_role(self.more, "hint")
        self.empty = QLabel("Nothing waits for signature.")
        set_role(self.empty, "empty")
        self.open_button = QPushButton("Review and si&gn…")
        self.open_button.setAccessibleName("Open the documents section to sign records")
        self.open_button.clicked.connect(lambda: self.open_documents())
        box = QVBoxLayout(self)
        box.addWidget(self.heading)
        box.addWidget(self.list)
        box.addWidget(self.more)
        box.addWidget(self.empty)
        box.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        self.refs = unsigned_records(self.ctx.repos, self.client_id)
        self.heading.setText(
            f"Unsigned records ({len(self.refs)})" if self.refs else "Unsigned records"
        )
        self.list.clear()
        for ref in self.refs[:SHOWN]:
            item = QListWidgetItem(ref.label())
            item.setData(Qt.ItemDataRole.UserRole, ref.key)
            self.list.addItem(item)
        extra = len(self.refs) - SHOWN
        self.more.setText(f"and {extra} more in Documents" if extra > 0 else "")
        self.more.setVisible(extra > 0)
        self.list.setVisible(bool(self.refs))
        self.empty.setVisible(not self.refs)
        self.open_button.setVisible(bool(self.refs))
        self._fit_list()

    def _fit_list(self) -> None:
        """As tall as its lines (they wrap in a narrow card), so the card does not scroll."""
        fallback = self.fontMetrics().height() + 4
        rows = [self.list.sizeHintForRow(i) for i in range(self.list.count())]
        height = sum(h if h > 0 else fallback for h in rows)
        self.list.setFixedHeight(height + 2 * self.list.frameWidth() + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_list()

    def _activated(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        self.open_documents((str(key[0]), int(key[1])))

    def open_documents(self, key: tuple[str, int] | None = None) -> QWidget | None:
        """Switch the client's record to Documents (with ``key`` chosen); the section."""
        holder = self.parentWidget()
        while holder is not None and not hasattr(holder, "show_section"):
            holder = holder.parentWidget()
        if holder is None:
            return None
        section: QWidget = holder.show_section("documents")
        select = getattr(section, "select_record", None)
        if callable(select):
            target = key or (self.refs[0].key if self.refs else None)
            if target is not None:
                select(*target)
        return section

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()
