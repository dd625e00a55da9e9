"""The client list: the table model without a view, then the panel with search and filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from kapcompanion.core.models import Client, ClientStatus
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.models.client_table import (
    CLIENT_ID_ROLE,
    SORT_NEXT_SESSION,
    ClientQuery,
    ClientTableModel,
    format_when,
)

SOON = datetime.now(UTC) + timedelta(days=2)
LATER = datetime.now(UTC) + timedelta(days=9)


def people() -> list[Client]:
    return [
        Client(
            name="Zoë Ångström", pseudonym="Birch", indications=["depression"], next_session=LATER
        ),
        Client(
            name="Mara Quinn",
            pseudonym="Heron",
            indications=["treatment_resistant_depression"],
            next_session=SOON,
        ),
        Client(name="Kenji Watanabe", pseudonym="Cedar", indications=["PTSD"]),
        Client(name="Old Case", indications=["anxiety"], status=ClientStatus.ARCHIVED),
    ]


def test_model_queries_without_a_view(open_vault: Callable[..., Vault]) -> None:
    vault = open_vault(people(), active_course_for=("Kenji Watanabe",))
    try:
        model = ClientTableModel(Repos(vault))
        model.refresh()
        assert model.rowCount() == 3 and model.columnCount() == 5
        names = [model.data(model.index(r, model.NAME)) for r in range(3)]
        assert names == ["Zoë Ångström", "Kenji Watanabe", "Mara Quinn"]  # by pseudonym
        model.set_query(ClientQuery(text="angst"))  # accents and case folded
        assert model.rowCount() == 1
        assert model.data(model.index(0, model.PSEUDONYM)) == "Birch"
        model.set_query(ClientQuery(text="resistant"))  # indication
        row = model.index(0, model.INDICATION)
        assert model.data(row) == "Treatment-resistant depression"  # the label, not the key
        assert model.data(row, CLIENT_ID_ROLE) == model.client_id(0)
        model.set_query(ClientQuery(active_course_only=True))
        assert [model.client_at(r).name for r in range(model.rowCount())] == ["Kenji Watanabe"]
        model.set_query(ClientQuery(sort=SORT_NEXT_SESSION))
        order = [model.client_at(r).name for r in range(model.rowCount())]
        assert order == ["Mara Quinn", "Zoë Ångström", "Kenji Watanabe"]  # unbooked last
        assert model.data(model.index(2, model.NEXT)) == "not booked"
        assert model.data(model.index(0, model.NEXT)) == format_when(SOON)
        model.set_query(ClientQuery(include_archived=True))
        shown = [model.client_at(r) for r in range(model.rowCount())]
        archived = model.row_of(next(c.id for c in shown if c.name == "Old Case") or 0)
        assert archived is not None
        assert model.data(model.index(archived, model.STATUS)) == "Archived"
        assert model.data(model.index(archived, 0), Qt.ItemDataRole.FontRole).italic()
        model.clear()
        assert model.rowCount() == 0
        model.refresh()  # after clear the model holds no repositories: stays empty
        assert model.rowCount() == 0
    finally:
        vault.close()


def test_format_when_is_local_and_short() -> None:
    when = datetime(2030, 5, 14, 8, 0, tzinfo=UTC)
    assert format_when(when, today=date(2030, 1, 1)).endswith(when.astimezone().strftime("%H:%M"))
    assert "2030" not in format_when(when, today=date(2030, 1, 1))
    assert "2030" in format_when(when, today=date(2029, 12, 31))
    assert format_when(None) == ""


def test_search_as_you_type_filters_and_sort(qtbot: QtBot, unlocked: MainWindow) -> None:
    ws = unlocked.workspace
    assert ws is not None
    panel = ws.clients
    assert panel.model.rowCount() == 3 and panel.count.text() == "3 clients"
    QTest.keyClick(unlocked, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search.hasFocus()
    QTest.keyClicks(panel.search, "hop")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=2000)
    assert panel.model.client_at(0).name == "Grace Hopper"
    QTest.keyClick(panel.search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=2000)
    QTest.keyClicks(panel.search, "alcohol")  # indication
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=2000)
    QTest.keyClick(panel.search, Qt.Key.Key_Return)  # opens the first match
    assert ws.record is not None and ws.record.client.name == "Alan Turing"

    panel.search.clear()
    QTest.keyClicks(panel.search, "nobody")
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.empty, timeout=2000)
    assert "No client matches" in panel.empty.text() and "Escape" in panel.empty.text()
    panel.search.clear()
    panel.active_only.setChecked(True)
    assert [panel.model.client_at(r).name for r in range(panel.model.rowCount())] == [
        "Grace Hopper"
    ]
    panel.active_only.setChecked(False)
    assert panel.table.isColumnHidden(ClientTableModel.STATUS)
    panel.archived.setChecked(True)
    assert not panel.table.isColumnHidden(ClientTableModel.STATUS)


def test_empty_vault_says_how_to_start(
    window_factory: Callable[..., MainWindow], open_vault: Callable[..., Vault]
) -> None:
    window = window_factory()
    ws = window.enter(open_vault())
    assert ws.clients.stack.currentWidget() is ws.clients.empty
    text = ws.clients.empty.text()
    assert "No clients yet" in text and "Ctrl+N" in text
    assert "Ctrl+N" in ws.nothing.text()  # the record side explains itself too


def test_keyboard_path_into_a_record(qtbot: QtBot, unlocked: MainWindow) -> None:
    ws = unlocked.workspace
    assert ws is not None
    panel = ws.clients
    panel.focus_search()
    QTest.keyClick(panel.search, Qt.Key.Key_Down)
    assert panel.table.hasFocus() and panel.table.currentIndex().row() == 0
    QTest.keyClick(panel.table, Qt.Key.Key_Down)
    assert ws.record is None  # moving through the list opens (and audits) nothing
    QTest.keyClick(panel.table, Qt.Key.Key_Return)
    assert ws.record is not None and ws.record.client_id == panel.model.client_id(1)
