"""The computer around the vault: free disk space against the clinic's floor.

``low_disk_warning`` is what the session start shows before a session begins (a session writes
vitals, events and notes as it goes, and a full disk mid-session loses the next change);
``disk_report`` is what ``kapcompanion doctor`` prints.
"""

from __future__ import annotations

from pathlib import Path

from kapcompanion.core.settings import DISK_FLOOR_MB
from kapcompanion.store import settings as stored
from kapcompanion.store.files import existing_folder, free_bytes
from kapcompanion.store.vault import Vault

MB = 1_000_000


def free_mb(folder: Path) -> int | None:
    free = free_bytes(folder)
    return None if free is None else free // MB


def low_disk_warning(vault: Vault) -> str | None:
    """A plain warning when the vault's disk has less free space than the clinic's floor."""
    floor = int(stored.read(vault, DISK_FLOOR_MB))
    free = free_bytes(vault.path.parent)
    if free is None or free >= floor * MB:
        return None
    return (
        f"Low disk space: {free // MB:,} MB free on the disk that holds the vault (the clinic's "
        f"floor is {floor:,} MB). A session saves vitals, events and notes as it goes; free some "
        "space before you start so that nothing fails to save."
    )


def disk_report(folder: Path) -> str:
    """``N MB free on FOLDER`` for the doctor report."""
    where = existing_folder(folder)
    free = free_mb(where)
    if free is None:
        return f"unknown (cannot ask the disk of {where})"
    return f"{free:,} MB free on {where}"
