"""One writer per vault, and temporaries that say whether their writer is alive.

An OS file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on ``VAULT.lock`` beside the
vault is held for as long as the vault is open for writing. The operating system drops it when
the holder exits in any way (quit, crash, ``kill -9``), so a lock left by a dead process never
blocks anyone. The file names its holder (process, computer, since when) so that a second opener
can say plainly who has the vault.

The same kind of lock marks a temporary that is being written (a backup's ``.partial-``, a new
vault's ``.creating-``): a temporary nobody holds is an orphan of a killed process and may go.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kapcompanion.store.errors import VaultInUse

LOCK_SUFFIX = ".lock"
#: the app's own temporaries (see ``files.temp_beside``): nothing else is ever removed
ORPHAN_PATTERNS = (".*.kapbak.partial-*", ".*.kapv.creating-*")
SIDECARS = ("-journal", "-wal", "-shm")
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when someone else has it."""
    if sys.platform == "win32":
        import msvcrt

        try:  # a byte far past the text, so that others can still read who holds it
            os.lseek(fd, 1 << 30, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        # a filesystem without locks (some network shares): the vault still opens, as before
        # there were locks, rather than never; every other failure is reported
        if exc.errno in _NO_LOCKS:
            return True
        raise
    return True


def _open_private(path: Path, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    return os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)


@dataclass(frozen=True)
class Holder:
    """Who holds a vault: read from its lock file."""

    pid: int
    host: str
    since: datetime | None
    app: str = "KAP Companion"

    def describe(self) -> str:
        where = f"process {self.pid}"
        if self.host and self.host != socket.gethostname():
            where += f" on {self.host}"
        if self.since is not None:
            from kapcompanion.core import wording  # babel only when a lock is described

            where += f", since {wording.time_of_day(self.since.astimezone())}"
        return f"{self.app} ({where})"


def lock_path(vault: Path) -> Path:
    return vault.with_name(vault.name + LOCK_SUFFIX)


def _read_holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
        since = datetime.fromisoformat(data["since"]) if data.get("since") else None
        return Holder(
            pid=int(data.get("pid", 0)),
            host=str(data.get("host", "")),
            since=since,
            app=str(data.get("app") or "KAP Companion"),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


class HeldFile:
    """An open file whose exclusive OS lock this process holds until :meth:`release`."""

    def __init__(self, path: Path, fd: int, *, remove: bool) -> None:
        self.path = path
        self._fd: int | None = fd
        self._remove = remove

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if self._remove:  # removed while still locked: nobody can take a lock on a dead name
            with contextlib.suppress(OSError):
                if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                    os.unlink(self.path)
        os.close(fd)

    def __del__(self) -> None:
        # dropped without release (a leaked Vault): the lock goes, like its connection; the
        # file stays (a demo mark left behind still says which folder to remove)
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> HeldFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def try_hold(path: Path, *, create: bool = True, remove: bool = False) -> HeldFile | None:
    """Lock ``path`` (created 0600 if ``create``) or return None when someone else holds it.

    With ``remove``, the file is deleted on release; the lock is then retried until the locked
    file is the one that still has the name (another holder may have removed it meanwhile)."""
    for _ in range(20):
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        fd = _open_private(path, flags)
        if not _try_lock(fd):
            os.close(fd)
            return None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return HeldFile(path, fd, remove=remove)
        os.close(fd)
        if not create:
            return None
    return None


def acquire_vault_lock(vault: Path, app: str = "KAP Companion") -> HeldFile:
    """Hold the vault's writer lock, or raise :class:`VaultInUse` naming who has it."""
    path = lock_path(vault)
    held = try_hold(path, remove=True)
    if held is None:
        raise in_use_error(vault)
    assert held._fd is not None
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now().astimezone().isoformat(timespec="seconds"),
        "app": app,
    }
    with contextlib.suppress(OSError):
        os.ftruncate(held._fd, 0)
        os.lseek(held._fd, 0, os.SEEK_SET)
        os.write(held._fd, json.dumps(record).encode("utf-8"))
    return held


def holder(vault: Path) -> Holder | None:
    """Who holds the vault's writer lock now (None: nobody; it can be opened for writing)."""
    path = lock_path(vault)
    if not path.exists():
        return None
    try:
        probe = try_hold(path, create=False)
    except OSError:
        probe = None
    if probe is not None:
        probe.release()
        return None
    return _read_holder(path) or Holder(pid=0, host="", since=None)


def in_use_error(vault: Path) -> VaultInUse:
    who = _read_holder(lock_path(vault))
    name = who.describe() if who is not None and who.pid else "another program"
    return VaultInUse(
        f"The vault is open in {name}. Close it there first, or open it read-only.",
        holder=who,
    )


def remove_orphans(folder: Path, patterns: tuple[str, ...] = ORPHAN_PATTERNS) -> list[Path]:
    """Remove the app's own temporaries in ``folder`` that no live process holds.

    A temporary is locked by its writer from the moment it exists; one that can be locked is an
    orphan. Its ``-journal``/``-wal``/``-shm`` go with it, as does a sidecar whose temporary is
    already gone. Returns what was removed."""
    removed: list[Path] = []
    try:
        candidates = sorted({p for pattern in patterns for p in folder.glob(pattern)})
    except OSError:
        return removed
    for path in candidates:
        if path.name.endswith(SIDECARS) or not path.is_file() or path.is_symlink():
            continue
        try:
            held = try_hold(path, create=False)
        except OSError:
            continue
        if held is None:
            continue  # its writer is alive
        with held:
            for side in (path, *(Path(f"{path}{s}") for s in SIDECARS)):
                with contextlib.suppress(FileNotFoundError):
                    side.unlink()
                    removed.append(side)
    for path in candidates:
        if path.name.endswith(SIDECARS) and path.exists():
            base = Path(str(path)[: -len(next(s for s in SIDECARS if path.name.endswith(s)))])
            if not base.exists():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
    return removed


# ---------------------------------------------------------------------- throw-away demo vaults
DEMO_MARK = "demo-*.json"


def register_demo(folder: Path, runtime: Path) -> HeldFile:
    """Mark ``folder`` as this process's throw-away demo; the mark is held while we live."""
    runtime.mkdir(parents=True, exist_ok=True)
    mark = runtime / f"demo-{os.getpid()}-{folder.name}.json"
    held = try_hold(mark, remove=True)
    if held is None:  # cannot happen for a fresh name; keep the demo rather than fail
        raise OSError(f"could not mark {folder} as a demo")
    assert held._fd is not None
    os.write(held._fd, json.dumps({"folder": str(folder), "pid": os.getpid()}).encode("utf-8"))
    return held


def sweep_demos(runtime: Path) -> list[Path]:
    """Remove demo folders whose owner process is gone (killed before it could clean up)."""
    removed: list[Path] = []
    for mark in sorted(runtime.glob(DEMO_MARK)) if runtime.is_dir() else []:
        try:
            held = try_hold(mark, create=False, remove=True)
        except OSError:
            continue
        if held is None:
            continue
        with held:
            try:
                folder = Path(json.loads(mark.read_text(encoding="utf-8"))["folder"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            # only what the app itself made for a demo
            if folder.name.startswith("kapcompanion-demo-") and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed
