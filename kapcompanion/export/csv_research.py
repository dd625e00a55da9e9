"""De-identified CSV for research and audit: one file per record kind, with a data dictionary.

Opt-in by kind (``sessions``, ``doses``, ``vitals``, ``events``, ``measures``): nothing is
written that was not asked for. Each client becomes a subject code (``S001`` ...) assigned in
a random order, so the code says nothing about the record number or the order clients were
added; the mapping is never written. Left out unless asked: the client's name
(``include_names``), date of birth (``include_dob``; an age in whole years is always given,
"90+" from 90 on, as HIPAA's Safe Harbor rule asks) and every free-text note, quote or
comment (``include_notes``). Record numbers, phone, email, address and contacts are never
written.

Dates: by default the real dates, which makes the files a limited data set rather than a
de-identified one. ``date_shift`` moves every date and time of a subject by the same number
of days: a fixed number, or ``"random"`` for a different secret shift per subject (between
30 and 365 days earlier), so intervals within a subject stay true. The shift is not written
anywhere. Offsets from the dose (minutes) are always given.

Cells go through the CSV guard (``csv_safe``): no cell can run as a formula. Each file is
written atomically; when one fails, those already written by this export are removed.
Audited once, with the kinds, row counts and what identifying columns were included.
:func:`prepare_research_csv` builds everything in memory first (the app previews exactly
that), :func:`write_research_csv` writes it. Reads through the repositories only; no Qt.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from kapcompanion.core.discharge import Discharge, discharge_ready
from kapcompanion.core.dose import DosePlan, complete_plan
from kapcompanion.core.intake import indication_label
from kapcompanion.core.measures import MeasureResponse
from kapcompanion.core.models import Client, DosingSession, EventKind, SessionEvent, stored_id
from kapcompanion.core.serial import load
from kapcompanion.core.vitals import VitalReading
from kapcompanion.export.atomic import audit_export
from kapcompanion.export.csv_safe import csv_text, write_csv
from kapcompanion.export.errors import ExportError
from kapcompanion.store.repos import Repos

T = TypeVar("T")
KINDS: tuple[str, ...] = ("sessions", "doses", "vitals", "events", "measures")
DateShift = int | Literal["random"] | None
MAX_ITEMS = 20  # the longest instrument (PCL-5)
RANDOM_SHIFT_DAYS = (30, 365)

#: event kinds whose payload is structured enough to keep a value without free text
_STRUCTURED: dict[EventKind, tuple[str, ...]] = {
    EventKind.ADVERSE_EVENT: ("severity",),
    EventKind.TOUCH_OFFERED: ("touch_kind", "asked", "within_agreement"),
    EventKind.PHASE_ADVANCED: ("phase",),
    EventKind.PHASE_EXTENDED: ("minutes",),
    EventKind.MUSIC_STARTED: ("phase",),
    EventKind.MUSIC_ENDED: ("phase",),
}
#: payload keys that are typed text (kept only with include_notes)
_FREE_TEXT = ("text", "note", "reason", "name", "dose", "route", "title", "artist", "check")


@dataclass(frozen=True)
class ResearchOptions:
    kinds: Sequence[str]
    client_ids: Sequence[int] | None = None  # None: every client, archived too
    date_shift: DateShift = None
    include_names: bool = False
    include_dob: bool = False
    include_notes: bool = False


@dataclass
class ResearchResult:
    folder: Path
    files: list[Path]
    rows: dict[str, int]
    subjects: int
    detail: str = ""


@dataclass
class _Table:
    header: list[str]
    rows: list[list[object]] = field(default_factory=list)


# --------------------------------------------------------------------------- dictionary
#: (file, column, type, unit, description) of every column that can be written
DICTIONARY: list[tuple[str, str, str, str, str]] = [
    (
        "all",
        "subject",
        "text",
        "",
        "Subject code for this export only (S001...); not a record number",
    ),
    ("all", "name", "text", "", "Client's name (only when names were asked for)"),
    (
        "all",
        "date_of_birth",
        "date",
        "",
        "Date of birth (only when asked for; shifted with the dates)",
    ),
    (
        "sessions",
        "age_years",
        "text",
        "years",
        "Age in whole years at the session (90+ from 90 on)",
    ),
    ("sessions", "session_number", "integer", "", "Number of the dosing session in the course"),
    ("sessions", "indication", "text", "", "Indication of the course"),
    ("sessions", "status", "text", "", "planned, started, dosed or ended"),
    ("sessions", "planned_for", "date-time", "UTC", "Planned start"),
    ("sessions", "started", "date-time", "UTC", "Start of the session"),
    ("sessions", "dose_time", "date-time", "UTC", "Time of the (first) dose"),
    ("sessions", "ended", "date-time", "UTC", "End of the session (discharge)"),
    ("sessions", "route", "text", "", "Planned route: iv, im, sublingual, intranasal or oral"),
    ("sessions", "dose_band", "text", "", "Planned dose band: low, moderate or high"),
    ("sessions", "weight_kg", "decimal", "kg", "Weight used for the dose plan"),
    ("sessions", "planned_mg_per_kg", "decimal", "mg/kg", "Planned dose per kilogram"),
    ("sessions", "planned_total_mg", "decimal", "mg", "Planned total dose"),
    (
        "sessions",
        "aldrete_total",
        "integer",
        "points",
        "Modified Aldrete score at discharge (0-10)",
    ),
    ("sessions", "signed", "boolean", "", "Whether the session record was signed"),
    ("sessions", "debrief", "text", "", "Debrief note (only when notes were asked for)"),
    ("doses", "session_number", "integer", "", "Dosing session the dose belongs to"),
    ("doses", "dose_kind", "text", "", "dose (the planned dose) or extra dose"),
    ("doses", "time", "date-time", "UTC", "When it was given"),
    ("doses", "minutes_from_dose", "decimal", "min", "Minutes after the session's first dose"),
    ("doses", "route", "text", "", "Route it was given by"),
    ("doses", "total_mg", "decimal", "mg", "Amount given (a later correction applied)"),
    ("doses", "mg_per_kg", "decimal", "mg/kg", "Amount per kilogram, when recorded"),
    ("doses", "corrected", "boolean", "", "Whether the dose was corrected after it was recorded"),
    ("doses", "note", "text", "", "Note or correction reason (only when notes were asked for)"),
    ("vitals", "session_number", "integer", "", "Dosing session of the reading"),
    ("vitals", "time", "date-time", "UTC", "When the reading was taken"),
    ("vitals", "minutes_from_dose", "decimal", "min", "Minutes after the dose (negative before)"),
    ("vitals", "pre_dose", "boolean", "", "Taken before the dose"),
    ("vitals", "systolic", "integer", "mmHg", "Systolic blood pressure"),
    ("vitals", "diastolic", "integer", "mmHg", "Diastolic blood pressure"),
    ("vitals", "heart_rate", "integer", "beats/min", "Heart rate"),
    ("vitals", "spo2", "integer", "%", "Oxygen saturation by pulse oximetry"),
    ("vitals", "flags", "text", "", "Thresholds the reading crossed (app-generated), '; ' between"),
    ("vitals", "note", "text", "", "Note on the reading (only when notes were asked for)"),
    ("events", "session_number", "integer", "", "Dosing session of the event"),
    ("events", "event", "text", "", "Kind of event (e.g. nausea, distress, touch_offered)"),
    ("events", "time", "date-time", "UTC", "When it was recorded"),
    ("events", "minutes_from_dose", "decimal", "min", "Minutes after the dose (negative before)"),
    ("events", "detail", "text", "", "Structured detail only (severity, touch kind, phase...)"),
    ("events", "corrected", "boolean", "", "Whether a later correction points at this event"),
    ("events", "text", "text", "", "Typed text of the event (only when notes were asked for)"),
    ("measures", "instrument", "text", "", "phq9, gad7, pcl5, aaq2, craving10 or craving100"),
    ("measures", "instrument_version", "text", "", "Version of the instrument's definition"),
    ("measures", "taken", "date-time", "UTC", "When the questionnaire was filled in"),
    ("measures", "context", "text", "", "baseline, pre_session, end_of_course or other"),
    ("measures", "score", "integer", "points", "Total score (prorated when incomplete)"),
    ("measures", "band", "text", "", "Severity band of the score"),
    ("measures", "complete", "boolean", "", "All items answered"),
    ("measures", "item_1..item_20", "integer", "points", "Answer to each item (blank: unanswered)"),
]


# --------------------------------------------------------------------------- helpers
def _load(cls: type[T], data: Any) -> T | None:
    if not isinstance(data, dict) or not data:
        return None
    try:
        return load(cls, data)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _minutes(when: datetime | None, dose: datetime | None) -> float | None:
    if when is None or dose is None:
        return None
    return round((when - dose).total_seconds() / 60, 2)


def _age(dob: date | None, on: date | None) -> str:
    if dob is None or on is None:
        return ""
    years = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    return "90+" if years >= 90 else str(years)


def _bool(value: bool) -> str:
    return "yes" if value else "no"


class _Subject:
    def __init__(self, code: str, client: Client, shift: timedelta) -> None:
        self.code = code
        self.client = client
        self.shift = shift

    def when(self, value: datetime | None) -> str:
        return "" if value is None else (value - self.shift).isoformat()

    def day(self, value: date | None) -> str:
        return "" if value is None else (value - self.shift).isoformat()


class _Writer:
    def __init__(self, repos: Repos, options: ResearchOptions) -> None:
        self.repos = repos
        self.o = options
        self.tables = {kind: _Table(self._header(kind)) for kind in options.kinds}

    def _header(self, kind: str) -> list[str]:
        head = ["subject"]
        if self.o.include_names:
            head.append("name")
        if self.o.include_dob:
            head.append("date_of_birth")
        cols = [c for f, c, *_ in DICTIONARY if f == kind]
        if kind == "measures":
            cols = [c for c in cols if not c.startswith("item_")]
            cols += [f"item_{n}" for n in range(1, MAX_ITEMS + 1)]
        optional = {"debrief", "note", "text"}
        return head + [c for c in cols if c not in optional or self.o.include_notes]

    def _lead(self, s: _Subject) -> list[object]:
        lead: list[object] = [s.code]
        if self.o.include_names:
            lead.append(s.client.name)
        if self.o.include_dob:
            lead.append(s.day(s.client.dob))
        return lead

    def add_subject(self, s: _Subject) -> None:
        sessions: list[DosingSession] = self.repos.sessions.for_client(stored_id(s.client))
        courses = {c.id: c for c in self.repos.courses.for_client(stored_id(s.client))}
        for session in sessions:
            events: list[SessionEvent] = []
            if {"doses", "events"} & set(self.o.kinds):
                events = self.repos.events.for_session(stored_id(session))
            if "sessions" in self.tables:
                self._session(s, session, courses)
            if "doses" in self.tables:
                self._doses(s, session, events)
            if "vitals" in self.tables:
                self._vitals(s, session)
            if "events" in self.tables:
                self._events(s, session, events)
        if "measures" in self.tables:
            self._measures(s)

    def _row(self, kind: str, s: _Subject, values: dict[str, object]) -> None:
        table = self.tables[kind]
        lead = self._lead(s)
        table.rows.append(lead + [values.get(c, "") for c in table.header[len(lead) :]])

    def _session(self, s: _Subject, session: DosingSession, courses: dict[Any, Any]) -> None:
        plan = _load(DosePlan, session.plan)
        if plan is not None:
            with contextlib.suppress(TypeError, ValueError):
                plan = complete_plan(plan)
        aldrete: object = ""
        discharge = _load(Discharge, session.discharge)
        if discharge is not None:
            with contextlib.suppress(TypeError, ValueError):
                total = discharge_ready(discharge, False, require_aldrete=False).aldrete_total
                aldrete = "" if total is None else total
        course = courses.get(session.course_id)
        day = session.dose_utc or session.started_utc or session.planned_for
        self._row(
            "sessions",
            s,
            {
                "age_years": _age(s.client.dob, day.date() if day else None),
                "session_number": session.number,
                "indication": indication_label(course.indication) if course else "",
                "status": session.status.value,
                "planned_for": s.when(session.planned_for),
                "started": s.when(session.started_utc),
                "dose_time": s.when(session.dose_utc),
                "ended": s.when(session.ended_utc),
                "route": plan.route.value if plan else "",
                "dose_band": plan.band.value if plan and plan.band else "",
                "weight_kg": plan.weight_kg if plan else "",
                "planned_mg_per_kg": plan.mg_per_kg if plan and plan.mg_per_kg is not None else "",
                "planned_total_mg": plan.total_mg if plan and plan.total_mg is not None else "",
                "aldrete_total": aldrete,
                "signed": _bool(session.signed_utc is not None),
                "debrief": session.debrief,
            },
        )

    def _doses(self, s: _Subject, session: DosingSession, events: list[SessionEvent]) -> None:
        plan = _load(DosePlan, session.plan)
        if plan is not None:
            with contextlib.suppress(TypeError, ValueError):
                plan = complete_plan(plan)
        fixes = {
            e.corrects_id: e
            for e in events
            if e.kind is EventKind.CORRECTION and e.corrects_id is not None
        }
        for e in events:
            if e.kind not in (EventKind.DOSE_GIVEN, EventKind.EXTRA_DOSE):
                continue
            payload = dict(e.payload)
            fix = fixes.get(e.id) if e.id is not None else None
            if fix is not None and isinstance(fix.payload.get("payload"), dict):
                payload.update(fix.payload["payload"])
            main = e.kind is EventKind.DOSE_GIVEN
            total = payload.get("total_mg", payload.get("mg"))
            per_kg = payload.get("mg_per_kg")
            if main and plan is not None:
                total = plan.total_mg if total is None else total
                per_kg = plan.mg_per_kg if per_kg is None else per_kg
            when = session.dose_utc if main and session.dose_utc else e.utc
            note = "; ".join(
                str(x)
                for x in (payload.get("text"), fix.payload.get("reason") if fix else None)
                if x
            )
            self._row(
                "doses",
                s,
                {
                    "session_number": session.number,
                    "dose_kind": "dose" if main else "extra dose",
                    "time": s.when(when),
                    "minutes_from_dose": _minutes(when, session.dose_utc),
                    "route": payload.get("route") or (plan.route.value if plan else ""),
                    "total_mg": total if isinstance(total, int | float) else "",
                    "mg_per_kg": per_kg if isinstance(per_kg, int | float) else "",
                    "corrected": _bool(fix is not None),
                    "note": note,
                },
            )

    def _vitals(self, s: _Subject, session: DosingSession) -> None:
        for _vid, r in self.repos.vitals.for_session(stored_id(session), VitalReading):
            self._row(
                "vitals",
                s,
                {
                    "session_number": session.number,
                    "time": s.when(r.taken_utc),
                    "minutes_from_dose": _minutes(r.taken_utc, session.dose_utc),
                    "pre_dose": _bool(r.pre_dose),
                    "systolic": r.systolic,
                    "diastolic": r.diastolic,
                    "heart_rate": r.heart_rate,
                    "spo2": r.spo2,
                    "flags": "; ".join(r.flags),
                    "note": r.note,
                },
            )

    def _events(self, s: _Subject, session: DosingSession, events: list[SessionEvent]) -> None:
        corrected = {e.corrects_id for e in events if e.corrects_id is not None}
        for e in events:
            p = e.payload
            keys = _STRUCTURED.get(e.kind, ())
            detail = "; ".join(f"{k}={p[k]}" for k in keys if p.get(k) not in (None, ""))
            text = "; ".join(str(p[k]) for k in _FREE_TEXT if p.get(k) not in (None, ""))
            if e.kind is EventKind.CORRECTION:
                detail = f"corrects={p.get('kind', '')}"
                text = str(p.get("reason", ""))
            self._row(
                "events",
                s,
                {
                    "session_number": session.number,
                    "event": e.kind.value,
                    "time": s.when(e.utc),
                    "minutes_from_dose": _minutes(e.utc, session.dose_utc),
                    "detail": detail,
                    "corrected": _bool(e.id in corrected),
                    "text": text,
                },
            )

    def _measures(self, s: _Subject) -> None:
        for doc in self.repos.documents.find("measure", client_id=s.client.id):
            r = _load(MeasureResponse, doc.data)
            if r is None:
                continue
            values: dict[str, object] = {
                "instrument": r.instrument_id,
                "instrument_version": r.instrument_version,
                "taken": s.when(r.taken_on),
                "context": r.context.value,
                "score": "" if r.score is None else r.score,
                "band": r.band or "",
                "complete": _bool(all(v is not None for v in r.answers.values())),
            }
            for number, value in r.answers.items():
                values[f"item_{number}"] = "" if value is None else value
            self._row("measures", s, values)


def _shift_for(option: DateShift, rng: random.Random) -> Callable[[], timedelta]:
    if option is None:
        return lambda: timedelta(0)
    if option == "random":
        low, high = RANDOM_SHIFT_DAYS
        return lambda: timedelta(days=rng.randint(low, high))
    days = int(option)
    return lambda: timedelta(days=days)


def _dictionary_rows(options: ResearchOptions) -> list[list[object]]:
    rows: list[list[object]] = []
    for file, column, kind, unit, text in DICTIONARY:
        if file != "all" and file not in options.kinds:
            continue
        if column == "name" and not options.include_names:
            continue
        if column == "date_of_birth" and not options.include_dob:
            continue
        if column in ("debrief", "note", "text") and not options.include_notes:
            continue
        name = "all files" if file == "all" else f"{file}.csv"
        rows.append([name, column, kind, unit, text])
    shift = {
        None: "Dates and times are the real ones (a limited data set, not de-identified).",
        "random": "Each subject's dates and times are moved earlier by a secret number of "
        "days, the same for all of that subject's records; intervals are true.",
    }.get(
        options.date_shift if options.date_shift in (None, "random") else "fixed",
        "Every date and time is moved earlier by the same number of days (not given here).",
    )
    rows.append(["all files", "(dates)", "note", "", shift])
    return rows


@dataclass(frozen=True)
class ResearchFile:
    """One CSV as it will be written: its name, header and rows (cells not yet guarded)."""

    name: str
    header: list[str]
    rows: list[list[object]]

    def text(self, limit: int | None = None) -> str:
        """The file's text exactly as written (formula-guarded), or its first ``limit`` rows."""
        return csv_text(self.header, self.rows if limit is None else self.rows[:limit])


@dataclass(frozen=True)
class ResearchExport:
    """Everything one research export will write, prepared in memory and not yet written:
    the preview shows these very tables, and :func:`write_research_csv` writes them (so the
    random subject codes and date shifts seen are the ones that leave)."""

    options: ResearchOptions
    files: list[ResearchFile]
    rows: dict[str, int]
    subjects: int
    client_ids: list[int]
    detail: str


def prepare_research_csv(
    repos: Repos,
    options: ResearchOptions,
    *,
    rng: random.Random | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> ResearchExport:
    """Build the chosen tables and the data dictionary in memory; nothing is written or
    audited. Raises :class:`ExportError` for options the user can fix."""
    report = progress or (lambda _f, _m: None)
    kinds = list(dict.fromkeys(options.kinds))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ExportError(
            f"Unknown record kind {', '.join(unknown)}; choose from {', '.join(KINDS)}."
        )
    if not kinds:
        raise ExportError(f"Choose at least one record kind ({', '.join(KINDS)}).")
    if options.date_shift not in (None, "random") and not isinstance(options.date_shift, int):
        raise ExportError("The date shift is a whole number of days or 'random'.")
    options = ResearchOptions(**{**options.__dict__, "kinds": kinds})
    ids = (
        [c.id for c in repos.clients.search(include_archived=True) if c.id is not None]
        if options.client_ids is None
        else list(options.client_ids)
    )
    if not ids:
        raise ExportError("There are no clients to export.")
    chooser = rng or random.Random(secrets.randbits(64))
    order = list(ids)
    chooser.shuffle(order)
    shift = _shift_for(options.date_shift, chooser)
    writer = _Writer(repos, options)
    width = max(3, len(str(len(order))))
    for n, cid in enumerate(order, start=1):
        report(0.95 * (n - 1) / len(order), f"Reading subject {n} of {len(order)}")
        writer.add_subject(_Subject(f"S{n:0{width}d}", repos.clients.get(cid), shift()))
    files = []
    for kind in kinds:
        table = writer.tables[kind]
        table.rows.sort(key=lambda row: str(row[0]))  # by subject; stable within one
        files.append(ResearchFile(f"{kind}.csv", table.header, table.rows))
    files.append(
        ResearchFile(
            "data_dictionary.csv",
            ["file", "column", "type", "unit", "description"],
            _dictionary_rows(options),
        )
    )
    rows = {kind: len(writer.tables[kind].rows) for kind in kinds}
    included = [
        label
        for label, on in (
            ("names", options.include_names),
            ("dates of birth", options.include_dob),
            ("free-text notes", options.include_notes),
        )
        if on
    ]
    shift_text = {None: "real dates", "random": "dates shifted per subject"}.get(
        options.date_shift if options.date_shift in (None, "random") else "fixed",
        "dates shifted",
    )
    detail = (
        f"research CSV, {len(order)} subject(s): "
        + ", ".join(f"{rows[k]} {k}" for k in kinds)
        + f"; {shift_text}; "
        + ("included " + ", ".join(included) if included else "no names, dates of birth or notes")
    )
    report(1.0, "Ready")
    return ResearchExport(options, files, rows, len(order), ids, detail)


def write_research_csv(
    repos: Repos, folder: str | os.PathLike[str], prepared: ResearchExport
) -> ResearchResult:
    """Write the prepared files into ``folder`` (each atomically; those already written are
    removed again if one fails), then audit ``export.research_csv`` once."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; choose a folder for the CSV files.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.")
    clash = [f.name for f in prepared.files if (out / f.name).is_dir()]
    if clash:
        raise ExportError(f"{out / clash[0]} is a folder; choose another folder.")
    created = not out.exists()
    out.mkdir(exist_ok=True)
    written: list[Path] = []
    try:
        for file in prepared.files:
            written.append(write_csv(out / file.name, file.header, file.rows))
    except BaseException:
        _remove(written, out if created else None)
        raise
    try:
        audit_export(repos, "export.research_csv", prepared.client_ids, prepared.detail)
    except BaseException:
        _remove(written, out if created else None)
        raise
    return ResearchResult(out, written, prepared.rows, prepared.subjects, prepared.detail)


def export_research_csv(
    repos: Repos,
    folder: str | os.PathLike[str],
    options: ResearchOptions,
    *,
    rng: random.Random | None = None,
) -> ResearchResult:
    """Write the chosen CSVs and ``data_dictionary.csv`` into ``folder``; audited."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; choose a folder for the CSV files.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.")
    return write_research_csv(repos, out, prepare_research_csv(repos, options, rng=rng))


def _remove(paths: list[Path], folder: Path | None) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
    if folder is not None:
        with contextlib.suppress(OSError):
            folder.rmdir()


__all__ = [
    "DICTIONARY",
    "KINDS",
    "ResearchExport",
    "ResearchFile",
    "ResearchOptions",
    "ResearchResult",
    "export_research_csv",
    "prepare_research_csv",
    "write_research_csv",
]
