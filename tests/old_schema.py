"""Vaults as an older app wrote them: create at the current schema, fill through today's code,
then undo the later migrations on the raw file (today's repositories cannot write an older
schema: a document has a ``revision`` column since v5)."""

from __future__ import annotations

from pathlib import Path

import sqlcipher3
from support import PASSPHRASE

from kapcompanion.store import schema


def _undo_v5(conn: sqlcipher3.Connection) -> None:
    assert conn.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0
    conn.execute("DROP TABLE conflicts")
    conn.execute("ALTER TABLE documents DROP COLUMN revision")


def _undo_v4(conn: sqlcipher3.Connection) -> None:
    for table in schema.LEDGER_TABLES:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    for table in schema.LEDGER_TABLES:
        for verb in ("update", "delete"):
            conn.execute(f"DROP TRIGGER {table}_no_{verb}")
    for table in ("ledger_containers", "ledger_entries", "ledger_products"):
        conn.execute(f"DROP TABLE {table}")


def _undo_v3(conn: sqlcipher3.Connection) -> None:
    assert conn.execute("SELECT count(*) FROM seals").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM audit WHERE content != ''").fetchone()[0] == 0
    conn.execute("DROP TABLE seals")
    conn.execute("ALTER TABLE audit DROP COLUMN content")


UNDO = {5: _undo_v5, 4: _undo_v4, 3: _undo_v3}


def downgrade(path: Path, to_version: int) -> None:
    """Undo the migrations above ``to_version`` on a closed vault file (their tables empty)."""
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
        conn.execute("PRAGMA foreign_keys = OFF")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version, to_version, -1):
            UNDO[step](conn)
        conn.execute(f"PRAGMA user_version = {to_version}")
        conn.commit()
    finally:
        conn.close()
