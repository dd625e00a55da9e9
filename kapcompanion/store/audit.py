"""The audit trail: append-only rows chained by SHA-256, carrying the content they record.

Each row's hash covers its own fields and the previous row's hash, so editing, inserting or
deleting a row breaks the chain at that point. Rows are written through :func:`append` inside the
same transaction as the change they record.

Since schema v3 a row may also carry ``content``: for each record the change wrote, the
record's table, id and a SHA-256 of the record as committed (its canonical JSON, one function
for every kind, :func:`row_digest`), or ``-`` when the change deleted it. The row hash covers
``content``, so ``vault check`` can recompute every record and compare it with what the trail
says it was (:func:`verify_contents`). Rows without content hash exactly as before, so chains
written by older versions still verify.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kapcompanion.store.dbapi import Connection, DatabaseError

GENESIS = "0" * 64
DELETED = "-"

#: The tables whose rows carry a content hash in the trail, in a fixed order.
TRACKED: tuple[str, ...] = (
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
    "ledger_products",
    "ledger_containers",
    "ledger_entries",
)
#: Columns that are caches derived from other records (not part of the record itself).
DERIVED: dict[str, frozenset[str]] = {"clients": frozenset({"next_session"})}
#: How each kind is named in a report ("event 4312 differs ...").
KIND_NAMES = {
    "clients": "client",
    "courses": "course",
    "sessions": "session",
    "events": "event",
    "vitals": "vital reading",
    "documents": "document",
    "attachments": "attachment",
    "addenda": "addendum",
    "flags": "flag",
    "seals": "seal",
    "ledger_products": "ledger product",
    "ledger_containers": "ledger container",
    "ledger_entries": "ledger entry",
}


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
    content: str = ""


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _cell(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
    return value


def row_dict(table: str, columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """A stored row as a plain dict (blobs as their SHA-256, derived caches left out)."""
    skip = DERIVED.get(table, frozenset())
    return {c: _cell(v) for c, v in zip(columns, row, strict=True) if c not in skip}


def row_digest(table: str, columns: Sequence[str], row: Sequence[Any]) -> str:
    """SHA-256 of a record as committed: the one content hash for every record kind."""
    body = canonical([table, row_dict(table, columns, row)])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record_digest(conn: Connection, table: str, row_id: int) -> str:
    """The content hash of one stored record, or ``-`` when it is not there."""
    if table not in TRACKED:
        raise ValueError(f"{table} is not a tracked table")
    cur = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
    row = cur.fetchone()
    if row is None:
        return DELETED
    return row_digest(table, [d[0] for d in cur.description], row)


def content_of(conn: Connection, records: Iterable[tuple[str, int]]) -> str:
    """``table:id:hash`` for each record, space separated (the ``content`` of an audit row)."""
    return " ".join(f"{t}:{int(i)}:{record_digest(conn, t, int(i))}" for t, i in records)


def parse_content(content: str) -> Iterator[tuple[str, int, str]]:
    for part in content.split():
        table, row_id, digest = part.split(":", 2)
        yield table, int(row_id), digest


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
    content: str = "",
) -> str:
    fields: list[Any] = [row_id, utc, who, action, record_type, record_id, client_id, detail]
    if content:
        fields.append(content)
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
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
    records: Iterable[tuple[str, int]] = (),
) -> int:
    """Append one row; the caller owns the transaction.

    ``records`` names the (table, id) of each record this change wrote or deleted; their
    content hashes, read back inside the transaction, go into the row."""
    content = content_of(conn, records)
    last = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = last[1] if last else GENESIS
    row_id = (last[0] + 1) if last else 1
    digest = row_hash(
        prev_hash, utc, who, action, record_type, record_id, client_id, detail, row_id, content
    )
    if content:
        conn.execute(
            "INSERT INTO audit (id, utc, who, action, record_type, record_id, client_id, detail,"
            " prev_hash, hash, content) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                row_id,
                utc,
                who,
                action,
                record_type,
                record_id,
                client_id,
                detail,
                prev_hash,
                digest,
                content,
            ),
        )
    else:  # also what a vault before schema v3 can take (the backup made before migrating)
        conn.execute(
            "INSERT INTO audit (id, utc, who, action, record_type, record_id, client_id,"
            " detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                row_id,
                utc,
                who,
                action,
                record_type,
                record_id,
                client_id,
                detail,
                prev_hash,
                digest,
            ),
        )
    return row_id


def has_content_column(conn: Connection) -> bool:
    return any(r[1] == "content" for r in conn.execute("PRAGMA table_info(audit)"))


def _select(conn: Connection) -> str:
    content = "content" if has_content_column(conn) else "''"
    return (
        "SELECT id, utc, who, action, record_type, record_id, client_id, detail, prev_hash,"
        f" hash, {content} FROM audit"
    )


def head(conn: Connection) -> tuple[int, str] | None:
    """The chain head: the newest row's id and hash (what an anchor records)."""
    row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


@dataclass
class Recorded:
    """What the trail last said about each record: (digest, audit row id, utc, client_id)."""

    latest: dict[tuple[str, int], tuple[str, int, str, int | None]] = field(default_factory=dict)
    deleted_clients: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    first_broken_id: int | None = None
    problem: str = ""
    hashes: dict[int, str] = field(default_factory=dict, compare=False)


def verify_chain(
    conn: Connection, recorded: Recorded | None = None, keep: Iterable[int] = ()
) -> ChainReport:
    """Walk the whole chain; report the first row whose link or hash does not hold.

    ``recorded`` collects what each row says about record contents; the hashes of the rows
    named in ``keep`` (anchors) are returned in the report."""
    wanted = set(keep)
    kept: dict[int, str] = {}
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for row in conn.execute(_select(conn) + " ORDER BY id"):
        r = AuditRow(*row)
        count += 1
        if r.id != expected_id:
            return ChainReport(False, count, r.id, f"audit row {expected_id} is missing", kept)
        if r.prev_hash != prev_hash:
            return ChainReport(
                False, count, r.id, f"audit row {r.id} does not follow row {r.id - 1}", kept
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
            r.content,
        )
        if digest != r.hash:
            return ChainReport(False, count, r.id, f"audit row {r.id} was altered", kept)
        if r.id in wanted:
            kept[r.id] = r.hash
        if recorded is not None and r.content:
            for table, row_id, value in parse_content(r.content):
                recorded.latest[(table, row_id)] = (value, r.id, r.utc, r.client_id)
                if table == "clients":
                    if value == DELETED:
                        recorded.deleted_clients.add(row_id)
                    else:
                        recorded.deleted_clients.discard(row_id)
        prev_hash = r.hash
        expected_id += 1
    return ChainReport(True, count, hashes=kept)


def _when(utc: str) -> str:
    return utc[:16].replace("T", " ")


def verify_contents(conn: Connection, recorded: Recorded) -> list[str]:
    """Recompute every tracked record and compare it with the trail's latest word on it.

    Records the trail has never described (none since v3) are not judged here; the v3
    migration describes every record that existed then."""
    problems: list[str] = []
    seen: set[tuple[str, int]] = set()
    for table in TRACKED:
        name = KIND_NAMES[table]
        try:
            cur = conn.execute(f"SELECT * FROM {table} ORDER BY id")
        except DatabaseError:
            continue
        columns = [d[0] for d in cur.description]
        for row in cur:
            key = (table, int(row[0]))
            seen.add(key)
            said = recorded.latest.get(key)
            if said is None:
                problems.append(
                    f"{name} {key[1]} is not in the audit trail (added outside the app)"
                )
                continue
            if said[0] == DELETED:
                problems.append(
                    f"{name} {key[1]} was deleted at {_when(said[2])} but is there again"
                )
            elif row_digest(table, columns, row) != said[0]:
                problems.append(
                    f"{name} {key[1]} differs from what was recorded at {_when(said[2])}"
                )
    for key, (value, _row_id, utc, client_id) in recorded.latest.items():
        if key in seen or value == DELETED:
            continue
        if key[0] != "clients" and client_id is not None and client_id in recorded.deleted_clients:
            continue  # went with its client (deleting a client removes all of their records)
        problems.append(
            f"{KIND_NAMES.get(key[0], key[0])} {key[1]} is missing (recorded at {_when(utc)})"
        )
    return problems


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
    sql = _select(conn)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    args.append(limit)
    return [AuditRow(*row) for row in conn.execute(sql, args)]
