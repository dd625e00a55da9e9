"""Export targets: checked, then written through the one atomic-write helper (``fileio``), and
the audit row an export leaves (one client's, or the whole vault's).

A crash or a full disk leaves the old file or the new one, never half of one; the temporary
file is removed on every failure. Problems the user can fix raise :class:`ExportError`.
"""

from __future__ import annotations

import os
from pathlib import Path

from kapcompanion.export.errors import ExportError
from kapcompanion.fileio import atomic_write_bytes
from kapcompanion.store.repos import Repos


def check_target(out: Path, suffix: str) -> Path:
    if out.is_dir():
        raise ExportError(f"{out} is a folder; choose a file name ending in {suffix}.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.")
    return out


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, suffix: str = "") -> Path:
    """Write ``data`` to ``path`` atomically (``kapcompanion.fileio``) and return the path."""
    out = check_target(Path(path), suffix or "the right extension")
    try:
        return atomic_write_bytes(out, data)
    except OSError as exc:
        raise ExportError(f"Could not write {out.name}: {exc.strerror or exc}.") from exc


def audit_export(repos: Repos, action: str, client_ids: list[int], detail: str) -> None:
    """One audit row for an export: on the client when it is one client's, else on the vault."""
    if len(client_ids) == 1:
        cid = client_ids[0]
        repos.vault.audit(action, record_type="client", record_id=cid, client_id=cid, detail=detail)
    else:
        repos.vault.audit(action, record_type="vault", detail=detail)
