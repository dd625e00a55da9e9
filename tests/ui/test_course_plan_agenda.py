"""The course plan (create, move, done, missed), the cross-client agenda (Ctrl+G) and the
calendar export (.ics written atomically, pseudonyms unless names are asked for, audited)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from kapcompanion.core import serial
from kapcompanion.core.course_plan import AppointmentKind, AppointmentStatus, plan_course
from kapcompanion.core.integration import IntegrationEntry, IntegrationKind
from kapcompanion.core.models import StoredDocument
from kapcompanion.export.calendar import calendar_export
from kapcompanion.ui.agenda import AgendaDialog
from kapcompanion.ui.course_plan import CoursePlanDialog, CoursePlanPanel
from kapcompanion.ui.course_plan_dialogs import NewPlanDialog
from kapcompanion.ui.ics_export import CalendarExportDialog
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.plan_records import load_plan, plan_document, save_plan
from kapcompanion.ui.widgets.due_panel import DuePanel

AuditOf = Callable[..., list[tuple[str, str]]]
MONDAY = date(2030, 3, 4)


def client_id(window: MainWindow, name: str) -> int:
    assert window.ctx is not None
    (client,) = [c for c in window.ctx.repos.clients.search() if c.name == name]
    assert client.id is not None
    return client.id


def row_of(panel: CoursePlanPanel, kind: AppointmentKind, number: int) -> int:
    return next(i for i, a in enumerate(panel.appts) if a.kind is kind and a.number == number)


def plan_panel(window: MainWindow, cid: int) -> CoursePlanPanel:
    ws = window.workspace
    assert ws is not None
    record = ws.open_client(cid)
    assert record is not None
    overview = record.show_section("overview")
    due = overview.findChild(DuePanel)
    assert due is not None
    dialog = due.open_plan()
    assert isinstance(dialog, CoursePlanDialog)
    assert dialog.parent() is record  # survives the overview rebuilding its cards
    return dialog.panel


def test_create_move_done_missed(qtbot: QtBot, unlocked: MainWindow) -> None:
    cid = client_id(unlocked, "Grace Hopper")
    panel = plan_panel(unlocked, cid)
    assert "No course plan yet" in panel.summary.text() and not panel.table.isVisible()
    new = panel.open_new_plan()
    assert isinstance(new, NewPlanDialog)
    new.start.setDate(QDate(2030, 3, 4))
    new.boosters.setText("4, x")
    new.buttons.accepted.emit()
    assert new.isVisible() and "“x” is not a number of weeks" in new.error.text()
    new.boosters.setText("4")
    assert "6 dosing sessions from Mon, 4 Mar 2030 to Thu, 21 Mar 2030" in new.preview.text()
    new.buttons.accepted.emit()
    assert not new.isVisible()

    assert unlocked.ctx is not None
    stored = load_plan(plan_document(unlocked.ctx.repos, cid))
    kinds = [a.kind for a in stored]
    assert kinds.count(AppointmentKind.DOSING) == 6
    assert kinds.count(AppointmentKind.INTEGRATION) == 6
    assert kinds.count(AppointmentKind.BOOSTER) == 1 and kinds.count(AppointmentKind.MEASURE) == 2
    dosing = [a.when.date() for a in stored if a.kind is AppointmentKind.DOSING]
    assert [d.strftime("%a") for d in dosing] == ["Mon", "Thu"] * 3  # twice a week
    assert panel.table.rowCount() == 15

    panel.select(row_of(panel, AppointmentKind.DOSING, 1))
    assert panel.done_button.isEnabled()
    QTest.mouseClick(panel.done_button, Qt.MouseButton.LeftButton)
    assert not panel.done_button.isEnabled()  # done is final: no move, no miss
    panel.select(row_of(panel, AppointmentKind.DOSING, 2))
    new_time = datetime.combine(date(2030, 3, 8), time(14, 30)).astimezone()
    assert panel.move_selected(new_time, "Client asked for Friday")
    panel.select(row_of(panel, AppointmentKind.DOSING, 3))
    assert panel.mark_missed_selected("Unwell")

    stored = load_plan(plan_document(unlocked.ctx.repos, cid))
    by_number = {a.number: a for a in stored if a.kind is AppointmentKind.DOSING}
    assert by_number[1].status is AppointmentStatus.DONE
    moved = by_number[2]
    assert moved.status is AppointmentStatus.MOVED and moved.when == new_time
    assert moved.planned_for.date() == date(2030, 3, 7) and moved.note == "Client asked for Friday"
    assert by_number[3].status is AppointmentStatus.MISSED and by_number[3].note == "Unwell"
    assert "6 dosing sessions: 3 planned, 1 done, 1 missed, 1 moved" in panel.summary.text()
    row = row_of(panel, AppointmentKind.DOSING, 2)
    status, when = panel.table.item(row, 2), panel.table.item(row, 0)
    assert status is not None and status.text() == "→ moved from Thu, 7 Mar 2030, 10:00"
    assert when is not None and when.text().startswith("Fri, 8 Mar 2030, 14:30")

    # a new plan keeps what already happened and replaces only what is still planned
    assert panel.create_plan(plan_course(MONDAY + timedelta(weeks=4), 1, 2))
    kept = load_plan(plan_document(unlocked.ctx.repos, cid))
    statuses = [a.status for a in kept]
    assert statuses.count(AppointmentStatus.DONE) == 1
    assert statuses.count(AppointmentStatus.MISSED) == 1
    assert statuses.count(AppointmentStatus.MOVED) == 1
    assert statuses.count(AppointmentStatus.PLANNED) == 2 + 2  # 2 dosing + 2 integration
    # the 12 it replaced stay on record as cancelled, and a calendar export cancels them
    assert statuses.count(AppointmentStatus.CANCELLED) == 12
    row = next(i for i, a in enumerate(panel.appts) if a.status is AppointmentStatus.CANCELLED)
    cancelled = panel.table.item(row, 2)
    assert cancelled is not None and cancelled.text() == "× cancelled"
    found = calendar_export(unlocked.ctx.repos, client_ids=[cid], start=MONDAY)
    assert (found.events, found.cancelled) == (4 + 1, 12)  # the moved one is still open
    assert found.text.count("STATUS:CANCELLED") == 12
    # the same plan again replaces nothing: its appointments are already there
    assert panel.create_plan(plan_course(MONDAY + timedelta(weeks=4), 1, 2))
    again = [a.status for a in load_plan(plan_document(unlocked.ctx.repos, cid))]
    assert again.count(AppointmentStatus.CANCELLED) == 12
    assert again.count(AppointmentStatus.PLANNED) == 4


def test_due_panel_shows_the_next_appointment(qtbot: QtBot, unlocked: MainWindow) -> None:
    assert unlocked.ctx is not None and unlocked.workspace is not None
    cid = client_id(unlocked, "Grace Hopper")
    save_plan(unlocked.ctx.repos, cid, plan_course(MONDAY, 2, 3, measure_visits=True))
    record = unlocked.workspace.open_client(cid)
    assert record is not None
    due = record.show_section("overview").findChild(DuePanel)
    assert due is not None
    assert due.next.text() == "Next: Outcome measures 1, Mon, 4 Mar 2030, 09:30"
    assert "Baseline (at intake)" in due.measures.text() and "PHQ-9" in due.measures.text()


def test_calendar_export_pseudonyms_atomic_and_audited(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path, audit_of: AuditOf
) -> None:
    assert unlocked.ctx is not None
    repos = unlocked.ctx.repos
    cid = client_id(unlocked, "Grace Hopper")
    turing = client_id(unlocked, "Alan Turing")
    start = date.today() + timedelta(days=7)
    save_plan(repos, cid, plan_course(start, 2, 1, integration_between=False))
    save_plan(repos, turing, plan_course(start, 1, 1, integration_between=False))
    panel = plan_panel(unlocked, cid)
    panel.select(0)
    assert panel.mark_missed_selected("Private detail: do not export")
    dialog = panel.open_export()
    assert isinstance(dialog, CalendarExportDialog)
    assert dialog.count.text() == "1 appointment(s) to export."
    target = tmp_path / "out" / "grace.ics"
    assert not dialog.export_to(target)  # the folder does not exist
    target.parent.mkdir()
    target.write_text("old calendar")
    assert dialog.export_to(target)
    raw = target.read_bytes()
    text = raw.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # CRLF line endings only
    assert text.count("BEGIN:VEVENT") == 1  # the missed one is not exported
    assert "SUMMARY:Birch: dosing session 2" in text
    assert "Grace" not in text and "Hopper" not in text and "Private detail" not in text
    assert sorted(p.name for p in target.parent.iterdir()) == ["grace.ics"]  # no temp file left

    every = CalendarExportDialog(unlocked.ctx, None, unlocked)
    every.include_names.setChecked(True)
    assert every.warning.isVisibleTo(every)
    assert every.export_to(tmp_path / "all.ics")
    both = (tmp_path / "all.ics").read_text(encoding="utf-8")
    assert "SUMMARY:Grace Hopper: dosing session 2" in both
    assert "SUMMARY:Alan Turing: dosing session 1" in both
    every.include_names.setChecked(False)
    assert every.export_to(tmp_path / "pseudo.ics")
    assert f"SUMMARY:Client {turing}: dosing session 1" in (tmp_path / "pseudo.ics").read_text()

    path = unlocked.ctx.vault.path
    unlocked.close()
    exports = [d for a, d in audit_of(path) if a == "export.ics"]
    assert exports == [
        "1 appointment(s) of 1 client(s); names not included (pseudonyms)",
        "2 appointment(s) of 2 client(s); names included",
        "2 appointment(s) of 2 client(s); names not included (pseudonyms)",
    ]


def test_agenda_today_and_this_week_across_clients(qtbot: QtBot, unlocked: MainWindow) -> None:
    assert unlocked.ctx is not None and unlocked.workspace is not None
    repos = unlocked.ctx.repos
    grace = client_id(unlocked, "Grace Hopper")
    ada = client_id(unlocked, "Ada Lovelace")
    today = date.today()
    save_plan(repos, grace, plan_course(today, 2, 2))
    save_plan(repos, ada, plan_course(today + timedelta(days=30), 1, 1))  # not this week
    entry = IntegrationEntry(None, IntegrationKind.NEXT_DAY, today, free_text="draft")
    repos.documents.save(
        StoredDocument(kind="integration", client_id=ada, data=serial.to_jsonable(entry))
    )
    QTest.keyClick(unlocked, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    dialog = unlocked.workspace.findChild(AgendaDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.data is not None, timeout=5000)
    top = dialog.appointments.topLevelItem(0)
    assert top is not None and top.text(0).startswith("Today, ")
    first = top.child(0)
    assert first is not None
    assert (first.text(0), first.text(1), first.text(2)) == (
        "10:00–12:00",
        "Birch",
        "Dosing session 1",
    )
    shown = [
        dialog.appointments.topLevelItem(i).child(j).text(1)  # type: ignore[union-attr]
        for i in range(dialog.appointments.topLevelItemCount())
        for j in range(dialog.appointments.topLevelItem(i).childCount())  # type: ignore[union-attr]
    ]
    assert set(shown) == {"Birch"}  # Ada's plan starts next month
    measures = {
        dialog.measures.topLevelItem(i).text(0)  # type: ignore[union-attr]
        for i in range(dialog.measures.topLevelItemCount())
    }
    assert measures == {"Heron", "Birch", "Alan Turing"}  # no one has a baseline yet
    unsigned = dialog.unsigned.topLevelItem(0)
    assert unsigned is not None
    assert (unsigned.text(0), unsigned.text(1)) == ("Heron", "1 integration entry")
    dialog.unsigned.itemActivated.emit(unsigned, 0)  # Enter opens the client there
    record = unlocked.workspace.record
    assert record is not None and record.client_id == ada
    assert record.current_key() == "documents"
    QTest.keyClick(unlocked, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert unlocked.workspace.findChildren(AgendaDialog) == [dialog]  # one agenda at a time
    qtbot.waitUntil(lambda: not dialog.busy.busy, timeout=5000)


def test_next_appointment_skips_a_dosing_session_that_already_ran() -> None:
    from datetime import UTC

    from kapcompanion.core.course_plan import PlannedAppointment
    from kapcompanion.core.models import DosingSession, SessionStatus
    from kapcompanion.ui.plan_records import next_appointment

    now = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)
    first = PlannedAppointment(AppointmentKind.DOSING, now + timedelta(hours=1), number=6)
    linked = PlannedAppointment(
        AppointmentKind.DOSING, now + timedelta(days=1), number=7, session_id=70
    )
    later = PlannedAppointment(AppointmentKind.DOSING, now + timedelta(days=2), number=8)
    plan = [first, linked, later]
    assert next_appointment(plan, now) == first  # nothing ran yet
    ran6 = DosingSession(client_id=1, number=6, status=SessionStatus.DOSED, id=60)
    assert next_appointment(plan, now, sessions=[ran6]) == linked  # matched by its number
    ran7 = DosingSession(client_id=1, number=9, status=SessionStatus.ENDED, id=70)
    assert next_appointment(plan, now, sessions=[ran6, ran7]) == later  # by its session
    planned8 = DosingSession(client_id=1, number=8, status=SessionStatus.PLANNED, id=80)
    assert next_appointment([later], now, sessions=[planned8]) == later  # planned is not run
