"""Add, edit, archive and delete clients; the record's sections and their registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from kapcompanion.core.models import ClientStatus
from kapcompanion.store.errors import RecordNotFound
from kapcompanion.ui.client_dialog import ClientDialog, DeleteClientDialog
from kapcompanion.ui.client_record import (
    NOT_BUILT,
    STANDARD_SECTIONS,
    ClientRecord,
    SectionRegistry,
    default_registry,
    placeholder,
)
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.sections.overview import OverviewSection
from kapcompanion.ui.widgets.date_field import DateField
from kapcompanion.ui.widgets.status import EmptyState

AuditOf = Callable[..., list[tuple[str, str]]]


def close_and_audit(window: MainWindow, audit_of: AuditOf) -> list[str]:
    assert window.ctx is not None
    path: Path = window.ctx.vault.path
    window.close()
    return [a for a, _ in audit_of(path)]


def set_date_text(field: DateField, text: str) -> None:
    field.lineEdit().selectAll()
    QTest.keyClick(field.lineEdit(), Qt.Key.Key_Delete)
    QTest.keyClicks(field.lineEdit(), text)


def test_add_a_client_with_validation(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf
) -> None:
    ws = unlocked.workspace
    assert ws is not None
    QTest.keyClick(unlocked, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = ws.dialog
    assert isinstance(dialog, ClientDialog) and dialog.isVisible()
    assert dialog.windowTitle() == "New client"
    dialog.buttons.accepted.emit()  # Save with an empty form
    assert dialog.isVisible() and "needs a name or a pseudonym" in dialog.error.text()
    QTest.keyClicks(dialog.name, "Rosalind Franklin")
    assert "needs a name" not in dialog.error.text()  # gone as soon as a name is there
    QTest.keyClicks(dialog.dob, "07/25/1920")  # US order, under an en_GB locale
    assert dialog.error.text() == "Date of birth: write the date as DD/MM/YYYY or YYYY-MM-DD."
    dialog.save()
    assert dialog.error.messages == ("Date of birth: write the date as DD/MM/YYYY or YYYY-MM-DD.",)
    assert dialog.focusWidget() is dialog.dob
    set_date_text(dialog.dob, "2015-01-01")
    assert "adult clients only" in dialog.error.text()  # the store's own rule, in its words
    assert "write the date" not in dialog.error.text()  # the stale message went
    set_date_text(dialog.dob, "25/07/1920")  # the locale's own short date
    assert dialog.error.text() == ""
    QTest.keyClicks(dialog.email, "rosalind@")
    dialog.save()
    assert "email" in dialog.error.text()
    dialog.email.setText("rf@example.invalid")
    assert dialog.error.text() == ""
    dialog.indications.setText("depression, PTSD ,")
    dialog.emergency.name.setText("Jo Park")
    dialog.emergency.phone.setText("555-0100")
    assert dialog.save()
    assert ws.record is not None and ws.record.client.name == "Rosalind Franklin"
    client = ws.record.client
    assert client.indications == ["depression", "PTSD"]
    assert client.emergency_contact is not None and client.emergency_contact.name == "Jo Park"
    assert client.escort is None
    assert ws.clients.model.rowCount() == 4 and ws.clients.selected_id() == client.id
    actions = close_and_audit(unlocked, audit_of)
    assert actions.count("client.create") == 4 and actions[-2] == "client.view"


def test_edit_a_client(qtbot: QtBot, unlocked: MainWindow) -> None:
    ws = unlocked.workspace
    assert ws is not None
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    QTest.keyClick(unlocked, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = ws.dialog
    assert isinstance(dialog, ClientDialog) and dialog.name.text() == record.client.name
    assert not dialog.modified()
    dialog.pseudonym.setText("Kestrel")
    assert dialog.modified()
    assert dialog.save()
    assert record.client.pseudonym == "Kestrel" and "Pseudonym Kestrel" in record.summary.text()
    assert ws.clients.model.client_at(ws.clients.model.row_of(record.client_id) or 0).pseudonym == (
        "Kestrel"
    )


def test_archive_then_unarchive(unlocked: MainWindow, audit_of: AuditOf) -> None:
    ws = unlocked.workspace
    assert ws is not None
    cid = ws.clients.model.client_id(0)
    record = ws.open_client(cid)
    assert record is not None
    record.archive_button.click()
    assert record.client.status == ClientStatus.ARCHIVED and "ARCHIVED" in record.summary.text()
    assert ws.clients.model.row_of(cid) is None  # hidden from the active list
    ws.clients.archived.setChecked(True)
    assert ws.clients.model.row_of(cid) is not None
    assert record.archive_button.text().replace("&", "") == "Unarchive"
    record.archive_button.click()
    assert unlocked.ctx is not None
    assert unlocked.ctx.repos.clients.get(cid).status == ClientStatus.ACTIVE
    actions = close_and_audit(unlocked, audit_of)
    assert "client.archive" in actions and "client.unarchive" in actions


def test_delete_needs_the_typed_name(qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf) -> None:
    ws = unlocked.workspace
    assert ws is not None and unlocked.ctx is not None
    cid = ws.clients.model.client_id(0)
    name = ws.clients.model.client_at(0).name
    record = ws.open_client(cid)
    assert record is not None
    record.delete_button.click()
    dialog = ws.dialog
    assert isinstance(dialog, DeleteClientDialog)
    assert not dialog.delete_button.isEnabled()
    QTest.keyClicks(dialog.confirm, name[:-1])
    assert not dialog.delete_button.isEnabled()
    QTest.keyClicks(dialog.confirm, name[-1])
    assert dialog.delete_button.isEnabled()
    dialog.delete_button.click()
    assert ws.record is None and ws.clients.model.row_of(cid) is None
    with pytest.raises(RecordNotFound):
        unlocked.ctx.repos.clients.get(cid)
    assert "client.delete" in close_and_audit(unlocked, audit_of)


def test_every_view_of_a_record_is_audited(unlocked: MainWindow, audit_of: AuditOf) -> None:
    ws = unlocked.workspace
    assert ws is not None
    first, second = ws.clients.model.client_id(0), ws.clients.model.client_id(1)
    ws.open_client(first)
    ws.open_client(first)  # the same record still open: not a new view
    ws.open_client(second)
    ws.open_client(first)
    assert close_and_audit(unlocked, audit_of).count("client.view") == 3


def test_sections_placeholders_and_overview(qtbot: QtBot, unlocked: MainWindow) -> None:
    ws = unlocked.workspace
    assert ws is not None
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    titles = [record.tabs.tabText(i) for i in range(record.tabs.count())]
    assert titles == [title for _, title, _, _ in STANDARD_SECTIONS]
    assert isinstance(record.sections["overview"], OverviewSection)
    assert set(record.sections) == {"overview"}  # the others build when opened
    QTest.keyClick(unlocked, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert record.current_key() == "screening"
    assert not isinstance(record.sections["screening"], EmptyState)  # built since issue 4
    _key, title, body, how = STANDARD_SECTIONS[1]
    empty = placeholder(title, body, how)(record.ctx, record.client_id)
    qtbot.addWidget(empty)
    assert isinstance(empty, EmptyState)
    assert "contraindication" in empty.text() and NOT_BUILT in empty.text()
    assert "Start screening" in empty.text()
    overview = record.show_section("overview")
    texts = " ".join(w.text() for w in overview.findChildren(QLabel))
    assert record.client.name in texts and "No course yet" in texts


def test_registry_plugs_in_sections_without_editing_the_record(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    made: list[tuple[AppContext, int]] = []

    def sessions(ctx: AppContext, client_id: int) -> QWidget:
        made.append((ctx, client_id))
        return QLabel("the real sessions screen")

    def broken(ctx: AppContext, client_id: int) -> QWidget:
        raise RuntimeError("bug in a later screen")

    registry = default_registry()
    registry.register("sessions", sessions)
    registry.register("audit", broken, "Audit trail")
    assert registry.keys()[-1] == "audit" and registry.get("sessions") is not None
    assert registry.get("sessions").title == "Sessions"  # type: ignore[union-attr]
    assert unlocked.ctx is not None
    record = ClientRecord(unlocked.ctx, 1, registry, section="sessions")
    qtbot.addWidget(record)
    assert made == [(unlocked.ctx, 1)]
    sessions_widget = record.sections["sessions"]
    assert (
        isinstance(sessions_widget, QLabel) and sessions_widget.text() == "the real sessions screen"
    )
    with qtbot.captureExceptions() as errors:
        record.show_section("audit")
    failed = record.sections["audit"]
    assert isinstance(failed, EmptyState) and "could not be shown" in failed.text()
    assert [type(e[1]) for e in errors] == [RuntimeError]


def test_an_empty_registry_is_allowed(qtbot: QtBot, unlocked: MainWindow) -> None:
    registry = SectionRegistry()
    registry.register("overview", lambda ctx, cid: QLabel(f"client {cid}"), "Overview")
    assert unlocked.ctx is not None
    record = ClientRecord(unlocked.ctx, 2, registry)
    qtbot.addWidget(record)
    assert record.tabs.count() == 1
    record.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(record))


def test_section_buttons_wrap_and_all_stay_in_sight(qtbot: QtBot, unlocked: MainWindow) -> None:
    """Issue 22: on a narrow record every section's button is inside the record (wrapping
    to a second line), none behind scroll arrows; a click and Alt+n agree with it."""
    ws = unlocked.workspace
    assert ws is not None
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    bar = record.section_bar
    assert [b.text() for b in bar.buttons] == [t for _, t, _, _ in STANDARD_SECTIONS]
    assert not record.tabs.tabBar().isVisible()
    unlocked.resize(900, 600)
    ws.splitter.setSizes([380, 520])
    qtbot.waitUntil(lambda: record.width() <= 540)
    qtbot.wait(20)
    rows = {b.geometry().top() for b in bar.buttons}
    assert len(rows) >= 2  # wrapped
    for button in bar.buttons:
        assert button.isVisible() and bar.rect().contains(button.geometry()), button.text()
        assert button.geometry().right() <= record.width()
    bar.buttons[4].click()
    assert record.current_key() == "measures" and bar.buttons[4].isChecked()
    QTest.keyClick(unlocked, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert record.current_key() == "overview" and bar.buttons[0].isChecked()


def test_the_overview_names_indications_in_words(qtbot: QtBot, unlocked: MainWindow) -> None:
    """The identity box said "treatment_resistant_depression" under a header that said
    "Treatment-resistant depression": both use the indication's words now."""
    from dataclasses import replace

    from kapcompanion.core.intake import indication_label
    from kapcompanion.services.clients import save_client

    ws = unlocked.workspace
    assert ws is not None and unlocked.ctx is not None
    client_id = ws.clients.model.client_id(0)
    client = unlocked.ctx.repos.clients.get(client_id)
    save_client(unlocked.ctx.repos, replace(client, indications=["treatment_resistant_depression"]))
    record = ws.open_client(client_id)
    assert record is not None
    overview = record.show_section("overview")
    texts = [w.text() for w in overview.findChildren(QLabel)]
    words = indication_label("treatment_resistant_depression")
    assert words != "treatment_resistant_depression" and words in texts
    assert not any("treatment_resistant_depression" in t for t in texts)


def test_alt_and_a_number_moves_the_keyboard_into_the_section(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    """After Alt+2 the next keys belong to the screening, not to the client search that
    had focus (a walk-through typed Y/N answers into the search box)."""
    ws = unlocked.workspace
    assert ws is not None
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    ws.focus_search()
    qtbot.waitUntil(lambda: ws.clients.search.hasFocus())
    QTest.keyClick(unlocked, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    section = record.sections["screening"]

    def inside() -> bool:
        focus = unlocked.focusWidget()
        return focus is not None and (focus is section or section.isAncestorOf(focus))

    qtbot.waitUntil(inside)
    assert not ws.clients.search.hasFocus()
