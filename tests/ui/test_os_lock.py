"""Locking with the computer: a real D-Bus session bus and a real screensaver signal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from support import CHILD_PATH

from kapcompanion.ui.lock import OsLockWatcher

PROBE = Path(__file__).with_name("dbus_probe.py")


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("dbus-send")),
    reason="needs dbus-run-session and dbus-send (Debian: dbus)",
)
def test_screensaver_signal_locks_over_a_real_session_bus() -> None:
    env = {**os.environ, "PYTHONPATH": CHILD_PATH, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [str(shutil.which("dbus-run-session")), "--", sys.executable, str(PROBE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "screensaver:/org/freedesktop/ScreenSaver" in report["sources"]
    assert report["got"] == ["screensaver"]


def test_without_a_bus_the_watcher_still_works(qtbot: QtBot) -> None:
    watcher = OsLockWatcher()
    got: list[str] = []
    watcher.os_locked.connect(got.append)
    watcher._on_sleep(False)
    watcher._on_screensaver(False)
    assert got == []
    watcher._on_sleep(True)
    watcher._on_session_lock()
    assert got == ["sleep", "session-lock"]
