"""Run under ``dbus-run-session``: does a real screensaver signal reach OsLockWatcher?

Prints the watcher's sources and what it reported, as JSON (read by test_os_lock.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kapcompanion.ui.lock import OsLockWatcher


def send(active: str) -> None:
    dbus_send = shutil.which("dbus-send") or "dbus-send"
    signal = "org.freedesktop.ScreenSaver.ActiveChanged"
    path = "/org/freedesktop/ScreenSaver"
    args = ["--session", "--type=signal", path, signal, f"boolean:{active}"]
    subprocess.run([dbus_send, *args], check=True)


def main() -> None:
    app = QApplication([])
    watcher = OsLockWatcher()
    got: list[str] = []
    watcher.os_locked.connect(got.append)
    QTimer.singleShot(50, lambda: send("false"))  # the screensaver ending locks nothing
    QTimer.singleShot(150, lambda: send("true"))
    QTimer.singleShot(4000, app.quit)
    timer = QTimer()
    timer.timeout.connect(lambda: app.quit() if got else None)
    timer.start(20)
    app.exec()
    print(json.dumps({"sources": watcher.sources, "got": got}))


if __name__ == "__main__":
    main()
