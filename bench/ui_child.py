"""Child process for the UI figures: started fresh for each sample (a cold start each time).

`ui_child.py app-start` runs the real app to its unlock window and quits as soon as the event loop
is idle; `bare-start` does the same with a bare PySide6 window. `app-rss VAULT` unlocks the
clinic-scale vault into the main window (client list showing) and prints the resident memory;
`bare-rss` prints a bare window's. Started the same way, so the ratios compare like with like.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

T0 = time.perf_counter()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bare(mode: str) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication([])
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare"))
    window.resize(1366, 768)
    window.show()

    def ready() -> None:
        print(f"ready {time.perf_counter() - T0:.6f} rss {rss_mb():.1f}", flush=True)
        app.quit()

    QTimer.singleShot(1 if mode == "bare-start" else 0, ready)
    app.exec()


def app_mode(mode: str, vault_path: str | None) -> None:
    from PySide6.QtCore import QTimer

    from kapcompanion.paths import app_dirs
    from kapcompanion.ui.app import build_window, make_application
    from kapcompanion.ui.main_window import Services
    from kapcompanion.ui.settings import Settings

    app = make_application()
    dirs = app_dirs().ensure()
    settings = Settings.load(dirs.settings_file)
    services = Services(dirs=dirs, settings=settings, watch_os_lock=False, auto_backup=False)
    window = build_window(services, app)
    window.start()  # the unlock window for the last vault
    window.resize(1366, 768)
    window.show()
    if mode == "app-rss" and vault_path:
        from kapcompanion.store.vault import Vault

        window.enter(Vault.open(Path(vault_path), os.environ["KAP_BENCH_PASSPHRASE"]))

    def ready() -> None:
        print(f"ready {time.perf_counter() - T0:.6f} rss {rss_mb():.1f}", flush=True)
        window.close()
        app.quit()

    QTimer.singleShot(0, ready)
    app.exec()


if __name__ == "__main__":
    which = sys.argv[1]
    if which.startswith("bare"):
        bare(which)
    else:
        app_mode(which, sys.argv[2] if len(sys.argv) > 2 else None)
