"""The audit trail: append-only rows chained by SHA-256.

Each row's hash covers its own fields and the previous row's hash, so editing, inserting or
deleting a row breaks the chain at that point. Rows are written through :func:`append` inside the
same transaction as the change they record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from kapcompanion.store.dbapi import Connection

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRow:
    id: int
    utc: str
    who: str
    action: str
    record_type: str
    record_id: int | None
    client_id: int | None
    detail: str
    prev_hash: str
    hash: str


def row_hash(
    prev_hash: str,
    utc: str,
    who: str,
    action: str,
    record_type: str,
    record_id: int | None,
    client_id: int | None,
    detail: str,
    row_id: int,
) -> str:
    body = json.dumps(
        [row_id, utc, who, action, record_type, record_id, client_id, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(
    conn: Connection,
    *,
    utc: str,
    who: str,
    action: str,
    record_type: str = "",
    record_id: int | None = None,
    client_id: int | None = None,
    detail: str = "",
) -> int:
    """Append one row; the caller owns the transaction."""
    last = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = last[1] if last else GENESIS
    row_id = (last[0] + 1) if last else 1
    digest = row_hash(
        prev_hash, utc, who, action, record_type, record_id, client_id, detail, row_id
    )
    conn.execute(
        "INSERT INTO audit (id, utc, who, action, record_type, record_id, client_id, detail,"
        " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (row_id, utc, who, action, record_type, record_id, client_id, detail, prev_hash, digest),
    )
    return row_id


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    first_broken_id: int | None = None
    problem: str = ""


def verify_chain(conn: Connection) -> ChainReport:
    """Walk the whole chain; report the first row whose link or hash does not hold."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for row in conn.execute(
        "SELECT id, utc, who, action, record_type, record_id, client_id, detail, prev_hash, hash"
        " FROM audit ORDER BY id"
    ):
        r = AuditRow(*row)
        count += 1
        if r.id != expected_id:
            return ChainReport(False, count, r.id, f"audit row {expected_id} is missing")
        if r.prev_hash != prev_hash:
            return ChainReport(
                False, count, r.id, f"audit row {r.id} does not follow row {r.id - 1}"
            )
        digest = row_hash(
            r.prev_hash,
            r.utc,
            r.who,
            r.action,
            r.record_type,
            r.record_id,
            r.client_id,
            r.detail,
            r.id,
        )
        if digest != r.hash:
            return ChainReport(False, count, r.id, f"audit row {r.id} was altered")
        prev_hash = r.hash
        expected_id += 1
    return ChainReport(True, count)


def query(
    conn: Connection,
    *,
    client_id: int | None = None,
    action: str | None = None,
    since_utc: str | None = None,
    until_utc: str | None = None,
    limit: int = 1000,
) -> list[AuditRow]:
    where: list[str] = []
    args: list[Any] = []
    if client_id is not None:
        where.append("client_id = ?")
        args.append(client_id)
    if action:
        where.append("action = ?")
        args.append(action)
    if since_utc:
        where.append("utc >= ?")
        args.append(since_utc)
    if until_utc:
        where.append("utc <= ?")
        args.append(until_utc)
    sql = "SELECT id, utc, who, action, record_type, record_id, client_id, detail, prev_hash, hash"
    sql += " FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    args.append(limit)
    return [AuditRow(*row) for row in conn.execute(sql, args)]
