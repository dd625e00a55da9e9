"""Constants and helpers shared by tests (importable: tests/ is on pythonpath)."""

from __future__ import annotations

from pathlib import Path

PASSPHRASE = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
