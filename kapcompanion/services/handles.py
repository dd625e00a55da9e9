"""The two handles a screen holds for an unlocked vault: ``Vault`` and ``Repos``.

The ui keeps them in its context only to hand them back to services: it never calls a
repository itself (``tests/test_layering.py`` fails on a repository call in
``kapcompanion/ui``). Screens import these names under ``TYPE_CHECKING`` only, so the store
still loads at the first unlock, not at start-up.
"""

from __future__ import annotations

from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

__all__ = ["Repos", "Vault"]
