"""The audit trail as the app shows, checks, exports and prints from it.

Reading: :func:`entries` (filtered, newest first), :func:`actions` (for the filter),
:func:`verify` (the hash chain). Writing: :func:`export_csv` writes the rows shown and audits
the export; when the audit row cannot be written the file is removed again, so no export
exists that the trail does not know about. :func:`record_printed` audits a printed PDF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kapcompanion.export.csv_safe import write_csv
from kapcompanion.store.audit import AuditRow, ChainReport
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import CHECK_STEPS, CheckReport, Vault, iso

__all__ = [
    "CHECK_STEPS",
    "AuditRow",
    "ChainReport",
    "CheckReport",
    "actions",
    "entries",
    "export_csv",
    "iso",
    "record_printed",
    "verify",
]


def actions(vault: Vault) -> list[str]:
    """Every action name in the trail, sorted."""
    return vault.audit_actions()


def entries(vault: Vault, **filters: Any) -> list[AuditRow]:
    """Audit rows newest first (``client_id``, ``action``, ``since_utc``, ``until_utc``,
    ``limit``)."""
    return vault.audit_entries(**filters)


def verify(vault: Vault) -> ChainReport:
    """Walk the hash chain of the trail."""
    return vault.verify_audit()


def export_csv(
    vault: Vault,
    target: Path,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    client_id: int | None,
    detail: str,
) -> Path:
    """Write the CSV (atomic, formula-safe) and audit ``export.audit_csv``. Raises
    ``ExportError`` (nothing written) or :class:`VaultError` (the file removed again)."""
    write_csv(target, header, rows)
    try:
        vault.audit("export.audit_csv", record_type="audit", client_id=client_id, detail=detail)
    except VaultError:
        target.unlink(missing_ok=True)  # no export the trail does not know about
        raise
    return target


def record_printed(repos: Repos, action: str, record_type: str, record_id: int, pages: int) -> None:
    """Audit a printed PDF of a session (``record_type`` "session") or a client's course."""
    client_id = repos.sessions.get(record_id).client_id if record_type == "session" else record_id
    repos.vault.audit(
        action,
        record_type=record_type,
        record_id=record_id,
        client_id=client_id,
        detail=f"{pages} page{'s' if pages != 1 else ''}",
    )
