"""UI figures for bench/run.py: cold start to the unlock window and resident memory."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def _child(mode: str, env: dict[str, str], *extra: str) -> tuple[float, float, float]:
    """(wall seconds from spawn to ready, seconds inside the child, RSS MB)."""
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(HERE / "ui_child.py"), mode, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    wall = time.perf_counter() - t
    line = next(ln for ln in out.splitlines() if ln.startswith("ready"))
    parts = line.split()
    return wall, float(parts[1]), float(parts[3])


def _spawn(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit of a process that quits once its event loop runs."""
    t = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, timeout=120, check=True)
    return time.perf_counter() - t


def run(vault: Path, passphrase: str) -> Iterator[dict[str, Any]]:
    home = Path(tempfile.mkdtemp(prefix="kap-bench-home-"))
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(json.dumps({"last_vault": str(vault)}))
    env = dict(
        os.environ,
        KAPCOMPANION_HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        KAP_BENCH_PASSPHRASE=passphrase,
    )
    env["PYTHONPATH"] = str(HERE.parent)
    _child("bare-start", env), _child("app-start", env)  # warm the file cache
    app = [_child("app-start", env)[0] for _ in range(5)]
    bare = [_child("bare-start", env)[0] for _ in range(5)]
    yield {
        "name": "cold start to the unlock window (median)",
        "value": statistics.median(app) * 1000,
        "unit": "ms",
        "baseline": statistics.median(bare) * 1000,
        "target": "<= 1.5x",
    }
    app_rss = statistics.median(_child("app-rss", env, str(vault))[2] for _ in range(3))
    bare_rss = statistics.median(_child("bare-rss", env)[2] for _ in range(3))
    yield {
        "name": "resident memory, clinic vault on the main window",
        "value": app_rss,
        "unit": "MB",
        "baseline": bare_rss,
        "target": "<= +150 MB",
        "difference_mb": app_rss - bare_rss,
    }
