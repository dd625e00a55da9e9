"""The pieces the PDF records are made of: plain data, filled by :mod:`records`.

Kept apart from the gathering code so the renderers and tests can build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from kapcompanion.core.models import Client, Practitioner
from kapcompanion.core.vitals import VitalReading


@dataclass
class RecordHeader:
    practitioner: Practitioner
    client: Client
    generated_utc: datetime
    tz: tzinfo | None  # None: the computer's zone, DST-correct for each instant
    part2: bool = False
    page_size: str = "a4"
    anchor: str = ""  # the audit chain's head at export, N:HASH (no client data)


@dataclass
class Signature:
    signed: bool = False
    by: str = ""
    utc: datetime | None = None


@dataclass
class AddendumLine:
    about: str  # "Session record", "Preparation checklist", ...
    author: str
    utc: datetime
    text: str


@dataclass
class ScreeningSummary:
    outcome: str
    reasons: list[str]
    findings: list[tuple[str, str, str]]  # (item, answer, note) for yes/unknown answers
    screened_on: date | None
    overridden: bool
    override_reason: str = ""
    override_by: str = ""
    override_at: datetime | None = None
    signature: Signature = field(default_factory=Signature)


@dataclass
class ChecklistLine:
    section: str
    label: str
    required: bool
    done: bool
    value: str


@dataclass
class ChecklistSummary:
    template: str
    lines: list[ChecklistLine]
    intention: str
    touch_text: str
    music: str
    readiness_override: str = ""
    override_by: str = ""
    override_at: datetime | None = None
    signature: Signature = field(default_factory=Signature)


@dataclass
class DoseLine:
    what: str  # "Planned", "Given", "Extra dose"
    route: str
    mg_per_kg: float | None
    total_mg: float | None
    utc: datetime | None
    offset_s: float | None
    detail: str = ""


@dataclass
class VitalLine:
    reading: VitalReading
    flagged: set[str] = field(default_factory=set)


@dataclass
class IntegrationNote:
    entry_date: date
    kind: str
    title: str
    mood: int | None
    answers: list[tuple[str, str]]
    free_text: str
    signature: Signature = field(default_factory=Signature)


@dataclass
class SessionRow:
    number: int
    course_label: str
    when: datetime | None
    status: str
    route: str
    mg_per_kg: float | None
    total_mg: float | None
    band: str
    flagged_vitals: int
    alerts: int
    aldrete: int | None
    signed: bool


@dataclass
class MeasureSeries:
    instrument_id: str
    name: str
    short_name: str
    min_score: int
    max_score: int
    bands: list[tuple[int, int, str]]
    points: list[tuple[datetime, int, str, str]]  # (taken, score, band, context)
    incomplete: int
    flags: list[tuple[datetime, str]]
    words: str
