"""Reading and writing the clinic's declared settings (``core.settings``) in the vault's meta table.

A stored value that is damaged or out of bounds reads as the default, so a bad setting never
keeps a session from starting or a record from printing.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from kapcompanion.core.settings import PREFIX, Setting
from kapcompanion.core.vitals import VitalThresholds
from kapcompanion.store.dbapi import Connection
from kapcompanion.store.vault import Vault

THRESHOLDS_KEY = "vital_thresholds"
THRESHOLD_FIELDS = tuple(f.name for f in dataclasses.fields(VitalThresholds))


def read(vault: Vault, setting: Setting) -> Any:
    """The clinic's value, or the default when unset, damaged or out of bounds."""
    raw = vault.get_meta(PREFIX + setting.key)
    if raw is None:
        return setting.default
    try:
        return setting.parse(json.loads(raw))
    except (ValueError, TypeError):
        return setting.default


def write(vault: Vault, setting: Setting, value: Any, conn: Connection) -> Any:
    """Store the parsed ``value`` inside ``conn``'s transaction; returns what was stored."""
    parsed = setting.parse(value)
    vault.set_json(PREFIX + setting.key, parsed, conn)
    return parsed


def thresholds(vault: Vault) -> VitalThresholds:
    """The clinic's vital thresholds; unknown keys and non-numbers are ignored."""
    try:
        stored = vault.get_json(THRESHOLDS_KEY)
    except ValueError:
        return VitalThresholds()
    if not isinstance(stored, dict):
        return VitalThresholds()
    known = {
        k: int(v)
        for k, v in stored.items()
        if k in THRESHOLD_FIELDS and isinstance(v, int | float) and not isinstance(v, bool)
    }
    return VitalThresholds(**known)
