"""Signing a record, and keeping a wrong signing entry in the audit trail.

The credential (the vault passphrase or the signing PIN) is checked by the caller before
:func:`sign_record`; the signature itself is one transaction in the store: the record marked
signed, its seal and its ``session.sign`` / ``<kind>.sign`` audit row.
"""

from __future__ import annotations

from kapcompanion.store.repos import Repos

__all__ = ["record_wrong_entry", "sign_record"]

SESSION = "session"


def sign_record(repos: Repos, record_type: str, record_id: int, signer: str) -> None:
    """Sign a session (``record_type`` "session") or a document as ``signer``.
    :class:`VaultError` (nothing signed): already signed, not ended, a failed write."""
    with repos.vault.transaction():
        if record_type == SESSION:
            repos.sessions.sign(record_id, signer)
        else:
            repos.documents.sign(record_id, signer)


def record_wrong_entry(
    repos: Repos,
    record_type: str,
    record_id: int,
    client_id: int | None,
    *,
    what: str,
    count: int,
    most: int,
) -> None:
    """Audit ``sign.failed``: the ``count``-th wrong ``what`` (PIN, passphrase) of ``most``."""
    repos.vault.audit(
        "sign.failed",
        record_type=record_type,
        record_id=record_id,
        client_id=client_id,
        detail=f"wrong {what}, {count} of {most}",
    )
