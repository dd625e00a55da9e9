"""Issue 19 on screen: the medication reconciliation dialog and the therapist's override of a
relative finding, driven through the widgets on a real vault."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from ui.test_screening_section import key_on, open_section

from kapcompanion.core.screening import SCREENING_ITEMS, OverrideRole
from kapcompanion.services import members as practice
from kapcompanion.services.screening import current_screening
from kapcompanion.ui.main_window import MainWindow

AuditOf = Callable[..., list[tuple[str, str]]]


def test_the_prescriber_reconciles_the_intakes_medication(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf
) -> None:
    section = open_section(qtbot, unlocked)
    form = section.screening
    for item in SCREENING_ITEMS:
        key_on(form.rows[item.key], "n")
    assert form.outcome.text() == "Outcome: Eligible"
    section.tabs.setCurrentIndex(1)
    section.intake.medications.add_button.click()
    QTest.keyClicks(section.intake.medications.lines[0].edits["name"], "Lorazepam")
    section.tabs.setCurrentIndex(0)
    # "no" on screen, lorazepam on the intake: the item counts as "yes"
    assert form.outcome.text() == "Outcome: Needs physician review"
    assert "Interacting medication: answered yes (from the record)" in form.reasons.text()
    assert form.reconcile_button.isVisible()
    assert unlocked.ctx is not None
    lee = practice.add(unlocked.ctx.vault, "Dr Priya Lee", "MD", "prescriber")
    practice.set_pin(unlocked.ctx.vault, lee.id, "4826")
    dialog = form.ask_reconcile()
    assert dialog.covers.text() == "\u2022 Lorazepam: Benzodiazepines"
    QTest.keyClicks(dialog.prescriber.pin, "4826")
    QTest.keyClicks(dialog.reason, "fine")
    dialog.confirm.click()
    assert "too short" in dialog.error.text() and dialog.isVisible()
    dialog.reason.clear()
    QTest.keyClicks(dialog.reason, "Lorazepam is held for 24 hours before each session.")
    dialog.confirm.click()
    assert not dialog.isVisible()
    assert form.outcome.text() == "Outcome: Eligible"
    assert not form.reconcile_button.isVisible()
    assert "reconciled by Dr Priya Lee (MD)" in form.medication_hint.text()
    assert unlocked.ctx is not None
    stored = current_screening(unlocked.ctx.repos, section.client_id)[1]
    assert stored.reconciliation is not None and stored.reconciliation.medications == ["Lorazepam"]
    path = unlocked.ctx.vault.path
    unlocked.close()
    details = [d for a, d in audit_of(path, "screening.") if a == "screening.medication_reconciled"]
    assert len(details) == 1 and '"prescriber": "Dr Priya Lee"' in details[0]


def test_the_therapist_overrides_a_relative_finding(qtbot: QtBot, unlocked: MainWindow) -> None:
    section = open_section(qtbot, unlocked)
    form = section.screening
    for item in SCREENING_ITEMS:
        key_on(form.rows[item.key], "y" if item.key == "hiv" else "n")
    assert form.outcome.text() == "Outcome: Needs physician review"
    dialog = form.ask_override()
    assert not dialog.prescriber_box.isVisible()
    assert dialog.covers.text() == "\u2022 HIV: yes (relative finding)"
    QTest.keyClicks(dialog.reason, "typo test")
    dialog.confirm.click()
    assert "too short" in dialog.error.text()
    dialog.reason.clear()
    QTest.keyClicks(dialog.reason, "On treatment with an undetectable viral load; GP letter.")
    dialog.confirm.click()
    assert form.outcome.text() == "Outcome: Eligible by override"
    assert section.banner.text().startswith("Screening overridden by Dr Test on ")
    assert unlocked.ctx is not None
    stored = current_screening(unlocked.ctx.repos, section.client_id)[1]
    assert stored.override_role is OverrideRole.THERAPIST
