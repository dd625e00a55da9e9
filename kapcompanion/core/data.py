"""Reading the core's bundled data files (JSON defaults in ``resources/``).

The clinical defaults (checklist templates, phase lengths, the medication table) ship as
JSON so a clinic can read and copy them without touching code. Files are located with
:func:`kapcompanion.core.bundled.bundled_resource`, because ``core`` imports nothing of
ours outside ``kapcompanion.core``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kapcompanion.core.bundled import bundled_resource


def resource_path(*parts: str) -> Path:
    """Path of a bundled file under ``resources/``."""
    return bundled_resource(*parts)


def read_json(path: Path) -> Any:
    """Read a UTF-8 JSON file; errors name the file so a broken clinic copy is findable."""
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from exc
