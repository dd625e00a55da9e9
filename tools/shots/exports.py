"""Shots of issue 17's dialogs: research CSV preview, FHIR with PDFs, transfer import preview."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QElapsedTimer
from PySide6.QtTest import QTest

if TYPE_CHECKING:
    from collections.abc import Callable

    from screenshots import Shooter


def _wait(done: Callable[[], bool], ms: int = 30_000) -> None:
    clock = QElapsedTimer()
    clock.start()
    while not done() and clock.elapsed() < ms:
        QTest.qWait(30)


def shot_research_csv(s: Shooter) -> Any:
    from kapcompanion.ui.research_dialog import ResearchCsvDialog, research_csv

    s.open_first()
    dialog = research_csv(s.window)
    assert isinstance(dialog, ResearchCsvDialog)
    for kind in ("sessions", "doses", "vitals", "measures"):
        dialog.kinds[kind].setChecked(True)
    dialog.start_preview()
    _wait(lambda: dialog.prepared is not None)
    return dialog


def shot_fhir_documents(s: Shooter) -> Any:
    from kapcompanion.ui.export_dialog import export_course_dialog

    ws, record = s.open_first()
    dialog = export_course_dialog(ws.ctx, record.client_id, ws)
    _wait(lambda: dialog.ready)
    dialog.fhir_clicked()
    _wait(lambda: dialog.fhir_box is not None and dialog.fhir_box.isVisible())
    assert dialog.fhir_box is not None and dialog.fhir_documents is not None
    dialog.fhir_documents.setChecked(True)
    return dialog.fhir_box


def shot_transfer_in_preview(s: Shooter) -> Any:
    from kapcompanion.services import transfer
    from kapcompanion.ui.transfer_dialog import open_transfer_in

    ws, record = s.open_first()
    out = Path(tempfile.mkdtemp()) / "client.kapx"
    result = transfer.export_client(ws.ctx.vault, record.client_id, out, None)
    dialog = open_transfer_in(ws.ctx, ws)
    dialog.path.setText(str(out))
    dialog.passphrase.edit.setText(result.passphrase)
    dialog.start_check()
    _wait(lambda: dialog.summary is not None or dialog.error.isVisible(), 60_000)
    return dialog


SHOTS = [
    ("export-research-csv", shot_research_csv),
    ("export-fhir-documents", shot_fhir_documents),
    ("transfer-in-preview", shot_transfer_in_preview),
]
