"""SIGKILL a running session at random moments: nothing acknowledged is lost, and the clock of
the resumed session is right to the second (it comes from the stored UTC dose time)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import CHILD_PATH_TESTS, PASSPHRASE
from zygote import Zygote

from kapcompanion.core.models import Client
from kapcompanion.services.session import SessionRunner
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

CHILD = Path(__file__).parent / "child_session.py"
ROUNDS = 32


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """Children forked with Qt and the app imported (tests/zygote.py); each makes its own
    QApplication and vault connection, as a freshly started process would."""
    env = dict(
        os.environ,
        PYTHONPATH=CHILD_PATH_TESTS,
        KAPCOMPANION_PASSPHRASE=PASSPHRASE,
        QT_QPA_PLATFORM="offscreen",
    )
    preload = [
        "PySide6.QtWidgets",
        "kapcompanion.ui.session.controller",
        "kapcompanion.ui.context",
        "kapcompanion.ui.lock",
        "kapcompanion.ui.settings",
        "kapcompanion.services.session",
        "readiness_support",
    ]
    with Zygote(preload, env) as server:
        yield server


def _run_and_kill(zygote: Zygote, path: Path, seed: int, delay: float) -> list[str]:
    proc = zygote.spawn(CHILD, [str(path), str(seed)])
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # run until "ready" (or until it ended by itself)
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith("ready"):
            break
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    lines += [ln.strip() for ln in out.splitlines() if ln.strip()]
    return lines


@pytest.mark.slow
def test_a_session_survives_sigkill(tmp_path: Path, template_vault: Path, zygote: Zygote) -> None:
    path = tmp_path / "kill.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    Repos(vault).clients.add(Client(name="Kill Test", pseudonym="Wren"))
    vault.close()
    rng = random.Random(20250113)
    acknowledged: dict[int, tuple[int, float, datetime]] = {}
    doses: dict[int, datetime] = {}
    for round_ in range(ROUNDS):
        for line in _run_and_kill(zygote, path, round_, rng.uniform(0.0, 0.6)):
            parts = line.split()
            if parts[0] == "event":
                offset = float(parts[3]) if parts[3] != "None" else float("nan")
                acknowledged[int(parts[1])] = (
                    int(parts[2]),
                    offset,
                    datetime.fromisoformat(parts[4]),
                )
            elif parts[0] == "dose":
                sid, at = int(parts[1]), datetime.fromisoformat(parts[2])
                assert doses.setdefault(sid, at) == at  # a resumed session keeps its dose time
    assert len(acknowledged) > 200, len(acknowledged)
    assert len(doses) >= 2  # sessions were ended and new ones started

    vault = Vault.open(path, PASSPHRASE)
    try:
        repos = Repos(vault)
        sessions = {s.id: s for s in repos.sessions.for_client(1)}
        stored: dict[int, int] = {}
        for key in sessions:
            for event in repos.events.for_session(key or 0):
                assert event.id is not None
                stored[event.id] = key or 0
        missing = set(acknowledged) - set(stored)
        assert not missing, f"acknowledged but lost: {sorted(missing)[:10]}"
        for sid, at in doses.items():
            assert sessions[sid].dose_utc == at
        running = repos.sessions.running()
        for session in running:
            runner = SessionRunner(repos, session.id or 0)
            elapsed = runner.clock.elapsed_s()
            assert elapsed is not None
            now = datetime.now(UTC)
            # the truth, from the dose time the child printed and the wall clock
            assert abs(elapsed - (now - doses[session.id or 0]).total_seconds()) < 1.0
            # and from the last event the child acknowledged: its offset plus the time since
            last = max(
                (v for k, v in acknowledged.items() if v[0] == session.id), key=lambda v: v[2]
            )
            assert abs(elapsed - (last[1] + (now - last[2]).total_seconds())) < 1.0
        report = vault.check()
        assert report.ok, report.lines()
    finally:
        vault.close()
