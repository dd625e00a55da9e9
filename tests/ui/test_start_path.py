"""The start path to the unlock window loads only what that window needs (issue 14).

The vault code, SQLCipher, the exports, the music, the services and babel load once a
passphrase is typed; QtNetwork only when another copy may be listening. Not timed: the
figure is in bench/ (cold start to the unlock window); this is the guard against a module-level
import that would quietly put one of them back on the way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtNetwork import QLocalServer
from PySide6.QtWidgets import QApplication, QComboBox, QSpinBox
from pytestqt.qtbot import QtBot
from support import CHILD_PATH_TESTS, PASSPHRASE

from kapcompanion.paths import app_dirs
from kapcompanion.ui.app import instance_name, parse_args, socket_file
from kapcompanion.ui.settings import Settings
from kapcompanion.ui.widgets.wheel_guard import WheelGuard, install_wheel_guard

HERE = Path(__file__).parent

#: not one of these may be loaded while the unlock window waits for a passphrase
HEAVY = (
    "kapcompanion.store.vault",
    "kapcompanion.store.repos",
    "kapcompanion.store.audit",
    "kapcompanion.store.seals",
    "kapcompanion.services",
    "kapcompanion.export",
    "kapcompanion.audio",
    "kapcompanion.core.wording",
    "kapcompanion.ui.workspace",
    "kapcompanion.ui.client_record",
    "sqlcipher3",
    "reportlab",
    "fhir",
    "vlc",
    "babel",
    "PySide6.QtNetwork",
    "PySide6.QtDBus",
)


def heavy_in(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_the_unlock_window_shows_before_any_heavy_module_loads(
    tmp_path: Path, template_vault: Path
) -> None:
    home = tmp_path / "home"
    dirs = app_dirs(home).ensure()
    shutil.copyfile(template_vault, dirs.default_vault)
    env = dict(
        os.environ,
        PYTHONPATH=CHILD_PATH_TESTS,
        KAPCOMPANION_PASSPHRASE=PASSPHRASE,
        KAPCOMPANION_HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
    )
    done = subprocess.run(
        [sys.executable, str(HERE / "child_start_path.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(ln) for ln in done.stdout.splitlines() if ln.startswith("{")]
    assert [ln["stage"] for ln in lines] == ["unlock window", "unlocked"], done.stderr[-3000:]
    shown, unlocked = lines

    assert shown["page"] == "UnlockScreen" and shown["visible"]
    assert "kapcompanion.ui.unlock" in shown["modules"]  # the window really was built
    assert heavy_in(shown["modules"]) == []
    # no application-wide Python event filter before the window shows: PySide6 sets up the
    # Python side of every class whose events pass through one (25-30 ms of the start)
    assert shown["app_filters"] == []

    # the control: the same check sees them arrive once the passphrase is typed and unlocks
    assert unlocked["page"] == "Workspace"
    arrived = heavy_in(unlocked["modules"])
    for name in ("kapcompanion.store.vault", "sqlcipher3", "kapcompanion.ui.workspace"):
        assert name in arrived
    assert {"WheelGuard", "HelpKey"} <= set(unlocked["app_filters"])


def test_the_socket_file_is_where_qt_listens(tmp_path: Path, qtbot: QtBot) -> None:
    """The start asks a running copy only when its socket file exists: the same path Qt uses."""
    name = instance_name(tmp_path / "clinic.kapv")
    where = socket_file(name)
    if sys.platform == "win32":  # pragma: no cover - named pipes
        assert where is None
        return
    assert where is not None and not where.exists()
    server = QLocalServer()
    server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    assert server.listen(name)
    try:
        assert Path(server.fullServerName()) == where
        assert where.exists()
    finally:
        server.close()
    assert not where.exists()


def test_the_app_options_are_read_as_argparse_read_them(capsys: pytest.CaptureFixture[str]) -> None:
    args, rest = parse_args(["--quit-after", "5", "-platform", "offscreen", "--demo"])
    assert (args.demo, args.quit_after, rest) == (True, 5, ["-platform", "offscreen"])
    args, rest = parse_args(["--quit-after=7"])
    assert (args.demo, args.quit_after, rest) == (False, 7, [])
    assert parse_args([])[0].quit_after == 0
    for bad in (["--quit-after", "soon"], ["--quit-after"]):
        with pytest.raises(SystemExit) as ended:
            parse_args(bad)
        assert ended.value.code == 2
        assert "--quit-after wants milliseconds" in capsys.readouterr().err


def test_the_wheel_guard_catches_up_with_boxes_made_before_it(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    for old in app.findChildren(WheelGuard):  # installed by an earlier test's window
        app.removeEventFilter(old)
        old.setParent(None)
    combo, spin = QComboBox(), QSpinBox()
    qtbot.addWidget(combo)
    qtbot.addWidget(spin)
    combo.setFocusPolicy(Qt.FocusPolicy.WheelFocus)
    install_wheel_guard(app)
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert spin.focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_settings_are_written_only_when_they_change(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    settings = Settings()
    settings.save(path)
    first = path.stat().st_ino, path.stat().st_mtime_ns
    settings.save(path)  # the same settings: the file is not replaced
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == first
    settings.theme = "dim"
    settings.save(path)
    assert path.stat().st_ino != first[0]  # written beside and renamed into place
    assert Settings.load(path).theme == "dim"
