"""The unlock screen beside another writer (issue 20, item 1): it names the process that has the
vault and opens it read-only on request; a read-only workspace changes nothing. And the
low-disk warning before a session starts (item 6)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.core.models import Client
from kapcompanion.paths import AppDirs
from kapcompanion.services import environment
from kapcompanion.store.errors import VaultReadOnly
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.settings import Settings
from kapcompanion.ui.unlock import UnlockScreen
from kapcompanion.ui.workspace import Workspace

WindowFactory = Callable[..., MainWindow]

SHOTS = Path(os.environ.get("KAP_SHOTS", "")) if os.environ.get("KAP_SHOTS") else None


def test_unlock_beside_a_writer_names_it_and_opens_read_only(
    qtbot: QtBot, window_factory: WindowFactory, make_vault: Callable[..., Path], dirs: AppDirs
) -> None:
    path = make_vault([Client(name="Ada Lovelace", pseudonym="Heron")])
    writer = Vault.open(path, PASSPHRASE)  # "the other copy"
    try:
        Settings(last_vault=str(path)).save(dirs.settings_file)
        window = window_factory()
        window.start()
        window.show()
        screen = window.page
        assert isinstance(screen, UnlockScreen)
        # said at once, before any passphrase is typed
        assert screen.message.isVisible()
        assert f"open in KAP Companion (process {os.getpid()}, since " in screen.message.text()
        assert screen.read_only_button.isVisible()
        if SHOTS:
            window.grab().save(str(SHOTS / "unlock-in-use.png"))
        QTest.keyClicks(screen.passphrase.edit, PASSPHRASE)
        screen.attempt()  # a writing unlock is refused with the same plain words
        qtbot.waitUntil(lambda: not screen.busy.busy, timeout=10_000)
        assert "Close it there first" in screen.message.text()
        assert window.ctx is None
        screen.read_only_button.click()
        qtbot.waitUntil(lambda: window.ctx is not None, timeout=10_000)
        assert isinstance(window.page, Workspace)
        ctx = window.ctx
        assert ctx is not None and ctx.vault.read_only
        assert [c.name for c in ctx.repos.clients.search()] == ["Ada Lovelace"]
        with pytest.raises(VaultReadOnly):
            ctx.repos.clients.add(Client(name="Not written", pseudonym="No"))
        ws = window.workspace
        assert ws is not None and "read-only" in window.windowTitle()
        ada = ctx.repos.clients.search()[0]
        ws.open_client(ada.id)  # reading a record works; nothing in it writes on its own
        qtbot.wait(200)
        if SHOTS:
            window.grab().save(str(SHOTS / "workspace-read-only.png"))
        window.close()
        # the writer was never disturbed and sees no stray change
        Repos(writer).clients.add(Client(name="Grace Hopper", pseudonym="Birch"))
        names = sorted(c.name for c in Repos(writer).clients.search())
        assert names == ["Ada Lovelace", "Grace Hopper"]
    finally:
        writer.close()
    # the read-only views reach the audit trail at the next writing open
    again = Vault.open(path, PASSPHRASE)
    try:
        views = [r for r in again.audit_entries() if r.action == "client.view"]
        assert any("viewed read-only" in r.detail for r in views), views
    finally:
        again.close()
    assert not Path(f"{path}.read-only-views").exists()


def test_low_disk_warning_follows_the_clinic_floor(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(environment, "free_bytes", lambda _folder: 120 * environment.MB)
    warning = environment.low_disk_warning(vault)
    assert warning is not None
    assert "120 MB free" in warning and "floor is 500 MB" in warning
    monkeypatch.setattr(environment, "free_bytes", lambda _folder: 800 * environment.MB)
    assert environment.low_disk_warning(vault) is None
    from kapcompanion.core.settings import DISK_FLOOR_MB
    from kapcompanion.services import settings

    settings.set_value(vault, DISK_FLOOR_MB, 1000)
    assert "floor is 1,000 MB" in (environment.low_disk_warning(vault) or "")
