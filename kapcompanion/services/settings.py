"""Changing the clinic's settings: one transaction with its audit row (old and new value).

Declarations live in ``core.settings``; reading is ``store.settings.read``. The settings screen,
the CLI (``kapcompanion settings show|set``) and the session runner all come through here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kapcompanion.core.settings import Setting, all_settings
from kapcompanion.store import settings as stored
from kapcompanion.store.vault import Vault

get = stored.read


def set_value(vault: Vault, setting: Setting, value: Any) -> Any:
    """Store ``value`` (parsed and checked first) with its audit row in one transaction."""
    parsed = setting.parse(value)
    old = stored.read(vault, setting)
    with vault.transaction() as tx:
        stored.write(vault, setting, parsed, tx)
        vault.audit(
            "settings.update",
            record_type="settings",
            detail=json.dumps({"key": setting.key, "old": old, "new": parsed}, ensure_ascii=False),
            conn=tx,
        )
    return parsed


def snapshot(vault: Vault) -> dict[str, Any]:
    """Every declared setting with its current value (the CLI and the settings screen)."""
    return {s.key: stored.read(vault, s) for s in all_settings()}


def set_values(vault: Vault, changes: Mapping[Setting, Any]) -> dict[str, Any]:
    """Several settings as one action: all are checked first (one bad value changes nothing),
    then stored in one transaction, one audit row per setting that really changed."""
    parsed = {setting: setting.parse(value) for setting, value in changes.items()}
    done: dict[str, Any] = {}
    with vault.transaction():
        for setting, value in parsed.items():
            if stored.read(vault, setting) != value:
                done[setting.key] = set_value(vault, setting, value)
    return done
