"""Child process for the kill test: append session events and print each id after its commit."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


def main() -> None:
    vault = Vault.open(Path(sys.argv[1]), os.environ["KAPCOMPANION_PASSPHRASE"])
    session_id = int(sys.argv[2])
    repos = Repos(vault)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        event = repos.events.add(
            SessionEvent(
                session_id=session_id,
                kind=EventKind.OBSERVATION,
                utc=datetime.now(UTC),
                offset_s=float(n),
                payload={"text": f"observation {n} " + "x" * (n % 300)},
            )
        )
        print(event.id, flush=True)


if __name__ == "__main__":
    main()
