"""Adding a dated addendum under a signed record.

One transaction: the addendum with its seal and its ``addendum.create`` audit row, and the
draft it was written in removed (its revision raised), so a failure leaves the draft and no
addendum, and a success leaves the addendum and no draft.
"""

from __future__ import annotations

from kapcompanion.core.models import Addendum
from kapcompanion.services.documents import clear_draft
from kapcompanion.store.repos import Repos

__all__ = ["add_addendum", "addenda_for", "draft_key"]


def draft_key(record_type: str, record_id: int) -> str:
    """Where the addendum being written under a record is kept as a draft (meta)."""
    return f"draft.addendum.{record_type}.{record_id}"


def add_addendum(
    repos: Repos, record_type: str, record_id: int, text: str, client_id: int | None = None
) -> Addendum:
    """Add the addendum and remove its draft; :class:`VaultError` (nothing changed) for an
    empty text or a failed write."""
    with repos.vault.transaction():
        stored = repos.addenda.add(record_type, record_id, text, client_id)
        clear_draft(repos, draft_key(record_type, record_id))
    return stored


def addenda_for(repos: Repos, record_type: str, record_id: int) -> list[Addendum]:
    """The addenda under a record, oldest first."""
    return repos.addenda.for_record(record_type, record_id)
