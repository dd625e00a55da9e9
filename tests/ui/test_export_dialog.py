"""The PDF export dialog: an in-memory preview, a protected file, a confirmed unprotected
one, printing; every export and print audited."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from records_support import records_template, records_window  # noqa: F401

from kapcompanion.core.models import SessionStatus
from kapcompanion.ui import pdf_preview
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.export_dialog import (
    ExportDialog,
    export_course_dialog,
    export_session_dialog,
)

CLIENT = 1
PASSWORD = "blue heron river"


def ctx_of(window: Any) -> AppContext:
    ctx = window.ctx
    assert isinstance(ctx, AppContext)
    return ctx


def session_id(ctx: AppContext, signed: bool) -> int:
    for s in ctx.repos.sessions.for_client(CLIENT):
        if s.status is SessionStatus.ENDED and (s.signed_utc is not None) == signed:
            assert s.id is not None
            return s.id
    raise AssertionError("no such session")


def ready(qtbot: QtBot, dialog: ExportDialog) -> ExportDialog:
    qtbot.waitUntil(lambda: dialog.ready, timeout=15_000)
    return dialog


def choose(qtbot: QtBot, dialog: ExportDialog, path: Path) -> None:
    """Answer the save dialog with ``path`` and wait for the write to finish."""
    qtbot.waitUntil(lambda: dialog.file_dialog is not None and dialog.file_dialog.isVisible())
    assert dialog.file_dialog is not None
    assert dialog.file_dialog.selectedFiles()[0].endswith(dialog.default_name)
    with qtbot.waitSignal(dialog.saved, timeout=15_000):
        dialog.file_dialog.selectFile(str(path))
        dialog.file_dialog.accept()


def exports(ctx: AppContext) -> list[tuple[str, str, int | None]]:
    rows = ctx.vault.read(
        "SELECT action, detail, record_id FROM audit WHERE action LIKE 'export.%'"
        " OR action LIKE 'print.%' ORDER BY id"
    )
    return [(str(a), str(d), r) for a, d, r in rows]


def test_preview_then_protected_pdf(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = ctx_of(records_window)
    sid = session_id(ctx, signed=False)
    private = tmp_path / "temp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    monkeypatch.setenv("TMPDIR", str(private))
    dialog = ready(qtbot, export_session_dialog(ctx, sid, records_window.workspace))
    assert list(private.iterdir()) == []  # the unprotected preview never touched the disk
    assert dialog.pdf is not None and dialog.pdf.startswith(b"%PDF")
    n_pages = len(dialog.pages)
    assert n_pages >= 2 and len(dialog.preview.labels) == n_pages
    assert all(not label.pixmap().isNull() for label in dialog.preview.labels)
    assert "not signed yet" in dialog.info.text()
    assert dialog.protect.isChecked()  # protection is the default
    assert "record" in dialog.default_name and "KAP-1000" in dialog.default_name
    assert "Lovelace" not in dialog.default_name and exports(ctx) == []

    dialog.password.setText("short")
    dialog.repeat.setText("short")
    height = dialog.error.height()
    dialog.save_clicked()
    assert "at least 8" in dialog.error.text() and dialog.file_dialog is None
    # recomputed on every change: a 13-character password clears it at once (issue 22)
    dialog.password.setText("thirteen-char")
    assert dialog.error.messages == ("The two passwords differ; type the same password twice.",)
    dialog.repeat.setText("thirteen-char")
    assert dialog.error.text() == "" and dialog.error.height() == height  # no jump
    dialog.password.setText(PASSWORD)
    dialog.repeat.setText(PASSWORD + "x")
    dialog.save_clicked()
    assert "differ" in dialog.error.text() and dialog.file_dialog is None
    assert "at least 8" not in dialog.error.text()
    dialog.repeat.setText(PASSWORD)
    assert dialog.error.text() == ""
    dialog.save_clicked()
    assert dialog.confirm_box is None  # a protected file needs no confirmation
    target = tmp_path / "out" / "session"
    target.parent.mkdir()
    choose(qtbot, dialog, target)
    written = target.with_name("session.pdf")
    assert written.is_file() and not dialog.isVisible()
    assert sorted(p.name for p in written.parent.iterdir()) == ["session.pdf"]
    reader = PdfReader(written)
    assert reader.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert not PdfReader(written).decrypt("wrong password")
    reader = PdfReader(written)
    assert reader.decrypt(PASSWORD)
    assert "Session record" in reader.pages[0].extract_text()
    assert len(reader.pages) == n_pages
    assert dialog.pdf is None and dialog.pages == []  # closing drops the unprotected copy
    assert exports(ctx) == [("export.session_pdf", "AES-256", sid)]


def test_unprotected_pdf_only_after_confirmation(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    ctx = ctx_of(records_window)
    sid = session_id(ctx, signed=True)
    dialog = ready(qtbot, export_session_dialog(ctx, sid, records_window.workspace))
    assert "not signed" not in dialog.info.text()
    dialog.protect.setChecked(False)
    assert not dialog.password.isEnabled()
    dialog.save_clicked()
    box = dialog.confirm_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "anyone who gets this file" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert dialog.file_dialog is None and dialog.protect.isChecked()  # back to protection

    dialog.protect.setChecked(False)
    dialog.save_clicked()
    assert dialog.confirm_box is not None and dialog.unprotected_button is not None
    dialog.unprotected_button.click()
    target = tmp_path / "open.pdf"
    choose(qtbot, dialog, target)
    reader = PdfReader(target)
    assert not reader.is_encrypted and "Session record" in reader.pages[0].extract_text()
    assert exports(ctx) == [("export.session_pdf", "unprotected", sid)]


def test_course_summary_with_progress_and_print(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    ctx = ctx_of(records_window)
    dialog = ready(qtbot, export_course_dialog(ctx, CLIENT, records_window.workspace))
    assert dialog.progress.maximum() == 100 and dialog.progress.value() >= 90
    assert "Course summary" in dialog.windowTitle()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(120)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    pages = dialog.print_to(printer)
    assert pages == len(dialog.pages) >= 1
    assert len(PdfReader(printed).pages) == pages
    assert exports(ctx) == [
        ("print.course_pdf", f"{pages} page{'s' if pages != 1 else ''}", CLIENT)
    ]
    dialog.password.setText(PASSWORD)
    dialog.repeat.setText(PASSWORD)
    dialog.save_clicked()
    choose(qtbot, dialog, tmp_path / "course.pdf")
    assert PdfReader(tmp_path / "course.pdf").is_encrypted
    assert exports(ctx)[-1] == ("export.course_pdf", "AES-256", CLIENT)


def test_a_lock_drops_the_preview(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    ctx = ctx_of(records_window)
    dialog = ready(qtbot, export_course_dialog(ctx, CLIENT, records_window.workspace))
    records_window.lock()
    assert dialog.pdf is None and dialog.pages == []


@pytest.mark.skipif(not pdf_preview.renderer(), reason="no PDF renderer")
def test_poppler_fallback_renders_from_memory(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    import shutil

    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed")
    ctx = ctx_of(records_window)
    dialog = ready(qtbot, export_course_dialog(ctx, CLIENT, records_window.workspace))
    assert dialog.pdf is not None
    pages = pdf_preview._poppler_pages(dialog.pdf, 50)
    assert len(pages) == len(dialog.pages)
    assert abs(pages[0].width() / pages[0].height() - 210 / 297) < 0.02  # A4
    with pytest.raises(pdf_preview.PreviewError):
        pdf_preview._poppler_pages(b"not a pdf", 50)
    dialog.reject()


def test_no_two_controls_share_an_alt_key(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    """Alt+P meant "Protect with a password", "Print…" and "Repeat:" at once: Qt then only
    moves between them, so Alt+P never unticked the protection."""
    import re

    from PySide6.QtWidgets import QAbstractButton, QLabel

    ctx = ctx_of(records_window)
    dialog = ready(
        qtbot, export_session_dialog(ctx, session_id(ctx, True), records_window.workspace)
    )
    try:
        keys: list[str] = []
        for w in dialog.findChildren(QAbstractButton) + dialog.findChildren(QLabel):
            targets = isinstance(w, QAbstractButton) or w.buddy() is not None
            if w.isVisible() and targets:
                keys += [k.upper() for k in re.findall(r"&(\w)", w.text())]
        assert "P" in keys and len(keys) == len(set(keys)), sorted(keys)
    finally:
        dialog.close()
