"""How client search matches: one folding rule for the store's query and the list's filter."""

from __future__ import annotations

import unicodedata

from kapcompanion.core.models import Client


def fold(text: str) -> str:
    """Lower-case and strip accents, for search as you type."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def client_search_text(c: Client) -> str:
    """The folded text a client is found by: name, pseudonym, record number, indications."""
    return fold(" ".join([c.name, c.pseudonym, c.identifier, *c.indications]))
