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


def test_import_linter_contracts_hold() -> None:
    """The contracts in pyproject.toml: layers, core alone, no Qt below ui, ui via services."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.argv = ['lint-imports', '--no-cache']; lint_imports_command()",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in done.stdout


def test_no_import_circles_around_the_main_window_and_the_command_line() -> None:
    import grimp

    graph = grimp.build_graph("kapcompanion", cache_dir=None)
    pairs = [
        ("kapcompanion.ui.main_window", "kapcompanion.ui.menus"),
        ("kapcompanion.ui.main_window", "kapcompanion.ui.agenda"),
        ("kapcompanion.ui.main_window", "kapcompanion.ui.session.host"),
        ("kapcompanion.cli", "kapcompanion.export.cli"),
    ]
    for upper, lower in pairs:
        assert graph.chain_exists(importer=upper, imported=lower), (upper, lower)
        back = graph.find_shortest_chain(importer=lower, imported=upper)
        assert back is None, f"import circle: {' -> '.join(back or ())}"


#: modules outside store/ that still hold an SQL string; this list may only shrink
SQL_OUTSIDE_STORE_ALLOWED = {"kapcompanion/ui/records.py", "kapcompanion/ui/audit_view.py"}


def test_sql_lives_in_the_store() -> None:
    """The store owns every query: no SQL statement in a string outside kapcompanion/store."""
    import re

    statement = re.compile(r"""["'](SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|PRAGMA)\s""")
    found = set()
    for path in sorted((ROOT / "kapcompanion").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("kapcompanion/store/"):
            continue
        if statement.search(path.read_text(encoding="utf-8")):
            found.add(rel)
    assert found <= SQL_OUTSIDE_STORE_ALLOWED, sorted(found - SQL_OUTSIDE_STORE_ALLOWED)
    assert found == SQL_OUTSIDE_STORE_ALLOWED, "shrink the allow-list: " + str(
        sorted(SQL_OUTSIDE_STORE_ALLOWED - found)
    )
