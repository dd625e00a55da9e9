"""Writing a file outside the vault atomically: the old file or the new one, never half.

One recipe for every file the app writes outside the vault (PDF and CSV exports, calendar
files, playlists, the app's own settings): the content goes to a temporary file beside the
target (created 0600, so no other user can read it while it is written), which is flushed
and fsynced, renamed over the target with ``os.replace`` and made durable by an fsync of
the folder. On any failure the temporary file is removed and the target is untouched.
The target keeps the temporary file's 0600 mode: an exported record is readable by its
owner only until they choose otherwise.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "fsync_folder"]


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows cannot open a folder this way)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], fill: Callable[[IO[bytes]], None]) -> Path:
    """Let ``fill`` write into a temporary binary file, then move it over ``path``.

    ``fill`` may stream (a PDF laid out page by page); whatever it raises propagates after
    the temporary file is removed. ``OSError`` from creating, syncing or renaming propagates
    too: callers turn it into words for the user.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as sink:
            fill(sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, target)
        fsync_folder(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (module docstring)."""

    def fill(sink: IO[bytes]) -> None:
        sink.write(data)

    return atomic_write(path, fill)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` exactly as given (no newline translation: CRLF stays CRLF)."""
    return atomic_write_bytes(path, text.encode(encoding))
