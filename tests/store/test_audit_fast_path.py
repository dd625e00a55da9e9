"""The event fast path: digests worked out before the transaction and the chain head kept in
memory must give exactly the rows the slow path (read everything back) would give."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from support import PASSPHRASE

from kapcompanion.core.models import Client, DosingSession, EventKind, SessionEvent
from kapcompanion.store import audit
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault, _keyed, iso, utc_now

EVENT_COLUMNS = (
    ("id", "INTEGER"),
    ("session_id", "INTEGER"),
    ("kind", "TEXT"),
    ("utc", "TEXT"),
    ("offset_s", "REAL"),
    ("corrects_id", "INTEGER"),
    ("payload", "TEXT"),
)


def _session(repos: Repos) -> tuple[int, int]:
    client = repos.clients.add(Client(name="Fast Path"))
    assert client.id is not None
    s = repos.sessions.save(DosingSession(client_id=client.id, number=1))
    assert s.id is not None
    return client.id, s.id


@pytest.mark.parametrize(
    "offset",
    [0.0, -0.0, 3, 3.0, 2.5, 1e-300, 12345678.125, None, True, 2**53],
)
@pytest.mark.parametrize(
    "payload", ['{"text":"Ruhig, ätmet 😀"}', "", '{"a":"\\"id\\":1"}', "x" * 5000]
)
def test_planned_digest_equals_the_digest_read_back(
    repos: Repos, offset: Any, payload: str
) -> None:
    _client_id, sid = _session(repos)
    values = {
        "session_id": sid,
        "kind": "observation",
        "utc": "2026-12-03T09:00:00.000000+00:00",
        "offset_s": offset,
        "corrects_id": None,
        "payload": payload,
    }
    planned = audit.plan("events", EVENT_COLUMNS, values)
    assert planned is not None
    with repos.vault.transaction() as tx:
        cur = tx.execute(
            "INSERT INTO events (session_id, kind, utc, offset_s, corrects_id, payload)"
            " VALUES (?,?,?,?,?,?)",
            tuple(values.values()),
        )
        row_id = int(cur.lastrowid)
        assert planned.digest(row_id) == audit.record_digest(tx, "events", row_id)


@pytest.mark.parametrize(
    "change",
    [
        {"offset_s": math.nan},  # SQLite stores NaN as NULL
        {"offset_s": math.inf},
        {"offset_s": "3"},  # a string in a REAL column is converted
        {"kind": 7},  # a number in a TEXT column becomes text
        {"payload": b"bytes"},
        {"session_id": 2**63},
        {"extra": 1},  # a column the table does not have
    ],
)
def test_plan_declines_what_might_not_read_back_as_given(change: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "session_id": 1,
        "kind": "observation",
        "utc": "2026-12-03T09:00:00+00:00",
        "offset_s": 1.0,
        "corrects_id": None,
        "payload": "{}",
    }
    values.update(change)
    assert audit.plan("events", EVENT_COLUMNS, values) is None
    del values["payload"]  # nor when a column is left to its default
    assert audit.plan("events", EVENT_COLUMNS, values) is None


def test_events_and_vitals_carry_the_content_hash_of_the_committed_row(repos: Repos) -> None:
    client_id, sid = _session(repos)
    for i, offset in enumerate((0, -0.0, 1.5, None)):
        ev = repos.events.add(
            SessionEvent(
                session_id=sid,
                kind=EventKind.OBSERVATION,
                utc=datetime.now(UTC),
                offset_s=offset,  # ints and None reach here too
                payload={"text": f"note {i}", "n": i},
            ),
            client_id if i % 2 else None,
        )
        assert ev.id is not None
    repos.vitals.add(sid, {"taken_utc": "2026-12-03T09:00:00+00:00", "offset_s": 60, "hr": 71})
    conn = repos.vault.conn
    rows = audit.query(conn, client_id=client_id, limit=10)
    for row in rows:
        for table, row_id, digest in audit.parse_content(row.content):
            assert digest == audit.record_digest(conn, table, row_id), (table, row_id)
    assert repos.vault.check().ok


def test_the_chain_head_is_read_again_after_a_rollback(repos: Repos) -> None:
    _client_id, sid = _session(repos)
    vault = repos.vault
    with pytest.raises(RuntimeError), vault.transaction():
        repos.events.add(
            SessionEvent(session_id=sid, kind=EventKind.NOTE, utc=datetime.now(UTC), payload={})
        )
        raise RuntimeError("the outer change fails: the event and its audit row go with it")
    repos.events.add(
        SessionEvent(session_id=sid, kind=EventKind.NOTE, utc=datetime.now(UTC), payload={})
    )
    assert audit.verify_chain(vault.conn).ok
    assert vault.check().ok


def test_the_chain_head_is_read_again_after_a_failed_commit(repos: Repos) -> None:
    _client_id, sid = _session(repos)
    vault = repos.vault
    real: Any = vault._conn
    assert real is not None

    class FailingCommit:
        def execute(self, sql: str, *args: Any) -> Any:
            if sql == "COMMIT":
                raise sqlcipher3.OperationalError("disk I/O error")
            return real.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    vault._conn = FailingCommit()
    try:
        with pytest.raises(VaultError):
            repos.events.add(
                SessionEvent(session_id=sid, kind=EventKind.NOTE, utc=datetime.now(UTC))
            )
    finally:
        vault._conn = real
    repos.events.add(SessionEvent(session_id=sid, kind=EventKind.NOTE, utc=datetime.now(UTC)))
    assert audit.verify_chain(vault.conn).ok and vault.check().ok


def test_rows_appended_by_another_connection_are_followed(tmp_path: Path) -> None:
    """The writer lock keeps a second copy of the app out; a filesystem without locks (or a
    tool that ignores them) could still append: the in-memory chain head must follow."""
    path = tmp_path / "two.kapv"
    first = Vault.create(path, PASSPHRASE, {"name": "Dr One"})
    repos = Repos(first)
    _client_id, sid = _session(repos)
    other = _keyed(path, PASSPHRASE)  # a second connection, past the lock
    try:
        for detail in ("from the other process", "and again"):
            other.execute("BEGIN IMMEDIATE")
            audit.append(
                other, utc=iso(utc_now()), who="CLI", action="vault.backup",
                record_type="vault", detail=detail,
            )  # fmt: skip
            other.execute("COMMIT")
        repos.events.add(SessionEvent(session_id=sid, kind=EventKind.NOTE, utc=datetime.now(UTC)))
        chain = audit.verify_chain(first.conn)
        assert chain.ok
        actions = [r.action for r in audit.query(first.conn, limit=3)]
        assert actions == ["event.note", "vault.backup", "vault.backup"]
    finally:
        other.close()
        first.close()


def test_check_reports_progress_and_walks_awkward_rows(tmp_path: Path) -> None:
    path = tmp_path / "p.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": 'Dr "Quote" \\ Ünïcode 😀'})
    try:
        repos = Repos(vault)
        _client_id, sid = _session(repos)
        for detail in ('a "quoted" line', "two\nlines\ttab", "nul \x00 and \u2028", ""):
            vault.audit("client.note", record_type="client", detail=detail)
        repos.events.add(SessionEvent(session_id=sid, kind=EventKind.NOTE, utc=datetime.now(UTC)))
        seen: list[tuple[str, int, int]] = []
        report = vault.check(progress=lambda step, done, total: seen.append((step, done, total)))
        assert report.ok, report.lines()
        steps = list(dict.fromkeys(s for s, _d, _t in seen))
        assert steps == ["audit trail", "records", "seals", "encryption pages and structure"]
        trail = [(d, t) for s, d, t in seen if s == "audit trail"]
        assert trail[0] == (0, report.audit_rows) and trail[-1] == (report.audit_rows,) * 2
    finally:
        vault.close()


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE audit SET record_id = 1.5 WHERE id = 3",  # a type the app never writes
        "UPDATE audit SET detail = 7 WHERE id = 3",
        "UPDATE audit SET client_id = 'x' WHERE id = 3",
    ],
)
def test_rows_of_unexpected_types_are_reported_not_crashed_on(tmp_path: Path, edit: str) -> None:
    path = tmp_path / "t.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Test"})
    repos = Repos(vault)
    _session(repos)
    vault.conn.execute(edit)
    try:
        report = vault.check()
        assert not report.ok and report.audit_first_broken == 3
        assert "audit row 3 was altered" in report.audit_problem
    finally:
        vault.close()
