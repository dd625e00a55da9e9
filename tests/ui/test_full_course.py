"""A whole course for a new client, driven through the real MainWindow as a therapist would.

Welcome screen -> new client -> screening (all "no" but one finding, overridden with a reason)
and intake -> baseline PHQ-9 (item 9 positive: a safety flag) and GAD-7 -> plan an IM session
-> preparation checklist -> the session (dose, vitals, words, touch refused then with a
reason, a lock and an unlock with the clock running on) -> discharge -> the integration entry
-> signing -> an addendum -> a protected PDF read back -> the audit chain. It checks what the
screens show at each step and, at the end, what the vault holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import shiboken6
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from support import PASSPHRASE
from ui.session_support import pass_time, unlock_again
from ui.test_keyboard_layout import clipped, unnamed

from kapcompanion.audio import NullBackend, Player
from kapcompanion.core.checklist import ItemKind
from kapcompanion.core.dose import Route
from kapcompanion.core.models import EventKind, FlagKind, SessionStatus
from kapcompanion.core.screening import SCREENING_ITEMS
from kapcompanion.core.touch import TouchKind
from kapcompanion.core.vitals import VitalReading
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.addenda import AddendumDialog
from kapcompanion.ui.audit_view import AuditView
from kapcompanion.ui.client_dialog import ClientDialog
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.measure_form import MeasureFormDialog
from kapcompanion.ui.preparation import PreparationDialog
from kapcompanion.ui.sections.documents import DocumentsSection
from kapcompanion.ui.sections.integration import IntegrationSection
from kapcompanion.ui.sections.screening import ScreeningSection
from kapcompanion.ui.sections.sessions import SessionsSection
from kapcompanion.ui.session.discharge import DischargeDialog
from kapcompanion.ui.session.plan_dialog import PlanDialog
from kapcompanion.ui.session.screen import SessionScreen
from kapcompanion.ui.signing import SignDialog
from kapcompanion.ui.unlock import UnlockScreen
from kapcompanion.ui.widgets.override_banner import ScreeningOverrideBanner
from kapcompanion.ui.widgets.safety_flag_banner import SafetyFlagBanner
from kapcompanion.ui.workspace import Workspace

WindowFactory = Callable[..., MainWindow]
NAME = "Marie Curie"
FIRST = "Marie"
PSEUDONYM = "Wren"
PDF_PASSWORD = "blue heron river"
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def texts_of(widget: QWidget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())


def activate(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()  # offscreen does not hand the focus back after a dialog
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)


def cell(section: SessionsSection, row: int, column: int) -> str:
    item = section.table.item(row, column)
    return item.text() if item is not None else ""


def sign_with_passphrase(qtbot: QtBot, dialog: SignDialog) -> None:
    assert isinstance(dialog, SignDialog) and dialog.isVisible()
    QTest.keyClicks(dialog.credential.edit, PASSPHRASE)
    assert dialog.try_sign()


def test_a_whole_course_for_a_new_client(
    qtbot: QtBot, window_factory: WindowFactory, tmp_path: Path
) -> None:
    # ------------------------------------------------------------- the vault, the client
    window = window_factory(player=Player(NullBackend()))
    welcome = window.show_welcome()
    window.show()
    target = tmp_path / "practice.kapv"
    welcome.set_vault_path(target)
    QTest.keyClicks(welcome.name, "Dr Rivera")
    QTest.keyClicks(welcome.clinic, "Harbour Clinic")
    QTest.keyClicks(welcome.passphrase.edit, PASSPHRASE)
    QTest.keyClicks(welcome.repeat.edit, PASSPHRASE)
    QTest.mouseClick(welcome.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(window.page, Workspace), timeout=10_000)
    activate(qtbot, window)
    ws = window.workspace
    assert ws is not None and window.ctx is not None
    assert ws.clients.model.rowCount() == 0

    QTest.keyClick(window, Qt.Key.Key_N, CTRL)
    dialog = ws.dialog
    assert isinstance(dialog, ClientDialog) and dialog.isVisible()
    QTest.keyClicks(dialog.name, NAME)
    QTest.keyClicks(dialog.pseudonym, PSEUDONYM)
    QTest.keyClicks(dialog.dob, "1967-11-07")
    dialog.indications.setText("depression")
    assert dialog.save()
    record = ws.record
    assert record is not None and record.client.name == NAME
    cid = record.client_id
    assert ws.clients.model.rowCount() == 1 and ws.clients.selected_id() == cid
    activate(qtbot, window)

    # ------------------------------------------------------------- screening and intake
    screening = record.show_section("screening")
    assert isinstance(screening, ScreeningSection)
    qtbot.waitUntil(screening.isVisible)
    form = screening.screening
    for item in SCREENING_ITEMS:
        row = form.rows[item.key]
        row.setFocus()
        QTest.keyClicks(row, "n" if item.key != "hiv" else "2")
    assert form.outcome.text() == "Outcome: Eligible"
    row = form.rows["family_psychosis"]
    row.setFocus()
    QTest.keyClicks(row, "y")
    assert form.outcome.text() != "Outcome: Eligible"
    assert form.override_button.isVisible()
    form.override_button.click()
    decision = form.override_dialog
    assert decision is not None and not decision.needs_prescriber  # a relative finding
    QTest.keyClicks(decision.reason, "Reviewed with the psychiatrist; low risk.")
    decision.confirm.click()
    assert form.outcome.text() == "Outcome: Eligible by override"
    assert screening.banner.isVisible() and "psychiatrist" in screening.banner.text()

    screening.tabs.setCurrentIndex(1)
    intake = screening.intake
    QTest.keyClicks(intake.escort["name"], "Pierre Curie")
    QTest.keyClicks(intake.escort["phone"], "555-0199")
    assert screening.flush()

    # ------------------------------------------------------------- baseline measures
    measure = screening.take_baseline()
    assert isinstance(measure, MeasureFormDialog)
    qtbot.waitUntil(measure.isVisible)
    activate(qtbot, measure)
    assert measure.instrument.currentData() == "phq9"
    measure.rows[0].take_focus()
    for digit in "211121101":  # item 9 positive: a suicide-risk flag
        QTest.keyClicks(focused(), digit)
    assert measure.score.text() == "Score 10 of 27: moderate"
    assert measure.flag_label.isVisible()
    assert measure.save()
    assert measure.pages.currentIndex() == 1  # asks for a safety plan
    QTest.keyClicks(measure.safety_text, "Warning signs; call Pierre; crisis line 988.")
    assert measure.save_safety_plan()
    flag_banner = record.findChild(SafetyFlagBanner)
    assert flag_banner is not None and flag_banner.isVisible()
    assert "Suicide risk" in texts_of(flag_banner)

    measure = screening.take_baseline()
    assert isinstance(measure, MeasureFormDialog)
    qtbot.waitUntil(measure.isVisible)
    activate(qtbot, measure)
    measure.instrument.setCurrentIndex(measure.instrument.findData("gad7"))
    measure.rows[0].take_focus()
    for digit in "2111100":
        QTest.keyClicks(focused(), digit)
    assert measure.score.text().startswith("Score 6 of 21")
    assert measure.save() and not measure.isVisible()
    activate(qtbot, window)

    measures = record.show_section("measures")
    assert measures is not None
    qtbot.waitUntil(measures.isVisible)
    table = measures.table  # type: ignore[attr-defined]
    assert table.rowCount() == 2
    assert {table.item(r, 1).text() for r in range(2)} == {"PHQ-9", "GAD-7"}

    # ------------------------------------------------------------- plan and prepare
    sessions = record.show_section("sessions")
    assert isinstance(sessions, SessionsSection)
    qtbot.waitUntil(sessions.isVisible)
    assert "Plan the first" in sessions.empty.text()
    plan = sessions.plan()
    assert isinstance(plan, PlanDialog)
    plan.route.setCurrentIndex(plan.route.findData(Route.IM.value))
    plan.weight.edit.clear()
    QTest.keyClicks(plan.weight.edit, "60")
    plan.dose.clear()
    QTest.keyClicks(plan.dose, "0.5")
    assert "= 30 mg in total" in plan.computed.text()
    QTest.keyClicks(plan.lot, "LOT-9")
    plan.buttons.button(plan.buttons.StandardButton.Save).click()
    assert not plan.isVisible()
    assert sessions.table.rowCount() == 1
    assert "30 mg" in cell(sessions, 0, 4) and cell(sessions, 0, 2) == "Planned"

    prep = sessions.prepare()
    assert isinstance(prep, PreparationDialog)
    view = prep.view
    for key, prow in view.rows.items():
        kind = prow.kind
        if kind is ItemKind.DATE:
            next(b for b in prow.findChildren(QPushButton) if b.text() == "Today").click()
        elif kind is ItemKind.TIME:
            assert prow.value is not None
            QTest.keyClicks(prow.value, "07:30")
        elif kind is ItemKind.TEXT:
            assert prow.text is not None
            QTest.keyClicks(prow.text, f"words for {key}")
        elif kind is ItemKind.CONTACT:
            QTest.keyClicks(prow.contact["name"], "Pierre Curie")
            QTest.keyClicks(prow.contact["phone"], "555-0199")
        elif kind is ItemKind.MULTI:
            prow.options["Blanket"].click()
        elif kind is ItemKind.TOUCH:
            assert view.touch_editor is not None
            view.touch_editor.kinds[TouchKind.NONE].click()
        elif kind is ItemKind.MUSIC:
            assert view.music_editor is not None
            QTest.keyClicks(view.music_editor.likes, "slow strings")
        if prow.item.required and not prow.done.isChecked():
            prow.done.click()
    assert view.readiness_label.text() == "Ready: every required item is done."
    prep.close()
    activate(qtbot, window)

    # ------------------------------------------------------------- the session
    sessions.table.setFocus()
    QTest.keyClick(sessions, Qt.Key.Key_U, ALT)
    qtbot.waitUntil(lambda: isinstance(window.page, SessionScreen))
    first_screen = window.page
    assert isinstance(first_screen, SessionScreen)
    screen = first_screen
    activate(qtbot, window)
    qtbot.waitUntil(lambda: first_screen.isVisible() and window.isActiveWindow())
    shown = texts_of(screen)
    assert PSEUDONYM in screen.header.text()
    assert NAME not in shown and "Curie" not in shown and "1967" not in shown
    assert screen.prestart.readiness.text() == "Preparation complete."
    # both banners travel with the client onto the session screen, compact and nameless
    banner = screen.findChild(SafetyFlagBanner)
    assert banner is not None and banner.isVisible() and "Suicide risk" in texts_of(banner)
    override = screen.findChild(ScreeningOverrideBanner)
    # the positive PHQ-9 item 9 came after the override: a new finding, so it no longer applies
    assert override is not None and override.isVisible()
    assert "no longer applies: new findings since it was recorded: Acute suicidality" in (
        override.text()
    )
    assert NAME not in window.windowTitle() and "Curie" not in texts_of(banner)
    qtbot.wait(30)
    assert clipped(window) == [] and unnamed(screen) == []  # at 1366x768

    QTest.keyClick(screen.start_button, Qt.Key.Key_Return, CTRL)
    controller = screen.controller
    assert controller.status_kind is SessionStatus.STARTED
    QTest.keyClicks(screen.vitals.bp, "128/82")
    QTest.keyClicks(screen.vitals.hr, "74")
    QTest.keyClicks(screen.vitals.spo2, "98")
    QTest.keyClick(screen.vitals.spo2, Qt.Key.Key_Return)
    assert screen.vitals.list.count() == 1
    assert not screen.vitals.list.item(0).text().startswith("⚑")

    screen.events.timeline.setFocus()
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_D, CTRL)
    assert screen.controller.status_kind is SessionStatus.DOSED  # (re-read: mypy narrows)
    assert screen.clock.phase.text() == "Onset"

    QTest.keyClick(screen.events.timeline, Qt.Key.Key_C)
    card = screen.events.card
    QTest.keyClicks(card.text, "The light is warm.")
    QTest.keyClick(card.text, Qt.Key.Key_Return)
    timeline = screen.events.timeline
    assert "“The light is warm.”" in timeline.item(timeline.count() - 1).text()

    QTest.keyClick(timeline, Qt.Key.Key_T)
    assert card.isVisible() and "does not want to be touched" in card.check.text()
    QTest.keyClick(card.touch, Qt.Key.Key_Return)
    assert "Write the reason" in card.message.text()
    QTest.keyClicks(card.reason, "Steadied her when she stood up")
    QTest.keyClick(card.reason, Qt.Key.Key_Return)
    assert "OUTSIDE the touch agreement" in timeline.item(timeline.count() - 1).text()

    # lock and unlock mid-session: the clock runs on, straight back into the session
    elapsed = controller.runner.clock.elapsed_s()
    assert elapsed is not None
    window.lock()
    page = window.page
    assert isinstance(page, UnlockScreen)
    qtbot.waitUntil(lambda: not shiboken6.isValid(screen), timeout=10_000)
    assert FIRST not in texts_of(page) and PSEUDONYM not in texts_of(page)
    qtbot.waitUntil(
        lambda: (controller.runner.clock.elapsed_s() or 0) > elapsed + 0.5, timeout=10_000
    )
    unlock_again(qtbot, page, PASSPHRASE)
    resumed = window.page
    assert isinstance(resumed, SessionScreen) and resumed.controller is controller
    screen = resumed
    activate(qtbot, window)  # offscreen drops the active window while the pages swap
    qtbot.waitUntil(lambda: resumed.isVisible() and resumed.events.timeline.hasFocus())
    assert (controller.runner.clock.elapsed_s() or 0) > elapsed + 0.5
    assert screen.findChild(SafetyFlagBanner) is not None

    # ------------------------------------------------------------- discharge
    pass_time(controller)  # three hours on: the phases are over, the dose long past
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_E, ALT)
    discharge = screen.dialog
    assert isinstance(discharge, DischargeDialog)
    for check in discharge.checks.values():
        check.setChecked(True)
    discharge.escort_name.setText("Pierre Curie")
    for combo in discharge.aldrete.values():
        combo.setCurrentIndex(combo.findData(2))
    assert discharge.total.text().startswith("10 of 10")
    QTest.keyClicks(discharge.debrief, "Settled; spoke of warmth. Call tomorrow.")
    assert discharge.safety_box.isVisible()  # the PHQ-9 flag asks for a safety note
    assert not discharge.finish() and "Safety note" in discharge.error.text()
    QTest.keyClicks(discharge.safety_note, "Safety plan reviewed; Pierre drives her home.")
    assert discharge.missing.text() == "Ready for discharge."
    discharge.end_button.click()
    repos = window.ctx.repos
    session = repos.sessions.for_client(cid)[0]
    assert session.id is not None and session.status is SessionStatus.ENDED
    if isinstance(screen.dialog, QWidget) and shiboken6.isValid(screen.dialog):
        screen.dialog.close()  # the summary
    QTest.keyClick(screen.leave_button, Qt.Key.Key_B, ALT)
    qtbot.waitUntil(lambda: isinstance(window.page, Workspace))
    ws = window.workspace
    assert ws is not None and ws.record is not None
    record = ws.record
    sessions = record.show_section("sessions")
    assert isinstance(sessions, SessionsSection)
    assert cell(sessions, 0, 2) == "Ended"

    # ------------------------------------------------------------- integration
    integration = record.show_section("integration")
    assert isinstance(integration, IntegrationSection)
    qtbot.waitUntil(integration.isVisible)
    assert integration.list.count() == 1
    line = integration.list.item(0).text()
    assert line.startswith(f"{date.today():%d/%m/%Y} · Debrief")  # en_GB short date
    assert "Debrief after session 1" in line and line.endswith("draft")
    integration.list.setCurrentRow(0)
    assert integration.editor.doc is not None and not integration.editor.read_only
    assert integration.editor.free_text.toPlainText().startswith("Settled; spoke of warmth.")

    # ------------------------------------------------------------- signing, addendum
    documents = record.show_section("documents")
    assert isinstance(documents, DocumentsSection)
    qtbot.waitUntil(documents.isVisible)
    assert documents.select_record("session", session.id)
    signer = documents.sign_current()
    assert signer is not None
    sign_with_passphrase(qtbot, signer)
    assert repos.sessions.get(session.id).signed_utc is not None
    entry_id = repos.documents.find("integration", session_id=session.id)[0].id
    assert entry_id is not None
    assert documents.select_record("integration", entry_id)
    signer = documents.sign_current()
    assert signer is not None
    sign_with_passphrase(qtbot, signer)
    assert repos.documents.get(entry_id).signed

    assert documents.select_record("session", session.id)
    assert documents.addenda is not None
    add = documents.addenda.open_add()
    assert isinstance(add, AddendumDialog)
    QTest.keyClicks(add.text, "Phoned on day 2: sleeping well.")
    assert add.add()
    assert [a.text for a in repos.addenda.for_record("session", session.id)] == [
        "Phoned on day 2: sleeping well."
    ]
    assert "1 addendum" in documents.signed_list.currentItem().text()
    assert documents.unsigned_list.count() == len(documents.unsigned)

    # the other screens follow: signed shows as signed, and nothing signed stays editable
    integration = record.show_section("integration")
    assert isinstance(integration, IntegrationSection)
    assert "signed" in integration.list.item(0).text().splitlines()[-1]
    assert integration.editor.read_only and integration.editor.free_text.isReadOnly()
    sessions = record.show_section("sessions")
    assert isinstance(sessions, SessionsSection)
    assert cell(sessions, 0, 3) == f"{date.today():%d/%m/%Y}"  # en_GB short date
    documents = record.show_section("documents")
    assert isinstance(documents, DocumentsSection)

    # the overview follows what the other sections wrote
    overview = record.show_section("overview")
    qtbot.waitUntil(lambda: "Escort home" in texts_of(overview))
    shown = texts_of(overview)
    assert "Suicide risk" in shown or "suicide risk" in shown
    assert "Pierre Curie · 555-0199 (from the intake)" in shown  # the escort, not a blank
    assert "active, 6 sessions planned" in shown  # planning the first session opened the course
    assert f"Unsigned records ({len(documents.unsigned)})" in shown
    documents = record.show_section("documents")
    assert isinstance(documents, DocumentsSection)

    # ------------------------------------------------------------- PDF and audit
    export = documents.export_session(session.id)
    qtbot.waitUntil(lambda: export.ready, timeout=15_000)
    export.password.setText(PDF_PASSWORD)
    export.repeat.setText(PDF_PASSWORD)
    export.save_clicked()
    qtbot.waitUntil(lambda: export.file_dialog is not None and export.file_dialog.isVisible())
    assert export.file_dialog is not None
    out = tmp_path / "out" / "session.pdf"
    out.parent.mkdir()
    with qtbot.waitSignal(export.saved, timeout=15_000):
        export.file_dialog.selectFile(str(out))
        export.file_dialog.accept()
    reader = PdfReader(out)
    assert reader.is_encrypted and reader.decrypt(PDF_PASSWORD)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Session record" in text and "Phoned on day 2" in text

    audit = AuditView(window.ctx, ws)
    qtbot.addWidget(audit)
    audit.show()
    qtbot.waitUntil(lambda: audit.check_task is not None and audit.check_task.done, timeout=10_000)
    assert audit.chain.text().startswith("Chain intact")
    audit.action.setCurrentIndex(audit.action.findData("session.sign"))
    assert [(r.action, r.record_id) for r in audit.model.rows] == [("session.sign", session.id)]
    audit.close()

    # ------------------------------------------------------------- what the vault holds
    window.close()
    vault = Vault.open(target, PASSPHRASE)
    try:
        repos = Repos(vault)
        (stored,) = repos.sessions.for_client(cid)
        assert stored.signed_utc is not None and stored.status is SessionStatus.ENDED
        kinds = [e.kind for e in repos.events.for_session(stored.id or 0)]
        assert EventKind.TOUCH_OFFERED in kinds and EventKind.DOSE_GIVEN in kinds
        assert len(repos.vitals.for_session(stored.id or 0, VitalReading)) == 1
        assert [f.kind for f in repos.flags.active(cid)] == [FlagKind.SUICIDE_RISK]
        assert len(repos.documents.find("measure", client_id=cid)) == 2
        actions = [str(a) for (a,) in vault.read("SELECT action FROM audit ORDER BY id")]
        assert actions[0] == "vault.create" and "session.sign" in actions
        assert "export.session_pdf" in actions and "addendum.create" in actions
    finally:
        vault.close()
