"""Issue 19 on a real vault: plans and extra doses against the clinic's dose limits."""

from __future__ import annotations

import json

import pytest
from readiness_support import prepare

from kapcompanion.core.dose import DosePlan, Route, confirmation_question
from kapcompanion.core.models import Client, EventKind
from kapcompanion.core.serial import load
from kapcompanion.core.settings import DOSE_MAXIMA, WEIGHT_UNIT
from kapcompanion.core.units import WeightUnit, parse_weight
from kapcompanion.services import dose as dose_service
from kapcompanion.services import settings
from kapcompanion.services.session import (
    DoseNotAccepted,
    SessionError,
    SessionRunner,
    plan_session,
)
from kapcompanion.store.repos import Repos

REASON = "Two sessions at 2 mg/kg had no effect; Dr Ames reviewed and agreed."


def _client(repos: Repos) -> int:
    c = repos.clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    assert c.id is not None
    return c.id


def _count(repos: Repos) -> int:
    return int(repos.vault.read("SELECT count(*) FROM sessions")[0][0])


def test_plan_above_the_clinic_maximum_is_refused_and_nothing_is_stored(repos: Repos) -> None:
    cid = _client(repos)
    plan = DosePlan(Route.IM, 70, 10.0, out_of_range_reason=REASON)  # 700 mg IM
    with pytest.raises(DoseNotAccepted, match="above the clinic's maximum"):
        plan_session(
            repos,
            cid,
            plan,
            confirmation="Give 700 mg IM (10 mg/kg)? This is above the usual range.",
        )
    assert _count(repos) == 0


def test_a_token_reason_is_refused(repos: Repos) -> None:
    cid = _client(repos)
    for token in ("ok", "typo test", "x"):
        plan = DosePlan(Route.IM, 70, 2.8, out_of_range_reason=token)
        with pytest.raises(SessionError, match="too short to be a reason"):
            plan_session(repos, cid, plan, confirmation=confirmation_question(plan))
    assert _count(repos) == 0


def test_above_usual_needs_the_confirmation_and_stores_the_mark(repos: Repos) -> None:
    cid = _client(repos)
    plan = DosePlan(Route.IM, 70, 2.8, out_of_range_reason=REASON)
    with pytest.raises(DoseNotAccepted) as refused:
        plan_session(repos, cid, plan)
    question = "Give 196 mg IM (2.8 mg/kg)? This is above the usual range."
    assert refused.value.needs_confirmation == question
    assert _count(repos) == 0
    session = plan_session(repos, cid, plan, confirmation=question)
    stored = repos.sessions.get(session.id or 0)
    assert stored.plan["above_usual"] is True
    assert stored.plan["confirmed"] == question
    assert stored.plan["out_of_range_reason"] == REASON
    # the reason and the confirmation land in the audit detail, with the dose
    row = repos.vault.audit_entries(action="session.dose_outside_usual")[0]
    assert json.loads(row.detail) == {
        "dose": "196 mg IM (2.8 mg/kg)",
        "weight": "70.0 kg (154.3 lb)",
        "level": "above_usual",
        "reason": REASON,
        "confirmed": question,
    }
    assert row.record_id == session.id
    # a plan back in the usual range loses the mark
    replanned = dose_service.replan_session(repos, session.id or 0, DosePlan(Route.IM, 70, 1.0))
    assert replanned.plan["above_usual"] is False
    assert repos.sessions.get(session.id or 0).plan["total_mg"] == 70.0


def test_the_clinic_maximum_comes_from_settings(repos: Repos) -> None:
    cid = _client(repos)
    per_kg, _total = DOSE_MAXIMA[Route.IM]
    assert per_kg is not None
    plan = DosePlan(Route.IM, 70, 3.5, out_of_range_reason=REASON)  # 245 mg
    question = "Give 245 mg IM (3.5 mg/kg)? This is above the usual range."
    with pytest.raises(DoseNotAccepted, match="3 mg/kg and 300 mg"):
        plan_session(repos, cid, plan, confirmation=question)
    settings.set_value(repos.vault, per_kg, 4.0)
    assert dose_service.clinic_maxima(repos.vault)[Route.IM].max_mg_per_kg == 4.0
    assert plan_session(repos, cid, plan, confirmation=question).plan["above_usual"] is True


def test_weight_in_pounds_is_stored_with_its_unit(repos: Repos) -> None:
    cid = _client(repos)
    assert dose_service.weight_unit(repos.vault) is WeightUnit.KG
    settings.set_value(repos.vault, WEIGHT_UNIT, "lb")
    assert dose_service.weight_unit(repos.vault) is WeightUnit.LB
    weight = parse_weight("150", dose_service.weight_unit(repos.vault))
    plan = DosePlan(Route.IM, weight.kg, 0.5, weight_unit=weight.unit, weight_entered=150)
    session = plan_session(repos, cid, plan)
    stored = load(DosePlan, repos.sessions.get(session.id or 0).plan)
    assert stored.total_mg == 34.0
    assert stored.weight.text() == "68.0 kg (150 lb)"


def test_client_record_keeps_a_dated_weight_and_height(repos: Repos) -> None:
    from datetime import date

    from kapcompanion.core.units import parse_height

    client = repos.clients.add(
        Client(
            name="Ada Stone",
            weight=parse_weight("150 lb", "kg", date(2026, 11, 20)),
            height=parse_height("5 ft 7 in", "cm", date(2026, 11, 20)),
        )
    )
    again = repos.clients.get(client.id or 0)
    assert again.weight is not None and again.weight.text() == "68.0 kg (150 lb)"
    assert again.weight.measured_on == date(2026, 11, 20)
    assert again.height is not None and again.height.cm == 170.2


# ------------------------------------------------------------------ extra doses
def _running(repos: Repos) -> SessionRunner:
    cid = _client(repos)
    session = plan_session(repos, cid, DosePlan(Route.IM, 70, 1.0, lot="L1"))  # 70 mg
    prepare(repos, session)
    runner = SessionRunner(repos, session.id or 0)
    runner.start(bell=False)
    runner.give_dose()
    return runner


def _extras(runner: SessionRunner) -> list[dict[str, object]]:
    return [e.payload for e in runner.events() if e.kind is EventKind.EXTRA_DOSE]


def test_extra_doses_are_checked_against_the_running_total(repos: Repos) -> None:
    runner = _running(repos)
    first = runner.record(EventKind.EXTRA_DOSE, {"total_mg": 35.0, "route": "im"})
    assert first.payload["running_total_mg"] == 105.0
    assert "above_usual" not in first.payload
    # 105 + 50 = 155 mg: above the usual 140 mg; refused without reason and confirmation
    with pytest.raises(DoseNotAccepted) as refused:
        runner.record(EventKind.EXTRA_DOSE, {"total_mg": 50.0, "route": "im", "reason": "ok"})
    assert "too short" in refused.value.message
    question = refused.value.needs_confirmation
    assert question == (
        "Give an extra 50 mg, 155 mg IM (2.21 mg/kg) in this session? "
        "This is above the usual range."
    )
    with pytest.raises(DoseNotAccepted, match="Confirm this dose"):
        runner.record(EventKind.EXTRA_DOSE, {"total_mg": 50.0, "route": "im", "reason": REASON})
    assert len(_extras(runner)) == 1  # nothing stored by the refusals
    second = runner.record(
        EventKind.EXTRA_DOSE,
        {"total_mg": 50.0, "route": "im", "reason": REASON, "confirmed": question},
    )
    assert second.payload["above_usual"] is True and second.payload["running_total_mg"] == 155.0
    # 155 + 150 = 305 mg: above the clinic's 300 mg maximum, refused whatever is written
    with pytest.raises(DoseNotAccepted, match="clinic's maximum"):
        runner.record(
            EventKind.EXTRA_DOSE,
            {"total_mg": 150.0, "route": "im", "reason": REASON, "confirmed": question},
        )
    assert len(_extras(runner)) == 2


def test_a_corrected_extra_dose_counts_as_corrected(repos: Repos) -> None:
    runner = _running(repos)
    event = runner.record(EventKind.EXTRA_DOSE, {"total_mg": 60.0, "route": "im"})  # 130 mg
    runner.correct(event, {"total_mg": 20.0, "route": "im"}, "Typed 60 for 20 by mistake.")
    # 70 + 20 + 40 = 130 mg: within the usual range once the correction counts
    later = runner.record(EventKind.EXTRA_DOSE, {"total_mg": 40.0, "route": "im"})
    assert later.payload["running_total_mg"] == 130.0
