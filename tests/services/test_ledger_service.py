"""The ledger's actions on real vault files: receive, administer (also from a session, in the
session's own transaction), waste with and without a witness, counts and discrepancies, loss
reports and their reminders, corrections; every change audited and covered by ``vault check``."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlcipher3
from readiness_support import prepare
from support import PASSPHRASE

from kapcompanion.core import ledger as lg
from kapcompanion.core import wording
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, EventKind
from kapcompanion.core.settings import OPENED_VIAL_HOURS
from kapcompanion.services import ledger as svc
from kapcompanion.services import members as practice
from kapcompanion.services import settings as clinic_settings
from kapcompanion.services.session import SessionError, SessionRunner, plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)  # a Wednesday
VIAL = lg.Product("Ketamine HCl injection", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10))
SUPPLIER = dict(
    supplier_name="Henry Schein",
    supplier_address="135 Duryea Road, Melville, NY 11747",
    supplier_dea="AB1234563",
    invoice="INV-88120",
)


def _receipt(product_id: int, quantity: int = 2, **kw: object) -> lg.Receipt:
    fields: dict[str, object] = dict(
        SUPPLIER,
        received_on=date(2025, 3, 3),
        product_id=product_id,
        quantity=quantity,
        lot="A123",
        expiry=date(2031, 6, 30),
        received_by="Dr Test",
    )
    fields.update(kw)
    return lg.Receipt(**fields)  # type: ignore[arg-type]


def _stocked(repos: Repos, quantity: int = 2) -> tuple[lg.Product, list[lg.Container]]:
    product = svc.add_product(repos, VIAL)
    assert product.id is not None
    got = svc.receive(repos, _receipt(product.id, quantity), now=NOW)
    return product, got.containers


SAM_PIN = "8642"


def _sam(repos: Repos) -> int:
    """Sam Lee, RN: the practice's second member, with the PIN she set herself."""
    sam = practice.add(repos.vault, "Sam Lee", "RN", "nurse")
    practice.set_pin(repos.vault, sam.id, SAM_PIN)
    return sam.id


def _cid(c: lg.Container) -> int:
    assert c.id is not None
    return c.id


def _check_ok(vault: Vault) -> None:
    report = vault.check()
    assert report.ok, report.lines()


def test_receive_administer_waste_count_with_exact_balances(repos: Repos) -> None:
    _product, (k1, k2) = _stocked(repos)
    assert [c.label for c in (k1, k2)] == ["K-0001", "K-0002"]
    assert svc.container_state(repos, _cid(k1), NOW).balance_mg == 500
    draw = svc.administer(repos, _cid(k1), "35", by="Dr Test", patient="Mara Quinn", now=NOW)
    assert draw.mg == Decimal(-35) and draw.detail["ml"] == "0.7"
    svc.waste(
        repos,
        _cid(k1),
        "2.5",
        by="Dr Test",
        method="drug disposal container",
        reason="Unused remainder in the drawn syringe",
        witness_id=_sam(repos),
        witness_pin=SAM_PIN,
        now=NOW,
    )
    state = svc.container_state(repos, _cid(k1), NOW)
    assert state.balance_mg == Decimal("462.5") and state.balance_ml == Decimal("9.25")
    assert state.opened and not state.beyond_use
    counted = svc.count(
        repos,
        lg.CountKind.INITIAL,
        "Dr Test",
        {_cid(k1): ("462.5", True), _cid(k2): ("500", False)},
        now=NOW,
    )
    assert counted.discrepancies == []
    assert [b for _e, b in lg.running(repos.ledger.entries(container_id=_cid(k1)))] == [
        Decimal(500),
        Decimal(465),
        Decimal("462.5"),
    ]
    actions = [r.action for r in repos.vault.audit_entries(limit=10)]
    for action in ("ledger.receive", "ledger.administer", "ledger.waste", "ledger.count"):
        assert action in actions
    _check_ok(repos.vault)


def test_a_draw_beyond_the_balance_is_refused_and_changes_nothing(repos: Repos) -> None:
    _p, (k1, _k2) = _stocked(repos)
    svc.administer(repos, _cid(k1), "480", by="Dr Test", patient="Mara Quinn", now=NOW)
    before = len(repos.vault.audit_entries(limit=1000))
    with pytest.raises(svc.LedgerRefused, match="more than container K-0001 holds"):
        svc.administer(repos, _cid(k1), "20.001", by="Dr Test", patient="Mara Quinn", now=NOW)
    with pytest.raises(svc.LedgerRefused, match="more than container"):
        svc.waste(
            repos,
            _cid(k1),
            "21",
            by="Dr Test",
            method="sink",
            reason="Dropped syringe on the floor",
            now=NOW,
        )
    assert len(repos.vault.audit_entries(limit=1000)) == before
    assert svc.container_state(repos, _cid(k1), NOW).balance_mg == 20
    svc.administer(repos, _cid(k1), "20", by="Dr Test", patient="Mara Quinn", now=NOW)
    assert svc.container_state(repos, _cid(k1), NOW).empty
    with pytest.raises(svc.LedgerRefused, match="empty"):
        svc.administer(repos, _cid(k1), "1", by="Dr Test", patient="Mara Quinn", now=NOW)


def test_expired_container_needs_a_reason(repos: Repos) -> None:
    product = svc.add_product(repos, VIAL)
    assert product.id is not None
    got = svc.receive(
        repos,
        _receipt(product.id, 1, received_on=date(2024, 1, 2), expiry=date(2025, 3, 1)),
        now=NOW,
    )
    cid = _cid(got.containers[0])
    with pytest.raises(
        svc.LedgerRefused, match=re.escape(f"expired on {wording.short_date(date(2025, 3, 1))}")
    ):
        svc.administer(repos, cid, "35", by="Dr Test", patient="Mara Quinn", now=NOW)
    entry = svc.administer(
        repos,
        cid,
        "35",
        by="Dr Test",
        patient="Mara Quinn",
        now=NOW,
        override_reason="No other vial in stock and the pharmacist approved this use",
    )
    assert "pharmacist approved" in entry.detail["override_reason"]
    assert "pharmacist approved" in repos.vault.audit_entries(limit=1)[0].detail
    items = " ".join(r.text for r in svc.open_items(repos, NOW))
    assert "K-0001" in items and f"expired {wording.short_date(date(2025, 3, 1))}" in items


def test_beyond_use_time_from_the_clinic_setting(repos: Repos) -> None:
    _p, (k1, _k2) = _stocked(repos)
    svc.administer(repos, _cid(k1), "35", by="Dr Test", patient="Mara Quinn", now=NOW)
    later = NOW + timedelta(hours=13)
    assert not svc.container_state(repos, _cid(k1), later).beyond_use
    clinic_settings.set_value(repos.vault, OPENED_VIAL_HOURS, 12)
    assert svc.container_state(repos, _cid(k1), later).beyond_use
    with pytest.raises(svc.LedgerRefused, match="beyond-use time"):
        svc.administer(repos, _cid(k1), "35", by="Dr Test", patient="Mara Quinn", now=later)
    # the session offer skips it and goes to the unopened vial
    assert svc.offered_container(repos, "A123", later) == _cid(_k2)


def test_waste_without_witness_stays_open_until_witnessed(repos: Repos) -> None:
    _p, (k1, _k2) = _stocked(repos)
    sam = _sam(repos)
    me = practice.profile_member(repos.vault).id
    with pytest.raises(svc.LedgerRefused, match="reason"):
        svc.waste(repos, _cid(k1), "5", by="Dr Test", method="sink", reason="x", now=NOW)
    with pytest.raises(svc.LedgerRefused, match="second person"):
        svc.waste(
            repos,
            _cid(k1),
            "5",
            by="Dr Test",
            method="sink",
            reason="Unused remainder in the syringe",
            witness_id=me,
            witness_pin=PASSPHRASE,  # the right credential, and still not a second person
            now=NOW,
        )
    waste = svc.waste(
        repos,
        _cid(k1),
        "5",
        by="Dr Test",
        method="drug disposal container",
        reason="Unused remainder in the syringe",
        now=NOW,
    )
    assert waste.id is not None
    assert [e.id for e in svc.awaiting_witness(repos)] == [waste.id]
    assert any("awaiting a witness" in r.text for r in svc.open_items(repos, NOW))
    with pytest.raises(svc.LedgerRefused, match="second person"):
        svc.witness_waste(repos, waste.id, witness_id=me, pin=PASSPHRASE, now=NOW)
    witnessed = svc.witness_waste(repos, waste.id, witness_id=sam, pin=SAM_PIN, now=NOW)
    assert witnessed.detail["witness"] == "Sam Lee"
    assert witnessed.detail["witness_credential"] == "RN"
    assert witnessed.detail["witness_member_id"] == sam
    assert svc.awaiting_witness(repos) == []
    assert not any("awaiting a witness" in r.text for r in svc.open_items(repos, NOW))
    with pytest.raises(svc.LedgerRefused, match="already has a witness"):
        svc.witness_waste(repos, waste.id, witness_id=sam, pin=SAM_PIN, now=NOW)
    _check_ok(repos.vault)


def test_count_difference_is_a_discrepancy_then_explained(repos: Repos) -> None:
    _p, (k1, k2) = _stocked(repos)
    svc.administer(repos, _cid(k1), "35", by="Dr Test", patient="Mara Quinn", now=NOW)
    with pytest.raises(svc.LedgerRefused, match="not counted: K-0002"):
        svc.count(repos, lg.CountKind.DAILY, "Dr Test", {_cid(k1): ("465", True)}, now=NOW)
    with pytest.raises(svc.LedgerRefused, match="unopened: count it exactly"):
        svc.count(
            repos,
            lg.CountKind.DAILY,
            "Dr Test",
            {_cid(k1): ("465", True), _cid(k2): ("500", True)},
            now=NOW,
        )
    counted = svc.count(
        repos,
        lg.CountKind.DAILY,
        "Dr Test",
        {_cid(k1): ("460", True), _cid(k2): ("500", False)},
        now=NOW,
    )
    assert [d.difference_mg for d in counted.discrepancies] == [Decimal(-5)]
    assert len(svc.open_discrepancies(repos)) == 1
    assert any(
        "explain the difference or report a loss" in r.text for r in svc.open_items(repos, NOW)
    )
    assert counted.entry.id is not None
    svc.explain_discrepancy(
        repos,
        counted.entry.id,
        _cid(k1),
        explanation="Measured with a 1 mL syringe, the earlier estimate was high",
        by="Dr Test",
        now=NOW,
    )
    assert svc.open_discrepancies(repos) == []
    assert svc.container_state(repos, _cid(k1), NOW).balance_mg == 460
    _check_ok(repos.vault)


def test_loss_report_reminds_until_both_steps_are_done(repos: Repos) -> None:
    _p, (k1, k2) = _stocked(repos)
    counted = svc.count(
        repos,
        lg.CountKind.DAILY,
        "Dr Test",
        {_cid(k1): ("500", False), _cid(k2): ("0", False)},
        now=NOW,
    )
    assert counted.entry.id is not None
    friday = datetime(2025, 3, 7, 17, 0, tzinfo=UTC)
    loss = svc.report_loss(
        repos,
        theft=True,
        discovered_on=friday.date(),
        discovered_by="Dr Test",
        description="The second vial is missing from the locked cabinet",
        count_id=counted.entry.id,
        now=friday,
    )
    assert loss.id is not None
    assert loss.detail["notice_due"] == "2025-03-10"  # the next business day is Monday
    assert svc.container_state(repos, _cid(k2), friday).empty
    assert svc.open_discrepancies(repos) == []
    items = svc.open_items(repos, friday)
    notice = [r for r in items if "Field Division Office" in r.text]
    assert notice and notice[0].due == date(2025, 3, 10) and not notice[0].overdue
    assert any("Form 106" in r.text for r in items)
    tuesday = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)
    assert next(r for r in svc.open_items(repos, tuesday) if "Field Division" in r.text).overdue
    step = svc.record_loss_step(
        repos,
        loss.id,
        lg.LossStep.FIELD_OFFICE,
        done_on=date(2025, 3, 11),
        by="Dr Test",
        reference="Letter by email",
        now=tuesday,
    )
    assert "after the one-business-day limit" in repos.vault.audit_entries(limit=1)[0].detail
    assert step.refers_id == loss.id
    with pytest.raises(svc.LedgerRefused, match="already recorded"):
        svc.record_loss_step(
            repos,
            loss.id,
            lg.LossStep.FIELD_OFFICE,
            done_on=date(2025, 3, 11),
            by="Dr Test",
            now=tuesday,
        )
    svc.record_loss_step(
        repos,
        loss.id,
        lg.LossStep.FORM_106,
        done_on=date(2025, 3, 11),
        by="Dr Test",
        now=tuesday,
    )
    assert not any(r.entry_id == loss.id for r in svc.open_items(repos, tuesday))
    _check_ok(repos.vault)


def test_a_dose_and_its_draw_commit_together(repos: Repos) -> None:
    _p, (k1,) = _stocked(repos, 1)
    client = repos.clients.add(Client(name="Mara Quinn", address="4 Elm St, Salem, OR"))
    assert client.id is not None
    session = plan_session(
        repos, client.id, DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5, lot="A123")
    )
    assert session.id is not None
    prepare(repos, session)
    runner = SessionRunner(repos, session.id)
    runner.start(bell=False)
    offered = svc.offered_container(repos, runner.plan.lot)
    assert offered == _cid(k1)

    class Crash(Exception):
        pass

    with pytest.raises(Crash), repos.vault.transaction():  # killed after the dose's action
        runner.give_dose(container_id=offered)
        raise Crash
    assert not [e for e in repos.events.for_session(session.id) if e.kind is EventKind.DOSE_GIVEN]
    assert svc.session_draws(repos, session.id) == []
    runner = SessionRunner(repos, session.id)  # the screen reloads after a failed action
    with pytest.raises(SessionError, match="could not be drawn"):  # a draw refused
        runner.give_dose(container_id=offered, draw_mg=501)
    assert not [e for e in repos.events.for_session(session.id) if e.kind is EventKind.DOSE_GIVEN]
    runner = SessionRunner(repos, session.id)
    runner.give_dose(container_id=offered)  # the draw is the planned 35 mg
    (draw,) = svc.session_draws(repos, session.id)
    assert draw.mg == Decimal(-35)
    assert [e.kind for e in repos.events.for_session(session.id)].count(EventKind.DOSE_GIVEN) == 1
    assert draw.session_id == session.id and draw.who == "Dr Test"
    assert draw.detail["patient"] == "Mara Quinn"
    assert draw.detail["patient_address"] == "4 Elm St, Salem, OR"
    assert svc.session_draws(repos, session.id) == [draw]
    _check_ok(repos.vault)


def test_corrections_are_new_entries_and_rows_are_append_only(repos: Repos) -> None:
    _p, (k1, _k2) = _stocked(repos)
    draw = svc.administer(repos, _cid(k1), "35", by="Dr Test", patient="Mara Quinn", now=NOW)
    assert draw.id is not None
    fix = svc.correct(
        repos,
        draw.id,
        "5",
        increase=True,
        by="Dr Test",
        reason="The dose given was 30 mg, typed as 35 mg",
        now=NOW,
    )
    assert fix.refers_id == draw.id and repos.ledger.entry(draw.id) == draw
    assert svc.container_state(repos, _cid(k1), NOW).balance_mg == 470
    with pytest.raises(svc.LedgerRefused, match="below zero"):
        svc.correct(
            repos,
            draw.id,
            "471",
            increase=False,
            by="Dr Test",
            reason="Testing a correction past the balance",
            now=NOW,
        )
    with pytest.raises(Exception, match="append-only"), repos.vault.transaction() as tx:
        tx.execute("UPDATE ledger_entries SET mg = '-1' WHERE id = ?", (draw.id,))
    with pytest.raises(Exception, match="append-only"), repos.vault.transaction() as tx:
        tx.execute("DELETE FROM ledger_entries WHERE id = ?", (draw.id,))
    _check_ok(repos.vault)


def test_vault_check_finds_a_changed_balance(tmp_path: Path) -> None:
    path = tmp_path / "v.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Test"})
    repos = Repos(vault)
    _p, (k1, _k2) = _stocked(repos)
    draw = svc.administer(repos, _cid(k1), "35", by="Dr Test", patient="Mara Quinn", now=NOW)
    vault.close()
    raw = sqlcipher3.connect(str(path))
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    raw.execute("DROP TRIGGER ledger_entries_no_update")  # what someone editing the file would do
    raw.execute("UPDATE ledger_entries SET mg = '-3.5' WHERE id = ?", (draw.id,))
    raw.commit()
    raw.close()
    vault = Vault.open(path, PASSPHRASE)
    try:
        report = vault.check()
        assert not report.ok
        assert f"ledger entry {draw.id} differs" in " ".join(report.content_problems)
    finally:
        vault.close()


def test_receipt_refuses_a_bad_dea_number_and_a_reused_label(repos: Repos) -> None:
    product = svc.add_product(repos, VIAL)
    assert product.id is not None
    with pytest.raises(svc.LedgerRefused, match="check digit"):
        svc.receive(repos, _receipt(product.id, supplier_dea="AB1234564"), now=NOW)
    assert repos.ledger.containers() == []
    svc.receive(repos, _receipt(product.id, 1, labels=("K-2291",)), now=NOW)
    with pytest.raises(svc.LedgerRefused, match=r"(?i)k-2291 is already used"):
        svc.receive(repos, _receipt(product.id, 1, labels=("k-2291",)), now=NOW)
    head = repos.ledger.entries(kinds=[lg.EntryKind.RECEIPT])[0]
    assert head.detail["supplier_dea"] == "AB1234563"
    assert head.detail["invoice"] == "INV-88120"
    assert head.detail["supplier_address"].startswith("135 Duryea Road")
    esk = svc.add_product(
        repos, lg.Product("Esketamine (Spravato)", "esketamine", lg.Form.NASAL_DEVICE, Decimal(28))
    )
    assert esk.id is not None
    got = svc.receive(repos, replace(_receipt(esk.id, 3), lot="E77"), now=NOW)
    assert [c.label for c in got.containers] == ["E-0002", "E-0003", "E-0004"]
    state = svc.container_state(repos, _cid(got.containers[0]), NOW)
    assert state.balance_text() == "28 mg (1 device)"
