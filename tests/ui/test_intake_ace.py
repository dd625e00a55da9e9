"""The intake's ACE block on a real vault: 4 or more "yes" answers carry the mark at once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.sections.screening import ScreeningSection


def test_ace_4_or_more_is_marked_as_the_answers_are_given(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    ws = unlocked.workspace
    assert ws is not None
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    QTest.keyClick(unlocked, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    section = record.sections["screening"]
    assert isinstance(section, ScreeningSection)
    qtbot.waitUntil(section.isVisible)
    section.tabs.setCurrentIndex(1)
    intake = section.intake
    for row in intake.ace_rows[:3]:
        row.setFocus()
        QTest.keyClicks(row, "y")
    assert "4 or more" not in intake.ace_score.text()
    intake.ace_rows[3].setFocus()
    QTest.keyClicks(intake.ace_rows[3], "y")
    text = intake.ace_score.text()
    assert text.startswith("ACE score so far: 4 (4 of 10 answered")
    assert "\u26a0 4 or more: the CDC-Kaiser ACE study associates this" in text
    for row in intake.ace_rows[4:]:
        row.setFocus()
        QTest.keyClicks(row, "n")
    assert intake.ace_score.text().startswith("ACE score: 4 of 10. \u26a0 4 or more")
    assert intake.intake().ace_answers == [True] * 4 + [False] * 6
