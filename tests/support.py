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


#: PYTHONPATH for a child process of the suite: the repository, and the test-only hook that
#: gives the child the suite's low KDF iteration count (tests/kdf_boot/sitecustomize.py).
CHILD_PATH = f"{ROOT}:{ROOT / 'tests' / 'kdf_boot'}"
#: the same with tests/ importable (for children that use the test helpers)
CHILD_PATH_TESTS = f"{CHILD_PATH}:{ROOT / 'tests'}"
#: PBKDF2 iterations for vaults made by the suite (SQLCipher's default is 256,000); set
#: KAPC_TEST_FULL_KDF=1 to run the whole suite at the production count
TEST_KDF_ITER = 64
