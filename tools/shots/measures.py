"""Shots of issue 7: measures (progress, history, form), integration, course plan, agenda."""

# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtTest import QTest

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget
    from screenshots import Shooter


def shot_measures_progress(s: Shooter) -> QWidget:
    _ws, record = s.open_first()
    section: Any = record.show_section("measures")
    section.tabs.setCurrentIndex(0)
    section.chart_instrument.setCurrentIndex(0)
    return s.window


def shot_measures_history(s: Shooter) -> QWidget:
    _ws, record = s.open_first()
    section: Any = record.show_section("measures")
    section.tabs.setCurrentIndex(1)
    return s.window


def shot_measure_form(s: Shooter) -> QWidget:
    _ws, record = s.open_first()
    section: Any = record.show_section("measures")
    dialog: Any = section.take()
    dialog.context.setCurrentIndex(dialog.context.findData("pre_session"))
    dialog.instrument.setCurrentIndex(dialog.instrument.findData("phq9"))
    for digit in "2112101":
        QTest.keyClicks(dialog.focusWidget() or dialog, digit)
    return dialog


def _drawing() -> bytes:
    """A small 'drawing of a lake', made in memory for the shot (never written to disk)."""
    image = QImage(480, 320, QImage.Format.Format_RGB32)
    image.fill(QColor("#e9e4d8"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor("#5d8fae"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QPointF(240, 210), 190, 70)
    p.setPen(QPen(QColor("#3f6b3a"), 6))
    for x in range(40, 460, 60):
        p.drawLine(QPointF(x, 140), QPointF(x + 12, 90))
    p.setBrush(QColor("#e8b04a"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QPointF(380, 60), 28, 28)
    p.end()
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # str at runtime
    return bytes(array.data())


def shot_integration_entry(s: Shooter) -> QWidget:
    _ws, record = s.open_first()
    section: Any = record.show_section("integration")
    section.list.setCurrentRow(0)
    editor = section.editor
    if not editor.images.list.count():
        editor.images.attach_bytes("lake drawing.png", _drawing())
    editor.mood.setValue(editor.mood.value())
    return s.window


def shot_integration_prompts(s: Shooter) -> QWidget:
    shot_integration_entry(s)
    record: Any = s.window.workspace.record
    section: Any = record.sections["integration"]
    bar = section.editor_scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    return s.window


def shot_course_plan(s: Shooter) -> QWidget:
    _ws, record = s.open_first()
    from kapcompanion.ui.widgets.due_panel import DuePanel

    due: Any = record.show_section("overview").findChild(DuePanel)
    dialog: Any = due.open_plan()
    dialog.resize(980, 600)
    dialog.show()
    dialog.panel.refresh()  # scrolled to the next open appointment
    return dialog


def shot_agenda(s: Shooter) -> QWidget:
    from PySide6.QtWidgets import QApplication

    from kapcompanion.ui.agenda import open_agenda

    s.open_first()
    dialog = open_agenda(s.window)
    assert dialog is not None
    while dialog.data is None:
        QApplication.processEvents()
    return dialog


def shot_safety_flag(s: Shooter) -> QWidget:
    ws = s.ensure_unlocked()
    repos: Any = s.window.ctx.repos
    flagged = next(c for c in repos.clients.search() if repos.flags.active(c.id))
    record: Any = ws.open_client(flagged.id, "measures")
    record.sections["measures"].tabs.setCurrentIndex(1)
    return s.window


SHOTS = [
    ("measures-progress", shot_measures_progress),
    ("measures-history", shot_measures_history),
    ("measures-form", shot_measure_form),
    ("integration-entry", shot_integration_entry),
    ("integration-prompts", shot_integration_prompts),
    ("course-plan", shot_course_plan),
    ("agenda", shot_agenda),
    ("safety-flag", shot_safety_flag),
]
