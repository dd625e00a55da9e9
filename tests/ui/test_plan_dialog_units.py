"""Issue 19 and 22 in the plan dialog: the weight's unit, the mode switch that converts, the
three dose levels with the confirmation naming the number, and one message that is never
stale."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from support import PASSPHRASE
from ui.session_support import add_client

from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.serial import load
from kapcompanion.core.settings import WEIGHT_UNIT
from kapcompanion.core.units import parse_weight
from kapcompanion.services import settings
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.sections.sessions import SessionsSection
from kapcompanion.ui.session.plan_dialog import PlanDialog

REASON = "Two sessions at 2 mg/kg had no effect; Dr Ames reviewed and agreed."


@pytest.fixture
def opened(
    qtbot: QtBot, tmp_path: Path, template_vault: Path, window_factory: Callable[..., MainWindow]
) -> Iterator[tuple[MainWindow, int]]:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    cid = add_client(Repos(vault))
    window = window_factory()
    window.show()
    window.enter(vault)
    yield window, cid


def _dialog(qtbot: QtBot, window: MainWindow, cid: int) -> PlanDialog:
    assert window.ctx is not None
    dialog = PlanDialog(window.ctx, cid, None, window)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(qtbot: QtBot, dialog: PlanDialog, weight: str, dose: str) -> None:
    dialog.weight.edit.clear()
    QTest.keyClicks(dialog.weight.edit, weight)
    dialog.dose.clear()
    QTest.keyClicks(dialog.dose, dose)


def test_pounds_typed_are_read_as_pounds(qtbot: QtBot, opened: tuple[MainWindow, int]) -> None:
    window, cid = opened
    dialog = _dialog(qtbot, window, cid)
    assert dialog.weight.unit() == "kg"  # the clinic's default
    _type(qtbot, dialog, "150 lb", "0.5")
    assert dialog.weight.unit() == "lb"  # the unit button follows the text
    assert dialog.weight.note.text() == "= 68.0 kg (150 lb)"
    assert dialog.computed.text() == "= 34 mg in total (0.5 mg/kg × 68 kg)"
    assert dialog.message.text() == "Within the usual Intramuscular (IM) range."
    # an unknown unit is refused, never read as kilograms
    dialog.weight.edit.clear()
    QTest.keyClicks(dialog.weight.edit, "150 st")
    assert dialog.weight.value() is None and "not a unit" in dialog.weight.note.text()
    assert "Within the usual" not in dialog.message.text()
    assert dialog.save() is None and "not a unit" in dialog.message.text()
    # the other unit is a click away and converts the same weight
    dialog.weight.edit.clear()
    QTest.keyClicks(dialog.weight.edit, "150")
    assert dialog.weight.note.text() == "= 68.0 kg (150 lb)"  # lb stays selected
    dialog.weight.buttons["kg"].click()
    assert dialog.weight.edit.text() == "68" and dialog.weight.value().kg == 68.0  # type: ignore[union-attr]
    dialog.weight.buttons["lb"].click()
    assert dialog.weight.edit.text() == "150"
    QTest.keyClicks(dialog.lot, "LOT-1")
    session = dialog.save()
    assert session is not None
    plan = load(DosePlan, session.plan)
    assert plan.total_mg == 34.0 and plan.weight.text() == "68.0 kg (150 lb)"


def test_the_clinic_default_unit_and_the_record_weight(
    qtbot: QtBot, opened: tuple[MainWindow, int]
) -> None:
    window, cid = opened
    assert window.ctx is not None
    settings.set_value(window.ctx.vault, WEIGHT_UNIT, "lb")
    first = _dialog(qtbot, window, cid)
    assert first.weight.unit() == "lb" and first.use_record_weight.isHidden()
    QTest.keyClicks(first.weight.edit, "160")
    assert first.weight.note.text() == "= 72.6 kg (160 lb)"  # a bare number: the clinic's lb
    first.close()
    repos = window.ctx.repos
    client = repos.clients.get(cid)
    client.weight = parse_weight("72.5 kg", "kg", date(2026, 11, 20))
    repos.clients.update(client)
    dialog = _dialog(qtbot, window, cid)
    # the record's dated weight is offered and filled in, in the unit it was entered in
    assert dialog.weight.value() == client.weight and dialog.weight.unit() == "kg"
    assert "72.5 kg (159.8 lb), 20 November 2026" in dialog.use_record_weight.text()
    dialog.weight.edit.clear()
    QTest.keyClicks(dialog.weight.edit, "75")
    assert dialog.weight.note.text() == "= 75.0 kg (165.3 lb)"
    dialog.use_record_weight.click()
    assert dialog.weight.note.text() == "= 72.5 kg (159.8 lb)"


def test_switching_the_mode_converts_the_dose(qtbot: QtBot, opened: tuple[MainWindow, int]) -> None:
    window, cid = opened
    dialog = _dialog(qtbot, window, cid)
    _type(qtbot, dialog, "70", "0.5")
    dialog.total_mode.setChecked(True)
    assert dialog.dose.suffix() == " mg" and dialog.dose.value() == 35.0
    assert dialog.computed.text() == "= 0.50 mg/kg (35 mg ÷ 70 kg)"
    dialog.per_kg_mode.setChecked(True)
    assert dialog.dose.suffix() == " mg/kg" and dialog.dose.value() == 0.5
    # a fixed total that is not a round mg/kg survives switching back and forth unchanged
    dialog.total_mode.setChecked(True)
    dialog.dose.clear()
    QTest.keyClicks(dialog.dose, "140")
    dialog.weight.edit.clear()
    QTest.keyClicks(dialog.weight.edit, "130")
    dialog.per_kg_mode.setChecked(True)
    assert dialog.dose.value() == 1.08
    assert dialog.computed.text() == "= 140 mg in total (1.08 mg/kg × 130 kg)"
    plan = dialog.plan()
    assert (plan.mg_per_kg, plan.total_mg) == (1.08, 140.0)
    dialog.total_mode.setChecked(True)
    assert dialog.dose.value() == 140.0
    # editing the dose after a switch uses the number as typed
    dialog.dose.clear()
    QTest.keyClicks(dialog.dose, "100")
    assert dialog.plan().total_mg == 100.0 and dialog.plan().mg_per_kg is None


def test_three_levels_and_the_confirmation_that_names_the_dose(
    qtbot: QtBot, opened: tuple[MainWindow, int]
) -> None:
    window, cid = opened
    dialog = _dialog(qtbot, window, cid)
    asked: list[str] = []
    answer = [False]

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer[0]

    dialog.confirm_dose = confirm
    _type(qtbot, dialog, "70", "10")  # the 10 mg/kg IM, 700 mg
    text = dialog.message.text()
    assert text.startswith("700 mg IM (10 mg/kg) is above the clinic's maximum")
    assert "Within" not in text and text.count("700 mg") == 1  # one message, once
    QTest.keyClicks(dialog.reason, "typo test")
    assert dialog.save() is None and asked == []  # refused outright, nothing to confirm
    # inside the maximum: the message changes with the input, never stale
    dialog.dose.clear()
    QTest.keyClicks(dialog.dose, "2.8")
    text = dialog.message.text()
    assert text.startswith("Above the usual range: 196 mg IM (2.8 mg/kg).")
    assert "clinic's maximum" not in text
    assert "“typo test” is too short to be a reason" in text
    assert dialog.save() is None and asked == []  # a token reason: no confirmation offered
    dialog.reason.clear()
    QTest.keyClicks(dialog.reason, REASON)
    assert "Saving asks you to confirm the dose." in dialog.message.text()
    assert dialog.save() is None
    assert asked == ["Give 196 mg IM (2.8 mg/kg)? This is above the usual range."]
    assert dialog.message.text() == "Not saved: the dose was not confirmed."
    answer[0] = True
    session = dialog.save()
    assert session is not None
    plan = load(DosePlan, session.plan)
    assert plan.above_usual and plan.confirmed == asked[-1] and plan.out_of_range_reason == REASON
    # the sessions list carries the mark
    assert window.ctx is not None
    section = SessionsSection(window.ctx, cid)
    qtbot.addWidget(section)
    assert "above the usual range" in section.table.item(0, 4).text()  # type: ignore[union-attr]
    # back in the usual range, the message says so and nothing else
    edit = PlanDialog(window.ctx, cid, session, window)
    qtbot.addWidget(edit)
    assert edit.message.text().startswith("Above the usual range: 196 mg IM (2.8 mg/kg).")
    edit.dose.clear()
    QTest.keyClicks(edit.dose, "1")
    assert edit.message.text() == "Within the usual Intramuscular (IM) range."
    again = edit.save()
    assert again is not None and not load(DosePlan, again.plan).above_usual
    assert Route(load(DosePlan, again.plan).route) is Route.IM


def test_the_message_area_keeps_its_height(qtbot: QtBot, opened: tuple[MainWindow, int]) -> None:
    window, cid = opened
    dialog = _dialog(qtbot, window, cid)
    dialog.resize(1000, 700)
    _type(qtbot, dialog, "70", "0.5")
    qtbot.wait(10)
    before = (dialog.message_area.height(), dialog.weight.edit.width(), dialog.dose.width())
    dialog.dose.clear()
    QTest.keyClicks(dialog.dose, "12.86")
    qtbot.wait(10)
    after = (dialog.message_area.height(), dialog.weight.edit.width(), dialog.dose.width())
    assert before == after


def test_client_dialog_keeps_a_dated_weight_and_height(qtbot: QtBot, unlocked: MainWindow) -> None:
    from PySide6.QtCore import QDate, Qt

    from kapcompanion.ui.client_dialog import ClientDialog

    ws = unlocked.workspace
    assert ws is not None
    QTest.keyClick(unlocked, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = ws.dialog
    assert isinstance(dialog, ClientDialog)
    QTest.keyClicks(dialog.name, "Ada Stone")
    assert dialog.weight.unit() == "kg"
    QTest.keyClicks(dialog.weight.edit, "150 lbs")
    assert dialog.weight.note.text() == "= 68.0 kg (150 lb)"
    QTest.keyClicks(dialog.body_height.edit, "5'7\"")
    assert dialog.body_height.note.text() == "= 170.2 cm (5 ft 7 in)"
    dialog.weight_on.setDate(QDate(2026, 11, 20))
    # an unreadable weight stops the save, with the message and the focus on the field
    dialog.weight.edit.setText("150 st")
    dialog.weight._typed("150 st")
    assert not dialog.save() and "not a unit" in dialog.error.text()
    assert dialog.focusWidget() is dialog.weight.edit
    dialog.weight.edit.clear()
    QTest.keyClicks(dialog.weight.edit, "150 lb")  # typing dates the weight today ...
    assert dialog.weight_on.date() == QDate.currentDate()
    dialog.weight_on.setDate(QDate(2026, 11, 20))  # ... unless the date is set after it
    assert dialog.save()
    assert ws.record is not None
    client = ws.record.client
    assert client.weight is not None and client.weight.text() == "68.0 kg (150 lb)"
    assert client.weight.measured_on == date(2026, 11, 20)
    assert client.height is not None and client.height.cm == 170.2
    assert "68.0 kg (150 lb) on 20/11/2026" in ws.record.summary.text()  # en_GB short date


def test_a_weight_set_or_pasted_is_read_at_once(qtbot: QtBot) -> None:
    """Text that reaches the field without typing (paste, set by code) is read like typed
    text: the meaning shown under the field is never the previous number's."""
    from kapcompanion.ui.widgets.measure_field import WeightField

    field = WeightField()
    qtbot.addWidget(field)
    field.edit.setText("93")
    first = field.value()
    assert first is not None and first.kg == 93.0
    field.edit.setText("68")
    second = field.value()
    assert second is not None and second.kg == 68.0
    assert "68.0 kg" in field.note.text() and "93" not in field.note.text()
    field.buttons["lb"].click()  # the field's own rewrite of the number keeps the weight
    third = field.value()
    assert third is not None and abs(third.kg - 68.0) < 0.1
    assert field.edit.text() == "149.9"
