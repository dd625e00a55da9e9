"""Growing delays after failed unlocks, kept across restarts in a small file in the config folder.

The file holds, per vault path, how many unlocks failed in a row, when the last one failed and
the times of the failures not yet written to the vault's audit trail (a locked vault cannot be
written to: they are recorded at the next successful unlock). No client data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kapcompanion.ui.settings import write_json_atomically

FREE_ATTEMPTS = 3  # typos happen: the first failures cost nothing
FIRST_DELAY_S = 5.0
MAX_DELAY_S = 300.0
MAX_PENDING = 200  # failure times kept for the audit trail (the count keeps growing)
FILE_NAME = "unlock-attempts.json"


def delay_after(failures: int) -> float:
    """Seconds to wait after ``failures`` failures in a row: 1, 2 -> 0; 3 -> 5; 4 -> 10; ... 300."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2.0 ** min(failures - FREE_ATTEMPTS, 16))


class UnlockThrottle:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock

    # ------------------------------------------------------------------ file
    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _entry(self, vault: Path) -> dict[str, Any]:
        entry = self._read().get(_key(vault))
        if not isinstance(entry, dict):
            return {"count": 0, "last": 0.0, "pending": []}
        return {
            "count": int(entry.get("count", 0) or 0),
            "last": float(entry.get("last", 0.0) or 0.0),
            "pending": [str(p) for p in entry.get("pending", []) if isinstance(p, str)],
        }

    def _write(self, vault: Path, entry: dict[str, Any] | None) -> None:
        data = self._read()
        if entry is None:
            data.pop(_key(vault), None)
        else:
            data[_key(vault)] = entry
        write_json_atomically(self.path, data)

    # ------------------------------------------------------------------ API
    def failures(self, vault: Path) -> int:
        return int(self._entry(vault)["count"])

    def remaining(self, vault: Path) -> float:
        """Seconds before the next attempt is allowed (0 when it is allowed now).

        A clock set back never stretches the wait beyond one full delay.
        """
        entry = self._entry(vault)
        wait = delay_after(entry["count"])
        if wait <= 0:
            return 0.0
        elapsed = max(0.0, self._clock() - entry["last"])
        return float(max(0.0, wait - elapsed))

    def record_failure(self, vault: Path) -> float:
        """Count one failure; returns the delay before the next attempt."""
        entry = self._entry(vault)
        now = self._clock()
        entry["count"] += 1
        entry["last"] = now
        stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
        entry["pending"] = [*entry["pending"], stamp][-MAX_PENDING:]
        self._write(vault, entry)
        return delay_after(entry["count"])

    def pending(self, vault: Path) -> list[str]:
        """UTC times (ISO) of failures not yet written to the vault's audit trail."""
        return list(self._entry(vault)["pending"])

    def reset(self, vault: Path) -> None:
        """After a successful unlock (the pending failures are in the audit trail by then)."""
        self._write(vault, None)


def _key(vault: Path) -> str:
    try:
        return str(Path(vault).resolve())
    except OSError:
        return str(vault)


def throttle_for(config_dir: Path) -> UnlockThrottle:
    return UnlockThrottle(config_dir / FILE_NAME)
