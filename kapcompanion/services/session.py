"""Running a dosing session: the one place that turns therapist actions into committed records.

Screens call these methods and show a result only after they return, which is after the commit
is on disk. Time comes from :class:`core.clock.SessionClock` (stored UTC anchor + monotonic
clock), so a restart after a crash resumes the clock exactly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from kapcompanion.core.checklist import Checklist
from kapcompanion.core.clock import (
    ChangeKind,
    PhaseChange,
    PhaseKind,
    PhaseStatus,
    PlannedPhase,
    SessionClock,
    default_phases,
)
from kapcompanion.core.discharge import Discharge, discharge_ready
from kapcompanion.core.dose import DosePlan, DoseRefused
from kapcompanion.core.integration import IntegrationEntry, IntegrationKind
from kapcompanion.core.models import (
    Course,
    CourseStatus,
    DosingSession,
    EventKind,
    FlagKind,
    SessionEvent,
    SessionStatus,
    StoredDocument,
)
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.core.touch import TouchAgreement, TouchCheck, TouchKind, check_touch
from kapcompanion.core.vitals import VitalReading, VitalThresholds, flag_reading, validate_reading
from kapcompanion.services import dose as dose_rules
from kapcompanion.services import preparation
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos


class SessionError(VaultError):
    """A therapist action that cannot be recorded as asked; the message says why."""


class DoseNotAccepted(SessionError):
    """A dose the clinic's limits refuse as asked; ``needs_confirmation`` is the question to
    confirm (naming the number) when a reason and that confirmation are what is missing."""

    def __init__(self, refused: DoseRefused) -> None:
        super().__init__(refused.message)
        self.needs_confirmation = refused.needs_confirmation


class TouchNeedsReason(SessionError):
    def __init__(self, check: TouchCheck) -> None:
        super().__init__(check.message)
        self.check = check


def _utc_now() -> datetime:
    return datetime.now(UTC)


def current_course(repos: Repos, client_id: int) -> Course:
    """The client's active course; the first planned session opens one (a course of KAP)."""
    courses = repos.courses.for_client(client_id)
    active = [c for c in courses if c.status in (CourseStatus.ACTIVE, CourseStatus.PLANNED)]
    if active:
        return active[-1]
    client = repos.clients.get(client_id)
    return repos.courses.save(
        Course(
            client_id=client_id,
            indication=client.indications[0] if client.indications else "",
            started_on=_utc_now().date(),
        )
    )


def plan_session(
    repos: Repos,
    client_id: int,
    plan: DosePlan,
    *,
    course_id: int | None = None,
    phases: list[PlannedPhase] | None = None,
    planned_for: datetime | None = None,
    vitals_every_min: int = 15,
    confirmation: str = "",
) -> DosingSession:
    """Validate the dose plan against the clinic's limits (``services.dose``) and store a
    planned session: outside the usual range needs a reason of substance, above it also
    ``confirmation`` naming the dose; above the clinic's maximum is refused."""
    try:
        plan = dose_rules.accepted_plan(repos.vault, plan, confirmation)
    except DoseRefused as exc:
        raise DoseNotAccepted(exc) from None
    if course_id is None:
        course_id = current_course(repos, client_id).id
    number = 1 + sum(1 for s in repos.sessions.for_client(client_id) if s.course_id == course_id)
    session = DosingSession(
        client_id=client_id,
        course_id=course_id,
        number=number,
        planned_for=planned_for,
        plan=to_jsonable(plan),
        phases=[to_jsonable(p) for p in (phases or default_phases(plan.route))],
        vitals_every_min=vitals_every_min,
    )
    return dose_rules.save_plan(repos, session)


class SessionRunner:
    """One session, start to discharge. Every method commits before it returns."""

    def __init__(
        self,
        repos: Repos,
        session_id: int,
        *,
        now_utc: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        thresholds: VitalThresholds | None = None,
    ) -> None:
        self.repos = repos
        self.session = repos.sessions.get(session_id)
        self._now_utc = now_utc
        self._monotonic = monotonic
        self.thresholds = thresholds or VitalThresholds()
        self.clock = SessionClock(
            self.session.dose_utc,
            self.session.started_utc or now_utc(),
            now_utc=now_utc,
            monotonic=monotonic,
        )

    # ------------------------------------------------------------------ derived state
    @property
    def id(self) -> int:
        assert self.session.id is not None
        return self.session.id

    @property
    def client_id(self) -> int:
        return self.session.client_id

    @property
    def plan(self) -> DosePlan:
        return load(DosePlan, self.session.plan)

    @property
    def phases(self) -> list[PlannedPhase]:
        return [load(PlannedPhase, p) for p in self.session.phases]

    @property
    def changes(self) -> list[PhaseChange]:
        return [load(PhaseChange, c) for c in self.session.phase_changes]

    def offset_s(self) -> float:
        return self.clock.offset_s(self.phases)

    def status(self) -> PhaseStatus:
        return self.clock.status(self.phases, self.changes)

    def checklist(self) -> Checklist | None:
        docs = self.repos.documents.find("checklist", session_id=self.id)
        return load(Checklist, docs[-1].data) if docs else None

    def touch_agreement(self) -> TouchAgreement | None:
        checklist = self.checklist()
        return checklist.touch if checklist else None

    def safety_flag_active(self) -> bool:
        return any(f.kind is FlagKind.SUICIDE_RISK for f in self.repos.flags.active(self.client_id))

    # ------------------------------------------------------------------ recording
    def _event(self, kind: EventKind, payload: dict[str, Any] | None = None) -> SessionEvent:
        offset = self.clock.elapsed_s() if self.clock.dosed else self.offset_s()
        event = SessionEvent(
            session_id=self.id,
            kind=kind,
            utc=self.clock.now(),
            offset_s=round(offset, 3) if offset is not None else None,
            payload=payload or {},
        )
        return self.repos.events.add(event, self.client_id)

    def _save(self, action: str) -> None:
        self.session = self.repos.sessions.save(self.session, action=action)

    def start(self, *, bell: bool = True, readiness_override: str = "") -> SessionEvent:
        if self.session.status is not SessionStatus.PLANNED:
            raise SessionError("This session has already started.")
        preparation.gate_session_start(self.repos, self.session, readiness_override)
        now = self.clock.now()
        self.clock = SessionClock(None, now, now_utc=self._now_utc, monotonic=self._monotonic)
        self.session = replace(
            self.session,
            status=SessionStatus.STARTED,
            started_utc=now,
            readiness_override=readiness_override.strip() or self.session.readiness_override,
        )
        self._save("session.start")
        started = self._event(EventKind.SESSION_STARTED)
        if bell:
            self._event(EventKind.BELL, {"text": "Opening bell"})
        return started

    def give_dose(self) -> SessionEvent:
        if self.session.status is not SessionStatus.STARTED:
            raise SessionError("Start the session before marking the dose.")
        dose_at = self.clock.mark_dose()
        self.session = replace(self.session, status=SessionStatus.DOSED, dose_utc=dose_at)
        self._save("session.dose")
        plan = self.plan
        return self._event(
            EventKind.DOSE_GIVEN,
            {
                "route": plan.route.value,
                "mg_per_kg": plan.mg_per_kg,
                "total_mg": plan.total_mg,
                "weight_kg": plan.weight_kg,
                "lot": plan.lot,
                "infusion_minutes": plan.infusion_minutes,
            },
        )

    def record(self, kind: EventKind, payload: dict[str, Any] | None = None) -> SessionEvent:
        if not self.session.running:
            raise SessionError("The session is not running.")
        if kind is EventKind.TOUCH_OFFERED:
            raise SessionError("Use record_touch for touch: it is checked against the agreement.")
        if kind is EventKind.EXTRA_DOSE:
            payload = self._checked_extra_dose(payload or {})
        event = self._event(kind, payload)
        if kind is EventKind.DISTRESS and (payload or {}).get("suicide_risk"):
            self.repos.flags.raise_flag(
                self.client_id, FlagKind.SUICIDE_RISK, f"session {self.id}", "Distress event"
            )
        return event

    def _checked_extra_dose(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The session's running total against the clinic's limits (``services.dose``)."""
        try:
            return dose_rules.checked_extra_dose(
                dose_rules.clinic_maxima(self.repos.vault),
                self.plan,
                self.events(),
                self.clock.dosed,
                payload,
            )
        except DoseRefused as exc:
            raise DoseNotAccepted(exc) from None

    def check_touch(self, kind: TouchKind, asked: bool = False) -> TouchCheck:
        return check_touch(self.touch_agreement(), kind, asked)

    def record_touch(
        self, kind: TouchKind, *, asked: bool = False, reason: str = "", note: str = ""
    ) -> SessionEvent:
        """Touch is checked against the agreement; outside it, recording needs a reason."""
        check = self.check_touch(kind, asked)
        if check.needs_reason and not reason.strip():
            raise TouchNeedsReason(check)
        return self._event(
            EventKind.TOUCH_OFFERED,
            {
                "touch_kind": TouchKind(kind).value,
                "asked": asked,
                "within_agreement": check.allowed,
                "check": check.message,
                "reason": reason.strip(),
                "text": note.strip(),
            },
        )

    def record_vitals(self, reading: VitalReading) -> tuple[int, VitalReading]:
        problems = validate_reading(reading)
        if problems:
            raise SessionError(" ".join(problems))
        reading = replace(
            reading,
            taken_utc=self.clock.now(),
            offset_s=self.clock.elapsed_s(),
            pre_dose=not self.clock.dosed,
        )
        reading = replace(reading, flags=flag_reading(reading, self.thresholds))
        vid = self.repos.vitals.add(self.id, reading, self.client_id)
        self._event(EventKind.VITALS, {"vitals_id": vid, **to_jsonable(reading)})
        return vid, reading

    def vitals(self) -> list[tuple[int, VitalReading]]:
        return self.repos.vitals.for_session(self.id, VitalReading)

    def events(self) -> list[SessionEvent]:
        return self.repos.events.for_session(self.id)

    def correct(self, event: SessionEvent, payload: dict[str, Any], reason: str) -> SessionEvent:
        return self.repos.events.correct(event, payload, reason, self.clock.now(), self.client_id)

    # ------------------------------------------------------------------ phases
    def _phase_change(self, change: PhaseChange, kind: EventKind, text: str) -> SessionEvent:
        if not self.clock.dosed:
            raise SessionError("Phases after arrival follow the dose; mark the dose first.")
        self.session = replace(
            self.session, phase_changes=[*self.session.phase_changes, to_jsonable(change)]
        )
        self._save("session.phase_change")
        return self._event(kind, {"text": text})

    def advance_phase(self) -> SessionEvent:
        current = self.status()
        if current.current is None:
            raise SessionError("There is no phase left to end.")
        change = PhaseChange(ChangeKind.ADVANCE, self.offset_s())
        nxt = current.next.label if current.next else "the end of the plan"
        return self._phase_change(
            change, EventKind.PHASE_ADVANCED, f"{current.current.label} ended early; now {nxt}"
        )

    def extend_phase(self, minutes: float = 5) -> SessionEvent:
        current = self.status()
        if current.current is None or current.current is PhaseKind.ARRIVAL:
            raise SessionError("Only a running phase after the dose can be extended.")
        if not 0 < minutes <= 120:
            raise SessionError("An extension is between 1 and 120 minutes.")
        change = PhaseChange(ChangeKind.EXTEND, self.offset_s(), float(minutes))
        return self._phase_change(
            change, EventKind.PHASE_EXTENDED, f"{current.current.label} extended by {minutes:g} min"
        )

    # ------------------------------------------------------------------ ending
    def end(self, discharge: Discharge, debrief: str, *, require_aldrete: bool = True) -> None:
        """Discharge, store the debrief and open the same-day integration entry as a draft."""
        check = discharge_ready(discharge, self.safety_flag_active(), require_aldrete)
        if not check.ready:
            raise SessionError("Not ready for discharge: " + "; ".join(check.missing) + ".")
        now = self.clock.now()
        discharge = replace(discharge, discharged_at=discharge.discharged_at or now)
        self._event(EventKind.SESSION_ENDED, {"aldrete_total": check.aldrete_total})
        self.session = replace(
            self.session,
            status=SessionStatus.ENDED,
            ended_utc=now,
            discharge=to_jsonable(discharge),
            debrief=debrief.strip(),
        )
        self._save("session.end")
        entry = IntegrationEntry(
            session_id=self.id,
            kind=IntegrationKind.SAME_DAY_DEBRIEF,
            entry_date=now.date(),
            prompt_answers={},
            free_text=debrief.strip(),
            mood=None,
            title=f"Debrief after session {self.session.number}",
        )
        self.repos.documents.save(
            StoredDocument(
                kind="integration",
                client_id=self.client_id,
                course_id=self.session.course_id,
                session_id=self.id,
                data=to_jsonable(entry),
            )
        )


def running_sessions(repos: Repos) -> list[DosingSession]:
    """Sessions a crash or a lock interrupted: the app returns straight into them."""
    return repos.sessions.running()
