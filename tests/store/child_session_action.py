"""Child process for the statement-kill test: one session action, killed before statement N.

``KAP_KILL_AT=N`` installs an SQLite trace callback on the vault's connection just before the
action; when the N-th statement is about to run, the child SIGKILLs itself (no cleanup, no
rollback: exactly a crash between statement N-1 and N). Prints "done" if the action finished
before statement N.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from kapcompanion.core.discharge import ALDRETE_KEYS, Discharge
from kapcompanion.core.vitals import VitalReading
from kapcompanion.services.session import SessionRunner
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

DONE = Discharge(
    alert_oriented=True,
    vitals_near_baseline=True,
    walks_unassisted=True,
    escort_present=True,
    aftercare_reminded=True,
    escort_name="Sam Rivers",
    aldrete=dict.fromkeys(ALDRETE_KEYS, 2),
)


def main() -> None:
    path, session_id, action = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    kill_at = int(os.environ["KAP_KILL_AT"])
    vault = Vault.open(path, os.environ["KAPCOMPANION_PASSPHRASE"])
    runner = SessionRunner(Repos(vault), session_id)
    count = 0

    def trace(_sql: str) -> None:
        nonlocal count
        count += 1
        if count >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    vault.conn.set_trace_callback(trace)
    if action == "start":
        runner.start(readiness_override="Client slept badly but feels settled; wants to go on.")
    elif action == "dose":
        runner.give_dose()
    elif action == "vitals":
        runner.record_vitals(VitalReading(128, 82, 76, 97, datetime.now(UTC)))
    elif action == "end":
        runner.end(DONE, "Calm return; spoke about the lake.")
    else:
        raise SystemExit(f"unknown action {action}")
    vault.conn.set_trace_callback(None)
    print("done", count, flush=True)


if __name__ == "__main__":
    main()
