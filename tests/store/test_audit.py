"""The audit trail is chained: an edited, deleted or inserted row is found."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import PASSPHRASE

from kapcompanion import cli
from kapcompanion.core.models import Client
from kapcompanion.store import audit
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


def _filled(path: Path) -> None:
    v = Vault.create(path, PASSPHRASE, {"name": "Dr Test"})
    r = Repos(v)
    for i in range(5):
        client = r.clients.add(Client(name=f"Client {i}"))
        assert client.id is not None
        r.clients.view(client.id)
    v.close()


def test_changes_are_audited_in_the_same_transaction(repos: Repos) -> None:
    client = repos.clients.add(Client(name="Audit Me"))
    assert client.id is not None
    rows = audit.query(repos.vault.conn, client_id=client.id)
    assert [r.action for r in rows] == ["client.create"]
    assert rows[0].who == "Dr Test"
    repos.clients.view(client.id)
    repos.clients.archive(client.id)
    actions = [r.action for r in audit.query(repos.vault.conn, client_id=client.id)]
    assert actions == ["client.archive", "client.view", "client.create"]
    assert audit.verify_chain(repos.vault.conn).ok


def test_failed_change_leaves_no_audit_row(repos: Repos) -> None:
    before = repos.vault.read("SELECT count(*) FROM audit")[0][0]
    try:
        repos.clients.update(Client(name="Ghost", id=999))
    except Exception as exc:
        assert "does not exist" in str(exc)
    assert repos.vault.read("SELECT count(*) FROM audit")[0][0] == before


def _tamper(path: Path, sql: str) -> None:
    v = Vault.open(path, PASSPHRASE)
    v.conn.execute(sql)
    v.close()


def test_edited_row_is_detected_by_vault_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.kapv"
    _filled(path)
    _tamper(path, "UPDATE audit SET who = 'Someone Else' WHERE id = 4")
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    code = cli.main(["vault", "check", str(path)])
    out = capsys.readouterr().out
    assert code == 3
    assert "BROKEN at entry 4" in out


def test_deleted_and_inserted_rows_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "b.kapv"
    _filled(path)
    _tamper(path, "DELETE FROM audit WHERE id = 3")
    v = Vault.open(path, PASSPHRASE)
    report = audit.verify_chain(v.conn)
    v.close()
    assert not report.ok and report.first_broken_id == 4
    path2 = tmp_path / "c.kapv"
    _filled(path2)
    _tamper(path2, "UPDATE audit SET detail = 'x' WHERE id = (SELECT max(id) FROM audit)")
    v = Vault.open(path2, PASSPHRASE)
    assert not audit.verify_chain(v.conn).ok
    v.close()
