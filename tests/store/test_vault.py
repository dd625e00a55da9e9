"""The vault on real SQLCipher files: create, open, refuse, migrate, back up, restore, rekey."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from support import PASSPHRASE

from kapcompanion.store import schema
from kapcompanion.store import vault as vault_mod
from kapcompanion.store.errors import (
    PassphraseTooWeak,
    VaultDamaged,
    VaultExists,
    VaultNotFound,
    VaultTooNew,
    WrongPassphraseOrDamaged,
)
from kapcompanion.store.vault import Vault, latest_backup, restore, verify_backup


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make(tmp_path: Path, name: str = "v.kapv") -> Path:
    v = Vault.create(tmp_path / name, PASSPHRASE, {"name": "Dr Test"})
    v.close()
    return tmp_path / name


def test_create_sets_durability_pragmas(vault: Vault) -> None:
    conn = vault.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    assert conn.execute("PRAGMA cipher_memory_security").fetchone()[0] == "1"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert vault.who == "Dr Test"


def test_short_passphrase_refused_and_nothing_written(tmp_path: Path) -> None:
    with pytest.raises(PassphraseTooWeak, match="at least 10 characters"):
        Vault.create(tmp_path / "v.kapv", "short")
    assert list(tmp_path.iterdir()) == []


def test_never_creates_over_an_existing_path(tmp_path: Path) -> None:
    target = tmp_path / "v.kapv"
    target.write_bytes(b"precious")
    with pytest.raises(VaultExists):
        Vault.create(target, PASSPHRASE)
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["v.kapv"]


def test_wrong_passphrase_is_typed_and_leaves_file_unchanged(tmp_path: Path) -> None:
    path = make(tmp_path)
    before = digest(path)
    with pytest.raises(WrongPassphraseOrDamaged, match="Wrong passphrase or damaged"):
        Vault.open(path, "not the passphrase")
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.kapv", "v.kapv.anchors"]


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(VaultNotFound):
        Vault.open(tmp_path / "nope.kapv", PASSPHRASE)
    empty = tmp_path / "empty.kapv"
    empty.touch()
    with pytest.raises(VaultDamaged):
        Vault.open(empty, PASSPHRASE)
    assert empty.stat().st_size == 0


def test_plain_sqlite_file_is_not_a_vault(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    con = sqlite3.connect(plain)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    before = digest(plain)
    with pytest.raises(WrongPassphraseOrDamaged):
        Vault.open(plain, PASSPHRASE)
    assert digest(plain) == before


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_flipped_byte_in_page_one_reads_as_damaged(tmp_path: Path) -> None:
    path = make(tmp_path)
    flip(path, 100)
    before = digest(path)
    with pytest.raises(WrongPassphraseOrDamaged):
        Vault.open(path, PASSPHRASE)
    assert digest(path) == before


def test_flipped_byte_in_later_page_is_reported(tmp_path: Path) -> None:
    path = make(tmp_path)
    page = 4096
    assert path.stat().st_size > 3 * page
    flip(path, 2 * page + 300)
    before = digest(path)
    try:
        v = Vault.open(path, PASSPHRASE)
    except (WrongPassphraseOrDamaged, VaultDamaged):
        pass  # reported at open: also acceptable
    else:
        report = v.check()
        v.close()
        assert not report.ok
        assert report.cipher_problems or report.sqlite_problems
    assert digest(path) == before


def test_newer_vault_is_refused_unchanged(tmp_path: Path) -> None:
    path = make(tmp_path)
    v = Vault.open(path, PASSPHRASE)
    v.conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    v.close()
    before = digest(path)
    with pytest.raises(VaultTooNew, match="newer"):
        Vault.open(path, PASSPHRASE)
    assert digest(path) == before


def test_migration_takes_a_backup_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make(tmp_path)

    def to_v2(conn: object) -> None:
        conn.execute("CREATE TABLE extra (id INTEGER PRIMARY KEY)")  # type: ignore[attr-defined]

    monkeypatch.setattr(vault_mod, "MIGRATIONS", [*schema.MIGRATIONS, to_v2])
    monkeypatch.setattr(vault_mod, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    backups = tmp_path / "backups"
    v = Vault.open(path, PASSPHRASE, backup_dir=backups)
    assert v.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION + 1
    assert v.read("SELECT count(*) FROM extra") == [(0,)]
    step = f"vault.migrate.v{schema.SCHEMA_VERSION + 1}"
    assert any(r[0] == step for r in v.read("SELECT action FROM audit"))
    v.close()
    made = list(backups.glob("*.kapbak"))
    assert len(made) == 1
    monkeypatch.undo()
    report = verify_backup(made[0], PASSPHRASE)
    assert report.ok  # the pre-migration copy is the old schema, intact


def test_backup_restore_round_trip(tmp_path: Path) -> None:
    from kapcompanion.core.models import Client
    from kapcompanion.store.repos import Repos

    path = make(tmp_path)
    v = Vault.open(path, PASSPHRASE)
    repos = Repos(v)
    repos.clients.add(Client(name="Ana Souza", pseudonym="River"))
    backup = v.backup_to(tmp_path / "b.kapbak")
    repos.clients.add(Client(name="Added After Backup"))
    v.close()

    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(backup).execute("SELECT * FROM sqlite_master").fetchall()
    with pytest.raises(VaultExists):
        Vault.open(path, PASSPHRASE).backup_to(backup)

    kept = restore(backup, path, PASSPHRASE)
    assert kept is not None and kept.exists()
    v = Vault.open(path, PASSPHRASE)
    names = [c.name for c in Repos(v).clients.search()]
    assert names == ["Ana Souza"]
    assert v.check().ok
    v.close()
    old = Vault.open(kept, PASSPHRASE)
    assert len(Repos(old).clients.search()) == 2
    old.close()


def test_restore_refuses_a_damaged_backup(tmp_path: Path) -> None:
    path = make(tmp_path)
    v = Vault.open(path, PASSPHRASE)
    backup = v.backup_to(tmp_path / "b.kapbak")
    v.close()
    flip(backup, 5000)
    before = digest(path)
    with pytest.raises((VaultDamaged, WrongPassphraseOrDamaged)):
        restore(backup, path, PASSPHRASE)
    assert digest(path) == before


def test_auto_backup_rotates(tmp_path: Path) -> None:
    path = make(tmp_path)
    v = Vault.open(path, PASSPHRASE)
    folder = tmp_path / "auto"
    made = [v.auto_backup(folder, keep=3) for _ in range(5)]
    v.close()
    left = sorted(folder.glob("*.kapbak"))
    assert left == sorted(made[-3:])
    assert latest_backup(folder, path) == made[-1]


def test_rekey_changes_the_passphrase(tmp_path: Path) -> None:
    path = make(tmp_path)
    v = Vault.open(path, PASSPHRASE)
    v.rekey("a brand new passphrase")
    assert v.check().ok
    v.close()
    with pytest.raises(WrongPassphraseOrDamaged):
        Vault.open(path, PASSPHRASE)
    v = Vault.open(path, "a brand new passphrase")
    actions = [r[0] for r in v.read("SELECT action FROM audit ORDER BY id")]
    assert "vault.rekey" in actions
    v.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.kapv", "v.kapv.anchors"]


def test_real_migration_from_v1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A vault made by the first schema opens, is backed up, and loses the audit-action index."""
    monkeypatch.setattr(vault_mod, "MIGRATIONS", schema.MIGRATIONS[:1])
    monkeypatch.setattr(vault_mod, "SCHEMA_VERSION", 1)
    path = make(tmp_path)
    v = Vault.open(path, PASSPHRASE)
    v.conn.execute("CREATE INDEX audit_action ON audit(action, id)")  # as v1 vaults had it
    v.close()
    monkeypatch.undo()
    v = Vault.open(path, PASSPHRASE, backup_dir=tmp_path / "b")
    names = {r[0] for r in v.read("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "audit_action" not in names and "audit_client" in names
    assert v.read("PRAGMA user_version") == [(schema.SCHEMA_VERSION,)]
    assert v.check().ok
    v.close()
    assert len(list((tmp_path / "b").glob("*.kapbak"))) == 1


def test_check_reports_all_parts(vault: Vault) -> None:
    report = vault.check()
    assert report.ok
    text = "\n".join(report.lines())
    assert "encryption pages: ok" in text and "chain intact" in text


def test_files_are_private_and_backup_needs_an_existing_folder(tmp_path: Path) -> None:
    from kapcompanion.store.errors import VaultError

    path = make(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    v = Vault.open(path, PASSPHRASE)
    with pytest.raises(VaultError, match="does not exist"):
        v.backup_to(tmp_path / "no" / "such" / "b.kapbak")
    assert not (tmp_path / "no").exists()
    made = v.backup_to(tmp_path / "b.kapbak")
    v.close()
    assert made.stat().st_mode & 0o777 == 0o600
