"""The Screening and intake section driven through its widgets on a real vault."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.intake import Intake
from kapcompanion.core.screening import SCREENING_ITEMS, Answer, Outcome, Screening, evaluate
from kapcompanion.core.serial import load
from kapcompanion.services import members as practice
from kapcompanion.services.screening import (
    SCREENING,
    current_intake,
    current_screening,
    save_record,
)
from kapcompanion.services.session import plan_session
from kapcompanion.ui import sections
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.sections.screening import ScreeningSection
from kapcompanion.ui.widgets.override_banner import ScreeningOverrideBanner

AuditOf = Callable[..., list[tuple[str, str]]]


def open_section(
    qtbot: QtBot, window: MainWindow, client_id: int | None = None
) -> ScreeningSection:
    ws = window.workspace
    assert ws is not None
    record = ws.open_client(client_id or ws.clients.model.client_id(0))
    assert record is not None
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    section = record.sections["screening"]
    assert isinstance(section, ScreeningSection)
    qtbot.waitUntil(section.isVisible)
    return section


def key_on(row: QWidget, key: str) -> None:
    row.setFocus()
    QTest.keyClicks(row, key)


def test_screening_by_keyboard_outcome_and_override(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf
) -> None:
    section = open_section(qtbot, unlocked)
    form = section.screening
    # nothing answered: the form says it is not finished (the gate still treats it as review)
    assert form.outcome.text() == (
        "Outcome: not finished (0 of 23 answered; needs review until it is)"
    )
    assert "23 screening items are not answered yet" in form.reasons.text()
    assert not form.rows["hiv"].note.isEnabled()  # type: ignore[union-attr]
    for item in SCREENING_ITEMS:  # N (or 2) on each focused row
        key_on(form.rows[item.key], "n" if item.key != "hiv" else "2")
    assert form.outcome.text() == "Outcome: Eligible"
    assert form.rows["hiv"].accessibleName() == "HIV: no"
    key_on(form.rows["recent_stroke"], "y")
    assert form.outcome.text() == "Outcome: Not eligible"
    assert (
        "Recent stroke: answered yes. This is a label contraindication; only the prescriber "
        "can override it." in form.reasons.text()
    )
    note = form.rows["recent_stroke"].note
    assert note is not None and note.isEnabled()
    QTest.keyClicks(note, "TIA in 2019, cleared by neurology")
    key_on(form.rows["family_psychosis"], "u")
    assert "Needs physician review" in form.reasons.text()

    # override: a label contraindication (recent stroke) needs the prescriber, and a sentence
    assert form.override_button.isVisible()
    assert form.override_button.accessibleName().endswith("(the prescriber's decision)")
    form.override_button.click()
    dialog = form.override_dialog
    assert dialog is not None and dialog.isVisible() and dialog.prescriber_box.isVisible()
    assert "Recent stroke: yes (label contraindication)" in dialog.covers.text()
    assert "Psychotic disorder in a first-degree relative: not known (relative finding)" in (
        dialog.covers.text()
    )
    # no prescriber in the practice yet: the dialog says so and how to add one
    assert dialog.prescriber.choice.count() == 0 and not dialog.prescriber.note.isHidden()
    assert "Settings > Practice members" in dialog.prescriber.note.text()
    dialog.confirm.click()
    assert "no prescriber among its members" in dialog.error.text()
    dialog.reject()
    assert unlocked.ctx is not None
    lee = practice.add(unlocked.ctx.vault, "Dr Priya Lee", "MD", "prescriber")
    practice.set_pin(unlocked.ctx.vault, lee.id, "4826")
    form.override_button.click()
    dialog = form.override_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.prescriber.choice.currentText() == "Dr Priya Lee, MD (prescriber)"
    dialog.confirm.click()
    assert dialog.error.text() == "Dr Priya Lee types their own PIN."
    QTest.keyClicks(dialog.prescriber.pin, "4826")
    QTest.keyClicks(dialog.reason, "ok")
    dialog.confirm.click()
    assert "too short to be a reason" in dialog.error.text()
    assert dialog.isVisible() and form.outcome.text() == "Outcome: Not eligible"
    dialog.reason.clear()
    QTest.keyClicks(dialog.reason, "Reviewed with the neurologist; risk accepted.")
    QTest.keyClicks(dialog.prescriber.pin, "0000")  # not hers: refused, nothing recorded
    dialog.confirm.click()
    assert dialog.error.text() == "That is not Dr Priya Lee's PIN; nothing was recorded."
    assert dialog.isVisible() and form.outcome.text() == "Outcome: Not eligible"
    overrides = "SELECT count(*) FROM audit WHERE action = 'screening.override'"
    assert unlocked.ctx.vault.read(overrides) == [(0,)]
    QTest.keyClicks(dialog.prescriber.pin, "4826")
    dialog.confirm.click()
    assert form.outcome.text() == "Outcome: Eligible by override"
    assert not dialog.isVisible() and not form.override_button.isVisible()
    assert section.banner.isVisible()
    assert "Reviewed with the neurologist" in section.banner.text()
    assert section.banner.text().startswith(
        "Screening overridden by the prescriber Dr Priya Lee (MD)"
    )

    assert unlocked.ctx is not None
    repos = unlocked.ctx.repos
    cid = section.client_id
    doc, stored = current_screening(repos, cid)
    assert doc is not None and evaluate(stored).overridden
    assert stored.responses["recent_stroke"].note == "TIA in 2019, cleared by neurology"
    assert (stored.override_by, stored.override_credential) == ("Dr Priya Lee", "MD")
    assert stored.override_entered_by == "Dr Test"
    assert repos.flags.active(cid) == []  # a banner, not a flag that could be resolved alone

    # the banner is on other screens of the client too, and a new finding voids the override
    other = ScreeningOverrideBanner(unlocked.ctx, cid)
    qtbot.addWidget(other)
    assert "Reviewed with the neurologist" in other.text()
    key_on(form.rows["acute_suicidality"], "y")
    assert form.outcome.text() == "Outcome: Not eligible"
    assert "no longer applies" in form.reasons.text()
    # the banner on this screen agrees at once, before the autosave
    assert not section.banner.text().startswith("Screening overridden")
    assert "Acute suicidality" in section.banner.text()
    assert "Outcome: Not eligible." in section.banner.text()
    assert section.flush()
    unlocked.ctx.signals.client_changed.emit(cid)
    assert "no longer applies" in other.text()
    path = unlocked.ctx.vault.path
    unlocked.close()
    actions = [a for a, _ in audit_of(path, "screening.")]
    assert actions[0] == "screening.create" and "screening.override" in actions


def test_down_moves_from_item_to_item_and_the_hint_says_what_tab_does(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    """Following the hint answers every item without typing into a note: Down moves to the
    next item (Tab goes to the item's note first, as the hint says)."""
    from kapcompanion.ui.screening_form import KEYS_HINT

    section = open_section(qtbot, unlocked)
    form = section.screening
    unlocked.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is unlocked)
    first = form.rows[SCREENING_ITEMS[0].key]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    for _ in SCREENING_ITEMS:
        here = QApplication.focusWidget()
        assert here is not None
        QTest.keyClicks(here, "n")
        QTest.keyClick(here, Qt.Key.Key_Down)
    assert form.outcome.text() == "Outcome: Eligible"
    assert all(row.note is None or row.note.text() == "" for row in form.rows.values())
    last = form.rows[SCREENING_ITEMS[-1].key]
    assert QApplication.focusWidget() is last  # Down on the last item stays there
    QTest.keyClick(last, Qt.Key.Key_Up)
    assert QApplication.focusWidget() is form.rows[SCREENING_ITEMS[-2].key]
    assert "Down and Up move from item to item" in KEYS_HINT
    assert "Tab goes to the item's note" in KEYS_HINT


def test_intake_ace_score_and_interacting_medication(qtbot: QtBot, unlocked: MainWindow) -> None:
    section = open_section(qtbot, unlocked)
    section.tabs.setCurrentIndex(1)
    intake = section.intake
    assert intake.ace_score.text() == "ACE score: not answered yet (0 of 10 items)."
    for i, row in enumerate(intake.ace_rows[:4]):
        key_on(row, "y" if i < 3 else "n")
    assert intake.ace_score.text().startswith("ACE score so far: 3 (4 of 10 answered; 6 not")
    for row in intake.ace_rows[4:]:
        key_on(row, "2")
    assert intake.ace_score.text() == "ACE score: 3 of 10."

    intake.indications["ptsd"].click()
    intake.medications.add_button.click()
    line = intake.medications.lines[0]
    QTest.keyClicks(line.edits["name"], "Xanax XR")
    QTest.keyClicks(line.edits["dose"], "0.5 mg at night")
    assert line.note.text() == "Interacts: Benzodiazepines"
    assert "Xanax XR (Benzodiazepines)" in intake.medication_summary.text()
    hint = section.screening.medication_hint
    assert "The intake lists Xanax XR (Benzodiazepines)" in hint.text()
    assert "until the prescriber reconciles" in hint.text()
    intake.go_screening.click()
    assert section.tabs.currentIndex() == 0
    assert hint.isVisible() and section.screening.reconcile_button.isVisible()
    row = section.screening.rows["interacting_medication"]
    qtbot.waitUntil(row.hasFocus)
    QTest.keyClicks(row, "y")
    section.tabs.setCurrentIndex(1)
    intake.substances.add_button.click()
    sub = intake.substances.lines[0].edits
    QTest.keyClicks(sub["substance"], "cannabis")
    QTest.keyClicks(sub["last_use"], "last weekend")
    QTest.keyClicks(intake.escort["name"], "Sam Rivers")
    QTest.keyClicks(intake.escort["phone"], "555-0101")
    assert section.flush()
    assert unlocked.ctx is not None
    doc, stored = current_intake(unlocked.ctx.repos, section.client_id)
    assert doc is not None
    assert stored.indications == ["ptsd"] and stored.ace_answers[:4] == [True, True, True, False]
    assert stored.medications[0].groups == ["benzodiazepines"]
    assert stored.substances[0].substance == "cannabis"
    assert stored.substances[0].last_use == "last weekend"
    assert stored.escort is not None and stored.escort.phone == "555-0101"
    assert load(Intake, doc.data) == stored
    assert (
        current_screening(unlocked.ctx.repos, section.client_id)[1]
        .responses["interacting_medication"]
        .answer
        == Answer.YES
    )


def test_signed_screening_is_read_only_until_a_new_draft(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    assert unlocked.ctx is not None
    repos = unlocked.ctx.repos
    doc = save_record(repos, SCREENING, 1, None, Screening())
    assert doc.id is not None
    repos.documents.sign(doc.id, "Dr Test")
    section = open_section(qtbot, unlocked, 1)
    assert section.screening_signed.isVisible()
    row = section.screening.rows["hiv"]
    key_on(row, "y")
    assert row.value() is None  # read-only: the key does nothing
    section._new_screening_draft()
    assert not section.screening_signed.isVisible()
    key_on(row, "y")
    assert section.flush()
    docs = repos.documents.find("screening", client_id=1)
    assert len(docs) == 2 and docs[0].signed and not docs[1].signed
    stored = load(Screening, docs[1].data)
    assert evaluate(stored).outcome is Outcome.PHYSICIAN_REVIEW
    assert stored.responses["hiv"].answer == Answer.YES


def test_baseline_measures_opens_the_measure_form(
    qtbot: QtBot, unlocked: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[dict[str, Any]] = []

    class FakeDialog(QMessageBox):
        def __init__(self, ctx: object, client_id: int, **kwargs: Any) -> None:
            super().__init__(kwargs["parent"])
            made.append({"client_id": client_id, **kwargs})

    module = types.ModuleType("fake_measure_form")
    module.__spec__ = importlib.machinery.ModuleSpec("fake_measure_form", None)
    module.MeasureFormDialog = FakeDialog  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_measure_form", module)
    monkeypatch.setattr(sections.screening, "MEASURE_FORM", "fake_measure_form")
    section = open_section(qtbot, unlocked)
    dialog = section.take_baseline()
    assert isinstance(dialog, FakeDialog)
    assert made[0]["context"] == "baseline" and made[0]["session_id"] is None
    assert made[0]["client_id"] == section.client_id and made[0]["parent"] is section
    dialog.close()

    monkeypatch.setattr(sections.screening, "MEASURE_FORM", "kapcompanion.ui.no_such_screen")
    box = section.take_baseline()
    assert isinstance(box, QMessageBox) and "not part of this version" in box.text()
    box.close()


@pytest.mark.parametrize(("theme", "size"), [("light", (1366, 768)), ("dim", (960, 540))])
def test_screens_fit_and_every_control_is_named(
    qtbot: QtBot, unlocked: MainWindow, theme: str, size: tuple[int, int]
) -> None:
    from ui.test_keyboard_layout import clipped, unnamed

    from kapcompanion.ui.preparation import open_preparation
    from kapcompanion.ui.theme import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    unlocked.resize(*size)
    section = open_section(qtbot, unlocked, 1)
    qtbot.wait(30)
    assert clipped(unlocked) == [] and unnamed(section) == []
    section.tabs.setCurrentIndex(1)
    qtbot.wait(30)
    assert clipped(unlocked) == [] and unnamed(section) == []
    assert unlocked.ctx is not None
    plan = DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5, lot="L1")
    sid = plan_session(unlocked.ctx.repos, 1, plan).id
    assert sid is not None
    dialog = open_preparation(unlocked.ctx, 1, sid, unlocked.workspace)
    qtbot.wait(30)
    assert clipped(dialog) == [] and unnamed(dialog) == []
    dialog.close()
