"""The session's smaller parts: clock view and vitals reminder (no Qt), the plan dialog, clinic
defaults in the vault, the thresholds and music dialogs, and the sessions list."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from audio.audio_support import write_tone
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from readiness_support import prepare
from support import PASSPHRASE
from ui.session_support import add_client, plan_im

from kapcompanion.core.clock import ChangeKind, PhaseChange, PhaseKind, PlannedPhase, SessionClock
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import SessionStatus
from kapcompanion.core.serial import load
from kapcompanion.core.units import Weight
from kapcompanion.core.vitals import VitalReading, VitalThresholds
from kapcompanion.services import clinic
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.session.music_dialog import MusicDialog
from kapcompanion.ui.session.plan_dialog import PlanDialog
from kapcompanion.ui.session.state import clock_view, minutes_seconds, vitals_due
from kapcompanion.ui.session.thresholds_dialog import ThresholdsDialog

WindowFactory = Callable[..., MainWindow]
IM = [
    PlannedPhase(PhaseKind.ARRIVAL, 15),
    PlannedPhase(PhaseKind.ONSET, 5),
    PlannedPhase(PhaseKind.PEAK, 45),
    PlannedPhase(PhaseKind.RETURN, 25),
    PlannedPhase(PhaseKind.DEBRIEF, 20),
]


class Time:
    def __init__(self) -> None:
        self.utc = datetime(2025, 3, 30, 0, 50, tzinfo=UTC)
        self.mono = 50.0

    def now(self) -> datetime:
        return self.utc

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.utc += timedelta(seconds=seconds)
        self.mono += seconds


# --------------------------------------------------------------------------- no Qt
def test_clock_view_before_and_after_the_dose() -> None:
    t = Time()
    clock = SessionClock(None, t.utc, now_utc=t.now, monotonic=t.monotonic)
    t.advance(4 * 60 + 5)
    view = clock_view(SessionStatus.STARTED, clock, IM, [], 15, [])
    assert view.big == "4:05" and view.phase == "Arrival and opening"
    assert view.caption == "before the dose, since the start"
    assert view.remaining == "dose planned in 10:55" and view.next_phase == "Next: Onset"
    assert view.vitals.now and view.vitals.text == "Vitals due before the dose"
    view = clock_view(SessionStatus.STARTED, clock, IM, [], 15, [-1.0])  # pre-dose reading taken
    assert not view.vitals.now and view.vitals.text == "Next vitals at +0:15:00"
    clock.mark_dose()
    t.advance(3600 + 62)  # a wall-clock jump would not matter: the monotonic clock counts
    view = clock_view(SessionStatus.DOSED, clock, IM, [], 15, [-1.0])
    assert view.big == "+1:01:02" and view.phase == "Return" and view.remaining == "13:58 left"
    assert view.vitals.now and view.vitals.text.startswith("Vitals overdue")  # +1:00:00 missed
    extended = [PhaseChange(ChangeKind.EXTEND, 3600.0, 30)]
    assert clock_view(SessionStatus.DOSED, clock, IM, extended, 15, [-1]).remaining == "43:58 left"
    t.advance(2 * 3600)
    view = clock_view(SessionStatus.DOSED, clock, IM, [], 15, [-1.0])
    assert view.phase == "Planned phases complete" and view.next_phase == ""


def test_vitals_reminder_schedule() -> None:
    # before the dose, then every 15 min after it (15, 30, ..., 90) and at the planned end (95)
    due = vitals_due(IM, [], 15, [-1.0, 900.0], 1000.0, True)
    assert due.due_at == 1800.0 and not due.now and due.text.endswith("(in 13:20)")
    due = vitals_due(IM, [], 15, [-1.0, 900.0], 1810.0, True)
    assert due.now and due.text == "Vitals due now"
    taken = [-1.0, 900.0, 1800.0, 2700, 3600, 4500]
    due = vitals_due(IM, [], 15, taken, 5500.0, True)
    assert due.due_at == 90 * 60 and due.now
    due = vitals_due(IM, [], 15, taken, 5620.0, True)  # 90 min missed: the end reading is next
    assert due.due_at == 95 * 60 and not due.now and due.text.endswith("(in 1:20)")
    assert minutes_seconds(3725) == "1:02:05" and minutes_seconds(-3) == "0:00"


# --------------------------------------------------------------------------- dialogs
@pytest.fixture
def opened(
    qtbot: QtBot, window_factory: WindowFactory, template_vault: Path, tmp_path: Path
) -> tuple[MainWindow, int]:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    cid = add_client(Repos(vault))
    window = window_factory()
    window.show()
    window.enter(vault)
    return window, cid


def test_plan_dialog_fixed_dose_iv_and_clinic_phase_defaults(
    qtbot: QtBot, opened: tuple[MainWindow, int]
) -> None:
    window, cid = opened
    assert window.ctx is not None
    dialog = PlanDialog(window.ctx, cid, None, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.route.setCurrentIndex(dialog.route.findData(Route.SUBLINGUAL.value))
    assert not dialog.infusion.isEnabled()
    dialog.weight.set_value(Weight.of(80, "kg"))
    dialog.total_mode.setChecked(True)
    assert dialog.dose.suffix() == " mg"
    dialog.dose.setValue(200)
    assert dialog.computed.text().startswith("= 2.50 mg/kg")
    assert dialog.message.text() == "Within the usual Sublingual or lozenge range."
    dialog.route.setCurrentIndex(dialog.route.findData(Route.IV.value))
    assert dialog.infusion.isEnabled() and dialog.infusion.value() == 40
    assert dialog.phase_spins[PhaseKind.PEAK].value() == 30  # the shipped IV plan
    dialog.per_kg_mode.setChecked(True)
    assert dialog.dose.value() == 2.5  # 200 mg at 80 kg, converted (issue 19)
    dialog.dose.setValue(0.5)
    assert dialog.band_hint.text() == "Suggested: moderate"
    dialog.phase_spins[PhaseKind.PEAK].setValue(35)
    dialog.save_phases.click()
    assert "Saved as the clinic's default" in dialog.phases_note.text()
    stored = window.ctx.vault.get_json("phase_defaults")
    assert {"kind": "peak", "minutes": 35.0} in stored["iv"]
    assert clinic.phase_defaults(window.ctx.vault, Route.IV)[2] == PlannedPhase(PhaseKind.PEAK, 35)
    assert clinic.phase_defaults(window.ctx.vault, Route.IM)[2].minutes == 45  # untouched
    dialog.when_on.setChecked(True)
    session = dialog.save()
    assert session is not None and session.planned_for is not None
    plan = load(DosePlan, session.plan)
    assert plan.route is Route.IV and plan.total_mg == 40 and plan.infusion_minutes == 40
    assert plan.band is not None and plan.band.value == "moderate"

    # Editing the planned session keeps its number and applies the same rules.
    edit = PlanDialog(window.ctx, cid, session, window)
    qtbot.addWidget(edit)
    assert edit.phase_spins[PhaseKind.PEAK].value() == 35 and edit.dose.value() == 0.5
    edit.infusion.setValue(0)
    assert edit.save() is None and "infusion" in edit.message.text()
    edit.infusion.setValue(45)
    again = edit.save()
    assert again is not None and again.id == session.id and again.number == session.number
    assert load(DosePlan, again.plan).infusion_minutes == 45


def test_damaged_clinic_settings_fall_back_to_the_shipped_defaults(
    opened: tuple[MainWindow, int],
) -> None:
    window, _cid = opened
    assert window.ctx is not None
    vault = window.ctx.vault
    vault.set_json("phase_defaults", {"im": [{"kind": "peak", "minutes": -3}]})
    vault.set_json("vital_thresholds", {"spo2_below": "ninety", "heart_rate_below": 45})
    vault.set_json("phase_playlists", ["not", "a", "mapping"])
    assert clinic.phase_defaults(vault, Route.IM)[0].kind is PhaseKind.ARRIVAL
    assert clinic.thresholds(vault) == VitalThresholds(heart_rate_below=45)
    assert clinic.phase_playlists(vault, None).clinic == {}


def test_thresholds_dialog_changes_what_is_flagged(
    qtbot: QtBot, opened: tuple[MainWindow, int]
) -> None:
    window, cid = opened
    assert window.ctx is not None
    dialog = ThresholdsDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    assert dialog.spins["pre_systolic_above"].suffix() == " mmHg"
    dialog.spins["heart_rate_at_or_above"].setValue(100)
    assert dialog.save()
    assert clinic.thresholds(window.ctx.vault).heart_rate_at_or_above == 100
    from kapcompanion.ui.session.controller import SessionController

    session = plan_im(window.ctx.repos, cid)
    prepare(window.ctx.repos, session)
    controller = SessionController(window.ctx, session.id or 0)
    controller.start(bell=False)
    _vid, reading = controller.record_vitals(
        VitalReading(120, 80, 105, 98, taken_utc=datetime.now(UTC))
    )
    assert reading.flags == ["Heart rate 105 bpm (flag at 100 or more)."]
    controller.dispose()


def test_music_dialog_folders_import_and_phase_playlists(
    qtbot: QtBot, opened: tuple[MainWindow, int], tmp_path: Path
) -> None:
    window, cid = opened
    assert window.ctx is not None
    folder = tmp_path / "Clinic Music"
    folder.mkdir()
    write_tone(folder / "calm.wav", 0.5, 441.0)
    outside = tmp_path / "elsewhere.wav"
    write_tone(outside, 0.5, 441.0)
    playlist = folder / "Calm list.m3u8"
    playlist.write_text(
        "#EXTM3U\n#EXTINF:1,Quiet Trio - Calm\ncalm.wav\nmissing.wav\n"
        f"{outside}\nhttp://stream.invalid/live\n",
        encoding="utf-8",
    )
    dialog = MusicDialog(window.ctx, cid, window)
    qtbot.addWidget(dialog)
    dialog.add_folder(folder)
    qtbot.waitUntil(lambda: dialog.last_scan is not None, timeout=5000)
    assert "1 music file(s)" in dialog.scan_status.text()
    imported = dialog.import_file(playlist)
    assert imported is not None and len(imported.playable) == 1
    report = dialog.import_report.toPlainText()
    assert "1 of 4 track(s) can play" in report
    assert report.count("•") == 3  # missing, outside the folders, a network location
    combo = dialog.client_combos["peak"]
    index = combo.findData(str(playlist))
    assert index > 0  # offered once imported
    combo.setCurrentIndex(index)
    assert dialog.save()
    vault = window.ctx.vault
    assert clinic.music_folders(vault) == [folder]
    mapping = clinic.phase_playlists(vault, cid)
    assert mapping.playlist_for("peak") == playlist and mapping.source_of("peak") == "client"
    assert mapping.source_of("onset") == "shipped"
    assert clinic.phase_playlists(vault, None).playlist_for("peak").name == "peak.m3u8"


def test_sessions_list_and_enter_opens_the_next_thing(
    qtbot: QtBot, opened: tuple[MainWindow, int]
) -> None:
    window, cid = opened
    assert window.ctx is not None and window.workspace is not None
    first = plan_im(window.ctx.repos, cid)
    plan_im(window.ctx.repos, cid)
    record = window.workspace.open_client(cid)
    assert record is not None
    section = record.show_section("sessions")
    from kapcompanion.ui.sections.sessions import SessionsSection

    assert isinstance(section, SessionsSection)
    assert section.table.rowCount() == 2 and section.table.item(0, 2).text() == "Planned"  # type: ignore[union-attr]
    assert section.selected() is not None and section.selected().id == first.id  # type: ignore[union-attr]
    assert not section.summary_button.isEnabled() and section.edit_button.isEnabled()
    qtbot.waitUntil(section.isVisible)
    section.table.setFocus()
    QTest.keyClick(section.table, Qt.Key.Key_Return)  # start the selected planned session
    from kapcompanion.ui.session.screen import SessionScreen

    assert isinstance(window.page, SessionScreen)
    window.page.controller.dispose()


def test_a_plain_banner_says_when_music_is_unavailable(window_factory: WindowFactory) -> None:
    from kapcompanion.audio import NOT_INSTALLED, NullBackend, Player

    without = window_factory(player=Player(NullBackend()))
    assert not without.music_banner.isHidden()
    assert without.music_banner.text() == NOT_INSTALLED  # "Music is unavailable: ..."
    assert window_factory().music_banner.isHidden()  # no player given: nothing to say


def test_a_reason_is_confirmed_with_ctrl_enter_and_not_lost_to_escape(qtbot: QtBot) -> None:
    """The acknowledgement of a flagged reading (and a dose after one): Ctrl+Enter confirms
    from inside the reason, as in every other form; Escape asks before a written reason goes."""
    from PySide6.QtWidgets import QApplication

    from kapcompanion.ui.session.alert import ReasonDialog
    from kapcompanion.ui.widgets.form_keys import FormKeys

    given: list[str] = []
    dialog = ReasonDialog(
        "Acknowledge", "Flagged: BP", "&What you saw", "&Acknowledge", given.append
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()  # shortcuts work in the active window (offscreen too)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    asked: list[bool] = []
    keys = dialog.findChild(FormKeys)
    assert keys is not None

    def keep_editing(_parent: object) -> bool:
        asked.append(True)
        return False

    keys._ask = keep_editing
    QTest.keyClicks(dialog.reason, "Rested ten minutes; prescriber informed.")
    QTest.keyClick(dialog.reason, Qt.Key.Key_Escape)
    assert asked == [True] and dialog.isVisible() and given == []
    QTest.keyClick(dialog.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert given == ["Rested ten minutes; prescriber informed."]
    assert dialog.done_ok and not dialog.isVisible()
