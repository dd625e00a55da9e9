"""Child process for the start-path test: the real ``python -m kapcompanion`` start (``__main__``
then ``ui.app.run_gui``) up to the unlock window, offscreen, in a fresh interpreter.

Once the event loop is idle with the window shown, prints one JSON line with the page on show
and the modules loaded by then; then types the passphrase (``KAPCOMPANION_PASSPHRASE``),
unlocks through the screen's own worker, and prints a second line with the modules loaded
once the vault is open (the control: the same check can see the heavy modules arrive).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QObject

from kapcompanion import __main__ as entry
from kapcompanion.ui import app as app_module

real_serve = app_module.serve
real_install = QObject.installEventFilter
#: the classes of the application-wide event filters installed so far
APP_FILTERS: list[str] = []


def install(self: QObject, watcher: QObject) -> None:
    if isinstance(self, QCoreApplication):
        APP_FILTERS.append(type(watcher).__name__)
    real_install(self, watcher)


QObject.installEventFilter = install  # type: ignore[method-assign]


def report(stage: str, window: object) -> None:
    page = getattr(window, "page", None)
    print(
        json.dumps(
            {
                "stage": stage,
                "page": type(page).__name__,
                "visible": bool(getattr(window, "isVisible", lambda: False)()),
                "modules": sorted(sys.modules),
                "app_filters": list(APP_FILTERS),
            }
        ),
        flush=True,
    )


def serve(app, window, server=None):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer

    def shown() -> None:
        report("unlock window", window)
        screen = window.page
        screen.passphrase.edit.setText(os.environ["KAPCOMPANION_PASSPHRASE"])
        screen.attempt()
        deadline = time.monotonic() + 60

        def wait() -> None:
            # the filters deferred past the first paint are on (however busy the machine)
            settled = {"WheelGuard", "HelpKey"} <= set(APP_FILTERS)
            if (window.ctx is not None and settled) or time.monotonic() > deadline:
                report("unlocked" if window.ctx is not None else "timed out", window)
                app.quit()
            else:
                QTimer.singleShot(20, wait)

        wait()

    QTimer.singleShot(0, shown)
    return real_serve(app, window, server)


app_module.serve = serve
sys.exit(entry.main([]))
