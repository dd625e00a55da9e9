"""Atomic file helpers: write beside the target, fsync, then rename into place."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


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
    tmp = temp_beside(target, "partial")
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
