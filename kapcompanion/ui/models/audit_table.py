"""The audit trail as a table model: newest entry first, with the chain's verdict per row.

The rows come from ``store.audit.query`` (already filtered); the chain report from
``store.audit.verify_chain``. Every entry older than the first broken link is verified;
the broken entry is marked, and entries after it cannot be vouched for (the chain is
only as good as its first break). Tested without a view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from kapcompanion.core import wording
from kapcompanion.core.audit_words import action_words, record_words
from kapcompanion.services.audit_trail import AuditRow, ChainReport

COLUMNS = ("#", "When", "Who", "Action", "Record", "Client", "Chain", "Detail")
ACTION, DETAIL = COLUMNS.index("Action"), COLUMNS.index("Detail")
VERIFIED = "verified"
BROKEN = "BROKEN"
AFTER_BREAK = "not verified"
UNCHECKED = ""

Index = QModelIndex | QPersistentModelIndex


def local_time(utc: str) -> str:
    """The entry's time in the clinic's short date format (``03/12/2026, 13:27``)."""
    try:
        return wording.date_time(datetime.fromisoformat(utc).astimezone())
    except ValueError:
        return utc  # shown as stored: a damaged time is itself a finding


def record_text(row: AuditRow) -> str:
    """``course plan 232``: the record's kind in words and its number."""
    return record_words(row.record_type, row.record_id)


class AuditTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[AuditRow] = []
        self.clients: dict[int, str] = {}
        self.report: ChainReport | None = None
        self.error_colour = QColor("#a3271f")

    # ------------------------------------------------------------------ content
    def set_rows(self, rows: list[AuditRow], clients: dict[int, str] | None = None) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        if clients is not None:
            self.clients = dict(clients)
        self.endResetModel()

    def set_report(self, report: ChainReport | None) -> None:
        self.report = report
        if self.rows:
            last = len(COLUMNS) - 1
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, last))

    def chain_state(self, row: AuditRow) -> str:
        report = self.report
        if report is None:
            return UNCHECKED
        if report.ok or report.first_broken_id is None:
            return VERIFIED if row.id <= report.rows else UNCHECKED  # newer than the check
        if row.id < report.first_broken_id:
            return VERIFIED
        return BROKEN if row.id == report.first_broken_id else AFTER_BREAK

    def row_of_id(self, audit_id: int) -> int | None:
        for n, row in enumerate(self.rows):
            if row.id == audit_id:
                return n
        return None

    def client_text(self, client_id: int | None) -> str:
        if client_id is None:
            return ""
        return self.clients.get(client_id, f"client {client_id} (deleted)")

    def cells(self, row: AuditRow) -> list[str]:
        return [
            str(row.id),
            local_time(row.utc),
            row.who,
            action_words(row.action),
            record_text(row),
            self.client_text(row.client_id),
            self.chain_state(row),
            row.detail,
        ]

    def csv_header(self) -> list[str]:
        return ["id", "utc", "local time", "who", "action", "record type", "record id",
                "client id", "client", "detail", "chain"]  # fmt: skip

    def csv_rows(self) -> list[list[object]]:
        """The rows shown, with the stored UTC time and raw ids (for an auditor's tools)."""
        return [
            [
                r.id,
                r.utc,
                local_time(r.utc),
                r.who,
                r.action,
                r.record_type,
                r.record_id if r.record_id is not None else "",
                r.client_id if r.client_id is not None else "",
                self.client_text(r.client_id),
                r.detail,
                self.chain_state(r),
            ]
            for r in self.rows
        ]

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == ACTION:
            return f"{action_words(row.action)} (as kept in the trail: {row.action})"
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(row)[index.column()]
        state = self.chain_state(row)
        if role == Qt.ItemDataRole.ForegroundRole and state in (BROKEN, AFTER_BREAK):
            return QBrush(self.error_colour)
        if role == Qt.ItemDataRole.FontRole and state == BROKEN:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
