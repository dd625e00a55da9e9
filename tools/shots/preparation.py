"""Shots of issue 4: screening (outcome, override banner), intake, the preparation checklist,
the touch agreement and the checklist template editor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget
    from screenshots import Shooter


def _section(s: Shooter, client_id: int) -> Any:
    ws = s.ensure_unlocked()
    record = ws.open_client(client_id)
    assert record is not None
    return record.show_section("screening")


def shot_screening(s: Shooter) -> QWidget:
    # demo client 4 answered "yes" to a contraindication and a physician overrode it
    section = _section(s, 4)
    section.tabs.setCurrentIndex(0)
    section.screening.focus_item("uncontrolled_hypertension")
    return s.window


def shot_intake(s: Shooter) -> QWidget:
    # demo client 3 takes lorazepam: the interacting-medication hint shows
    section = _section(s, 3)
    section.tabs.setCurrentIndex(1)
    intake = section.intake
    intake.scroll_area.ensureWidgetVisible(intake.medication_summary, 0, 120)
    return s.window


def _preparation(s: Shooter) -> QWidget:
    from kapcompanion.ui.preparation import PreparationDialog

    ws = s.ensure_unlocked()
    assert ws.ctx is not None
    planned = [x for x in ws.ctx.repos.sessions.for_client(1) if x.status.value == "planned"]
    assert planned and planned[-1].id is not None
    dialog = PreparationDialog(ws.ctx, 1, planned[-1].id, s.window)
    dialog.resize(min(960, s.window.width() - 40), min(720, s.window.height() - 40))
    view = dialog.view
    if not view.checklist.items["stop_signal"].value:
        view.carry_over()
    dialog.show()
    return dialog


def shot_checklist(s: Shooter) -> QWidget:
    dialog = _preparation(s)
    view = dialog.view  # type: ignore[attr-defined]
    consent = view.rows["consent_signed"]
    if not consent.done.isChecked():
        from datetime import date

        from kapcompanion.core import wording

        shown = wording.short_date(date(2026, 11, 2))  # typed as the clinic writes dates
        consent.value.setText(shown)
        consent.value.textEdited.emit(shown)
        consent.done.click()
        view.rows["course_nonlinear"].done.click()
    return dialog


def shot_touch(s: Shooter) -> QWidget:
    dialog = _preparation(s)
    view = dialog.view  # type: ignore[attr-defined]
    editor = view.touch_editor
    view.scroll_area.ensureWidgetVisible(editor.parentWidget(), 0, 0)
    bar = view.scroll_area.verticalScrollBar()
    bar.setValue(editor.parentWidget().y() - 8)
    return dialog


def shot_templates(s: Shooter) -> QWidget:
    from kapcompanion.ui.template_editor import TemplateEditor

    ws = s.ensure_unlocked()
    editor = TemplateEditor(ws.ctx, s.window)
    editor.items.setCurrentRow(14)
    editor.show()
    return editor


SHOTS = [
    ("preparation-screening", shot_screening),
    ("preparation-intake", shot_intake),
    ("preparation-checklist", shot_checklist),
    ("preparation-touch", shot_touch),
    ("preparation-templates", shot_templates),
]
