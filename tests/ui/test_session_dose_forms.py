"""The dose forms on the session screen, through the real widgets on a real vault file.

The extra-dose card says where the session's total stands as the amount is typed; above the
usual range it asks for a reason (a token is refused) and then a confirmation that names the
number, and records both; above the clinic's maximum it refuses in plain words. With a
controlled-substance ledger, Ctrl+D offers the container (the open vial of the planned lot
first) and books the draw with the dose; without one it asks nothing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from readiness_support import prepare
from support import PASSPHRASE
from ui.session_support import add_client

from kapcompanion.audio import NullBackend, Player
from kapcompanion.core import ledger as lg
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import EventKind, SessionStatus
from kapcompanion.services import ledger as ledger_service
from kapcompanion.services.session import plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.session.draw import NOT_FROM_STOCK, DrawDialog
from kapcompanion.ui.session.host import open_session
from kapcompanion.ui.session.screen import SessionScreen

WindowFactory = Callable[..., MainWindow]
CTRL = Qt.KeyboardModifier.ControlModifier
REASON = "No dissociation after twenty minutes; the prescriber agreed by phone."
VIAL = lg.Product("Ketamine HCl injection", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10))


def _stock(repos: Repos, lot: str, quantity: int = 1) -> list[int]:
    product = ledger_service.add_product(repos, VIAL)
    got = ledger_service.receive(
        repos,
        lg.Receipt(
            supplier_name="Henry Schein",
            supplier_address="135 Duryea Road, Melville, NY 11747",
            supplier_dea="AB1234563",
            invoice="INV-88120",
            received_on=datetime.now(UTC).date() - timedelta(days=2),
            product_id=product.id or 0,
            quantity=quantity,
            lot=lot,
            expiry=date(2099, 6, 30),
            received_by="Dr Test",
        ),
        now=datetime.now(UTC) - timedelta(days=1),
    )
    return [c.id or 0 for c in got.containers]


@pytest.fixture
def session_screen(
    qtbot: QtBot, window_factory: WindowFactory, template_vault: Path, tmp_path: Path
) -> Callable[..., tuple[SessionScreen, Repos]]:
    def make(*, ledger: bool = False, dosed: bool = True) -> tuple[SessionScreen, Repos]:
        path = tmp_path / "clinic.kapv"
        shutil.copyfile(template_vault, path)
        vault = Vault.open(path, PASSPHRASE)
        repos = Repos(vault)
        cid = add_client(repos)
        session = plan_session(repos, cid, DosePlan(Route.IM, 70, 1.0, lot="LOT-7"))  # 70 mg
        prepare(repos, session)
        containers: list[int] = []
        if ledger:
            containers += _stock(repos, "OTHER-1")  # another lot, opened first
            ledger_service.administer(
                repos, containers[0], 10, by="Dr Test", patient="Someone Else"
            )
            containers += _stock(repos, "LOT-7", 2)
        window = window_factory(player=Player(NullBackend()))
        window.show()
        window.enter(vault)
        assert window.ctx is not None
        screen = open_session(window, session.id or 0)
        assert isinstance(screen, SessionScreen)
        qtbot.waitUntil(screen.isVisible)
        screen.controller.start(bell=False)
        if dosed:
            screen.controller.give_dose(container_id=containers[1] if ledger else None)
        screen.events.timeline.setFocus()
        return screen, window.ctx.repos

    return make


def _extras(repos: Repos, screen: SessionScreen) -> list[dict[str, object]]:
    events = repos.events.for_session(screen.controller.session_id)
    return [e.payload for e in events if e.kind is EventKind.EXTRA_DOSE]


def test_an_extra_dose_above_the_usual_range_asks_for_a_reason_then_the_number(
    qtbot: QtBot, session_screen: Callable[..., tuple[SessionScreen, Repos]]
) -> None:
    screen, repos = session_screen()
    card = screen.events.card
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return True

    card.confirm_dose = confirm
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_X)
    assert card.isVisible() and card.amount.hasFocus()
    assert card.amount.suffix() == " mg"
    assert not card.form.isRowVisible(card.draw)  # no ledger in this clinic: nothing asked
    card.amount.setValue(35)  # 70 + 35 = 105 mg: within the usual range
    assert card.dose_standing.text() == "This session's total is 105 mg IM (1.5 mg/kg)."
    assert not card.form.isRowVisible(card.dose_reason)
    card.amount.setValue(80)  # 150 mg IM: above the usual 140 mg
    assert "brings this session to 150 mg IM (2.14 mg/kg), above the usual range" in (
        card.dose_standing.text()
    )
    assert card.form.isRowVisible(card.dose_reason)
    QTest.keyClicks(card.dose_reason, "ok")
    QTest.keyClick(card.dose_reason, Qt.Key.Key_Return)
    assert "too short to be a reason" in card.message.text()
    assert card.dose_reason.hasFocus() and asked == [] and _extras(repos, screen) == []
    card.dose_reason.setText(REASON)
    QTest.keyClick(card.dose_reason, Qt.Key.Key_Return)
    question = (
        "Give an extra 80 mg, 150 mg IM (2.14 mg/kg) in this session? "
        "This is above the usual range."
    )
    assert asked == [question]
    (extra,) = _extras(repos, screen)
    assert extra["reason"] == REASON and extra["confirmed"] == question
    assert extra["above_usual"] is True and extra["running_total_mg"] == 150.0
    assert not card.isVisible()
    last = screen.events.timeline.item(screen.events.timeline.count() - 1).text()
    assert "Extra dose — 80 mg" in last
    row = repos.vault.audit_entries(action="session.extra_dose_outside_usual")[0]
    assert json.loads(row.detail)["reason"] == REASON


def test_an_unconfirmed_or_too_large_extra_dose_is_not_recorded(
    qtbot: QtBot, session_screen: Callable[..., tuple[SessionScreen, Repos]]
) -> None:
    screen, repos = session_screen()
    card = screen.events.card
    card.confirm_dose = lambda _q: False  # "Go back"
    screen.events.begin(EventKind.EXTRA_DOSE)
    card.amount.setValue(80)
    card.dose_reason.setText(REASON)
    assert card.submit() is None
    assert card.message.text() == "Not recorded: the extra dose was not confirmed."
    assert card.isVisible() and _extras(repos, screen) == []
    # 70 + 250 = 320 mg: above the clinic's 300 mg IM maximum, refused whatever is written
    card.confirm_dose = lambda _q: True
    card.amount.setValue(250)
    assert "above the clinic's maximum" in card.dose_standing.text()
    assert card.dose_standing.property("role") == "error"
    assert card.submit() is None
    assert card.message.text().startswith("An extra 250 mg brings this session to 320 mg IM")
    assert "it cannot be recorded as a dose to give" in card.message.text()
    assert _extras(repos, screen) == []


def test_ctrl_d_offers_the_open_vial_of_the_planned_lot_and_books_the_draw(
    qtbot: QtBot, session_screen: Callable[..., tuple[SessionScreen, Repos]]
) -> None:
    screen, repos = session_screen(ledger=True, dosed=False)
    other, first, second = (s.container.id or 0 for s in _states(repos))
    # the planned lot's first vial is opened by an earlier session: it is the one offered
    ledger_service.administer(repos, first, 20, by="Dr Test", patient="Someone Else")
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_D, CTRL)
    dialog = screen.dialog
    assert isinstance(dialog, DrawDialog)
    assert dialog.picker.container_id() == first
    shown = dialog.picker.combo.currentText()
    assert shown.startswith("K-0002 · 480 mg (9.6 mL) left · open · lot LOT-7")
    assert shown.endswith("offered")
    texts = [dialog.picker.combo.itemText(i) for i in range(dialog.picker.combo.count())]
    assert texts[-1] == NOT_FROM_STOCK and len(texts) == 4
    assert dialog.amount.value() == 70.0 and dialog.volume.text() == "= 1.4 mL"
    assert not dialog.picker.reason.isVisible()
    # more than the vial holds: the ledger refuses, the dose is not marked, the form stays
    dialog.amount.setValue(600)
    assert not dialog.submit()
    assert "could not be drawn" in dialog.error.text()
    assert screen.controller.status_kind is SessionStatus.STARTED
    dialog.amount.setValue(70)
    dialog.confirm.click()
    assert screen.controller.status_kind is SessionStatus.DOSED  # type: ignore[comparison-overlap]
    (draw,) = ledger_service.session_draws(repos, screen.controller.session_id)
    assert draw.container_id == first and draw.mg == Decimal(-70)
    assert "booked in the ledger" in screen.notice.text()
    assert {other, second} and other != first


def test_not_from_stock_needs_a_reason(
    qtbot: QtBot, session_screen: Callable[..., tuple[SessionScreen, Repos]]
) -> None:
    screen, repos = session_screen(ledger=True, dosed=False)
    dialog = screen.offer_container()
    dialog.picker.combo.setCurrentIndex(dialog.picker.combo.count() - 1)
    assert dialog.picker.reason.isVisible() and not dialog.amount.isEnabled()
    assert not dialog.submit() and "too short" not in dialog.error.text()
    assert "choose the container" in dialog.error.text()
    dialog.picker.reason.setText("Troche dispensed by the pharmacy on the client's prescription.")
    assert dialog.submit()
    assert screen.controller.status_kind is SessionStatus.DOSED
    assert ledger_service.session_draws(repos, screen.controller.session_id) == []


def test_without_a_ledger_ctrl_d_marks_the_dose_at_once(
    qtbot: QtBot, session_screen: Callable[..., tuple[SessionScreen, Repos]]
) -> None:
    screen, _repos = session_screen(dosed=False)
    QTest.keyClick(screen.events.timeline, Qt.Key.Key_D, CTRL)
    assert screen.dialog is None
    assert screen.controller.status_kind is SessionStatus.DOSED


def _states(repos: Repos) -> list[lg.ContainerState]:
    return sorted(ledger_service.stock(repos), key=lambda s: s.container.id or 0)
