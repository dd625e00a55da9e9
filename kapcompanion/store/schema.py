"""Schema and forward migrations.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[n]`` moves a vault from
version ``n`` to ``n + 1``; they run in order, each in its own transaction, after an automatic
backup. Indexed facts live in columns; the rest of each record is JSON in ``data`` so that a new
optional field never needs a migration.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from kapcompanion.store.dbapi import Connection

V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE clients (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    pseudonym TEXT NOT NULL DEFAULT '',
    dob TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    search TEXT NOT NULL DEFAULT '',
    next_session TEXT,
    created_utc TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX clients_status ON clients(status);
CREATE TABLE courses (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    indication TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active',
    started_on TEXT,
    created_utc TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX courses_client ON courses(client_id);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    course_id INTEGER REFERENCES courses(id) ON DELETE CASCADE,
    number INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'planned',
    planned_for TEXT,
    started_utc TEXT,
    dose_utc TEXT,
    ended_utc TEXT,
    signed_utc TEXT,
    created_utc TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_client ON sessions(client_id, planned_for);
CREATE INDEX sessions_status ON sessions(status);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    utc TEXT NOT NULL,
    offset_s REAL,
    corrects_id INTEGER REFERENCES events(id),
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_session ON events(session_id, id);
CREATE TABLE vitals (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    utc TEXT NOT NULL,
    offset_s REAL,
    flagged INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX vitals_session ON vitals(session_id, id);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    client_id INTEGER REFERENCES clients(id) ON DELETE CASCADE,
    course_id INTEGER REFERENCES courses(id) ON DELETE CASCADE,
    session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'draft',
    created_utc TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    signed_utc TEXT,
    signed_by TEXT,
    content_hash TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX documents_client ON documents(client_id, kind);
CREATE INDEX documents_session ON documents(session_id, kind);
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    content BLOB NOT NULL,
    thumbnail BLOB
);
CREATE INDEX attachments_document ON attachments(document_id);
CREATE TABLE addenda (
    id INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    author TEXT NOT NULL,
    utc TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX addenda_record ON addenda(record_type, record_id);
CREATE TABLE flags (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    raised_utc TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    resolved_utc TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX flags_client ON flags(client_id);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    utc TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT NOT NULL DEFAULT '',
    record_id INTEGER,
    client_id INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_client ON audit(client_id, id);
"""

Migration = Callable[[Connection], None]


def _to_v1(conn: Connection) -> None:
    for statement in V1.split(";"):
        if statement.strip():
            conn.execute(statement)


def _to_v2(conn: Connection) -> None:
    """Drop the audit index on action: it made every audited change write one more B-tree page
    (recording a session event went from 1.37x to 1.7x a bare insert, bench/). Filtering the
    audit view by action alone now scans newest-first: ~0.6 s over a million rows for a rare
    action, instant for common ones and for any filter that names a client."""
    conn.execute("DROP INDEX IF EXISTS audit_action")


V3 = """
ALTER TABLE audit ADD COLUMN content TEXT NOT NULL DEFAULT '';
CREATE TABLE seals (
    id INTEGER PRIMARY KEY,
    client_id INTEGER REFERENCES clients(id) ON DELETE CASCADE,
    record_type TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    addendum_id INTEGER,
    utc TEXT NOT NULL,
    signer TEXT NOT NULL DEFAULT '',
    extends_id INTEGER REFERENCES seals(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    snapshot TEXT NOT NULL
);
CREATE INDEX seals_record ON seals(record_type, record_id);
"""

BASELINE_DETAIL = "content hash recorded at the upgrade to schema v3"


def _to_v3(conn: Connection) -> None:
    """Content in the chain and seals (issue 13).

    The audit row gains ``content`` (covered by its hash); signed records gain a seal. Records
    that already exist get their content hash written once, one ``content.baseline`` audit row
    each, so an older vault is checked from this point on. Records signed before this version
    are sealed as they stand now (their audit row says so)."""
    from kapcompanion.store import audit, seals

    for statement in V3.split(";"):
        if statement.strip():
            conn.execute(statement)
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    who = "KAP Companion"
    for sid, signed_utc in conn.execute(
        "SELECT id, signed_utc FROM sessions WHERE signed_utc IS NOT NULL ORDER BY id"
    ).fetchall():
        signer = conn.execute(
            "SELECT detail FROM audit WHERE action = 'session.sign' AND record_type = 'session'"
            " AND record_id = ? ORDER BY id DESC LIMIT 1",
            (sid,),
        ).fetchone()
        seals.freeze_session(conn, int(sid), str(signer[0]) if signer else "", str(signed_utc))
    for doc_id, signed_by, signed_utc in conn.execute(
        "SELECT id, signed_by, signed_utc FROM documents WHERE status = 'signed'"
        " AND id NOT IN (SELECT record_id FROM seals WHERE record_type = 'document') ORDER BY id"
    ).fetchall():
        seals.seal_document(conn, int(doc_id), str(signed_by or ""), str(signed_utc or now))
    owner = {
        "clients": "id",
        "courses": "client_id",
        "sessions": "client_id",
        "events": "(SELECT client_id FROM sessions s WHERE s.id = events.session_id)",
        "vitals": "(SELECT client_id FROM sessions s WHERE s.id = vitals.session_id)",
        "documents": "client_id",
        "attachments": "(SELECT client_id FROM documents d WHERE d.id = attachments.document_id)",
        "addenda": "NULL",
        "flags": "client_id",
        "seals": "client_id",
    }
    for table in owner:  # the tables of v3 (later versions track more: audit.TRACKED)
        rows = conn.execute(f"SELECT id, {owner[table]} FROM {table} ORDER BY id").fetchall()
        for row_id, client_id in rows:
            audit.append(
                conn,
                utc=now,
                who=who,
                action="content.baseline",
                record_type=audit.KIND_NAMES[table],
                record_id=int(row_id),
                client_id=client_id,
                detail=BASELINE_DETAIL,
                records=((table, int(row_id)),),
            )


V4 = """
CREATE TABLE ledger_products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    substance TEXT NOT NULL,
    form TEXT NOT NULL,
    strength_mg TEXT NOT NULL,
    container_ml TEXT,
    schedule TEXT NOT NULL DEFAULT 'III',
    created_utc TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    utc TEXT NOT NULL,
    who TEXT NOT NULL,
    container_id INTEGER REFERENCES ledger_containers(id),
    mg TEXT NOT NULL DEFAULT '0',
    session_id INTEGER,
    refers_id INTEGER REFERENCES ledger_entries(id),
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ledger_entries_container ON ledger_entries(container_id, id);
CREATE INDEX ledger_entries_session ON ledger_entries(session_id);
CREATE INDEX ledger_entries_refers ON ledger_entries(refers_id);
CREATE TABLE ledger_containers (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES ledger_products(id),
    label TEXT NOT NULL UNIQUE,
    lot TEXT NOT NULL,
    expiry TEXT NOT NULL,
    receipt_id INTEGER NOT NULL REFERENCES ledger_entries(id),
    created_utc TEXT NOT NULL
);
CREATE INDEX ledger_containers_product ON ledger_containers(product_id);
"""

#: the ledger's tables take no UPDATE or DELETE: a correction is a new row (issue 23)
LEDGER_TABLES = ("ledger_products", "ledger_entries", "ledger_containers")


def _to_v4(conn: Connection) -> None:
    """The controlled-substance ledger (issue 23): products, containers and entries.

    ``session_id`` is a plain number, not a foreign key: records of controlled substances are
    kept for at least two years (21 CFR 1304.04) and outlive a client deleted from the vault,
    so each administration also keeps the patient's name and address as they were. The
    tables are append-only, enforced by triggers; ``vault check`` covers them through the
    content hashes of the audit trail (``store.audit.TRACKED``)."""
    for statement in V4.split(";"):
        if statement.strip():
            conn.execute(statement)
    for table in LEDGER_TABLES:
        for verb in ("UPDATE", "DELETE"):
            conn.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN"
                f" SELECT RAISE(ABORT, 'ledger records are append-only'); END"
            )


V5 = """
ALTER TABLE documents ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
CREATE TABLE conflicts (
    id INTEGER PRIMARY KEY,
    client_id INTEGER REFERENCES clients(id) ON DELETE CASCADE,
    document_id INTEGER,
    draft_key TEXT,
    kind TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    who TEXT NOT NULL DEFAULT '',
    mine_revision INTEGER NOT NULL,
    theirs_revision INTEGER NOT NULL,
    resolved_utc TEXT,
    resolution TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX conflicts_document ON conflicts(document_id);
CREATE INDEX conflicts_client ON conflicts(client_id);
"""


def _to_v5(conn: Connection) -> None:
    """Revisions and conflicts (issue 20 item 2): no stale overwrite.

    Every document gains ``revision`` (1 for those that exist), raised by one on each save; a
    save based on an older revision is refused and its content kept in ``conflicts`` (with
    the stored content it met) until someone chooses. ``revision`` is bookkeeping, not part of
    the record: ``store.audit.DERIVED`` leaves it out of content hashes and seals, so existing
    records and signatures verify unchanged and no baseline rows are needed. ``document_id`` is
    a plain number, not a foreign key: a conflict outlives a deleted draft, as its trace."""
    for statement in V5.split(";"):
        if statement.strip():
            conn.execute(statement)


#: MIGRATIONS[n] upgrades a vault at version n to version n + 1.
MIGRATIONS: list[Migration] = [_to_v1, _to_v2, _to_v3, _to_v4, _to_v5]

SCHEMA_VERSION = len(MIGRATIONS)
