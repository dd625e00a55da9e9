"""The client list as a table model over ``services.clients.search``.

Search as you type is incremental: the model reads every client the filters allow once (a
*pool*, in the chosen sort order, each with its cell texts and its search text worked out
then), and each keystroke only filters that pool in memory, narrowing the rows already shown
when the text grows. Nothing is re-read or re-sorted per keystroke. ``refresh()`` reads the
pool again (filters changed, a client changed); ``clear()`` drops everything (on lock).
Role ``CLIENT_ID_ROLE`` gives a row's client id in every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from kapcompanion.core import wording
from kapcompanion.core.intake import indication_label
from kapcompanion.core.models import Client, ClientStatus
from kapcompanion.core.search import client_search_text as search_text
from kapcompanion.core.search import fold
from kapcompanion.services import clients as client_service

if TYPE_CHECKING:
    from kapcompanion.services.handles import Repos

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


@dataclass(frozen=True)
class _Row:
    client: Client
    texts: tuple[str, str, str, str, str]  # the five columns' text, worked out once
    search: str  # folded as the vault folds it (``store.clients``), so matches are the same


def _row(client: Client) -> _Row:
    texts = (
        client.name or client.pseudonym,
        client.pseudonym,
        indication_text(client.indications),
        format_when(client.next_session),
        "Archived" if client.status == ClientStatus.ARCHIVED else "Active",
    )
    return _Row(client, texts, search_text(client))


class ClientTableModel(QAbstractTableModel):
    COLUMNS = ("Name", "Pseudonym", "Indication", "Next session", "Status")
    NAME, PSEUDONYM, INDICATION, NEXT, STATUS = range(5)

    def __init__(self, repos: Repos | None, parent: Any = None) -> None:
        super().__init__(parent)
        self._repos = repos
        self._rows: list[_Row] = []
        self._pool: list[_Row] | None = None  # every client the filters allow, in order
        self._pool_filters: tuple[bool, bool, str] | None = None
        self._words: list[str] = []  # the folded words the shown rows match
        self.query = ClientQuery()
        #: counts the times the pool was read (the view fits its columns to each pool)
        self.pool_version = 0

    # ------------------------------------------------------------------ loading
    def set_query(self, query: ClientQuery) -> None:
        """Show ``query``: filters the pool in memory when only the text changed."""
        self.query = query
        if self._pool is None or self._pool_filters != self._filters(query):
            self.refresh()
            return
        self._show(fold(query.text).split())

    def refresh(self) -> None:
        """Read the pool again from the vault (the filters or a client changed)."""
        q = self.query
        clients = (
            []
            if self._repos is None
            else client_service.search(
                self._repos,
                "",
                include_archived=q.include_archived,
                active_course_only=q.active_course_only,
                sort=q.sort,
            )
        )
        self._pool = [_row(c) for c in clients]
        self._pool_filters = self._filters(q)
        self.pool_version += 1
        self._words = []
        self._rows = self._pool
        self._show(fold(q.text).split(), reset=True)

    @staticmethod
    def _filters(query: ClientQuery) -> tuple[bool, bool, str]:
        return (query.include_archived, query.active_course_only, query.sort)

    def _show(self, words: list[str], reset: bool = False) -> None:
        """Rows matching every word (as the vault's LIKE '%word%' on its folded search text).
        When the new words only add to the old (typing on), the shown rows are narrowed."""
        assert self._pool is not None
        narrowing = " ".join(words).startswith(" ".join(self._words)) and not reset
        source = self._rows if narrowing else self._pool
        if words:
            rows = [r for r in source if all(w in r.search for w in words)]
        else:
            rows = list(self._pool)
        self._words = words
        if narrowing and len(rows) == len(self._rows):
            return  # the same rows (a narrowing that removed nothing)
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def clear(self) -> None:
        """Forget every row and the repositories (the vault is closing)."""
        self.beginResetModel()
        self._rows = []
        self._pool = None
        self._pool_filters = None
        self.pool_version += 1
        self._repos = None
        self.endResetModel()

    def pool_texts(self, column: int) -> set[tuple[str, bool]]:
        """Every distinct text ``column`` shows for the clients held (filtered or not), with
        whether it is shown in italics (archived): what the view sizes its columns by."""
        found: set[tuple[str, bool]] = set()
        for entry in self._pool or []:
            text = entry.texts[column]
            if column == self.NEXT and not text:
                text = "not booked"
            found.add((text, entry.client.status == ClientStatus.ARCHIVED))
        return found

    # ------------------------------------------------------------------ access
    def client_at(self, row: int) -> Client:
        return self._rows[row].client

    def client_id(self, row: int) -> int:
        cid = self._rows[row].client.id
        assert cid is not None
        return cid

    def row_of(self, client_id: int) -> int | None:
        for i, row in enumerate(self._rows):
            if row.client.id == client_id:
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

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not 0 <= row < len(self._rows) or not index.isValid():
            return None
        entry = self._rows[row]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            text = entry.texts[column]
            return "not booked" if column == self.NEXT and not text else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.texts[column]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return entry.texts[column] or "none"
        if role == CLIENT_ID_ROLE:
            return entry.client.id
        if role == Qt.ItemDataRole.FontRole and entry.client.status == ClientStatus.ARCHIVED:
            font = QFont()
            font.setItalic(True)
            return font
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and column == self.NEXT
            and (entry.client.next_session is None)
        ):
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        return None
