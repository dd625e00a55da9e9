"""Child process for the graceful-end test: the real main window (offscreen) on a vault with a
dosing session running and a note half typed, served by ``ui.app.serve`` (the event loop with the
SIGTERM/SIGHUP handlers) until a signal ends it. Prints "ready <session id>" once typed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

from PySide6.QtCore import QTimer
from readiness_support import prepare

from kapcompanion.audio import NullBackend, Player
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, EventKind
from kapcompanion.paths import app_dirs
from kapcompanion.services.session import SessionRunner, plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui import app as app_module
from kapcompanion.ui.main_window import Services
from kapcompanion.ui.session.screen import SessionScreen
from kapcompanion.ui.settings import Settings


def main() -> int:
    path, typed = Path(sys.argv[1]), sys.argv[2]
    app = app_module.make_application()
    dirs = app_dirs().ensure()
    services = Services(
        dirs=dirs,
        settings=Settings(),
        player=Player(NullBackend()),
        watch_os_lock=False,
        auto_backup=False,
    )
    window = app_module.build_window(services, app)
    vault = Vault.open(path, os.environ["KAPCOMPANION_PASSPHRASE"])
    repos = Repos(vault)
    client = repos.clients.add(Client(name="Quit Test", pseudonym="Wren"))
    assert client.id is not None
    session = plan_session(repos, client.id, DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5))
    assert session.id is not None
    prepare(repos, session)  # a complete preparation checklist
    runner = SessionRunner(repos, session.id)
    runner.start(bell=False)
    runner.give_dose()
    window.enter(vault)  # resumes the running session full-window
    window.show()
    screen = window.page
    assert isinstance(screen, SessionScreen), screen
    screen.events.begin(EventKind.NOTE)
    screen.events.card.text.setText(typed)  # typed, not yet recorded, autosave not yet due

    def ready() -> None:
        print("ready", session.id, flush=True)

    QTimer.singleShot(0, ready)
    return app_module.serve(app, window)


if __name__ == "__main__":
    sys.exit(main())
