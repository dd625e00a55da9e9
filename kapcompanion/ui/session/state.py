"""What the clock panel and the locked strip show, computed without Qt (and tested so).

Everything derives from the session record and the session clock (stored UTC anchors plus the
monotonic clock): a repaint only reads it, so a timer that fires late never shifts the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kapcompanion.core import esketamine as esk
from kapcompanion.core.clock import (
    PhaseChange,
    PhaseKind,
    PlannedPhase,
    SessionClock,
    format_offset,
    phase_at,
    timeline,
)
from kapcompanion.core.models import SessionStatus
from kapcompanion.core.vitals import next_due, vitals_schedule


def minutes_seconds(seconds: float) -> str:
    """``12:05`` (or ``1:02:05`` past an hour); never negative."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def planned_end_s(phases: Sequence[PlannedPhase], changes: Sequence[PhaseChange]) -> float:
    """Seconds from the dose to the end of the last phase (after changes)."""
    spans = [s for s in timeline(phases, changes) if s.kind is not PhaseKind.ARRIVAL]
    return spans[-1].end_s if spans else 0.0


@dataclass(frozen=True)
class VitalsDue:
    due_at: float | None  # offset (s from the dose) of the next open slot; 0.0 = before dosing
    now: bool  # the reading is due (or overdue) now
    text: str


def vitals_due(
    phases: Sequence[PlannedPhase],
    changes: Sequence[PhaseChange],
    every_min: float,
    taken: Sequence[float],
    offset_s: float,
    dosed: bool,
    esketamine: bool = False,
) -> VitalsDue:
    """The next reading the schedule asks for (before dosing, every N min, at the end).

    Esketamine adds the label's blood pressure checks (before the first device, 40 minutes
    after it, before the end of at least 120 minutes of monitoring) and names them."""
    end = planned_end_s(phases, changes)
    if esketamine:
        end = esk.monitoring_end_s(end)
        schedule = esk.bp_schedule(vitals_schedule(end, every_min), end)
    else:
        schedule = vitals_schedule(end, every_min)
    due = next_due(schedule, taken, offset_s, dosed)
    if due is None:
        return VitalsDue(None, False, "No more vitals scheduled")
    label = esk.label_slot_text(due, end) if esketamine else ""
    if label:
        return _label_due(due, label, offset_s, dosed)
    if not dosed:
        if due == 0.0:
            return VitalsDue(0.0, True, "Vitals due before the dose")
        return VitalsDue(due, False, f"Next vitals at {format_offset(due)}")
    if due <= offset_s:
        late = offset_s - due
        text = "Vitals due now" if late < 60 else f"Vitals overdue by {minutes_seconds(late)}"
        return VitalsDue(due, True, text)
    return VitalsDue(
        due, False, f"Next vitals at {format_offset(due)} (in {minutes_seconds(due - offset_s)})"
    )


def _label_due(due: float, label: str, offset_s: float, dosed: bool) -> VitalsDue:
    """A label blood pressure check: 'Blood pressure due (40 minutes after the first device)'."""
    if not dosed or due <= offset_s:
        late = offset_s - due if dosed else 0.0
        text = f"Blood pressure due ({label})"
        if late >= 60:
            text = f"Blood pressure overdue by {minutes_seconds(late)} ({label})"
        return VitalsDue(due, True, text)
    return VitalsDue(
        due,
        False,
        f"Blood pressure at {format_offset(due)} ({label}; in {minutes_seconds(due - offset_s)})",
    )


def acute_check_due(
    schedule: Sequence[float], taken: Sequence[float], offset_s: float, dosed: bool
) -> VitalsDue:
    """The next acute-effect check (MOAA/S, dissociation, breathing) on its schedule."""
    if not dosed:
        return VitalsDue(None, False, "")
    due = esk.next_check_due(schedule, taken, offset_s)
    if due is None:
        return VitalsDue(None, False, "No more checks scheduled")
    if due <= offset_s:
        late = offset_s - due
        text = "Check due now" if late < 60 else f"Check overdue by {minutes_seconds(late)}"
        return VitalsDue(due, True, text)
    return VitalsDue(
        due,
        False,
        f"Next check at {format_offset(due)} (in {minutes_seconds(due - offset_s)})",
    )


@dataclass(frozen=True)
class ClockView:
    status: SessionStatus
    dosed: bool
    big: str  # the large clock text
    caption: str  # what the large clock means
    phase: str  # current phase label (or "")
    remaining: str  # "12:05 left" (or "")
    next_phase: str  # "Next: Return" (or "")
    vitals: VitalsDue


def with_recheck(due: VitalsDue, recheck_in_s: float | None, offset_s: float) -> VitalsDue:
    """A flagged latest reading moves the next reading to its recheck, if that comes first."""
    if recheck_in_s is None:
        return due
    if due.now and recheck_in_s > 0:
        return due  # a scheduled reading is already due: take it now
    if due.due_at is not None and not due.now and due.due_at - offset_s <= recheck_in_s:
        return due  # the schedule comes first anyway
    if recheck_in_s <= 0:
        late = -recheck_in_s
        text = (
            "Recheck due now (flagged reading)"
            if late < 60
            else f"Recheck overdue by {minutes_seconds(late)} (flagged reading)"
        )
        return VitalsDue(offset_s + recheck_in_s, True, text)
    return VitalsDue(
        offset_s + recheck_in_s,
        False,
        f"Recheck in {minutes_seconds(recheck_in_s)} (flagged reading)",
    )


def clock_view(
    status: SessionStatus,
    clock: SessionClock,
    phases: Sequence[PlannedPhase],
    changes: Sequence[PhaseChange],
    every_min: float,
    taken: Sequence[float],
    recheck_in_s: float | None = None,
    esketamine: bool = False,
) -> ClockView:
    if status is SessionStatus.PLANNED:
        return ClockView(
            status, False, "–:––:––", "Not started", "", "", "", VitalsDue(None, False, "")
        )
    if status is SessionStatus.ENDED:
        return ClockView(status, True, "Ended", "", "", "", "", VitalsDue(None, False, ""))
    offset = clock.offset_s(phases)
    current = phase_at(offset, phases, changes, dosed=clock.dosed)
    due = with_recheck(
        vitals_due(phases, changes, every_min, taken, offset, clock.dosed, esketamine),
        recheck_in_s,
        offset,
    )
    nxt = f"Next: {current.next.label}" if current.next else "Next: the end of the plan"
    if not clock.dosed:
        since = minutes_seconds(clock.since_start_s())
        left = (
            f"dose planned in {minutes_seconds(current.remaining_s)}"
            if current.remaining_s > 0
            else "planned dose time reached"
        )
        return ClockView(
            status,
            False,
            since,
            # short enough for the clock's column at 150 % ("the clock runs from the dose"
            # was cut at both ends); the phase line beside it says when the dose is planned
            "before the dose, since the start",
            current.current.label if current.current else "Before the dose",
            left,
            nxt,
            due,
        )
    if current.current is None:
        return ClockView(
            status,
            True,
            format_offset(offset),
            "since the dose",
            "Planned phases complete",
            "extend the last phase or end the session",
            "",
            due,
        )
    return ClockView(
        status,
        True,
        format_offset(offset),
        "since the dose",
        current.current.label,
        f"{minutes_seconds(current.remaining_s)} left",
        nxt,
        due,
    )
