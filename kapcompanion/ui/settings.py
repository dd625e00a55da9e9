"""Settings of the desktop app: one small JSON file in the config folder, written atomically.

Only window and app preferences live here (theme, idle time, geometry, the last vault's path):
never client data. A missing, damaged or foreign file gives the defaults, so a bad settings
file can never keep the app from starting.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from kapcompanion.fileio import atomic_write_text

log = logging.getLogger(__name__)

DEFAULT_IDLE_MINUTES = 10.0
MIN_IDLE_MINUTES = 1.0
MAX_IDLE_MINUTES = 240.0


@dataclass
class Settings:
    theme: str = "light"
    idle_minutes: float = DEFAULT_IDLE_MINUTES
    lock_on_os_lock: bool = True
    last_vault: str = ""
    geometry: str = ""  # QMainWindow.saveGeometry() as base64
    splitter: str = ""  # the client list / record splitter state as base64
    backups_keep: int = 10  # automatic encrypted backups kept in the data folder (newest)
    extra: dict[str, Any] = field(default_factory=dict)  # later screens' preferences

    @property
    def idle_ms(self) -> int:
        minutes = min(MAX_IDLE_MINUTES, max(MIN_IDLE_MINUTES, float(self.idle_minutes)))
        return int(minutes * 60_000)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read ``path``; unknown keys and values of the wrong type are ignored."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("settings file unreadable (%s); using defaults", type(exc).__name__)
            return cls()
        if not isinstance(raw, dict):
            return cls()
        settings = cls()
        for f in fields(cls):
            if f.name not in raw:
                continue
            value = raw[f.name]
            default = getattr(settings, f.name)
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, float):
                ok = isinstance(value, int | float) and not isinstance(value, bool)
                value = float(value) if ok else value
            else:
                ok = isinstance(value, type(default))
            if ok:
                setattr(settings, f.name, value)
        return settings

    def save(self, path: Path) -> None:
        """Write beside the target and rename into place: the old file or the new, never half.

        A file that already holds exactly these settings is left alone: quitting without a
        change costs no write and no fsync (bench/README.md)."""
        text = settings_text(asdict(self))
        try:
            if path.read_text(encoding="utf-8") == text:
                return
        except (OSError, ValueError):
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)


def settings_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


def write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, settings_text(data))
