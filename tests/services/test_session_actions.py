"""One action, one transaction; alerts; interruptions; discharge gates (issues 19 and 20).

Real vaults on disk, an injected clock, and a repository method that fails part-way to prove
that nothing of the action is left behind (on disk or in the runner's memory).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from readiness_support import prepare
from support import PASSPHRASE, FakeTime

from kapcompanion.core.discharge import ALDRETE_KEYS, Discharge
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, EventKind, FlagKind, SessionStatus
from kapcompanion.core.settings import DISCHARGE_MIN_IM
from kapcompanion.core.vitals import VitalReading
from kapcompanion.services import session as session_service
from kapcompanion.services.session import SessionError, SessionRunner, plan_session
from kapcompanion.services.settings import set_value
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


class Boom(RuntimeError):
    pass


def _session(repos: Repos, route: Route = Route.IM) -> int:
    client = repos.clients.add(Client(name="Ada North", pseudonym="Wren"))
    assert client.id is not None
    plan = (
        DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5)
        if route is Route.IM
        else DosePlan(route=route, weight_kg=70, total_mg=56)
    )
    s = plan_session(repos, client.id, plan)
    assert s.id is not None
    prepare(repos, s)  # a complete preparation checklist: the start is not gated
    return s.id


def _runner(repos: Repos, sid: int, t: FakeTime) -> SessionRunner:
    return SessionRunner(repos, sid, now_utc=t.now, monotonic=t.monotonic)


def _counts(repos: Repos) -> tuple[int, int, int, int]:
    def n(table: str) -> int:
        return int(repos.vault.read(f"SELECT count(*) FROM {table}")[0][0])

    return n("events"), n("vitals"), n("audit"), n("flags")


def _fail_on(monkeypatch: pytest.MonkeyPatch, obj: object, name: str) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise Boom("disk pulled out")

    monkeypatch.setattr(obj, name, boom)


GOOD = Discharge(
    alert_oriented=True,
    vitals_near_baseline=True,
    walks_unassisted=True,
    escort_present=True,
    aftercare_reminded=True,
    escort_name="Sam Rivers",
    aldrete=dict.fromkeys(ALDRETE_KEYS, 2),
)


def test_start_failing_at_its_last_statement_leaves_nothing(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = FakeTime()
    sid = _session(repos)
    run = _runner(repos, sid, t)
    before = _counts(repos)
    _fail_on(monkeypatch, run, "heartbeat")  # the last thing start does
    with pytest.raises(Boom):
        run.start(readiness_override="Consent signed on paper; scanned after the session.")
    assert _counts(repos) == before
    assert repos.sessions.get(sid).status is SessionStatus.PLANNED
    assert run.session.status is SessionStatus.PLANNED  # memory restored too
    monkeypatch.undo()
    run.start()
    assert [e.kind for e in run.events()] == [EventKind.SESSION_STARTED, EventKind.BELL]


def test_dose_vitals_and_end_are_whole_or_absent(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = FakeTime()
    sid = _session(repos)
    run = _runner(repos, sid, t)
    run.start()
    t.advance(300)
    # the dose: the event fails after the session row was written
    before = _counts(repos)
    _fail_on(monkeypatch, repos.events, "add")
    with pytest.raises(Boom):
        run.give_dose()
    assert _counts(repos) == before
    assert repos.sessions.get(sid).status is SessionStatus.STARTED
    assert run.session.status is SessionStatus.STARTED and not run.clock.dosed
    monkeypatch.undo()
    run.give_dose()
    # vitals: the row is written, then its event fails
    before = _counts(repos)
    _fail_on(monkeypatch, repos.events, "add")
    with pytest.raises(Boom):
        run.record_vitals(VitalReading(120, 80, 70, 98, t.now()))
    assert _counts(repos) == before
    monkeypatch.undo()
    # the end: the debrief entry fails after the event and the session row
    t.advance(2 * 3600)
    before = _counts(repos)
    _fail_on(monkeypatch, repos.documents, "save")
    with pytest.raises(Boom):
        run.end(GOOD, "Calm return.")
    assert _counts(repos) == before
    assert repos.sessions.get(sid).status is SessionStatus.DOSED
    assert run.session.status is SessionStatus.DOSED and run.session.running  # type: ignore[comparison-overlap]
    assert repos.documents.find("integration", session_id=sid) == []
    monkeypatch.undo()
    run.end(GOOD, "Calm return.")
    kinds = [e.kind for e in run.events()]
    assert kinds.count(EventKind.SESSION_ENDED) == 1
    assert len(repos.documents.find("integration", session_id=sid)) == 1


def test_resumed_runner_never_ends_twice(repos: Repos) -> None:
    t = FakeTime()
    sid = _session(repos)
    first = _runner(repos, sid, t)
    first.start()
    first.give_dose()
    stale = _runner(repos, sid, t)  # a second runner on the same session (a resumed app)
    t.advance(2 * 3600)
    first.end(GOOD, "Calm.")
    with pytest.raises(SessionError, match="already ended"):
        stale.end(GOOD, "Calm again.")
    ended = [e for e in first.events() if e.kind is EventKind.SESSION_ENDED]
    assert len(ended) == 1
    assert len(repos.documents.find("integration", session_id=sid)) == 1


def test_distress_with_suicide_risk_raises_the_flag_in_the_same_transaction(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = FakeTime()
    sid = _session(repos)
    run = _runner(repos, sid, t)
    run.start()
    before = _counts(repos)
    _fail_on(monkeypatch, repos.flags, "raise_flag")
    with pytest.raises(Boom):
        run.record(EventKind.DISTRESS, {"text": "Says life is not worth it", "suicide_risk": True})
    assert _counts(repos) == before  # no distress event without its flag
    monkeypatch.undo()
    run.record(EventKind.DISTRESS, {"text": "Says life is not worth it", "suicide_risk": True})
    assert [f.kind for f in repos.flags.active(run.client_id)] == [FlagKind.SUICIDE_RISK]


def test_reserved_kinds_go_through_their_own_method(repos: Repos) -> None:
    t = FakeTime()
    run = _runner(repos, _session(repos), t)
    run.start()
    for kind in (EventKind.VITALS, EventKind.SESSION_ENDED, EventKind.ALERT_ACKNOWLEDGED):
        with pytest.raises(SessionError, match="Use "):
            run.record(kind, {})


# ---------------------------------------------------------------- alerts (issue 19 item 5)
def test_a_flagged_reading_is_an_alert_until_acknowledged_with_a_note(repos: Repos) -> None:
    t = FakeTime()
    run = _runner(repos, _session(repos), t)
    run.start()
    run.record_vitals(VitalReading(120, 80, 70, 98, t.now()))
    run.give_dose()
    assert run.open_alert() == []
    t.advance(900)
    vid, loud = run.record_vitals(VitalReading(185, 115, 88, 88, t.now()))
    assert loud.flags
    assert [v for v, _r in run.open_alert()] == [vid]
    assert run.recheck_due_utc(5) == t.now() + timedelta(minutes=5)
    with pytest.raises(SessionError, match="too short"):
        run.acknowledge_alert("ok")
    assert run.open_alert()
    ack = run.acknowledge_alert("Sat her up, oxygen on; physician informed, recheck at 5 min.")
    assert run.open_alert() == []
    assert ack.payload["vitals_ids"] == [vid] and ack.payload["flags"] == loud.flags
    rows = repos.vault.audit_entries(action="vitals.alert_acknowledged")
    assert rows and "physician informed" in rows[0].detail
    with pytest.raises(SessionError, match="no vitals alert"):
        run.acknowledge_alert("Nothing to acknowledge here at all, really.")
    # a normal recheck clears the recheck; another flagged one opens a new alert
    t.advance(240)
    run.record_vitals(VitalReading(135, 85, 80, 96, t.now()))
    assert run.recheck_due_utc(5) is None


def test_crisis_values_are_recorded_not_refused(repos: Repos) -> None:
    t = FakeTime()
    run = _runner(repos, _session(repos), t)
    run.start()
    run.record_vitals(VitalReading(120, 80, 70, 98, t.now()))
    run.give_dose()
    _vid, r = run.record_vitals(VitalReading(0, 0, 0, 0, t.now()))
    assert len(r.flags) == 4 and all("critical" in f for f in r.flags)
    assert run.open_alert()


# ---------------------------------------------------------------- discharge (issue 19 item 4)
def test_discharge_waits_the_clinic_minimum_per_route(repos: Repos) -> None:
    t = FakeTime()
    run = _runner(repos, _session(repos, Route.INTRANASAL), t)
    run.start()
    run.give_dose()
    t.advance(30 * 60)  # the reported case: discharged 30 min after an intranasal dose
    check = run.discharge_check(GOOD)
    assert not check.ready
    (wait,) = [m for m in check.missing if m.startswith("Too soon")]
    assert "90 min left" in wait and "120 min after the last intranasal dose" in wait
    with pytest.raises(SessionError, match="Too soon"):
        run.end(GOOD, "Early.")
    t.advance(90 * 60)
    assert run.discharge_check(GOOD).ready


def test_an_extra_dose_restarts_the_wait_and_the_clinic_sets_it(repos: Repos) -> None:
    t = FakeTime()
    run = _runner(repos, _session(repos), t)
    set_value(repos.vault, DISCHARGE_MIN_IM, 60)
    run.start()
    run.give_dose()
    t.advance(50 * 60)
    run.record(EventKind.EXTRA_DOSE, {"total_mg": 10, "route": "im"})
    t.advance(30 * 60)  # 80 min after the dose, 30 after the extra one
    msg = " ".join(run.discharge_check(GOOD).missing)
    assert "30 min left" in msg and "60 min after the last IM dose" in msg
    t.advance(30 * 60)
    assert run.discharge_check(GOOD).ready


def test_aldrete_not_scored_needs_a_reason_that_reaches_record_and_audit(repos: Repos) -> None:
    t = FakeTime()
    sid = _session(repos)
    run = _runner(repos, sid, t)
    run.start()
    run.give_dose()
    t.advance(3 * 3600)
    unscored = Discharge(
        alert_oriented=True,
        vitals_near_baseline=True,
        walks_unassisted=True,
        escort_present=True,
        aftercare_reminded=True,
        escort_name="Sam Rivers",
    )
    with pytest.raises(SessionError, match="Aldrete score incomplete"):
        run.end(unscored, "Quiet.")  # the old tick-box alone no longer passes
    token = Discharge(**{**unscored.__dict__, "aldrete_not_scored": True})
    with pytest.raises(SessionError, match="Why Aldrete is not scored"):
        run.end(token, "Quiet.")
    reason = "Low-dose lozenge session without medical staff; clinic protocol."
    half = Discharge(
        **{
            **unscored.__dict__,
            "aldrete_not_scored": True,
            "aldrete_not_scored_reason": reason,
            "aldrete": {**dict.fromkeys(ALDRETE_KEYS), "activity": 1},
        }
    )
    with pytest.raises(SessionError, match="marked not scored but has scores"):
        run.end(half, "Quiet.")
    ok = Discharge(
        **{**unscored.__dict__, "aldrete_not_scored": True, "aldrete_not_scored_reason": reason}
    )
    run.end(ok, "Quiet.")
    stored = repos.sessions.get(sid).discharge
    assert stored["aldrete_not_scored"] is True and stored["aldrete_not_scored_reason"] == reason
    (ended,) = [e for e in run.events() if e.kind is EventKind.SESSION_ENDED]
    assert ended.payload["aldrete_not_scored_reason"] == reason
    rows = repos.vault.audit_entries(action="session.aldrete_not_scored")
    assert rows and rows[0].detail == reason


# ---------------------------------------------------------------- interruption (issue 20 item 5)
def _open(path: Path) -> Repos:
    return Repos(Vault.open(path, PASSPHRASE))


def test_a_crash_is_recorded_on_resume_and_a_clean_close_is_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "crash.kapv"
    repos = Repos(Vault.create(path, PASSPHRASE, {"name": "Dr Test"}))
    t = FakeTime()
    sid = _session(repos)
    run = _runner(repos, sid, t)
    run.start()
    run.give_dose()
    t.advance(45)
    run.heartbeat()  # the controller does this every 30 s
    beat = t.now()
    repos.vault.close()  # the process "dies": nothing marks a clean close

    # the same process carrying on records nothing
    repos = _open(path)
    assert _runner(repos, sid, t).resume() is None

    # another process (a new start after a kill) finds the "running" heartbeat
    monkeypatch.setattr(session_service, "RUN_ID", "another-process")
    t.advance(300)
    again = _runner(repos, sid, t)
    event = again.resume()
    assert event is not None and event.kind is EventKind.APP_INTERRUPTED
    assert event.payload["last_sign_of_life_utc"] == beat.isoformat(timespec="microseconds")
    assert event.payload["resumed_utc"] == t.now().isoformat(timespec="microseconds")
    assert event.payload["basis"] == "heartbeat"
    (row,) = repos.vault.audit_entries(action="session.interrupted")
    local = beat.astimezone()
    assert f"last sign of life {local:%H:%M:%S}" in row.detail
    assert again.resume() is None  # once: the heartbeat is now this process's

    # a lock or quit marks the heartbeat closed: the next start is not a crash
    again.close_cleanly()
    mark = json.loads(repos.vault.get_meta(again.heartbeat_key) or "{}")
    assert mark["state"] == "closed"
    monkeypatch.setattr(session_service, "RUN_ID", "a-third-process")
    t.advance(60)
    third = _runner(repos, sid, t).resume()
    assert third is not None and third.kind is EventKind.APP_RESUMED
    kinds = [e.kind for e in again.events()]
    assert kinds.count(EventKind.APP_INTERRUPTED) == 1
    assert repos.vault.check().ok
    repos.vault.close()


def test_without_a_heartbeat_the_last_event_is_the_last_sign_of_life(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = FakeTime()
    sid = _session(repos)
    run = _runner(repos, sid, t)
    run.start()
    t.advance(120)
    last = run.record(EventKind.NOTE, {"text": "Resting."})
    repos.vault.set_json(run.heartbeat_key, None)  # an older app wrote no heartbeat
    monkeypatch.setattr(session_service, "RUN_ID", "another-process")
    t.advance(600)
    event = _runner(repos, sid, t).resume()
    assert event is not None and event.kind is EventKind.APP_INTERRUPTED
    assert event.payload["basis"] == "last event"
    assert event.payload["last_sign_of_life_utc"] == last.utc.isoformat(timespec="microseconds")
