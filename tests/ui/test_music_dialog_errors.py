"""The music dialog's bad inputs: a malformed playlist, a folder that cannot be scanned.

Each gets a plain sentence and changes nothing; an unexpected error's text (internals) is
never shown and goes to the error hook instead.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from support import PASSPHRASE
from ui.session_support import add_client

from kapcompanion.services import clinic
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.session.music_dialog import MusicDialog

WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def dialog(
    qtbot: QtBot, window_factory: WindowFactory, template_vault: Path, tmp_path: Path
) -> MusicDialog:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    cid = add_client(Repos(vault))
    window = window_factory()
    window.enter(vault)
    assert window.ctx is not None
    made = MusicDialog(window.ctx, cid, window)
    qtbot.addWidget(made)
    return made


def test_a_malformed_playlist_is_refused_plainly_and_stores_nothing(
    dialog: MusicDialog, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.xspf"
    bad.write_text('<?xml version="1.0"?><playlist><trackList><track>', encoding="utf-8")
    assert dialog.import_file(bad) is None
    report = dialog.import_report.toPlainText()
    assert "broken.xspf is not well-formed XML" in report and "Traceback" not in report
    assert dialog.last_import is None
    assert str(bad) not in [str(p) for p in clinic.imported_playlists(dialog.ctx.vault)]


def test_a_scan_failure_shows_a_sentence_never_the_exception_text(
    dialog: MusicDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog._scan_failed(PermissionError(13, "Permission denied", "/secret/Ada Lovelace"))
    assert dialog.scan_status.text() == "The folder could not be scanned: Permission denied."

    hooked: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: hooked.append(exc))
    bug = KeyError("internal detail")
    dialog._scan_failed(bug)
    assert dialog.scan_status.text() == "The folder could not be scanned."
    assert hooked == [bug]
