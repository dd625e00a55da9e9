"""Child process for the writer-lock tests: hold a vault (or a temporary, or a demo mark) open,
say "ready", then wait until killed or until stdin closes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kapcompanion.store import lock
from kapcompanion.store.vault import Vault

what, target = sys.argv[1], Path(sys.argv[2])
if what == "vault":
    held: object = Vault.open(target, os.environ["KAPCOMPANION_PASSPHRASE"])
elif what == "file":
    held = lock.try_hold(target)
elif what == "demo":
    held = lock.register_demo(target, Path(sys.argv[3]))
else:
    raise SystemExit(f"unknown {what}")
print("ready", os.getpid(), flush=True)
sys.stdin.read()
