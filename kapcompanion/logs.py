"""Logging: a rotating file in the app's log folder. Never log client data.

Log records carry event names and record identifiers at most, never names, notes or values.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

LOG_NAME = "kapcompanion.log"
MAX_BYTES = 1_000_000
BACKUPS = 5


class RotatingLog(logging.FileHandler):
    """Appends to ``path``; a record that would take it to ``max_bytes`` or more first moves it
    to ``path.1`` (``.1`` to ``.2`` and so on, the oldest of ``backups`` dropped).

    What ``logging.handlers.RotatingFileHandler`` does, written here because that module
    loads pickle, queue and sockets: ~5 ms of CPU before the unlock window (bench/README.md).
    """

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        super().__init__(path, encoding="utf-8")
        self.max_bytes = max_bytes
        self.backups = backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._full(record):
                self._roll_over()
        except Exception:
            self.handleError(record)
            return
        super().emit(record)

    def _full(self, record: logging.LogRecord) -> bool:
        if self.max_bytes <= 0 or not os.path.isfile(self.baseFilename):
            return False
        if self.stream is None:
            self.stream = self._open()
        message = f"{self.format(record)}{self.terminator}"
        self.stream.seek(0, os.SEEK_END)
        return bool(self.stream.tell() + len(message.encode("utf-8")) >= self.max_bytes)

    def _roll_over(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        if self.backups > 0:
            for n in range(self.backups - 1, 0, -1):
                older = f"{self.baseFilename}.{n}"
                if os.path.exists(older):
                    os.replace(older, f"{self.baseFilename}.{n + 1}")
            os.replace(self.baseFilename, f"{self.baseFilename}.1")
        self.stream = self._open()


def setup_logging(folder: Path, level: int = logging.INFO) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    root = logging.getLogger("kapcompanion")
    for handler in list(root.handlers):
        if isinstance(handler, RotatingLog):
            root.removeHandler(handler)
            handler.close()
    handler = RotatingLog(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    return path
