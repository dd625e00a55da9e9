"""The session's events as a timeline, and its phases with the music that played in each.

Corrections never replace what was recorded: the original event stays in the timeline
with each correction (its new content, when and why) listed under it. Music start and end
events are not timeline rows; they are paired into tracks and shown per phase, which is
how a therapist reads them back ("what played during the peak?").
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kapcompanion.core.clock import PhaseChange, PhaseKind, PlannedPhase, format_offset, timeline
from kapcompanion.core.dose import fmt
from kapcompanion.core.models import DosingSession, EventKind, SessionEvent
from kapcompanion.export.describe import ALERT_KINDS, event_text, route_label

__all__ = [
    "ALERT_KINDS",
    "PhaseLine",
    "TimelineEntry",
    "Track",
    "offset_of",
    "phase_lines",
    "route_of",
    "timeline_entries",
]

_MUSIC = (EventKind.MUSIC_STARTED, EventKind.MUSIC_ENDED)


@dataclass
class Correction:
    utc: datetime
    text: str
    reason: str


@dataclass
class TimelineEntry:
    utc: datetime
    offset_s: float | None
    kind: str
    label: str
    text: str
    corrections: list[Correction] = field(default_factory=list)
    alert: bool = False

    @property
    def offset(self) -> str:
        return format_offset(self.offset_s) if self.offset_s is not None else ""


@dataclass
class Track:
    title: str
    artist: str
    phase: str  # a PhaseKind value, or "" when unknown
    started_utc: datetime | None
    ended_utc: datetime | None
    offset_s: float | None


@dataclass
class PhaseLine:
    kind: str
    label: str
    planned_min: float | None
    start_s: float | None
    end_s: float | None
    changes: list[str] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)


def offset_of(event: SessionEvent, session: DosingSession) -> float | None:
    """Seconds from the dose, as the record's clock column shows them.

    Once the dose time is known it is the reference for every event, also those before
    it: the live clock counts down to the *planned* dose during arrival, so a stored
    pre-dose offset would disagree with the dose time printed beside it. Without a dose
    the stored offset is all there is.
    """
    if session.dose_utc is not None:
        return (event.utc - session.dose_utc).total_seconds()
    return None if event.offset_s is None else float(event.offset_s)


def route_of(payload: Mapping[str, Any], default: str) -> str:
    return route_label(payload["route"]) if payload.get("route") else default


def _alert(event: SessionEvent) -> bool:
    """Adverse events, distress, nausea, touch outside the agreement, flagged vitals."""
    if event.kind in ALERT_KINDS:
        return True
    p = event.payload
    if event.kind is EventKind.TOUCH_OFFERED:
        return p.get("within_agreement") is False or bool(p.get("reason"))
    return event.kind is EventKind.VITALS and bool(p.get("flags"))


def _correction(c: SessionEvent) -> Correction:
    body = c.payload if isinstance(c.payload, dict) else {}
    inner = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    return Correction(
        c.utc, event_text(str(body.get("kind", "")), inner), str(body.get("reason", ""))
    )


def timeline_entries(events: Sequence[SessionEvent], session: DosingSession) -> list[TimelineEntry]:
    """Every event but music start/end, in time order, with corrections folded in."""
    known = {e.id for e in events}
    fixes: dict[int, list[Correction]] = {}
    for e in events:
        if e.kind is EventKind.CORRECTION and e.corrects_id in known and e.corrects_id is not None:
            fixes.setdefault(e.corrects_id, []).append(_correction(e))
    out: list[TimelineEntry] = []
    for e in events:
        if e.kind in _MUSIC:
            continue
        if e.kind is EventKind.CORRECTION and e.corrects_id in known:
            continue
        if e.kind is EventKind.CORRECTION:  # its original is gone: show it on its own
            c = _correction(e)
            text = f"{c.text} Reason: {c.reason}".strip()
        else:
            text = event_text(e.kind, e.payload)
        out.append(
            TimelineEntry(
                utc=e.utc,
                offset_s=offset_of(e, session),
                kind=e.kind.value,
                label=e.kind.label,
                text=text,
                corrections=fixes.get(e.id, []) if e.id is not None else [],
                alert=_alert(e),
            )
        )
    out.sort(key=lambda t: t.utc)
    return out


def _parse_utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value)
    return None


def _phase_value(value: Any) -> str:
    try:
        return PhaseKind(value).value
    except ValueError:
        return ""


def _tracks(events: Sequence[SessionEvent], session: DosingSession) -> list[Track]:
    tracks: list[Track] = []
    open_tracks: list[Track] = []
    for e in events:
        if e.kind not in _MUSIC:
            continue
        p = e.payload
        title, artist = str(p.get("title") or "").strip(), str(p.get("artist") or "").strip()
        started = _parse_utc(p.get("started_utc"))
        if e.kind is EventKind.MUSIC_STARTED:
            track = Track(
                title,
                artist,
                _phase_value(p.get("phase")),
                started or e.utc,
                None,
                offset_of(e, session),
            )
            tracks.append(track)
            open_tracks.append(track)
            continue
        ended = _parse_utc(p.get("ended_utc")) or e.utc
        match = next(
            (
                t
                for t in open_tracks
                if t.title == title and (started is None or t.started_utc == started)
            ),
            None,
        )
        if match is None:  # an end without a start (the start was before a crash)
            offset = None
            if started is not None and session.dose_utc is not None:
                offset = (started - session.dose_utc).total_seconds()
            tracks.append(
                Track(title, artist, _phase_value(p.get("phase")), started, ended, offset)
            )
        else:
            match.ended_utc = ended
            open_tracks.remove(match)
    return tracks


def phase_lines(
    phases: Sequence[PlannedPhase],
    changes: Sequence[PhaseChange],
    events: Sequence[SessionEvent],
    session: DosingSession,
) -> list[PhaseLine]:
    """Planned and actual phase spans, the changes made, and the tracks of each phase."""
    spans = []
    with contextlib.suppress(ValueError, TypeError):
        spans = timeline(phases, changes)
    planned = {PhaseKind(p.kind).value: p.minutes for p in phases}
    lines = [
        PhaseLine(
            kind=PhaseKind(s.kind).value,
            label=PhaseKind(s.kind).label,
            planned_min=planned.get(PhaseKind(s.kind).value),
            start_s=s.start_s,
            end_s=s.end_s,
        )
        for s in spans
    ]
    for change in sorted(changes, key=lambda c: c.at_offset_s):
        where = next(
            (
                ln
                for ln in lines
                if ln.start_s is not None
                and ln.start_s <= change.at_offset_s
                and (ln.end_s is None or change.at_offset_s < ln.end_s)
            ),
            lines[-1] if lines else None,
        )
        if where is None:
            continue
        at = format_offset(change.at_offset_s)
        if str(change.kind) == "extend":
            where.changes.append(f"extended by {fmt(change.minutes)} min at {at}")
        else:
            where.changes.append(f"ended early at {at}")
    by_kind = {ln.kind: ln for ln in lines}
    loose: list[Track] = []
    for track in _tracks(events, session):
        kind = track.phase
        if not kind and track.offset_s is not None:
            for ln in lines:
                if (
                    ln.start_s is not None
                    and ln.end_s is not None
                    and ln.start_s <= track.offset_s < ln.end_s
                ):
                    kind = ln.kind
                    break
        if kind in by_kind:
            by_kind[kind].tracks.append(track)
        elif kind:
            line = PhaseLine(kind, PhaseKind(kind).label, None, None, None, tracks=[track])
            by_kind[kind] = line
            lines.append(line)
        else:
            loose.append(track)
    if loose:
        lines.append(PhaseLine("", "Phase not recorded", None, None, None, tracks=loose))
    _clip_to_the_end(lines, session)
    return lines


def _clip_to_the_end(lines: list[PhaseLine], session: DosingSession) -> None:
    """Phases as they really ran: cut at the session's end, or carried on to it.

    The spans come from the plan and its changes; a session that ended before the plan was
    out did not run the rest (those phases were not reached), and one that went on past the
    planned end ran its last phase until the end."""
    if session.ended_utc is None or session.dose_utc is None:
        return
    end = (session.ended_utc - session.dose_utc).total_seconds()
    after = [
        ln
        for ln in lines
        if ln.kind and ln.kind != PhaseKind.ARRIVAL.value and ln.start_s is not None
    ]
    if not after or end < 0:
        return
    at = format_offset(end)
    for ln in after:
        if ln.start_s is None:
            continue
        if ln.start_s >= end:
            ln.start_s = ln.end_s = None
            ln.changes.append("not reached: the session ended before it")
        elif ln.end_s is not None and ln.end_s > end:
            if ln.end_s - end >= 60:  # a minute either way is the end, not a change
                ln.changes.append(f"cut short: the session ended at {at}")
            ln.end_s = end
    last = after[-1]
    if last.end_s is not None and last.end_s < end:
        past = round((end - last.end_s) / 60)
        if past >= 1:
            last.changes.append(f"ran on {past} min past the plan, to the session's end at {at}")
        last.end_s = end
