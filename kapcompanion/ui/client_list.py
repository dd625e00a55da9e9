"""The client list: search as you type, filters, sort, and the way into a client's record.

Opening a record (Enter, double-click or a click) emits ``client_activated``; moving through
the list with the arrow keys does not, so browsing does not open (and audit) every record.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.models import ClientStatus
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.menus import key_of, tooltip
from kapcompanion.ui.models.client_table import (
    SORT_NAME,
    SORT_NEXT_SESSION,
    ClientQuery,
    ClientTableModel,
)
from kapcompanion.ui.widgets.status import EmptyState

SEARCH_DELAY_MS = 150


class _SearchField(QLineEdit):
    """Down arrow moves into the results; Escape clears the search."""

    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
            return
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


class ClientListPanel(QWidget):
    client_activated = Signal(int)
    new_client_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clientList")
        self.ctx = ctx
        self.model = ClientTableModel(ctx.repos, self)
        self._fitted = -1  # the model's pool_version the column widths were fitted to
        self._widest: dict[int, int] = {}  # each column's widest text, as measured

        self.search = _SearchField(self)
        self.search.setPlaceholderText("Search name, pseudonym, indication")
        self.search.setToolTip(f"Search as you type ({key_of('find')}); Down moves into the list")
        self.search.setAccessibleName("Search clients")
        self.search.setClearButtonEnabled(True)
        self.active_only = QCheckBox("&Active course only", self)
        self.active_only.setAccessibleName("Show only clients with an active course")
        self.archived = QCheckBox("Include arc&hived", self)
        self.archived.setAccessibleName("Include archived clients")
        self.sort = QComboBox(self)
        self.sort.setAccessibleName("Sort clients")
        # the pseudonym first (the name when there is none): the order the list has always had
        self.sort.addItem("Sort by pseudonym", SORT_NAME)
        self.sort.addItem("Sort by next session", SORT_NEXT_SESSION)
        self.new_button = QPushButton("&New client", self)
        self.new_button.setAccessibleName("New client")
        self.new_button.setToolTip(tooltip("new"))
        self.new_button.clicked.connect(self.new_client_requested)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Clients")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # widths fit every client the list holds, measured once when it is read (_fit_columns):
        # ResizeToContents measured up to 1,000 rows' cells after every keystroke, most of each
        # key's time on a clinic-sized list (bench/README.md); and the columns no longer jump
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ClientTableModel.INDICATION, QHeaderView.ResizeMode.Stretch)
        # indications last: when the pane is narrow they elide at the row's end ("depres…", full
        # text in the tooltip) instead of squeezing a column between name and date
        header.moveSection(header.visualIndex(ClientTableModel.INDICATION), header.count() - 1)
        header.setHighlightSections(False)
        self.table.activated.connect(self._activated)
        self.table.clicked.connect(self._activated)

        self.empty = EmptyState("", "", "", self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.count = QLabel(self)
        self.count.setProperty("role", "hint")

        filters = QHBoxLayout()
        filters.addWidget(self.active_only)
        filters.addWidget(self.archived)
        filters.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.sort)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self._search_changed)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._open_first)
        self.search.down.connect(self._into_table)
        self.active_only.toggled.connect(lambda _on: self.refresh())
        self.archived.toggled.connect(lambda _on: self.refresh())
        self.sort.currentIndexChanged.connect(lambda _i: self.refresh())
        ctx.signals.client_changed.connect(self._on_changed)
        ctx.signals.client_deleted.connect(lambda _cid: self.refresh())
        self.setTabOrder(self.search, self.new_button)
        self.setTabOrder(self.new_button, self.active_only)
        self.setTabOrder(self.active_only, self.archived)
        self.setTabOrder(self.archived, self.table)
        self.setTabOrder(self.table, self.sort)
        self.refresh()

    # ------------------------------------------------------------------ query
    def current_query(self) -> ClientQuery:
        return ClientQuery(
            text=self.search.text(),
            include_archived=self.archived.isChecked(),
            active_course_only=self.active_only.isChecked(),
            sort=str(self.sort.currentData()),
        )

    def _search_changed(self) -> None:
        """Typing: the model filters the clients it holds (nothing is read per keystroke)."""
        self.refresh(reload=False)

    def refresh(self, reload: bool = True) -> None:
        """Show the current search and filters; ``reload`` reads the clients again (filters
        or a client changed), otherwise the model filters what it holds."""
        self._debounce.stop()
        selected = self.selected_id()
        if reload:
            self.model.query = self.current_query()
            self.model.refresh()
        else:
            self.model.set_query(self.current_query())
        self.table.setColumnHidden(ClientTableModel.STATUS, not self.archived.isChecked())
        if self.model.pool_version != self._fitted:
            self._fit_columns()
        n = self.model.rowCount()
        self.count.setText("1 client" if n == 1 else f"{n} clients")
        if n:
            self.stack.setCurrentWidget(self.table)
            if selected is not None:
                self.select(selected)
        else:
            self._show_empty()

    def _fit_columns(self) -> None:
        """Each column but the indications as wide as its widest text among all the clients
        the list holds (archived ones in italics), or its header."""
        self._fitted = self.model.pool_version
        self._widest = {}
        header = self.table.horizontalHeader()
        plain = self.table.fontMetrics()
        italic_font = QFont(self.table.font())
        italic_font.setItalic(True)
        italic = QFontMetrics(italic_font)
        margin = self.table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin)
        grid = 1 if self.table.showGrid() else 0
        for column in (
            ClientTableModel.NAME,
            ClientTableModel.PSEUDONYM,
            ClientTableModel.NEXT,
            ClientTableModel.STATUS,
        ):
            pad = 2 * (margin + 1)
            if self.model.rowCount():  # what the delegate adds around the text, asked of Qt
                first = self.model.index(0, column)
                metrics = (
                    italic if self.model.client_at(0).status == ClientStatus.ARCHIVED else plain
                )
                text = str(self.model.data(first) or "")
                pad = self.table.sizeHintForIndex(first).width() - metrics.horizontalAdvance(text)
            widest = header.sectionSizeHint(column)
            for text, archived in self.model.pool_texts(column):
                metrics = italic if archived else plain
                widest = max(widest, metrics.horizontalAdvance(text) + pad + grid)
            self._widest[column] = widest
        self._apply_widths()

    def _apply_widths(self) -> None:
        """The measured widths, with the name column held to about two fifths of a narrow
        pane (a long name elides, whole in its tooltip) so the pseudonym, the next session
        and a little of the indications stay in sight without a sideways scroll bar."""
        header = self.table.horizontalHeader()
        room = self.table.viewport().width()
        for column, widest in self._widest.items():
            width = widest
            if column == ClientTableModel.NAME and room > 0:
                width = min(widest, max(header.sectionSizeHint(column), int(room * 0.4)))
            header.resizeSection(column, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._widest:
            QTimer.singleShot(0, self._apply_widths)

    def _show_empty(self) -> None:
        q = self.model.query
        if q.text or q.active_course_only:
            self.empty.title.setText("No client matches")
            self.empty.body.setText(
                "Nothing matches the search and filters. The search looks at names, pseudonyms "
                "and indications."
            )
            self.empty.how.setText("Clear the search (Escape) or the filters to see everyone.")
        else:
            self.empty.title.setText("No clients yet")
            self.empty.body.setText(
                "Clients you add appear here, with their indication and next session."
            )
            self.empty.how.setText(f"Add the first with New client ({key_of('new')}).")
        self.empty.how.show()
        self.stack.setCurrentWidget(self.empty)

    # ------------------------------------------------------------------ selection
    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.client_id(index.row())

    def select(self, client_id: int) -> bool:
        row = self.model.row_of(client_id)
        if row is None:
            return False
        self.table.setCurrentIndex(self.model.index(row, 0))
        return True

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _into_table(self) -> None:
        if self.model.rowCount():
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(0, 0))
            self.table.setFocus()

    def _open_first(self) -> None:
        self.refresh(reload=False)
        if self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(0, 0))
            self.client_activated.emit(self.model.client_id(0))

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.client_activated.emit(self.model.client_id(index.row()))

    def _on_changed(self, client_id: int) -> None:
        self.refresh()
        self.select(client_id)

    def clear(self) -> None:
        """Drop every row (lock)."""
        self.model.clear()
