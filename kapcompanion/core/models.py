"""The records of a KAP course, as plain dataclasses.

Rules live beside them in their own modules (screening, dose, clock, vitals, checklist,
measures, ...); this module holds the records that the vault stores as rows: practitioner,
client, course, dosing session, session event, safety flag and addendum. Identifiers are
``None`` until the vault assigns them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from kapcompanion.core.intake import Contact
from kapcompanion.core.units import Height, Weight


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(record: _Stored) -> int:
    """The id of a record read from the vault (which always has one); a record that was
    never stored has none, and asking for it is a programming error."""
    if record.id is None:
        raise ValueError(f"{type(record).__name__} has not been stored")
    return record.id


@dataclass
class Practitioner:
    name: str = ""
    credentials: str = ""
    clinic: str = ""
    licence_number: str = ""
    phone: str = ""
    email: str = ""


#: a person to reach (emergency contact, escort): the same record intake uses
ContactInfo = Contact


class ClientStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


@dataclass
class Client:
    name: str
    pseudonym: str = ""
    dob: date | None = None
    pronouns: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_contact: ContactInfo | None = None
    escort: ContactInfo | None = None
    indications: list[str] = field(default_factory=list)
    identifier: str = ""
    notes: str = ""
    status: ClientStatus = ClientStatus.ACTIVE
    #: the last measured weight and height, each dated, in the unit they were entered in;
    #: the dose plan offers the weight (kept in the record's JSON data: no schema change)
    weight: Weight | None = None
    height: Height | None = None
    id: int | None = None
    next_session: datetime | None = None
    created_utc: datetime | None = None
    updated_utc: datetime | None = None

    @property
    def display_name(self) -> str:
        return self.pseudonym or self.name

    @property
    def first_name(self) -> str:
        """What the session screen may show: a pseudonym, or the first given name only."""
        if self.pseudonym:
            return self.pseudonym
        return self.name.split()[0] if self.name.split() else ""


class CourseStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"


@dataclass
class Course:
    client_id: int
    indication: str = ""
    planned_sessions: int = 6
    schedule: str = ""
    status: CourseStatus = CourseStatus.ACTIVE
    started_on: date | None = None
    ended_on: date | None = None
    goals: str = ""
    notes: str = ""
    id: int | None = None


class SessionStatus(StrEnum):
    PLANNED = "planned"
    STARTED = "started"  # the opening ritual began; no dose yet
    DOSED = "dosed"  # the session clock runs from the dose
    ENDED = "ended"  # discharged; the record can be signed


@dataclass
class DosingSession:
    client_id: int
    course_id: int | None = None
    number: int = 1
    status: SessionStatus = SessionStatus.PLANNED
    planned_for: datetime | None = None
    started_utc: datetime | None = None
    dose_utc: datetime | None = None
    ended_utc: datetime | None = None
    signed_utc: datetime | None = None
    #: dose plan (core.dose.DosePlan as data), planned phases, phase changes, discharge, ...
    plan: dict[str, Any] = field(default_factory=dict)
    phases: list[dict[str, Any]] = field(default_factory=list)
    phase_changes: list[dict[str, Any]] = field(default_factory=list)
    vitals_every_min: int = 15
    readiness_override: str = ""
    discharge: dict[str, Any] = field(default_factory=dict)
    debrief: str = ""
    id: int | None = None

    @property
    def running(self) -> bool:
        return self.status in (SessionStatus.STARTED, SessionStatus.DOSED)


class EventKind(StrEnum):
    SESSION_STARTED = "session_started"
    BELL = "bell"
    DOSE_GIVEN = "dose_given"
    EXTRA_DOSE = "extra_dose"
    VITALS = "vitals"
    NAUSEA = "nausea"
    DISTRESS = "distress"
    TOUCH_OFFERED = "touch_offered"
    MEDICATION_GIVEN = "medication_given"
    CLIENT_WORDS = "client_words"
    OBSERVATION = "observation"
    BATHROOM = "bathroom"
    ADVERSE_EVENT = "adverse_event"
    NOTE = "note"
    PHASE_ADVANCED = "phase_advanced"
    PHASE_EXTENDED = "phase_extended"
    MUSIC_STARTED = "music_started"
    MUSIC_ENDED = "music_ended"
    MUSIC_CHANGE = "music_change"
    CORRECTION = "correction"
    SESSION_ENDED = "session_ended"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    APP_INTERRUPTED = "app_interrupted"
    APP_RESUMED = "app_resumed"
    SEDATION_CHECK = "sedation_check"
    DISSOCIATION_CHECK = "dissociation_check"
    RESPIRATION_CHECK = "respiration_check"

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self, self.value.replace("_", " ").capitalize())


EVENT_LABELS: dict[EventKind, str] = {
    EventKind.SESSION_STARTED: "Session started",
    EventKind.BELL: "Opening bell",
    EventKind.DOSE_GIVEN: "Dose given",
    EventKind.EXTRA_DOSE: "Extra dose",
    EventKind.VITALS: "Vitals",
    EventKind.NAUSEA: "Nausea or vomiting",
    EventKind.DISTRESS: "Distress",
    EventKind.TOUCH_OFFERED: "Touch offered",
    EventKind.MEDICATION_GIVEN: "Medication given",
    EventKind.CLIENT_WORDS: "Client's words",
    EventKind.OBSERVATION: "Therapist observation",
    EventKind.BATHROOM: "Bathroom",
    EventKind.ADVERSE_EVENT: "Adverse event",
    EventKind.NOTE: "Note",
    EventKind.PHASE_ADVANCED: "Moved to next phase",
    EventKind.PHASE_EXTENDED: "Phase extended",
    EventKind.MUSIC_STARTED: "Music started",
    EventKind.MUSIC_ENDED: "Music ended",
    EventKind.MUSIC_CHANGE: "Music changed",
    EventKind.CORRECTION: "Correction",
    EventKind.SESSION_ENDED: "Session ended",
    EventKind.ALERT_ACKNOWLEDGED: "Vitals alert acknowledged",
    EventKind.APP_INTERRUPTED: "App stopped unexpectedly",
    EventKind.APP_RESUMED: "App closed and reopened",
    EventKind.SEDATION_CHECK: "Sedation",
    EventKind.DISSOCIATION_CHECK: "Dissociation",
    EventKind.RESPIRATION_CHECK: "Breathing check",
}


@dataclass
class SessionEvent:
    session_id: int
    kind: EventKind
    utc: datetime
    offset_s: float | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    corrects_id: int | None = None
    id: int | None = None


class FlagKind(StrEnum):
    SUICIDE_RISK = "suicide_risk"
    SCREENING_OVERRIDE = "screening_override"


@dataclass
class SafetyFlag:
    client_id: int
    kind: FlagKind
    raised_utc: datetime
    source: str = ""
    reason: str = ""
    resolved_utc: datetime | None = None
    resolved_by: str = ""
    resolution_note: str = ""
    id: int | None = None
    #: the document whose answers raised it (a questionnaire response), when there is one
    source_document_id: int | None = None

    @property
    def active(self) -> bool:
        return self.resolved_utc is None


@dataclass
class Addendum:
    record_type: str
    record_id: int
    author: str
    utc: datetime
    text: str
    id: int | None = None


#: document kinds that are clinical notes and wait for the practitioner's signature; measure
#: responses (client self-report) and course plans are records but not notes to sign
SIGNABLE_KINDS: tuple[str, ...] = ("screening", "intake", "checklist", "integration", "safety_plan")


class DocStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


@dataclass
class StoredDocument:
    """A record kept as a document: screening, intake, checklist, integration entry, measure."""

    kind: str
    data: dict[str, Any]
    client_id: int | None = None
    course_id: int | None = None
    session_id: int | None = None
    status: DocStatus = DocStatus.DRAFT
    created_utc: datetime | None = None
    updated_utc: datetime | None = None
    signed_utc: datetime | None = None
    signed_by: str = ""
    id: int | None = None
    #: raised by one on every save; a save based on an older one is refused (0: not stored)
    revision: int = 0

    @property
    def signed(self) -> bool:
        return self.status is DocStatus.SIGNED
