"""core, store, audio, export and services load without Qt (ARCHITECTURE: a core with no Qt)."""

from __future__ import annotations

import subprocess
import sys

from support import ROOT

PROBE = """
import sys
import pkgutil, importlib
for pkg in ("core", "store", "audio", "export", "services"):
    mod = importlib.import_module("kapcompanion." + pkg)
    for info in pkgutil.walk_packages(mod.__path__, mod.__name__ + "."):
        importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m == "PySide6" or m.startswith("PySide6."))
print(len([m for m in sys.modules if m.startswith("kapcompanion.")]))
print(",".join(loaded))
"""


def test_non_ui_packages_load_no_pyside6() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.splitlines()
    assert int(out[0]) >= 10  # the walk really imported the modules
    assert out[1] == "", f"PySide6 modules loaded: {out[1]}"
