"""Child process for the UI figures: started fresh for each sample (a cold start each time).

`bare-start` shows a bare PySide6 window and quits 1 ms after the event loop runs (the start
figure's baseline; the app side is the real `python -m kapcompanion --quit-after 1`);
`app-start` builds the app's window to its unlock page the way the tests do. `app-rss VAULT`
unlocks the clinic-scale vault into the main window (client list showing) and prints the
resident memory; `bare-rss` prints a bare window's. Started the same way, so the ratios compare
like with like.
`client-search VAULT` unlocks the vault into the main window and types "mara quinn" into the
client list key by key, printing the seconds each key took (model update, layout and paint).
"""

from __future__ import annotations

import json
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


def client_search(vault_path: str) -> None:
    from PySide6.QtCore import QCoreApplication

    from kapcompanion.paths import app_dirs
    from kapcompanion.store.vault import Vault
    from kapcompanion.ui.app import build_window, make_application
    from kapcompanion.ui.main_window import Services
    from kapcompanion.ui.settings import Settings

    app = make_application()
    dirs = app_dirs().ensure()
    services = Services(
        dirs=dirs,
        settings=Settings.load(dirs.settings_file),
        watch_os_lock=False,
        auto_backup=False,
    )
    window = build_window(services, app)
    window.start()
    window.resize(1366, 768)
    window.show()
    ws = window.enter(Vault.open(Path(vault_path), os.environ["KAP_BENCH_PASSPHRASE"]))
    panel = ws.clients
    QCoreApplication.processEvents()
    typed = "mara quinn"
    per_key: list[float] = []
    for _ in range(5):
        panel.search.clear()
        panel._search_changed()
        QCoreApplication.processEvents()
        for k in range(1, len(typed) + 1):
            t = time.perf_counter()
            panel.search.setText(typed[:k])
            panel._search_changed()  # what the debounce timer calls once typing pauses
            QCoreApplication.processEvents()  # layout and paint
            per_key.append(time.perf_counter() - t)
    print(json.dumps({"per_key": per_key, "rows": panel.model.rowCount()}), flush=True)
    window.close()


if __name__ == "__main__":
    which = sys.argv[1]
    if which.startswith("bare"):
        bare(which)
    elif which == "client-search":
        client_search(sys.argv[2])
    else:
        app_mode(which, sys.argv[2] if len(sys.argv) > 2 else None)
