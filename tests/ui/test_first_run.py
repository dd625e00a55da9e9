"""First run: the welcome screen creates a vault, or opens the demo; later runs unlock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.demo import build_demo_vault
from kapcompanion.paths import AppDirs
from kapcompanion.store.vault import Vault
from kapcompanion.ui.client_dialog import ClientDialog
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.settings import Settings
from kapcompanion.ui.unlock import UnlockScreen
from kapcompanion.ui.welcome import WelcomeScreen
from kapcompanion.ui.workspace import Workspace

WindowFactory = Callable[..., MainWindow]
VaultFactory = Callable[..., Path]
AuditOf = Callable[..., list[tuple[str, str]]]


def small_demo(path: Path, passphrase: str) -> Vault:
    return build_demo_vault(path, passphrase, clients=3, seed=3)


def test_first_run_shows_welcome_and_creates_a_vault(
    qtbot: QtBot, window_factory: WindowFactory, dirs: AppDirs, tmp_path: Path, audit_of: AuditOf
) -> None:
    window = window_factory()
    window.start()
    window.show()
    welcome = window.page
    assert isinstance(welcome, WelcomeScreen)
    assert str(dirs.default_vault) in welcome.path_label.text()  # shown plainly
    target = tmp_path / "practice" / "my.kapv"
    welcome.set_vault_path(target)
    QTest.keyClicks(welcome.name, "Dr Rivera")
    QTest.keyClicks(welcome.clinic, "Harbour Clinic")
    QTest.keyClicks(welcome.passphrase.edit, "short")
    assert "Too short" in welcome.strength.text()
    welcome.passphrase.clear()
    QTest.keyClicks(welcome.passphrase.edit, PASSPHRASE)
    assert welcome.strength.text() == "Strong."
    QTest.keyClicks(welcome.repeat.edit, PASSPHRASE[:-1])
    assert "do not match" in welcome.match.text()
    QTest.mouseClick(welcome.create_button, Qt.MouseButton.LeftButton)
    assert not welcome.error.isHidden() and "not the same" in welcome.error.text()
    assert not target.exists()

    QTest.keyClicks(welcome.repeat.edit, PASSPHRASE[-1])
    assert welcome.match.text() == "The passphrases match."
    QTest.mouseClick(welcome.create_button, Qt.MouseButton.LeftButton)
    assert welcome.busy.busy  # the key derivation runs off the GUI thread
    qtbot.waitUntil(lambda: isinstance(window.page, Workspace), timeout=10_000)

    assert target.is_file()
    assert window.ctx is not None and window.ctx.vault.practitioner["name"] == "Dr Rivera"
    assert window.ctx.vault.practitioner["clinic"] == "Harbour Clinic"
    assert not window.demo and "DEMO" not in window.windowTitle()
    assert Settings.load(dirs.settings_file).last_vault == str(target)
    window.close()
    assert ("vault.create", "") in audit_of(target)


def test_welcome_refuses_a_weak_passphrase_or_missing_name(
    qtbot: QtBot, window_factory: WindowFactory, tmp_path: Path
) -> None:
    window = window_factory()
    welcome = window.show_welcome()
    welcome.set_vault_path(tmp_path / "v.kapv")
    QTest.keyClicks(welcome.passphrase.edit, PASSPHRASE)
    QTest.keyClicks(welcome.repeat.edit, PASSPHRASE)
    welcome.create_button.click()
    assert "Enter your name" in welcome.error.text()
    assert welcome.focusWidget() is welcome.name or not window.isVisible()
    welcome.name.setText("Dr Rivera")
    welcome.passphrase.setText("abc")
    welcome.repeat.setText("abc")
    welcome.create_button.click()
    assert "at least 10 characters" in welcome.error.text()
    assert not (tmp_path / "v.kapv").exists()
    assert not welcome.busy.busy


def test_welcome_never_creates_over_an_existing_file(
    window_factory: WindowFactory, tmp_path: Path
) -> None:
    existing = tmp_path / "taken.kapv"
    existing.write_bytes(b"someone's file")
    window = window_factory()
    welcome = window.show_welcome()
    welcome.set_vault_path(existing)
    welcome.name.setText("Dr Rivera")
    welcome.passphrase.setText(PASSPHRASE)
    welcome.repeat.setText(PASSPHRASE)
    welcome.create_button.click()
    assert "already a file" in welcome.error.text()
    assert existing.read_bytes() == b"someone's file"


def test_a_later_start_offers_unlock_for_the_last_vault(
    window_factory: WindowFactory, make_vault: VaultFactory, dirs: AppDirs
) -> None:
    path = make_vault()
    Settings(last_vault=str(path)).save(dirs.settings_file)
    window = window_factory()
    window.start()
    assert isinstance(window.page, UnlockScreen)
    assert window.page.vault_path == path
    assert str(path) in window.page.where.text()


def test_demo_button_opens_a_marked_throw_away_vault(
    qtbot: QtBot, window_factory: WindowFactory, dirs: AppDirs
) -> None:
    window = window_factory(demo_builder=small_demo)
    window.show()
    welcome = window.show_welcome()
    QTest.mouseClick(welcome.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(window.page, Workspace), timeout=15_000)
    assert window.demo and "DEMO" in window.windowTitle()
    assert window.banner.isVisible() and "DEMO" in window.banner.text()
    ws = window.workspace
    assert ws is not None and ws.clients.model.rowCount() == 3
    dialog = ws.new_client()
    assert isinstance(dialog, ClientDialog) and "DEMO" in dialog.windowTitle()
    dialog.reject()
    demo_dir = window.demo_dirs[0]
    assert demo_dir.is_dir()
    window.lock()
    assert window.banner.isVisible() and "DEMO" in window.windowTitle()  # locked, still marked
    assert Settings.load(dirs.settings_file).last_vault == ""  # the demo is never remembered
    locked = window.page
    assert isinstance(locked, UnlockScreen) and window.demo_passphrase is not None
    assert window.demo_passphrase in " ".join(w.text() for w in locked.findChildren(QLabel))
    locked.passphrase.setText(window.demo_passphrase)
    locked.attempt()
    qtbot.waitUntil(lambda: isinstance(window.page, Workspace), timeout=10_000)
    assert window.demo and window.banner.isVisible()
    window.close()
    assert not demo_dir.exists()


def test_run_gui_demo_end_to_end(qtbot: QtBot, dirs: AppDirs) -> None:
    """``kapcompanion --demo``: the real entry point, until the window is closed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kapcompanion.ui.app import run_gui

    seen: dict[str, object] = {}

    def poll() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if windows and windows[0].ctx is not None:
            window = windows[0]
            seen["title"] = window.windowTitle()
            seen["clients"] = window.workspace.clients.model.rowCount() if window.workspace else 0
            seen["demo_dir"] = window.demo_dirs[0]
            timer.stop()
            window.close()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    QTimer.singleShot(30_000, QApplication.quit)  # a safety net, never reached when it works
    assert run_gui(["--demo"]) == 0
    assert "DEMO" in str(seen["title"]) and seen["clients"] == 12
    assert not Path(str(seen["demo_dir"])).exists()
    log = (dirs.logs / "kapcompanion.log").read_text()
    assert "starting KAP Companion" in log and "(demo)" in log


def test_a_demo_vault_file_is_marked_even_when_opened_normally(
    window_factory: WindowFactory, open_vault: Callable[..., Vault], dirs: AppDirs
) -> None:
    vault = open_vault()
    vault.set_json("clinic_settings", {"demo": True})
    window = window_factory()
    window.show()
    window.enter(vault)
    assert window.demo and window.banner.isVisible() and "DEMO" in window.windowTitle()
    assert Settings.load(dirs.settings_file).last_vault == ""
    window.lock()
    assert window.banner.isVisible()  # locked, still marked
    window.show_welcome()
    assert not window.banner.isVisible() and "DEMO" not in window.windowTitle()
