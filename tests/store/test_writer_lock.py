"""One writer per vault (issue 20, item 1) and the app's own temporaries (item 7), against real
vault files and real child processes."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import CHILD_PATH, CHILD_PATH_TESTS, PASSPHRASE

from kapcompanion.core.models import Client
from kapcompanion.store import lock
from kapcompanion.store import vault as vault_module
from kapcompanion.store.errors import VaultInUse, VaultReadOnly
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault, restore

CHILD = Path(__file__).parent / "child_holder.py"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.kapv"
    v = Vault.create(path, PASSPHRASE, {"name": "Dr Test"})
    Repos(v).clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    v.close()
    return path


@pytest.fixture
def path(tmp_path: Path, template: Path) -> Path:
    target = tmp_path / "clinic.kapv"
    shutil.copyfile(template, target)
    return target


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Child:
    def __init__(self, *args: str) -> None:
        env = dict(os.environ, PYTHONPATH=CHILD_PATH_TESTS)
        env["KAPCOMPANION_PASSPHRASE"] = PASSPHRASE
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "ready", line
        self.pid = int(line[1])

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=30)  # waits, and closes the pipes

    def stop(self) -> None:
        self.proc.communicate(timeout=30)  # stdin closes: the child ends by itself


@pytest.fixture
def child() -> Iterator[list[Child]]:
    made: list[Child] = []
    yield made
    for c in made:
        if c.proc.poll() is None:
            c.kill()
        else:
            c.proc.communicate(timeout=30)


def test_a_second_open_is_refused_and_changes_nothing(path: Path) -> None:
    first = Vault.open(path, PASSPHRASE)
    try:
        Repos(first).clients.add(Client(name="Written by the first", pseudonym="One"))
        first.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = digest(path)
        with pytest.raises(VaultInUse) as caught:
            Vault.open(path, PASSPHRASE)
        message = caught.value.message
        assert f"process {os.getpid()}" in message and "KAP Companion" in message
        assert "Close it there first" in message
        assert digest(path) == before  # the refused opener wrote nothing
        # the first one goes on writing undisturbed
        Repos(first).clients.add(Client(name="Still the first", pseudonym="Two"))
        names = {c.name for c in Repos(first).clients.search()}
        assert {"Mara Quinn", "Written by the first", "Still the first"} <= names
    finally:
        first.close()
    again = Vault.open(path, PASSPHRASE)  # released at close
    again.close()
    assert not lock.lock_path(path).exists()


def test_read_only_beside_a_writer_reads_and_refuses_writes(path: Path) -> None:
    writer = Vault.open(path, PASSPHRASE)
    try:
        reader = Vault.open(path, PASSPHRASE, read_only=True)
        try:
            Repos(writer).clients.add(Client(name="Seen by the reader", pseudonym="Lark"))
            names = {c.name for c in Repos(reader).clients.search()}
            assert "Seen by the reader" in names
            with pytest.raises(VaultReadOnly, match="open read-only"):
                Repos(reader).clients.add(Client(name="Never written", pseudonym="No"))
            with pytest.raises(VaultReadOnly):
                reader.rekey("another long passphrase")
            assert reader.check().ok
        finally:
            reader.close()
        names = {c.name for c in Repos(writer).clients.search()}
        assert "Never written" not in names
    finally:
        writer.close()


def test_the_lock_of_a_killed_holder_is_free_at_once(path: Path, child: list[Child]) -> None:
    holder = Child("vault", str(path))
    child.append(holder)
    with pytest.raises(VaultInUse, match=f"process {holder.pid}"):
        Vault.open(path, PASSPHRASE)
    found = lock.holder(path)
    assert found is not None and found.pid == holder.pid
    holder.kill()
    assert lock.holder(path) is None
    v = Vault.open(path, PASSPHRASE)  # no stale lock: the OS dropped it with the process
    try:
        assert [c.name for c in Repos(v).clients.search()] == ["Mara Quinn"]
    finally:
        v.close()


def test_restore_refuses_a_vault_open_elsewhere(path: Path, tmp_path: Path) -> None:
    v = Vault.open(path, PASSPHRASE)
    backup = v.backup_to(tmp_path / "b.kapbak")
    try:
        with pytest.raises(VaultInUse):
            restore(backup, path, PASSPHRASE)
    finally:
        v.close()
    assert not list(tmp_path.glob("clinic.kapv.replaced-*"))


def test_rekey_keeps_the_lock_throughout(path: Path) -> None:
    v = Vault.open(path, PASSPHRASE)
    try:
        v.rekey("a brand new passphrase")
        with pytest.raises(VaultInUse):
            Vault.open(path, "a brand new passphrase")
        assert [c.name for c in Repos(v).clients.search()] == ["Mara Quinn"]
    finally:
        v.close()


def test_orphaned_temporaries_go_at_open_and_live_ones_stay(
    path: Path, tmp_path: Path, child: list[Child]
) -> None:
    folder = path.parent
    orphan_new = folder / f".{path.name}.creating-dead0001"
    orphan_new.write_bytes(b"encrypted junk")
    backups = tmp_path / "backups"
    backups.mkdir()
    orphan_backup = backups / ".clinic-1.kapbak.partial-dead0002"
    orphan_backup.write_bytes(b"junk")
    orphan_journal = backups / ".clinic-1.kapbak.partial-dead0002-journal"
    orphan_journal.write_bytes(b"junk")
    lone_journal = backups / ".clinic-2.kapbak.partial-dead0003-journal"
    lone_journal.write_bytes(b"junk")
    alive = backups / ".clinic-3.kapbak.partial-live0004"
    child.append(Child("file", str(alive)))  # a backup being written by a live process
    not_ours = backups / "notes.partial-1234"
    not_ours.write_bytes(b"someone else's")

    v = Vault.open(path, PASSPHRASE)
    try:
        assert not orphan_new.exists()
        v.backup_to(backups / "clinic-now.kapbak")  # tidies the backup folder first
    finally:
        v.close()
    assert not orphan_backup.exists() and not orphan_journal.exists()
    assert not lone_journal.exists()
    assert alive.exists() and not_ours.exists()
    child[0].kill()
    assert lock.remove_orphans(backups) == [alive]


def test_temporaries_are_private_from_the_start(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}
    real_publish = vault_module.publish_new  # type: ignore[attr-defined]

    def spy(tmp: Path, target: Path) -> None:
        seen[tmp.name] = stat.S_IMODE(tmp.stat().st_mode)
        assert lock.try_hold(tmp, create=False) is None  # locked by its writer meanwhile
        real_publish(tmp, target)

    monkeypatch.setattr(vault_module, "publish_new", spy)
    v = Vault.open(path, PASSPHRASE)
    try:
        made = v.backup_to(tmp_path / "private.kapbak")
    finally:
        v.close()
    assert seen and all(mode == 0o600 for mode in seen.values()), seen
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(lock.lock_path(path).parent.stat().st_mode)  # folder untouched


def test_a_killed_demo_is_removed_at_the_next_start(tmp_path: Path, child: list[Child]) -> None:
    runtime = tmp_path / "runtime"
    killed = tmp_path / "kapcompanion-demo-killed"
    living = tmp_path / "kapcompanion-demo-living"
    for folder in (killed, living):
        folder.mkdir()
        (folder / "demo.kapv").write_bytes(b"encrypted")
    victim = Child("demo", str(killed), str(runtime))
    child.append(victim)
    child.append(Child("demo", str(living), str(runtime)))
    assert lock.sweep_demos(runtime) == []  # both owners alive
    victim.kill()
    assert lock.sweep_demos(runtime) == [killed]
    assert not killed.exists() and living.exists()
    assert len(list(runtime.glob("demo-*.json"))) == 1
    child[1].stop()
    assert lock.sweep_demos(runtime) == [living]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        PYTHONPATH=CHILD_PATH,
        KAPCOMPANION_PASSPHRASE=PASSPHRASE,
        KAPCOMPANION_NEW_PASSPHRASE="a brand new passphrase",
    )
    return subprocess.run(
        [sys.executable, "-m", "kapcompanion", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_cli_beside_a_running_writer(path: Path, tmp_path: Path, child: list[Child]) -> None:
    holder = Child("vault", str(path))
    child.append(holder)
    before = digest(path)
    for verb in (("rekey", str(path)), ("backup", str(path), str(tmp_path / "b.kapbak"))):
        out = _cli("vault", *verb)
        assert out.returncode == 4, out.stderr
        assert f"The vault is open in KAP Companion (process {holder.pid}, since " in out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert _cli("vault", "init", str(path)).returncode != 0  # never over an existing vault
    assert digest(path) == before and not (tmp_path / "b.kapbak").exists()
    # the reading verbs open read-only and work beside it
    stats = _cli("vault", "stats", str(path), "--json")
    assert stats.returncode == 0, stats.stderr
    assert '"clients": 1' in stats.stdout
    check = _cli("vault", "check", str(path))
    assert check.returncode == 0 and "Vault check: OK" in check.stdout, check.stderr
    holder.kill()
    assert _cli("vault", "rekey", str(path)).returncode == 0
