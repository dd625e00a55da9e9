"""Every stored row of one client, read and written as is (for transfer of care).

:func:`client_rows` reads a client's complete record, table by table, as the vault holds it
(column -> value, blobs as bytes): the client, courses, sessions, their events and vital
readings, documents (measures, checklists, notes, plans ...), attachments, addenda, safety
flags and seals. :func:`insert_row` writes one such row back under a given id, checking every
column name against the table (a bundle's column names never reach SQL unchecked). The caller
owns the transaction and the audit row (``services.transfer``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kapcompanion.core.search import fold
from kapcompanion.store.dbapi import Connection
from kapcompanion.store.errors import VaultError

#: The tables of a client's record in the order a transfer writes them (parents first).
TABLES: tuple[str, ...] = (
    "clients",
    "courses",
    "sessions",
    "events",
    "vitals",
    "documents",
    "attachments",
    "addenda",
    "flags",
    "seals",
)

Row = dict[str, Any]


def _select(conn: Connection, table: str, where: str, args: tuple[Any, ...]) -> list[Row]:
    cur = conn.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id", args)
    columns = [d[0] for d in cur.description]
    return [
        {c: bytes(v) if isinstance(v, memoryview) else v for c, v in zip(columns, r, strict=True)}
        for r in cur.fetchall()
    ]


def client_rows(conn: Connection, client_id: int) -> dict[str, list[Row]]:
    """The client's whole record, per table, each list in id order ({} parts when empty)."""
    out: dict[str, list[Row]] = {t: [] for t in TABLES}
    out["clients"] = _select(conn, "clients", "id = ?", (client_id,))
    if not out["clients"]:
        return out
    sub_sessions = "SELECT id FROM sessions WHERE client_id = ?"
    sub_courses = "SELECT id FROM courses WHERE client_id = ?"
    sub_docs = (
        f"SELECT id FROM documents WHERE client_id = ? OR session_id IN ({sub_sessions})"
        f" OR course_id IN ({sub_courses})"
    )
    out["courses"] = _select(conn, "courses", "client_id = ?", (client_id,))
    out["sessions"] = _select(conn, "sessions", "client_id = ?", (client_id,))
    out["events"] = _select(conn, "events", f"session_id IN ({sub_sessions})", (client_id,))
    out["vitals"] = _select(conn, "vitals", f"session_id IN ({sub_sessions})", (client_id,))
    three = (client_id, client_id, client_id)
    out["documents"] = _select(conn, "documents", f"id IN ({sub_docs})", three)
    out["attachments"] = _select(conn, "attachments", f"document_id IN ({sub_docs})", three)
    out["addenda"] = _select(
        conn,
        "addenda",
        f"(record_type = 'session' AND record_id IN ({sub_sessions}))"
        f" OR (record_type <> 'session' AND record_id IN ({sub_docs}))",
        (client_id, *three),
    )
    out["flags"] = _select(conn, "flags", "client_id = ?", (client_id,))
    out["seals"] = _select(
        conn,
        "seals",
        f"client_id = ? OR (record_type = 'session' AND record_id IN ({sub_sessions}))"
        f" OR (record_type = 'document' AND record_id IN ({sub_docs}))",
        (client_id, client_id, *three),
    )
    return out


def next_ids(conn: Connection, table: str, count: int) -> list[int]:
    """``count`` fresh ids for ``table`` (inside the caller's write transaction)."""
    if table not in TABLES:
        raise ValueError(f"{table} is not a table of a client's record")
    top = int(conn.execute(f"SELECT COALESCE(max(id), 0) FROM {table}").fetchone()[0])
    return list(range(top + 1, top + 1 + count))


def columns_of(conn: Connection, table: str) -> list[str]:
    if table not in TABLES:
        raise ValueError(f"{table} is not a table of a client's record")
    return [str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")]


def insert_row(conn: Connection, table: str, row: Row, known: list[str]) -> None:
    """Insert ``row`` (its ``id`` included) into ``table``; ``known`` from :func:`columns_of`."""
    unknown = [c for c in row if c not in known]
    if unknown:
        raise VaultError(
            f"The bundle holds {table} columns this version does not know ({', '.join(unknown)})."
        )
    cols = list(row)
    marks = ",".join("?" * len(cols))
    conn.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", [row[c] for c in cols]
    )


def same_clients(conn: Connection, name: str, dob: date | str | None) -> list[int]:
    """Ids of the clients with this name (case and accents aside) and date of birth."""
    wanted = fold(" ".join(name.split()))
    day = dob.isoformat() if isinstance(dob, date) else dob
    rows = conn.execute(
        "SELECT id, name FROM clients WHERE dob IS ? ORDER BY id", (day or None,)
    ).fetchall()
    return [int(r[0]) for r in rows if fold(" ".join(str(r[1]).split())) == wanted]
