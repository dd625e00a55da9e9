"""Running a dosing session: the one place that turns therapist actions into committed records.

Screens call these methods and show a result only after they return, which is after the commit
is on disk. Time comes from :class:`core.clock.SessionClock` (stored UTC anchor + monotonic
clock), so a restart after a crash resumes the clock exactly.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from kapcompanion.core import esketamine as esk
from kapcompanion.core import settings as clinic_settings
from kapcompanion.core import wording
from kapcompanion.core.checklist import Checklist
from kapcompanion.core.clock import (
    ChangeKind,
    PhaseChange,
    PhaseKind,
    PhaseStatus,
    PlannedPhase,
    SessionClock,
    default_phases,
    planned_end_s,
)
from kapcompanion.core.discharge import (
    Discharge,
    DischargeCheck,
    DoseWait,
    Transfer,
    discharge_ready,
    wait_left_s,
)
from kapcompanion.core.dose import (
    DosePlan,
    DoseRefused,
    Route,
)
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
from kapcompanion.core.reasons import reason_problem
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.core.touch import TouchAgreement, TouchCheck, TouchKind, check_touch
from kapcompanion.core.units import WeightUnit
from kapcompanion.core.vitals import (
    VitalReading,
    VitalThresholds,
    flag_reading,
    recheck_due,
    validate_reading,
)
from kapcompanion.services import documents, ledger, preparation
from kapcompanion.services import dose as dose_rules
from kapcompanion.store import settings as stored_settings
from kapcompanion.store.errors import RecordNotFound, VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import iso


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


class DoseNeedsConfirmation(SessionError):
    """The latest reading before the dose is flagged: marking the dose needs a reason."""

    def __init__(self, reading: VitalReading, message: str) -> None:
        super().__init__(message)
        self.reading = reading


#: this process; a heartbeat written by another process that never closed cleanly is a crash
RUN_ID = uuid.uuid4().hex
#: meta key of a running session's heartbeat (no audit row: it is not a record)
HEARTBEAT_PREFIX = "session_heartbeat."
#: seconds between heartbeats while a session runs
HEARTBEAT_EVERY_S = 30.0

DISCHARGE_MINIMUM = {
    Route.IV: clinic_settings.DISCHARGE_MIN_IV,
    Route.IM: clinic_settings.DISCHARGE_MIN_IM,
    Route.SUBLINGUAL: clinic_settings.DISCHARGE_MIN_SUBLINGUAL,
    Route.INTRANASAL: clinic_settings.DISCHARGE_MIN_INTRANASAL,
    Route.ORAL: clinic_settings.DISCHARGE_MIN_ORAL,
}
_ROUTE_WORD = {
    Route.IV: "IV",
    Route.IM: "IM",
    Route.SUBLINGUAL: "sublingual",
    Route.INTRANASAL: "intranasal",
    Route.ORAL: "oral",
}

#: kinds that only their own method records (with their checks and payloads)
_EXTRA_DOSE_AUDIT = ("total_mg", "route", "running_total_mg", "reason", "confirmed")
_OWN_METHOD = {
    EventKind.TOUCH_OFFERED: "record_touch",
    EventKind.VITALS: "record_vitals",
    EventKind.ALERT_ACKNOWLEDGED: "acknowledge_alert",
    EventKind.APP_INTERRUPTED: "resume",
    EventKind.APP_RESUMED: "resume",
    EventKind.SESSION_STARTED: "start",
    EventKind.DOSE_GIVEN: "give_dose",
    EventKind.SESSION_ENDED: "end",
    EventKind.SEDATION_CHECK: "record_sedation",
    EventKind.DISSOCIATION_CHECK: "record_dissociation",
    EventKind.RESPIRATION_CHECK: "record_respiration",
}
#: acute-effect events that can open the alert (their payload says ``alert``)
_EFFECT_ALERTS = (EventKind.SEDATION_CHECK, EventKind.RESPIRATION_CHECK)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def uses_ledger(repos: Repos) -> bool:
    """The clinic keeps its controlled-substance ledger in this vault (it has a product)."""
    return bool(repos.ledger.products())


def effect_alert_text(event: SessionEvent) -> str:
    """What an acute-effect alert says: 'MOAA/S 2: ...' or 'Respiratory depression: ...'."""
    if event.kind is EventKind.SEDATION_CHECK:
        score = event.payload.get("moaas")
        return esk.moaas_text(score) + "." if isinstance(score, int) else "Sedation."
    action = str(event.payload.get("action") or "").strip()
    return "Respiratory depression observed" + (f": {action}" if action else ".")


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
        phases=[to_jsonable(p) for p in (phases or _preset_phases(plan))],
        vitals_every_min=vitals_every_min,
    )
    return dose_rules.save_plan(repos, session)


def _preset_phases(plan: DosePlan) -> list[PlannedPhase]:
    """The route's phases; the esketamine preset's (120 minutes of monitoring) for esketamine."""
    return list(esk.ESKETAMINE_PHASES) if plan.esketamine else default_phases(plan.route)


class SessionRunner:
    """One session, start to discharge.

    One action, one transaction: every method that records commits exactly once, with the
    session row, its events, any flag and every audit row together (``_action``); if the
    transaction fails, the in-memory session and clock are put back as they were.
    """

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

    # ------------------------------------------------------------------ one action
    @contextlib.contextmanager
    def _action(self) -> Iterator[None]:
        """One transaction for one therapist action; on failure memory is restored too."""
        session, clock, dose = self.session, self.clock, self.clock.dose_utc
        try:
            with self.repos.vault.transaction():
                yield
        except BaseException:
            self.session = session
            self.clock = clock
            clock.restore_dose(dose)
            raise

    def _audit(self, action: str, detail: str) -> None:
        self.repos.vault.audit(
            action,
            record_type="session",
            record_id=self.id,
            client_id=self.client_id,
            detail=detail,
        )

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

    def _stored_status(self) -> SessionStatus:
        """The status on disk (another runner, or a resumed app, may have moved it on)."""
        return self.repos.sessions.get(self.id).status

    # ------------------------------------------------------------------ heartbeat
    @property
    def heartbeat_key(self) -> str:
        return f"{HEARTBEAT_PREFIX}{self.id}"

    def heartbeat(self, state: str = "running") -> None:
        """The last sign of life of a running session (meta; no audit row, no record).

        ``state`` is "running" while the app runs the session and "closed" when it locks or
        quits cleanly; a "running" mark left by another process means it stopped unexpectedly.
        """
        self.repos.vault.set_json(
            self.heartbeat_key, {"utc": iso(self.clock.now()), "state": state, "run": RUN_ID}
        )

    def close_cleanly(self) -> None:
        """A lock or a quit: the heartbeat says closed, so the next start sees no crash."""
        if self.session.running:
            self.heartbeat("closed")

    def last_sign_of_life(self) -> tuple[datetime | None, str]:
        """The later of the last heartbeat and the last recorded event or reading."""
        mark = self.repos.vault.get_json(self.heartbeat_key)
        beat: datetime | None = None
        if isinstance(mark, dict) and isinstance(mark.get("utc"), str):
            with contextlib.suppress(ValueError):
                beat = datetime.fromisoformat(mark["utc"])
        events = self.events()
        last_event = max((e.utc for e in events), default=None)
        if beat is not None and (last_event is None or beat >= last_event):
            return beat, "heartbeat"
        return last_event, "last event"

    def resume(self) -> SessionEvent | None:
        """Called when the app finds this session running at start: record what happened.

        A heartbeat still "running" from another process (or none at all) means the app
        stopped unexpectedly: an ``app_interrupted`` event and an audit row with the last
        sign of life and the time of resuming. A clean close (lock or quit) gets a plain
        ``app_resumed`` event. The same process carrying on records nothing.
        """
        if not self.session.running:
            return None
        mark = self.repos.vault.get_json(self.heartbeat_key)
        state = mark.get("state") if isinstance(mark, dict) else None
        run = mark.get("run") if isinstance(mark, dict) else None
        if run == RUN_ID and state == "running":
            return None
        last, basis = self.last_sign_of_life()
        now = self.clock.now()
        crashed = state != "closed"
        kind = EventKind.APP_INTERRUPTED if crashed else EventKind.APP_RESUMED
        payload: dict[str, Any] = {
            "last_sign_of_life_utc": iso(last) if last else None,
            "resumed_utc": iso(now),
            "basis": basis,
        }
        with self._action():
            event = self._event(kind, payload)
            last_text = f"{last.astimezone():%H:%M:%S}" if last else "unknown"
            what = "stopped unexpectedly" if crashed else "was closed (lock or quit)"
            self._audit(
                "session.interrupted" if crashed else "session.resumed",
                f"The app {what}; last sign of life {last_text} ({basis}); "
                f"resumed {now.astimezone():%H:%M:%S}",
            )
            self.heartbeat()
        return event

    # ------------------------------------------------------------------ recording
    def start(
        self,
        *,
        bell: bool = True,
        readiness_override: str = "",
        phases: list[PlannedPhase] | None = None,
    ) -> SessionEvent:
        if self.session.status is not SessionStatus.PLANNED:
            raise SessionError("This session has already started.")
        with self._action():
            if self._stored_status() is not SessionStatus.PLANNED:
                raise SessionError("This session has already started.")
            # the readiness gate (consent and touch never skipped; a new override reason is
            # recorded on the checklist with who and which items) commits with the start
            preparation.gate_session_start(self.repos, self.session, readiness_override)
            now = self.clock.now()
            self.clock = SessionClock(None, now, now_utc=self._now_utc, monotonic=self._monotonic)
            override = readiness_override.strip()
            self.session = replace(
                self.session,
                status=SessionStatus.STARTED,
                started_utc=now,
                readiness_override=override or self.session.readiness_override,
                phases=[to_jsonable(p) for p in phases] if phases else self.session.phases,
            )
            self._save("session.start")
            started = self._event(EventKind.SESSION_STARTED)
            if bell:
                self._event(EventKind.BELL, {"text": "Opening bell"})
            self.heartbeat()
        return started

    def flagged_pre_dose(self) -> VitalReading | None:
        """The latest reading before the dose, if it is flagged (the dose then needs a reason)."""
        before = [r for _vid, r in self.vitals() if r.pre_dose]
        if before and before[-1].flags:
            return before[-1]
        return None

    def give_dose(
        self,
        *,
        flagged_reading_reason: str = "",
        container_id: int | None = None,
        draw_mg: float | None = None,
        draw_reason: str = "",
    ) -> SessionEvent:
        """Mark the dose. When the clinic keeps a ledger (:func:`uses_ledger`) the dose is
        drawn from ``container_id`` (``draw_mg``, the planned total by default) in the same
        transaction, so a refused draw leaves no dose either; ``draw_reason`` is the reason
        for drawing from an expired or opened-too-long container, or, with no container, why
        the dose does not come from the clinic's stock."""
        if self.session.status is not SessionStatus.STARTED:
            raise SessionError("Start the session before marking the dose.")
        flagged = self.flagged_pre_dose()
        payload_extra: dict[str, Any] = {}
        if flagged is not None:
            problem = reason_problem(flagged_reading_reason)
            if problem:
                raise DoseNeedsConfirmation(
                    flagged,
                    "The last reading before the dose is flagged: "
                    + " ".join(flagged.flags)
                    + " To give the dose anyway, confirm with a reason. "
                    + problem,
                )
            payload_extra = {
                "flagged_reading": list(flagged.flags),
                "flagged_reading_reason": " ".join(flagged_reading_reason.split()),
            }
        plan = self.plan
        draw = self._planned_draw(container_id, draw_mg, plan.total_mg, draw_reason)
        with self._action():
            if self._stored_status() is not SessionStatus.STARTED:
                raise SessionError("The dose is already marked for this session.")
            dose_at = self.clock.mark_dose()
            self.session = replace(self.session, status=SessionStatus.DOSED, dose_utc=dose_at)
            self._save("session.dose")
            event = self._event(
                EventKind.DOSE_GIVEN,
                {
                    "drug": plan.drug,
                    "devices": plan.devices,
                    "route": plan.route.value,
                    "mg_per_kg": plan.mg_per_kg,
                    "total_mg": plan.total_mg,
                    "weight_kg": plan.weight_kg,
                    "weight_unit": WeightUnit(plan.weight_unit).value,
                    "weight_entered": plan.weight_entered,
                    "lot": plan.lot,
                    "infusion_minutes": plan.infusion_minutes,
                    **payload_extra,
                    **draw,
                },
            )
            if payload_extra:
                self._audit(
                    "session.dose_after_flagged_reading",
                    payload_extra["flagged_reading_reason"]
                    + " | "
                    + " ".join(payload_extra["flagged_reading"]),
                )
            self._book_draw(draw, "dose")
        return event

    # ------------------------------------------------------------------ the ledger draw
    def _planned_draw(
        self, container_id: object, mg: object, default_mg: float | None, reason: str
    ) -> dict[str, Any]:
        """What a dose's payload says about its ledger draw (checked before the transaction;
        the ledger's own checks run inside it): ``{}`` when the clinic keeps no ledger."""
        reason = " ".join((reason or "").split())
        if container_id is None or container_id == "":
            if not uses_ledger(self.repos):
                return {}
            problem = reason_problem(reason)
            if problem:
                raise SessionError(
                    "The clinic keeps a controlled-substance ledger: choose the container the "
                    "dose is drawn from, or say why it does not come from the clinic's stock. "
                    + problem
                )
            return {"not_drawn_reason": reason}
        if isinstance(container_id, bool) or not isinstance(container_id, int):
            raise SessionError("Choose the container the dose is drawn from.")
        amount = default_mg if mg is None else mg
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            raise SessionError("Enter the amount drawn in mg.")
        out: dict[str, Any] = {"container_id": container_id, "draw_mg": float(amount)}
        # the label a person reads ("K-0010"), kept with the dose as it was drawn; an unknown
        # container is refused by the booking, inside the dose's transaction
        with contextlib.suppress(RecordNotFound):
            out["container_label"] = self.repos.ledger.container(container_id).label
        if reason:
            out["draw_reason"] = reason
        return out

    def _book_draw(self, draw: dict[str, Any], what: str) -> None:
        """Inside the action's transaction, right after the dose's event: the draw, or the
        audited reason there is none. A refused draw raises, which rolls the dose back."""
        if "not_drawn_reason" in draw:
            self._audit(f"session.{what}_not_drawn", draw["not_drawn_reason"])
            return
        if "container_id" not in draw:
            return
        try:
            ledger.administer_from_session(
                self.repos,
                self.id,
                draw["container_id"],
                draw["draw_mg"],
                override_reason=draw.get("draw_reason", ""),
                now=self.clock.now(),
            )
        except (ledger.LedgerRefused, RecordNotFound) as exc:
            raise SessionError(
                f"Not recorded: the {what} could not be drawn from the ledger. {exc.message}"
            ) from None

    def record(self, kind: EventKind, payload: dict[str, Any] | None = None) -> SessionEvent:
        if not self.session.running:
            raise SessionError("The session is not running.")
        kind = EventKind(kind)
        if kind in _OWN_METHOD:
            raise SessionError(
                f"Use {_OWN_METHOD[kind]} for {kind.label.lower()}: it is checked there."
            )
        draw: dict[str, Any] = {}
        if kind is EventKind.EXTRA_DOSE:
            payload = dict(payload or {})
            container_id = payload.pop("container_id", None)
            draw_reason = str(payload.pop("draw_reason", "") or "")
            payload = self._checked_extra_dose(payload)
            draw = self._planned_draw(container_id, None, payload.get("total_mg"), draw_reason)
            payload.update(draw)
        with self._action():
            event = self._event(kind, payload)
            if kind is EventKind.DISTRESS and (payload or {}).get("suicide_risk"):
                self.repos.flags.raise_flag(
                    self.client_id, FlagKind.SUICIDE_RISK, f"session {self.id}", "Distress event"
                )
            if kind is EventKind.EXTRA_DOSE and (payload or {}).get("above_usual"):
                self._audit(
                    "session.extra_dose_outside_usual",
                    json.dumps(
                        {k: (payload or {}).get(k) for k in _EXTRA_DOSE_AUDIT},
                        ensure_ascii=False,
                    ),
                )
            self._book_draw(draw, "extra dose")
        return event

    def give_booster(
        self,
        *,
        devices: int | None = None,
        total_mg: float | None = None,
        route: Route | str | None = None,
        reason: str = "",
        confirmed: str = "",
        note: str = "",
    ) -> SessionEvent:
        """An extra dose recorded as a booster: esketamine in whole devices of 28 mg (its
        route intranasal), any other drug in mg. The session's running total goes through the
        clinic's extra-dose limits (``services.dose.checked_extra_dose``) like any extra dose."""
        if self.esketamine:
            if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
                raise SessionError("An esketamine booster is a whole number of devices (28 mg).")
            if route is not None and Route(route) is not Route.INTRANASAL:
                raise SessionError("Esketamine is given intranasally.")
            payload: dict[str, Any] = {
                "total_mg": float(devices * esk.DEVICE_MG),
                "route": Route.INTRANASAL.value,
                "devices": devices,
                "drug": "esketamine",
            }
        else:
            if devices is not None:
                raise SessionError("Devices are counted for esketamine only; enter the mg.")
            payload = {"total_mg": total_mg, "route": Route(route or self.plan.route).value}
        payload["booster"] = True
        if reason.strip():
            payload["reason"] = reason
        if confirmed.strip():
            payload["confirmed"] = confirmed
        if note.strip():
            payload["text"] = " ".join(note.split())
        return self.record(EventKind.EXTRA_DOSE, payload)

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
        if not self.session.running:
            raise SessionError("The session is not running.")
        check = self.check_touch(kind, asked)
        if check.needs_reason and not reason.strip():
            raise TouchNeedsReason(check)
        with self._action():
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
        if not self.session.running:
            raise SessionError("Start the session before recording vitals.")
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
        with self._action():
            vid = self.repos.vitals.add(self.id, reading, self.client_id)
            self._event(EventKind.VITALS, {"vitals_id": vid, **to_jsonable(reading)})
        return vid, reading

    def vitals(self) -> list[tuple[int, VitalReading]]:
        return self.repos.vitals.for_session(self.id, VitalReading)

    def events(self) -> list[SessionEvent]:
        return self.repos.events.for_session(self.id)

    # ------------------------------------------------------------------ vitals alert
    def open_alert(self) -> list[tuple[int, VitalReading]]:
        """Flagged readings not yet acknowledged: while any is open the session is in alert."""
        acknowledged: set[int] = set()
        for event in self.events():
            if event.kind is EventKind.ALERT_ACKNOWLEDGED:
                ids = event.payload.get("vitals_ids")
                if isinstance(ids, list):
                    acknowledged |= {int(i) for i in ids if isinstance(i, int)}
        return [(vid, r) for vid, r in self.vitals() if r.flags and vid not in acknowledged]

    def open_effect_alert(self) -> list[SessionEvent]:
        """A MOAA/S of 3 or less or respiratory depression not yet acknowledged (as last
        corrected: a slip of the key corrected to a higher score closes it)."""
        events = self.events()
        acknowledged: set[int] = set()
        latest: dict[int, dict[str, Any]] = {}
        for event in events:
            if event.kind is EventKind.ALERT_ACKNOWLEDGED:
                ids = event.payload.get("event_ids")
                if isinstance(ids, list):
                    acknowledged |= {int(i) for i in ids if isinstance(i, int)}
            elif event.kind is EventKind.CORRECTION and event.corrects_id is not None:
                body = event.payload.get("payload")
                if isinstance(body, dict):
                    latest[event.corrects_id] = body
        return [
            e
            for e in events
            if e.kind in _EFFECT_ALERTS
            and e.id not in acknowledged
            and latest.get(e.id or -1, e.payload).get("alert")
        ]

    def acknowledge_alert(self, note: str) -> SessionEvent:
        """Close the alert with a note of what was seen and done (an audited event): the
        flagged readings and the acute-effect alerts open at that moment."""
        open_ = self.open_alert()
        effects = self.open_effect_alert()
        if not open_ and not effects:
            raise SessionError(
                "There is no vitals alert to acknowledge (nor a sedation or breathing alert)."
            )
        problem = reason_problem(note)
        if problem:
            raise SessionError("Say what you saw and did. " + problem)
        text = " ".join(note.split())
        flags = [f for _vid, r in open_ for f in r.flags]
        flags += [effect_alert_text(e) for e in effects]
        payload: dict[str, Any] = {
            "vitals_ids": [vid for vid, _r in open_],
            "flags": flags,
            "note": text,
        }
        if effects:
            payload["event_ids"] = [e.id for e in effects]
        with self._action():
            event = self._event(EventKind.ALERT_ACKNOWLEDGED, payload)
            action = "vitals.alert_acknowledged" if open_ else "session.effect_alert_acknowledged"
            self._audit(action, text + (" | " + " ".join(flags) if effects else ""))
        return event

    # ------------------------------------------------------------------ acute effects
    @property
    def esketamine(self) -> bool:
        return esk.is_esketamine(self.session.plan)

    def _require_running(self) -> None:
        if not self.session.running:
            raise SessionError("Start the session before recording a check.")

    def record_sedation(self, score: int, note: str = "") -> SessionEvent:
        """A MOAA/S score (0 to 5) on the session clock; 3 or less opens the alert."""
        self._require_running()
        problem = esk.moaas_problem(score)
        if problem:
            raise SessionError(problem)
        alert = esk.sedation_alert(score)
        payload = {"moaas": score, "text": esk.moaas_text(score), "alert": alert}
        if note.strip():
            payload["note"] = " ".join(note.split())
        with self._action():
            event = self._event(EventKind.SEDATION_CHECK, payload)
            if alert:
                self._audit("session.sedation_alert", esk.moaas_text(score))
        return event

    def record_dissociation(self, level: esk.Dissociation | str, note: str = "") -> SessionEvent:
        """Dissociation none, mild, moderate or severe, with an optional note."""
        self._require_running()
        try:
            level = esk.Dissociation(level)
        except ValueError:
            raise SessionError(
                f"Dissociation is none, mild, moderate or severe, not {level!r}."
            ) from None
        payload: dict[str, Any] = {
            "level": level.value,
            "present": level is not esk.Dissociation.NONE,
        }
        if note.strip():
            payload["note"] = " ".join(note.split())
        with self._action():
            return self._event(EventKind.DISSOCIATION_CHECK, payload)

    def record_respiration(self, depressed: bool, action: str = "") -> SessionEvent:
        """Respiratory depression observed or not; observed, it needs what was done (a
        sentence) and opens the alert."""
        self._require_running()
        text = " ".join(action.split())
        if depressed:
            problem = reason_problem(action)
            if problem:
                raise SessionError("Respiratory depression: say what was done. " + problem)
        payload: dict[str, Any] = {"depressed": bool(depressed), "alert": bool(depressed)}
        if text:
            payload["action"] = text
        with self._action():
            event = self._event(EventKind.RESPIRATION_CHECK, payload)
            if depressed:
                self._audit("session.respiratory_depression", text)
        return event

    def acute_checks_taken(self) -> list[float]:
        """Offsets (s from the dose) of the sedation checks recorded after the dose."""
        return [
            e.offset_s
            for e in self.events()
            if e.kind is EventKind.SEDATION_CHECK and e.offset_s is not None and e.offset_s > 0
        ]

    def monitoring_end_s(self) -> float:
        """Seconds from the dose (the first device) to the planned end of monitoring."""
        return esk.monitoring_end_s(planned_end_s(self.phases, self.changes))

    def recheck_due_utc(self, minutes: float) -> datetime | None:
        """When the recheck after a flagged latest reading is due (None when not flagged)."""
        return recheck_due([r for _vid, r in self.vitals()], minutes)

    def correct(self, event: SessionEvent, payload: dict[str, Any], reason: str) -> SessionEvent:
        with self._action():
            return self.repos.events.correct(
                event, payload, reason, self.clock.now(), self.client_id
            )

    # ------------------------------------------------------------------ phases
    def _phase_change(self, change: PhaseChange, kind: EventKind, text: str) -> SessionEvent:
        if not self.clock.dosed:
            raise SessionError("Phases after arrival follow the dose; mark the dose first.")
        with self._action():
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
    def last_dose(self) -> tuple[datetime, Route] | None:
        """The time and route of the last dose: the marked dose or a later extra dose."""
        if self.session.dose_utc is None:
            return None
        route = self.plan.route
        latest = (self.session.dose_utc, route)
        for event in self.events():
            if event.kind is EventKind.EXTRA_DOSE and event.utc > latest[0]:
                try:
                    extra_route = Route(event.payload.get("route") or route)
                except ValueError:
                    extra_route = route
                latest = (event.utc, extra_route)
        return latest

    def dose_wait(self) -> DoseWait | None:
        """The clinic's minimum time from the last dose to discharge, for its route."""
        last = self.last_dose()
        if last is None:
            return None
        at, route = last
        minimum = stored_settings.read(self.repos.vault, DISCHARGE_MINIMUM[route])
        return DoseWait(at, float(minimum), _ROUTE_WORD[route], self.clock.now())

    def monitoring_left_s(self) -> float:
        """Esketamine: seconds left of the label's 120 minutes from the first device (the
        session's dose time); 0 once they have passed, and for every other session."""
        if not self.esketamine or self.session.dose_utc is None:
            return 0.0
        return wait_left_s(self.session.dose_utc, self.clock.now(), esk.MONITORING_MIN)

    def monitoring_message(self) -> str:
        """'Monitoring since the first esketamine device: 34 min left ...' (or '')."""
        left = self.monitoring_left_s()
        if left <= 0 or self.session.dose_utc is None:
            return ""
        minutes = max(1, int(-(-left // 60)))
        until = (self.session.dose_utc + timedelta(minutes=esk.MONITORING_MIN)).astimezone()
        at = wording.time_of_day(until)
        return (
            f"Monitoring since the first esketamine device: {minutes} min left (the label asks "
            f"for at least {esk.MONITORING_MIN} min; discharge from {at}, or end "
            "earlier with a written reason)"
        )

    def too_soon_to_discharge(self, wait: DoseWait | None = None) -> bool:
        """The clinic's minimum time after the last dose (esketamine: the label's 120 minutes
        from the first device as well) has not passed yet. ``wait``: :meth:`dose_wait`, when
        the caller has it already (it reads the session's events)."""
        wait = wait or self.dose_wait()
        return self.monitoring_left_s() > 0 or (wait is not None and wait.left_s > 0)

    def discharge_check(
        self, discharge: Discharge, early_end_reason: str = "", transfer: Transfer | None = None
    ) -> DischargeCheck:
        """What still stands between the client and going home, the time since the dose too.

        Esketamine: at least 120 minutes from the first device as well. Before the minimum
        time, a written reason of substance (``early_end_reason``: the prescriber agrees, a
        client who leaves against advice) lets the session end, any route: it is kept with
        its author's name and audited. Every other criterion still applies.

        ``transfer``: a handover to emergency care, checked for who took over and why only."""
        if transfer is not None:  # a handover to emergency care: none of the home criteria
            missing = transfer.problems()
            if not missing and not self.repos.vault.who.strip():
                missing.append(
                    "The vault has no practitioner name; a transfer must name its author"
                )
            return DischargeCheck(not missing, missing, None)
        wait = self.dose_wait()
        too_soon = self.too_soon_to_discharge(wait)
        early = too_soon and bool(early_end_reason.strip())
        shown = None if early else wait
        dose = self.session.dose_utc
        if shown is not None and self.esketamine and dose is not None:
            label_end = dose + timedelta(minutes=esk.MONITORING_MIN)
            if shown.until_utc <= label_end:
                shown = None  # the label's 120 minutes say it (one message, not two)
        check = discharge_ready(
            discharge, self.safety_flag_active(), require_aldrete=True, wait=shown
        )
        missing = list(check.missing)
        readings = self.vitals() if discharge.vitals_near_baseline else []
        latest = readings[-1][1] if readings else None
        if latest is not None and latest.flags and not latest.pre_dose:
            # the box says the vitals are back near baseline; the record says otherwise
            bp = f"{latest.systolic}/{latest.diastolic}" if latest.systolic else "the reading"
            at = wording.time_of_day(latest.taken_utc.astimezone())
            missing.append(
                f"The latest reading ({bp} at {at}) is flagged: record one back near baseline "
                "before ticking 'Vitals back near baseline'"
            )
        if too_soon and not early and self.esketamine:
            message = self.monitoring_message()
            if message:
                missing.append(message)
        elif early:
            problem = reason_problem(early_end_reason)
            if problem:
                missing.append("Why the session ends early: " + problem.rstrip("."))
            elif not self.repos.vault.who.strip():
                missing.append(
                    "The vault has no practitioner name; an early end must name its author"
                )
        return DischargeCheck(not missing, missing, check.aldrete_total)

    def end(
        self,
        discharge: Discharge,
        debrief: str,
        *,
        early_end_reason: str = "",
        ready_to_leave_utc: datetime | None = None,
        transfer: Transfer | None = None,
    ) -> SessionEvent:
        """Discharge, the debrief and the same-day integration entry: one transaction.

        Esketamine also records the minutes of monitoring from the first device, the time the
        client was ready to leave (``ready_to_leave_utc``, asked at discharge; now by default)
        and, before 120 minutes, the written reason with its author (audited).

        With ``transfer`` the session ends with a handover to emergency care instead: who took
        the client over and why are kept with the author's name and audited
        (``session.transfer``); the home criteria and the minimum time do not apply."""
        if not self.session.running:
            raise SessionError("This session is not running; it cannot be ended again.")
        check = self.discharge_check(discharge, early_end_reason, transfer)
        if not check.ready:
            what = "the transfer" if transfer is not None else "discharge"
            raise SessionError(f"Not ready for {what}: " + "; ".join(check.missing) + ".")
        now = self.clock.now()
        discharge = replace(discharge, discharged_at=discharge.discharged_at or now)
        stored_discharge: dict[str, Any] = to_jsonable(discharge)
        wait = self.dose_wait()
        too_soon = self.too_soon_to_discharge(wait)
        after_dose = (
            {"minutes_after_dose": round((now - wait.last_dose_utc).total_seconds() / 60, 1)}
            if wait is not None
            else {}
        )
        handover: dict[str, Any] = {}
        if transfer is not None:
            handover = {
                "transfer_to": " ".join(transfer.to.split()),
                "transfer_reason": " ".join(transfer.reason.split()),
                "transfer_by": self.repos.vault.who,
                **after_dose,
            }
            # the REMS form asks why monitoring ended early: the transfer says it
            early_end_reason = (
                f"Transferred to {handover['transfer_to']}: {handover['transfer_reason']}"
            )
        early = " ".join(early_end_reason.split()) if too_soon else ""
        monitoring: dict[str, Any] = dict(handover)
        if self.esketamine and self.session.dose_utc is not None:
            ready = ready_to_leave_utc or now
            if ready_to_leave_utc is not None and not (self.session.dose_utc <= ready <= now):
                raise SessionError(
                    "The time the client was ready to leave lies between the first device and now."
                )
            minutes = (now - self.session.dose_utc).total_seconds() / 60.0
            monitoring |= {
                "monitoring_minutes": round(minutes, 1),
                "ready_to_leave_utc": iso(ready),
            }
        if early and (transfer is None or self.esketamine):
            monitoring |= {"early_end_reason": early, "early_end_by": self.repos.vault.who}
        if early and transfer is None and wait is not None:
            monitoring |= {**after_dose, "minimum_minutes": wait.minimum_min}
        stored_discharge |= monitoring
        with self._action():
            if self._stored_status() not in (SessionStatus.STARTED, SessionStatus.DOSED):
                raise SessionError("This session has already ended.")
            payload: dict[str, Any] = {"aldrete_total": check.aldrete_total, **monitoring}
            if discharge.aldrete_not_scored and transfer is None:
                payload["aldrete_not_scored_reason"] = discharge.aldrete_not_scored_reason.strip()
            ended = self._event(EventKind.SESSION_ENDED, payload)
            self.session = replace(
                self.session,
                status=SessionStatus.ENDED,
                ended_utc=now,
                discharge=stored_discharge,
                debrief=debrief.strip(),
            )
            self._save("session.end")
            if discharge.aldrete_not_scored and transfer is None:
                self._audit("session.aldrete_not_scored", discharge.aldrete_not_scored_reason)
            if transfer is not None:
                since = handover.get("minutes_after_dose")
                self._audit(
                    "session.transfer",
                    f"{handover['transfer_reason']} | to {handover['transfer_to']} | by "
                    f"{handover['transfer_by']}"
                    + (f" | {since:g} min after the last dose" if since is not None else ""),
                )
            if early and self.esketamine:
                self._audit(
                    "session.esketamine_early_end",
                    f"{early} | by {self.repos.vault.who} | "
                    f"{monitoring['monitoring_minutes']:g} min from the first device",
                )
            elif early and wait is not None and transfer is None:
                self._audit(
                    "session.early_end",
                    f"{early} | by {self.repos.vault.who} | "
                    f"{monitoring['minutes_after_dose']:g} min after the last {wait.route_label}"
                    f" dose (the clinic's minimum is {wait.minimum_min:g} min)",
                )
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
            self.repos.vault.set_json(self.heartbeat_key, None)
            documents.clear_draft(self.repos, discharge_draft_key(self.id))  # the form is kept
        return ended


def get_session(repos: Repos, session_id: int) -> DosingSession:
    """One dosing session as stored now; :class:`RecordNotFound` when there is none."""
    return repos.sessions.get(session_id)


def sessions_of(repos: Repos, client_id: int) -> list[DosingSession]:
    """The client's dosing sessions, in the order they were planned."""
    return repos.sessions.for_client(client_id)


@dataclass(frozen=True)
class SessionFacts:
    """What a session's summary shows: the record, its events and its vital signs."""

    session: DosingSession
    events: list[SessionEvent]
    vitals: list[VitalReading]


def session_facts(repos: Repos, session_id: int) -> SessionFacts:
    """The session with its events and vitals as stored (a running or an ended one)."""
    return SessionFacts(
        repos.sessions.get(session_id),
        repos.events.for_session(session_id),
        [r for _vid, r in repos.vitals.for_session(session_id, VitalReading)],
    )


def running_sessions(repos: Repos) -> list[DosingSession]:
    """Sessions a crash or a lock interrupted: the app returns straight into them."""
    return repos.sessions.running()


# the forms the session screen keeps as drafts in meta (``services.documents`` with revisions)
def discharge_draft_key(session_id: int) -> str:
    """The discharge form being filled in (removed by :meth:`SessionRunner.end`)."""
    return f"session_draft.{session_id}"


def entry_draft_key(session_id: int) -> str:
    """The event card being typed on the session screen (a note, a dose, a medication)."""
    return f"session_entry_draft.{session_id}"
