"""An esketamine session on a real vault (issue 16): the preset, the label's blood pressure
schedule from an injected clock, 120 minutes of monitoring from the first device, the
acute-effect checks and their alert, boosters in devices."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from readiness_support import prepare
from support import FakeTime

from kapcompanion.core import esketamine as esk
from kapcompanion.core import wording
from kapcompanion.core.discharge import ALDRETE_KEYS, Discharge
from kapcompanion.core.models import Client, EventKind, SessionStatus
from kapcompanion.core.vitals import VitalReading
from kapcompanion.services.session import (
    DoseNotAccepted,
    SessionError,
    SessionRunner,
    plan_session,
)
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import iso
from kapcompanion.ui.session.state import acute_check_due, vitals_due

GOOD = Discharge(
    alert_oriented=True,
    vitals_near_baseline=True,
    walks_unassisted=True,
    escort_present=True,
    aftercare_reminded=True,
    escort_name="Sam Rivers",
    aldrete=dict.fromkeys(ALDRETE_KEYS, 2),
)
EARLY = "Transferred to the emergency department by ambulance after a hypertensive reading."


def _esketamine(repos: Repos, devices: int = 2) -> int:
    client = repos.clients.add(Client(name="Ada North", pseudonym="Wren"))
    assert client.id is not None
    s = plan_session(repos, client.id, esk.esketamine_plan(70, devices, "SPR-2291"))
    assert s.id is not None
    prepare(repos, s)
    return s.id


def _started(repos: Repos, t: FakeTime, devices: int = 2) -> SessionRunner:
    run = SessionRunner(repos, _esketamine(repos, devices), now_utc=t.now, monotonic=t.monotonic)
    run.start()
    run.record_vitals(VitalReading(128, 82, 72, 98, t.now()))
    t.advance(60)
    run.give_dose()  # the first device
    return run


def _audit(repos: Repos, action: str) -> list[str]:
    rows = repos.vault.read("SELECT detail FROM audit WHERE action = ?", (action,))
    return [str(r[0]) for r in rows]


def test_the_preset_plans_120_minutes_and_records_the_drug(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    assert run.esketamine
    assert run.monitoring_end_s() == 7200.0
    dose = next(e for e in run.events() if e.kind is EventKind.DOSE_GIVEN)
    assert dose.payload["total_mg"] == 56.0 and dose.payload["lot"] == "SPR-2291"
    assert repos.sessions.get(run.id).plan["drug"] == "esketamine"
    assert repos.sessions.get(run.id).plan["devices"] == 2


def test_label_bp_prompts_from_the_injected_clock(repos: Repos) -> None:
    t = FakeTime()
    run = _esketamine(repos)
    runner = SessionRunner(repos, run, now_utc=t.now, monotonic=t.monotonic)
    runner.start()

    def due() -> str:
        taken = [r.offset_s if r.offset_s is not None else -1.0 for _v, r in runner.vitals()]
        offset = runner.clock.offset_s(runner.phases)
        view = vitals_due(
            runner.phases, runner.changes, 60, taken, offset, runner.clock.dosed, esketamine=True
        )
        return view.text

    assert due() == "Blood pressure due (before the first device)"
    runner.record_vitals(VitalReading(128, 82, 72, 98, t.now()))
    runner.give_dose()
    t.advance(20 * 60)
    assert due() == "Blood pressure at +0:40:00 (40 minutes after the first device; in 20:00)"
    t.advance(20 * 60)
    assert due() == "Blood pressure due (40 minutes after the first device)"
    t.advance(5 * 60)
    assert due() == "Blood pressure overdue by 5:00 (40 minutes after the first device)"
    runner.record_vitals(VitalReading(138, 86, 76, 97, t.now()))
    assert due().startswith("Next vitals at +1:00:00")  # the clinic's every-60-minutes reading
    t.advance(65 * 60)  # 1:50:00 after the first device
    assert due() == "Blood pressure due (before the end of monitoring)"
    runner.record_vitals(VitalReading(130, 84, 70, 98, t.now()))
    assert due() == "No more vitals scheduled"


def test_acute_checks_are_due_every_15_then_30_minutes(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    schedule = esk.acute_check_schedule(run.monitoring_end_s(), 15, 30)
    t.advance(14 * 60)
    assert acute_check_due(schedule, run.acute_checks_taken(), run.offset_s(), True).text == (
        "Next check at +0:15:00 (in 1:00)"
    )
    t.advance(60)
    assert acute_check_due(schedule, run.acute_checks_taken(), run.offset_s(), True).now
    run.record_sedation(5)
    after = acute_check_due(schedule, run.acute_checks_taken(), run.offset_s(), True)
    assert after.due_at == 1800 and not after.now


def test_discharge_waits_120_minutes_from_the_first_device(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    run.give_booster(devices=1)  # a booster 0 min later does not move the label's anchor
    t.advance(119 * 60)
    check = run.discharge_check(GOOD)
    assert not check.ready
    assert any(
        "Monitoring since the first esketamine device: 1 min left" in m for m in check.missing
    )
    with pytest.raises(SessionError, match="Monitoring since the first esketamine device"):
        run.end(GOOD, "Calm.")
    wording.set_locale("en_US")  # the clinic's time of day (the conftest resets the locale)
    assert re.search(r"discharge from \d{1,2}:\d\d\s?[AP]M, or end", run.monitoring_message())
    t.advance(60)
    assert run.discharge_check(GOOD).ready
    ready = t.now() - timedelta(minutes=5)
    run.end(GOOD, "Calm.", ready_to_leave_utc=ready)
    stored = repos.sessions.get(run.id)
    assert stored.status is SessionStatus.ENDED
    assert stored.discharge["monitoring_minutes"] == 120.0
    assert stored.discharge["ready_to_leave_utc"] == iso(ready)
    assert "early_end_reason" not in stored.discharge
    assert _audit(repos, "session.esketamine_early_end") == []


def test_an_earlier_end_needs_a_written_reason_that_is_audited(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    t.advance(50 * 60)
    with pytest.raises(SessionError, match="Why the session ends early"):
        run.end(GOOD, "Sent out.", early_end_reason="ER")
    assert run.session.running
    run.end(GOOD, "Sent out.", early_end_reason=EARLY)
    stored = repos.sessions.get(run.id)
    assert stored.discharge["early_end_reason"] == EARLY
    assert stored.discharge["early_end_by"] == "Dr Test"
    assert stored.discharge["monitoring_minutes"] == 50.0
    ended = next(e for e in run.events() if e.kind is EventKind.SESSION_ENDED)
    assert ended.payload["early_end_reason"] == EARLY
    [detail] = _audit(repos, "session.esketamine_early_end")
    assert EARLY in detail and "Dr Test" in detail and "50 min" in detail


def test_ready_to_leave_must_lie_in_the_session(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    t.advance(121 * 60)
    with pytest.raises(SessionError, match="ready to leave"):
        run.end(GOOD, "Calm.", ready_to_leave_utc=t.now() + timedelta(minutes=1))
    assert run.session.running


def test_moaas_3_or_less_opens_the_alert_until_acknowledged(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    t.advance(15 * 60)
    four = run.record_sedation(4)
    assert four.payload == {"moaas": 4, "text": esk.moaas_text(4), "alert": False}
    assert four.offset_s == 15 * 60
    assert run.open_effect_alert() == []
    t.advance(60)
    three = run.record_sedation(3)
    assert [e.id for e in run.open_effect_alert()] == [three.id]
    assert _audit(repos, "session.sedation_alert") == [esk.moaas_text(3)]
    with pytest.raises(SessionError, match="Say what you saw and did"):
        run.acknowledge_alert("ok")
    ack = run.acknowledge_alert("Called her name loudly; she opened her eyes and answered.")
    assert ack.payload["event_ids"] == [three.id]
    assert ack.payload["flags"] == [esk.moaas_text(3) + "."]
    assert run.open_effect_alert() == []
    assert len(_audit(repos, "session.effect_alert_acknowledged")) == 1


def test_a_corrected_slip_closes_the_sedation_alert(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    slip = run.record_sedation(0)
    assert run.open_effect_alert()
    run.correct(
        slip,
        {"moaas": 5, "text": esk.moaas_text(5), "alert": False},
        "Pressed 0 by mistake; she answered at once.",
    )
    assert run.open_effect_alert() == []


def test_respiratory_depression_needs_what_was_done_and_alerts(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    assert not run.record_respiration(False).payload["alert"]
    with pytest.raises(SessionError, match="say what was done"):
        run.record_respiration(True, "O2")
    event = run.record_respiration(
        True, "Jaw thrust and oxygen 2 L by nasal cannula; SpO2 back to 96%."
    )
    assert event.payload["depressed"] and event.payload["alert"]
    assert [e.id for e in run.open_effect_alert()] == [event.id]
    assert len(_audit(repos, "session.respiratory_depression")) == 1


def test_dissociation_levels(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    event = run.record_dissociation("moderate", "Feels far from her body; calm.")
    assert event.payload == {
        "level": "moderate",
        "present": True,
        "note": "Feels far from her body; calm.",
    }
    assert not run.record_dissociation("none").payload["present"]
    with pytest.raises(SessionError, match="none, mild, moderate or severe"):
        run.record_dissociation("lots")
    for kind in (EventKind.SEDATION_CHECK, EventKind.DISSOCIATION_CHECK):
        with pytest.raises(SessionError, match="Use record_"):
            run.record(kind, {})


def test_a_check_fails_whole(repos: Repos, monkeypatch: pytest.MonkeyPatch) -> None:
    t = FakeTime()
    run = _started(repos, t)
    events_before = len(run.events())

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(repos.vault, "audit", boom)  # the audit row after the event
    with pytest.raises(RuntimeError):
        run.record_sedation(2)
    monkeypatch.undo()
    assert len(run.events()) == events_before


def test_boosters_in_devices_through_the_extra_dose_limits(repos: Repos) -> None:
    t = FakeTime()
    run = _started(repos, t)
    first = run.give_booster(devices=1)
    assert first.kind is EventKind.EXTRA_DOSE
    assert first.payload["booster"] and first.payload["devices"] == 1
    assert first.payload["total_mg"] == 28.0 and first.payload["running_total_mg"] == 84.0
    with pytest.raises(DoseNotAccepted) as refused:
        run.give_booster(devices=1)  # 112 mg: above the label's 84 mg
    question = refused.value.needs_confirmation
    assert (
        question == "Give an extra 28 mg, 112 mg intranasal (1.6 mg/kg) in this session? "
        "This is above the usual range."
    )
    reason = "Prescriber ordered a further device after a partial spray; see the chart."
    second = run.give_booster(devices=1, reason=reason, confirmed=question)
    assert second.payload["above_usual"] and second.payload["running_total_mg"] == 112.0
    detail = json.loads(_audit(repos, "session.extra_dose_outside_usual")[0])
    assert detail["reason"] == reason
    with pytest.raises(SessionError, match="whole number of devices"):
        run.give_booster(devices=0)
    with pytest.raises(SessionError, match="whole number of devices"):
        run.give_booster(total_mg=28)


def test_a_transfer_before_120_minutes_tells_the_rems_form_why_monitoring_ended(
    repos: Repos,
) -> None:
    from kapcompanion.core.discharge import Discharge, Transfer

    t = FakeTime()
    run = _started(repos, t)
    t.advance(30 * 60)
    handover = Transfer("Paramedics, to the county hospital", "Unresponsive to voice at 30 min.")
    run.end(Discharge(), "", transfer=handover)
    stored = repos.sessions.get(run.id)
    assert stored.discharge["transfer_to"] == handover.to
    # the REMS form's "monitoring ended early because" comes from the transfer
    assert stored.discharge["early_end_reason"] == (
        "Transferred to Paramedics, to the county hospital: Unresponsive to voice at 30 min."
    )
    assert stored.discharge["monitoring_minutes"] == 30.0
    assert len(_audit(repos, "session.transfer")) == 1
    assert len(_audit(repos, "session.esketamine_early_end")) == 1
