"""The audit trail: its table model (without a view), filters, chain status, CSV export."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot
from records_support import records_template, records_window  # noqa: F401

from kapcompanion.store.audit import AuditRow, ChainReport
from kapcompanion.store.vault import CHECK_STEPS
from kapcompanion.ui.audit_view import AuditView
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.models.audit_table import (
    AFTER_BREAK,
    BROKEN,
    COLUMNS,
    UNCHECKED,
    VERIFIED,
    AuditTableModel,
)


def row(n: int, client: int | None = 1, detail: str = "", action: str = "client.view") -> AuditRow:
    return AuditRow(
        n, f"2025-03-0{n}T09:30:00.000000+00:00", "Dr A", action, "client", client, client,
        detail, "p", "h",
    )  # fmt: skip


def test_model_without_a_view() -> None:
    model = AuditTableModel()
    rows = [row(4, detail="=2+2"), row(3, client=9), row(2, client=None), row(1)]
    model.set_rows(rows, {1: "Ada Lovelace"})
    assert model.rowCount() == 4 and model.columnCount() == len(COLUMNS)
    assert model.rowCount(model.index(0, 0)) == 0  # a flat table
    cell = model.index(0, COLUMNS.index("Client"))
    assert model.data(cell) == "Ada Lovelace"
    assert model.data(model.index(1, COLUMNS.index("Client"))) == "client 9 (deleted)"
    assert model.data(model.index(2, COLUMNS.index("Client"))) == ""
    assert model.data(model.index(0, COLUMNS.index("Record"))) == "client 1"
    from datetime import UTC, datetime

    from kapcompanion.core import wording

    at = datetime(2025, 3, 4, 9, 30, tzinfo=UTC).astimezone()
    assert model.data(model.index(0, COLUMNS.index("When"))) == wording.date_time(at)
    assert model.data(model.index(0, COLUMNS.index("Action"))) == "Client viewed"
    tip = model.data(model.index(0, COLUMNS.index("Action")), Qt.ItemDataRole.ToolTipRole)
    assert tip == "Client viewed (as kept in the trail: client.view)"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.UserRole) == 4
    assert model.data(QModelIndex()) is None
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Action"
    assert (
        model.data(model.index(0, COLUMNS.index("Chain"))) == UNCHECKED
    )  # before the check has run

    model.set_report(ChainReport(True, 4))
    assert [model.chain_state(r) for r in rows] == [VERIFIED] * 4
    model.set_report(ChainReport(False, 3, 3, "audit row 3 was altered"))
    assert [model.chain_state(r) for r in rows] == [AFTER_BREAK, BROKEN, VERIFIED, VERIFIED]
    broken = model.index(1, 3)
    assert model.data(broken, Qt.ItemDataRole.FontRole).bold()
    assert model.data(broken, Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(3, 3), Qt.ItemDataRole.ForegroundRole) is None
    assert model.row_of_id(3) == 1 and model.row_of_id(99) is None

    assert model.csv_header()[:2] == ["id", "utc"]
    first = model.csv_rows()[0]
    assert first[0] == 4 and first[1] == "2025-03-04T09:30:00.000000+00:00"
    assert first[9] == "=2+2"  # neutralised when written, not in the model
    assert model.csv_rows()[2][7] == ""  # no client


def ctx_of(window: Any) -> AppContext:
    ctx = window.ctx
    assert isinstance(ctx, AppContext)
    return ctx


def open_view(qtbot: QtBot, window: Any) -> AuditView:
    view = AuditView(ctx_of(window), window.workspace)
    view.show()
    assert view.check_task is not None
    qtbot.waitUntil(lambda: view.check_task is not None and view.check_task.done, timeout=10_000)
    return view


def shown(view: AuditView) -> list[AuditRow]:
    return list(view.model.rows)


def test_filters_and_chain_status(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    ctx = ctx_of(records_window)
    total = int(ctx.vault.read("SELECT count(*) FROM audit")[0][0])
    view = open_view(qtbot, records_window)
    assert len(shown(view)) == total
    assert [r.id for r in shown(view)] == sorted((r.id for r in shown(view)), reverse=True)
    assert view.chain.text().startswith(f"Chain intact: all {total} entries verified")
    assert not view.broken_button.isVisibleTo(view)

    view.client.setCurrentIndex(view.client.findData(2))
    rows = shown(view)
    assert rows and all(r.client_id == 2 for r in rows)
    assert len(rows) == ctx.vault.read("SELECT count(*) FROM audit WHERE client_id = 2")[0][0]
    view.action.setCurrentIndex(view.action.findData("session.sign"))
    assert [r.action for r in shown(view)] == ["session.sign"]
    assert view.count.text() == "1 entry shown, newest first."

    view.reset_filters()
    assert len(shown(view)) == total
    today = date.today()
    view.set_filters(since=today - timedelta(days=1), until=today + timedelta(days=1))
    assert len(shown(view)) == total  # every entry was written today
    view.set_filters(until=today - timedelta(days=1))
    assert shown(view) == [] and "No entries match" in view.count.text()
    view.set_filters(since=today + timedelta(days=1))
    assert shown(view) == []
    view.close()


def test_csv_export_is_formula_safe_and_audited(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    ctx = ctx_of(records_window)
    ctx.vault.audit("note.import", record_type="note", client_id=1, detail="=HYPERLINK(1)")
    ctx.vault.audit("note.import", record_type="note", client_id=1, detail="@SUM(A1)")
    view = open_view(qtbot, records_window)
    view.set_filters(client_id=1)
    expected = len(shown(view))
    dialog = view.choose_csv()
    assert dialog.selectedFiles()[0].endswith(".csv")
    target = tmp_path / "trail"
    dialog.selectFile(str(target))
    dialog.accept()
    written = tmp_path / "trail.csv"
    qtbot.waitUntil(written.is_file)
    with written.open(encoding="utf-8-sig", newline="") as f:
        back = list(csv.reader(f))
    assert back[0] == view.model.csv_header()
    assert len(back) == expected + 1
    details = [r[9] for r in back[1:]]
    assert "'=HYPERLINK(1)" in details and "'@SUM(A1)" in details
    assert all(r[7] == "1" for r in back[1:])  # the client filter applied
    assert {r[10] for r in back[1:]} == {VERIFIED}
    last = ctx.vault.read("SELECT action, detail, client_id FROM audit ORDER BY id DESC LIMIT 1")
    assert last == [("export.audit_csv", f"{expected} entries; client_id=1", 1)]
    assert view.status.text() == f"Exported {expected} entries to trail.csv."
    view.close()


def test_a_tampered_entry_shows_as_broken(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    ctx = ctx_of(records_window)
    ctx.vault.conn.execute("UPDATE audit SET detail = 'x' WHERE id = 5")  # tamper
    view = open_view(qtbot, records_window)
    assert view.chain.text().startswith("BROKEN at entry #5: audit row 5 was altered")
    assert view.chain.property("role") == "error"
    assert view.broken_button.isVisibleTo(view)
    states = {r.id: view.model.chain_state(r) for r in shown(view)}
    assert states[5] == BROKEN and states[4] == VERIFIED and states[6] == AFTER_BREAK
    view.set_filters(client_id=2)  # hides entry 5
    assert view.model.row_of_id(5) is None
    assert view.show_broken()
    selected = view.table.selectionModel().selectedRows()
    assert [view.model.data(i, Qt.ItemDataRole.UserRole) for i in selected] == [5]
    view.close()


def test_menu_shortcut_opens_the_view(qtbot: QtBot, records_window: Any) -> None:  # noqa: F811
    action = records_window.actions_["audit"]
    assert action.shortcut() == QKeySequence("Ctrl+Shift+A") and action.isEnabled()
    action.trigger()
    views = records_window.workspace.findChildren(AuditView)
    assert len(views) == 1 and views[0].isVisible()
    records_window.lock()
    assert not records_window.actions_["audit"].isEnabled()


def test_the_whole_vault_check_runs_off_the_gui_thread_with_progress(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    view = open_view(qtbot, records_window)
    task = view.check_whole()
    assert view.whole_progress is not None and not view.whole_button.isEnabled()
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    assert view.whole_button.isEnabled() and view.whole_progress is None
    assert view.whole_steps == list(CHECK_STEPS)  # each step named in the dialog, in order
    assert view.status.text().startswith("Whole vault checked:"), view.status.text()
    assert view.status.property("role") == "ok"
    # an event edited behind the app's back: the check names it
    ctx.vault.conn.execute('UPDATE events SET payload = \'{"text": "edited"}\' WHERE id = 1')
    task = view.check_whole()
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    assert view.status.property("role") == "error"
    assert "event 1 differs from what was recorded" in view.status.text(), view.status.text()
    view.close()


def test_time_who_and_action_are_never_cut_on_a_small_screen(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    """At 1366x768 and 150 % the dialog is about 890 points wide: the time, who and the
    action's words stay whole (the longest action anywhere in the trail, not only on screen);
    the record column gives way, the client and the detail are cut with their whole text in
    the tooltip and in the line below; nothing scrolls sideways. A wide window shows all."""
    ctx = ctx_of(records_window)
    long_name = "Dr Alex Morgan (DEMO)"  # the demo's practitioner, on one entry off screen
    ctx.vault.audit("session.dose_not_drawn", record_type="session", record_id=1, client_id=1)
    ctx.vault.audit("sign.failed", detail="x" * 300)
    view = open_view(qtbot, records_window)
    assert view.model.rows[-1].id == 1  # the oldest: far below the rows on screen
    view.model.rows[-1] = replace(view.model.rows[-1], who=long_name)
    view._measure_columns()
    metrics = view.table.fontMetrics()
    header = view.table.horizontalHeader()

    def fits(column: int, text: str) -> bool:
        return view.table.columnWidth(column) >= metrics.horizontalAdvance(text) + 4

    def visible_total() -> int:
        return sum(
            header.sectionSize(c) for c in range(len(COLUMNS)) if not header.isSectionHidden(c)
        )

    for width, narrow in ((890, True), (1300, False)):
        view.resize(width, 470)
        qtbot.waitUntil(lambda: view.width() == width)  # noqa: B023 (waited for here)
        view._fit_columns()
        rows = view.model.rows
        for name in ("#", "When", "Who", "Action"):
            column = COLUMNS.index(name)
            for r in rows:
                assert fits(column, view.model.cells(r)[column]), (width, name)
        assert fits(COLUMNS.index("Who"), long_name)
        assert fits(COLUMNS.index("Action"), "Dose not booked in the ledger (reason given)")
        assert header.isSectionHidden(COLUMNS.index("Record")) is narrow
        # (the detail's stretch is laid out once the events are processed)
        qtbot.waitUntil(lambda: visible_total() <= view.table.viewport().width())
        qtbot.waitUntil(lambda: not view.table.horizontalScrollBar().isVisible())
    detail = next(r for r in view.model.rows if r.detail == "x" * 300)
    index = view.model.index(view.model.rows.index(detail), COLUMNS.index("Detail"))
    assert view.model.data(index, Qt.ItemDataRole.ToolTipRole) == "x" * 300
    dose = next(r for r in view.model.rows if r.action == "session.dose_not_drawn")
    view.table.selectRow(view.model.rows.index(dose))
    assert "(session 1)" in view.selected.text()
    view.close()
