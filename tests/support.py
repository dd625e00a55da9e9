"""Constants and helpers shared by tests (importable: tests/ is on pythonpath)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

PASSPHRASE = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


class FakeTime:
    """A wall clock and a monotonic clock that move only when told (for the session runner)."""

    def __init__(self, utc: datetime | None = None, mono: float = 100.0) -> None:
        self.utc = utc or datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
        self.mono = mono

    def now(self) -> datetime:
        return self.utc

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.utc += timedelta(seconds=seconds)
        self.mono += seconds
