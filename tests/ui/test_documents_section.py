"""The Documents section and the overview's unsigned list: ordering, signing, addenda."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from records_support import SIGNER, records_template, records_window  # noqa: F401
from support import PASSPHRASE

from kapcompanion.core.models import SessionStatus, StoredDocument
from kapcompanion.ui.client_record import ClientRecord
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.sections.documents import DocumentsSection
from kapcompanion.ui.sections.overview import OverviewSection
from kapcompanion.ui.widgets.unsigned_panel import SHOWN, UnsignedPanel

CLIENT = 1
SHIFT_CTRL = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier


def open_record(window: Any, section: str) -> tuple[AppContext, ClientRecord]:
    ws = window.workspace
    assert ws is not None and window.ctx is not None
    record = ws.open_client(CLIENT, section=section)
    assert record is not None
    return window.ctx, record


def texts(widget: Any) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


def test_unsigned_records_oldest_first(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    ctx, record = open_record(records_window, "documents")
    # a note written now is the newest unsigned record
    late = ctx.repos.documents.save(
        StoredDocument(kind="safety_plan", client_id=CLIENT, data={"text": "Call Jo."})
    )
    section = record.sections["documents"]
    assert isinstance(section, DocumentsSection)
    section.refresh()
    drafts = {(d.kind, d.id) for d in ctx.repos.documents.unsigned(CLIENT)}
    ended = {
        ("session", s.id)
        for s in ctx.repos.sessions.for_client(CLIENT)
        if s.status is SessionStatus.ENDED and s.signed_utc is None
    }
    keys = [ref.key for ref in section.unsigned]
    assert set(keys) == drafts | ended and len(keys) == len(drafts | ended)
    shown = texts(section.unsigned_list)
    assert len(shown) == len(keys)
    # the screening (three weeks before the course) is the oldest, then the intake (a week
    # before), then the session that ended days ago; the safety plan written just now comes
    # last; the course plan is never listed
    assert shown[0].startswith("Screening · ")
    sessions = [k for k in keys if k[0] == "session"]
    assert sessions and shown[keys.index(sessions[0])].startswith("Session 2 record · ")
    assert keys.index(("screening", 1)) < keys.index(("intake", 2)) < keys.index(sessions[0])
    assert keys[-1] == ("safety_plan", late.id)
    # course plans and measure responses are records, not notes to sign
    for kind in ("course_plan", "measure"):
        stored = ctx.repos.documents.find(kind, client_id=CLIENT)
        assert stored and not any(d.signed for d in stored)
        assert not any(k[0] == kind for k in keys)
    assert section.unsigned_heading.text() == f"Waiting for signature ({len(keys)})"


def test_sign_from_the_section(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    _ctx, record = open_record(records_window, "documents")
    section = record.sections["documents"]
    assert isinstance(section, DocumentsSection)
    session = next(r for r in section.unsigned if r.is_session)
    before = len(section.unsigned)
    assert section.select_record(*session.key)
    assert section.sign_button.isVisibleTo(section)
    assert section.addenda is not None and not section.addenda.add_button.isEnabled()
    dialog = section.sign_current()
    assert dialog is not None
    QTest.keyClicks(dialog.credential.edit, PASSPHRASE)
    dialog.sign_button.click()
    qtbot.waitUntil(lambda: len(section.unsigned) == before - 1)
    assert session.key in [r.key for r in section.signed]
    assert section.current is not None and section.current.key == session.key
    assert section.current.signed and not section.sign_button.isVisibleTo(section)
    assert section.signed_list.currentItem() is not None
    assert section.addenda is not None
    assert section.addenda.signature.text().startswith(f"Signed by {SIGNER}")
    assert section.addenda.add_button.isEnabled()


def test_signed_records_show_their_addenda(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    _ctx, record = open_record(records_window, "documents")
    section = record.sections["documents"]
    assert isinstance(section, DocumentsSection)
    shown = texts(section.signed_list)
    assert any(t.startswith("Session 1 record") and t.endswith("— 1 addendum") for t in shown)
    assert any(t.startswith("Preparation checklist, session 1") for t in shown)
    section.select_record("session", section.signed[-1].record_id)
    assert section.addenda is not None
    dialog = section.addenda.open_add()
    assert dialog is not None
    QTest.keyClicks(dialog.text, "Second thought, added later.")
    assert dialog.add()
    qtbot.waitUntil(
        lambda: any(t.endswith("— 2 addenda") for t in texts(section.signed_list)), timeout=2000
    )


def test_session_export_menu_lists_sessions_that_took_place(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    _ctx, record = open_record(records_window, "documents")
    section = record.sections["documents"]
    assert isinstance(section, DocumentsSection)
    labels = [a.text() for a in section.session_menu.actions()]
    assert len(labels) == 2
    assert labels[0].startswith("Session 1 · ") and labels[0].endswith("(signed)")
    assert labels[1].startswith("Session 2 · ") and labels[1].endswith("(ended)")
    assert section.session_button.isEnabled()


def test_overview_lists_unsigned_and_opens_documents(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    _ctx, record = open_record(records_window, "overview")
    overview = record.sections["overview"]
    assert isinstance(overview, OverviewSection)
    panel = overview.findChild(UnsignedPanel)
    assert panel is not None and panel.isVisible()
    assert len(panel.refs) > SHOWN
    assert texts(panel.list) == [r.label() for r in panel.refs[:SHOWN]]
    assert panel.more.text() == f"and {len(panel.refs) - SHOWN} more in Documents"
    second = panel.refs[1]
    panel.list.setCurrentRow(1)
    panel.list.itemActivated.emit(panel.list.item(1))
    assert record.current_key() == "documents"
    section = record.sections["documents"]
    assert isinstance(section, DocumentsSection)
    assert section.current is not None and section.current.key == second.key


def test_keyboard_path_to_signing(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    _ctx, record = open_record(records_window, "documents")
    section = record.sections["documents"]
    assert isinstance(section, DocumentsSection)
    section.unsigned_list.setFocus()
    section.unsigned_list.setCurrentRow(0)
    QTest.keyClick(section.unsigned_list, Qt.Key.Key_Down)
    assert section.current is not None and section.current.key == section.unsigned[1].key
    QTest.keyClick(section.unsigned_list, Qt.Key.Key_Return)
    dialog = section.sign_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.ref.key == section.unsigned[1].key
    assert dialog.focusWidget() is dialog.credential.edit
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    QTest.keyClick(section, Qt.Key.Key_S, SHIFT_CTRL)
    again = section.sign_dialog
    assert again is not None and again is not dialog and again.isVisible()


def test_empty_states_say_what_will_be_here(qtbot: QtBot, unlocked: Any) -> None:
    ws = unlocked.workspace
    record = ws.open_client(ws.clients.model.client_id(0), section="documents")
    section = record.sections["documents"]
    assert isinstance(section, DocumentsSection)
    assert section.unsigned == [] and section.signed == []
    assert section.unsigned_empty.isVisibleTo(section) and section.signed_empty.isVisibleTo(section)
    assert not section.unsigned_list.isVisibleTo(section)
    assert "ended sessions appear here" in section.unsigned_empty.text()
    assert not section.session_button.isEnabled()
    assert "No session has taken place" in section.session_button.toolTip()
    assert section.course_button.isEnabled()  # a summary of an empty course is still valid
    assert section.detail_hint.isVisibleTo(section) and section.sign_current() is None
    panel = record.show_section("overview").findChild(UnsignedPanel)
    assert panel is not None and panel.empty.isVisibleTo(panel)
    assert not panel.open_button.isVisibleTo(panel)
