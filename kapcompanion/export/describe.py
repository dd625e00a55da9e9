"""Stored data in words: event payloads, checklist values, music preferences, flags.

The vault keeps payloads as loose dicts (``SessionEvent.payload``) whose keys grew with
the screens that write them, so every function here tolerates missing or unexpected keys
and never raises on odd content: a record must export even when a field is unfamiliar,
and unknown keys are shown as "key: value" rather than dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any

from kapcompanion.core import wording
from kapcompanion.core.checklist import ItemKind, ItemState, MusicPreferences
from kapcompanion.core.dose import ABOVE_USUAL_MARK, Route, fmt
from kapcompanion.core.models import EventKind
from kapcompanion.core.touch import TouchKind
from kapcompanion.core.units import WeightUnit, weight_text

#: Events that the PDF marks as needing attention in the timeline.
ALERT_KINDS = frozenset(
    {EventKind.ADVERSE_EVENT, EventKind.DISTRESS, EventKind.NAUSEA, EventKind.APP_INTERRUPTED}
)


def _clock_time(value: Any) -> str:
    """'10:41:07' in the computer's zone from a stored ISO UTC time ('unknown' if absent)."""
    if isinstance(value, str) and value:
        with contextlib.suppress(ValueError):
            shown = local(datetime.fromisoformat(value), None)
            if shown is not None:
                return f"{shown:%H:%M:%S}"
    return "unknown"


def local(when: datetime | None, tz: tzinfo | None) -> datetime | None:
    """``when`` in ``tz``; ``tz=None`` is the computer's own zone with the offset that was
    in force at that instant (a summer session exported in winter keeps its summer time)."""
    if when is None:
        return None
    if when.tzinfo is None:  # stored values are UTC; be lenient with an old naive one
        when = when.replace(tzinfo=UTC)
    return when.astimezone(tz)


def fmt_date(when: date | datetime | None, tz: tzinfo | None = None) -> str:
    if when is None:
        return ""
    if isinstance(when, datetime):
        shown = local(when, tz)
        assert shown is not None
        return _long_date(shown.date(), wording.current_locale())
    return _long_date(when, wording.current_locale())


@lru_cache(maxsize=4096)  # a course summary writes each session's day several times
def _long_date(day: date, locale: Any) -> str:
    """``wording.long_date(day)``; ``locale`` (the current one) is part of the key."""
    return wording.long_date(day)


def fmt_time(when: datetime | None, tz: tzinfo | None) -> str:
    shown = local(when, tz)
    if shown is None:
        return ""
    locale = wording.current_locale()
    if _no_seconds(locale):  # (then events of the same minute read alike: one lookup)
        shown = shown.replace(second=0, microsecond=0)
    # (aware datetimes compare by instant: the offset and zone name keep the key local)
    return _time_of_day(shown, shown.utcoffset(), shown.tzname(), locale)


@lru_cache(maxsize=64)
def _no_seconds(locale: Any) -> bool:
    """Whether the locale's short time shows neither seconds nor their fractions."""
    pattern = str(locale.time_formats["short"].pattern)
    return "s" not in pattern and "S" not in pattern


@lru_cache(maxsize=4096)
def _time_of_day(shown: datetime, offset: Any, zone: Any, locale: Any) -> str:
    return wording.time_of_day(shown)


def fmt_datetime(when: datetime | None, tz: tzinfo | None) -> str:
    shown = local(when, tz)
    return "" if shown is None else f"{wording.long_date(shown)} {wording.time_of_day(shown)}"


def tz_label(tz: tzinfo | None, at: datetime) -> str:
    """'UTC+01:00 (CET)': the offset always, the abbreviation when the system has one."""
    shown = local(at, tz)
    assert shown is not None
    offset = shown.strftime("%z")
    text = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    name = shown.tzname() or ""
    return f"{text} ({name})" if name and not name.startswith(("UTC", "+", "-")) else text


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return fmt(float(value))
    return str(value)


def route_label(value: Any) -> str:
    try:
        return Route(value).label
    except ValueError:
        return str(value or "")


def _rest(payload: Mapping[str, Any], used: set[str]) -> list[str]:
    out = []
    for key, value in payload.items():
        if key in used or value in (None, "", [], {}):
            continue
        shown = "; ".join(_num(v) for v in value) if isinstance(value, list) else _num(value)
        out.append(f"{key.replace('_', ' ')}: {shown}")
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


DOSE_KEYS = frozenset(
    {
        "total_mg",
        "mg",
        "mg_per_kg",
        "route",
        "lot",
        "weight_kg",
        "weight_unit",
        "weight_entered",
        "infusion_minutes",
        "running_total_mg",
        "running_mg_per_kg",
        "above_usual",
        "confirmed",
        "reason",
        "booster",
        "devices",
        "drug",
        "container_id",
        "container_label",
        "draw_mg",
        "draw_reason",
        "not_drawn_reason",
    }
)


def dose_words(payload: Mapping[str, Any]) -> list[str]:
    """'52.5 mg', '0.75 mg/kg', 'IV infusion', 'over 40 min', 'weight 70 kg', 'lot AB12'
    from a dose event's payload (the session runner stores the plan's numbers there)."""
    parts: list[str] = []
    if payload.get("booster"):
        parts.append("booster")
    total = _number(payload.get("total_mg", payload.get("mg")))
    if total is not None:
        drug = " esketamine" if payload.get("drug") == "esketamine" else ""
        parts.append(f"{fmt(total)} mg{drug}")
    devices = _number(payload.get("devices"))
    if devices:
        parts.append(f"{fmt(devices)} device{'s' if devices != 1 else ''} of 28 mg")
    per_kg = _number(payload.get("mg_per_kg"))
    if per_kg is not None:
        parts.append(f"{fmt(per_kg)} mg/kg")
    if payload.get("route"):
        parts.append(route_label(payload["route"]))
    minutes = _number(payload.get("infusion_minutes"))
    if minutes:
        parts.append(f"over {fmt(minutes)} min")
    weight = _number(payload.get("weight_kg"))
    if weight is not None:
        unit = payload.get("weight_unit")
        entered = _number(payload.get("weight_entered"))
        try:
            parts.append(f"weight {weight_text(weight, WeightUnit(unit or 'kg'), entered)}")
        except (ValueError, ArithmeticError):
            parts.append(f"weight {fmt(weight)} kg")
    if payload.get("lot"):
        parts.append(f"lot {payload['lot']}")
    running = _number(payload.get("running_total_mg"))
    if running is not None:
        per_kg_total = _number(payload.get("running_mg_per_kg"))
        per = f" ({fmt(per_kg_total)} mg/kg)" if per_kg_total is not None else ""
        parts.append(f"session total {fmt(running)} mg{per}")
    if payload.get("above_usual"):
        parts.append(ABOVE_USUAL_MARK.upper())
        if payload.get("reason"):
            parts.append(f"reason: {payload['reason']}")
    drawn = _number(payload.get("draw_mg"))
    if payload.get("container_id") not in (None, "") and drawn is not None:
        label = payload.get("container_label")
        where = str(label) if label else f"ledger container #{payload['container_id']}"
        parts.append(f"{fmt(drawn)} mg drawn from {where}")
        if payload.get("draw_reason"):
            parts.append(f"draw reason: {payload['draw_reason']}")
    if payload.get("not_drawn_reason"):
        parts.append(f"not from the clinic's stock: {payload['not_drawn_reason']}")
    return parts


def vitals_words(payload: Mapping[str, Any]) -> str:
    """'BP 128/82 mmHg, HR 72 bpm, SpO2 98%' from a vitals event (a VitalReading's data)."""
    parts = []
    sys_, dia = _number(payload.get("systolic")), _number(payload.get("diastolic"))
    if sys_ is not None and dia is not None:
        parts.append(f"BP {fmt(sys_)}/{fmt(dia)} mmHg")
    hr, spo2 = _number(payload.get("heart_rate")), _number(payload.get("spo2"))
    if hr is not None:
        parts.append(f"HR {fmt(hr)} bpm")
    if spo2 is not None:
        parts.append(f"SpO2 {fmt(spo2)}%")
    text = ", ".join(parts) + ("." if parts else "")
    flags = payload.get("flags")
    if isinstance(flags, list) and flags:
        text += " " + " ".join(str(f) for f in flags)
    return text.strip()


_VITALS_KEYS = frozenset(
    {
        "vitals_id",
        "systolic",
        "diastolic",
        "heart_rate",
        "spo2",
        "taken_utc",
        "offset_s",
        "pre_dose",
        "flags",
    }
)


def event_text(kind: EventKind | str, payload: Mapping[str, Any] | None) -> str:
    """One event's content in words; unknown keys are kept as 'key: value'."""
    data: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
    try:
        kind = EventKind(kind)
    except ValueError:
        return "; ".join(_rest(data, set()))
    parts: list[str] = []
    used: set[str] = {"text", "note"}
    if kind is EventKind.TOUCH_OFFERED:
        used |= {"touch_kind", "asked", "reason", "within_agreement", "check"}
        try:
            parts.append(f"Offered {TouchKind(str(data.get('touch_kind'))).label}.")
        except ValueError:
            if data.get("touch_kind"):
                parts.append(f"Offered {data['touch_kind']}.")
        if "asked" in data:
            parts.append("Asked first and the client agreed." if data["asked"] else "Not asked.")
        if data.get("within_agreement") is False:
            check = str(data.get("check") or "").strip()
            parts.append("OUTSIDE the touch agreement" + (f": {check}" if check else "."))
        if data.get("reason"):
            parts.append(f"Reason recorded: {data['reason']}")
    elif kind is EventKind.VITALS:
        used |= _VITALS_KEYS
        parts.append(vitals_words(data))
    elif kind is EventKind.MEDICATION_GIVEN:
        used |= {"name", "dose", "route"}
        given = " ".join(str(data[k]) for k in ("name", "dose", "route") if data.get(k))
        if given:
            parts.append(given + ".")
    elif kind is EventKind.NAUSEA:
        used |= {"vomiting"}
        if data.get("vomiting"):
            parts.append("Vomited.")
    elif kind is EventKind.DISTRESS:
        used |= {"suicide_risk"}
        if data.get("suicide_risk"):
            parts.append("SUICIDE RISK flagged.")
    elif kind is EventKind.CLIENT_WORDS and str(data.get("text") or "").strip():
        parts.append(f"“{str(data['text']).strip()}”")  # the client's own words, quoted
        data = {k: v for k, v in data.items() if k != "text"}
    elif kind is EventKind.ADVERSE_EVENT:
        used |= {"severity"}
        if data.get("severity"):
            parts.append(f"Severity: {data['severity']}.")
    elif kind in (EventKind.DOSE_GIVEN, EventKind.EXTRA_DOSE):
        used |= DOSE_KEYS | {"flagged_reading", "flagged_reading_reason"}
        dose = dose_words(data)
        if dose:
            parts.append(", ".join(dose) + ".")
        if data.get("flagged_reading_reason"):
            flagged = data.get("flagged_reading")
            what = " ".join(str(f) for f in flagged) if isinstance(flagged, list) else ""
            parts.append(
                "Given after a flagged reading"
                + (f" ({what.rstrip('.')})" if what else "")
                + f"; reason: {data['flagged_reading_reason']}"
            )
    elif kind in (EventKind.APP_INTERRUPTED, EventKind.APP_RESUMED):
        used |= {"last_sign_of_life_utc", "resumed_utc", "basis"}
        last = _clock_time(data.get("last_sign_of_life_utc"))
        resumed = _clock_time(data.get("resumed_utc"))
        what = (
            "The app stopped unexpectedly"
            if kind is EventKind.APP_INTERRUPTED
            else "The app was closed (a lock or a quit, not a crash)"
        )
        parts.append(f"{what}; last sign of life {last}; resumed {resumed}.")
    elif kind is EventKind.SEDATION_CHECK:
        used |= {"moaas", "alert"}  # "text" (the anchor) follows below
        if data.get("alert"):
            parts.append("ALERT (MOAA/S 3 or less):")
    elif kind is EventKind.DISSOCIATION_CHECK:
        used |= {"level", "present"}
        if data.get("level"):
            parts.append(f"{str(data['level']).capitalize()}.")
    elif kind is EventKind.RESPIRATION_CHECK:
        used |= {"depressed", "action", "alert"}
        if data.get("depressed"):
            parts.append("ALERT: respiratory depression observed.")
            if data.get("action"):
                parts.append(f"Done: {data['action']}")
        else:
            parts.append("No respiratory depression.")
    elif kind is EventKind.ALERT_ACKNOWLEDGED:
        used |= {"vitals_ids", "flags", "event_ids"}
        flags = data.get("flags")
        if isinstance(flags, list) and flags:
            parts.append("Flagged: " + " ".join(str(f) for f in flags))
        if data.get("note"):
            parts.append(f"Note: {data['note']}")
            data = {k: v for k, v in data.items() if k != "note"}  # said once, with its label
    elif kind is EventKind.SESSION_ENDED:
        used |= {"aldrete_not_scored_reason", "monitoring_minutes", "ready_to_leave_utc"}
        used |= {"early_end_reason", "early_end_by", "aldrete_total"}
        used |= {"minutes_after_dose", "minimum_minutes"}
        used |= {"transfer_to", "transfer_reason", "transfer_by"}
        if data.get("transfer_to"):
            by = f" ({data['transfer_by']})" if data.get("transfer_by") else ""
            after = _number(data.get("minutes_after_dose"))
            when = f", {fmt(after)} min after the dose" if after is not None else ""
            parts.append(
                f"Transferred to emergency care{by}{when}: to {data['transfer_to']}. "
                f"Why: {data.get('transfer_reason', '')}"
            )
        aldrete = _number(data.get("aldrete_total"))
        if aldrete is not None:
            parts.append(f"Aldrete score {fmt(aldrete)} of 10.")
        if data.get("aldrete_not_scored_reason"):
            parts.append(f"Aldrete not scored: {data['aldrete_not_scored_reason']}")
        minutes = _number(data.get("monitoring_minutes"))
        if minutes is not None:
            parts.append(f"Monitored {fmt(minutes)} min from the first device.")
        if data.get("ready_to_leave_utc"):
            parts.append(f"Ready to leave at {_clock_time(data['ready_to_leave_utc'])}.")
        if data.get("early_end_reason") and not data.get("transfer_to"):
            by = f" ({data['early_end_by']})" if data.get("early_end_by") else ""
            if minutes is not None:  # esketamine: the label's 120 minutes
                parts.append(f"Ended before 120 minutes{by}: {data['early_end_reason']}")
            else:
                after = _number(data.get("minutes_after_dose"))
                least = _number(data.get("minimum_minutes"))
                when = (
                    f" ({fmt(after)} of the clinic's {fmt(least)} min after the dose)"
                    if after is not None and least is not None
                    else ""
                )
                parts.append(f"Ended before the minimum time{when}{by}: {data['early_end_reason']}")
    elif kind in (EventKind.MUSIC_STARTED, EventKind.MUSIC_ENDED, EventKind.MUSIC_CHANGE):
        used |= {"title", "artist", "location", "phase", "started_utc", "ended_utc"}
        title = str(data.get("title") or "").strip()
        artist = str(data.get("artist") or "").strip()
        if title or artist:
            parts.append(" - ".join(p for p in (title, artist) if p))
    elif kind is EventKind.PHASE_EXTENDED:
        used |= {"minutes"}
        if isinstance(data.get("minutes"), int | float):
            parts.append(f"Extended by {fmt(float(data['minutes']))} min.")
    for key in ("text", "note"):
        if data.get(key):
            parts.append(str(data[key]))
    parts.extend(_rest(data, used))
    return " ".join(parts)


def item_value(kind: ItemKind | str, state: ItemState | None) -> str:
    """A checklist item's content as text (the tick is shown separately)."""
    if state is None:
        return ""
    try:
        kind = ItemKind(kind)
    except ValueError:
        kind = ItemKind.TEXT
    value = state.value.strip()
    if kind is ItemKind.DATE and value:
        with contextlib.suppress(ValueError):
            value = wording.long_date(date.fromisoformat(value))
    elif kind is ItemKind.MULTI:
        value = ", ".join(state.selected)
    elif kind is ItemKind.CONTACT and state.contact is not None:
        c = state.contact
        value = ", ".join(p for p in (c.name, c.phone, c.relationship) if p.strip())
    elif kind is ItemKind.TOUCH:
        value = "Quoted in full below."
    elif kind is ItemKind.MUSIC:
        value = "See music preferences below."
    if state.note.strip():
        value = f"{value} (note: {state.note.strip()})" if value else f"Note: {state.note.strip()}"
    return value


def music_text(prefs: MusicPreferences | None) -> str:
    if prefs is None:
        return ""
    parts = []
    if prefs.likes:
        parts.append("Likes: " + ", ".join(prefs.likes) + ".")
    if prefs.avoid:
        parts.append("Avoid: " + ", ".join(prefs.avoid) + ".")
    if prefs.volume is not None:
        parts.append(f"Volume {prefs.volume} of 100.")
    parts.append(f"Through {str(prefs.output).replace('_', ' ')}.")
    parts.append("Eyeshade: yes." if prefs.eyeshade else "Eyeshade: no.")
    return " ".join(parts)
