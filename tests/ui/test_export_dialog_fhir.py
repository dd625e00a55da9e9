"""The course export dialog's FHIR entry: says what the file holds, then saves and audits it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pytestqt.qtbot import QtBot
from records_support import records_template, records_window  # noqa: F401

from kapcompanion.ui.context import AppContext
from kapcompanion.ui.export_dialog import export_course_dialog, export_session_dialog

CLIENT = 1


def _fhir_audits(ctx: AppContext) -> list[tuple[str, int | None]]:
    rows = ctx.vault.read(
        "SELECT detail, client_id FROM audit WHERE action = 'export.fhir' ORDER BY id"
    )
    return [(str(d), c) for d, c in rows]


def test_fhir_from_the_course_dialog(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    ctx = records_window.ctx
    dialog = export_course_dialog(ctx, CLIENT, records_window.workspace)
    qtbot.waitUntil(lambda: dialog.ready, timeout=15_000)
    assert dialog.fhir_button.isVisible()
    dialog.fhir_clicked()
    qtbot.waitUntil(
        lambda: dialog.fhir_box is not None and dialog.fhir_box.isVisible(), timeout=15_000
    )
    assert dialog.fhir_box is not None
    text = dialog.fhir_box.text()
    assert (
        "1 client (Patient)" in text
        and "dose(s) given (MedicationAdministration)" in text
        and "not encrypted" in text
    )
    assert _fhir_audits(ctx) == []  # counting what would leave writes nothing
    dialog.fhir_save_button.click()
    qtbot.waitUntil(lambda: dialog.file_dialog is not None and dialog.file_dialog.isVisible())
    assert dialog.file_dialog is not None
    assert dialog.file_dialog.selectedFiles()[0].endswith(".json")
    out = tmp_path / "record"  # the suffix is added
    dialog.file_dialog.selectFile(str(out))
    dialog.file_dialog.accept()
    qtbot.waitUntil(lambda: dialog.fhir_result is not None, timeout=15_000)
    written = tmp_path / "record.json"
    bundle = Bundle.model_validate_json(written.read_bytes())
    assert bundle.type == "collection"
    audits = _fhir_audits(ctx)
    assert len(audits) == 1 and audits[0][1] == CLIENT and "Patient" in audits[0][0]


def test_a_bad_folder_is_said_plainly(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    ctx = records_window.ctx
    dialog = export_course_dialog(ctx, CLIENT, records_window.workspace)
    qtbot.waitUntil(lambda: dialog.ready, timeout=15_000)
    task = dialog.write_fhir_to(str(tmp_path / "missing" / "x.json"))
    assert task is not None
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=15_000)
    assert (
        "No FHIR file was saved" in dialog.error.text() and "does not exist" in dialog.error.text()
    )
    assert _fhir_audits(ctx) == []


def test_no_fhir_button_for_a_session_record(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = records_window.ctx
    sid = ctx.repos.sessions.for_client(CLIENT)[0].id
    dialog = export_session_dialog(ctx, sid, records_window.workspace)
    assert not dialog.fhir_button.isVisible()
    assert dialog.fhir_clicked() is None
    qtbot.waitUntil(lambda: dialog.ready, timeout=15_000)


def test_fhir_with_the_signed_pdfs_attached(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    import io

    from pypdf import PdfReader

    ctx = records_window.ctx
    dialog = export_course_dialog(ctx, CLIENT, records_window.workspace)
    qtbot.waitUntil(lambda: dialog.ready, timeout=15_000)
    dialog.fhir_clicked()
    qtbot.waitUntil(
        lambda: dialog.fhir_box is not None and dialog.fhir_box.isVisible(), timeout=15_000
    )
    box = dialog.fhir_documents
    assert box is not None and not box.isChecked()  # opt-in
    assert box.isEnabled() and "the course summary" in box.text()
    box.setChecked(True)
    dialog.fhir_save_button.click()
    qtbot.waitUntil(lambda: dialog.file_dialog is not None and dialog.file_dialog.isVisible())
    assert dialog.file_dialog is not None
    dialog.file_dialog.selectFile(str(tmp_path / "with-pdfs.json"))
    dialog.file_dialog.accept()
    qtbot.waitUntil(lambda: dialog.fhir_result is not None, timeout=30_000)
    bundle = Bundle.model_validate_json((tmp_path / "with-pdfs.json").read_bytes())
    docs = [
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "DocumentReference"
    ]
    course = next(d for d in docs if d.content[0].attachment.title == "Course summary")
    pdf = course.content[0].attachment.data
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 1
    assert "signed PDFs attached" in _fhir_audits(ctx)[-1][0]
