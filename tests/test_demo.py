"""The demo generator: deterministic for a seed and a day, and it shows every record kind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from support import PASSPHRASE

from kapcompanion.demo import build_demo_vault

DAY = date(2026, 3, 2)


def _fingerprint(path: Path, seed: int) -> tuple[object, ...]:
    vault = build_demo_vault(path, PASSPHRASE, clients=3, seed=seed, today=DAY)
    try:
        counts = vault.stats()["counts"]
        names = vault.read("SELECT name, pseudonym, dob FROM clients ORDER BY id")
        events = vault.read("SELECT kind, offset_s, payload FROM events ORDER BY id")
        doses = vault.read("SELECT data FROM sessions ORDER BY id")
        entries = vault.read(
            "SELECT kind, utc, container_id, mg, session_id, data FROM ledger_entries ORDER BY id"
        )
        assert vault.check().ok
    finally:
        vault.close()
    return counts, names, events, doses, entries


def test_same_seed_same_content(tmp_path: Path) -> None:
    a = _fingerprint(tmp_path / "a.kapv", 7)
    b = _fingerprint(tmp_path / "b.kapv", 7)
    assert a == b
    assert _fingerprint(tmp_path / "c.kapv", 8)[2] != a[2]


def test_every_record_kind_is_there(tmp_path: Path) -> None:
    counts, *_ = _fingerprint(tmp_path / "d.kapv", 7)
    assert isinstance(counts, dict)
    for kind in (
        "clients",
        "courses",
        "sessions",
        "events",
        "vitals",
        "addenda",
        "audit",
        "documents.screening",
        "documents.intake",
        "documents.checklist",
        "documents.integration",
        "documents.measure",
        "documents.course_plan",
    ):
        assert counts.get(kind, 0) > 0, kind


def test_the_demo_keeps_a_ledger_its_doses_draw_from(tmp_path: Path) -> None:
    from kapcompanion.core.ledger import EntryKind
    from kapcompanion.core.models import EventKind
    from kapcompanion.services import ledger
    from kapcompanion.store.repos import Repos

    vault = build_demo_vault(tmp_path / "l.kapv", PASSPHRASE, clients=4, seed=7, today=DAY)
    try:
        repos = Repos(vault)
        (product,) = ledger.products(repos)
        assert product.container_mg == 500
        kinds = [e.kind for e in repos.ledger.entries()]
        assert kinds.count(EntryKind.RECEIPT) == 1 and EntryKind.COUNT in kinds
        assert len(repos.ledger.containers()) == 10
        for session in repos.sessions.for_client(1) + repos.sessions.for_client(2):
            doses = [
                e
                for e in repos.events.for_session(session.id or 0)
                if e.kind is EventKind.DOSE_GIVEN
            ]
            draws = [
                d
                for d in ledger.session_draws(repos, session.id or 0)
                if d.kind is EntryKind.ADMINISTER
            ]
            if not doses:  # the upcoming session
                assert draws == []
            elif "not_drawn_reason" in doses[0].payload:  # sublingual: the pharmacy's troche
                assert (
                    draws == [] and "compounding pharmacy" in doses[0].payload["not_drawn_reason"]
                )
            else:
                (draw,) = draws
                assert -draw.mg == Decimal(str(doses[0].payload["total_mg"]))
                assert draw.container_id == doses[0].payload["container_id"]
        # a waste waits for its witness: the ledger screen has something to ask
        assert any("awaiting a witness" in r.text for r in ledger.open_items(repos))
    finally:
        vault.close()


def test_a_demo_client_keeps_about_the_same_weight(tmp_path: Path) -> None:
    """One person across a three-week course: the planned weights differ by a kilogram at
    most (they once jumped by up to 40 kg between sessions)."""
    import json

    vault = build_demo_vault(tmp_path / "w.kapv", PASSPHRASE, clients=4, seed=3, today=DAY)
    try:
        rows = vault.read("SELECT client_id, data FROM sessions ORDER BY id")
    finally:
        vault.close()
    weights: dict[int, list[float]] = {}
    for client_id, data in rows:
        plan = json.loads(data).get("plan") or {}
        if plan.get("weight_kg") is not None:
            weights.setdefault(client_id, []).append(float(plan["weight_kg"]))
    assert len(weights) == 4 and all(len(w) >= 2 for w in weights.values())
    for series in weights.values():
        assert max(series) - min(series) <= 1.0, series


def test_a_demo_client_comes_in_today_ready_to_start(tmp_path: Path) -> None:
    """Someone opening ``--demo`` can start a session at once: the first client's next session
    is today, and its checklist (consent reviewed with its date, the touch agreement, intention,
    music...) passes the readiness gate the session start calls, without an override."""
    from kapcompanion.core.checklist import Checklist
    from kapcompanion.core.dose import DosePlan
    from kapcompanion.core.serial import load
    from kapcompanion.services import preparation
    from kapcompanion.services.session import SessionRunner
    from kapcompanion.store.repos import Repos

    vault = build_demo_vault(tmp_path / "t.kapv", PASSPHRASE, clients=3, seed=7, today=DAY)
    try:
        repos = Repos(vault)
        today = [
            s
            for s in repos.sessions.for_client(1)
            if s.planned_for is not None and s.planned_for.date() == DAY
        ]
        assert len(today) == 1 and today[0].started_utc is None
        session = today[0]
        assert session.id is not None
        # planned as the plan dialog plans: the total is there for the draw (it offered 0.0 mg)
        plan = load(DosePlan, session.plan)
        assert plan.total_mg is not None and plan.total_mg > 0 and session.phases
        doc = preparation.checklist_document(repos, session.id)
        assert doc is not None and doc.session_id == session.id
        checklist = load(Checklist, doc.data)
        assert checklist.items["consent_signed"].value == "2026-02-23"
        assert checklist.touch is not None and checklist.music is not None
        state = preparation.gate_session_start(repos, session)
        assert state.ready and not state.overridden and state.missing == []
        SessionRunner(repos, session.id).start()  # what Ctrl+Enter calls: no refusal
        # nobody else comes in today: the other clients are still on their own days
        for client_id in (2, 3):
            assert all(
                s.planned_for is None or s.planned_for.date() != DAY
                for s in repos.sessions.for_client(client_id)
            )
    finally:
        vault.close()


@pytest.mark.parametrize("clients", [6, 14])  # 14: a second box comes, with its own lot
def test_a_demo_dose_names_the_lot_of_the_vial_it_is_drawn_from(
    tmp_path: Path, clients: int
) -> None:
    """One dose, one lot: the plan's lot (what the session record says) is the lot of the
    ledger vial the dose was drawn from, and a planned session names the lot its draw will be
    offered from. (The plans once carried a made-up IM#### lot beside a KX2417 vial.)"""
    from kapcompanion.core.dose import DosePlan, Route
    from kapcompanion.core.ledger import EntryKind
    from kapcompanion.core.models import EventKind
    from kapcompanion.core.serial import load
    from kapcompanion.demo import PRACTITIONER, fill_demo
    from kapcompanion.services import ledger
    from kapcompanion.store.repos import Repos
    from kapcompanion.store.vault import Vault

    vault = Vault.create(tmp_path / "lot.kapv", PASSPHRASE, PRACTITIONER)
    try:
        repos = Repos(vault)
        fill_demo(repos, clients=clients, seed=7, today=DAY, events_per_session=2)
        drawn = planned = 0
        for client in repos.clients.search():
            for session in repos.sessions.for_client(client.id or 0):
                plan = load(DosePlan, session.plan)
                if plan.route is Route.SUBLINGUAL:  # the pharmacy's troche: its own lot
                    continue
                assert session.id is not None
                draws = [
                    d
                    for d in ledger.session_draws(repos, session.id)
                    if d.kind is EntryKind.ADMINISTER
                ]
                if session.started_utc is None:
                    assert session.planned_for is not None
                    offered = ledger.offered_container(repos, plan.lot, session.planned_for)
                    assert offered is not None
                    assert repos.ledger.container(offered).lot == plan.lot
                    planned += 1
                    continue
                (draw,) = draws
                vial = repos.ledger.container(draw.container_id or 0)
                assert plan.lot == vial.lot, (plan.lot, vial.lot)
                (dose,) = [
                    e
                    for e in repos.events.for_session(session.id)
                    if e.kind is EventKind.DOSE_GIVEN
                ]
                assert dose.payload.get("lot", plan.lot) == vial.lot
                drawn += 1
        assert drawn >= 5 and planned >= 3
        lots = {c.lot for c in repos.ledger.containers()}
        assert len(lots) == (2 if clients == 14 else 1), lots
    finally:
        vault.close()


def test_demo_intake_forms_are_written_before_the_first_session(tmp_path: Path) -> None:
    """An intake form (and the screening) comes before the course, not on the day the demo
    was made: each is dated days before the client's first session."""
    from datetime import UTC, datetime

    from kapcompanion.store.repos import Repos

    vault = build_demo_vault(tmp_path / "i.kapv", PASSPHRASE, clients=4, seed=7, today=DAY)
    made = datetime.now(UTC)
    try:
        repos = Repos(vault)
        for client in repos.clients.search():
            cid = client.id or 0
            first = min(
                s.started_utc or s.planned_for or made for s in repos.sessions.for_client(cid)
            )
            (intake,) = repos.documents.find("intake", client_id=cid)
            assert intake.created_utc is not None and intake.created_utc == intake.updated_utc
            before = (first.date() - intake.created_utc.date()).days
            assert 7 <= before <= 10, (client.name, before)
            (screening,) = repos.documents.find("screening", client_id=cid)
            assert screening.created_utc is not None
            assert screening.created_utc < intake.created_utc
            assert screening.data["screened_on"] == screening.created_utc.date().isoformat()
    finally:
        vault.close()
