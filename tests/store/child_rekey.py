"""Child process for the rekey kill test: change the passphrase once, then say so."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kapcompanion.store.vault import Vault

vault = Vault.open(Path(sys.argv[1]), os.environ["KAPCOMPANION_PASSPHRASE"])
print("ready", flush=True)
vault.rekey(os.environ["KAPCOMPANION_NEW_PASSPHRASE"])
vault.close()
print("done", flush=True)
