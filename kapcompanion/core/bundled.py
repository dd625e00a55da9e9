"""Locate files shipped in ``resources/`` from inside ``core``.

``core`` may import nothing of ours outside ``kapcompanion.core``, so it cannot use
``kapcompanion.paths.resource``; this mirrors ``paths.bundle_root()`` exactly: the folder
next to the package in a checkout, or ``sys._MEIPASS`` inside the PyInstaller bundle.
"""

from __future__ import annotations

import sys
from pathlib import Path


def bundle_root() -> Path:
    """The folder that holds ``resources/`` and ``playlists/``."""
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else Path(__file__).resolve().parents[2]


def bundled_resource(*parts: str) -> Path:
    return bundle_root().joinpath("resources", *parts)
