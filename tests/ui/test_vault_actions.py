"""Back up now and change the passphrase from the File menu, on a real vault."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.store.errors import WrongPassphraseOrDamaged
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault, verify_backup
from kapcompanion.ui import vault_actions
from kapcompanion.ui.workers import pending_tasks


def _ctx(vault: Vault) -> object:
    from kapcompanion.paths import app_dirs
    from kapcompanion.ui.context import AppContext, AppSignals
    from kapcompanion.ui.lock import ClipboardGuard
    from kapcompanion.ui.settings import Settings

    return AppContext(
        vault=vault,
        repos=Repos(vault),
        settings=Settings(),
        dirs=app_dirs(),
        signals=AppSignals(),
        clipboard=ClipboardGuard(),
        lock_requested=lambda: None,
    )


def test_change_passphrase_dialog(
    qtbot: QtBot, vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: 0)
    dialog = vault_actions.ChangePassphraseDialog(_ctx(vault))  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.current.setText("not it at all")
    dialog.new.setText("a new long passphrase")
    dialog.repeat.setText("a new long passphrase")
    dialog._change()
    assert "not right" in dialog.error.text()
    dialog.current.setText(PASSPHRASE)
    dialog.repeat.setText("different passphrase")
    dialog._change()
    assert "differ" in dialog.error.text()
    dialog.repeat.setText("a new long passphrase")
    dialog._change()
    qtbot.waitUntil(lambda: pending_tasks() == 0, timeout=10_000)
    assert dialog.result() == dialog.DialogCode.Accepted
    path = vault.path
    vault.close()
    with pytest.raises(WrongPassphraseOrDamaged):
        Vault.open(path, PASSPHRASE)
    Vault.open(path, "a new long passphrase").close()


def test_back_up_now(
    qtbot: QtBot, vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "copy.kapbak"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    vault_actions.back_up_now(_ctx(vault), parent)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert target.exists() and str(target) in shown[0]
    assert verify_backup(target, PASSPHRASE).ok


def test_backups_keep_setting_is_remembered(qtbot: QtBot, tmp_path: Path) -> None:
    from kapcompanion.ui.settings import Settings

    path = tmp_path / "settings.json"
    s = Settings()
    assert s.backups_keep == 10
    s.backups_keep = 3
    s.save(path)
    assert Settings.load(path).backups_keep == 3
