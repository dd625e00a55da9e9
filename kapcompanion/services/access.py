"""Opening, creating and closing a vault as the app does it, with the audit rows that go
with it, and the vault-wide actions of the File menu (backup, restore, a new passphrase).

:func:`unlock` opens the vault and records the unlock, and the failed attempts before it, in
one transaction: when that cannot be written, the vault is closed again and the error raised.
A read-only opening writes nothing (the failures wait for a writing unlock). :func:`record_lock`
writes ``vault.lock`` (why: lock, switch, quit) before the vault closes. Backups, restores and
passphrase changes are audited by the store. The ui imports this module inside functions
(on the GUI thread), so the vault code loads once a passphrase is typed, not at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kapcompanion.store.vault import MIN_PASSPHRASE_LENGTH, Vault, check_passphrase
from kapcompanion.store.vault import latest_backup as _latest_backup
from kapcompanion.store.vault import restore as _restore

if TYPE_CHECKING:
    from kapcompanion.store.repos import Repos

__all__ = [
    "MIN_PASSPHRASE_LENGTH",
    "auto_backup",
    "back_up",
    "change_passphrase",
    "check_passphrase",
    "create",
    "latest_backup",
    "record_lock",
    "repositories",
    "restore",
    "unlock",
    "verify_passphrase",
]


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


def create(path: Path, passphrase: str, practitioner: dict[str, Any] | None = None) -> Vault:
    """A new, open vault at ``path`` (never over an existing file; the passphrase checked)."""
    return Vault.create(path, passphrase, practitioner)


def back_up(vault: Vault, dest: Path) -> Path:
    """An encrypted copy (same passphrase) written atomically to ``dest``; never overwrites."""
    return vault.backup_to(dest)


def auto_backup(vault: Vault, folder: Path, keep: int) -> Path:
    """A timestamped backup in ``folder``; only the newest ``keep`` of this vault stay."""
    return vault.auto_backup(folder, keep=keep)


def latest_backup(folder: Path, vault_path: Path) -> Path | None:
    """The newest automatic backup of the vault at ``vault_path`` in ``folder``, if any."""
    return _latest_backup(folder, vault_path)


def restore(backup: Path, target: Path, passphrase: str) -> Path | None:
    """Replace the (closed) vault at ``target`` with a verified copy of ``backup``; returns
    where the replaced file was kept (None when there was none)."""
    return _restore(backup, target, passphrase)


def verify_passphrase(vault: Vault, passphrase: str) -> bool:
    """True when ``passphrase`` is the one the open vault was unlocked with."""
    return vault.verify_passphrase(passphrase)


def change_passphrase(vault: Vault, new_passphrase: str) -> None:
    """Re-encrypt the vault under a new passphrase (a crash leaves exactly one that works)."""
    vault.rekey(new_passphrase)
