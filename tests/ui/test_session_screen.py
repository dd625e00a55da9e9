"""A short dosing session end to end through the real widgets, on a real vault file.

Plan, a readiness override, start, dose, vitals with a flag, touch refused then recorded with
a reason, the client's words, an extended phase, a lock and an unlock with the clock running
on, discharge with the debrief, and the summary. Keys are pressed as a therapist would.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from readiness_support import prepare
from support import PASSPHRASE
from ui.session_support import (
    NAME,
    PSEUDONYM,
    START_REASON,
    add_checklist,
    add_client,
    pass_time,
    unlock_again,
)

from kapcompanion.audio import NullBackend, Player
from kapcompanion.core.clock import SessionClock
from kapcompanion.core.dose import Route
from kapcompanion.core.integration import IntegrationEntry
from kapcompanion.core.models import EventKind, FlagKind, SessionStatus
from kapcompanion.core.serial import load
from kapcompanion.core.touch import TouchKind
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.sections.sessions import SessionsSection
from kapcompanion.ui.session.alert import ReasonDialog
from kapcompanion.ui.session.clock_panel import LockedStrip
from kapcompanion.ui.session.controller import KEEP_KEY, SessionController
from kapcompanion.ui.session.discharge import DischargeDialog
from kapcompanion.ui.session.plan_dialog import PlanDialog
from kapcompanion.ui.session.screen import SessionScreen
from kapcompanion.ui.session.summary import SummaryDialog
from kapcompanion.ui.unlock import UnlockScreen

WindowFactory = Callable[..., MainWindow]
NO = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def clinic(
    qtbot: QtBot, window_factory: WindowFactory, template_vault: Path, tmp_path: Path
) -> tuple[MainWindow, int]:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    cid = add_client(Repos(vault))
    window = window_factory(player=Player(NullBackend()))
    window.show()
    window.enter(vault)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window, cid


def sessions_section(qtbot: QtBot, window: MainWindow, cid: int) -> SessionsSection:
    ws = window.workspace
    assert ws is not None
    record = ws.open_client(cid)
    assert record is not None
    section = record.show_section("sessions")
    assert isinstance(section, SessionsSection)
    qtbot.waitUntil(section.isVisible)
    return section


def plan_through_the_dialog(qtbot: QtBot, section: SessionsSection) -> None:
    assert not section.empty.isHidden() and "Plan the first" in section.empty.text()
    section.table.setFocus()
    QTest.keyClick(section, Qt.Key.Key_P, ALT)  # a mnemonic "clicks" after a short animation
    qtbot.waitUntil(lambda: isinstance(section.dialog, PlanDialog))
    dialog = section.dialog
    assert isinstance(dialog, PlanDialog)
    dialog.route.setCurrentIndex(dialog.route.findData(Route.IM.value))
    dialog.weight.edit.clear()
    QTest.keyClicks(dialog.weight.edit, "70")
    dialog.dose.clear()
    QTest.keyClicks(dialog.dose, "3")  # 3 mg/kg IM: above the usual range
    assert "= 210 mg in total" in dialog.computed.text()
    assert "Above the usual range: 210 mg IM" in dialog.message.text()
    assert "required" in dialog.reason.placeholderText()
    assert dialog.save() is None
    assert "A reason is needed" in dialog.message.text()
    dialog.dose.clear()
    QTest.keyClicks(dialog.dose, "0.5")
    assert (
        "= 35 mg in total" in dialog.computed.text() and "Within the usual" in dialog.message.text()
    )
    QTest.keyClicks(dialog.lot, "LOT-7")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert not dialog.isVisible()
    assert section.table.rowCount() == 1 and "35 mg" in section.table.item(0, 4).text()  # type: ignore[union-attr]


def test_a_short_session_end_to_end(qtbot: QtBot, clinic: tuple[MainWindow, int]) -> None:
    window, cid = clinic
    assert window.ctx is not None
    section = sessions_section(qtbot, window, cid)
    plan_through_the_dialog(qtbot, section)
    repos = window.ctx.repos
    session = repos.sessions.for_client(cid)[0]
    assert session.id is not None
    add_checklist(repos, session, welcome=(TouchKind.NONE,))  # no touch agreed

    # Start / resume opens the session full-window; it is not ready, so it asks for a reason.
    window.activateWindow()  # the plan dialog had the focus (offscreen does not hand it back)
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(section, Qt.Key.Key_U, ALT)
    qtbot.waitUntil(lambda: isinstance(window.page, SessionScreen))
    screen = window.page
    assert isinstance(screen, SessionScreen) and window.workspace is None
    qtbot.waitUntil(lambda: screen.isVisible() and window.isActiveWindow())
    assert screen.start_button.hasFocus()
    assert PSEUDONYM in screen.header.text()
    texts = " ".join(w.text() for w in screen.findChildren(type(screen.header)))
    assert NAME not in texts and "Ada" not in texts  # pseudonym only while the session runs
    assert "Not ready" in screen.prestart.readiness.text()
    # it says up front which items no written reason can skip (the gate refuses those)
    assert (
        "Informed consent and the touch agreement cannot be skipped"
        in screen.prestart.readiness.text()
    )
    assert "music" in screen.prestart.music.text().lower()  # "unavailable" with the null player
    QTest.keyClick(screen.start_button, Qt.Key.Key_Return, CTRL)
    assert screen.controller.status_kind is SessionStatus.PLANNED
    assert "write why" in screen.notice.text()
    assert screen.prestart.override.hasFocus()
    QTest.keyClicks(screen.prestart.override, "Consent signed on paper; scanned tomorrow.")
    QTest.keyClick(screen.prestart.override, Qt.Key.Key_Return, CTRL)
    controller = screen.controller
    assert controller.status_kind is SessionStatus.STARTED
    assert repos.sessions.get(session.id).readiness_override.startswith("Consent signed")
    assert window.ctx.keep_alive[KEEP_KEY] is controller
    assert screen.clock.isVisible() and "Arrival" in screen.clock.phase.text()

    # Pre-dose vitals are due at once: a quiet change of the reminder line, no sound.
    assert screen.vitals.reminder.text() == "Vitals due before the dose"
    assert screen.vitals.reminder.property("role") == "banner"
    # 150/95 is above the esketamine label's 140/90 and is flagged.
    assert screen.vitals.bp.hasFocus()
    QTest.keyClicks(screen.vitals.bp, "150/95")
    QTest.keyClicks(screen.vitals.hr, "78")
    QTest.keyClicks(screen.vitals.spo2, "98")
    QTest.keyClick(screen.vitals.spo2, Qt.Key.Key_Return)
    assert screen.vitals.list.count() == 1
    item = screen.vitals.list.item(0).text()
    assert item.startswith("⚑") and "above 140/90 mmHg" in item
    QTest.keyClicks(screen.vitals.hr, "abc")
    QTest.keyClick(screen.vitals.hr, Qt.Key.Key_Return)
    assert "whole number" in screen.vitals.error.text() and screen.vitals.list.count() == 1
    screen.vitals.hr.clear()
    assert screen.vitals.reminder.property("role") == "hint"
    # a flagged reading is an alert: a recheck in 5 minutes and a banner that stays
    assert screen.vitals.reminder.text().startswith("Recheck in 4:5")
    assert screen.alert.isVisible() and "above 140/90 mmHg" in screen.alert.detail.text()

    # The dose after a flagged pre-dose reading asks for a reason first.
    screen.events.timeline.setFocus()
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_D, CTRL)
    confirm = screen.dialog
    assert isinstance(confirm, ReasonDialog) and "150/95" in confirm.findChild(QLabel).text()  # type: ignore[union-attr]
    assert controller.status_kind is SessionStatus.STARTED
    QTest.keyClicks(confirm.reason, "ok")
    confirm.confirm.click()
    assert "too short" in confirm.error.text() and controller.status_kind is SessionStatus.STARTED
    confirm.reason.setPlainText("Rechecked after ten minutes of rest; the prescriber agreed.")
    confirm.confirm.click()
    assert controller.status_kind is SessionStatus.DOSED  # type: ignore[comparison-overlap]
    (dose,) = [e for e in repos.events.for_session(session.id) if e.kind is EventKind.DOSE_GIVEN]
    assert dose.payload["flagged_reading_reason"].startswith("Rechecked after ten minutes")
    # the alert stays until it is acknowledged with a note
    assert screen.alert.isVisible()
    ack = screen.alert.open_acknowledge()
    ack.reason.setPlainText("Client rested ten minutes; prescriber informed before the dose.")
    ack.confirm.click()
    assert not screen.alert.isVisible()
    assert repos.events.for_session(session.id)[-1].kind is EventKind.ALERT_ACKNOWLEDGED
    window.activateWindow()  # the offscreen platform does not hand activation back itself
    qtbot.waitUntil(window.isActiveWindow)
    screen.events.timeline.setFocus()
    assert screen.clock.big.text().startswith("+0:00:0")
    assert screen.clock.phase.text() == "Onset"

    # Touch: the screen says "no touch" before anything is recorded; a reason is required.
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_T)
    card = screen.events.card
    assert card.isVisible() and "does not want to be touched" in card.check.text()
    before = len(repos.events.for_session(session.id))
    QTest.keyClick(card.touch, Qt.Key.Key_Return)
    assert "Write the reason" in card.message.text() and card.reason.hasFocus()
    assert len(repos.events.for_session(session.id)) == before  # nothing recorded
    QTest.keyClicks(card.reason, "Steadied the client who stood up suddenly")
    QTest.keyClick(card.reason, Qt.Key.Key_Return)
    assert not card.isVisible()
    touch = [e for e in repos.events.for_session(session.id) if e.kind is EventKind.TOUCH_OFFERED]
    assert len(touch) == 1 and touch[0].payload["within_agreement"] is False
    assert (
        "OUTSIDE the touch agreement"
        in screen.events.timeline.item(screen.events.timeline.count() - 1).text()
    )

    # The client's words, verbatim, in one key and a line of typing.
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_C)
    assert card.text.hasFocus()
    QTest.keyClicks(card.text, "There is so much space here.")
    QTest.keyClick(card.text, Qt.Key.Key_Return)
    last = screen.events.timeline.item(screen.events.timeline.count() - 1).text()
    assert "Client's words — “There is so much space here.”" in last

    # Extend the phase by 5 minutes: an event, and the time left grows.
    left_before = controller.status().remaining_s
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_X, ALT)
    assert controller.status().remaining_s == pytest.approx(left_before + 300, abs=2)
    assert repos.events.for_session(session.id)[-1].kind is EventKind.PHASE_EXTENDED

    # Lock mid-session: the strip shows the clock and the phase (no name); time runs on.
    elapsed_before = controller.runner.clock.elapsed_s()
    assert elapsed_before is not None
    window.lock()
    page = window.page
    assert isinstance(page, UnlockScreen)
    qtbot.waitUntil(lambda: not shiboken6.isValid(screen), timeout=3000)
    strips = page.findChildren(LockedStrip)
    assert len(strips) == 1
    strip = strips[0]
    assert "Onset" in strip.text() and "+0:00:" in strip.text()
    assert PSEUDONYM not in strip.text() and "Ada" not in strip.text()
    shown = strip.clock.text()
    clock = controller.runner.clock
    qtbot.waitUntil(lambda: (clock.elapsed_s() or 0) > elapsed_before + 1.2, timeout=4000)
    qtbot.waitUntil(lambda: strip.clock.text() != shown, timeout=3000)  # still ticking
    unlock_again(qtbot, page, PASSPHRASE)
    resumed = window.page
    assert isinstance(resumed, SessionScreen) and resumed.controller is controller
    qtbot.waitUntil(lambda: resumed.isVisible(), timeout=2000)
    qtbot.waitUntil(lambda: resumed.isVisible() and resumed.events.timeline.hasFocus())
    elapsed_after = controller.runner.clock.elapsed_s()
    assert elapsed_after is not None and elapsed_after > elapsed_before + 0.9
    assert resumed.events.timeline.count() == len(repos_of(window).events.for_session(session.id))

    # Ending in Onset with planned minutes left asks first, naming them; "Keep going" stays.
    QTest.keyClick(resumed.events.timeline, Qt.Key.Key_E, ALT)
    box = resumed.dialog
    assert isinstance(box, QMessageBox)
    assert re.match(r"Onset has \d+ planned minutes left\. End the session now\?", box.text())
    keep = next(b for b in box.buttons() if "Keep going" in b.text())
    keep.click()
    assert not isinstance(resumed.dialog, DischargeDialog)
    assert controller.running

    # Three hours on (the clock is moved): the phases are over and the minimum time after
    # the dose has passed. The discharge checklist lists what is missing, then the debrief.
    r = controller.runner
    assert r.session.dose_utc is not None and r.session.started_utc is not None
    r.clock = SessionClock(
        r.session.dose_utc,
        r.session.started_utc,
        now_utc=lambda: datetime.now(UTC) + timedelta(hours=3),
    )
    QTest.keyClick(resumed.events.timeline, Qt.Key.Key_E, ALT)
    dialog = resumed.dialog
    assert isinstance(dialog, DischargeDialog)
    assert "Still missing" in dialog.missing.text() and "Escort" in dialog.missing.text()
    assert not dialog.finish() and "Not ready for discharge" in dialog.error.text()
    for check in dialog.checks.values():
        check.setChecked(True)
    dialog.escort_name.setText("Sam Rivers")
    for combo in dialog.aldrete.values():
        combo.setCurrentIndex(combo.findData(2))
    assert dialog.total.text().startswith("10 of 10")
    assert dialog.missing.text() == "Ready for discharge."
    QTest.keyClicks(dialog.debrief, "Calm; felt spacious. Next-day call booked.")
    dialog.end_button.click()
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    repos = repos_of(window)
    stored = repos.sessions.get(session.id)
    assert stored.status is SessionStatus.ENDED and stored.debrief.startswith("Calm")
    # no audio output here: no word of a music fading out that never played
    assert resumed.notice.text() == "Session ended."
    assert KEEP_KEY not in window.ctx.keep_alive if window.ctx else False
    entries = repos.documents.find("integration", session_id=session.id)
    assert len(entries) == 1
    assert load(IntegrationEntry, entries[0].data).free_text.startswith("Calm")
    summary = resumed.dialog
    assert isinstance(summary, SummaryDialog)
    html = summary.browser.toPlainText()
    for expected in (
        "Intramuscular (IM) 35 mg (0.5 mg/kg for 70.0 kg, 154.3 lb)",
        "lot LOT-7",
        "Consent signed on paper",
        "above 140/90 mmHg",
        "OUTSIDE the touch agreement",
        "There is so much space here.",
        "Phase extended",
        "Modified Aldrete: 10 of 10",
        "Sam Rivers",
    ):
        assert expected in html, expected
    assert "Onset" in html and "Peak" in html  # the phase table
    summary.close()

    # Back to the record: the list says the session ended.
    QTest.keyClick(resumed.leave_button, Qt.Key.Key_B, ALT)
    section = window.workspace.record.show_section("sessions")
    assert isinstance(section, SessionsSection)
    assert section.table.item(0, 2).text() == "Ended"


def repos_of(window: MainWindow) -> Repos:
    assert window.ctx is not None
    return window.ctx.repos


def test_distress_with_suicide_risk_requires_a_safety_note(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    window, cid = clinic
    repos = repos_of(window)
    from ui.session_support import plan_im

    session = plan_im(repos, cid)
    add_checklist(repos, session, welcome=(TouchKind.HAND_ON_SHOULDER,), ask_first=True)
    from kapcompanion.ui.session.host import open_session

    screen = open_session(window, session.id or 0)
    assert screen is not None
    qtbot.waitUntil(screen.isVisible)
    screen.prestart.override.setText(START_REASON)
    assert screen.start() and screen.give_dose()
    screen.events.timeline.setFocus()
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_T)
    card = screen.events.card
    assert card.check.text().startswith("Ask first")  # welcome, but ask before every touch
    QTest.keyClick(card.touch, Qt.Key.Key_Tab)
    card.asked.setChecked(True)
    assert card.check.text().startswith("Allowed") and card.reason.isHidden()
    QTest.keyClick(card.asked, Qt.Key.Key_Return)
    assert not card.isVisible()
    # A correction keeps the original and says why.
    screen.events.begin(EventKind.OBSERVATION)
    QTest.keyClicks(card.text, "Restless")
    QTest.keyClick(card.text, Qt.Key.Key_Return)
    screen.events.timeline.setCurrentRow(screen.events.timeline.count() - 1)
    fix = screen.events.correct_selected()
    assert fix is not None and fix.text.text() == "Restless"
    fix.text.setText("Restless, then calm")
    assert fix.save() is None and "why" in fix.error.text()
    fix.reason.setText("Added how it ended")
    assert fix.save() is not None
    rows = [screen.events.timeline.item(i).text() for i in range(screen.events.timeline.count())]
    assert rows[-2].endswith("Restless   (corrected below)")
    assert "Correction — of therapist observation · Restless, then calm" in rows[-1]
    stored = repos.events.for_session(session.id or 0)
    assert stored[-2].payload["text"] == "Restless" and stored[-1].corrects_id == stored[-2].id
    # Move on early: Alt+N ends the onset now.
    assert screen.clock.phase.text() == "Onset"
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_N, ALT)
    assert screen.clock.phase.text() == "Peak"
    assert repos.events.for_session(session.id or 0)[-1].kind is EventKind.PHASE_ADVANCED
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_D)
    card.suicide_risk.setChecked(True)
    QTest.keyClicks(card.text, "Said they don't want to wake up")
    QTest.keyClick(card.text, Qt.Key.Key_Return)
    assert "Suicide-risk flag raised" in screen.notice.text()
    assert [f.kind for f in repos.flags.active(cid)] == [FlagKind.SUICIDE_RISK]
    pass_time(screen.controller)
    dialog = screen.open_discharge()
    assert dialog is not None and dialog.safety_box.isVisible()
    for check in dialog.checks.values():
        check.setChecked(True)
    dialog.escort_name.setText("Jo Park")
    dialog.not_scored.setChecked(True)
    assert "Safety note" in dialog.missing.text()
    assert "Why Aldrete is not scored" in dialog.missing.text()
    dialog.not_scored_reason.setText(
        "Low-dose session without medical staff, as the clinic's protocol."
    )
    dialog.safety_note.setPlainText("Safety plan reviewed; crisis line on the card.")
    assert dialog.missing.text() == "Ready for discharge."
    assert dialog.finish()
    assert repos.sessions.get(session.id or 0).status is SessionStatus.ENDED


def test_a_running_session_comes_back_at_unlock(
    qtbot: QtBot, window_factory: WindowFactory, template_vault: Path, tmp_path: Path
) -> None:
    """As after a crash: the vault holds a dosed session; unlocking opens it at its clock."""
    from datetime import UTC, datetime, timedelta

    from ui.session_support import plan_im

    from kapcompanion.services.session import SessionRunner

    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    repos = Repos(vault)
    cid = add_client(repos)
    session = plan_im(repos, cid)
    prepare(repos, session)  # consent and the rest done: it starts
    dose_at = datetime.now(UTC) - timedelta(minutes=12, seconds=30)
    runner = SessionRunner(repos, session.id or 0, now_utc=lambda: dose_at - timedelta(minutes=10))
    runner.start(bell=False)
    runner.clock.mark_dose(dose_at)
    runner.session.dose_utc = dose_at
    runner.session.status = SessionStatus.DOSED
    repos.sessions.save(runner.session)
    window = window_factory(player=Player(NullBackend()))
    window.show()
    window.enter(vault)
    screen = window.page
    assert isinstance(screen, SessionScreen)
    assert screen.clock.big.text() in ("+0:12:30", "+0:12:31")
    assert screen.clock.phase.text() == "Peak"  # IM: onset 5 min, then peak
    assert isinstance(screen.controller, SessionController)
    QApplication.processEvents()


@pytest.mark.parametrize("theme", ["light", "dim"])
@pytest.mark.parametrize(
    "size", [(1366, 768), (960, 540), (910, 512)], ids=lambda s: f"{s[0]}x{s[1]}"
)
def test_the_running_screen_fits_and_names_its_controls(
    qtbot: QtBot, clinic: tuple[MainWindow, int], theme: str, size: tuple[int, int]
) -> None:
    from ui.session_support import plan_im
    from ui.test_keyboard_layout import clipped, unnamed

    from kapcompanion.core.vitals import VitalReading
    from kapcompanion.ui.session.host import open_session
    from kapcompanion.ui.theme import apply_theme

    window, cid = clinic
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    window.resize(*size)
    repos = repos_of(window)
    session = plan_im(repos, cid)
    add_checklist(repos, session, welcome=(TouchKind.HAND_ON_SHOULDER,))
    screen = open_session(window, session.id or 0)
    assert screen is not None
    qtbot.waitUntil(screen.isVisible)
    qtbot.wait(30)
    assert clipped(window) == [], "before the start"
    screen.prestart.override.setText(START_REASON)
    assert screen.start()
    qtbot.wait(30)
    assert clipped(window) == [], "started, before the dose"
    assert screen.give_dose()
    controller = screen.controller
    controller.record_vitals(
        VitalReading(165, 101, 125, 90, taken_utc=controller.runner.clock.now())
    )
    controller.record(EventKind.CLIENT_WORDS, {"text": "A long sentence of the client's " * 4})
    screen.events.begin(EventKind.TOUCH_OFFERED)
    qtbot.wait(30)
    assert clipped(window) == [], "running, with the touch card open"
    assert unnamed(screen) == []


def test_half_typed_words_survive_a_lock(qtbot: QtBot, clinic: tuple[MainWindow, int]) -> None:
    from ui.session_support import plan_im

    from kapcompanion.ui.session.host import open_session

    window, cid = clinic
    repos = repos_of(window)
    session = plan_im(repos, cid)
    prepare(repos, session)  # consent and the rest done: it starts
    screen = open_session(window, session.id or 0)
    assert screen is not None
    screen.prestart.override.setText(START_REASON)
    assert screen.start() and screen.give_dose()
    screen.events.begin(EventKind.CLIENT_WORDS)
    QTest.keyClicks(screen.events.card.text, "I forgot I was allowed")
    window.lock()
    unlock_again(qtbot, window.page, PASSPHRASE)  # type: ignore[arg-type]
    resumed = window.page
    assert isinstance(resumed, SessionScreen)
    card = resumed.events.card
    assert card.spec is not None and card.spec.kind is EventKind.CLIENT_WORDS
    assert card.text.text() == "I forgot I was allowed"
    QTest.keyClicks(card.text, " to rest.")
    assert card.submit() is not None
    words = [e for e in repos_of(window).events.for_session(session.id or 0)]
    assert words[-1].payload["text"] == "I forgot I was allowed to rest."
    assert repos_of(window).vault.get_json(f"session_entry_draft.{session.id}") is None
    # the discharge form is a draft too
    pass_time(resumed.controller)
    dialog = resumed.open_discharge()
    assert dialog is not None
    dialog.checks["alert_oriented"].setChecked(True)
    QTest.keyClicks(dialog.debrief, "Felt held by the music.")
    window.lock()
    unlock_again(qtbot, window.page, PASSPHRASE)  # type: ignore[arg-type]
    again = window.page
    assert isinstance(again, SessionScreen)
    dialog = again.open_discharge()
    assert dialog is not None and dialog.checks["alert_oriented"].isChecked()
    assert dialog.debrief.toPlainText() == "Felt held by the music."
    assert not dialog.checks["walks_unassisted"].isChecked()


def _alt_keys(window: MainWindow) -> list[str]:
    """Every Alt+letter the visible window answers to: mnemonics, menus, explicit shortcuts."""
    import re

    from PySide6.QtGui import QShortcut
    from PySide6.QtWidgets import QAbstractButton, QLabel

    keys: list[str] = []
    for action in window.menuBar().actions():
        keys += re.findall(r"&(\w)", action.text())
    for w in window.findChildren(QAbstractButton) + window.findChildren(QLabel):
        has_target = isinstance(w, QAbstractButton) or w.buddy() is not None
        if w.isVisible() and has_target and not w.text().startswith("<"):
            keys += re.findall(r"&(\w)", w.text())
    for shortcut in window.findChildren(QShortcut):
        text = shortcut.key().toString()
        parent = shortcut.parent()
        if (
            text.startswith("Alt+")
            and len(text) == 5
            and isinstance(parent, QWidget)
            and parent.isVisible()
            and shortcut.isEnabled()
        ):
            keys.append(text[-1])
    return [k.upper() for k in keys]


def test_no_two_controls_answer_to_the_same_alt_key(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    from ui.session_support import plan_im

    from kapcompanion.ui.session.host import open_session

    window, cid = clinic
    session = plan_im(repos_of(window), cid)
    prepare(repos_of(window), session)  # consent and the rest done: it starts
    screen = open_session(window, session.id or 0)
    assert screen is not None
    qtbot.waitUntil(screen.isVisible)
    before = _alt_keys(window)
    assert len(before) == len(set(before)), sorted(before)
    screen.prestart.override.setText(START_REASON)
    assert screen.start() and screen.give_dose()
    screen.events.begin(EventKind.MEDICATION_GIVEN)
    qtbot.wait(20)
    running = _alt_keys(window)
    assert len(running) == len(set(running)), sorted(running)
    assert {"N", "X", "E", "Y", "B"} <= set(running)


def test_after_a_reading_or_escape_the_one_key_events_work_again(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    """Focus goes back to the session after Record vitals and on Escape in a vitals field:
    "o" typed after a reading once went into SpO2 instead of opening an observation."""
    from ui.session_support import plan_im

    from kapcompanion.ui.session.host import open_session

    window, cid = clinic
    session = plan_im(repos_of(window), cid)
    prepare(repos_of(window), session)
    screen = open_session(window, session.id or 0)
    assert screen is not None
    qtbot.waitUntil(lambda: screen.isVisible() and window.isActiveWindow())
    assert screen.start()
    vitals = screen.vitals
    assert vitals.bp.hasFocus()  # pre-dose vitals are due: the entry is ready at the start
    QTest.keyClicks(vitals.bp, "122/78")
    QTest.keyClicks(vitals.hr, "72")
    QTest.keyClicks(vitals.spo2, "98")
    QTest.keyClick(vitals.spo2, Qt.Key.Key_Return)
    assert vitals.list.count() == 1
    assert screen.events.timeline.hasFocus() and not vitals.spo2.hasFocus()
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_O)
    card = screen.events.card

    def opened() -> EventKind | None:
        return card.spec.kind if card.spec is not None and card.isVisible() else None

    assert opened() is EventKind.OBSERVATION
    assert vitals.spo2.text() == "" and vitals.bp.text() == ""
    QTest.keyClick(card.text, Qt.Key.Key_Escape)
    assert opened() is None
    # V into the entry, then Escape out of it: the keys are events again
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_V)
    assert vitals.bp.hasFocus()
    QTest.keyClick(vitals.bp, Qt.Key.Key_Escape)
    assert screen.events.timeline.hasFocus()
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_C)
    assert opened() is EventKind.CLIENT_WORDS
    assert vitals.bp.text() == ""


@pytest.mark.parametrize("size", [(1366, 768), (1280, 720)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_event_card_fits_the_events_column(
    qtbot: QtBot, clinic: tuple[MainWindow, int], size: tuple[int, int]
) -> None:
    """No card is wider than its column: the Distress card was cut at the right ("Suicide risk
    (raises the safet", "Record (En") and the Touch card opened scrolled sideways ("uch
    offered")."""
    from ui.session_support import plan_im

    from kapcompanion.ui.session.events_panel import QUICK_EVENTS
    from kapcompanion.ui.session.host import open_session

    window, cid = clinic
    window.resize(*size)
    session = plan_im(repos_of(window), cid)
    prepare(repos_of(window), session)
    screen = open_session(window, session.id or 0)
    assert screen is not None
    qtbot.waitUntil(screen.isVisible)
    assert screen.start() and screen.give_dose()
    page = screen.events._pages[1]
    card = screen.events.card
    for spec in QUICK_EVENTS:
        screen.events.begin(spec.kind)
        qtbot.wait(20)
        room = page.viewport().width() - page.verticalScrollBar().sizeHint().width()
        assert card.minimumSizeHint().width() <= room, spec.label
        assert page.horizontalScrollBar().maximum() == 0, spec.label
        card.cancel()


def test_no_sound_is_said_where_the_music_is_and_once_more_at_most(
    qtbot: QtBot, window_factory: WindowFactory, template_vault: Path, tmp_path: Path
) -> None:
    """Without audio output the session screen said so three times (the window's banner, the
    music panel and the "Before you start" card); the banner now stays for the other pages."""
    from ui.session_support import plan_im

    from kapcompanion.audio.backend import NO_SOUND_OUTPUT
    from kapcompanion.ui.session.host import leave_session, open_session

    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    cid = add_client(Repos(vault))
    window = window_factory(player=Player(NullBackend(NO_SOUND_OUTPUT)))
    window.show()
    window.enter(vault)
    session = plan_im(repos_of(window), cid)
    prepare(repos_of(window), session)
    assert window.music_banner.isVisible()  # the client list: the banner says it
    screen = open_session(window, session.id or 0)
    assert screen is not None and screen.player is not None
    qtbot.waitUntil(screen.isVisible)

    def saying() -> list[QLabel]:
        return [
            w for w in window.findChildren(QLabel) if w.isVisible() and "audio device" in w.text()
        ]

    assert saying() == [screen.player.message_label]
    assert not window.music_banner.isVisible()
    # the "Before you start" card keeps its one short line
    assert screen.prestart.music.text().startswith("Music is unavailable on this computer")
    leave_session(window, screen)
    assert window.music_banner.isVisible()


def test_the_screen_counts_from_the_dose_given_as_the_pdf_does(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    """The dose came seconds after the start, yet the timeline and the Summary said
    "-0:14:59 Session started" (counted to the planned dose) while the PDF said -0:00:17."""
    from ui.session_support import plan_im

    from kapcompanion.ui.session.host import open_session

    window, cid = clinic
    session = plan_im(repos_of(window), cid)
    prepare(repos_of(window), session)
    screen = open_session(window, session.id or 0)
    assert screen is not None
    assert screen.start()
    before = screen.events.timeline.item(0).text()
    assert re.match(r"-0:1[45]:\d\d   Session started", before), before  # to the planned dose
    assert screen.give_dose()
    started = screen.events.timeline.item(0).text()
    assert re.match(r"[-+]0:00:0\d   Session started", started), started
    summary = screen.open_summary()
    assert summary is not None
    assert re.search(r"[-+]0:00:0\d Session started", summary.browser.toPlainText())
    summary.close()


def test_a_card_opens_with_its_first_field_in_sight_when_the_body_scrolls(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    """At 150 % (1366x768 is 910x512 then) the body scrolls: T opened the Touch card with its
    first field above the view, the timeline in sight instead."""
    from PySide6.QtCore import QPoint, QRect
    from ui.session_support import plan_im

    from kapcompanion.ui.session.events_panel import QUICK_EVENTS
    from kapcompanion.ui.session.host import open_session

    keys = {spec.kind: spec.key for spec in QUICK_EVENTS}
    window, cid = clinic
    window.resize(910, 512)
    repos = repos_of(window)
    session = plan_im(repos, cid)
    prepare(repos, session)
    screen = open_session(window, session.id or 0)
    assert screen is not None
    qtbot.waitUntil(lambda: screen.isVisible() and window.isActiveWindow())
    assert screen.start() and screen.give_dose()
    screen.events.timeline.setFocus()
    qtbot.wait(30)
    viewport = screen.body.viewport()
    for kind in (EventKind.TOUCH_OFFERED, EventKind.DISTRESS, EventKind.MEDICATION_GIVEN):
        screen.events.timeline.setFocus()
        screen.body.verticalScrollBar().setValue(screen.body.verticalScrollBar().maximum())
        QTest.keyClicks(screen.events.timeline, keys[kind].lower())
        qtbot.wait(30)
        field = QApplication.focusWidget()
        assert field is not None and screen.events.card.isAncestorOf(field), kind
        where = QRect(field.mapTo(viewport, QPoint(0, 0)), field.size())
        assert viewport.rect().contains(where), (kind, where, viewport.rect())
        screen.events.card.cancel()


def test_an_im_session_ends_early_with_a_written_reason(
    qtbot: QtBot, clinic: tuple[MainWindow, int], tmp_path: Path
) -> None:
    """Before the clinic's minimum time the dialog had no way out for a ketamine session."""
    from ui.session_support import pass_time, plan_im

    from kapcompanion.ui.session.host import open_session

    window, cid = clinic
    session = plan_im(repos_of(window), cid)
    prepare(repos_of(window), session)
    screen = open_session(window, session.id or 0)
    assert screen is not None and screen.start() and screen.give_dose()
    ctl = screen.controller
    pass_time(ctl, hours=0.5)
    dialog = screen._open_discharge_dialog()
    assert isinstance(dialog, DischargeDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.early_box.isVisible() and not dialog.esketamine_box.isVisible()
    assert "minimum is 90 min after the last IM dose" in dialog.early_hint.text()
    for check in dialog.checks.values():
        check.setChecked(True)
    dialog.escort_name.setText("Sam Rivers")
    for combo in dialog.aldrete.values():
        combo.setCurrentIndex(combo.count() - 1)
    assert "Too soon after the dose" in dialog.missing.text()
    assert "write why under “Ending before the minimum time”" in dialog.missing.text()
    keys = []
    for w in dialog.findChildren(QAbstractButton) + dialog.findChildren(QLabel):
        if w.isVisible() and (isinstance(w, QAbstractButton) or w.buddy() is not None):
            keys += [k.upper() for k in re.findall(r"&(\w)", w.text())]
    assert len(keys) == len(set(keys)) >= 8, keys  # every Alt key of the dialog is its own
    assert not dialog.finish()
    dialog.early_reason.setText("ER")
    assert "Why the session ends early" in dialog.missing.text()
    reason = "Prescriber saw him at 30 minutes and agreed he may go; his partner is driving."
    dialog.early_reason.setText(reason)
    assert dialog.missing.text() == "Ready for discharge."
    if os.environ.get("KAP_SCREENSHOTS"):
        from PySide6.QtWidgets import QScrollArea

        area = dialog.findChild(QScrollArea)
        assert area is not None
        area.ensureWidgetVisible(dialog.early_box)
        dialog.grab().save(str(Path(os.environ["KAP_SCREENSHOTS"]) / "discharge_early.png"))
    dialog.save_draft()  # the reason is part of the kept draft, like every other field
    assert dialog.draft()["early_reason"] == reason
    assert dialog.finish(), dialog.missing.text()
    stored = repos_of(window).sessions.get(ctl.session_id)
    assert stored.status is SessionStatus.ENDED
    assert stored.discharge["early_end_reason"] == reason
    (row,) = repos_of(window).vault.audit_entries(action="session.early_end")
    assert reason in row.detail


def test_a_transfer_to_emergency_care_replaces_the_home_checklist(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    """A client taken to hospital meets none of the criteria for going home: ticking the
    transfer hides them and asks who took the client over and why."""
    from ui.session_support import pass_time, plan_im

    from kapcompanion.ui.session.host import open_session

    window, cid = clinic
    session = plan_im(repos_of(window), cid)
    prepare(repos_of(window), session)
    screen = open_session(window, session.id or 0)
    assert screen is not None and screen.start() and screen.give_dose()
    ctl = screen.controller
    pass_time(ctl, hours=0.3)
    dialog = screen._open_discharge_dialog()
    assert isinstance(dialog, DischargeDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.transfer_box.isVisible() and all(p.isVisible() for p in dialog.home_parts)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    focus = QApplication.focusWidget() or dialog
    QTest.keyClick(focus, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)  # Alt+C ticks it
    qtbot.waitUntil(dialog.transfer_check.isChecked)  # a mnemonic clicks after its animation
    assert dialog.transfer_box.isVisible() and not any(p.isVisible() for p in dialog.home_parts)
    assert not dialog.early_box.isVisible()
    assert "Who took the client over" in dialog.missing.text()
    assert not dialog.finish()
    dialog.transfer_to.setText("Paramedics (ambulance 14), to St Mary's ED")
    dialog.transfer_reason.setText("Chest pain and sweating at 18 minutes; BP 190/110 twice.")
    assert dialog.missing.text() == "Ready to end the session with the transfer."
    assert "transfer" in dialog.end_button.text()
    if os.environ.get("KAP_SCREENSHOTS"):
        qtbot.wait(100)  # the layout settles after the boxes are hidden
        dialog.grab().save(str(Path(os.environ["KAP_SCREENSHOTS"]) / "discharge_transfer.png"))
    dialog.save_draft()
    assert dialog.draft()["transfer"] is True
    assert dialog.finish(), dialog.missing.text()
    stored = repos_of(window).sessions.get(ctl.session_id)
    assert stored.status is SessionStatus.ENDED
    assert stored.discharge["transfer_to"] == "Paramedics (ambulance 14), to St Mary's ED"
    assert len(repos_of(window).vault.audit_entries(action="session.transfer")) == 1
