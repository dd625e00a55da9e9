"""Anchors: the audit chain's head (row id and hash) written down outside the vault.

An anchor ``N:HASH`` says "audit row N had this hash". It holds no client data, so it can go
on every exported PDF, into every backup and into a small log beside the vault
(``VAULT.anchors``, one line per lock, backup and export, appended and fsynced). ``vault check``
verifies every anchor it is given or finds in that log: if row N is gone or has another hash,
the trail before that moment was shortened or rewritten.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_ANCHOR = re.compile(r"^\s*(\d+):([0-9a-f]{64})\s*$")


@dataclass(frozen=True)
class Anchor:
    row: int
    hash: str
    utc: str = ""
    why: str = ""

    def __str__(self) -> str:
        return f"{self.row}:{self.hash}"


def parse(text: str) -> Anchor:
    """``N:HASH`` as an anchor; a clear message when it is not one."""
    found = _ANCHOR.match(text.strip().lower())
    if not found:
        raise ValueError(
            f"{text.strip()!r} is not an anchor: it should read N:HASH (a row number, a colon "
            "and 64 hexadecimal characters), as printed by `kapcompanion vault anchor`."
        )
    return Anchor(int(found.group(1)), found.group(2))


def log_path(vault_path: Path) -> Path:
    return Path(f"{vault_path}.anchors")


def append(vault_path: Path, anchor: Anchor, why: str) -> None:
    """Append one line (id, hash, UTC time, what happened) and fsync it."""
    utc = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{anchor} {utc} {why}\n"
    path = log_path(vault_path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_log(vault_path: Path) -> list[Anchor]:
    """The anchors of the log beside the vault (none when there is no log); bad lines skipped."""
    path = log_path(vault_path)
    found: list[Anchor] = []
    with contextlib.suppress(FileNotFoundError):
        for line in path.read_text("ascii", errors="replace").splitlines():
            parts = line.split()
            if not parts:
                continue
            try:
                anchor = parse(parts[0])
            except ValueError:
                continue
            found.append(
                Anchor(
                    anchor.row, anchor.hash, parts[1] if len(parts) > 1 else "", " ".join(parts[2:])
                )
            )
    return found
