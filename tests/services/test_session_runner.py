"""The session runner on a real vault with an injected clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from readiness_support import complete_checklist

from kapcompanion.core.discharge import Discharge
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, EventKind, SessionStatus, StoredDocument
from kapcompanion.core.serial import to_jsonable
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind
from kapcompanion.core.vitals import VitalReading
from kapcompanion.services.session import (
    DoseNeedsConfirmation,
    SessionError,
    SessionRunner,
    TouchNeedsReason,
    plan_session,
)
from kapcompanion.store.repos import Repos


class FakeTime:
    def __init__(self) -> None:
        self.utc = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night clocks change in Europe
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.utc

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.utc += timedelta(seconds=seconds)
        self.mono += seconds


def _client(repos: Repos) -> int:
    c = repos.clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    assert c.id is not None
    return c.id


def _plan() -> DosePlan:
    return DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5, lot="LOT-42")


def test_plan_refuses_absurd_and_questions_unusual_doses(repos: Repos) -> None:
    cid = _client(repos)
    with pytest.raises(SessionError, match="kg"):
        plan_session(repos, cid, DosePlan(route=Route.IM, weight_kg=500, mg_per_kg=0.5))
    with pytest.raises(SessionError, match="reason"):
        plan_session(repos, cid, DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=3.0))
    ok = plan_session(
        repos,
        cid,
        DosePlan(
            route=Route.IM,
            weight_kg=70,
            mg_per_kg=3.0,
            out_of_range_reason="Physician order after review, documented in the chart",
        ),
        confirmation="Give 210 mg IM (3 mg/kg)? This is above the usual range.",
    )
    assert ok.plan["total_mg"] == 210.0 and ok.plan["out_of_range_reason"]
    assert ok.plan["above_usual"] is True
    assert repos.vault.read("SELECT count(*) FROM sessions") == [(1,)]


def test_full_session_with_restart_and_clock(repos: Repos) -> None:
    t = FakeTime()
    cid = _client(repos)
    session = plan_session(repos, cid, _plan())
    assert session.plan["total_mg"] == 35.0
    assert session.id is not None
    agreement = TouchAgreement(
        welcome=[TouchKind.HAND_ON_SHOULDER],
        other_detail="",
        ask_first=True,
        when_distressed=DistressPreference.WORDS_ONLY,
        agreed_on=date(2026, 3, 1),
        withdrawn_at=None,
        withdrawn_note="",
    )
    checklist = complete_checklist(intention="To meet my grief", touch=agreement)
    repos.documents.save(
        StoredDocument(
            kind="checklist", client_id=cid, session_id=session.id, data=to_jsonable(checklist)
        )
    )
    run = SessionRunner(repos, session.id, now_utc=t.now, monotonic=t.monotonic)
    run.start(bell=True)
    t.advance(600)
    run.record_vitals(VitalReading(150, 95, 80, 98, taken_utc=t.now()))  # pre-dose: flagged
    with pytest.raises(DoseNeedsConfirmation, match="150/95"):
        run.give_dose()
    with pytest.raises(DoseNeedsConfirmation, match="too short"):
        run.give_dose(flagged_reading_reason="ok")
    assert run.session.status is SessionStatus.STARTED and not run.clock.dosed
    run.give_dose(flagged_reading_reason="Rechecked after rest; prescriber agreed to go on.")
    (dose,) = [e for e in run.events() if e.kind is EventKind.DOSE_GIVEN]
    assert dose.payload["flagged_reading_reason"].startswith("Rechecked after rest")
    assert run.clock.elapsed_s() == 0
    t.advance(3600 + 0.4)  # across the DST change: elapsed must stay pure
    assert run.clock.elapsed_s() == pytest.approx(3600.4)
    with pytest.raises(TouchNeedsReason, match="ask"):
        run.record_touch(TouchKind.HAND_ON_SHOULDER)
    run.record_touch(TouchKind.HAND_ON_SHOULDER, asked=True)
    with pytest.raises(TouchNeedsReason):
        run.record_touch(TouchKind.HOLDING_HAND, asked=True)
    run.record(EventKind.CLIENT_WORDS, {"text": "I can see the lake"})
    run.extend_phase(10)

    # a "crash": a brand-new runner on the same vault, wall clock jumped, monotonic restarted
    t.advance(30)
    t2 = FakeTime()
    t2.utc, t2.mono = t.utc, 5.0
    resumed = SessionRunner(repos, session.id, now_utc=t2.now, monotonic=t2.monotonic)
    assert resumed.clock.elapsed_s() == pytest.approx(3630.4)
    assert resumed.session.status is SessionStatus.DOSED
    kinds = [e.kind for e in resumed.events()]
    assert kinds[:3] == [EventKind.SESSION_STARTED, EventKind.BELL, EventKind.VITALS]
    assert kinds.count(EventKind.TOUCH_OFFERED) == 1 and EventKind.PHASE_EXTENDED in kinds
    ((_, pre),) = resumed.vitals()
    assert pre.pre_dose and pre.flags

    with pytest.raises(SessionError, match="Not ready"):
        resumed.end(Discharge(), "Quiet return.")
    done = Discharge(
        alert_oriented=True,
        vitals_near_baseline=True,
        walks_unassisted=True,
        escort_present=True,
        aftercare_reminded=True,
        escort_name="Sam",
        aldrete={
            "activity": 2,
            "respiration": 2,
            "circulation": 2,
            "consciousness": 2,
            "oxygen_saturation": 2,
        },
    )
    with pytest.raises(SessionError, match=r"Too soon after the dose: 30 min left .*90 min"):
        resumed.end(done, "Quiet return; grief softer.")
    t2.advance(30 * 60)
    resumed.end(done, "Quiet return; grief softer.")
    with pytest.raises(SessionError, match="not running"):
        resumed.end(done, "Again.")
    assert repos.sessions.get(session.id).status is SessionStatus.ENDED
    entries = repos.documents.find("integration", session_id=session.id)
    assert entries and entries[0].data["free_text"] == "Quiet return; grief softer."


def test_first_planned_session_opens_a_course(repos: Repos) -> None:
    cid = _client(repos)
    assert repos.courses.for_client(cid) == []
    first = plan_session(repos, cid, _plan())
    second = plan_session(repos, cid, _plan())
    (course,) = repos.courses.for_client(cid)
    assert first.course_id == second.course_id == course.id
    assert (first.number, second.number) == (1, 2)


GOOD_DISCHARGE = Discharge(
    alert_oriented=True,
    vitals_near_baseline=True,
    walks_unassisted=True,
    escort_present=True,
    aftercare_reminded=True,
    escort_name="Sam",
    aldrete=dict.fromkeys(
        ("activity", "respiration", "circulation", "consciousness", "oxygen_saturation"), 2
    ),
)
EARLY = "Prescriber saw her at 40 minutes and agreed she may go: steady, her husband drives."


def test_an_im_session_ends_before_the_minimum_time_only_with_a_written_reason(
    repos: Repos,
) -> None:
    from readiness_support import prepare

    t = FakeTime()
    session = plan_session(repos, _client(repos), _plan())
    assert session.id is not None
    prepare(repos, session)
    run = SessionRunner(repos, session.id, now_utc=t.now, monotonic=t.monotonic)
    run.start()
    run.give_dose()
    t.advance(40 * 60)  # 40 of the clinic's 90 minutes after an IM dose
    assert run.too_soon_to_discharge()
    with pytest.raises(SessionError, match=r"Too soon after the dose: 50 min left"):
        run.end(GOOD_DISCHARGE, "Transferred.")
    with pytest.raises(SessionError, match="Why the session ends early"):
        run.end(GOOD_DISCHARGE, "Transferred.", early_end_reason="ER")
    # the reason lifts the time only: every other criterion still applies
    with pytest.raises(SessionError, match="Not ready"):
        run.end(Discharge(), "Transferred.", early_end_reason=EARLY)
    check = run.discharge_check(GOOD_DISCHARGE, EARLY)
    assert check.ready and check.missing == []
    ended = run.end(GOOD_DISCHARGE, "Transferred.", early_end_reason=EARLY)

    stored = repos.sessions.get(session.id)
    assert stored.status is SessionStatus.ENDED
    assert stored.discharge["early_end_reason"] == EARLY
    assert stored.discharge["early_end_by"] == "Dr Test"
    assert stored.discharge["minutes_after_dose"] == 40.0
    assert stored.discharge["minimum_minutes"] == 90.0
    assert ended.payload["early_end_reason"] == EARLY
    (row,) = repos.vault.audit_entries(action="session.early_end")
    assert EARLY in row.detail and "by Dr Test" in row.detail
    assert "40 min after the last IM dose" in row.detail and "minimum is 90 min" in row.detail
    assert repos.vault.audit_entries(action="session.esketamine_early_end") == []

    from kapcompanion.export.describe import event_text

    said = event_text(ended.kind, ended.payload)
    assert "Ended before the minimum time (40 of the clinic's 90 min after the dose)" in said
    assert "(Dr Test)" in said and EARLY in said


def test_after_the_minimum_time_a_reason_is_neither_needed_nor_kept(repos: Repos) -> None:
    from readiness_support import prepare

    t = FakeTime()
    session = plan_session(repos, _client(repos), _plan())
    assert session.id is not None
    prepare(repos, session)
    run = SessionRunner(repos, session.id, now_utc=t.now, monotonic=t.monotonic)
    run.start()
    run.give_dose()
    t.advance(91 * 60)
    assert not run.too_soon_to_discharge()
    run.end(GOOD_DISCHARGE, "Calm.", early_end_reason=EARLY)
    stored = repos.sessions.get(session.id)
    assert "early_end_reason" not in stored.discharge
    assert repos.vault.audit_entries(action="session.early_end") == []


def test_a_transfer_to_emergency_care_ends_the_session_without_the_home_criteria(
    repos: Repos,
) -> None:
    from readiness_support import prepare

    from kapcompanion.core.discharge import Transfer
    from kapcompanion.export.describe import event_text

    t = FakeTime()
    session = plan_session(repos, _client(repos), _plan())
    assert session.id is not None
    prepare(repos, session)
    run = SessionRunner(repos, session.id, now_utc=t.now, monotonic=t.monotonic)
    run.start()
    run.give_dose()
    t.advance(25 * 60)  # well inside the minimum time; nothing of the home checklist done
    with pytest.raises(SessionError, match="Not ready for the transfer: Who took the client"):
        run.end(Discharge(), "", transfer=Transfer("", "Chest pain, sweating, BP 190/110."))
    with pytest.raises(SessionError, match="Why the client is transferred"):
        run.end(Discharge(), "", transfer=Transfer("Paramedics, St Mary's ED", "pain"))
    handover = Transfer(
        "Paramedics (ambulance 14), to St Mary's emergency department",
        "Chest pain and sweating at 25 minutes; BP 190/110 on two readings.",
    )
    assert run.discharge_check(Discharge(), "", handover).ready
    ended = run.end(Discharge(), "Handed over with the dose record.", transfer=handover)

    stored = repos.sessions.get(session.id)
    assert stored.status is SessionStatus.ENDED
    assert stored.discharge["transfer_to"] == handover.to
    assert stored.discharge["transfer_reason"] == handover.reason
    assert stored.discharge["transfer_by"] == "Dr Test"
    assert stored.discharge["minutes_after_dose"] == 25.0
    assert "early_end_reason" not in stored.discharge  # a transfer is not an early discharge
    (row,) = repos.vault.audit_entries(action="session.transfer")
    assert handover.reason in row.detail and "to Paramedics (ambulance 14)" in row.detail
    assert "by Dr Test" in row.detail and "25 min after the last dose" in row.detail
    assert repos.vault.audit_entries(action="session.early_end") == []
    said = event_text(ended.kind, ended.payload)
    assert said.startswith("Transferred to emergency care (Dr Test), 25 min after the dose")
    assert handover.to in said and handover.reason in said


def test_the_record_of_a_transferred_session_says_transfer_not_a_failed_discharge(
    repos: Repos, tmp_path: Path
) -> None:
    from pypdf import PdfReader
    from readiness_support import prepare

    from kapcompanion.core.discharge import Transfer
    from kapcompanion.export.api import export_session_pdf
    from kapcompanion.ui.session.summary import summary_html

    t = FakeTime()
    session = plan_session(repos, _client(repos), _plan())
    assert session.id is not None
    prepare(repos, session)
    run = SessionRunner(repos, session.id, now_utc=t.now, monotonic=t.monotonic)
    run.start()
    run.give_dose()
    t.advance(25 * 60)
    to = "Paramedics (ambulance 14), to St Mary's emergency department"
    run.end(Discharge(), "", transfer=Transfer(to, "Chest pain and sweating; BP 190/110 twice."))
    export_session_pdf(repos, session.id, tmp_path / "s.pdf")
    text = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(tmp_path / "s.pdf").pages
    )
    assert "Transfer to emergency care" in text and "Handed over to" in text
    assert "Paramedics (ambulance 14)" in text and "25 min" in text
    assert "Not yet met at discharge" not in text and "Modified Aldrete score" not in text
    html = summary_html(repos, session.id, "Mara Quinn")
    assert "<h3>Transfer to emergency care</h3>" in html and "Aldrete" not in html


def test_vitals_back_near_baseline_cannot_be_ticked_over_a_flagged_latest_reading(
    repos: Repos,
) -> None:
    from readiness_support import prepare

    t = FakeTime()
    session = plan_session(repos, _client(repos), _plan())
    assert session.id is not None
    prepare(repos, session)
    run = SessionRunner(repos, session.id, now_utc=t.now, monotonic=t.monotonic)
    run.start()
    run.give_dose()
    t.advance(95 * 60)
    run.record_vitals(VitalReading(172, 104, 88, 97, taken_utc=t.now()))  # flagged
    check = run.discharge_check(GOOD_DISCHARGE)
    assert not check.ready
    assert any("The latest reading (172/104 at " in m and "is flagged" in m for m in check.missing)
    with pytest.raises(SessionError, match="latest reading"):
        run.end(GOOD_DISCHARGE, "Calm.")
    t.advance(10 * 60)
    run.record_vitals(VitalReading(128, 80, 72, 98, taken_utc=t.now()))  # back near baseline
    assert run.discharge_check(GOOD_DISCHARGE).ready
    run.end(GOOD_DISCHARGE, "Calm.")
    assert repos.sessions.get(session.id).status is SessionStatus.ENDED
