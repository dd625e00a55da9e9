"""Write a file atomically: temporary file beside the target, fsync, rename, fsync the folder.

A crash or a full disk leaves the old file or the new one, never half of one; the temporary
file is removed on every failure. Problems the user can fix raise :class:`ExportError`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from kapcompanion.export.errors import ExportError


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # a folder cannot be opened for fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_target(out: Path, suffix: str) -> Path:
    if out.is_dir():
        raise ExportError(f"{out} is a folder; choose a file name ending in {suffix}.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.")
    return out


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, suffix: str = "") -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    out = check_target(Path(path), suffix or "the right extension")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    except OSError as exc:
        raise ExportError(f"Cannot write in {out.parent}: {exc.strerror or exc}.") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, out)
        _fsync_dir(out.parent)
    except OSError as exc:
        raise ExportError(f"Could not write {out.name}: {exc.strerror or exc}.") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return out
