"""Every location the app uses, resolved in one place.

Data, config and log folders come from platformdirs and can be redirected with the
``KAPCOMPANION_HOME`` environment variable (tests and the demo mode use it). Bundled files
(resources/, playlists/) are found next to the package in a source checkout and under
``sys._MEIPASS`` inside the PyInstaller bundle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from kapcompanion.core.bundled import bundle_root

__all__ = ["AppDirs", "app_dirs", "bundle_root", "playlists_dir", "resource", "resources_dir"]

APP_DIR_NAME = "kapcompanion"


def resources_dir() -> Path:
    return bundle_root() / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def playlists_dir() -> Path:
    return bundle_root() / "playlists"


@dataclass(frozen=True)
class AppDirs:
    data: Path
    config: Path
    logs: Path

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @property
    def default_vault(self) -> Path:
        return self.data / "vault.kapv"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def runtime(self) -> Path:
        """Marks held by running copies (a demo vault's owner): removed with their owner."""
        return self.data / "runtime"

    @property
    def templates(self) -> Path:
        """Clinic-edited copies of shipped templates (checklists, prompts, phases)."""
        return self.data / "templates"

    def ensure(self) -> AppDirs:
        for folder in (self.data, self.config, self.logs, self.backups, self.templates):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_dirs(home: Path | None = None) -> AppDirs:
    """Resolve the per-user folders; ``KAPCOMPANION_HOME`` overrides them all."""
    override = home or (
        Path(os.environ["KAPCOMPANION_HOME"]) if os.environ.get("KAPCOMPANION_HOME") else None
    )
    if override is not None:
        return AppDirs(data=override / "data", config=override / "config", logs=override / "logs")
    return AppDirs(
        data=Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)),
        config=Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False)),
    )
