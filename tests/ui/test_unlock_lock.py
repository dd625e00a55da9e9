"""Unlock, wrong passphrase, growing delays, damaged vault and backup, locking and idle lock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.core import wording
from kapcompanion.paths import AppDirs
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.client_dialog import ClientDialog
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.settings import Settings
from kapcompanion.ui.throttle import UnlockThrottle, delay_after, throttle_for
from kapcompanion.ui.unlock import WRONG, UnlockScreen
from kapcompanion.ui.workspace import Workspace

WindowFactory = Callable[..., MainWindow]
VaultFactory = Callable[..., Path]
AuditOf = Callable[..., list[tuple[str, str]]]


def unlock_screen(window_factory: WindowFactory, path: Path, dirs: AppDirs) -> UnlockScreen:
    Settings(last_vault=str(path)).save(dirs.settings_file)
    window = window_factory()
    window.start()
    window.show()
    assert isinstance(window.page, UnlockScreen)
    return window.page


def type_and_unlock(qtbot: QtBot, screen: UnlockScreen, passphrase: str) -> None:
    screen.passphrase.clear()
    QTest.keyClicks(screen.passphrase.edit, passphrase)
    QTest.keyClick(screen.passphrase.edit, Qt.Key.Key_Return)
    assert screen.busy.busy  # off the GUI thread, with a busy line
    qtbot.waitUntil(lambda: not shiboken6.isValid(screen) or not screen.busy.busy, timeout=10_000)


def test_wrong_then_right_passphrase_and_the_audit_trail(
    qtbot: QtBot,
    window_factory: WindowFactory,
    make_vault: VaultFactory,
    dirs: AppDirs,
    audit_of: AuditOf,
) -> None:
    path = make_vault()
    screen = unlock_screen(window_factory, path, dirs)
    window = screen.window()
    assert isinstance(window, MainWindow)
    type_and_unlock(qtbot, screen, "not the passphrase")
    assert screen.message.text() == WRONG and screen.message.isVisible()
    assert window.ctx is None
    throttle = throttle_for(dirs.config)
    assert throttle.failures(path) == 1 and len(throttle.pending(path)) == 1

    type_and_unlock(qtbot, screen, PASSPHRASE)
    assert isinstance(window.page, Workspace)
    assert throttle.failures(path) == 0 and throttle.pending(path) == []
    window.close()
    trail = audit_of(path)
    failed = [d for a, d in trail if a == "vault.unlock_failed"]
    assert len(failed) == 1 and failed[0].startswith("failed at 20")
    actions = [a for a, _ in trail]
    assert actions.index("vault.unlock_failed") < actions.index("vault.unlock")
    assert actions[-1] == "vault.lock"
    assert not any(PASSPHRASE in d or "not the passphrase" in d for _, d in trail)  # no secrets


def test_delays_grow_and_survive_a_restart(tmp_path: Path) -> None:
    assert [delay_after(n) for n in range(1, 8)] == [0, 0, 5, 10, 20, 40, 80]
    assert delay_after(40) == 300
    now = [1_000_000.0]
    first = UnlockThrottle(tmp_path / "t.json", clock=lambda: now[0])
    vault = tmp_path / "v.kapv"
    for _ in range(4):
        first.record_failure(vault)
    again = UnlockThrottle(tmp_path / "t.json", clock=lambda: now[0])  # a restart
    assert again.failures(vault) == 4 and again.remaining(vault) == 10
    now[0] += 7
    assert again.remaining(vault) == 3
    now[0] -= 3600  # the clock was set back: the wait never grows past one delay
    assert again.remaining(vault) == 10
    assert "v.kapv" in (tmp_path / "t.json").read_text()  # a path and counts, no client data


def test_unlock_waits_after_repeated_failures(
    qtbot: QtBot, window_factory: WindowFactory, make_vault: VaultFactory, dirs: AppDirs
) -> None:
    path = make_vault()
    throttle = throttle_for(dirs.config)
    for _ in range(3):
        throttle.record_failure(path)
    screen = unlock_screen(window_factory, path, dirs)
    assert not screen.unlock_button.isEnabled()
    assert screen.wait.isVisible() and "try again in" in screen.wait.text()
    QTest.keyClicks(screen.passphrase.edit, PASSPHRASE)
    QTest.keyClick(screen.passphrase.edit, Qt.Key.Key_Return)
    assert not screen.busy.busy and screen.window().ctx is None  # type: ignore[attr-defined]


def test_damaged_vault_offers_and_restores_the_latest_backup(
    qtbot: QtBot, window_factory: WindowFactory, make_vault: VaultFactory, dirs: AppDirs
) -> None:
    path = make_vault()
    vault = Vault.open(path, PASSPHRASE)
    backup = vault.auto_backup(dirs.backups)
    vault.close()
    path.write_bytes(b"")  # damaged: the file lost its content
    screen = unlock_screen(window_factory, path, dirs)
    window = screen.window()
    type_and_unlock(qtbot, screen, PASSPHRASE)
    assert "empty" in screen.message.text()
    assert screen.restore_button.isVisible() and "automatic backup" in screen.backup_note.text()
    made = datetime.fromtimestamp(backup.stat().st_mtime)
    assert f"(from {wording.date_time(made)})" in screen.backup_note.text()  # the clinic's date
    QTest.mouseClick(screen.restore_button, Qt.MouseButton.LeftButton)
    box = screen.findChild(QMessageBox)
    assert box is not None and backup.name in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: isinstance(window.page, Workspace), timeout=10_000)  # type: ignore[attr-defined]
    assert path.stat().st_size > 0
    assert list(path.parent.glob(f"{path.name}.replaced-*"))  # the damaged file is kept


def test_wrong_passphrase_twice_offers_the_backup_too(
    qtbot: QtBot, window_factory: WindowFactory, make_vault: VaultFactory, dirs: AppDirs
) -> None:
    path = make_vault()
    dirs.backups.joinpath(f"{path.stem}-20250101T000000000000Z.kapbak").write_bytes(b"x")
    screen = unlock_screen(window_factory, path, dirs)
    type_and_unlock(qtbot, screen, "wrong one 1")
    assert not screen.restore_button.isVisible()
    type_and_unlock(qtbot, screen, "wrong one 2")
    assert screen.restore_button.isVisible()


def test_lock_now_clears_everything_and_unlocks_again(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf
) -> None:
    window = unlocked
    ws = window.workspace
    assert ws is not None and window.ctx is not None
    vault = window.ctx.vault
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    saved: list[bool] = []
    window.signals.about_to_lock.connect(lambda: saved.append(vault.is_open))
    window.ctx.copy_text("Ada Lovelace, 1980-04-23")
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)

    assert saved == [True]  # screens were asked to save while the vault was still open
    assert window.ctx is None and not vault.is_open
    assert isinstance(window.page, UnlockScreen) and "locked" in window.page.title.text()
    qtbot.waitUntil(lambda: not shiboken6.isValid(record), timeout=3000)  # destroyed
    assert QGuiApplication.clipboard().text() == ""
    texts = " ".join(w.text() for w in window.findChildren(QLabel))
    assert "Ada" not in texts and "Lovelace" not in texts
    assert not window.actions_["new"].isEnabled()

    type_and_unlock(qtbot, window.page, PASSPHRASE)
    assert isinstance(window.page, Workspace)
    path = vault.path
    window.close()
    actions = [a for a, _ in audit_of(path)]
    assert actions.count("vault.lock") == 2 and "client.view" in actions


def test_clipboard_text_from_elsewhere_survives_a_lock(unlocked: MainWindow) -> None:
    guard = unlocked.clipboard
    guard.copy("from the app")
    assert guard.holds_ours()
    QGuiApplication.clipboard().setText("pasted from the web")
    if QGuiApplication.clipboard().ownsClipboard() or QGuiApplication.focusWindow() is not None:
        guard._ours.clear()  # offscreen: every change is "ours"; emulate another program
    assert not guard.holds_ours()
    unlocked.lock()
    assert QGuiApplication.clipboard().text() == "pasted from the web"


def test_idle_time_locks_and_activity_postpones_it(qtbot: QtBot, unlocked: MainWindow) -> None:
    window = unlocked
    ws = window.workspace
    assert ws is not None
    window.set_idle_timeout_ms(500)
    for _ in range(5):  # 5 x 150 ms of typing: longer than the idle time, yet no lock
        QTest.keyClick(ws.clients.search, Qt.Key.Key_A)
        qtbot.wait(150)
    assert window.ctx is not None
    qtbot.waitUntil(lambda: window.ctx is None, timeout=5000)
    assert isinstance(window.page, UnlockScreen)
    assert "without activity" in window.page.reason.text()


def test_os_lock_signal_locks(unlocked: MainWindow) -> None:
    unlocked.settings.lock_on_os_lock = True
    unlocked._os_lock("screensaver")
    assert unlocked.ctx is None and "with the computer" in unlocked.last_lock_reason


def test_lock_saves_a_valid_open_client_form(
    qtbot: QtBot, unlocked: MainWindow, dirs: AppDirs
) -> None:
    ws = unlocked.workspace
    assert ws is not None and unlocked.ctx is not None
    vault_path = unlocked.ctx.vault.path
    dialog = ws.new_client()
    QTest.keyClicks(dialog.name, "Rosalind Franklin")
    unlocked.lock()
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    vault = Vault.open(vault_path, PASSPHRASE)
    try:
        assert [c.name for c in Repos(vault).clients.search("Rosalind")] == ["Rosalind Franklin"]
    finally:
        vault.close()


def test_lock_discards_an_invalid_form_and_closes_it(qtbot: QtBot, unlocked: MainWindow) -> None:
    ws = unlocked.workspace
    assert ws is not None
    dialog = ws.new_client()
    QTest.keyClicks(dialog.dob, "not a date")
    closed: list[int] = []
    dialog.finished.connect(closed.append)
    unlocked.lock()
    assert closed == [0]


def test_locked_screen_shows_the_session_strip_and_carries_it(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    assert unlocked.ctx is not None

    def strip(parent: QWidget) -> QWidget:
        return QLabel("Session clock 00:42 · Peak · vitals in 3 min", parent)

    unlocked.ctx.locked_overlay_factory = strip
    unlocked.ctx.keep_alive["session"] = marker = object()
    unlocked.lock()
    page = unlocked.page
    assert isinstance(page, UnlockScreen)
    assert any("Session clock" in w.text() for w in page.findChildren(QLabel))
    type_and_unlock(qtbot, page, PASSPHRASE)
    assert unlocked.ctx is not None
    assert unlocked.ctx.locked_overlay_factory is strip
    assert unlocked.ctx.keep_alive["session"] is marker


def test_client_dialog_type_is_used(unlocked: MainWindow) -> None:
    ws = unlocked.workspace
    assert ws is not None
    assert isinstance(ws.new_client(), ClientDialog)


def test_unlock_writes_a_daily_automatic_backup(
    qtbot: QtBot, window_factory: WindowFactory, open_vault: Callable[..., Vault], dirs: AppDirs
) -> None:
    window = window_factory(auto_backup=True)
    window.show()
    vault = open_vault()
    window.enter(vault)
    qtbot.waitUntil(lambda: len(list(dirs.backups.glob("*.kapbak"))) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: "backup" in window.statusBar().currentMessage(), timeout=5000)
    window.lock()
    window.enter(Vault.open(vault.path, PASSPHRASE))  # the same day: no second backup
    qtbot.wait(200)
    assert len(list(dirs.backups.glob("*.kapbak"))) == 1


def test_screens_can_ask_for_a_lock(unlocked: MainWindow) -> None:
    assert unlocked.ctx is not None
    unlocked.ctx.lock_requested()
    assert unlocked.ctx is None and isinstance(unlocked.page, UnlockScreen)
