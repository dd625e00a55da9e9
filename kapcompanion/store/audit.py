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

import contextlib
import hashlib
import json
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kapcompanion.store.dbapi import Connection, DatabaseError, IntegrityError

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
    "conflicts",
)
#: Columns that are caches derived from other records (not part of the record itself).
#: A document's ``revision`` (schema v5) only counts its saves, so that a stale save is refused
#: (``store.documents``); it is left out so records and seals made before v5 verify unchanged.
DERIVED: dict[str, frozenset[str]] = {
    "clients": frozenset({"next_session"}),
    "documents": frozenset({"revision"}),
}
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
    "conflicts": "kept conflicting version",
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


# built once: json.dumps with these arguments builds a new encoder on every call
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: one JSON string, as the encoders above write it (ensure_ascii=False)
_JSON_STRING: Callable[[str], str] = json.encoder.encode_basestring


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 as is."""
    return _CANONICAL(value)


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


def content_of(
    conn: Connection,
    records: Iterable[tuple[str, int]],
    known: Mapping[tuple[str, int], str] | None = None,
) -> str:
    """``table:id:hash`` for each record, space separated (the ``content`` of an audit row).

    ``known`` holds digests worked out before the transaction (:class:`Planned`); any record
    not in it is read back."""
    parts = []
    for t, i in records:
        digest = known.get((t, int(i))) if known else None
        parts.append(f"{t}:{int(i)}:{digest or record_digest(conn, t, int(i))}")
    return " ".join(parts)


# --------------------------------------------------------------------------- planned digests
_ID_MARK = 10**30  # stands for the row id until the insert gives it (never a real id)
_INT64 = 2**63
_EXACT_FLOAT = 2**53


class _Unsure(Exception):
    """The value might not read back as given: the digest is read back instead."""


def _as_stored(value: Any, declared: str) -> Any:
    """``value`` as SQLite will hand it back from a column of the declared type (the cases
    the planned digest handles; anything else raises :class:`_Unsure`)."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = int(value)  # bound as an integer
    kind = declared.upper()
    if kind == "INTEGER":
        if isinstance(value, int) and -_INT64 <= value < _INT64:
            return value
    elif kind == "REAL":
        if isinstance(value, int) and abs(value) <= _EXACT_FLOAT:
            return float(value)
        if isinstance(value, float) and math.isfinite(value):
            # an integral REAL is stored as an integer and read back as a float: -0.0 comes
            # back as 0.0
            return 0.0 if value == 0.0 else value
    elif kind == "TEXT" and isinstance(value, str):
        return value
    raise _Unsure(declared)


@dataclass(frozen=True)
class Planned:
    """A record's content hash worked out before its transaction, waiting only for its id.

    The canonical JSON is built once, outside the write lock; :meth:`digest` splices the id
    in and hashes (microseconds). Equal to :func:`record_digest` of the committed row (the
    tests compare them for every kind of value the plan accepts)."""

    before: bytes
    after: bytes

    def digest(self, row_id: int) -> str:
        return hashlib.sha256(self.before + str(int(row_id)).encode() + self.after).hexdigest()


def plan(
    table: str, columns: Sequence[tuple[str, str]], values: Mapping[str, Any]
) -> Planned | None:
    """The content hash of a row about to be inserted with ``values`` and a new ``id``.

    ``columns`` are the table's (name, declared type) in order, as ``PRAGMA table_info``
    gives them. Returns None (read the row back instead) unless ``values`` names every
    column but ``id`` and each value reads back exactly as given."""
    if table not in TRACKED or set(values) != {c for c, _t in columns if c != "id"}:
        return None
    if not any(c == "id" for c, _t in columns):
        return None
    skip = DERIVED.get(table, frozenset())
    row: dict[str, Any] = {}
    try:
        for name, declared in columns:
            if name in skip:
                continue
            row[name] = _ID_MARK if name == "id" else _as_stored(values[name], declared)
    except _Unsure:
        return None
    body = canonical([table, row]).encode("utf-8")
    mark = f'"id":{_ID_MARK}'.encode()
    before, found, after = body.partition(mark)
    if not found or mark in after:
        return None
    return Planned(before + b'"id":', after)


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
    body = _ROW_ENCODER(fields)  # = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass
class ChainHead:
    """The newest audit row (id and hash) as this connection last wrote or read it.

    Kept in memory between appends so that appending reads nothing. ``row`` None means
    unknown: the next append reads the head from the database. The vault forgets it after
    any rollback or failed commit; a row appended meanwhile by another connection takes the
    id this one expects, so the insert fails on the primary key and the head is read again.
    """

    row: int | None = None
    hash: str = GENESIS

    def forget(self) -> None:
        self.row, self.hash = None, GENESIS

    def load(self, conn: Connection) -> None:
        found = head(conn)
        self.row, self.hash = found if found else (0, GENESIS)


_INSERT_WITH_CONTENT = (
    "INSERT INTO audit (id, utc, who, action, record_type, record_id, client_id, detail,"
    " prev_hash, hash, content) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
# also what a vault before schema v3 can take (the backup made before migrating)
_INSERT_PLAIN = (
    "INSERT INTO audit (id, utc, who, action, record_type, record_id, client_id,"
    " detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


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
    known: Mapping[tuple[str, int], str] | None = None,
    chain: ChainHead | None = None,
) -> int:
    """Append one row; the caller owns the transaction.

    ``records`` names the (table, id) of each record this change wrote or deleted; their
    content hashes (from ``known`` when worked out beforehand, else read back inside the
    transaction) go into the row. ``chain`` is the caller's in-memory chain head (read
    from the database when unknown or absent), advanced to the new row."""
    content = content_of(conn, records, known)
    if chain is None:
        chain = ChainHead()
    if chain.row is None:
        chain.load(conn)
    for attempt in (1, 2):
        assert chain.row is not None
        row_id = chain.row + 1
        prev_hash = chain.hash
        digest = row_hash(
            prev_hash, utc, who, action, record_type, record_id, client_id, detail, row_id, content
        )
        fields = (row_id, utc, who, action, record_type, record_id, client_id, detail, prev_hash)
        try:
            if content:
                conn.execute(_INSERT_WITH_CONTENT, (*fields, digest, content))
            else:
                conn.execute(_INSERT_PLAIN, (*fields, digest))
        except IntegrityError:
            chain.load(conn)  # another connection appended since: follow its head
            if attempt == 2 or chain.row is None or chain.row < row_id:
                chain.forget()
                raise
            continue
        chain.row, chain.hash = row_id, digest
        return row_id
    raise AssertionError("unreachable")  # pragma: no cover


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


#: ``progress(done, total)`` during a long walk (rows or records so far, of about ``total``)
Progress = Callable[[int, int], None]
_PROGRESS_EVERY = 20_000
_BATCH = 5_000
_MAX_DENSE_ID = 50_000_000  # ids beyond this (never written by the app) go to a dict


class _Said:
    """What the trail last said about the records of one table, packed: for record ``i``,
    ``state[i]`` (0 never described, 1 present, 2 deleted), its SHA-256 at
    ``digests[32*i:32*i+32]`` and the audit row that said it at ``rows[i]``. About 41 bytes a
    record instead of ~450 in a dict of tuples (a clinic vault describes a million)."""

    __slots__ = ("digests", "rows", "sparse", "state")

    def __init__(self) -> None:
        self.state = bytearray()
        self.digests = bytearray()
        self.rows = array("q")
        self.sparse: dict[int, tuple[int, bytes, int]] = {}

    def put(self, record_id: int, digest: str, audit_row: int) -> None:
        if not 0 <= record_id <= _MAX_DENSE_ID:
            raw = b"" if digest == DELETED else bytes.fromhex(digest)
            self.sparse[record_id] = (2 if digest == DELETED else 1, raw, audit_row)
            return
        if record_id >= len(self.state):
            grow = max(record_id + 1, 2 * len(self.state), 1024) - len(self.state)
            self.state.extend(bytes(grow))
            self.digests.extend(bytes(32 * grow))
            self.rows.frombytes(bytes(8 * grow))
        if digest == DELETED:
            self.state[record_id] = 2
        else:
            self.state[record_id] = 1
            self.digests[32 * record_id : 32 * record_id + 32] = bytes.fromhex(digest)
        self.rows[record_id] = audit_row

    def get(self, record_id: int) -> tuple[int, bytes, int]:
        """(state, digest, audit row) for one record; state 0 when the trail never said."""
        if 0 <= record_id < len(self.state):
            state = self.state[record_id]
            if state:
                at = 32 * record_id
                return state, bytes(self.digests[at : at + 32]), self.rows[record_id]
            return 0, b"", 0
        return self.sparse.get(record_id, (0, b"", 0))

    def described(self) -> Iterator[tuple[int, int, int]]:
        """(record id, state, audit row) of every record the trail describes."""
        state, rows = self.state, self.rows
        for record_id in range(len(state)):
            if state[record_id]:
                yield record_id, state[record_id], rows[record_id]
        for record_id, (st, _digest, row) in self.sparse.items():
            yield record_id, st, row


@dataclass
class Recorded:
    """What the trail last said about each record (per table, packed: :class:`_Said`)."""

    tables: dict[str, _Said] = field(default_factory=dict)

    def said(self, table: str) -> _Said:
        found = self.tables.get(table)
        if found is None:
            found = self.tables[table] = _Said()
        return found

    def deleted_clients(self) -> set[int]:
        """Clients whose latest word in the trail is their deletion."""
        said = self.tables.get("clients")
        if said is None:
            return set()
        return {record_id for record_id, state, _row in said.described() if state == 2}


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    first_broken_id: int | None = None
    problem: str = ""
    hashes: dict[int, str] = field(default_factory=dict, compare=False)


def verify_chain(
    conn: Connection,
    recorded: Recorded | None = None,
    keep: Iterable[int] = (),
    progress: Progress | None = None,
) -> ChainReport:
    """Walk the whole chain; report the first row whose link or hash does not hold.

    ``recorded`` collects what each row says about record contents; the hashes of the rows
    named in ``keep`` (anchors) are returned in the report. ``progress(rows, total)`` every
    20,000 rows. (One loop with the row hash inlined: a clinic vault has a million rows.)"""
    wanted = set(keep)
    kept: dict[int, str] = {}
    prev_hash = GENESIS
    expected_id = 1
    total = 0
    if progress is not None:
        total = int(conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0])
        progress(0, total)
    encode = _ROW_ENCODER
    esc = _JSON_STRING
    sha256 = hashlib.sha256
    said = recorded.said if recorded is not None else None
    cur = conn.execute(_select(conn) + " ORDER BY id")
    while rows := cur.fetchmany(_BATCH):
        for row in rows:
            row_id, utc, who, action, rtype, rec_id, client_id, detail, prev, digest, content = row
            if row_id != expected_id:
                return ChainReport(
                    False, expected_id, row_id, f"audit row {expected_id} is missing", kept
                )
            if prev != prev_hash:
                return ChainReport(
                    False,
                    expected_id,
                    row_id,
                    f"audit row {row_id} does not follow row {row_id - 1}",
                    kept,
                )
            try:  # row_hash's JSON, written out: a third of the walk's time otherwise
                body = (
                    f"[{row_id:d},{esc(utc)},{esc(who)},{esc(action)},{esc(rtype)},"
                    f"{'null' if rec_id is None else f'{rec_id:d}'},"
                    f"{'null' if client_id is None else f'{client_id:d}'},{esc(detail)}"
                    + (f",{esc(content)}]" if content else "]")
                )
            except (TypeError, ValueError):  # not the types the app writes: the slow way
                fields = [row_id, utc, who, action, rtype, rec_id, client_id, detail]
                body = encode([*fields, content] if content else fields)
            if sha256((prev + body).encode("utf-8")).hexdigest() != digest:
                return ChainReport(
                    False, expected_id, row_id, f"audit row {row_id} was altered", kept
                )
            if row_id in wanted:
                kept[row_id] = digest
            if said is not None and content:
                for part in content.split():
                    table, record_id, value = part.split(":", 2)
                    said(table).put(int(record_id), value, row_id)
            prev_hash = digest
            expected_id += 1
        if progress is not None:
            done = expected_id - 1
            if done // _PROGRESS_EVERY != (done - len(rows)) // _PROGRESS_EVERY:
                progress(done, total)
    if progress is not None:
        progress(expected_id - 1, max(total, expected_id - 1))
    return ChainReport(True, expected_id - 1, hashes=kept)


def _when(utc: str) -> str:
    return utc[:16].replace("T", " ")


def _audit_row(conn: Connection, row_id: int) -> tuple[str, int | None]:
    """(utc, client_id) of one audit row, for a report line."""
    row = conn.execute("SELECT utc, client_id FROM audit WHERE id = ?", (row_id,)).fetchone()
    return (str(row[0]), row[1]) if row else ("?", None)


def _digester(table: str, columns: Sequence[str]) -> Callable[[Sequence[Any]], bytes]:
    """:func:`row_digest` as raw bytes for rows of ``columns``, quicker: the dict is built in
    sorted key order, so the encoder need not sort each one (the same JSON as canonical())."""
    skip = DERIVED.get(table, frozenset())
    order = sorted((c, i) for i, c in enumerate(columns) if c not in skip)
    keys = [c for c, _i in order]
    picks = [i for _c, i in order]
    head = [table]
    sha256 = hashlib.sha256
    encode = _ROW_ENCODER  # keeps insertion order: sorted already

    def digest(row: Sequence[Any]) -> bytes:
        data = dict(zip(keys, [row[i] for i in picks], strict=True))
        try:
            body = encode([*head, data])
        except TypeError:  # a blob: hashed as its SHA-256 (row_dict does that)
            body = _CANONICAL([table, row_dict(table, columns, row)])
        return sha256(body.encode("utf-8")).digest()

    return digest


def verify_contents(
    conn: Connection, recorded: Recorded, progress: Progress | None = None
) -> list[str]:
    """Recompute every tracked record and compare it with the trail's latest word on it.

    Records the trail has never described (none since v3) are not judged here; the v3
    migration describes every record that existed then. ``progress(records, total)``."""
    problems: list[str] = []
    total = 0
    if progress is not None:
        for table in TRACKED:
            with contextlib.suppress(DatabaseError):
                total += int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        progress(0, total)
    done = 0
    deleted_clients = recorded.deleted_clients()
    for table in TRACKED:
        name = KIND_NAMES[table]
        said = recorded.said(table)
        try:
            cur = conn.execute(f"SELECT * FROM {table} ORDER BY id")
        except DatabaseError:
            continue
        digest_of = _digester(table, [d[0] for d in cur.description])
        seen: set[int] = set()
        states, digests, dense = said.state, said.digests, len(said.state)
        while rows := cur.fetchmany(_BATCH):
            for row in rows:
                record_id = row[0]
                seen.add(record_id)
                if type(record_id) is int and 0 <= record_id < dense:  # the common case, inline
                    state = states[record_id]
                    at = 32 * record_id
                    if state == 1 and digests[at : at + 32] == digest_of(row):
                        continue
                state, digest, audit_row = said.get(int(record_id))
                if state == 0:
                    problems.append(
                        f"{name} {record_id} is not in the audit trail (added outside the app)"
                    )
                elif state == 2:
                    utc, _client = _audit_row(conn, audit_row)
                    problems.append(
                        f"{name} {record_id} was deleted at {_when(utc)} but is there again"
                    )
                elif digest_of(row) != digest:
                    utc, _client = _audit_row(conn, audit_row)
                    problems.append(
                        f"{name} {record_id} differs from what was recorded at {_when(utc)}"
                    )
            done += len(rows)
            if progress is not None and done // _PROGRESS_EVERY != (
                (done - len(rows)) // _PROGRESS_EVERY
            ):
                progress(done, total)
        for record_id, state, audit_row in said.described():
            if state != 1 or record_id in seen:
                continue
            utc, client_id = _audit_row(conn, audit_row)
            if table != "clients" and client_id is not None and client_id in deleted_clients:
                continue  # went with its client (deleting a client removes all of their records)
            problems.append(f"{name} {record_id} is missing (recorded at {_when(utc)})")
    if progress is not None:
        progress(done, max(total, done))
    return problems


def actions(conn: Connection) -> list[str]:
    """The distinct action names in the trail, sorted."""
    return [str(r[0]) for r in conn.execute("SELECT DISTINCT action FROM audit ORDER BY action")]


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
