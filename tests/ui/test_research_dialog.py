"""File > Export research CSV…: options, an in-memory preview of what leaves, then an atomic,
audited write of exactly the previewed files; on a real vault."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot
from records_support import records_template, records_window  # noqa: F401

from kapcompanion.ui.research_dialog import ResearchCsvDialog, new_folder

CLIENT = 1
SHOTS = Path("/tmp/kap-research-shots")


def _audits(ctx: Any) -> list[str]:
    return [str(d) for (d,) in ctx.vault.read(
        "SELECT detail FROM audit WHERE action = 'export.research_csv' ORDER BY id"
    )]  # fmt: skip


def _dialog(window: Any) -> ResearchCsvDialog:
    window.actions_["research_csv"].trigger()
    dialog = window.workspace.findChild(ResearchCsvDialog)
    assert isinstance(dialog, ResearchCsvDialog) and dialog.isVisible()
    return dialog


def test_preview_then_save_writes_what_was_shown(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    window = records_window
    ctx = window.ctx
    window.show_workspace(CLIENT)
    dialog = _dialog(window)
    assert dialog.who.currentData() == CLIENT  # the open client, not the whole vault
    assert not any(box.isChecked() for box in dialog.kinds.values())  # opt-in
    assert dialog.start_preview() is None and "at least one record kind" in dialog.error.text()
    assert not dialog.save_button.isEnabled()

    dialog.kinds["vitals"].setChecked(True)
    dialog.kinds["measures"].setChecked(True)
    dialog.start_preview()
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=30_000)
    assert _audits(ctx) == []  # previewing writes and audits nothing
    assert dialog.save_button.isEnabled()
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert [t.split(" ")[0] for t in tabs] == ["vitals.csv", "measures.csv", "data_dictionary.csv"]
    client = ctx.repos.clients.get(CLIENT)
    vitals_table = dialog.tabs.widget(0)
    assert isinstance(vitals_table, QTableWidget)
    items = [
        vitals_table.item(r, c)
        for r in range(vitals_table.rowCount())
        for c in range(vitals_table.columnCount())
    ]
    shown = [item.text() for item in items if item is not None]
    assert shown and all(client.name not in cell for cell in shown)
    header = vitals_table.horizontalHeaderItem(0)
    assert header is not None and header.text() == "subject"
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "research-preview.png"))

    # a change drops the preview: Save waits for a new one
    dialog.kinds["events"].setChecked(True)
    assert dialog.prepared is None and not dialog.save_button.isEnabled()
    dialog.kinds["events"].setChecked(False)
    dialog.start_preview()
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=30_000)
    prepared = dialog.prepared
    assert prepared is not None
    first_rows = {f.name: f.text(3) for f in prepared.files}

    dialog.write_to(str(tmp_path))
    qtbot.waitUntil(lambda: dialog.result_ is not None, timeout=30_000)
    folder = dialog.result_.folder
    assert folder.parent == tmp_path and folder.name.startswith("research-")
    for name, head in first_rows.items():
        written = (folder / name).read_bytes().decode("utf-8-sig")
        assert written.startswith(head)  # the same subject codes and shifted dates
    rows = list(csv.DictReader(io.StringIO((folder / "vitals.csv").read_text("utf-8-sig"))))
    assert rows and set(rows[0]) >= {"subject", "systolic", "minutes_from_dose"}
    assert "name" not in rows[0] and "note" not in rows[0]
    audits = _audits(ctx)
    assert len(audits) == 1 and "1 subject(s)" in audits[0] and "dates shifted" in audits[0]


def test_a_failed_write_says_so_and_audits_nothing(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    window = records_window
    dialog = _dialog(window)
    assert dialog.who.currentData() is None  # no client open: the whole vault
    dialog.kinds["sessions"].setChecked(True)
    dialog.names.setChecked(True)
    assert dialog.identifying.isVisible()
    dialog.start_preview()
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=30_000)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    dialog.write_to(str(blocker))  # the new folder cannot be made inside a file
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=30_000)
    assert dialog.error.text().startswith("Nothing was saved:")
    assert "Traceback" not in dialog.error.text()
    assert _audits(window.ctx) == []


def test_new_folder_never_reuses_an_old_export(tmp_path: Path) -> None:
    from datetime import date

    day = date(2025, 6, 2)
    first = new_folder(tmp_path, day)
    assert first.name == "research-2025-06-02"
    first.mkdir()
    assert new_folder(tmp_path, day).name == "research-2025-06-02-2"
