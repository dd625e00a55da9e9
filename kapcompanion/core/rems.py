"""The Spravato REMS Patient Monitoring Form, as the session recorded it (issue 16).

:func:`build_rems_record` reads only what an esketamine session recorded (the plan, the dose
and booster events, the vitals, the acute-effect checks, adverse events, the discharge) plus
the intake's medication list and the practitioner profile. Nothing is typed again and nothing
is guessed: a value the session did not record stays ``None`` and is listed in ``missing``, so
the form shows a blank to fill rather than a made-up answer.

The REMS asks for the form within 7 days of each treatment session (:data:`DUE_DAYS`); the
app sends nothing anywhere: the user transcribes or faxes it and records the date submitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from kapcompanion.core import esketamine as esk
from kapcompanion.core.models import Client, DosingSession, EventKind, Practitioner, SessionEvent
from kapcompanion.core.vitals import EARLY_GRACE_S, VitalReading

#: the REMS: the Patient Monitoring Form within 7 days of each treatment session
DUE_DAYS = 7
#: a reading counts as "about 40 minutes after the first device" in this window (minutes)
BP_40_WINDOW_MIN = (30.0, 55.0)


@dataclass(frozen=True)
class BpReading:
    when: str  # "before the first device", ...
    taken_utc: datetime
    offset_min: float | None  # minutes from the first device; None before it
    systolic: int | None
    diastolic: int | None
    heart_rate: int | None
    spo2: int | None
    flags: tuple[str, ...] = ()

    @property
    def bp(self) -> str:
        if self.systolic is None or self.diastolic is None:
            return ""
        return f"{self.systolic}/{self.diastolic} mmHg"


@dataclass(frozen=True)
class Booster:
    utc: datetime
    total_mg: float
    devices: int | None


@dataclass(frozen=True)
class RemsRecord:
    session_id: int
    patient_name: str
    dob: date | None
    sex: str  # not kept by the app: "" (the form's blank)
    first_treatment: bool
    #: REMS class (``esketamine.RemsMedClass`` value) -> medication names from the intake
    concomitant: dict[str, list[str]]
    intake_recorded: bool
    provider: str
    provider_credentials: str
    setting: str  # the healthcare setting (clinic) from the practitioner profile
    setting_phone: str
    treatment_date: date | None
    first_device_utc: datetime | None
    dose_mg: float | None
    devices: int | None
    lot: str
    boosters: tuple[Booster, ...]
    total_mg: float | None
    monitoring_minutes: float | None
    ready_to_leave_utc: datetime | None
    ready_to_leave_minutes: float | None
    early_end_reason: str
    bp_before: BpReading | None
    bp_40: BpReading | None
    bp_end: BpReading | None
    #: the pre-dose reading within the clinic's thresholds (140/90 before dosing); None: none
    in_range_before: bool | None
    in_range_before_end: bool | None
    sedation: bool
    lowest_moaas: int | None
    dissociation: bool
    worst_dissociation: str
    respiratory_depression: bool
    adverse_events: tuple[str, ...]
    serious_adverse_events: tuple[str, ...]
    due_on: date | None
    submitted_on: date | None
    missing: tuple[str, ...] = field(default_factory=tuple)

    @property
    def overdue(self) -> bool:
        return self.submitted_on is None and self.due_on is not None and date.today() > self.due_on


def due_date(treatment_date: date) -> date:
    return treatment_date + timedelta(days=DUE_DAYS)


def effective_events(events: Sequence[SessionEvent]) -> list[SessionEvent]:
    """The events with each corrected payload replaced by its latest correction."""
    latest: dict[int, Mapping[str, Any]] = {}
    for e in events:
        if e.kind is EventKind.CORRECTION and e.corrects_id is not None:
            body = e.payload.get("payload")
            if isinstance(body, Mapping):
                latest[e.corrects_id] = body
    out = []
    for e in events:
        if e.kind is EventKind.CORRECTION:
            continue
        if e.id is not None and e.id in latest:
            e = SessionEvent(
                e.session_id, e.kind, e.utc, e.offset_s, dict(latest[e.id]), None, e.id
            )
        out.append(e)
    return out


def _bp(when: str, r: VitalReading) -> BpReading:
    return BpReading(
        when,
        r.taken_utc,
        None if r.offset_s is None or r.pre_dose else r.offset_s / 60.0,
        r.systolic,
        r.diastolic,
        r.heart_rate,
        r.spo2,
        tuple(r.flags),
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


_DISSOCIATION_ORDER = [d.value for d in esk.Dissociation]


def build_rems_record(
    *,
    session: DosingSession,
    client: Client,
    events: Sequence[SessionEvent],
    vitals: Sequence[VitalReading],
    medications: Sequence[tuple[str, Sequence[str]]] | None,
    practitioner: Practitioner,
    first_treatment: bool,
    submitted_on: date | None = None,
    tz: tzinfo | None = None,
) -> RemsRecord:
    """The form's fields from one esketamine session (module docstring)."""
    if session.id is None:
        raise ValueError("The session has no id.")
    plan = session.plan
    missing: list[str] = []
    live = effective_events(events)
    first = session.dose_utc
    treatment = first.astimezone(tz).date() if first else None
    if first is None:
        missing.append("the first device was not marked")
    dose = _number(plan.get("total_mg"))
    devices = plan.get("devices") if isinstance(plan.get("devices"), int) else None
    boosters = tuple(
        Booster(e.utc, float(_number(e.payload.get("total_mg")) or 0.0), e.payload.get("devices"))
        for e in live
        if e.kind is EventKind.EXTRA_DOSE and _number(e.payload.get("total_mg"))
    )
    total = (dose or 0.0) + sum(b.total_mg for b in boosters) if dose is not None else None
    # blood pressure at the label's times
    before = [r for r in vitals if r.pre_dose]
    after = [r for r in vitals if not r.pre_dose and r.offset_s is not None]
    bp_before = _bp("before the first device", before[-1]) if before else None
    low, high = BP_40_WINDOW_MIN
    near_40 = [r for r in after if low * 60 <= (r.offset_s or 0) <= high * 60]
    bp_40 = None
    if near_40:
        best = min(near_40, key=lambda r: abs((r.offset_s or 0) - esk.BP_AFTER_MIN * 60))
        bp_40 = _bp(f"about {esk.BP_AFTER_MIN} minutes after the first device", best)
    late = [r for r in after if (r.offset_s or 0) > high * 60 - EARLY_GRACE_S]
    bp_end = _bp("before the end of monitoring", late[-1]) if late else None
    for label, value in (
        ("blood pressure before the first device", bp_before),
        (f"blood pressure about {esk.BP_AFTER_MIN} minutes after it", bp_40),
        ("blood pressure before the end of monitoring", bp_end),
    ):
        if value is None:
            missing.append(label)
    # acute effects
    scores = [
        int(e.payload["moaas"])
        for e in live
        if e.kind is EventKind.SEDATION_CHECK and isinstance(e.payload.get("moaas"), int)
    ]
    levels = [
        str(e.payload.get("level"))
        for e in live
        if e.kind is EventKind.DISSOCIATION_CHECK and e.payload.get("level") in _DISSOCIATION_ORDER
    ]
    if not scores:
        missing.append("no sedation (MOAA/S) check was recorded")
    if not levels:
        missing.append("no dissociation check was recorded")
    worst = max(levels, key=_DISSOCIATION_ORDER.index) if levels else ""
    depressed = any(
        e.kind is EventKind.RESPIRATION_CHECK and bool(e.payload.get("depressed")) for e in live
    )
    adverse: list[str] = []
    serious: list[str] = []
    for e in live:
        if e.kind is not EventKind.ADVERSE_EVENT:
            continue
        severity = str(e.payload.get("severity") or "").strip()
        text = str(e.payload.get("text") or "").strip() or "Adverse event"
        at = e.utc.astimezone(tz)
        words = f"{at:%H:%M} {text}" + (f" ({severity})" if severity else "")
        adverse.append(words)
        if severity == "severe":
            serious.append(words)
    # discharge
    discharge = session.discharge or {}
    minutes = _number(discharge.get("monitoring_minutes"))
    if minutes is None and first is not None and session.ended_utc is not None:
        minutes = round((session.ended_utc - first).total_seconds() / 60.0, 1)
    ready: datetime | None = None
    if isinstance(discharge.get("ready_to_leave_utc"), str):
        try:
            ready = datetime.fromisoformat(discharge["ready_to_leave_utc"])
        except ValueError:
            ready = None
    if session.ended_utc is None:
        missing.append("the session has not ended (monitoring time and readiness to leave)")
    elif ready is None:
        missing.append("the time the patient was ready to leave")
    ready_minutes = (
        round((ready - first).total_seconds() / 60.0, 1) if ready is not None and first else None
    )
    if medications is None:
        missing.append("no intake medication list")
    return RemsRecord(
        session_id=session.id,
        patient_name=client.name,
        dob=client.dob,
        sex="",
        first_treatment=first_treatment,
        concomitant=esk.rems_medication_classes(medications or []),
        intake_recorded=medications is not None,
        provider=practitioner.name,
        provider_credentials=practitioner.credentials,
        setting=practitioner.clinic,
        setting_phone=practitioner.phone,
        treatment_date=treatment,
        first_device_utc=first,
        dose_mg=dose,
        devices=devices if devices is not None else (esk.devices_for(dose) if dose else None),
        lot=str(plan.get("lot") or ""),
        boosters=boosters,
        total_mg=total,
        monitoring_minutes=minutes,
        ready_to_leave_utc=ready,
        ready_to_leave_minutes=ready_minutes,
        early_end_reason=str(discharge.get("early_end_reason") or ""),
        bp_before=bp_before,
        bp_40=bp_40,
        bp_end=bp_end,
        in_range_before=None if bp_before is None else not bp_before.flags,
        in_range_before_end=None if bp_end is None else not bp_end.flags,
        sedation=any(s < 5 for s in scores),
        lowest_moaas=min(scores) if scores else None,
        dissociation=any(level != esk.Dissociation.NONE.value for level in levels),
        worst_dissociation=worst,
        respiratory_depression=depressed,
        adverse_events=tuple(adverse),
        serious_adverse_events=tuple(serious),
        due_on=due_date(treatment) if treatment else None,
        submitted_on=submitted_on,
        missing=tuple(missing),
    )


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def record_rows(record: RemsRecord, tz: tzinfo | None = None) -> list[tuple[str, str, str]]:
    """(section, field, value) in the form's order: the PDF and the CSV both use these."""

    def when(dt: datetime | None) -> str:
        return f"{dt.astimezone(tz):%Y-%m-%d %H:%M}" if dt else ""

    def bp(r: BpReading | None) -> str:
        if r is None:
            return ""
        at = f"{r.taken_utc.astimezone(tz):%H:%M}"
        offset = f", {r.offset_min:.0f} min after the first device" if r.offset_min else ""
        extra = [f"HR {r.heart_rate} bpm" if r.heart_rate is not None else ""]
        extra.append(f"SpO2 {r.spo2}%" if r.spo2 is not None else "")
        rest = ", ".join(x for x in extra if x)
        return f"{r.bp or 'no BP'} at {at}{offset}" + (f" ({rest})" if rest else "")

    def num(v: float | None, unit: str) -> str:
        return f"{v:g} {unit}" if v is not None else ""

    meds = []
    for c in esk.RemsMedClass:
        names = record.concomitant.get(c.value, [])
        answer = ("Yes: " + ", ".join(names)) if names else ("No" if record.intake_recorded else "")
        meds.append(("Concomitant medications", c.label, answer))
    boosters = "; ".join(
        f"{b.total_mg:g} mg at {b.utc.astimezone(tz):%H:%M}"
        + (f" ({b.devices} device{'s' if b.devices != 1 else ''})" if b.devices else "")
        for b in record.boosters
    )
    return [
        ("Patient", "Patient name", record.patient_name),
        ("Patient", "Date of birth", f"{record.dob:%Y-%m-%d}" if record.dob else ""),
        ("Patient", "Sex", record.sex),
        ("Patient", "First treatment with esketamine", yes_no(record.first_treatment)),
        *meds,
        ("Healthcare setting", "Healthcare setting", record.setting),
        ("Healthcare setting", "Setting telephone", record.setting_phone),
        (
            "Healthcare setting",
            "Monitoring healthcare provider",
            ", ".join(x for x in (record.provider, record.provider_credentials) if x),
        ),
        (
            "Treatment",
            "Treatment date",
            f"{record.treatment_date}" if record.treatment_date else "",
        ),
        ("Treatment", "Time of administration (first device)", when(record.first_device_utc)),
        ("Treatment", "Dose", num(record.dose_mg, "mg")),
        ("Treatment", "Devices of 28 mg", str(record.devices or "")),
        ("Treatment", "Lot number", record.lot),
        ("Treatment", "Booster doses", boosters or ("None" if record.first_device_utc else "")),
        ("Treatment", "Total in this session", num(record.total_mg, "mg")),
        ("Vital signs", "Blood pressure before the first device", bp(record.bp_before)),
        ("Vital signs", "Blood pressure about 40 minutes after", bp(record.bp_40)),
        ("Vital signs", "Blood pressure before the end of monitoring", bp(record.bp_end)),
        (
            "Vital signs",
            "Vital signs in range before administration",
            yes_no(record.in_range_before),
        ),
        (
            "Vital signs",
            "Vital signs in range before the end of monitoring",
            yes_no(record.in_range_before_end),
        ),
        (
            "Monitoring",
            "Total minutes from the first device",
            num(record.monitoring_minutes, "min"),
        ),
        (
            "Monitoring",
            "Patient ready to leave at",
            when(record.ready_to_leave_utc)
            + (
                f" ({record.ready_to_leave_minutes:g} min after the first device)"
                if record.ready_to_leave_minutes is not None
                else ""
            ),
        ),
        ("Monitoring", "Monitoring ended early because", record.early_end_reason),
        (
            "Acute effects",
            "Sedation observed",
            yes_no(record.sedation if record.lowest_moaas is not None else None)
            + (
                f" (lowest MOAA/S {record.lowest_moaas})" if record.lowest_moaas is not None else ""
            ),
        ),
        (
            "Acute effects",
            "Dissociation observed",
            yes_no(record.dissociation if record.worst_dissociation else None)
            + (f" (at most {record.worst_dissociation})" if record.dissociation else ""),
        ),
        ("Acute effects", "Respiratory depression observed", yes_no(record.respiratory_depression)),
        ("Adverse events", "Adverse events", "; ".join(record.adverse_events) or "None recorded"),
        (
            "Adverse events",
            "Serious adverse events (recorded as severe)",
            "; ".join(record.serious_adverse_events) or "None recorded",
        ),
        ("Form", "Due by", f"{record.due_on}" if record.due_on else ""),
        ("Form", "Submitted on", f"{record.submitted_on}" if record.submitted_on else ""),
    ]
