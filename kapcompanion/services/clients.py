"""Clients: adding, editing, archiving and deleting one (one transaction each, audited by the
store inside it: ``client.create`` / ``client.update`` / ``client.archive`` /
``client.unarchive`` / ``client.delete``), and the reads the screens need."""

from __future__ import annotations

from kapcompanion.core.models import Client, Course
from kapcompanion.store.repos import Repos, validate_client

__all__ = [
    "archive",
    "courses_of",
    "delete_client",
    "get",
    "save_client",
    "search",
    "unarchive",
    "validate_client",
    "view",
]


def get(repos: Repos, client_id: int) -> Client:
    """A client's record for a name in a title or a check (not audited as a view);
    :class:`RecordNotFound` when there is none."""
    return repos.clients.get(client_id)


def view(repos: Repos, client_id: int) -> Client:
    """A client's record opened for display: the view is audited (``client.view``)."""
    return repos.clients.view(client_id)


def search(
    repos: Repos,
    text: str = "",
    *,
    include_archived: bool = False,
    active_course_only: bool = False,
    sort: str = "name",
    limit: int | None = None,
) -> list[Client]:
    """Clients whose name, pseudonym or identifier hold every word of ``text`` (folded as the
    vault folds them), active ones only unless ``include_archived``; ``sort``: ``"name"`` or
    ``"next_session"``."""
    return repos.clients.search(
        text,
        include_archived=include_archived,
        active_course_only=active_course_only,
        sort=sort,
        limit=limit,
    )


def courses_of(repos: Repos, client_id: int) -> list[Course]:
    """The client's courses of treatment, oldest first."""
    return repos.courses.for_client(client_id)


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


def archive(repos: Repos, client_id: int) -> Client:
    """Move a client out of the active list (nothing of theirs is removed)."""
    with repos.vault.transaction():
        return repos.clients.archive(client_id)


def unarchive(repos: Repos, client_id: int) -> Client:
    """Bring an archived client back to the active list."""
    with repos.vault.transaction():
        return repos.clients.unarchive(client_id)
