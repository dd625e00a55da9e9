"""core, store, audio, export and services load without Qt (ARCHITECTURE: a core with no Qt)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable

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
        ("kapcompanion.cli.main", "kapcompanion.cli.export"),
        ("kapcompanion.cli.main", "kapcompanion.cli.common"),
    ]
    for upper, lower in pairs:
        assert graph.chain_exists(importer=upper, imported=lower), (upper, lower)
        back = graph.find_shortest_chain(importer=lower, imported=upper)
        assert back is None, f"import circle: {' -> '.join(back or ())}"


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
    assert not found, f"SQL outside the store (add a repository method): {sorted(found)}"


# The ui never writes to the vault itself: no transaction, no audit row, no meta write and no
# repository write in kapcompanion/ui (each user action is one function in services/).
UI = ROOT / "kapcompanion" / "ui"
VAULT_WRITES = frozenset({"transaction", "audit", "set_json", "set_meta"})
REPO_WRITES = frozenset(
    {"add", "update", "save", "delete", "sign", "resolve", "raise_flag", "delete_draft"}
)


def _dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def ui_writes(source: str) -> list[tuple[int, str]]:
    """(line, call) for every vault write in one module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = _dotted(node.func)
        parts = name.split(".")
        vault_write = node.func.attr in VAULT_WRITES  # whatever the vault is called
        repo_write = node.func.attr in REPO_WRITES and len(parts) >= 3 and parts[-3] == "repos"
        if vault_write or repo_write or name.endswith("audit.append"):
            found.append((node.lineno, name))
    return sorted(found)


def _found_in_ui(find: Callable[[str], list[tuple[int, str]]]) -> list[str]:
    """``path:line: what`` for everything ``find`` reports in the modules of kapcompanion/ui."""
    return [
        f"kapcompanion/ui/{path.relative_to(UI).as_posix()}:{line}: {what}"
        for path in sorted(UI.rglob("*.py"))
        for line, what in find(path.read_text(encoding="utf-8"))
    ]


def test_the_ui_writes_nothing_to_the_vault_itself() -> None:
    offenders = _found_in_ui(ui_writes)
    assert not offenders, "the ui writes to the vault; call a service instead:\n" + "\n".join(
        offenders
    )


def test_the_ui_write_check_finds_what_it_looks_for() -> None:
    source = (
        "def f(ctx, vault, repos):\n"
        "    with ctx.vault.transaction() as tx:\n"
        "        vault.set_json('k', 1, tx)\n"
        "    ctx.vault.audit('x.y')\n"
        "    audit.append(tx, 'x')\n"
        "    self.ctx.repos.documents.save(doc)\n"
        "    repos.flags.resolve(1, 'note')\n"
        "    ctx.vault.get_json('k')\n"
        "    services.save(ctx.repos, doc)\n"
        "    v = ctx.vault\n"
        "    v.set_meta('k', '1')\n"
        "    self.ctx.repos.documents.get(1)\n"
    )
    assert [line for line, _call in ui_writes(source)] == [2, 3, 4, 5, 6, 7, 11]


# The ui reads through services too: it holds the repositories only as a handle it passes to
# a service (``services.clients.get(ctx.repos, client_id)``), never reaching into them
# (``ctx.repos.clients.get(...)``, ``docs = ctx.repos.documents``, ``repos.vault``).


def _names_repos(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in ("repos", "_repos")


def ui_repository_uses(source: str) -> list[tuple[int, str]]:
    """(line, expression) for every attribute taken of something called ``repos``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _names_repos(node.value):
            found.append((node.lineno, _dotted(node)))
    return sorted(found)


def test_the_ui_reads_nothing_from_the_repositories_itself() -> None:
    offenders = _found_in_ui(ui_repository_uses)
    assert not offenders, (
        "the ui reaches into the repositories; add or use a function in services/ "
        "that takes the repos:\n" + "\n".join(offenders)
    )


def test_the_ui_repository_check_finds_what_it_looks_for() -> None:
    source = (
        "def f(self, ctx, repos):\n"
        "    self.ctx.repos.clients.get(1)\n"
        "    ctx.repos.sessions.for_client(2)\n"
        "    repos.documents.find('measure', client_id=3)\n"
        "    self._repos.clients.search('', include_archived=True)\n"
        "    docs = ctx.repos.documents\n"
        "    ctx.repos.vault.transaction()\n"
        "    clients.get(ctx.repos, 1)\n"
        "    session_service.sessions_of(self.ctx.repos, 2)\n"
        "    Model(repos)\n"
        "    ctx.repositories.clients\n"
    )
    assert [line for line, _use in ui_repository_uses(source)] == [2, 3, 4, 5, 6, 7]
