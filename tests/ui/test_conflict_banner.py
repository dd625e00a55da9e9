"""Two editors of the same intake in one app (the record's section and a second window): the
second autosave is refused, the strip offers keep mine / theirs / both, nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from kapcompanion.core import serial
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.intake import Intake
from kapcompanion.core.integration import IntegrationEntry
from kapcompanion.core.serial import load
from kapcompanion.services.preparation import checklist_document
from kapcompanion.services.records import load_ref
from kapcompanion.services.screening import current_intake, save_intake
from kapcompanion.services.session import plan_session
from kapcompanion.ui.addenda import AddendumDialog
from kapcompanion.ui.integration_editor import IntegrationEditor
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.preparation import PreparationView
from kapcompanion.ui.prompt_editor import load_clinic_prompts
from kapcompanion.ui.sections.integration import IntegrationSection
from kapcompanion.ui.sections.screening import ScreeningSection

THEIRS = "Client prefers morning sessions."
MINE = "Escort is her sister, who drives."


def _two_editors(
    qtbot: QtBot, window: MainWindow
) -> tuple[ScreeningSection, ScreeningSection, int]:
    ctx = window.ctx
    assert ctx is not None
    client_id = ctx.repos.clients.search("Ada")[0].id
    assert client_id is not None
    save_intake(ctx.repos, client_id, None, Intake(notes="First visit."))
    first = ScreeningSection(ctx, client_id)
    second = ScreeningSection(ctx, client_id)
    for section in (first, second):
        qtbot.addWidget(section)
        section.resize(1366, 768)
        section.tabs.setCurrentIndex(1)
        section.show()
    return first, second, client_id


def _type_notes(section: ScreeningSection, text: str) -> None:
    notes = section.intake.notes
    notes.setFocus()
    notes.selectAll()
    QTest.keyClicks(notes, text)


def test_the_second_save_shows_the_strip_and_keep_both_keeps_both(
    qtbot: QtBot, unlocked: MainWindow, audit_of: Callable[..., list[tuple[str, str]]]
) -> None:
    first, second, client_id = _two_editors(qtbot, unlocked)
    _type_notes(first, THEIRS)
    _type_notes(second, MINE)
    assert first.flush()
    assert not second.flush()  # refused: the intake changed since this editor loaded it

    banner = second.intake_conflict
    assert banner.isVisible() and not first.intake_conflict.isVisible()
    assert banner.title.text().startswith("Changed elsewhere at ")
    assert second.intake.notes.toPlainText() == MINE  # the editor keeps its text
    assert second.status.text() == "Not saved here: both versions are kept until you choose"
    ctx = unlocked.ctx
    assert ctx is not None
    doc, stored = current_intake(ctx.repos, client_id)
    assert stored.notes == THEIRS and doc is not None and doc.revision == 2

    # while the strip waits, typing goes on and no timer saves (nor piles up conflicts)
    QTest.keyClicks(second.intake.notes, " She stays nearby.")
    qtbot.wait(1000)
    assert len(ctx.repos.documents.conflicts(document_id=doc.id)) == 1

    # keyboard: the buttons take Tab focus; Space on "Keep both"
    keep_both = banner.buttons["both"]
    assert keep_both.focusPolicy() & Qt.FocusPolicy.TabFocus
    keep_both.setFocus()
    QTest.keyClick(keep_both, Qt.Key.Key_Space)

    assert not banner.isVisible() and second.intake_saver.conflict is None
    doc, stored = current_intake(ctx.repos, client_id)
    assert doc is not None and doc.revision == 3
    above, line, below = stored.notes.split("\n\n")
    assert above == THEIRS and below == MINE + " She stays nearby."
    assert line.startswith("\u2500\u2500\u2500 both versions kept")
    assert second.intake.notes.toPlainText() == stored.notes  # the form shows what is kept
    assert second.status.text().startswith("Kept both versions")

    # the second editor saves as usual again; the first is the stale one now
    _type_notes(second, "Settled.")
    assert second.flush()
    _type_notes(first, "From the first window.")
    assert not first.flush() and first.intake_conflict.isVisible()
    first.intake_conflict.buttons["theirs"].click()
    assert first.intake.notes.toPlainText() == "Settled."
    assert ctx.repos.vault.check().ok

    path: Path = ctx.repos.vault.path
    for section in (first, second):
        section.close()
    unlocked.close()
    actions = [a for a, _d in audit_of(path) if "conflict" in a]
    assert actions == [
        "document.conflict",
        "document.conflict_resolved",
        "document.conflict",
        "document.conflict_resolved",
    ]
    details = [json.loads(d) for a, d in audit_of(path) if a == "document.conflict_resolved"]
    assert [d["choice"] for d in details] == ["both", "theirs"]


def test_keep_mine_and_keep_theirs_from_the_strip(qtbot: QtBot, unlocked: MainWindow) -> None:
    first, second, client_id = _two_editors(qtbot, unlocked)
    ctx = unlocked.ctx
    assert ctx is not None
    _type_notes(first, THEIRS)
    _type_notes(second, MINE)
    assert first.flush() and not second.flush()
    second.intake_conflict.buttons["mine"].click()
    assert load(Intake, ctx.repos.documents.get(second.intake_doc.id or 0).data).notes == MINE  # type: ignore[union-attr]
    assert not second.intake_conflict.isVisible()
    # the first editor's save is refused in turn; it keeps the stored one (the second's)
    _type_notes(first, "Another try.")
    assert not first.flush()
    first.intake_conflict.buttons["theirs"].click()
    assert first.intake.notes.toPlainText() == MINE
    _doc, stored = current_intake(ctx.repos, client_id)
    assert stored.notes == MINE
    kept = [c.mine for c in ctx.repos.documents.conflicts(document_id=_doc.id)]  # type: ignore[union-attr]
    assert [load(Intake, m).notes for m in kept] == [MINE, "Another try."]


def test_two_editors_of_one_integration_entry(qtbot: QtBot, unlocked: MainWindow) -> None:
    ws = unlocked.workspace
    ctx = unlocked.ctx
    assert ws is not None and ctx is not None
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    section = record.show_section("integration")
    assert isinstance(section, IntegrationSection)
    first = section.new_entry()
    QTest.keyClicks(first.free_text, "Felt held by the music.")
    assert first.flush() and first.doc is not None
    prompts, retired = load_clinic_prompts(ctx.vault)
    second = IntegrationEditor(ctx, section.client_id, prompts, retired)
    qtbot.addWidget(second)
    second.load(ctx.repos.documents.get(first.doc.id or 0))
    second.free_text.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClicks(second.free_text, " The fear softened.")
    assert second.flush()
    QTest.keyClicks(first.free_text, " Then I slept.")
    assert not first.flush()
    assert first.conflict_banner.title.text().startswith("Changed elsewhere at ")
    assert first.free_text.toPlainText() == "Felt held by the music. Then I slept."
    first.conflict_banner.buttons["both"].click()
    kept = serial.load(IntegrationEntry, ctx.repos.documents.get(first.doc.id or 0).data)
    above, _line, below = kept.free_text.split("\n\n")
    assert (above, below) == (
        "Felt held by the music. The fear softened.",
        "Felt held by the music. Then I slept.",
    )
    assert first.free_text.toPlainText() == kept.free_text
    assert not first.conflict_banner.isVisible() and first.doc.revision == 3
    assert ctx.repos.vault.check().ok


def test_one_addendum_draft_in_two_windows(qtbot: QtBot, unlocked: MainWindow) -> None:
    ctx = unlocked.ctx
    assert ctx is not None
    client_id = ctx.repos.clients.search("Ada")[0].id
    assert client_id is not None
    doc = save_intake(ctx.repos, client_id, None, Intake(notes="Signed intake."))
    ctx.repos.documents.sign(doc.id or 0, "Dr Test")
    ref = load_ref(ctx.repos, "intake", doc.id or 0)
    first, second = AddendumDialog(ctx, ref), AddendumDialog(ctx, ref)
    for dialog in (first, second):
        qtbot.addWidget(dialog)
    QTest.keyClicks(first.text, "Phoned on day 3.")
    assert first.autosaver.flush()
    QTest.keyClicks(second.text, "Sleeping well.")
    assert not second.autosaver.flush()  # the draft changed since this window read it
    assert not second.conflict_banner.isHidden()
    assert ctx.vault.get_json(f"draft.addendum.intake.{doc.id}") == "Phoned on day 3."
    second.conflict_banner.buttons["both"].click()
    kept = ctx.vault.get_json(f"draft.addendum.intake.{doc.id}")
    assert kept.startswith("Phoned on day 3.\n\n") and kept.endswith("\n\nSleeping well.")
    assert second.text.toPlainText() == kept and second.conflict_banner.isHidden()
    assert second.add()
    assert [a.text for a in ctx.repos.addenda.for_record("intake", doc.id or 0)] == [kept]
    actions = [r.action for r in ctx.vault.audit_entries() if "conflict" in r.action]
    assert actions == ["draft.conflict_resolved", "draft.conflict"]  # newest first


def test_one_checklist_in_two_windows(qtbot: QtBot, unlocked: MainWindow) -> None:
    ctx = unlocked.ctx
    assert ctx is not None
    plan = DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5, lot="L1")
    sid = plan_session(ctx.repos, 1, plan).id
    assert sid is not None
    first = PreparationView(ctx, 1, sid)
    qtbot.addWidget(first)
    first.autosaver.touch()
    assert first.autosaver.flush() and first.doc is not None  # the checklist exists now
    second = PreparationView(ctx, 1, sid)
    qtbot.addWidget(second)
    for view, words in ((second, "Raise the left hand"), (first, "Say the word 'pause'")):
        edit = view.rows["stop_signal"].text
        assert edit is not None
        QTest.keyClicks(edit, words)
    assert second.autosaver.flush()
    assert not first.autosaver.flush() and not first.conflict_banner.isHidden()
    first.conflict_banner.buttons["theirs"].click()
    assert first.conflict_banner.isHidden()
    shown = first.rows["stop_signal"].text
    assert shown is not None and shown.toPlainText() == "Raise the left hand"
    doc = checklist_document(ctx.repos, sid)
    assert doc is not None and doc.revision == 2
    [kept] = ctx.repos.documents.conflicts(document_id=doc.id)
    assert kept.resolution == "theirs" and "Say the word 'pause'" in json.dumps(kept.mine)
