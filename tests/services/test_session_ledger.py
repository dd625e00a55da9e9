"""A session's doses drawn from the controlled-substance ledger, on a real vault file: the
dose and its draw commit together, a refused draw leaves neither, and a clinic that keeps a
ledger cannot mark a dose without a container or a reason it is not from the stock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from readiness_support import prepare
from support import PASSPHRASE

from kapcompanion.core import ledger as lg
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, EventKind, SessionStatus
from kapcompanion.core.units import WeightUnit, parse_weight
from kapcompanion.services import ledger as svc
from kapcompanion.services.session import SessionError, SessionRunner, plan_session, uses_ledger
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

VIAL = lg.Product("Ketamine HCl injection", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10))
REASON = "Two sessions at 2 mg/kg had no effect; Dr Ames reviewed and agreed."


def _stock(repos: Repos, quantity: int = 2, lot: str = "A123") -> list[int]:
    product = svc.add_product(repos, VIAL)
    assert product.id is not None
    got = svc.receive(
        repos,
        lg.Receipt(
            supplier_name="Henry Schein",
            supplier_address="135 Duryea Road, Melville, NY 11747",
            supplier_dea="AB1234563",
            invoice="INV-88120",
            received_on=datetime.now(UTC).date() - timedelta(days=1),
            product_id=product.id,
            quantity=quantity,
            lot=lot,
            expiry=date(2099, 6, 30),
            received_by="Dr Test",
        ),
    )
    return [c.id or 0 for c in got.containers]


def _runner(repos: Repos, plan: DosePlan | None = None) -> SessionRunner:
    client = repos.clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    session = plan_session(
        repos, client.id or 0, plan or DosePlan(Route.IM, 70, 0.5, lot="A123")
    )  # 35 mg
    prepare(repos, session)
    runner = SessionRunner(repos, session.id or 0)
    runner.start(bell=False)
    return runner


def _doses(runner: SessionRunner) -> list[EventKind]:
    kinds = (EventKind.DOSE_GIVEN, EventKind.EXTRA_DOSE)
    return [e.kind for e in runner.events() if e.kind in kinds]


def test_the_dose_and_its_draw_commit_together(repos: Repos, vault: Vault) -> None:
    k1, _k2 = _stock(repos)
    runner = _runner(repos)
    assert uses_ledger(repos)
    assert svc.offered_container(repos, "A123") == k1
    event = runner.give_dose(container_id=k1)
    assert event.payload["container_id"] == k1 and event.payload["draw_mg"] == 35.0
    (draw,) = svc.session_draws(repos, runner.id)
    assert draw.kind is lg.EntryKind.ADMINISTER and draw.mg == Decimal(-35)
    assert draw.container_id == k1 and draw.detail["patient"] == "Mara Quinn"
    assert svc.container_state(repos, k1).balance_mg == 465
    # an extra dose draws from the container its card names, in the event's transaction
    extra = runner.record(EventKind.EXTRA_DOSE, {"total_mg": 15.0, "container_id": k1})
    assert extra.payload["container_id"] == k1
    assert [d.mg for d in svc.session_draws(repos, runner.id)] == [Decimal(-35), Decimal(-15)]
    assert svc.container_state(repos, k1).balance_mg == 450
    # both committed: a fresh connection sees them
    path = vault.path
    vault.close()
    again = Repos(Vault.open(path, PASSPHRASE))
    try:
        assert len(again.ledger.entries(session_id=runner.id)) == 2
        assert again.sessions.get(runner.id).status is SessionStatus.DOSED
    finally:
        again.vault.close()


def test_a_refused_draw_leaves_neither_dose_nor_draw(repos: Repos) -> None:
    (k1,) = _stock(repos, quantity=1)
    # 600 mg is more than the 500 mg vial holds: the ledger refuses the draw
    runner = _runner(repos)
    audit_before = len(repos.vault.audit_entries())
    with pytest.raises(SessionError, match="could not be drawn") as refused:
        runner.give_dose(container_id=k1, draw_mg=600.0)
    assert "500" in refused.value.message
    assert runner.session.status is SessionStatus.STARTED and not runner.clock.dosed
    assert repos.sessions.get(runner.id).status is SessionStatus.STARTED
    assert _doses(runner) == [] and svc.session_draws(repos, runner.id) == []
    assert len(repos.vault.audit_entries()) == audit_before
    # the same action with a drawable amount goes through
    runner.give_dose(container_id=k1)
    assert _doses(runner) == [EventKind.DOSE_GIVEN]
    # an extra dose the ledger refuses is not recorded either: a container that is not
    # there, then more than the vial has left (5 mg after a witnessed-later waste)
    with pytest.raises(SessionError, match="no container 999"):
        runner.record(EventKind.EXTRA_DOSE, {"total_mg": 20.0, "container_id": 999})
    svc.waste(
        repos,
        k1,
        460,
        by="Dr Test",
        method="drug disposal container",
        reason="Vial dropped and cracked while drawing up",
    )
    with pytest.raises(SessionError, match="could not be drawn"):
        runner.record(EventKind.EXTRA_DOSE, {"total_mg": 20.0, "container_id": k1})
    assert _doses(runner) == [EventKind.DOSE_GIVEN]
    assert len(svc.session_draws(repos, runner.id)) == 1


def test_with_a_ledger_a_dose_needs_a_container_or_a_reason(repos: Repos) -> None:
    _stock(repos)
    runner = _runner(repos)
    with pytest.raises(SessionError, match="choose the container"):
        runner.give_dose()
    with pytest.raises(SessionError, match="too short"):
        runner.give_dose(draw_reason="pharmacy")
    assert _doses(runner) == []
    why = "Sublingual troche dispensed by the pharmacy on the client's own prescription."
    event = runner.give_dose(draw_reason=why)
    assert event.payload["not_drawn_reason"] == why and "container_id" not in event.payload
    assert svc.session_draws(repos, runner.id) == []
    row = repos.vault.audit_entries(action="session.dose_not_drawn")[0]
    assert row.detail == why and row.record_id == runner.id


def test_without_a_ledger_nothing_is_asked_or_drawn(repos: Repos) -> None:
    runner = _runner(repos)
    assert not uses_ledger(repos)
    event = runner.give_dose()
    assert not {"container_id", "not_drawn_reason"} & set(event.payload)


def test_an_extra_dose_above_the_usual_range_draws_once_confirmed(repos: Repos) -> None:
    k1, _k2 = _stock(repos)
    runner = _runner(repos, DosePlan(Route.IM, 70, 1.0, lot="A123"))  # 70 mg
    runner.give_dose(container_id=k1)
    question = (
        "Give an extra 80 mg, 150 mg IM (2.14 mg/kg) in this session? "
        "This is above the usual range."
    )
    extra = runner.record(
        EventKind.EXTRA_DOSE,
        {"total_mg": 80.0, "reason": REASON, "confirmed": question, "container_id": k1},
    )
    assert extra.payload["above_usual"] is True
    assert svc.container_state(repos, k1).balance_mg == 350
    detail = json.loads(
        repos.vault.audit_entries(action="session.extra_dose_outside_usual")[0].detail
    )
    assert detail["reason"] == REASON and detail["confirmed"] == question


def test_the_dose_event_keeps_the_weight_as_entered(repos: Repos) -> None:
    weight = parse_weight("150 lb", WeightUnit.KG)
    plan = DosePlan(Route.IM, weight.kg, 0.5, lot="A1", weight_unit=weight.unit, weight_entered=150)
    runner = _runner(repos, plan)
    event = runner.give_dose()
    assert event.payload["weight_kg"] == 68.0
    assert event.payload["weight_unit"] == "lb" and event.payload["weight_entered"] == 150
