"""Issue 19, overrides that mean something: on a real vault file, the screening override by
level (the prescriber for a label contraindication), its audit detail, the readiness gate at
the session start, the intake's medication list and the PHQ-9 item 9 in the screening."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from readiness_support import complete_checklist, prepare
from support import PASSPHRASE

from kapcompanion.core import wording
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.intake import Intake, Medication
from kapcompanion.core.models import Client, DosingSession, FlagKind, SessionStatus
from kapcompanion.core.screening import (
    SCREENING_ITEMS,
    Answer,
    Outcome,
    OverrideNeedsPrescriber,
    Prescriber,
    Screening,
    answer,
)
from kapcompanion.services import measures
from kapcompanion.services import members as practice
from kapcompanion.services.preparation import (
    ReadinessRefused,
    load_checklist,
    readiness_for_session,
    record_readiness_override,
    save_checklist,
)
from kapcompanion.services.screening import (
    INTAKE,
    current_screening,
    evaluate_current,
    override_notice,
    reconcile_medication_list,
    record_override,
    save_record,
    save_screening,
    screening_context,
)
from kapcompanion.services.session import SessionRunner, plan_session
from kapcompanion.store.repos import Repos


def day(year: int, month: int, dom: int) -> str:
    """A date as the clinic writes it (core.wording)."""
    return wording.short_date(date(year, month, dom))


AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REASON = "Blood pressure 128/82 on treatment at two visits; cardiology agrees."
LEE_PIN = "4826"


def _dr_lee(repos: Repos) -> Prescriber:
    """Dr Priya Lee, MD: the practice's prescriber, a member with the PIN she set herself."""
    lee = practice.add(repos.vault, "Dr Priya Lee", "MD", "prescriber")
    practice.set_pin(repos.vault, lee.id, LEE_PIN)
    return Prescriber("", "", lee.id)


def _client(repos: Repos) -> int:
    client = repos.clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    assert client.id is not None
    return client.id


def _screening(**answers: Answer) -> Screening:
    screening = Screening()
    for item in SCREENING_ITEMS:
        screening = answer(screening, item.key, answers.get(item.key, Answer.NO))
    return screening


def _audit(repos: Repos, action: str) -> list[dict[str, Any]]:
    rows = repos.vault.read("SELECT detail FROM audit WHERE action = ? ORDER BY id", (action,))
    return [json.loads(str(r[0])) for r in rows]


def _count(repos: Repos, table: str) -> int:
    return int(repos.vault.read(f"SELECT count(*) FROM {table}")[0][0])


# ------------------------------------------------------------------ the screening override
def test_a_label_contraindication_is_not_the_therapists_to_override(repos: Repos) -> None:
    cid = _client(repos)
    screening = _screening(uncontrolled_hypertension=Answer.YES)
    doc = save_screening(repos, cid, None, screening)
    with pytest.raises(practice.MemberRefused, match="no prescriber among its members"):
        record_override(repos, cid, doc, screening, REASON, prescriber=Prescriber("Dr X", "MD"))
    dr_lee = _dr_lee(repos)
    before = (_count(repos, "audit"), current_screening(repos, cid)[1])
    with pytest.raises(OverrideNeedsPrescriber, match="only by the prescriber"):
        record_override(repos, cid, doc, screening, REASON)
    with pytest.raises(ValueError, match="too short"):
        record_override(repos, cid, doc, screening, "ok", prescriber=dr_lee, prescriber_pin=LEE_PIN)
    with pytest.raises(practice.MemberRefused, match="Choose the prescriber"):
        record_override(
            repos, cid, doc, screening, REASON, prescriber=Prescriber("Dr Priya Lee", "MD")
        )
    with pytest.raises(practice.MemberRefused, match="not Dr Priya Lee's PIN; nothing"):
        record_override(repos, cid, doc, screening, REASON, prescriber=dr_lee, prescriber_pin="0")
    me = practice.profile_member(repos.vault)  # the therapist at the keyboard is no prescriber
    with pytest.raises(practice.MemberRefused, match="not a prescriber"):
        record_override(
            repos, cid, doc, screening, REASON, prescriber=Prescriber("", "", me.id),
            prescriber_pin=PASSPHRASE,
        )  # fmt: skip
    assert (_count(repos, "audit"), current_screening(repos, cid)[1]) == before  # nothing written

    doc, _overridden = record_override(
        repos, cid, doc, screening, REASON, prescriber=dr_lee, prescriber_pin=LEE_PIN, at=AT
    )
    assert evaluate_current(repos, cid).overridden
    [detail] = _audit(repos, "screening.override")
    assert detail == {
        "reason": REASON,
        "decided_by": "Dr Priya Lee",
        "role": "prescriber",
        "credential": "MD",
        "entered_by": "Dr Test",
        "prescriber_member_id": dr_lee.member_id,
        "confirmed_by_prescriber_pin": True,
        "findings": [
            {
                "item": "uncontrolled_hypertension",
                "label": "Uncontrolled hypertension",
                "answer": "yes",
                "level": "label",
            }
        ],
    }
    notice = override_notice(repos, cid)
    assert notice is not None and notice.active
    assert notice.text == (
        f"Screening overridden by the prescriber Dr Priya Lee (MD) on {day(2026, 3, 2)} "
        f"(entered by Dr Test). Reason: {REASON}"
    )


def test_a_relative_finding_the_therapist_overrides_with_a_sentence(repos: Repos) -> None:
    cid = _client(repos)
    screening = _screening(active_substance_use=Answer.YES, hiv=Answer.UNKNOWN)
    for token in ("x", "ok", "typo test"):
        with pytest.raises(ValueError, match="too short"):
            record_override(repos, cid, None, screening, token)
    assert _count(repos, "documents") == 0
    reason = "Agreed to abstain from alcohol for the course; HIV test booked."
    record_override(repos, cid, None, screening, reason, at=AT)
    [detail] = _audit(repos, "screening.override")
    assert detail["role"] == "therapist" and detail["decided_by"] == "Dr Test"
    assert detail["reason"] == reason
    assert [f["item"] for f in detail["findings"]] == ["active_substance_use", "hiv"]


def test_the_banner_follows_the_screening_on_screen(repos: Repos) -> None:
    cid = _client(repos)
    reason = "Agreed to abstain from alcohol for the course of treatment."
    _doc, overridden = record_override(
        repos, cid, None, _screening(active_substance_use=Answer.YES), reason, at=AT
    )
    on_screen = answer(overridden, "recent_stroke", Answer.YES)  # not saved yet
    notice = override_notice(repos, cid, on_screen)
    assert notice is not None and not notice.active
    assert not notice.text.startswith("Screening overridden")
    assert "Recent stroke" in notice.text and "Outcome: Not eligible." in notice.text
    saved = override_notice(repos, cid)  # what is stored still has the override in force
    assert saved is not None and saved.active


# ------------------------------------------------------------------ the record feeds the screening
def _intake(repos: Repos, cid: int, *names: str) -> None:
    save_record(repos, INTAKE, cid, None, Intake(medications=[Medication(n) for n in names]))


def test_the_intakes_medication_needs_the_prescribers_reconciliation(repos: Repos) -> None:
    cid = _client(repos)
    doc = save_screening(repos, cid, None, _screening())  # "no" to interacting medication
    assert evaluate_current(repos, cid).outcome is Outcome.ELIGIBLE
    _intake(repos, cid, "sertraline 100 mg", "Lorazepam 1 mg")
    result = evaluate_current(repos, cid)
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert [f.token for f in result.findings] == ["interacting_medication:yes"]
    assert "Lorazepam 1 mg (Benzodiazepines)" in result.notes["interacting_medication"]

    screening = current_screening(repos, cid)[1]
    dr_lee = _dr_lee(repos)
    with pytest.raises(ValueError, match="too short"):
        reconcile_medication_list(repos, cid, doc, screening, dr_lee, "fine")
    why = "Lorazepam is held for 24 hours before each session, by agreement."
    with pytest.raises(practice.MemberRefused, match="not Dr Priya Lee's PIN"):
        reconcile_medication_list(repos, cid, doc, screening, dr_lee, why, prescriber_pin="x")
    assert _audit(repos, "screening.medication_reconciled") == []
    reconcile_medication_list(
        repos, cid, doc, screening, dr_lee, why, prescriber_pin=LEE_PIN, at=AT
    )
    assert evaluate_current(repos, cid).outcome is Outcome.ELIGIBLE
    [detail] = _audit(repos, "screening.medication_reconciled")
    assert detail == {
        "prescriber": "Dr Priya Lee",
        "credential": "MD",
        "reason": why,
        "medications": [{"name": "Lorazepam 1 mg", "groups": ["benzodiazepines"]}],
        "entered_by": "Dr Test",
        "prescriber_member_id": dr_lee.member_id,
        "confirmed_by_prescriber_pin": True,
    }
    # A new interacting medication on the intake is not covered.
    _intake(repos, cid, "Lorazepam 1 mg", "tramadol 50 mg")
    result = evaluate_current(repos, cid)
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert "tramadol 50 mg (Opioids)" in result.notes["interacting_medication"]


def test_phq9_item_9_reaches_the_suicidality_item(repos: Repos) -> None:
    cid = _client(repos)
    save_screening(repos, cid, None, _screening())
    assert screening_context(repos, cid).suicide_risk == ""
    answers = {n: 0 for n in range(1, 10)} | {9: 2}
    measures.save_response(repos, cid, "phq9", answers, taken_on=AT)
    assert any(f.kind is FlagKind.SUICIDE_RISK for f in repos.flags.active(cid))
    risk = screening_context(repos, cid).suicide_risk
    since = wording.short_date(datetime.now(UTC).astimezone())
    assert f"suicide-risk flag is active since {since}" in risk
    assert "PHQ-9 item 9" in risk and f"(2 of 3) on {day(2026, 3, 2)}" in risk
    result = evaluate_current(repos, cid)
    assert result.outcome is Outcome.PHYSICIAN_REVIEW
    assert [f.token for f in result.findings] == ["acute_suicidality:yes"]
    assert result.notes["acute_suicidality"].startswith("A suicide-risk flag is active")


# ------------------------------------------------------------------ the readiness gate
def _session(repos: Repos) -> DosingSession:
    cid = _client(repos)
    return plan_session(repos, cid, DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5))


@pytest.mark.parametrize("skip", ["consent_signed", "touch_agreement"])
def test_no_override_skips_consent_or_the_touch_agreement(repos: Repos, skip: str) -> None:
    session = _session(repos)
    assert session.id is not None
    prepare(repos, session, complete_checklist(skip=(skip, "hydrated")))
    doc, checklist = load_checklist(repos, session.id)
    audit = _count(repos, "audit")
    with pytest.raises(ReadinessRefused, match="No override can skip"):
        record_readiness_override(repos, session, doc, checklist, REASON)
    runner = SessionRunner(repos, session.id)
    with pytest.raises(ReadinessRefused, match="No override can skip"):
        runner.start(readiness_override=REASON)
    assert _count(repos, "audit") == audit
    assert repos.sessions.get(session.id).status is SessionStatus.PLANNED
    assert not readiness_for_session(repos, session.id).ready


def test_an_override_recorded_before_the_rule_does_not_skip_consent(repos: Repos) -> None:
    session = _session(repos)
    assert session.id is not None
    checklist = complete_checklist(skip=("consent_signed",))
    checklist.readiness_override, checklist.readiness_override_by = "x", "Dr Test"
    prepare(repos, session, checklist)
    state = readiness_for_session(repos, session.id)
    assert not state.ready and state.missing == ["Informed consent reviewed and signed"]
    with pytest.raises(ReadinessRefused):
        SessionRunner(repos, session.id).start()


def test_the_start_override_needs_a_sentence_and_is_audited(repos: Repos) -> None:
    session = _session(repos)
    assert session.id is not None
    prepare(repos, session, complete_checklist(skip=("hydrated", "rested")))
    runner = SessionRunner(repos, session.id)
    with pytest.raises(ReadinessRefused, match="Not ready: 2 required items"):
        runner.start()
    with pytest.raises(ReadinessRefused, match="too short"):
        runner.start(readiness_override="x")
    assert repos.sessions.get(session.id).status is SessionStatus.PLANNED
    reason = "Client arrived late from work; water given and rest taken in the room."
    runner.start(readiness_override=reason)
    assert repos.sessions.get(session.id).status is SessionStatus.STARTED
    assert _audit(repos, "checklist.readiness_override") == [
        {"by": "Dr Test", "items": ["Rested", "Hydrated"], "reason": reason}
    ]
    assert load_checklist(repos, session.id)[1].readiness_override == reason


def test_a_complete_checklist_starts_without_a_question(repos: Repos) -> None:
    session = _session(repos)
    assert session.id is not None
    doc, _checklist = load_checklist(repos, session.id)
    save_checklist(repos, session, doc, complete_checklist())
    SessionRunner(repos, session.id).start(bell=False)
    assert repos.sessions.get(session.id).status is SessionStatus.STARTED
    assert _audit(repos, "checklist.readiness_override") == []
