"""The esketamine session screen (issue 16): the preset in the plan dialog, MOAA/S in one key
against the session clock, the alert it opens, the label's blood pressure prompt, and a
screen that fits at 1366x768 with every control named."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from readiness_support import prepare
from support import PASSPHRASE
from ui.session_support import add_client
from ui.test_keyboard_layout import clipped, unnamed
from ui.test_session_screen import _alt_keys

from kapcompanion.audio import NullBackend, Player
from kapcompanion.core import esketamine as esk
from kapcompanion.core.dose import DosePlan
from kapcompanion.core.models import EventKind
from kapcompanion.core.serial import load
from kapcompanion.core.vitals import VitalReading
from kapcompanion.services.session import plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.session.host import open_session
from kapcompanion.ui.session.plan_dialog import ESKETAMINE_ITEM, PlanDialog
from kapcompanion.ui.session.screen import SessionScreen

WindowFactory = Callable[..., MainWindow]
SHOTS = os.environ.get("KAP_SCREENSHOTS", "")


@pytest.fixture
def clinic(
    qtbot: QtBot, window_factory: WindowFactory, template_vault: Path, tmp_path: Path
) -> tuple[MainWindow, int]:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    cid = add_client(Repos(vault))
    window = window_factory(player=Player(NullBackend()))
    window.resize(1366, 768)
    window.show()
    window.enter(vault)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window, cid


def _repos(window: MainWindow) -> Repos:
    assert window.ctx is not None
    return window.ctx.repos


def _running(qtbot: QtBot, window: MainWindow, cid: int) -> SessionScreen:
    repos = _repos(window)
    session = plan_session(repos, cid, esk.esketamine_plan(70, 2, "SPR-2291"))
    prepare(repos, session)
    screen = open_session(window, session.id or 0)
    assert isinstance(screen, SessionScreen)
    qtbot.waitUntil(screen.isVisible)
    assert screen.acute is not None and "first device" in screen.dose_button.text()
    assert screen.start()
    ctl = screen.controller
    assert ctl.view().vitals.text == "Blood pressure due (before the first device)"
    ctl.record_vitals(VitalReading(128, 82, 72, 98, taken_utc=ctl.runner.clock.now()))
    assert screen.give_dose()
    return screen


def test_one_key_moaas_records_against_the_clock_and_opens_the_alert(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    window, cid = clinic
    screen = _running(qtbot, window, cid)
    screen.setFocus()
    QTest.keyClick(screen, Qt.Key.Key_4)
    checks = [e for e in screen.controller.runner.events() if e.kind is EventKind.SEDATION_CHECK]
    assert [e.payload["moaas"] for e in checks] == [4]
    assert checks[0].offset_s is not None and checks[0].offset_s >= 0
    assert not screen.alert.isVisible()
    assert "MOAA/S 4" in screen.notice.text()
    assert "Last: MOAA/S 4 at" in screen.acute.last.text()  # type: ignore[union-attr]
    QTest.keyClick(screen, Qt.Key.Key_2)
    qtbot.waitUntil(screen.alert.isVisible)
    assert "MOAA/S 2: Responds only after mild prodding or shaking" in screen.alert.detail.text()
    assert "Sedation or breathing alert" in screen.alert.title.text()
    dialog = screen.alert.open_acknowledge()
    dialog.reason.setPlainText("Shook her shoulder gently; she opened her eyes and spoke.")
    assert dialog.submit()
    qtbot.waitUntil(lambda: not screen.alert.isVisible())
    # digits typed into a text field stay text: they never record a score
    screen.acute.dissociation_note.setFocus()  # type: ignore[union-attr]
    QTest.keyClicks(screen.acute.dissociation_note, "3 min")  # type: ignore[union-attr]
    checks = [e for e in screen.controller.runner.events() if e.kind is EventKind.SEDATION_CHECK]
    assert len(checks) == 2
    assert screen.acute.dissociation_note.text() == "3 min"  # type: ignore[union-attr]


def test_the_esketamine_screen_fits_at_1366x768(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    window, cid = clinic
    screen = _running(qtbot, window, cid)
    screen.controller.record_sedation(5)
    screen.controller.record_dissociation("mild", "Floating feeling; calm.")
    qtbot.wait(50)
    assert clipped(window) == []
    assert unnamed(screen) == []
    keys = _alt_keys(window)
    assert len(keys) == len(set(keys)), sorted(keys)
    if SHOTS:
        window.grab().save(str(Path(SHOTS) / "esketamine_session.png"))


def test_the_plan_dialog_offers_the_esketamine_preset(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    window, cid = clinic
    assert window.ctx is not None
    dialog = PlanDialog(window.ctx, cid, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.route.setCurrentIndex(dialog.route.findData(ESKETAMINE_ITEM))
    assert dialog.devices.isVisible() and not dialog.dose.isVisible()
    dialog.weight.edit.clear()
    QTest.keyClicks(dialog.weight.edit, "70")
    dialog.devices.setCurrentIndex(dialog.devices.findData(3))
    assert "84 mg esketamine intranasal" in dialog.computed.text()
    assert dialog.message.text() == "A label dose of esketamine."
    assert dialog.phases() == list(esk.ESKETAMINE_PHASES)
    QTest.keyClicks(dialog.lot, "SPR-2291")
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "esketamine_plan.png"))
    stored = dialog.save()
    assert stored is not None
    plan = load(DosePlan, stored.plan)
    assert plan.esketamine and plan.devices == 3 and plan.total_mg == 84 and plan.lot == "SPR-2291"


def test_discharge_then_the_rems_form_from_the_summary(
    qtbot: QtBot, clinic: tuple[MainWindow, int], tmp_path: Path
) -> None:
    from datetime import date

    from pypdf import PdfReader
    from ui.session_support import pass_time

    from kapcompanion.ui.session.discharge import DischargeDialog
    from kapcompanion.ui.session.summary import SummaryDialog

    window, cid = clinic
    screen = _running(qtbot, window, cid)
    ctl = screen.controller
    ctl.record_sedation(5)
    dialog = screen._open_discharge_dialog()
    assert isinstance(dialog, DischargeDialog)
    assert dialog.esketamine_box.isVisible()
    assert "the label asks for" in dialog.monitoring.text()
    for check in dialog.checks.values():
        check.setChecked(True)
    dialog.escort_name.setText("Sam Rivers")
    for combo in dialog.aldrete.values():
        combo.setCurrentIndex(combo.count() - 1)
    dialog._refresh()
    assert "Monitoring since the first esketamine device" in dialog.missing.text()
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "esketamine_discharge.png"))
    pass_time(ctl, hours=2.1)
    dialog._refresh()
    assert dialog.missing.text() == "Ready for discharge."
    assert dialog.finish(), dialog.missing.text()
    stored = _repos(window).sessions.get(ctl.session_id)
    assert (
        "ready_to_leave_utc" in stored.discharge and stored.discharge["monitoring_minutes"] >= 120
    )
    summary = screen.open_summary()
    assert isinstance(summary, SummaryDialog) and summary.rems is not None
    box = summary.rems
    assert "REMS form due by" in box.state.text()
    assert box.export_to(tmp_path / "form.pdf")
    assert "SPR-2291" in PdfReader(tmp_path / "form.pdf").pages[0].extract_text()
    assert box.record_submitted()
    assert box.state.text() == f"Submitted on {date.today()}."
    if SHOTS:
        summary.grab().save(str(Path(SHOTS) / "esketamine_summary.png"))


def test_a_booster_in_devices_with_the_confirmation_above_the_label(
    qtbot: QtBot, clinic: tuple[MainWindow, int]
) -> None:
    from kapcompanion.ui.session.booster import BoosterDialog

    window, cid = clinic
    screen = _running(qtbot, window, cid)
    assert screen.booster_button.isVisible()
    dialog = screen.open_booster()
    assert isinstance(dialog, BoosterDialog)
    assert dialog.submit() is not None  # 56 + 28 = 84 mg: the label's top, no question
    extras = [e for e in screen.controller.runner.events() if e.kind is EventKind.EXTRA_DOSE]
    assert [(e.payload["devices"], e.payload["running_total_mg"]) for e in extras] == [(1, 84.0)]
    assert "booster" in screen.events.timeline.item(screen.events.timeline.count() - 1).text()
    again = screen.open_booster()
    assert again.submit() is None  # 112 mg: above the usual range
    assert "above the usual range" in again.message.text()
    assert again.confirm.isVisible() and "112 mg" in again.confirm.text()
    again.reason.setText("Prescriber ordered a further device after a partial spray; in chart.")
    assert again.submit() is None  # the reason alone is not enough
    assert again.question.startswith("Give an extra 28 mg, 112 mg intranasal")
    again.confirm.setChecked(True)
    assert again.submit() is not None
    qtbot.wait(50)
    assert clipped(window) == []
    if SHOTS:
        screen.window().grab().save(str(Path(SHOTS) / "esketamine_booster.png"))
