"""Where the core's bundled data files (JSON defaults) live, and how they are read.

The clinical defaults (checklist templates, phase lengths, the medication table) ship as
JSON in ``resources/`` so a clinic can read and copy them without touching code. This is
the single place in ``core`` that asks :mod:`kapcompanion.paths` for the bundle folder;
``paths`` is a leaf module (standard library and platformdirs only), so the core stays
free of Qt, SQL and every other layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kapcompanion.paths import resource


def resource_path(*parts: str) -> Path:
    """Path of a bundled file under ``resources/``."""
    return resource(*parts)


def read_json(path: Path) -> Any:
    """Read a UTF-8 JSON file; errors name the file so a broken clinic copy is findable."""
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from exc
