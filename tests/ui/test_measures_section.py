"""The Measures section on demo data: due forms, history, the progress chart and its words,
the clinic's schedule (stored and audited), and the screens' names and fit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kapcompanion.core.measures import MeasureContext, instrument, progress
from kapcompanion.core.models import SessionStatus
from kapcompanion.demo import fill_demo
from kapcompanion.services.measures import load_schedule, responses
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.measure_form import MeasureFormDialog
from kapcompanion.ui.sections.measures import MeasuresSection
from kapcompanion.ui.theme import DIM, apply_theme

AuditOf = Callable[..., list[tuple[str, str]]]
WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def demo_window(
    qtbot: QtBot, window_factory: WindowFactory, open_vault: Callable[..., Vault]
) -> MainWindow:
    vault = open_vault()
    fill_demo(Repos(vault), clients=1, sessions_per_client=4, events_per_session=3)
    window = window_factory()
    window.show()
    window.enter(vault, demo=True)
    return window


def open_measures(window: MainWindow) -> MeasuresSection:
    ws = window.workspace
    assert ws is not None
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    section = record.show_section("measures")
    assert isinstance(section, MeasuresSection)
    return section


def test_progress_view_charts_scores_sessions_and_words(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    section = open_measures(demo_window)
    assert demo_window.ctx is not None
    repos = demo_window.ctx.repos
    cid = section.client_id
    phq = [s.response for s in responses(repos, cid) if s.response.instrument_id == "phq9"]
    assert len(phq) == 4
    assert section.chart_instrument.currentData() == "phq9"
    assert [section.chart_instrument.itemData(i) for i in range(2)] == ["phq9", "gad7"]
    # every scored form is a point; the baseline is ringed; the sessions are marked
    assert [p[1] for p in section.chart.points] == [r.score for r in phq]
    assert [p[2] for p in section.chart.points] == [True, False, False, False]
    ended = [s for s in repos.sessions.for_client(cid) if s.status is SessionStatus.ENDED]
    assert [m.label for m in section.chart.sessions] == [f"S{s.number}" for s in ended]
    expected = progress(phq, instrument("phq9"))
    assert section.words.text() == expected.words
    assert section.words.text().startswith("PHQ-9 went from")
    assert "Response (a drop of 50% or more from baseline)" in section.words.text()
    assert section.chart.accessibleDescription() == expected.words
    baseline = phq[0].score or 0
    assert section.chart.response_at == pytest.approx(baseline / 2)
    image = section.chart.grab()  # paints without error in both themes
    assert not image.isNull()
    section.chart_instrument.setCurrentIndex(1)
    assert section.words.text().startswith("GAD-7 went from")
    # the history lists every form, newest first
    assert section.table.rowCount() == 8 and not section.table.isHidden()
    newest = section.table.item(0, 1)
    assert newest is not None and newest.text() in ("PHQ-9", "GAD-7")
    details = section.show_response(section.table.rowCount() - 1)
    assert details is not None and "Score:" in details.text.toPlainText()
    details.close()


def test_due_rows_take_the_right_forms(qtbot: QtBot, demo_window: MainWindow) -> None:
    section = open_measures(demo_window)
    labels = [g.label for g in section.due]
    # the demo has PHQ-9 and GAD-7 at baseline; PCL-5 and AAQ-II are still due, and the next
    # planned session has none of its forms yet
    assert labels[0] == "Baseline (at intake)" and section.due[0].names() == "PCL-5, AAQ-II"
    assert labels[1].startswith("Before session 5")
    dialog = section.take(section.due[1])
    assert isinstance(dialog, MeasureFormDialog)
    assert dialog.current_context() is MeasureContext.PRE_SESSION
    assert dialog.instrument.currentData() == "phq9" and "(due)" in dialog.instrument.currentText()
    assert "session 5" in dialog.session_note.text()
    for row, value in zip(dialog.rows, [1, 1, 0, 1, 0, 0, 1, 0, 0], strict=True):
        row.set_value(value)
    assert dialog.save()
    # stored against the planned session, and no longer due
    qtbot.waitUntil(lambda: "PHQ-9" not in section.due[1].names())
    assert section.due[1].names() == "GAD-7"
    assert section.words.text().startswith("PHQ-9 went from")
    assert " to 4 (minimal) on " in section.words.text()
    assert "Remission (a score below 5): yes." in section.words.text()
    assert dialog.doc is not None and dialog.doc.session_id == section.due[1].session_id


def test_schedule_is_clinic_wide_and_audited(
    qtbot: QtBot, demo_window: MainWindow, audit_of: AuditOf
) -> None:
    section = open_measures(demo_window)
    dialog = section.edit_schedule()
    dialog.boxes[("pcl5", MeasureContext.BASELINE)].setChecked(False)
    dialog.boxes[("aaq2", MeasureContext.BASELINE)].setChecked(False)
    dialog.boxes[("craving10", MeasureContext.PRE_SESSION)].setChecked(True)
    assert dialog.save()
    assert demo_window.ctx is not None
    stored = load_schedule(demo_window.ctx.vault)
    assert stored.baseline == ["phq9", "gad7"]
    assert stored.pre_session == ["phq9", "gad7", "craving10"]
    assert section.due[0].label.startswith("Before session")  # baseline complete now
    assert "Craving 0-10" in section.due[0].names()
    path: Path = demo_window.ctx.vault.path
    demo_window.close()
    (detail,) = [d for a, d in audit_of(path) if a == "measure_schedule.update"]
    assert "pre_session: phq9,gad7,craving10" in detail


@pytest.mark.parametrize("theme", ["light", DIM])
def test_screens_have_names_and_fit(qtbot: QtBot, demo_window: MainWindow, theme: str) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    section = open_measures(demo_window)
    demo_window.resize(1366, 768)
    qtbot.wait(30)
    dialog = section.take()
    qtbot.wait(30)
    for root in (section, dialog):
        unnamed = [
            type(w).__name__
            for w in root.findChildren(QWidget)
            if isinstance(w, QLineEdit | QComboBox | QAbstractButton)
            and w.isVisible()
            and not w.accessibleName()
            and not (isinstance(w, QAbstractButton) and w.text().replace("&", "").strip())
            and not isinstance(w.parentWidget(), QComboBox | QAbstractSpinBox)
        ]
        assert unnamed == []
        cut = [
            w.text()
            for w in root.findChildren(QLabel)
            if w.isVisible() and w.wordWrap() and w.height() < w.heightForWidth(w.width()) - 1
        ]
        assert cut == []
    assert dialog.width() <= 1366 and dialog.height() <= 768
    dialog.close()
