"""Screenshots of the real app on a demo vault, offscreen, for the README and for review.

    .venv/bin/python tools/screenshots.py                  # every shot, light and dim, 1366x768
    .venv/bin/python tools/screenshots.py --only shell-record --scale 2 --size 1920x1080

PNGs go to docs/screenshots/<name>-<theme>.png (``-<scale>x`` added when scaled). Later screens
add theirs to ``SHOTS``: a name and a function that drives the window into place and returns
the widget to photograph (the window, or a dialog it opened).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Qt loads only after the environment is prepared (see main)
    from PySide6.QtWidgets import QWidget

    from kapcompanion.ui.client_record import ClientRecord
    from kapcompanion.ui.main_window import MainWindow
    from kapcompanion.ui.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"


def _prepare_environment(width: int, height: int, scale: float, home: Path) -> None:
    """Before Qt loads: an offscreen screen of the wanted size, a throw-away app folder."""
    config = home / "offscreen.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "shot",
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": height,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        )
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ["QT_SCALE_FACTOR"] = f"{scale:g}"
    os.environ["KAPCOMPANION_HOME"] = str(home / "home")
    sys.path.insert(0, str(ROOT))


@dataclass
class Shooter:
    """What a shot's setup function gets: the window, the demo vault and its passphrase."""

    window: MainWindow
    vault_path: Path
    passphrase: str

    def ensure_unlocked(self) -> Workspace:
        from kapcompanion.store.vault import Vault

        w = self.window
        if w.ctx is None:
            w.demo_passphrase = self.passphrase
            w.enter(Vault.open(self.vault_path, self.passphrase), demo=True)
        assert w.workspace is not None
        return w.workspace

    def ensure_locked(self) -> None:
        if self.window.ctx is not None:
            self.window.lock(
                "It locked itself after 10 minutes without activity. Your work was saved."
            )

    def open_first(self) -> tuple[Workspace, ClientRecord]:
        ws = self.ensure_unlocked()
        ws.clients.search.clear()
        ws.clients.refresh()
        record = ws.open_client(ws.clients.model.client_id(0))
        assert record is not None
        return ws, record


Setup = Callable[[Shooter], "QWidget"]


def shot_welcome(s: Shooter) -> QWidget:
    s.window.show_welcome()
    return s.window


def shot_unlock(s: Shooter) -> QWidget:
    s.window.show_unlock(s.vault_path)
    return s.window


def shot_locked(s: Shooter) -> QWidget:
    s.ensure_unlocked()
    s.ensure_locked()
    return s.window


def shot_clients(s: Shooter) -> QWidget:
    ws = s.ensure_unlocked()
    ws._drop_record()
    ws.clients.search.clear()
    return s.window


def shot_search(s: Shooter) -> QWidget:
    ws = s.ensure_unlocked()
    ws._drop_record()
    ws.clients.search.setText("depression")
    ws.clients.refresh()
    return s.window


def shot_record(s: Shooter) -> QWidget:
    _ws, record = s.open_first()
    record.show_section("overview")
    return s.window


def shot_record_empty_section(s: Shooter) -> QWidget:
    _ws, record = s.open_first()
    record.show_section("sessions")
    return s.window


def shot_client_dialog(s: Shooter) -> QWidget:
    ws, _record = s.open_first()
    dialog = ws.edit_client()
    assert dialog is not None
    return dialog


def shot_new_client_errors(s: Shooter) -> QWidget:
    """A New client with a date written the other country's way, after Save: the message."""
    from PySide6.QtTest import QTest

    ws = s.ensure_unlocked()
    dialog = ws.new_client()
    QTest.keyClicks(dialog.name, "Ada Example")
    QTest.keyClicks(dialog.dob.lineEdit(), "13/31/1980")
    dialog.save()
    return dialog


#: (name, setup). Later screens append theirs.
SHOTS: list[tuple[str, Setup]] = [
    ("shell-welcome", shot_welcome),
    ("shell-unlock", shot_unlock),
    ("shell-locked", shot_locked),
    ("shell-clients", shot_clients),
    ("shell-search", shot_search),
    ("shell-record", shot_record),
    ("shell-record-empty-section", shot_record_empty_section),
    ("shell-client-dialog", shot_client_dialog),
    ("shell-new-client-errors", shot_new_client_errors),
]


def all_shots() -> list[tuple[str, Setup]]:
    """The shell's shots, then every ``tools/shots/<area>.py`` module's ``SHOTS`` list.

    Each screen area keeps its shots in its own module (``def shot_x(s: Shooter) -> QWidget``),
    so areas built in parallel never edit the same file.
    """
    import importlib.util

    found = list(SHOTS)
    for module_path in sorted((Path(__file__).parent / "shots").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"shots_{module_path.stem}", module_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.extend(getattr(module, "SHOTS", []))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--themes", default="light,dim")
    parser.add_argument("--only", action="append", help="a shot name (repeatable)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    width, height = (int(x) for x in args.size.lower().split("x"))
    home = Path(tempfile.mkdtemp(prefix="kapcompanion-shots-"))
    _prepare_environment(width, height, args.scale, home)

    from PySide6.QtCore import QThreadPool
    from PySide6.QtTest import QTest

    from kapcompanion.demo import build_demo_vault
    from kapcompanion.paths import app_dirs
    from kapcompanion.ui.app import build_window, make_application
    from kapcompanion.ui.main_window import Services
    from kapcompanion.ui.settings import Settings
    from kapcompanion.ui.theme import apply_theme

    app = make_application()
    dirs = app_dirs().ensure()
    passphrase = secrets.token_urlsafe(12)
    vault_path = home / "demo.kapv"
    build_demo_vault(vault_path, passphrase).close()
    services = Services(dirs=dirs, settings=Settings(), watch_os_lock=False, auto_backup=False)
    window = build_window(services, app)
    window.show_welcome()
    window.resize(round(width / args.scale), round(height / args.scale))
    window.show()
    shooter = Shooter(window, vault_path, passphrase)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.scale == 1 else f"-{args.scale:g}x"
    written: list[Path] = []
    try:
        for theme in args.themes.split(","):
            apply_theme(app, theme)
            window.settings.theme = theme
            for name, setup in all_shots():
                if args.only and name not in args.only:
                    continue
                target = setup(shooter)
                QTest.qWait(120)  # layouts and deferred deletions settle
                image = target.grab()
                path = args.out / f"{name}-{theme}{suffix}.png"
                image.save(str(path))
                written.append(path)
                if target is not window:
                    target.close()
    finally:
        window.close()
        QThreadPool.globalInstance().waitForDone(10_000)
        shutil.rmtree(home, ignore_errors=True)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
