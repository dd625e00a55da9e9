"""Session events in words, for the timeline and the summary (no Qt here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kapcompanion.core.clock import format_offset
from kapcompanion.core.dose import DosePlan, Route, fmt
from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.core.touch import TouchKind
from kapcompanion.core.units import WeightUnit
from kapcompanion.export.describe import event_text


def _text(payload: dict[str, Any]) -> str:
    return str(payload.get("text") or "").strip()


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def dose_text(plan: DosePlan) -> str:
    """``IM 52.5 mg (0.75 mg/kg for 70.0 kg (154.3 lb))``; units always printed, the weight in
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
        return plan.weight.text()
    except (ValueError, ArithmeticError, TypeError):
        return f"{fmt(plan.weight_kg)} kg"


def _weight_unit(value: object) -> WeightUnit:
    try:
        return WeightUnit(str(value or "kg"))
    except ValueError:
        return WeightUnit.KG


def detail(event: SessionEvent) -> str:
    """What happened, in one line, from the event's payload."""
    p = event.payload or {}
    kind = EventKind(event.kind)
    text = _text(p)
    if kind is EventKind.CLIENT_WORDS:
        return f"“{text}”" if text else ""
    if kind is EventKind.NAUSEA:
        return _join("vomited" if p.get("vomiting") else "", text)
    if kind is EventKind.DISTRESS:
        return _join("SUICIDE RISK flagged" if p.get("suicide_risk") else "", text)
    if kind is EventKind.TOUCH_OFFERED:
        what = TouchKind(p.get("touch_kind", "other")).label
        within = "within the agreement" if p.get("within_agreement") else "OUTSIDE the agreement"
        asked = "asked first" if p.get("asked") else ""
        reason = f"reason: {p['reason']}" if p.get("reason") else ""
        return _join(what.capitalize(), within, asked, reason, text)
    if kind is EventKind.MEDICATION_GIVEN:
        return _join(
            " ".join(str(p.get(k) or "").strip() for k in ("name", "dose", "route")).strip(), text
        )
    if kind is EventKind.EXTRA_DOSE:
        amount = p.get("total_mg")
        route = p.get("route") or ""
        label = Route(route).label if route in {r.value for r in Route} else str(route)
        devices = p.get("devices")
        running = p.get("running_total_mg")
        if isinstance(devices, int) and amount:
            given = f"{devices} device{'s' if devices != 1 else ''} of 28 mg esketamine"
            given += f" ({fmt(float(amount))} mg)"
        else:
            given = f"{fmt(float(amount))} mg" if amount else ""
        return _join(
            "booster" if p.get("booster") else "",
            given,
            label,
            f"session total {fmt(float(running))} mg" if isinstance(running, int | float) else "",
            text,
        )
    if kind is EventKind.ADVERSE_EVENT:
        severity = str(p.get("severity") or "").strip()
        return _join(f"{severity.capitalize()} severity" if severity else "", text)
    if kind is EventKind.DOSE_GIVEN:
        try:
            plan = DosePlan(
                route=Route(p["route"]),
                weight_kg=float(p["weight_kg"]),
                mg_per_kg=p.get("mg_per_kg"),
                total_mg=p.get("total_mg"),
                infusion_minutes=p.get("infusion_minutes"),
                weight_unit=_weight_unit(p.get("weight_unit")),
                weight_entered=p.get("weight_entered"),
            )
        except (KeyError, TypeError, ValueError):
            return ""
        given = _join(dose_text(plan), f"lot {p['lot']}" if p.get("lot") else "")
        if p.get("flagged_reading_reason"):
            given = _join(given, f"after a flagged reading; reason: {p['flagged_reading_reason']}")
        return given
    if kind in (EventKind.MUSIC_STARTED, EventKind.MUSIC_ENDED):
        title = str(p.get("title") or "")
        artist = str(p.get("artist") or "")
        phase = str(p.get("phase") or "")
        return _join(f"“{title}”" + (f" by {artist}" if artist else ""), phase)
    if kind is EventKind.VITALS:
        bits = []
        if p.get("systolic") is not None and p.get("diastolic") is not None:
            bits.append(f"BP {p['systolic']}/{p['diastolic']} mmHg")
        if p.get("heart_rate") is not None:
            bits.append(f"HR {p['heart_rate']} bpm")
        if p.get("spo2") is not None:
            bits.append(f"SpO2 {p['spo2']}%")
        flags = p.get("flags") or []
        return _join(", ".join(bits), ("FLAGGED: " + " ".join(flags)) if flags else "")
    if kind is EventKind.SESSION_ENDED:
        total = p.get("aldrete_total")
        if p.get("aldrete_not_scored_reason"):
            return f"Aldrete not scored: {p['aldrete_not_scored_reason']}"
        return f"modified Aldrete {total} of 10" if total is not None else ""
    if kind in (
        EventKind.APP_INTERRUPTED,
        EventKind.APP_RESUMED,
        EventKind.ALERT_ACKNOWLEDGED,
        EventKind.SEDATION_CHECK,
        EventKind.DISSOCIATION_CHECK,
        EventKind.RESPIRATION_CHECK,
    ):
        return event_text(kind, p)  # the PDF's wording, so screen and paper agree
    if kind is EventKind.CORRECTION:
        original = p.get("kind", "")
        label = EventKind(original).label if original in {k.value for k in EventKind} else ""
        body = p.get("payload") or {}
        new = _text(body) if isinstance(body, dict) else ""
        return _join(f"of {label.lower()}" if label else "", new, f"reason: {p.get('reason', '')}")
    if kind is EventKind.BELL and text == kind.label:
        return ""
    return text


def offset_text(event: SessionEvent) -> str:
    return format_offset(event.offset_s) if event.offset_s is not None else "—"


def line(event: SessionEvent, corrected: bool = False) -> str:
    """``+0:12:03  Client's words — “...”`` for the timeline."""
    label = EventKind(event.kind).label
    more = detail(event)
    text = f"{offset_text(event)}   {label}"
    if more:
        text += f" — {more}"
    if corrected:
        text += "   (corrected below)"
    return text


def corrected_ids(events: Sequence[SessionEvent]) -> set[int]:
    return {e.corrects_id for e in events if e.corrects_id is not None}
