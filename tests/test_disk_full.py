"""A full disk says what it is (issue 20, item 6): every CLI verb, run as a child process on a
real vault on a small tmpfs, prints "The disk is full (N KiB free)" and never "wrong
passphrase" or a traceback; a write on a full disk is refused whole with the same words.

Needs root and permission to mount a tmpfs; skipped with the reason otherwise."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import CHILD_PATH, PASSPHRASE

from kapcompanion.core.models import Client
from kapcompanion.store.errors import DiskFull
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

FULL = re.compile(r"The disk is full \(\d[\d,]* KiB free\)")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.kapv"
    v = Vault.create(path, PASSPHRASE, {"name": "Dr Test"})
    Repos(v).clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    v.close()
    return path


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs of its own."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount_cmd, umount_cmd = shutil.which("mount"), shutil.which("umount")
    if not mount_cmd or not umount_cmd:
        pytest.skip("no mount command here")
    done = subprocess.run(
        [mount_cmd, "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run([umount_cmd, "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill ``disk`` to the last block, then give back ``leave`` bytes."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, PYTHONPATH=CHILD_PATH, KAPCOMPANION_PASSPHRASE=PASSPHRASE, **env)
    return subprocess.run(
        [sys.executable, "-m", "kapcompanion", *args],
        capture_output=True,
        text=True,
        env=full,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def assert_plain_disk_full(out: subprocess.CompletedProcess[str]) -> None:
    assert out.returncode != 0, out.stdout
    assert FULL.search(out.stderr), out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    assert "passphrase" not in out.stderr.lower()
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


@pytest.fixture
def full_vault(disk: Path, template: Path) -> Path:
    path = disk / "clinic.kapv"
    shutil.copyfile(template, path)
    fill(disk)
    return path


@pytest.mark.parametrize("verb", ["check", "stats", "rekey", "anchor"])
def test_reading_and_rekeying_a_vault_on_a_full_disk(full_vault: Path, verb: str) -> None:
    before = full_vault.read_bytes()
    out = cli("vault", verb, str(full_vault), KAPCOMPANION_NEW_PASSPHRASE="a new long passphrase")
    assert_plain_disk_full(out)
    assert full_vault.read_bytes() == before


def test_backup_of_a_vault_on_a_full_disk(full_vault: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out.kapbak"
    assert_plain_disk_full(cli("vault", "backup", str(full_vault), str(dest)))
    assert not dest.exists()


def test_backup_into_a_full_disk(disk: Path, template: Path, tmp_path: Path) -> None:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template, path)
    fill(disk)
    assert_plain_disk_full(cli("vault", "backup", str(path), str(disk / "b.kapbak")))
    assert not [p for p in disk.iterdir() if p.name != "filler.bin"]  # no partial left


@pytest.mark.parametrize("leave", [0, 64 * 1024])
def test_init_on_a_full_disk(disk: Path, leave: int) -> None:
    fill(disk, leave)
    target = disk / "new.kapv"
    assert_plain_disk_full(cli("vault", "init", str(target), "--name", "Dr Test"))
    assert not target.exists()
    assert not [p for p in disk.iterdir() if p.name not in ("filler.bin", "new.kapv.lock")]


@pytest.mark.parametrize("leave", [0, 200 * 1024])
def test_demo_on_a_full_disk(disk: Path, leave: int) -> None:
    fill(disk, leave)
    assert_plain_disk_full(cli("vault", "demo", str(disk / "demo.kapv"), "--clients", "12"))


def test_a_write_on_a_full_disk_is_refused_whole(disk: Path, template: Path) -> None:
    path = disk / "clinic.kapv"
    shutil.copyfile(template, path)
    vault = Vault.open(path, PASSPHRASE)
    filler = fill(disk)
    try:
        repos = Repos(vault)
        with pytest.raises(DiskFull) as caught:
            for n in range(5000):  # until the WAL needs a page the disk does not have
                repos.clients.add(Client(name=f"Client {n} " + "x" * 180, pseudonym=f"P{n}"))
        assert FULL.search(caught.value.message), caught.value.message
        assert "was not saved" in caught.value.message
        written = {c.name for c in repos.clients.search()}
    finally:
        filler.unlink()
        vault.close()
    again = Vault.open(path, PASSPHRASE)
    try:
        assert {c.name for c in Repos(again).clients.search()} == written
        assert again.check().ok
    finally:
        again.close()


def test_doctor_shows_free_space() -> None:
    out = cli("doctor")
    assert out.returncode == 0, out.stderr
    assert re.search(r"free_space: [\d,]+ MB free on ", out.stdout), out.stdout


def test_read_only_media_is_said_as_such(disk: Path, template: Path, tmp_path: Path) -> None:
    path = disk / "clinic.kapv"
    shutil.copyfile(template, path)
    mount_cmd = shutil.which("mount")
    assert mount_cmd
    subprocess.run([mount_cmd, "-o", "remount,ro", str(disk)], check=True)
    for args in (
        ("vault", "check", str(path)),
        ("vault", "rekey", str(path)),
        ("vault", "init", str(disk / "new.kapv")),
    ):
        out = cli(*args, KAPCOMPANION_NEW_PASSPHRASE="a new long passphrase")
        assert out.returncode != 0
        assert "is on read-only media" in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr and "passphrase" not in out.stderr.lower()
    source = tmp_path / "clinic.kapv"
    shutil.copyfile(template, source)
    out = cli("vault", "backup", str(source), str(disk / "b.kapbak"))
    assert "is on read-only media" in out.stderr and "Traceback" not in out.stderr
