"""File > Transfer this client… and File > Import a transferred client…, on a real vault.

The bundle is written off the GUI thread, the one-time passphrase is shown once (and gone
after closing), and the import refuses the same client before it brings it in as a new one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from records_support import records_template, records_window  # noqa: F401

from kapcompanion.core.passwords import WORDS
from kapcompanion.export import transfer as transfer_format
from kapcompanion.ui.transfer_dialog import TransferInDialog, TransferOutDialog

CLIENT = 1
SHOTS = Path("/tmp/kap-transfer-shots")


@pytest.fixture(autouse=True)
def _cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer_format, "SCRYPT_LOG2_N", 14)


def _shot(widget: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


def _count(ctx: Any, sql: str) -> int:
    return int(ctx.vault.read(sql)[0][0])


def test_transfer_out_shows_the_passphrase_once_and_import_brings_a_new_client(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    window = records_window
    ctx = window.ctx
    window.show_workspace(CLIENT)
    assert window.actions_["transfer_out"].isEnabled()
    window.actions_["transfer_out"].trigger()
    dialog = window.workspace.findChild(TransferOutDialog)
    assert isinstance(dialog, TransferOutDialog) and dialog.isVisible()
    assert "one-time passphrase" in dialog.explain.text()
    assert dialog.default_name.endswith(".kapx") and "client-1-" in dialog.default_name
    dialog.resize(700, 460)
    _shot(dialog, "transfer-out-before")

    out = tmp_path / "client.kapx"
    dialog.write_to(str(out))
    qtbot.waitUntil(lambda: dialog.result_ is not None, timeout=30_000)
    words = dialog.phrase.text().split("-")
    assert len(words) == 6 and all(w in WORDS for w in words)
    assert dialog.done_box.isVisible() and str(out) in dialog.where.text()
    assert out.is_file()
    assert _count(ctx, "SELECT count(*) FROM audit WHERE action = 'export.transfer'") == 1
    _shot(dialog, "transfer-out-done")
    passphrase = dialog.phrase.text()
    sha256 = dialog.result_.sha256
    dialog.reject()
    assert dialog.phrase.text() == ""  # shown once: closing forgets it

    clients_before = _count(ctx, "SELECT count(*) FROM clients")
    window.actions_["transfer_in"].trigger()
    importer = window.workspace.findChild(TransferInDialog)
    assert isinstance(importer, TransferInDialog) and importer.isVisible()
    importer.resize(700, 420)
    importer.path.setText(str(out))
    importer.passphrase.edit.setText("not the passphrase at all")
    assert not importer.import_button.isEnabled()
    assert importer.start_import() is None  # nothing is imported unchecked
    assert "Check the bundle first" in importer.error.text()
    importer.start_check()
    qtbot.waitUntil(
        lambda: importer.error.isVisible() and "passphrase" in importer.error.text(),
        timeout=30_000,
    )
    assert "passphrase is not right" in importer.error.text()
    assert not importer.preview_box.isVisible() and not importer.import_button.isEnabled()

    importer.passphrase.edit.setText(passphrase)
    importer.start_check()
    qtbot.waitUntil(lambda: importer.summary is not None, timeout=30_000)
    assert importer.preview_box.isVisible() and importer.import_button.isEnabled()
    shown = importer.preview_box.findChild(QLabel, "bundleSha256")
    assert shown is not None and shown.text() == sha256
    texts = " | ".join(label.text() for label in importer.preview_box.findChildren(QLabel))
    client = ctx.repos.clients.get(CLIENT)
    assert client.name in texts and ctx.vault.get_meta("vault_id") in texts
    sessions = len(ctx.repos.sessions.for_client(CLIENT))
    measures = len(ctx.repos.documents.find("measure", client_id=CLIENT))
    assert importer.summary is not None
    assert importer.summary.counts["sessions"] == sessions
    assert importer.summary.measures == measures
    assert importer.same_warning.isVisible()  # the same client is here already
    assert _count(ctx, "SELECT count(*) FROM clients") == clients_before  # checking wrote nothing
    importer.resize(760, 640)
    _shot(importer, "transfer-in-preview")

    importer.start_import()
    qtbot.waitUntil(
        lambda: importer.error.isVisible() and "same vault" in importer.error.text(),
        timeout=30_000,
    )
    assert _count(ctx, "SELECT count(*) FROM clients") == clients_before
    _shot(importer, "transfer-in-refused")

    importer.as_new.setChecked(True)
    importer.start_import()
    qtbot.waitUntil(lambda: importer.result_ is not None, timeout=30_000)
    assert not importer.error.isVisible()
    assert "Imported as a new client" in importer.outcome.text()
    assert _count(ctx, "SELECT count(*) FROM clients") == clients_before + 1
    _shot(importer, "transfer-in-done")
    new_id = importer.result_.client_id
    importer.open_button.click()
    qtbot.waitUntil(lambda: window.workspace.current_client_id() == new_id)
    assert ctx.vault.check().ok


def test_transfer_without_an_open_client_says_what_to_do(
    records_window: Any,  # noqa: F811
) -> None:
    window = records_window
    window.show_workspace()
    said: list[str] = []
    window.ctx.notify = lambda text, _ms: said.append(text)
    window.actions_["transfer_out"].trigger()
    assert said and "Open a client first" in said[0]


def test_a_damaged_bundle_is_refused_at_the_check(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from kapcompanion.services import transfer

    window = records_window
    ctx = window.ctx
    out = tmp_path / "client.kapx"
    result = transfer.export_client(ctx.vault, CLIENT, out, None)
    data = bytearray(out.read_bytes())
    data[-1] ^= 0x01
    out.write_bytes(bytes(data))
    clients_before = _count(ctx, "SELECT count(*) FROM clients")
    window.actions_["transfer_in"].trigger()
    importer = window.workspace.findChild(TransferInDialog)
    assert isinstance(importer, TransferInDialog)
    importer.path.setText(str(out))
    importer.passphrase.edit.setText(result.passphrase)
    importer.as_new.setChecked(True)
    importer.start_check()
    qtbot.waitUntil(lambda: importer.error.isVisible(), timeout=30_000)
    assert "integrity check" in importer.error.text()
    assert "cannot be imported" in importer.error.text()
    assert "Traceback" not in importer.error.text()
    assert importer.summary is None and not importer.import_button.isEnabled()
    assert importer.start_import() is None
    assert _count(ctx, "SELECT count(*) FROM clients") == clients_before
    _shot(importer, "transfer-in-damaged")
