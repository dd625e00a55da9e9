"""Shots of issue 5: the plan dialog, a running session (and its strip on the locked screen),
the discharge, and the summary.

The running session is built through the real SessionRunner on a simulated clock that ended
42 minutes ago, so the screen opens as it would after a restart: the clock at +0:42, in the
peak, with vitals, events and the peak music playing (real libvlc, dummy audio output).
The last shot ends the session and goes back to the workspace, so later shots find the app
as they expect (no running session to resume).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget
    from screenshots import Shooter

_player: Any = None


def _ensure_player(s: Shooter) -> None:
    """Real music for the shots (dummy output: silent, but titles and phases show)."""
    global _player
    if _player is None:
        from kapcompanion.audio import create_player

        _player, _reason = create_player(vlc_args=("--aout=dummy",))
    s.window.services.player = _player
    if s.window.ctx is not None:
        s.window.ctx.player = _player


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.utc, self.mono = start, 0.0

    def now(self) -> datetime:
        return self.utc

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.utc += timedelta(seconds=seconds)
        self.mono += seconds


def _running_session(s: Shooter) -> int:
    """A session of the first client, dosed 42 minutes ago, with a morning's records."""
    from kapcompanion.core.models import EventKind
    from kapcompanion.core.touch import TouchKind
    from kapcompanion.core.vitals import VitalReading
    from kapcompanion.services.clinic import phase_defaults
    from kapcompanion.services.session import SessionRunner, plan_session

    ws, record = s.open_first()
    ctx = ws.ctx
    running = ctx.repos.sessions.running()
    if running:
        return running[0].id or 0
    cid = record.client_id
    planned = [x for x in ctx.repos.sessions.for_client(cid) if x.status.value == "planned"]
    if planned:
        session = planned[0]
    else:
        from kapcompanion.core.dose import DosePlan, Route

        plan = DosePlan(route=Route.IM, weight_kg=68, mg_per_kg=0.75, lot="IM2231")
        courses = ctx.repos.courses.for_client(cid)
        course = courses[-1].id if courses else None
        session = plan_session(ctx.repos, cid, plan, course_id=course)
    if not session.phases:
        phases = phase_defaults(ctx.vault, session.plan.get("route", "im"))
        stored = [{"kind": p.kind.value, "minutes": p.minutes} for p in phases]
        session = ctx.repos.sessions.save(replace(session, phases=stored))
    if not ctx.repos.documents.find("checklist", session_id=session.id):
        from kapcompanion.core.models import StoredDocument

        earlier = ctx.repos.documents.find("checklist", client_id=cid)
        if earlier:  # carried over from the last session, as the preparation screen does
            ctx.repos.documents.save(
                StoredDocument(
                    kind="checklist",
                    client_id=cid,
                    course_id=session.course_id,
                    session_id=session.id,
                    data=earlier[-1].data,
                )
            )
    clock = _Clock(datetime.now(UTC) - timedelta(minutes=54, seconds=20))
    run = SessionRunner(ctx.repos, session.id or 0, now_utc=clock.now, monotonic=clock.monotonic)
    run.start(bell=True, readiness_override="")
    clock.advance(11 * 60)
    run.record_vitals(VitalReading(126, 80, 71, 98, taken_utc=clock.now()))
    clock.advance(60)
    run.give_dose(draw_reason="Drawn from the demo stock for this screenshot only.")

    def vitals(sys_: int, dia: int, hr: int, spo2: int) -> None:
        run.record_vitals(VitalReading(sys_, dia, hr, spo2, taken_utc=clock.now()))

    def note(kind: EventKind, text: str) -> None:
        run.record(kind, {"text": text})

    steps: list[tuple[float, Any]] = [
        (4 * 60, lambda: note(EventKind.OBSERVATION, "Eyes closed, breathing slow.")),
        (6 * 60, lambda: note(EventKind.NAUSEA, "Mild nausea, passed.")),
        (5 * 60, lambda: vitals(142, 88, 84, 97)),
        (3 * 60, lambda: note(EventKind.CLIENT_WORDS, "There is so much space here.")),
        (7 * 60, lambda: run.record_touch(TouchKind.HAND_ON_SHOULDER, asked=True, note="Yes.")),
        (5 * 60, lambda: vitals(162, 96, 92, 96)),
        (4 * 60, lambda: note(EventKind.OBSERVATION, "Tearful, then settled.")),
        (3 * 60, lambda: run.extend_phase(10)),
        (4 * 60, lambda: note(EventKind.CLIENT_WORDS, "I can see my father's hands.")),
    ]
    for wait, action in steps:
        clock.advance(wait)
        action()
    return session.id or 0


def _open_screen(s: Shooter) -> Any:
    from kapcompanion.ui.session.screen import SessionScreen

    _ensure_player(s)
    page = s.window.page
    if isinstance(page, SessionScreen) and page.controller.running:
        return page
    session_id = _running_session(s)
    from kapcompanion.ui.session.host import open_session

    screen = open_session(s.window, session_id)
    assert screen is not None
    return screen


def shot_plan(s: Shooter) -> QWidget:
    from PySide6.QtTest import QTest

    from kapcompanion.core.dose import Route
    from kapcompanion.ui.session.plan_dialog import PlanDialog

    _ws, record = s.open_first()
    record.show_section("sessions")
    dialog = PlanDialog(s.window.ctx, record.client_id, None, s.window)  # type: ignore[arg-type]
    dialog.route.setCurrentIndex(dialog.route.findData(Route.IM.value))
    dialog.weight.edit.setText("68")
    dialog.per_kg_mode.setChecked(True)
    dialog.dose.setValue(1.1)
    dialog.lot.setText("IM2231")
    QTest.keyClicks(dialog.reason, "Second session; 0.75 mg/kg gave little effect last time.")
    dialog.show()
    return dialog


def shot_running(s: Shooter) -> QWidget:
    screen = _open_screen(s)
    screen.events.timeline.setCurrentRow(screen.events.timeline.count() - 1)
    return s.window


def shot_locked(s: Shooter) -> QWidget:
    _open_screen(s)
    s.window.lock("It locked itself after 10 minutes without activity. Your work was saved.")
    return s.window


def shot_discharge(s: Shooter) -> QWidget:
    from kapcompanion.store.vault import Vault

    if s.window.ctx is None:  # unlocking returns straight into the running session
        s.window.demo_passphrase = s.passphrase
        s.window.enter(Vault.open(s.vault_path, s.passphrase), demo=True)
    screen = _open_screen(s)
    dialog = screen.open_discharge() or screen._open_discharge_dialog()
    for key in ("alert_oriented", "vitals_near_baseline", "walks_unassisted", "escort_present"):
        dialog.checks[key].setChecked(True)
    dialog.escort_name.setText("Sam Rivers")
    for key, score in (("activity", 2), ("respiration", 2), ("circulation", 1)):
        combo = dialog.aldrete[key]
        combo.setCurrentIndex(combo.findData(score))
    dialog.debrief.setPlainText("Spoke about her father's hands; felt held by the music.")
    return dialog


def shot_summary(s: Shooter) -> QWidget:
    from kapcompanion.core.discharge import Discharge
    from kapcompanion.core.vitals import VitalReading
    from kapcompanion.ui.session.summary import SummaryDialog

    screen = _open_screen(s)
    controller = screen.controller
    done = Discharge(
        alert_oriented=True,
        vitals_near_baseline=True,
        walks_unassisted=True,
        escort_present=True,
        aftercare_reminded=True,
        escort_name="Sam Rivers",
        aldrete=dict.fromkeys(
            ("activity", "respiration", "circulation", "consciousness", "oxygen_saturation"), 2
        ),
    )
    # the demo session was dosed 42 minutes ago: let this shot's clinic discharge after 30 min
    # whatever the route
    from kapcompanion.core import settings as clinic_settings
    from kapcompanion.services.settings import set_value

    for minimum in (
        clinic_settings.DISCHARGE_MIN_IV,
        clinic_settings.DISCHARGE_MIN_IM,
        clinic_settings.DISCHARGE_MIN_SUBLINGUAL,
        clinic_settings.DISCHARGE_MIN_INTRANASAL,
        clinic_settings.DISCHARGE_MIN_ORAL,
    ):
        set_value(s.window.ctx.vault, minimum, 30)
    # the demo's latest reading is flagged: a reading back near baseline comes first, as the
    # discharge check asks before 'Vitals back near baseline' may be ticked
    controller.record_vitals(VitalReading(128, 80, 72, 98, taken_utc=controller.runner.clock.now()))
    controller.end(done, "Spoke about her father's hands; felt held by the music.")
    client_id = controller.runner.client_id
    session_id = controller.session_id
    controller.dispose(stop_music=True)
    s.window.show_workspace(client_id, "sessions")
    dialog = SummaryDialog(s.window.ctx, session_id, s.window)  # type: ignore[arg-type]
    dialog.show()
    return dialog


SHOTS = [
    ("session-plan", shot_plan),
    ("session-running", shot_running),
    ("session-locked", shot_locked),
    ("session-discharge", shot_discharge),
    ("session-summary", shot_summary),
]
