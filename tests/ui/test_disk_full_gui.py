"""A write from a screen on a full disk (issue 20, item 6): the form says the disk is full, with
the free space, and keeps what was typed; nothing half written. Real vault on a small tmpfs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtTest import QTest
from support import PASSPHRASE
from test_disk_full import FULL, disk, fill

from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.client_dialog import ClientDialog
from kapcompanion.ui.main_window import MainWindow

__all__ = ["disk"]  # the tmpfs fixture (skips with its reason where mounting is not allowed)


def test_saving_a_client_on_a_full_disk(
    disk: Path, template_vault: Path, window_factory: Callable[..., MainWindow]
) -> None:
    path = disk / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    window = window_factory()
    window.enter(Vault.open(path, PASSPHRASE))
    window.show()
    ws = window.workspace
    assert ws is not None
    filler = fill(disk)
    saved = 0
    dialog: ClientDialog | None = None
    for n in range(2000):  # until the write-ahead log needs a page the disk does not have
        dialog = ws.new_client()
        assert isinstance(dialog, ClientDialog)
        QTest.keyClicks(dialog.name, f"Client {n} " + "x" * 150)
        if not dialog.save():
            break
        saved += 1
    assert dialog is not None and dialog.isVisible()
    message = dialog.error.text()
    assert FULL.search(message), message
    assert "not saved" in message and "passphrase" not in message.lower()
    assert dialog.name.text().startswith(f"Client {saved} ")  # what was typed is still there
    if os.environ.get("KAP_SHOTS"):
        dialog.grab().save(str(Path(os.environ["KAP_SHOTS"]) / "client-disk-full.png"))
    dialog.reject()
    filler.unlink()
    window.close()
    vault = Vault.open(path, PASSPHRASE)
    try:
        assert len(Repos(vault).clients.search()) == saved
        assert vault.check().ok
    finally:
        vault.close()
