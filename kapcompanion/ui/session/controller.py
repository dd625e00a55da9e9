"""The session controller: one running session's runner, timers, reminders and music.

It outlives the screens. A lock destroys every widget, but a running session must go on: the
controller sits in ``ctx.keep_alive`` (so the main window carries it to the next context),
puts a name-free strip on the locked screen (``ctx.locked_overlay_factory``), keeps ticking
(phase changes still crossfade the music, the vitals reminder still comes due) and rebinds to
the new context on ``signals.unlocked``. While locked the vault is closed, so what the player
reports is kept in memory and committed right after the unlock.

Every action goes through ``SessionRunner`` and is announced (``event_committed``) only after
the runner returned, which is after the commit. The QTimer only repaints: time always comes
from the runner's ``SessionClock`` (stored UTC anchors and the monotonic clock).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from kapcompanion.core import esketamine as esk
from kapcompanion.core.clock import PhaseKind, PhaseStatus
from kapcompanion.core.discharge import Discharge, DischargeCheck, Transfer
from kapcompanion.core.ledger import ContainerState
from kapcompanion.core.models import EventKind, SessionEvent, SessionStatus
from kapcompanion.core.settings import (
    ACUTE_CHECK_AFTER_MIN,
    ACUTE_CHECK_FIRST_HOUR_MIN,
    ACUTE_CHECKS_EVERY_SESSION,
    VITALS_RECHECK_MIN,
)
from kapcompanion.core.touch import TouchCheck, TouchKind
from kapcompanion.core.vitals import VitalReading
from kapcompanion.services import clients as client_service
from kapcompanion.services import clinic, ledger
from kapcompanion.services import settings as clinic_settings
from kapcompanion.services.session import (
    HEARTBEAT_EVERY_S,
    SessionError,
    SessionRunner,
    uses_ledger,
)
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.audio_bridge import AudioBridge
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.session.music import SessionMusic, load_plan
from kapcompanion.ui.session.readiness import music_preferences
from kapcompanion.ui.session.state import ClockView, VitalsDue, acute_check_due, clock_view

log = logging.getLogger(__name__)

KEEP_KEY = "session"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def shared_bridge(ctx: AppContext, interval_ms: int = 100) -> AudioBridge | None:
    """One bridge per player for the life of the main window (``ctx.signals``).

    It keeps ticking between sessions, so the closing fade of an ended session finishes even
    after its screen and controller are gone, and two sessions never fight over the player's
    wake-up hook.
    """
    if ctx.player is None:
        return None
    for bridge in ctx.signals.findChildren(AudioBridge):
        if bridge.player is ctx.player:
            return bridge
    return AudioBridge(ctx.player, interval_ms=interval_ms, parent=ctx.signals)


class SessionController(QObject):
    """See the module docstring. Signals fire on the GUI thread."""

    ticked = Signal()
    state_changed = Signal()
    event_committed = Signal(object)  # SessionEvent
    vitals_committed = Signal(int, object)  # vitals id, VitalReading
    phase_entered = Signal(object)  # PhaseKind | None
    reminder_changed = Signal(bool)  # vitals due now (True) or not
    problem = Signal(str)
    ended = Signal()
    alert_changed = Signal()  # a flagged reading opened the alert, or it was acknowledged
    check_reminder_changed = Signal(bool)  # an acute-effect check due now (True) or not

    def __init__(
        self,
        ctx: AppContext,
        session_id: int,
        *,
        now_utc: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        tick_ms: int = 1000,
        bridge_tick_ms: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent if parent is not None else ctx.signals)
        self.ctx = ctx
        self.session_id = session_id
        self._vault_path = ctx.vault.path
        self.runner = SessionRunner(
            ctx.repos,
            session_id,
            now_utc=now_utc,
            monotonic=monotonic,
            thresholds=clinic.thresholds(ctx.vault),
        )
        client = client_service.get(ctx.repos, self.runner.client_id)
        #: the only name the session screen and the locked strip may show
        self.label = client.first_name or f"Client {client.id}"
        self.locked = False
        self.disposed = False
        self._monotonic = monotonic
        self._last_beat = monotonic()
        #: what ``resume`` recorded when this controller found the session running (or None)
        self.resumed_event: SessionEvent | None = None
        if self.runner.session.running:
            try:
                self.resumed_event = self.runner.resume()
            except VaultError as exc:
                log.warning("interruption not recorded: %s", type(exc).__name__)
        self._pending: list[tuple[EventKind, dict[str, Any]]] = []
        self._seen = {e.id for e in self.runner.events()}
        self._taken = [self._offset_of(r) for _vid, r in self.runner.vitals()]
        self._alert: list[tuple[int, VitalReading]] = []
        self._effects: list[SessionEvent] = []
        self._recheck_utc: datetime | None = None
        self._refresh_alert()
        self._checks_taken = self.runner.acute_checks_taken()
        self._check_due_now = False
        self._read_check_settings()
        self._phase: PhaseKind | None = None
        self._due_now = False
        self.bridge = shared_bridge(ctx, bridge_tick_ms)
        self.music = SessionMusic(ctx.player, self._record_music, utc_now=now_utc)
        self.load_music()
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)
        ctx.signals.about_to_lock.connect(self._before_lock)
        ctx.signals.unlocked.connect(self._rebind)
        if self.running:
            self._phase = self.status().current
            self._register()
            self.music.resume(self._phase.value if self._phase else "debrief")
            self._timer.start()

    # ------------------------------------------------------------------ state
    @property
    def session(self) -> Any:
        return self.runner.session

    @property
    def running(self) -> bool:
        return bool(self.runner.session.running)

    @property
    def status_kind(self) -> SessionStatus:
        return SessionStatus(self.runner.session.status)

    def status(self) -> PhaseStatus:
        return self.runner.status()

    def view(self) -> ClockView:
        r = self.runner
        return clock_view(
            self.status_kind,
            r.clock,
            r.phases,
            r.changes,
            r.session.vitals_every_min,
            self._taken,
            recheck_in_s=self.recheck_in_s(),
            esketamine=r.esketamine,
        )

    # ------------------------------------------------------------------ acute-effect checks
    def _read_check_settings(self) -> None:
        vault = self.ctx.vault
        self._check_every = (
            int(clinic_settings.get(vault, ACUTE_CHECK_FIRST_HOUR_MIN)),
            int(clinic_settings.get(vault, ACUTE_CHECK_AFTER_MIN)),
        )
        self._checks_every_session = bool(clinic_settings.get(vault, ACUTE_CHECKS_EVERY_SESSION))

    @property
    def esketamine(self) -> bool:
        return bool(self.runner.esketamine)

    @property
    def checks_reminded(self) -> bool:
        """Esketamine sessions remind the checks; others when the clinic asks for it."""
        return self.esketamine or self._checks_every_session

    def check_view(self) -> VitalsDue:
        """The next acute-effect check on the clinic's schedule (nothing when not reminded)."""
        r = self.runner
        if not self.running or not self.checks_reminded:
            return VitalsDue(None, False, "")
        first, after = self._check_every
        schedule = esk.acute_check_schedule(r.monitoring_end_s(), first, after)
        return acute_check_due(
            schedule, self._checks_taken, r.clock.offset_s(r.phases), r.clock.dosed
        )

    def _after_check(self, event: SessionEvent) -> SessionEvent:
        if event.kind is EventKind.SEDATION_CHECK and event.offset_s and event.offset_s > 0:
            self._checks_taken.append(event.offset_s)
        self._refresh_alert()
        self._sync()
        if event.payload.get("alert"):
            self.alert_changed.emit()
        self.tick()
        return event

    def record_sedation(self, score: int, note: str = "") -> SessionEvent:
        self._guard()
        return self._after_check(self.runner.record_sedation(score, note))

    def record_dissociation(self, level: str, note: str = "") -> SessionEvent:
        self._guard()
        return self._after_check(self.runner.record_dissociation(level, note))

    def record_respiration(self, depressed: bool, action: str = "") -> SessionEvent:
        self._guard()
        return self._after_check(self.runner.record_respiration(depressed, action))

    def give_booster(self, devices: int, *, reason: str = "", confirmed: str = "") -> SessionEvent:
        """An esketamine booster in devices (``SessionRunner.give_booster``)."""
        self._guard()
        event = self.runner.give_booster(devices=devices, reason=reason, confirmed=confirmed)
        self._sync()
        self.tick()
        return event

    def open_effect_alert(self) -> list[SessionEvent]:
        """MOAA/S of 3 or less, or respiratory depression, not yet acknowledged."""
        return list(self._effects)

    # ------------------------------------------------------------------ vitals alert
    @property
    def recheck_minutes(self) -> int:
        return int(clinic_settings.get(self.ctx.vault, VITALS_RECHECK_MIN))

    def _refresh_alert(self) -> None:
        if self.disposed or self.locked:
            return
        try:
            self._alert = self.runner.open_alert()
            self._effects = self.runner.open_effect_alert()
            self._recheck_utc = self.runner.recheck_due_utc(self.recheck_minutes)
        except VaultError as exc:
            log.warning("alert state not read: %s", type(exc).__name__)

    def open_alert(self) -> list[tuple[int, VitalReading]]:
        """Flagged readings not yet acknowledged (the banner shows while there are any)."""
        return list(self._alert)

    def recheck_in_s(self) -> float | None:
        """Seconds to the recheck after a flagged latest reading (negative: overdue)."""
        if self._recheck_utc is None or not self.running:
            return None
        return (self._recheck_utc - self.runner.clock.now()).total_seconds()

    def acknowledge_alert(self, note: str) -> SessionEvent:
        self._guard()
        event = self.runner.acknowledge_alert(note)
        self._refresh_alert()
        self._sync()
        self.alert_changed.emit()
        return event

    @staticmethod
    def _offset_of(reading: VitalReading) -> float:
        return reading.offset_s if reading.offset_s is not None else -1.0

    def load_music(self, leave_out: bool = True) -> None:
        """Read the phase playlists and check them against the client's avoid list."""
        prefs = music_preferences(self.ctx.repos, self.session_id)
        plan = load_plan(
            clinic.phase_playlists(self.ctx.vault, self.runner.client_id),
            clinic.music_folders(self.ctx.vault),
            prefs.avoid if prefs else [],
            leave_out=leave_out,
        )
        self.music.configure(plan)

    # ------------------------------------------------------------------ actions
    def _guard(self) -> None:
        if self.locked or self.disposed:
            raise SessionError("The app is locked; unlock to record.")

    def _sync(self) -> list[SessionEvent]:
        """Announce events committed since the last look (the runner returned: on disk)."""
        fresh = [e for e in self.runner.events() if e.id not in self._seen]
        for event in fresh:
            self._seen.add(event.id)
            self.event_committed.emit(event)
        return fresh

    def start(self, *, bell: bool = True, readiness_override: str = "") -> SessionEvent:
        self._guard()
        phases = None
        if not self.runner.session.phases:  # planned elsewhere (an import, an old demo)
            phases = clinic.phase_defaults(self.ctx.vault, self.runner.plan.route)
        started = self.runner.start(bell=bell, readiness_override=readiness_override, phases=phases)
        self._last_beat = self._monotonic()
        self._sync()
        self._phase = self.status().current
        self._register()
        prefs = music_preferences(self.ctx.repos, self.session_id)
        volume = prefs.volume if prefs and prefs.volume is not None else None
        self.music.start(self._phase.value if self._phase else "arrival", bell=bell, volume=volume)
        self._timer.start()
        self.state_changed.emit()
        self.tick()
        return started

    def give_dose(
        self,
        *,
        flagged_reading_reason: str = "",
        container_id: int | None = None,
        draw_mg: float | None = None,
        draw_reason: str = "",
    ) -> SessionEvent:
        """Mark the dose; after a flagged pre-dose reading a reason is needed
        (``DoseNeedsConfirmation`` says so). With a ledger, the draw commits with the dose."""
        self._guard()
        event = self.runner.give_dose(
            flagged_reading_reason=flagged_reading_reason,
            container_id=container_id,
            draw_mg=draw_mg,
            draw_reason=draw_reason,
        )
        self._sync()
        self.state_changed.emit()
        self.tick()
        return event

    def uses_ledger(self) -> bool:
        """The clinic keeps a controlled-substance ledger: doses are drawn from a container."""
        return uses_ledger(self.ctx.repos)

    def draw_choices(self) -> tuple[list[ContainerState], int | None]:
        """The containers in stock and the one offered (the open vial of the planned lot)."""
        repos = self.ctx.repos
        return ledger.stock(repos), ledger.offered_container(repos, self.runner.plan.lot)

    def record(self, kind: EventKind, payload: dict[str, Any] | None = None) -> SessionEvent:
        self._guard()
        event = self.runner.record(kind, payload)
        self._sync()
        return event

    def check_touch(self, kind: TouchKind, asked: bool = False) -> TouchCheck:
        return self.runner.check_touch(kind, asked)

    def record_touch(
        self, kind: TouchKind, *, asked: bool = False, reason: str = "", note: str = ""
    ) -> SessionEvent:
        self._guard()
        event = self.runner.record_touch(kind, asked=asked, reason=reason, note=note)
        self._sync()
        return event

    def record_vitals(self, reading: VitalReading) -> tuple[int, VitalReading]:
        self._guard()
        if not self.running:
            raise SessionError("Start the session before recording vitals.")
        vid, stored = self.runner.record_vitals(reading)
        self._taken.append(self._offset_of(stored))
        self._refresh_alert()
        self.vitals_committed.emit(vid, stored)
        self._sync()
        if stored.flags or self._alert:
            self.alert_changed.emit()
        self.tick()
        return vid, stored

    def correct(self, event: SessionEvent, payload: dict[str, Any], reason: str) -> SessionEvent:
        self._guard()
        fixed = self.runner.correct(event, payload, reason)
        self._sync()
        return fixed

    def advance_phase(self) -> SessionEvent:
        self._guard()
        event = self.runner.advance_phase()
        self._sync()
        self.state_changed.emit()
        self.tick()
        return event

    def extend_phase(self, minutes: float = 5) -> SessionEvent:
        self._guard()
        event = self.runner.extend_phase(minutes)
        self._sync()
        self.state_changed.emit()
        self.tick()
        return event

    def safety_flag_active(self) -> bool:
        return self.runner.safety_flag_active()

    def discharge_check(
        self, discharge: Discharge, early_end_reason: str = "", transfer: Transfer | None = None
    ) -> DischargeCheck:
        return self.runner.discharge_check(discharge, early_end_reason, transfer)

    def minutes_left_in_phase(self) -> float | None:
        """Planned minutes left in the current phase (None before the dose or after the plan)."""
        if self.status_kind is not SessionStatus.DOSED:
            return None
        status = self.status()
        if status.current is None or status.remaining_s <= 0:
            return None
        return status.remaining_s / 60.0

    def end(
        self,
        discharge: Discharge,
        debrief: str,
        *,
        early_end_reason: str = "",
        ready_to_leave_utc: datetime | None = None,
        transfer: Transfer | None = None,
    ) -> None:
        """Discharge (or a transfer to emergency care): the music's end is recorded, the session
        ends, then the music fades."""
        self._guard()
        check = self.discharge_check(discharge, early_end_reason, transfer)
        if not check.ready:
            what = "the transfer" if transfer is not None else "discharge"
            raise SessionError(f"Not ready for {what}: " + "; ".join(check.missing) + ".")
        self.music.finish_record()
        self.runner.end(
            discharge,
            debrief,
            early_end_reason=early_end_reason,
            ready_to_leave_utc=ready_to_leave_utc,
            transfer=transfer,
        )
        self._sync()
        self.music.fade_out()
        self._timer.stop()
        self._unregister()
        self.state_changed.emit()
        self.ended.emit()

    # ------------------------------------------------------------------ the tick
    def tick(self) -> None:
        """Once a second: follow the phases (music), the vitals reminder, then repaint."""
        if self.running:
            current = self.status().current
            if current != self._phase:
                self._phase = current
                if current is not None:
                    self.music.set_phase(current.value)
                self.phase_entered.emit(current)
            due = self.view().vitals.now
            if due != self._due_now:
                self._due_now = due
                self.reminder_changed.emit(due)
            check_due = self.check_view().now
            if check_due != self._check_due_now:
                self._check_due_now = check_due
                self.check_reminder_changed.emit(check_due)
            if not self.locked and self._monotonic() - self._last_beat >= HEARTBEAT_EVERY_S:
                self._beat()
        self.ticked.emit()

    def _beat(self, state: str = "running") -> None:
        self._last_beat = self._monotonic()
        try:
            self.runner.heartbeat(state)
        except VaultError as exc:
            log.warning("heartbeat not written: %s", type(exc).__name__)

    @property
    def reminder_due(self) -> bool:
        return self._due_now

    # ------------------------------------------------------------------ music log
    def _record_music(self, kind: EventKind, payload: dict[str, Any]) -> None:
        if self.locked:
            self._pending.append((kind, payload))
            return
        try:
            self.runner.record(kind, payload)
        except VaultError as exc:
            log.warning("music event not recorded: %s", type(exc).__name__)
            return
        self._sync()

    def _flush_pending(self) -> None:
        pending, self._pending = self._pending, []
        for kind, payload in pending:
            self._record_music(kind, payload)

    # ------------------------------------------------------------------ lock and unlock
    def _register(self) -> None:
        self.ctx.keep_alive[KEEP_KEY] = self
        self.ctx.locked_overlay_factory = self.locked_strip

    def _unregister(self) -> None:
        if self.ctx.keep_alive.get(KEEP_KEY) is self:
            del self.ctx.keep_alive[KEEP_KEY]
        if self.ctx.locked_overlay_factory == self.locked_strip:
            self.ctx.locked_overlay_factory = None

    def locked_strip(self, parent: QWidget) -> QWidget:
        from kapcompanion.ui.session.clock_panel import LockedStrip

        return LockedStrip(self, parent)

    def _before_lock(self) -> None:
        if not self.disposed:
            if self.running and not self.locked:
                self._beat("closed")  # a lock or a quit is not a crash
            self.locked = True

    def _rebind(self, ctx: AppContext) -> None:
        """A new context after an unlock: the same vault carries on, another one stops us."""
        if self.disposed:
            return
        if ctx.vault.path != self._vault_path:
            self.ctx.keep_alive.pop(KEEP_KEY, None)
            ctx.keep_alive.pop(KEEP_KEY, None)
            ctx.locked_overlay_factory = None
            self.dispose(stop_music=True)
            return
        self.ctx = ctx
        self.runner.repos = ctx.repos
        self.locked = False
        if self.running:
            self._register()
            self._beat()
        self._flush_pending()
        self._refresh_alert()
        self._read_check_settings()

    def dispose(self, *, stop_music: bool = False) -> None:
        """Let go of the player and the signals (the session record stays as it is)."""
        if self.disposed:
            return
        self.disposed = True
        self._timer.stop()
        self._unregister()
        if stop_music and self.music.available and self.ctx.player is not None:
            self.ctx.player.stop()
        self.music.close()
        for signal, slot in (
            (self.ctx.signals.about_to_lock, self._before_lock),
            (self.ctx.signals.unlocked, self._rebind),
        ):
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(slot)
        self.deleteLater()
