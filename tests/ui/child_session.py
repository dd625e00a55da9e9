"""Child process for the session kill test: a scripted session through the real app objects.

It opens the vault, resumes the running session (as the app does after a crash) or plans and
starts a new one, and then records events through ``SessionController`` (offscreen, no
window) as fast as it can. It prints a line for every event the controller announces, which
it does only after the runner returned (the commit is on disk):

    dose <session id> <dose UTC ISO>
    event <event id> <session id> <offset s> <event UTC ISO>

Now and then it discharges the session, so the next round starts a new one.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from kapcompanion.audio import NullBackend, Player
from kapcompanion.core.clock import SessionClock
from kapcompanion.core.discharge import Discharge
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, EventKind, SessionEvent, SessionStatus
from kapcompanion.core.vitals import VitalReading
from kapcompanion.paths import app_dirs
from kapcompanion.services.session import plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.context import AppContext, AppSignals
from kapcompanion.ui.lock import ClipboardGuard
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.settings import Settings


def say(*parts: object) -> None:
    print(*parts, flush=True)


def announce(event: SessionEvent) -> None:
    say("event", event.id, event.session_id, event.offset_s, event.utc.isoformat())


def main() -> None:
    path, seed = Path(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    app = QApplication([])
    vault = Vault.open(path, os.environ["KAPCOMPANION_PASSPHRASE"])
    repos = Repos(vault)
    signals = AppSignals()
    ctx = AppContext(
        vault=vault,
        repos=repos,
        settings=Settings(),
        dirs=app_dirs(path.parent / "home"),
        signals=signals,
        clipboard=ClipboardGuard(),
        lock_requested=lambda: None,
        player=Player(NullBackend()),
    )
    clients = repos.clients.search()
    client_id = clients[0].id if clients else repos.clients.add(Client(name="Kill Test")).id
    assert client_id is not None
    running = repos.sessions.running()
    if running:
        controller = SessionController(ctx, running[0].id or 0, tick_ms=50)
        controller.event_committed.connect(announce)
        if controller.status_kind is SessionStatus.STARTED:
            controller.give_dose()
    else:
        plan = DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5)
        session = plan_session(repos, client_id, plan)
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from readiness_support import prepare

        prepare(repos, session)  # a session starts only when prepared (or overridden)
        controller = SessionController(ctx, session.id or 0, tick_ms=50)
        controller.event_committed.connect(announce)
        controller.start(bell=rng.random() < 0.5)
        controller.give_dose()
    dose = controller.runner.session.dose_utc
    assert dose is not None
    say("dose", controller.session_id, dose.isoformat())
    say("ready")
    kinds = (EventKind.CLIENT_WORDS, EventKind.OBSERVATION, EventKind.NOTE, EventKind.BATHROOM)
    for n in range(10_000):
        roll = rng.random()
        if roll < 0.6:
            controller.record(
                rng.choice(kinds), {"text": f"entry {n} " + "x" * rng.randint(0, 200)}
            )
        elif roll < 0.85:
            controller.record_vitals(
                VitalReading(rng.randint(110, 150), rng.randint(60, 90), 72, 97, dose)
            )
        elif roll < 0.97:
            controller.extend_phase(1)
        else:
            done = Discharge(
                True,
                True,
                True,
                True,
                True,
                escort_name="Sam Rivers",
                aldrete_not_scored=True,
                aldrete_not_scored_reason="A kill test session without medical staff present.",
            )
            runner = controller.runner  # three hours on: past the minimum time after the dose
            runner.clock = SessionClock(
                runner.session.dose_utc,
                runner.session.started_utc or datetime.now(UTC),
                now_utc=lambda: datetime.now(UTC) + timedelta(hours=3),
            )
            controller.end(done, "Ended by the kill test.")
            say("ended", controller.session_id)
            return
        app.processEvents()


if __name__ == "__main__":
    main()
