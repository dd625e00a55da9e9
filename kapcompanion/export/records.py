"""What the PDFs show, read from the vault in one place.

``gather_session`` and ``gather_course`` are the only functions of the exporter that touch
the vault: they turn stored rows and JSON into plain dataclasses, so the renderers
(``session_pdf``, ``course_pdf``) can be tested and previewed from data alone. Stored
JSON that no longer loads (an older or damaged shape) degrades to "not recorded" for that
part instead of failing the whole export: the rest of the record is still needed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from kapcompanion.core.checklist import Checklist, ChecklistTemplate, shipped_templates
from kapcompanion.core.clock import PhaseChange, PlannedPhase
from kapcompanion.core.discharge import Discharge, discharge_ready
from kapcompanion.core.dose import DosePlan, complete_plan, validate_plan
from kapcompanion.core.intake import indication_label
from kapcompanion.core.integration import IntegrationEntry, load_prompts
from kapcompanion.core.ledger import EntryKind, session_lines
from kapcompanion.core.measures import MeasureResponse, instrument, progress
from kapcompanion.core.models import (
    Course,
    DosingSession,
    EventKind,
    FlagKind,
    Practitioner,
    SafetyFlag,
    SessionEvent,
    stored_id,
)
from kapcompanion.core.screening import SCREENING_ITEMS, Answer, Screening, evaluate
from kapcompanion.core.serial import load
from kapcompanion.core.settings import PAPER_SIZE, PART2_NOTICE, PCL5_CUTPOINT, Setting
from kapcompanion.core.touch import describe
from kapcompanion.core.vitals import VitalReading, VitalThresholds, flagged_fields
from kapcompanion.export import timeline as tl
from kapcompanion.export.describe import item_value, music_text
from kapcompanion.export.parts import (
    AddendumLine,
    ChecklistLine,
    ChecklistSummary,
    DoseLine,
    IntegrationNote,
    MeasureSeries,
    RecordHeader,
    ScreeningSummary,
    SessionRow,
    Signature,
    VitalLine,
)
from kapcompanion.store import seals
from kapcompanion.store import settings as stored_settings
from kapcompanion.store.repos import Repos

T = TypeVar("T")
_SHORT_ROUTES = {"iv": "IV", "im": "IM"}
ProgressFn = Callable[[float, str], None]


def _load(cls: type[T], data: Any) -> T | None:
    """A stored dict as ``cls``, or None when it is empty or no longer fits the class."""
    if not isinstance(data, dict) or not data:
        return None
    try:
        return load(cls, data)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


# --------------------------------------------------------------------------- records
@dataclass
class SessionRecordData:
    header: RecordHeader
    session: DosingSession
    course: Course | None
    screening: ScreeningSummary | None
    checklist: ChecklistSummary | None
    plan: DosePlan | None
    plan_notes: list[str]
    doses: list[DoseLine]
    vitals: list[VitalLine]
    thresholds: VitalThresholds
    timeline: list[tl.TimelineEntry]
    phases: list[tl.PhaseLine]
    discharge: Discharge | None
    aldrete_total: int | None
    discharge_missing: list[str]
    debrief: str
    integration: list[IntegrationNote]
    signature: Signature
    addenda: list[AddendumLine]
    #: For a signed session: what was recorded after the signature besides the addenda,
    #: dated (flags raised or resolved, integration entries); printed with the addenda
    #: under "After signing". The rest of the record is the seal's.
    after_signing: list[AddendumLine] | None = None
    seal: str = ""
    #: the controlled-substance ledger's draws for this session, one line each
    #: (``core.ledger.session_lines``): "35 mg from vial K-2291 (lot A123), 5 mg wasted, ..."
    ledger: list[str] = field(default_factory=list)

    @property
    def session_date(self) -> datetime | None:
        s = self.session
        return s.dose_utc or s.started_utc or s.planned_for


@dataclass
class CourseSummaryData:
    header: RecordHeader
    courses: list[Course]
    sessions: list[SessionRow]
    measures: list[MeasureSeries]
    flags: list[SafetyFlag]
    screening: ScreeningSummary | None
    safety_plan: str
    addenda: list[AddendumLine]


# --------------------------------------------------------------------------- helpers
def _anchor(vault: Any) -> str:
    """The audit chain's head at export (printed on the PDF and noted beside the vault)."""
    with contextlib.suppress(Exception):
        anchor = vault.record_anchor("export")
        if anchor is not None:
            return str(anchor)
    return ""


def _header(repos: Repos, client_id: int, tz: tzinfo | None) -> RecordHeader:
    vault = repos.vault
    practitioner = _load(Practitioner, vault.practitioner) or Practitioner()
    page = stored_settings.read(vault, PAPER_SIZE)
    return RecordHeader(
        anchor=_anchor(vault),
        practitioner=practitioner,
        client=repos.clients.get(client_id),
        generated_utc=datetime.now(UTC),
        tz=tz,
        part2=bool(stored_settings.read(vault, PART2_NOTICE)),
        page_size=page,
    )


def _thresholds(repos: Repos) -> VitalThresholds:
    return stored_settings.thresholds(repos.vault)


def _doc_signature(doc: Any) -> Signature:
    return Signature(bool(doc.signed_utc), doc.signed_by or "", doc.signed_utc)


def _addenda(
    repos: Repos, record_type: str, record_id: int | None, about: str
) -> list[AddendumLine]:
    if record_id is None:
        return []
    return [
        AddendumLine(about, a.author, a.utc, a.text)
        for a in repos.addenda.for_record(record_type, record_id)
    ]


def _screening(repos: Repos, client_id: int) -> tuple[ScreeningSummary | None, Any]:
    docs = repos.documents.find("screening", client_id=client_id)
    for doc in reversed(docs):
        screening = _load(Screening, doc.data)
        if screening is None:
            continue
        result = evaluate(screening)
        findings = []
        for item in SCREENING_ITEMS:
            response = screening.responses.get(item.key)
            if response is not None and Answer(response.answer) is not Answer.NO:
                findings.append((item.label, Answer(response.answer).value, response.note))
        summary = ScreeningSummary(
            outcome=result.outcome.label,
            reasons=result.reasons,
            findings=findings,
            screened_on=screening.screened_on,
            overridden=result.overridden,
            override_reason=screening.override_reason or "",
            override_by=screening.override_by or "",
            override_at=screening.override_at,
            signature=_doc_signature(doc),
        )
        return summary, doc
    return None, None


def _template(checklist: Checklist) -> ChecklistTemplate | None:
    """The template version the checklist was filled against, if it can be found."""
    candidates: list[ChecklistTemplate] = []
    with contextlib.suppress(ValueError, OSError):
        candidates.extend(shipped_templates())
    with contextlib.suppress(ValueError, OSError, ImportError):
        from kapcompanion.core.checklist import load_template
        from kapcompanion.paths import app_dirs

        for path in sorted(app_dirs().templates.rglob("*.json")):
            with contextlib.suppress(ValueError, OSError):
                candidates.append(load_template(path))
    for t in candidates:
        if t.id == checklist.template_id and t.version == checklist.template_version:
            return t
    same_id = [t for t in candidates if t.id == checklist.template_id]
    return max(same_id, key=lambda t: t.version) if same_id else None


def _checklist(repos: Repos, session: DosingSession) -> tuple[ChecklistSummary | None, Any]:
    docs = repos.documents.find("checklist", client_id=session.client_id, session_id=session.id)
    if not docs:
        return None, None
    doc = docs[-1]
    checklist = _load(Checklist, doc.data)
    if checklist is None:
        return None, doc
    template = _template(checklist)
    lines: list[ChecklistLine] = []
    if template is not None:
        name = f"{template.name} (version {checklist.template_version})"
        for item in template.items:
            state = checklist.items.get(item.key)
            value = item_value(item.kind, state)
            if item.key == "intention" and checklist.intention.strip():
                value = "Quoted in full below."
            lines.append(
                ChecklistLine(
                    item.section, item.label, item.required, bool(state and state.done), value
                )
            )
    else:
        name = f"{checklist.template_id} (version {checklist.template_version})"
        for key, state in checklist.items.items():
            label = key.replace("_", " ").capitalize()
            lines.append(ChecklistLine("", label, True, state.done, item_value("text", state)))
    intention = checklist.intention.strip()
    if not intention and "intention" in checklist.items:
        intention = checklist.items["intention"].value.strip()
    summary = ChecklistSummary(
        template=name,
        lines=lines,
        intention=intention,
        touch_text=describe(checklist.touch) if checklist.touch is not None else "",
        music=music_text(checklist.music),
        readiness_override=(checklist.readiness_override or session.readiness_override or ""),
        override_by=checklist.readiness_override_by or "",
        override_at=checklist.readiness_override_at,
        signature=_doc_signature(doc),
    )
    return summary, doc


def _session_signer(repos: Repos, session: DosingSession) -> Signature:
    if session.signed_utc is None:
        return Signature()
    by = repos.sessions.signer(session.id) if session.id is not None else ""
    return Signature(True, by or repos.vault.who, session.signed_utc)


def _doses(
    session: DosingSession, plan: DosePlan | None, events: list[SessionEvent]
) -> list[DoseLine]:
    lines: list[DoseLine] = []
    route = plan.route.label if plan is not None else ""
    if plan is not None:
        detail = f"weight {plan.weight_kg:g} kg"
        if plan.infusion_minutes:
            detail += f"; infusion over {plan.infusion_minutes} min"
        if plan.lot:
            detail += f"; lot {plan.lot}"
        if plan.band is not None:
            detail += f"; {plan.band.value} dose band"
        lines.append(DoseLine("Planned", route, plan.mg_per_kg, plan.total_mg, None, None, detail))
    given = [e for e in events if e.kind in (EventKind.DOSE_GIVEN, EventKind.EXTRA_DOSE)]
    if session.dose_utc is not None and not any(e.kind is EventKind.DOSE_GIVEN for e in given):
        lines.append(
            DoseLine(
                "Given",
                route,
                plan.mg_per_kg if plan else None,
                plan.total_mg if plan else None,
                session.dose_utc,
                0.0,
            )
        )
    for e in given:
        p = e.payload
        per_kg = p.get("mg_per_kg")
        total = p.get("total_mg", p.get("mg"))
        if e.kind is EventKind.DOSE_GIVEN and plan is not None:
            per_kg = plan.mg_per_kg if per_kg is None else per_kg
            total = plan.total_mg if total is None else total
        detail = "; ".join(str(p[k]) for k in ("text", "note") if p.get(k))
        if p.get("lot"):
            detail = f"lot {p['lot']}" + (f"; {detail}" if detail else "")
        when = (
            e.utc
            if e.kind is EventKind.EXTRA_DOSE or session.dose_utc is None
            else session.dose_utc
        )
        lines.append(
            DoseLine(
                "Given" if e.kind is EventKind.DOSE_GIVEN else "Extra dose",
                tl.route_of(p, route),
                float(per_kg) if isinstance(per_kg, int | float) else None,
                float(total) if isinstance(total, int | float) else None,
                when,
                tl.offset_of(e, session),
                detail,
            )
        )
    return lines


def _ledger_lines(repos: Repos, session_id: int) -> list[str]:
    """The session's draws, wastes and corrections as the ledger has them (read live: the
    ledger's entries are never edited, so a signed record shows what was booked)."""
    ledger = repos.ledger
    entries = ledger.entries(session_id=session_id)
    if not entries:
        return []
    containers: dict[int, tuple[Any, Any]] = {}
    for cid in {e.container_id for e in entries if e.container_id is not None}:
        container = ledger.container(cid)
        containers[cid] = (container, ledger.product(container.product_id))
    witnesses = {
        w.refers_id: w
        for e in entries
        if e.kind is EntryKind.WASTE
        for w in ledger.entries(refers_id=e.id, kinds=[EntryKind.WITNESS])
        if w.refers_id is not None
    }
    return session_lines(entries, containers, witnesses)


def _integration(repos: Repos, session: DosingSession) -> tuple[list[IntegrationNote], list[Any]]:
    notes: list[IntegrationNote] = []
    docs = [
        d
        for d in repos.documents.find("integration", client_id=session.client_id)
        if d.session_id == session.id or (d.data or {}).get("session_id") == session.id
    ]
    prompts = None
    with contextlib.suppress(ValueError, OSError):
        prompts = load_prompts()
    for doc in docs:
        entry = _load(IntegrationEntry, doc.data)
        if entry is None:
            continue
        answers = []
        for pid, text in entry.prompt_answers.items():
            question = pid
            if prompts is not None and prompts.id == entry.prompt_set_id:
                with contextlib.suppress(KeyError):
                    question = prompts.prompt(pid).text
            answers.append((question, text))
        notes.append(
            IntegrationNote(
                entry.entry_date,
                entry.kind.value.replace("_", " ").capitalize(),
                entry.title,
                entry.mood,
                answers,
                entry.free_text,
                _doc_signature(doc),
            )
        )
    return notes, docs


# --------------------------------------------------------------------------- gathering
def _sealed_view(repos: Repos, session_id: int) -> Any:
    """The repositories as the session stood when signed, or None if it has no seal."""
    with repos.vault._lock:
        seal = seals.signature_seal(repos.vault.conn, "session", session_id)
    return seals.SealedRecords(repos, seal) if seal is not None else None


def _after_signing(repos: Repos, sealed: Any, session: DosingSession) -> list[AddendumLine]:
    """What was recorded after the signature besides addenda (which are dated already):
    flags raised or resolved later, later integration entries. Never mixed into the
    signed record."""
    signed_at = sealed.seal.utc
    later: list[AddendumLine] = []
    known = {f.id: f for f in sealed.flags.for_client(session.client_id)}
    for f in repos.flags.for_client(session.client_id):
        label = f.kind.value.replace("_", " ")
        if f.id not in known:
            later.append(
                AddendumLine("Safety flag raised", "", f.raised_utc, f"{label}: {f.reason}")
            )
        if f.resolved_utc is not None and (f.id not in known or known[f.id].resolved_utc is None):
            note = f"{label} resolved" + (f": {f.resolution_note}" if f.resolution_note else "")
            later.append(
                AddendumLine("Safety flag resolved", f.resolved_by or "", f.resolved_utc, note)
            )
    sealed_ids = {d.id for d in sealed.documents.find("integration")}
    _notes, docs = _integration(repos, session)
    for doc in docs:
        if doc.id in sealed_ids:
            continue
        entry = _load(IntegrationEntry, doc.data)
        text = "" if entry is None else "\n".join(x for x in (entry.title, entry.free_text) if x)
        later.append(
            AddendumLine("Integration entry", "", doc.created_utc or signed_at, text or "(empty)")
        )
    later.sort(key=lambda a: a.utc)
    return later


def gather_session(repos: Repos, session_id: int, *, tz: tzinfo | None = None) -> SessionRecordData:
    """Everything the session record shows. Raises the vault's RecordNotFound if absent.

    A signed session is read from its seal (what the signature covers, frozen at signing);
    anything recorded later is listed apart, dated, under "After signing"."""
    live = repos
    sealed = _sealed_view(live, session_id)
    if sealed is not None:
        repos = sealed
    session: DosingSession = repos.sessions.get(session_id)
    header = _header(repos, session.client_id, tz)
    course = None
    if session.course_id is not None:
        with contextlib.suppress(Exception):
            course = repos.courses.get(session.course_id)
    screening, screening_doc = _screening(repos, session.client_id)
    checklist, checklist_doc = _checklist(repos, session)
    plan = _load(DosePlan, session.plan)
    plan_notes: list[str] = []
    if plan is not None:
        with contextlib.suppress(TypeError, ValueError):
            plan_notes = [i.message for i in validate_plan(plan)]
            plan = complete_plan(plan)
        if plan.out_of_range_reason:
            plan_notes.append(f"Reason recorded for going ahead: {plan.out_of_range_reason}")
    events: list[SessionEvent] = repos.events.for_session(session_id)
    vitals = [
        VitalLine(reading, flagged_fields(reading.flags))
        for _vid, reading in repos.vitals.for_session(session_id, VitalReading)
    ]
    phases = [p for p in (_load(PlannedPhase, d) for d in session.phases) if p is not None]
    changes = [c for c in (_load(PhaseChange, d) for d in session.phase_changes) if c is not None]
    discharge = _load(Discharge, session.discharge)
    total, missing = None, []
    transferred = bool(session.discharge.get("transfer_to"))  # no home criteria to judge
    if discharge is not None and not transferred:
        active = any(f.kind is FlagKind.SUICIDE_RISK for f in repos.flags.active(session.client_id))
        with contextlib.suppress(ValueError, TypeError):
            check = discharge_ready(discharge, active, require_aldrete=False)
            total, missing = check.aldrete_total, check.missing
    integration, integration_docs = _integration(repos, session)
    addenda = _addenda(repos, "session", session.id, "Session record")
    for doc, about in (
        (checklist_doc, "Preparation checklist"),
        (screening_doc, "Screening"),
        *((d, "Integration entry") for d in integration_docs),
    ):
        if doc is not None:
            addenda += _addenda(repos, doc.kind, doc.id, about)
    addenda.sort(key=lambda a: a.utc)
    after = _after_signing(live, sealed, session) if sealed is not None else None
    return SessionRecordData(
        header=header,
        session=session,
        course=course,
        screening=screening,
        checklist=checklist,
        plan=plan,
        plan_notes=plan_notes,
        doses=_doses(session, plan, events),
        vitals=vitals,
        thresholds=_thresholds(repos),
        timeline=tl.timeline_entries(events, session),
        phases=tl.phase_lines(phases, changes, events, session),
        discharge=discharge,
        aldrete_total=total,
        discharge_missing=missing,
        debrief=session.debrief,
        integration=integration,
        signature=_session_signer(repos, session),
        addenda=addenda,
        after_signing=after,
        seal=sealed.seal.hash if sealed is not None else "",
        ledger=_ledger_lines(live, session_id),
    )


def _client_counts(repos: Repos, client_id: int) -> dict[int, tuple[int, int]] | None:
    """(flagged vital readings, alert events) of each of the client's sessions, counted
    by the vault in two queries.

    Loading every event and reading of fifty sessions only to count a few of them was
    most of the time the course summary spent reading. The ``flagged`` column is set
    from the reading's flags when it is stored, and ``kind`` is the event kind's value,
    so the counts are those :func:`_session_row` would make from the loaded records."""
    kinds = sorted(kind.value for kind in tl.ALERT_KINDS)
    return repos.sessions.flag_and_alert_counts(client_id, kinds)


def _session_row(
    repos: Repos,
    s: DosingSession,
    courses: dict[int, Course],
    counts: tuple[int, int] | None = None,
) -> SessionRow:
    """One line of the course's session table; ``counts`` as from :func:`_client_counts`
    (counted here when None)."""
    plan = _load(DosePlan, s.plan)
    if plan is not None:
        with contextlib.suppress(TypeError, ValueError):
            plan = complete_plan(plan)
    if counts is None:
        readings = repos.vitals.for_session(stored_id(s), VitalReading)
        events = repos.events.for_session(stored_id(s))
        counts = (
            sum(1 for _i, r in readings if r.flags),
            sum(1 for e in events if e.kind in tl.ALERT_KINDS),
        )
    discharge = _load(Discharge, s.discharge)
    aldrete = None
    if discharge is not None:
        with contextlib.suppress(ValueError, TypeError):
            aldrete = discharge_ready(discharge, False, require_aldrete=False).aldrete_total
    course = courses.get(s.course_id) if s.course_id is not None else None
    return SessionRow(
        number=s.number,
        course_label=(
            indication_label(course.indication) if course.indication else f"Course {course.id}"
        )
        if course
        else "",
        when=s.dose_utc or s.started_utc or s.planned_for,
        status=s.status.value,
        route=_SHORT_ROUTES.get(plan.route.value, plan.route.label) if plan else "",
        mg_per_kg=plan.mg_per_kg if plan else None,
        total_mg=plan.total_mg if plan else None,
        band=plan.band.value if plan and plan.band else "",
        flagged_vitals=counts[0],
        alerts=counts[1],
        aldrete=aldrete,
        signed=s.signed_utc is not None,
    )


#: instruments whose bands follow the cut-point the clinic picks (as ``services.measures``)
_CUTPOINTS: dict[str, Setting] = {"pcl5": PCL5_CUTPOINT}


def _clinic_cutpoint(repos: Repos, inst_id: str, responses: list[MeasureResponse]) -> int | None:
    """The clinic's cut-point for the chart's bands (the in-app chart draws the same), else
    the one the latest form was scored at."""
    setting = _CUTPOINTS.get(inst_id)
    if setting is not None:
        return int(stored_settings.read(repos.vault, setting))
    stored = [r.cutpoint for r in responses if r.cutpoint is not None]
    return stored[-1] if stored else None


def _measures(repos: Repos, client_id: int) -> list[MeasureSeries]:
    grouped: dict[str, list[MeasureResponse]] = {}
    for doc in repos.documents.find("measure", client_id=client_id):
        response = _load(MeasureResponse, doc.data)
        if response is not None:
            grouped.setdefault(response.instrument_id, []).append(response)
    series: list[MeasureSeries] = []
    for inst_id, responses in sorted(grouped.items()):
        responses.sort(key=lambda r: r.taken_on)
        try:
            inst = instrument(inst_id)
        except (KeyError, ValueError):
            inst = None
        if inst is not None and inst.cutpoint is not None:
            chosen = _clinic_cutpoint(repos, inst_id, responses)
            if chosen is not None and inst.cutpoint.low <= chosen <= inst.cutpoint.high:
                inst = inst.with_cutpoint(chosen)
        scored = [r for r in responses if r.score is not None]
        words = ""
        if inst is not None:
            with contextlib.suppress(ValueError):
                words = progress(responses, inst).words
        scores = [r.score for r in scored if r.score is not None]
        series.append(
            MeasureSeries(
                instrument_id=inst_id,
                name=inst.name if inst else inst_id,
                short_name=inst.short_name if inst else inst_id,
                min_score=inst.min_score if inst else min(scores or [0]),
                max_score=inst.max_score if inst else max(scores or [1]),
                bands=[(b.lower, b.upper, b.label) for b in inst.bands] if inst else [],
                points=[
                    (r.taken_on, r.score, r.band or "", r.context.value.replace("_", " "))
                    for r in scored
                    if r.score is not None
                ],
                incomplete=len(responses) - len(scored),
                flags=[(r.taken_on, f) for r in responses for f in r.flags],
                words=words,
            )
        )
    return series


def gather_course(
    repos: Repos,
    client_id: int,
    *,
    tz: tzinfo | None = None,
    progress_fn: ProgressFn | None = None,
) -> CourseSummaryData:
    """Everything the course summary shows, for all of the client's courses."""
    report = progress_fn or (lambda _f, _m: None)
    header = _header(repos, client_id, tz)
    courses = repos.courses.for_client(client_id)
    by_id = {c.id: c for c in courses if c.id is not None}
    sessions = repos.sessions.for_client(client_id)
    counts = _client_counts(repos, client_id)
    rows = []
    for index, s in enumerate(sessions):
        report(0.05 + 0.45 * index / max(1, len(sessions)), f"Reading session {s.number}")
        known = None if counts is None else counts.get(s.id or 0, (0, 0))
        rows.append(_session_row(repos, s, by_id, known))
    report(0.5, "Reading outcome measures")
    screening, screening_doc = _screening(repos, client_id)
    plans = repos.documents.find("safety_plan", client_id=client_id)
    safety_plan = str((plans[-1].data or {}).get("text", "")) if plans else ""
    addenda: list[AddendumLine] = []
    if screening_doc is not None:
        addenda = _addenda(repos, "screening", screening_doc.id, "Screening")
    return CourseSummaryData(
        header=header,
        courses=courses,
        sessions=rows,
        measures=_measures(repos, client_id),
        flags=repos.flags.for_client(client_id),
        screening=screening,
        safety_plan=safety_plan,
        addenda=addenda,
    )


__all__ = [
    "AddendumLine",
    "ChecklistLine",
    "ChecklistSummary",
    "CourseSummaryData",
    "DoseLine",
    "IntegrationNote",
    "MeasureSeries",
    "ProgressFn",
    "RecordHeader",
    "ScreeningSummary",
    "SessionRecordData",
    "SessionRow",
    "Signature",
    "VitalLine",
    "gather_course",
    "gather_session",
]
