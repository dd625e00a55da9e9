"""The clinic's own session defaults, kept inside the vault (never in the plain settings file).

Four things a clinic may change and every session reads: the planned phase lengths per route
(``phase_defaults``), the vital-sign thresholds (``vital_thresholds``), the music folders
(``music_folders``) and which playlist each phase plays, for the clinic (``phase_playlists``)
and for one client (``phase_playlists.client.<id>``). A damaged or foreign value falls back to
the shipped default: a bad setting must never keep a session from starting. Every change is
written with an audit entry in the same transaction.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from kapcompanion.audio.library import PHASES, PhasePlaylists
from kapcompanion.core.clock import PhaseKind, PlannedPhase, default_phases
from kapcompanion.core.dose import Route
from kapcompanion.core.vitals import VitalThresholds
from kapcompanion.store import settings as stored_settings
from kapcompanion.store.vault import Vault

PHASE_DEFAULTS_KEY = "phase_defaults"
PLAYLISTS_KEY = "phase_playlists"
MUSIC_FOLDERS_KEY = "music_folders"


def client_playlists_key(client_id: int) -> str:
    return f"{PLAYLISTS_KEY}.client.{client_id}"


def _write(vault: Vault, key: str, value: Any) -> None:
    with vault.transaction() as tx:
        vault.set_json(key, value, tx)
        vault.audit("settings.update", record_type="settings", detail=key, conn=tx)


def _read(vault: Vault, key: str) -> Any:
    try:
        return vault.get_json(key)
    except ValueError:  # not JSON: treat as unset
        return None


# --------------------------------------------------------------------------- phases
def parse_phases(raw: Any) -> list[PlannedPhase] | None:
    """Phases from stored JSON, or None when they are not a usable plan."""
    if not isinstance(raw, list) or not raw:
        return None
    phases: list[PlannedPhase] = []
    for index, item in enumerate(raw):
        try:
            kind = PhaseKind(item["kind"])
            minutes = float(item["minutes"])
        except (KeyError, TypeError, ValueError):
            return None
        if not math.isfinite(minutes) or minutes <= 0 or (kind is PhaseKind.ARRIVAL and index):
            return None
        phases.append(PlannedPhase(kind, minutes))
    return phases


def phases_to_json(phases: list[PlannedPhase]) -> list[dict[str, Any]]:
    return [{"kind": p.kind.value, "minutes": p.minutes} for p in phases]


def phase_defaults(vault: Vault, route: Route) -> list[PlannedPhase]:
    """The clinic's planned phases for ``route``, else the shipped ones."""
    stored = _read(vault, PHASE_DEFAULTS_KEY)
    if isinstance(stored, dict):
        parsed = parse_phases(stored.get(Route(route).value))
        if parsed:
            return parsed
    return default_phases(Route(route))


def save_phase_defaults(vault: Vault, route: Route, phases: list[PlannedPhase]) -> None:
    if parse_phases(phases_to_json(phases)) is None:
        raise ValueError("Every phase needs more than 0 minutes; arrival can only come first.")
    stored = _read(vault, PHASE_DEFAULTS_KEY)
    table = dict(stored) if isinstance(stored, dict) else {}
    table[Route(route).value] = phases_to_json(phases)
    _write(vault, PHASE_DEFAULTS_KEY, table)


# --------------------------------------------------------------------------- thresholds
THRESHOLDS_KEY = stored_settings.THRESHOLDS_KEY
THRESHOLD_FIELDS = stored_settings.THRESHOLD_FIELDS
thresholds = stored_settings.thresholds


def save_thresholds(vault: Vault, value: VitalThresholds) -> None:
    _write(vault, THRESHOLDS_KEY, dataclasses.asdict(value))


# --------------------------------------------------------------------------- music
def _mapping(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if k in PHASES and isinstance(v, str) and v.strip()}


def phase_playlists(vault: Vault, client_id: int | None) -> PhasePlaylists:
    clinic = _mapping(_read(vault, PLAYLISTS_KEY))
    client = _mapping(_read(vault, client_playlists_key(client_id))) if client_id else {}
    return PhasePlaylists(clinic=clinic, client=client)


def save_phase_playlists(vault: Vault, mapping: dict[str, str], client_id: int | None) -> None:
    """The clinic's mapping (``client_id`` None) or one client's override."""
    key = client_playlists_key(client_id) if client_id else PLAYLISTS_KEY
    _write(vault, key, _mapping(mapping))


def music_folders(vault: Vault) -> list[Path]:
    stored = _read(vault, MUSIC_FOLDERS_KEY)
    if not isinstance(stored, list):
        return []
    return [Path(p) for p in stored if isinstance(p, str) and p.strip()]


def save_music_folders(vault: Vault, folders: list[Path]) -> None:
    unique: list[str] = []
    for folder in folders:
        text = str(folder)
        if text not in unique:
            unique.append(text)
    _write(vault, MUSIC_FOLDERS_KEY, unique)


IMPORTED_KEY = "music_playlists"


def imported_playlists(vault: Vault) -> list[Path]:
    """Playlist files the clinic imported (offered when assigning playlists to phases)."""
    stored = _read(vault, IMPORTED_KEY)
    if not isinstance(stored, list):
        return []
    return [Path(p) for p in stored if isinstance(p, str) and p.strip()]


def add_imported_playlist(vault: Vault, path: Path) -> None:
    known = [str(p) for p in imported_playlists(vault)]
    if str(path) not in known:
        _write(vault, IMPORTED_KEY, [*known, str(path)])
