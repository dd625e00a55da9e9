"""Session events in words, for the timeline and the summary (no Qt here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kapcompanion.core.clock import format_offset
from kapcompanion.core.dose import DosePlan, Route, fmt
from kapcompanion.core.models import DosingSession, EventKind, SessionEvent
from kapcompanion.core.units import WeightUnit
from kapcompanion.export.describe import event_text
from kapcompanion.export.timeline import offset_of


def _text(payload: dict[str, Any]) -> str:
    return str(payload.get("text") or "").strip()


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def dose_text(plan: DosePlan) -> str:
    """``IM 52.5 mg (0.75 mg/kg for 70.0 kg, 154.3 lb)``; units always printed, the weight in
    both units as the PDF prints it (the number entered in pounds stays as entered)."""
    route = Route(plan.route)
    bits = ["Esketamine", route.label.lower()] if plan.esketamine else [route.label]
    if plan.total_mg is not None:
        bits.append(f"{fmt(plan.total_mg)} mg")
    if plan.mg_per_kg is not None:
        bits.append(f"({fmt(plan.mg_per_kg)} mg/kg for {_weight(plan)})")
    if route is Route.IV and plan.infusion_minutes:
        bits.append(f"over {plan.infusion_minutes} min")
    return " ".join(bits)


def _weight(plan: DosePlan) -> str:
    try:
        return plan.weight.inline_text()  # inside the dose's bracket: no second bracket
    except (ValueError, ArithmeticError, TypeError):
        return f"{fmt(plan.weight_kg)} kg"


def _weight_unit(value: object) -> WeightUnit:
    try:
        return WeightUnit(str(value or "kg"))
    except ValueError:
        return WeightUnit.KG


def detail(event: SessionEvent) -> str:
    """What happened, in one line, from the event's payload: the PDF's words
    (:func:`kapcompanion.export.describe.event_text`), so screen and paper agree."""
    p = event.payload or {}
    kind = EventKind(event.kind)
    if kind is EventKind.CORRECTION:
        original = p.get("kind", "")
        label = EventKind(original).label if original in {k.value for k in EventKind} else ""
        body = p.get("payload") or {}
        new = _text(body) if isinstance(body, dict) else ""
        return _join(f"of {label.lower()}" if label else "", new, f"reason: {p.get('reason', '')}")
    if kind is EventKind.BELL and _text(p) == kind.label:
        return ""
    return event_text(kind, p)


def offset_text(event: SessionEvent, session: DosingSession | None = None) -> str:
    """The clock column. With the ``session``, from its dose once given, as the PDF counts
    (the stored offset of an event before the dose counts down to the *planned* dose: the
    screen said "-0:14:59 Session started" for a dose given 18 s after the start)."""
    offset = offset_of(event, session) if session is not None else event.offset_s
    return format_offset(offset) if offset is not None else "—"


def line(event: SessionEvent, corrected: bool = False, session: DosingSession | None = None) -> str:
    """``+0:12:03  Client's words — “...”`` for the timeline."""
    label = EventKind(event.kind).label
    more = detail(event)
    text = f"{offset_text(event, session)}   {label}"
    if more:
        text += f" — {more}"
    if corrected:
        text += "   (corrected below)"
    return text


def corrected_ids(events: Sequence[SessionEvent]) -> set[int]:
    return {e.corrects_id for e in events if e.corrects_id is not None}
