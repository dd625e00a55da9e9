"""The measure form on a real vault: keyboard filling, scores and bands, incomplete forms,
and the PHQ-9 item 9 safety flag from raise to resolution (audited)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from kapcompanion.core import serial
from kapcompanion.core.measures import MeasureContext, MeasureResponse
from kapcompanion.core.models import FlagKind
from kapcompanion.core.settings import PCL5_CUTPOINT
from kapcompanion.services import measures, settings
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.measure_form import MeasureFormDialog
from kapcompanion.ui.widgets.item_row import ItemRow
from kapcompanion.ui.widgets.safety_flag_banner import ResolveFlagDialog, SafetyFlagBanner

AuditOf = Callable[..., list[tuple[str, str]]]


def probable(cutpoint: int) -> str:
    """The PCL-5 band at or above the clinic's cut-point (National Center for PTSD: 31-33)."""
    return (
        f"probable PTSD: at or above the clinic's cut-point of {cutpoint}, in the published "
        "31-33 range"
    )


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def open_form(qtbot: QtBot, window: MainWindow, **kwargs: object) -> MeasureFormDialog:
    assert window.ctx is not None and window.workspace is not None
    cid = window.workspace.clients.model.client_id(0)
    dialog = MeasureFormDialog(window.ctx, cid, parent=window, **kwargs)  # type: ignore[arg-type]
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def type_answers(digits: str) -> None:
    for digit in digits:
        QTest.keyClicks(focused(), digit)


def stored(window: MainWindow, cid: int) -> list[MeasureResponse]:
    assert window.ctx is not None
    docs = window.ctx.repos.documents.find("measure", client_id=cid)
    return [serial.load(MeasureResponse, d.data) for d in docs]


def test_phq9_filled_by_keyboard_shows_score_and_band(qtbot: QtBot, unlocked: MainWindow) -> None:
    dialog = open_form(qtbot, unlocked)
    # baseline: the due instruments come first, PHQ-9 at the top
    assert dialog.instrument.currentData() == "phq9"
    assert dialog.instrument.itemText(0) == "PHQ-9 (due)"
    assert isinstance(focused(), ItemRow) and focused() is dialog.rows[0]
    type_answers("2132")  # items 1-4; each digit answers and moves on
    assert focused() is dialog.rows[4]
    assert "4 of 9 answered" in dialog.score.text()
    QTest.keyClick(focused(), Qt.Key.Key_Up)  # arrows move between items
    assert focused() is dialog.rows[3]
    QTest.keyClick(focused(), Qt.Key.Key_Left)  # and Left/Right step the answer
    assert dialog.rows[3].value == 1
    QTest.keyClick(focused(), Qt.Key.Key_Down)
    type_answers("7")  # not on the 0-3 scale: ignored, stays on the item
    assert focused() is dialog.rows[4] and dialog.rows[4].value is None
    type_answers("22110")
    # 2+1+3+1 + 2+2+1+1+0 = 13: moderate (10-14), shown before saving
    assert dialog.score.text() == "Score 13 of 27: moderate"
    assert not dialog.flag_label.isVisible()
    assert dialog.save()
    assert dialog.result() == MeasureFormDialog.DialogCode.Accepted
    (response,) = stored(unlocked, dialog.client_id)
    assert (response.score, response.band, response.flags) == (13, "moderate", [])
    assert response.context is MeasureContext.BASELINE
    assert response.answers == {1: 2, 2: 1, 3: 3, 4: 1, 5: 2, 6: 2, 7: 1, 8: 1, 9: 0}
    assert unlocked.ctx is not None
    assert unlocked.ctx.repos.flags.active(dialog.client_id) == []


def test_incomplete_is_refused_then_accepted_with_a_reason(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    dialog = open_form(qtbot, unlocked)
    index = dialog.instrument.findData("gad7")
    dialog.instrument.setCurrentIndex(index)
    assert len(dialog.rows) == 7
    type_answers("33221")  # items 1-5 of 7
    assert not dialog.save()
    assert dialog.isVisible() and "item(s) 6, 7 not answered" in dialog.error.text()
    assert focused() is dialog.rows[5]  # sent to the first blank item
    dialog.incomplete.setChecked(True)
    assert not dialog.save()  # ticked but no reason
    assert "Say why" in dialog.error.text()
    QTest.keyClicks(dialog.reason, "Client tired; stopped after item 5")
    assert dialog.save()
    (response,) = stored(unlocked, dialog.client_id)
    assert response.instrument_id == "gad7"
    assert response.score is None and response.band is None  # no prorating for the GAD-7
    assert response.incomplete_reason == "Client tired; stopped after item 5"
    assert response.answers[6] is None and response.answers[1] == 3


def test_item9_raises_a_flag_shown_until_resolved_with_a_note(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf
) -> None:
    ws = unlocked.workspace
    assert ws is not None and unlocked.ctx is not None
    cid = ws.clients.model.client_id(0)
    record = ws.open_client(cid)
    assert record is not None
    banner = record.findChild(SafetyFlagBanner)
    assert banner is not None and not banner.isVisible()  # no flag yet

    dialog = open_form(qtbot, unlocked)
    type_answers("11111111")
    assert not dialog.flag_label.isVisible()
    type_answers("1")  # item 9 above zero: visible at once
    assert dialog.flag_label.isVisible() and "item 9 positive" in dialog.flag_label.text()
    assert dialog.save()
    # saved, flagged, and the dialog now asks for a safety plan
    assert dialog.isVisible() and dialog.pages.currentIndex() == 1
    (flag,) = unlocked.ctx.repos.flags.active(cid)
    assert flag.kind is FlagKind.SUICIDE_RISK and flag.source == "PHQ-9"
    assert "item 9 positive" in flag.reason
    label = banner.rows[0].findChild(QLabel)
    assert banner.isVisible() and label is not None and "Suicide risk" in label.text()
    assert not dialog.save_safety_plan()  # empty plan refused
    QTest.keyClicks(dialog.safety_text, "Warning signs; call partner; crisis line 988.")
    assert dialog.save_safety_plan() and not dialog.isVisible()
    (plan,) = unlocked.ctx.repos.documents.find("safety_plan", client_id=cid)
    assert plan.data["text"] == "Warning signs; call partner; crisis line 988."

    # the flag stays after the safety plan; resolving needs a note
    assert len(unlocked.ctx.repos.flags.active(cid)) == 1 and banner.isVisible()
    resolve = banner.resolve()
    assert isinstance(resolve, ResolveFlagDialog)
    resolve.buttons.accepted.emit()
    assert resolve.isVisible() and "Write a note" in resolve.error.text()
    QTest.keyClicks(resolve.note, "Assessed with client: no plan or intent; plan agreed.")
    resolve.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not banner.isVisible())
    assert unlocked.ctx.repos.flags.active(cid) == []
    (resolved,) = unlocked.ctx.repos.flags.for_client(cid)
    assert resolved.resolution_note.startswith("Assessed with client")
    path: Path = unlocked.ctx.vault.path
    unlocked.close()
    actions = audit_of(path)
    assert ("flag.raise", "suicide_risk") in actions
    assert ("flag.resolve", "suicide_risk") in actions
    names = [a for a, _ in actions]
    assert names.index("measure.create") < names.index("flag.raise") < names.index("flag.resolve")


def test_craving_scale_is_typed_as_a_number(qtbot: QtBot, unlocked: MainWindow) -> None:
    dialog = open_form(qtbot, unlocked, context="other")
    dialog.instrument.setCurrentIndex(dialog.instrument.findData("craving100"))
    (row,) = dialog.rows
    assert row.spin is not None and focused() is row.spin  # 0-100: typed, not one digit
    QTest.keyClicks(focused(), "65")
    assert row.value == 65
    assert dialog.score.text() == "Score 65 of 100 (this scale has no severity bands)"
    QTest.keyClick(focused(), Qt.Key.Key_Return)  # Enter moves on, never saves by accident
    assert dialog.isVisible() and dialog.doc is None
    assert dialog.save()
    (response,) = stored(unlocked, dialog.client_id)
    assert (response.instrument_id, response.score, response.band) == ("craving100", 65, None)
    assert response.context is MeasureContext.OTHER


def test_the_form_saves_through_the_service_in_one_transaction(
    qtbot: QtBot, unlocked: MainWindow, audit_of: AuditOf, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = measures.save_response

    def spy(*args: Any, **kwargs: Any) -> measures.SavedResponse:
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(measures, "save_response", spy)
    assert unlocked.ctx is not None
    vault = unlocked.ctx.vault
    dialog = open_form(qtbot, unlocked)
    type_answers("000000003")
    commits: list[str] = []
    vault.conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None
    )
    try:
        assert dialog.save()
    finally:
        vault.conn.set_trace_callback(None)
    assert calls == ["phq9"]
    assert len(commits) == 1  # the form, the flag and both audit rows: one commit
    assert dialog.flag is not None and dialog.flag.kind is FlagKind.SUICIDE_RISK
    assert dialog.pages.currentIndex() == 1
    path: Path = vault.path
    unlocked.close()
    names = [a for a, _ in audit_of(path)]
    at = names.index("measure.create")
    assert names[at : at + 2] == ["measure.create", "flag.raise"]


def test_the_ui_modules_of_measures_reach_data_only_through_the_service() -> None:
    import kapcompanion.ui.measure_form as form
    import kapcompanion.ui.measure_schedule as schedule
    import kapcompanion.ui.sections.measures as section

    for module in (form, schedule, section):
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        for banned in ("transaction(", ".audit(", "set_json", "store.repos", "record_response"):
            assert banned not in source, f"{module.__name__} uses {banned}"
        assert re.search(r"repos\.\w+\.", source) is None, module.__name__


def test_pcl5_shows_the_provisional_result_beside_the_total(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    assert unlocked.ctx is not None
    settings.set_value(unlocked.ctx.vault, PCL5_CUTPOINT, 31)
    dialog = open_form(qtbot, unlocked, context="other")
    dialog.instrument.setCurrentIndex(dialog.instrument.findData("pcl5"))
    assert len(dialog.rows) == 20
    # B: 4,4,4,4,1  C: 2,1  D and E "A little bit": total 33, D and E without an item at 2
    type_answers("44441" + "21" + "1" * 13)
    text = dialog.score.text()
    assert text.startswith(f"Score 33 of 80: {probable(31)}\n")
    assert "Provisional DSM-5 PTSD diagnosis: not met (D has 0 of the 2 items needed; E has" in (
        text
    )
    dialog.rows[7].set_value(2)  # D: 8 and 9 at 2; E: 15 and 16 at 2
    dialog.rows[8].set_value(2)
    dialog.rows[14].set_value(2)
    dialog.rows[15].set_value(2)
    dialog._update_score()
    assert "Provisional DSM-5 PTSD diagnosis: met." in dialog.score.text()
    assert dialog.save()
    (response,) = stored(unlocked, dialog.client_id)
    assert (response.score, response.cutpoint, response.provisional) == (37, 31, True)
    assert response.band == probable(31)


def test_flag_banner_dates_the_answer_not_the_entry(qtbot: QtBot, unlocked: MainWindow) -> None:
    """A PHQ-9 answered three days ago and entered today: the banner gives the answer's date
    and says when it was flagged."""
    from datetime import datetime, timedelta

    from kapcompanion.core import wording

    ws = unlocked.workspace
    assert ws is not None and unlocked.ctx is not None
    cid = ws.clients.model.client_id(0)
    answered = datetime.now().astimezone() - timedelta(days=3)
    measures.save_response(
        unlocked.ctx.repos, cid, "phq9", dict.fromkeys(range(1, 10), 1), taken_on=answered
    )
    # a later PHQ-9 entered seconds after (item 9 now 0): the banner still dates the answer
    # that raised the flag, which the flag names, not the newest response before it
    later = answered + timedelta(days=2)
    answers = dict.fromkeys(range(1, 9), 1) | {9: 0}
    measures.save_response(unlocked.ctx.repos, cid, "phq9", answers, taken_on=later)
    record = ws.open_client(cid)
    assert record is not None
    banner = record.findChild(SafetyFlagBanner)
    assert banner is not None
    label = banner.rows[0].findChild(QLabel)
    assert label is not None
    today = wording.short_date(datetime.now().astimezone())
    assert f"(from PHQ-9, {wording.short_date(answered)}; flagged {today})" in label.text()
