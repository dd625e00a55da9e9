"""Repositories: typed reads and writes of every record, each change audited in its transaction.

Indexed facts are columns; the rest of a record is JSON (``core.serial``) in ``data``.
"""

from __future__ import annotations

from kapcompanion.core.search import fold
from kapcompanion.store.clients import Clients, Courses, validate_client
from kapcompanion.store.documents import Addenda, Documents, Flags, content_hash
from kapcompanion.store.ledger import Ledger
from kapcompanion.store.sessions import Events, Sessions, Vitals
from kapcompanion.store.vault import Vault

__all__ = [
    "Addenda",
    "Clients",
    "Courses",
    "Documents",
    "Events",
    "Flags",
    "Repos",
    "Sessions",
    "Vitals",
    "content_hash",
    "fold",
    "validate_client",
]


class Repos:
    """Every repository over one vault: what the screens and the exporter receive."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.clients = Clients(vault)
        self.courses = Courses(vault)
        self.sessions = Sessions(vault)
        self.events = Events(vault)
        self.vitals = Vitals(vault)
        self.documents = Documents(vault)
        self.addenda = Addenda(vault)
        self.flags = Flags(vault)
        self.ledger = Ledger(vault)
