"""Opening and closing a vault as the app does it, with the audit rows that go with it.

:func:`unlock` opens the vault and records the unlock, and the failed attempts before it, in
one transaction: when that cannot be written, the vault is closed again and the error raised.
A read-only opening writes nothing (the failures wait for a writing unlock). :func:`record_lock`
writes ``vault.lock`` (why: lock, switch, quit) before the vault closes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kapcompanion.store.vault import Vault

if TYPE_CHECKING:
    from kapcompanion.store.repos import Repos

__all__ = ["record_lock", "repositories", "unlock"]


def unlock(
    path: Path, passphrase: str, backups: Path, failed_at: list[str], *, read_only: bool = False
) -> Vault:
    """Open the vault and audit ``vault.unlock_failed`` (one per time in ``failed_at``) and
    ``vault.unlock``; ``read_only``: no lock, nothing written."""
    if read_only:
        return Vault.open(path, passphrase, backup_dir=backups, read_only=True)
    vault = Vault.open(path, passphrase, backup_dir=backups)
    try:
        with vault.transaction() as tx:
            for stamp in failed_at:
                vault.audit(
                    "vault.unlock_failed", record_type="vault", detail=f"failed at {stamp}", conn=tx
                )
            vault.audit("vault.unlock", record_type="vault", conn=tx)
    except BaseException:
        vault.close()
        raise
    return vault


def record_lock(vault: Vault, why: str) -> None:
    """Audit ``vault.lock`` with the reason (the caller closes the vault after it)."""
    vault.audit("vault.lock", record_type="vault", detail=why)


def repositories(vault: Vault) -> Repos:
    """The repositories of an open vault (loaded at the first unlock, not at start-up)."""
    from kapcompanion.store.repos import Repos

    return Repos(vault)
