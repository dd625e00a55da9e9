"""The client list as a table model over ``Repos.clients.search``.

The model holds the rows of the last query and nothing else; ``clear()`` drops them (on lock).
Role ``CLIENT_ID_ROLE`` gives a row's client id in every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from kapcompanion.core import wording
from kapcompanion.core.intake import indication_label
from kapcompanion.core.models import Client, ClientStatus
from kapcompanion.store.repos import Repos

CLIENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_NAME = "name"
SORT_NEXT_SESSION = "next_session"

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ClientQuery:
    text: str = ""
    include_archived: bool = False
    active_course_only: bool = False
    sort: str = SORT_NAME


def format_when(when: datetime | None, today: date | None = None) -> str:
    """A session time in local time (``Tue, May 14, 10:00 AM``; the year when not this year)."""
    if when is None:
        return ""
    return wording.appointment(when.astimezone(), today)


def indication_text(indications: list[str]) -> str:
    """Indications as words (``treatment_resistant_depression`` -> treatment resistant ...)."""
    return ", ".join(indication_label(i) for i in indications)


class ClientTableModel(QAbstractTableModel):
    COLUMNS = ("Name", "Pseudonym", "Indication", "Next session", "Status")
    NAME, PSEUDONYM, INDICATION, NEXT, STATUS = range(5)

    def __init__(self, repos: Repos | None, parent: Any = None) -> None:
        super().__init__(parent)
        self._repos = repos
        self._rows: list[Client] = []
        self.query = ClientQuery()

    # ------------------------------------------------------------------ loading
    def set_query(self, query: ClientQuery) -> None:
        self.query = query
        self.refresh()

    def refresh(self) -> None:
        rows = (
            []
            if self._repos is None
            else self._repos.clients.search(
                self.query.text,
                include_archived=self.query.include_archived,
                active_course_only=self.query.active_course_only,
                sort=self.query.sort,
            )
        )
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def clear(self) -> None:
        """Forget every row and the repositories (the vault is closing)."""
        self.beginResetModel()
        self._rows = []
        self._repos = None
        self.endResetModel()

    # ------------------------------------------------------------------ access
    def client_at(self, row: int) -> Client:
        return self._rows[row]

    def client_id(self, row: int) -> int:
        cid = self._rows[row].id
        assert cid is not None
        return cid

    def row_of(self, client_id: int) -> int | None:
        for i, client in enumerate(self._rows):
            if client.id == client_id:
                return i
        return None

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def _text(self, client: Client, column: int) -> str:
        if column == self.NAME:
            return client.name or client.pseudonym
        if column == self.PSEUDONYM:
            return client.pseudonym
        if column == self.INDICATION:
            return indication_text(client.indications)
        if column == self.NEXT:
            return format_when(client.next_session)
        if column == self.STATUS:
            return "Archived" if client.status == ClientStatus.ARCHIVED else "Active"
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        client = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = self._text(client, column)
            if role == Qt.ItemDataRole.DisplayRole and column == self.NEXT and not text:
                return "not booked"
            return text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._text(client, column) or "none"
        if role == CLIENT_ID_ROLE:
            return client.id
        if role == Qt.ItemDataRole.FontRole and client.status == ClientStatus.ARCHIVED:
            font = QFont()
            font.setItalic(True)
            return font
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and column == self.NEXT
            and (client.next_session is None)
        ):
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        return None
