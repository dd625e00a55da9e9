"""Atomic file helpers: write beside the target, fsync, then rename into place.

Also the plain words for what the environment did: a full disk, read-only media, a folder
without write permission (:func:`environment_fault`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path

from kapcompanion.store.errors import DiskFull, NoWriteAccess, VaultError
from kapcompanion.store.lock import HeldFile, try_hold

#: below this much free space a failed open or write is put down to the full disk (SQLite needs
#: room for its -shm and -wal files even to read)
LOW_SPACE_BYTES = 1 << 20
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_beside(target: Path, tag: str) -> Path:
    """A fresh hidden name in the target's folder (same filesystem, so rename is atomic)."""
    return target.with_name(f".{target.name}.{tag}-{secrets.token_hex(4)}")


def private_temp_beside(target: Path, tag: str) -> tuple[Path, HeldFile]:
    """A new, empty temporary beside ``target`` (mode 0600), locked while we write it, so that
    :func:`store.lock.remove_orphans` can tell it from the leftover of a killed process."""
    for _ in range(10):
        tmp = temp_beside(target, tag)
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        os.close(fd)
        held = try_hold(tmp, create=False)
        if held is not None:
            return tmp, held
    raise OSError(errno.EEXIST, "no free temporary name", str(target.parent))


def existing_folder(path: Path) -> Path:
    """``path`` or its nearest existing parent (for asking about its disk)."""
    path = Path(path).absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def free_bytes(folder: Path) -> int | None:
    """Free space for this user on ``folder``'s disk (None when it cannot be told)."""
    try:
        return shutil.disk_usage(existing_folder(folder)).free
    except OSError:
        return None


def kib(n: int) -> str:
    return f"{n // 1024:,} KiB"


def _read_only_media(folder: Path) -> bool:
    try:
        return bool(os.statvfs(existing_folder(folder)).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _errno_of(exc: BaseException | None) -> int | None:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno is not None:
            return exc.errno
        exc = exc.__cause__ or exc.__context__
    return None


def disk_full(folder: Path, outcome: str) -> DiskFull:
    free = free_bytes(folder)
    amount = f" ({kib(free)} free)" if free is not None else ""
    return DiskFull(f"The disk is full{amount}: {outcome} Free some space on it and try again.")


def environment_fault(folder: Path, exc: BaseException | None, outcome: str) -> VaultError | None:
    """The plain error when the environment explains ``exc``: a full disk, read-only media, no
    permission to write in ``folder``. None when it does not (then ``exc`` is something else).

    ``outcome`` says what did not happen, as the end of a sentence ("the backup was not
    written.")."""
    code = _errno_of(exc)
    text = str(exc).lower() if exc is not None else ""
    if code in _FULL_ERRNOS:
        return disk_full(folder, outcome)
    where = existing_folder(folder)
    if code == errno.EROFS or _read_only_media(where):
        return NoWriteAccess(
            f"The folder {where} is on read-only media (a locked card or a read-only drive): "
            f"{outcome} Use a writable folder (copy the vault there if it is on this media)."
        )
    if code in (errno.EACCES, errno.EPERM) or not os.access(where, os.W_OK | os.X_OK):
        return NoWriteAccess(
            f"You do not have permission to write in {where}: {outcome} "
            "Ask whoever manages this computer, or use a folder of your own."
        )
    free = free_bytes(folder)
    if "full" in text or "no space" in text or (free is not None and free < LOW_SPACE_BYTES):
        return disk_full(folder, outcome)
    return None


def publish_new(tmp: Path, target: Path) -> None:
    """Move ``tmp`` to ``target`` only if ``target`` does not exist yet; never overwrite.

    A hard link fails atomically when the target exists; where the filesystem has no hard links
    an exclusive create reserves the name first.
    """
    fsync_file(tmp)
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        os.replace(tmp, target)
    else:
        os.unlink(tmp)
    fsync_dir(target.parent)


def replace_atomically(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` over ``target`` after flushing it (the old file or the new, never half)."""
    fsync_file(tmp)
    os.replace(tmp, target)
    fsync_dir(target.parent)


def write_bytes_atomically(target: Path, data: bytes) -> None:
    tmp, held = private_temp_beside(target, "partial")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        held.release()
