"""The session clock and the phases of the experience.

The clock runs from the dose. Offsets are seconds relative to the dose: negative during
arrival and opening (before the dose), positive afterwards.

Time source: the clock reads the wall clock (UTC) exactly once, when it is constructed,
together with a monotonic reading; afterwards "now" is ``anchor_utc + (monotonic() -
anchor_monotonic)``. A wall-clock jump (NTP, the user changing the time) or a daylight
saving change during the session therefore never moves the clock, and the monotonic clock
cannot go backwards. After a crash or restart a new clock is built from the stored UTC
dose time and recomputes the elapsed time from UTC, so nothing is lost.

Phases have planned lengths (``resources/phases.json`` per route; a clinic may keep its
own copy and pass its path). During the session the therapist may *advance* (end the
current phase now) or *extend* (add minutes to the current phase); these are stored as
:class:`PhaseChange` records and replayed by :func:`timeline`, so the record shows what
was planned and what happened.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from kapcompanion.core.data import read_json, resource_path
from kapcompanion.core.dose import Route


class PhaseKind(StrEnum):
    ARRIVAL = "arrival"
    ONSET = "onset"
    PEAK = "peak"
    RETURN = "return"
    DEBRIEF = "debrief"

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    PhaseKind.ARRIVAL: "Arrival and opening",
    PhaseKind.ONSET: "Onset",
    PhaseKind.PEAK: "Peak",
    PhaseKind.RETURN: "Return",
    PhaseKind.DEBRIEF: "Debrief",
}


@dataclass(frozen=True)
class PlannedPhase:
    kind: PhaseKind
    minutes: float


class ChangeKind(StrEnum):
    ADVANCE = "advance"  # end the current phase now
    EXTEND = "extend"  # add minutes to the current phase


@dataclass(frozen=True)
class PhaseChange:
    kind: ChangeKind
    at_offset_s: float
    minutes: float = 0.0  # only for "extend"


@dataclass(frozen=True)
class PhaseSpan:
    kind: PhaseKind
    start_s: float
    end_s: float


@dataclass(frozen=True)
class PhaseStatus:
    current: PhaseKind | None  # None after the last planned phase has ended
    remaining_s: float
    next: PhaseKind | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _parse_phases(raw: Any, where: str) -> list[PlannedPhase]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: the phases must be a non-empty list.")
    phases: list[PlannedPhase] = []
    for index, item in enumerate(raw, start=1):
        try:
            kind = PhaseKind(item["kind"])
            minutes = float(item["minutes"])
        except (KeyError, TypeError, ValueError) as exc:
            kinds = ", ".join(k.value for k in PhaseKind)
            raise ValueError(f"{where}: phase {index} needs a kind ({kinds}) and minutes.") from exc
        if not math.isfinite(minutes) or minutes <= 0:
            raise ValueError(f"{where}: phase {index} must last more than 0 minutes.")
        if kind is PhaseKind.ARRIVAL and index != 1:
            raise ValueError(f"{where}: arrival can only be the first phase.")
        phases.append(PlannedPhase(kind, minutes))
    return phases


def load_phase_table(path: Path | None = None) -> dict[Route, list[PlannedPhase]]:
    """Planned phases per route from a phases file (the bundled one by default)."""
    source = path or resource_path("phases.json")
    data = read_json(source)
    routes = data.get("routes") if isinstance(data, dict) else None
    if not isinstance(routes, dict):
        raise ValueError(f'{source.name}: "routes" is missing.')
    table: dict[Route, list[PlannedPhase]] = {}
    for key, raw in routes.items():
        try:
            route = Route(key)
        except ValueError as exc:
            raise ValueError(f"{source.name}: unknown route {key!r}.") from exc
        table[route] = _parse_phases(raw, f"{source.name} ({key})")
    return table


def default_phases(route: Route, override_path: Path | None = None) -> list[PlannedPhase]:
    """Planned phases for a route: the clinic's copy when it has the route, else bundled."""
    route = Route(route)
    if override_path is not None and override_path.exists():
        table = load_phase_table(override_path)
        if route in table:
            return table[route]
    return load_phase_table()[route]


def timeline(phases: Sequence[PlannedPhase], changes: Sequence[PhaseChange]) -> list[PhaseSpan]:
    """The spans of every phase after replaying the changes in time order.

    Arrival spans its planned minutes before the dose (ending at offset 0) and is not
    moved by changes: it ends when the dose is given. A change at an offset inside a
    phase applies to that phase; an "extend" after the last phase has ended lengthens
    the last phase to run until the change plus its minutes; an "advance" there does
    nothing.
    """
    arrival = [p for p in phases if p.kind == PhaseKind.ARRIVAL]
    after = [p for p in phases if p.kind != PhaseKind.ARRIVAL]
    durations = [p.minutes * 60.0 for p in after]
    for change in sorted(changes, key=lambda c: c.at_offset_s):
        kind = ChangeKind(change.kind)
        if kind is ChangeKind.EXTEND and not change.minutes > 0:
            raise ValueError("An extension must add more than 0 minutes.")
        at = change.at_offset_s
        if at < 0 or not durations:
            continue
        start = 0.0
        for index, length in enumerate(durations):
            if start <= at < start + length:
                if kind is ChangeKind.EXTEND:
                    durations[index] += change.minutes * 60.0
                else:
                    durations[index] = at - start
                break
            start += length
        else:
            if kind is ChangeKind.EXTEND:  # past the planned end
                durations[-1] += (at - start) + change.minutes * 60.0
    spans: list[PhaseSpan] = []
    if arrival:
        spans.append(PhaseSpan(PhaseKind.ARRIVAL, -arrival[0].minutes * 60.0, 0.0))
    start = 0.0
    for phase, length in zip(after, durations, strict=True):
        spans.append(PhaseSpan(PhaseKind(phase.kind), start, start + length))
        start += length
    return spans


def planned_end_s(phases: Sequence[PlannedPhase], changes: Sequence[PhaseChange] = ()) -> float:
    """Seconds from the dose to the end of the last phase (after the changes)."""
    spans = [s for s in timeline(phases, changes) if s.kind is not PhaseKind.ARRIVAL]
    return spans[-1].end_s if spans else 0.0


def phase_at(
    offset_s: float,
    phases: Sequence[PlannedPhase],
    changes: Sequence[PhaseChange] = (),
    dosed: bool = True,
) -> PhaseStatus:
    """Which phase is running at ``offset_s``, how long it has left, and what follows.

    Before the dose (``dosed=False``, or a negative offset) the phase is arrival; its
    remaining time counts down to the planned dose and stops at 0 if the dose is late.
    """
    spans = timeline(phases, changes)
    after = [s for s in spans if s.kind != PhaseKind.ARRIVAL]
    first = after[0].kind if after else None
    if not dosed or offset_s < 0:
        has_arrival = len(spans) > len(after)
        return PhaseStatus(PhaseKind.ARRIVAL if has_arrival else None, max(0.0, -offset_s), first)
    for index, span in enumerate(after):
        if span.start_s <= offset_s < span.end_s:
            following = [s.kind for s in after[index + 1 :] if s.end_s > s.start_s]
            return PhaseStatus(
                span.kind, span.end_s - offset_s, following[0] if following else None
            )
    return PhaseStatus(None, 0.0, None)


def _require_aware(value: datetime | None, what: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"The {what} must include a time zone (use UTC).")


class SessionClock:
    """Session time from a stored UTC anchor and a monotonic clock (module docstring)."""

    def __init__(
        self,
        dose_utc: datetime | None,
        started_utc: datetime,
        now_utc: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        _require_aware(dose_utc, "dose time")
        _require_aware(started_utc, "start time")
        anchor = now_utc()
        _require_aware(anchor, "current time")
        self._dose_utc = dose_utc
        self._started_utc = started_utc
        self._monotonic = monotonic
        self._anchor_mono = monotonic()
        self._anchor_utc = anchor.astimezone(UTC)

    @property
    def dose_utc(self) -> datetime | None:
        return self._dose_utc

    @property
    def started_utc(self) -> datetime:
        return self._started_utc

    @property
    def dosed(self) -> bool:
        return self._dose_utc is not None

    def now(self) -> datetime:
        """The current time in UTC, immune to wall-clock changes since construction."""
        return self._anchor_utc + timedelta(seconds=self._monotonic() - self._anchor_mono)

    def mark_dose(self, at: datetime | None = None) -> datetime:
        """Record the dose (now, unless ``at`` is given) and return its UTC time."""
        _require_aware(at, "dose time")
        self._dose_utc = (at or self.now()).astimezone(UTC)
        return self._dose_utc

    def restore_dose(self, dose_utc: datetime | None) -> None:
        """Put the dose time back (an action whose transaction failed is undone in memory)."""
        _require_aware(dose_utc, "dose time")
        self._dose_utc = dose_utc

    def elapsed_s(self) -> float | None:
        """Seconds since the dose; None before the dose is given."""
        if self._dose_utc is None:
            return None
        return (self.now() - self._dose_utc).total_seconds()

    def since_start_s(self) -> float:
        return (self.now() - self._started_utc).total_seconds()

    def offset_s(self, phases: Sequence[PlannedPhase]) -> float:
        """The offset to show and to pass to :func:`phase_at`: since the dose once dosed;
        before that, relative to the planned dose (the end of the planned arrival)."""
        elapsed = self.elapsed_s()
        if elapsed is not None:
            return elapsed
        arrival = sum(p.minutes for p in phases if p.kind == PhaseKind.ARRIVAL) * 60.0
        return self.since_start_s() - arrival

    def status(
        self, phases: Sequence[PlannedPhase], changes: Sequence[PhaseChange] = ()
    ) -> PhaseStatus:
        return phase_at(self.offset_s(phases), phases, changes, dosed=self.dosed)


def format_offset(seconds: float) -> str:
    """``+1:05:09`` after the dose, ``-0:04:00`` before it (whole seconds, truncated)."""
    if not math.isfinite(seconds):
        raise ValueError("The offset must be a finite number of seconds.")
    whole = int(abs(seconds))
    sign = "-" if seconds < 0 and whole > 0 else "+"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
