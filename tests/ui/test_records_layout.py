"""The records screens at the target sizes and in both themes: nothing clipped, every
control named for assistive technology, every action reachable by keyboard."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from records_support import records_template, records_window  # noqa: F401

from kapcompanion.ui.audit_view import AuditView
from kapcompanion.ui.export_dialog import export_session_dialog
from kapcompanion.ui.sections.documents import DocumentsSection
from kapcompanion.ui.theme import DIM, LIGHT, apply_theme
from kapcompanion.ui.widgets.unsigned_panel import UnsignedPanel


def _layout_checks() -> ModuleType:
    """The shell's clipping and naming checks (tests/ui/test_keyboard_layout.py)."""
    path = Path(__file__).with_name("test_keyboard_layout.py")
    spec = importlib.util.spec_from_file_location("_records_layout_checks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checks = _layout_checks()


def fits(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.wait(30)
    assert checks.clipped(widget) == []
    assert checks.unnamed(widget) == []


@pytest.mark.parametrize(
    ("size", "theme"), [((1366, 768), LIGHT), ((1366, 768), DIM), ((960, 540), LIGHT)]
)
def test_records_screens_fit(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    size: tuple[int, int],
    theme: str,
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    window = records_window
    window.resize(*size)
    ws = window.workspace
    record = ws.open_client(1)
    panel = record.sections["overview"].findChild(UnsignedPanel)
    assert panel is not None
    fits(qtbot, panel)
    section = record.show_section("documents")
    assert isinstance(section, DocumentsSection)
    section.select_record(*next(r for r in section.signed if r.is_session).key)
    fits(qtbot, section)
    section.select_record(*section.unsigned[0].key)
    fits(qtbot, section)

    dialog = section.sign_current()
    assert dialog is not None
    fits(qtbot, dialog)
    dialog.reject()

    view = AuditView(window.ctx, ws)
    view.resize(min(1100, size[0] - 40), min(640, size[1] - 40))
    view.show()
    qtbot.waitUntil(lambda: view.check_task is not None and view.check_task.done)
    fits(qtbot, view)
    view.close()

    export = export_session_dialog(window.ctx, section.signed[-1].record_id, ws)
    export.resize(min(1080, size[0] - 40), min(720, size[1] - 40))
    qtbot.waitUntil(lambda: export.ready, timeout=15_000)
    fits(qtbot, export)
    export.reject()
    apply_theme(app, LIGHT)
