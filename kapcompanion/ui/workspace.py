"""The unlocked workspace: the client list beside the open client's record.

It exists only while the vault is open: the main window builds it with a fresh context at
each unlock and destroys it (with every record widget and dialog in it) at each lock.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QSplitter, QStackedWidget, QVBoxLayout, QWidget

from kapcompanion.services import clients as client_service
from kapcompanion.store.errors import RecordNotFound
from kapcompanion.ui.client_dialog import ClientDialog, DeleteClientDialog
from kapcompanion.ui.client_list import ClientListPanel
from kapcompanion.ui.client_record import ClientRecord, SectionRegistry
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.menus import key_of
from kapcompanion.ui.widgets.status import EmptyState


class Workspace(QWidget):
    def __init__(
        self, ctx: AppContext, registry: SectionRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workspace")
        self.ctx = ctx
        self.registry = registry
        self.record: ClientRecord | None = None
        self._split_on_show = False
        self.dialog: ClientDialog | DeleteClientDialog | None = None

        self.clients = ClientListPanel(ctx, self)
        self.clients.client_activated.connect(self.open_client)
        self.clients.new_client_requested.connect(self.new_client)
        self.nothing = EmptyState(
            "No client open",
            "Choose a client in the list to see their record: overview, screening and intake, "
            "sessions, integration, measures and documents.",
            f"Search with {key_of('find')}, open with Enter, or add a client with {key_of('new')}.",
        )
        self.right = QStackedWidget(self)
        self.right.addWidget(self.nothing)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.clients)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(0, 9)
        self.splitter.setStretchFactor(1, 11)
        if not (
            ctx.settings.splitter
            and self.splitter.restoreState(QByteArray.fromBase64(ctx.settings.splitter.encode()))
        ):
            self._split_on_show = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        ctx.signals.client_deleted.connect(self._deleted)
        self.setFocusProxy(self.clients.search)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._first_split()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._first_split()

    def _first_split(self) -> None:
        """The first time, without a saved layout: list and record share the width 2 : 3;
        on a narrow window (1366 px at 150 %) 3 : 7, so the record gets room while the
        names stay whole (the other columns scroll with the list)."""
        if self._split_on_show and self.isVisible() and self.width() > 200:
            self._split_on_show = False
            total = self.width()
            share = 0.4 if total >= 1200 else 0.3
            names = self.clients.table.horizontalHeader().sectionSize(0) + 40
            wanted = max(int(total * share), min(names, int(total * 0.4)))
            self.splitter.resize(self.size())
            self.splitter.setSizes([wanted, total - wanted])

    # ------------------------------------------------------------------ record
    def current_client_id(self) -> int | None:
        return self.record.client_id if self.record is not None else None

    def open_client(self, client_id: int, section: str | None = None) -> ClientRecord | None:
        if self.record is not None and self.record.client_id == client_id and section is None:
            return self.record
        try:
            record = ClientRecord(self.ctx, client_id, self.registry, self, section=section)
        except RecordNotFound as exc:
            self.ctx.notify(exc.message, 5000)
            self.clients.refresh()
            return None
        self._drop_record()
        self.record = record
        record.edit_requested.connect(self.edit_client)
        record.archive_requested.connect(self.archive_client)
        record.unarchive_requested.connect(self.unarchive_client)
        record.delete_requested.connect(self.delete_client)
        self.right.addWidget(record)
        self.right.setCurrentWidget(record)
        self.clients.select(client_id)
        return record

    def _drop_record(self) -> None:
        if self.record is not None:
            self.right.removeWidget(self.record)
            self.record.deleteLater()
            self.record = None
        self.right.setCurrentWidget(self.nothing)

    def _deleted(self, client_id: int) -> None:
        if self.current_client_id() == client_id:
            self._drop_record()
        self.ctx.notify("The client and their records were deleted.", 5000)

    # ------------------------------------------------------------------ actions
    def focus_search(self) -> None:
        self.clients.focus_search()

    def new_client(self) -> ClientDialog:
        dialog = ClientDialog(self.ctx, None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda c: self.open_client(c.id))
        dialog.saved.connect(lambda c: self.ctx.notify("Client added.", 3000))
        self.dialog = dialog
        dialog.open()
        return dialog

    def edit_client(self, client_id: int | None = None) -> ClientDialog | None:
        client_id = client_id if client_id is not None else self.current_client_id()
        if client_id is None:
            self.ctx.notify("Open a client first.", 3000)
            return None
        dialog = ClientDialog(self.ctx, client_service.get(self.ctx.repos, client_id), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._edited)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _edited(self, client: object) -> None:
        if self.record is not None:
            self.record.reload()
        self.ctx.notify("Changes saved.", 3000)

    def archive_client(self, client_id: int | None = None) -> None:
        client_id = client_id if client_id is not None else self.current_client_id()
        if client_id is None:
            self.ctx.notify("Open a client first.", 3000)
            return
        client_service.archive(self.ctx.repos, client_id)
        self.ctx.signals.client_changed.emit(client_id)
        if self.record is not None and self.record.client_id == client_id:
            self.record.reload()
        self.ctx.notify(
            "Archived: the record is kept. Tick Include archived to list archived clients.", 6000
        )

    def unarchive_client(self, client_id: int | None = None) -> None:
        client_id = client_id if client_id is not None else self.current_client_id()
        if client_id is None:
            self.ctx.notify("Open a client first.", 3000)
            return
        client_service.unarchive(self.ctx.repos, client_id)
        self.ctx.signals.client_changed.emit(client_id)
        if self.record is not None and self.record.client_id == client_id:
            self.record.reload()
        self.ctx.notify("The client is active again.", 4000)

    def delete_client(self, client_id: int | None = None) -> DeleteClientDialog | None:
        client_id = client_id if client_id is not None else self.current_client_id()
        if client_id is None:
            self.ctx.notify("Open a client first.", 3000)
            return None
        dialog = DeleteClientDialog(self.ctx, client_service.get(self.ctx.repos, client_id), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ lock
    def splitter_state(self) -> str:
        """The list/record split to remember ("" if it was never laid out on screen)."""
        if self._split_on_show:
            return ""
        return bytes(self.splitter.saveState().toBase64().data()).decode()

    def shutdown(self) -> None:
        """Forget every client row and record (the vault is closing)."""
        self._drop_record()
        self.clients.clear()
