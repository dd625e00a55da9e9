"""Adding, editing and deleting a client: one transaction each, audited by the store
(``client.create`` / ``client.update`` / ``client.delete``) inside it."""

from __future__ import annotations

from kapcompanion.core.models import Client
from kapcompanion.store.repos import Repos, validate_client

__all__ = ["delete_client", "save_client", "validate_client"]


def save_client(repos: Repos, client: Client) -> Client:
    """Store a new client (no id) or the edit of a stored one; returns it as stored.
    :class:`VaultError` (nothing written) for a client the store's rules refuse."""
    with repos.vault.transaction():
        if client.id is None:
            return repos.clients.add(client)
        return repos.clients.update(client)


def delete_client(repos: Repos, client_id: int, *, confirm_name: str) -> None:
    """Delete a client and every record of theirs; ``confirm_name`` must be the name typed."""
    with repos.vault.transaction():
        repos.clients.delete(client_id, confirm_name=confirm_name)
