"""Outcome measures as use cases: saving a form with its flags, the schedule, what is due.

Every user action that writes is one function here that owns its transaction: saving a
questionnaire stores the ``measure`` document and raises every flag its rules raise (PHQ-9
item 9 -> the client's suicide-risk flag) in the same commit, whichever path saves it (the
form, the demo, an import, the command line). A crash cannot leave a positive item 9 without
its flag: the form and the flag are one transaction or neither is on disk.

The instruments come with the clinic's choices applied (:func:`instruments`: the PCL-5 bands
at the clinic's cut-point within the published 31-33, setting ``pcl5_cutpoint``).

"Due" follows the clinic's
:class:`~kapcompanion.core.schedule.MeasureSchedule` (stored in the vault under
``measure_schedule``): baseline until each baseline instrument has a baseline form,
before the next planned dosing session until that session has its forms, and at the end
of the course once the planned number of sessions has ended.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from kapcompanion.core import serial, wording
from kapcompanion.core.measures import (
    Instrument,
    MeasureContext,
    MeasureResponse,
    load_instruments,
    raised_flags,
    record_response,
)
from kapcompanion.core.models import (
    Course,
    CourseStatus,
    DosingSession,
    FlagKind,
    SafetyFlag,
    SessionStatus,
    StoredDocument,
)
from kapcompanion.core.schedule import MeasureSchedule, due_measures
from kapcompanion.core.settings import PCL5_CUTPOINT, Setting
from kapcompanion.store import settings as stored_settings
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

log = logging.getLogger(__name__)

MEASURE = "measure"
SAFETY_PLAN = "safety_plan"
#: instruments whose cut-point the clinic picks within the published range, and the setting
CUTPOINT_SETTINGS: dict[str, Setting] = {"pcl5": PCL5_CUTPOINT}

SCHEDULE_KEY = "measure_schedule"
#: the order instruments are listed in (the rest follow by name)
PREFERRED_ORDER = ("phq9", "gad7", "pcl5", "aaq2", "craving10", "craving100")

CONTEXT_WORDS: dict[MeasureContext, str] = {
    MeasureContext.BASELINE: "Baseline",
    MeasureContext.PRE_SESSION: "Before a dosing session",
    MeasureContext.END_OF_COURSE: "End of course",
    MeasureContext.OTHER: "Other",
}


# ------------------------------------------------------------------ instruments
def instruments(vault: Vault) -> dict[str, Instrument]:
    """Every instrument by id, with the clinic's cut-points applied (PCL-5: 31, 32 or 33)."""
    found = load_instruments()
    for inst_id, setting in CUTPOINT_SETTINGS.items():
        inst = found.get(inst_id)
        if inst is not None and inst.cutpoint is not None:
            chosen = int(stored_settings.read(vault, setting))
            if inst.cutpoint.low <= chosen <= inst.cutpoint.high:
                found[inst_id] = inst.with_cutpoint(chosen)
    return found


def instrument(vault: Vault, instrument_id: str) -> Instrument:
    """One instrument with the clinic's choices; VaultError names the known ids."""
    known = instruments(vault)
    try:
        return known[instrument_id]
    except KeyError:
        raise VaultError(
            f"There is no questionnaire {instrument_id!r} (known: {', '.join(sorted(known))})."
        ) from None


def ordered_instrument_ids(ids: Iterable[str] | None = None) -> list[str]:
    known = load_instruments()
    wanted = list(known) if ids is None else [i for i in ids if i in known]
    first = [i for i in PREFERRED_ORDER if i in wanted]
    rest = sorted((i for i in wanted if i not in first), key=lambda i: known[i].short_name)
    return first + rest


# ------------------------------------------------------------------ schedule
def load_schedule(vault: Vault) -> MeasureSchedule:
    """The clinic's schedule, or the default; unknown instrument ids are dropped."""
    data = vault.get_json(SCHEDULE_KEY)
    schedule = MeasureSchedule()
    if isinstance(data, dict):
        try:
            schedule = serial.load(MeasureSchedule, data)
        except (TypeError, ValueError):
            log.warning("the stored measure schedule is unreadable; using the default")
    known = load_instruments()
    return MeasureSchedule(
        baseline=[i for i in schedule.baseline if i in known],
        pre_session=[i for i in schedule.pre_session if i in known],
        end_of_course=[i for i in schedule.end_of_course if i in known],
    )


def save_schedule(vault: Vault, schedule: MeasureSchedule) -> None:
    """Store the clinic's schedule (audited, in one transaction); unknown ids are refused."""
    known = load_instruments()
    unknown = sorted(
        {
            i
            for ids in (schedule.baseline, schedule.pre_session, schedule.end_of_course)
            for i in ids
        }
        - set(known)
    )
    if unknown:
        raise VaultError(f"The schedule names unknown questionnaires: {', '.join(unknown)}.")
    data = serial.to_jsonable(schedule)
    with vault.transaction() as tx:
        vault.set_json(SCHEDULE_KEY, data, tx)
        detail = "; ".join(f"{k}: {','.join(v) or '-'}" for k, v in data.items())
        vault.audit("measure_schedule.update", record_type="settings", detail=detail, conn=tx)


# ------------------------------------------------------------------ responses
@dataclass
class StoredResponse:
    doc: StoredDocument
    response: MeasureResponse


def responses(repos: Repos, client_id: int) -> list[StoredResponse]:
    """The client's stored forms, oldest first (unreadable ones are skipped and logged)."""
    found: list[StoredResponse] = []
    for doc in repos.documents.find(MEASURE, client_id=client_id):
        try:
            found.append(StoredResponse(doc, serial.load(MeasureResponse, doc.data)))
        except (TypeError, ValueError, KeyError):
            log.warning("measure document %s could not be read", doc.id)
    found.sort(key=lambda s: (s.response.taken_on, s.doc.id or 0))
    return found


def current_course(repos: Repos, client_id: int) -> Course | None:
    courses = repos.courses.for_client(client_id)
    active = [c for c in courses if c.status is CourseStatus.ACTIVE]
    chosen = active or courses
    return chosen[-1] if chosen else None


def next_planned_session(sessions: Iterable[DosingSession]) -> DosingSession | None:
    planned = [s for s in sessions if s.status is SessionStatus.PLANNED]
    planned.sort(key=lambda s: (s.planned_for is None, s.planned_for or datetime.max, s.number))
    return planned[0] if planned else None


def client_name(repos: Repos, client_id: int) -> str:
    """The name a measure screen shows in its title (the read is audited as a view)."""
    return repos.clients.get(client_id).display_name


def upcoming_session(repos: Repos, client_id: int) -> DosingSession | None:
    """The client's next planned dosing session (a pre-session form is linked to it)."""
    return next_planned_session(repos.sessions.for_client(client_id))


def session(repos: Repos, session_id: int) -> DosingSession:
    return repos.sessions.get(session_id)


def held_session_days(repos: Repos, client_id: int) -> list[tuple[int, date]]:
    """(number, day) of every session that is no longer only planned, for progress charts."""
    held: list[tuple[int, date]] = []
    for s in repos.sessions.for_client(client_id):
        day = session_day(s)
        if s.status is not SessionStatus.PLANNED and day is not None:
            held.append((s.number, day))
    return held


def session_day(session: DosingSession) -> date | None:
    when = session.dose_utc or session.started_utc or session.planned_for
    return when.astimezone().date() if when else None


def taken_for(
    context: MeasureContext,
    stored: Iterable[StoredResponse],
    session: DosingSession | None = None,
    since: date | None = None,
) -> set[str]:
    """Instrument ids already completed for one occasion (incomplete forms count as taken)."""
    day = session_day(session) if session is not None else None
    ids: set[str] = set()
    for s in stored:
        r = s.response
        if context is MeasureContext.PRE_SESSION and session is not None:
            same_session = session.id is not None and r.session_id == session.id
            same_day = (
                r.context is MeasureContext.PRE_SESSION
                and r.session_id is None
                and day is not None
                and r.taken_on.astimezone().date() == day
            )
            if same_session or same_day:
                ids.add(r.instrument_id)
        elif r.context is context and (since is None or r.taken_on.astimezone().date() >= since):
            ids.add(r.instrument_id)
    return ids


@dataclass
class DueGroup:
    """Forms due for one occasion: what, when, and the session they belong to."""

    context: MeasureContext
    label: str
    instrument_ids: list[str]
    session_id: int | None = None
    when: datetime | None = None

    def names(self) -> str:
        known = load_instruments()
        return ", ".join(known[i].short_name for i in self.instrument_ids if i in known)


def _course_over(course: Course | None, sessions: list[DosingSession]) -> bool:
    if course is None:
        return False
    if course.status is CourseStatus.COMPLETED:
        return True
    ended = [
        s
        for s in sessions
        if s.status is SessionStatus.ENDED and (s.course_id in (course.id, None))
    ]
    return course.planned_sessions > 0 and len(ended) >= course.planned_sessions


def due_for_client(
    repos: Repos,
    client_id: int,
    schedule: MeasureSchedule,
    stored: list[StoredResponse] | None = None,
) -> list[DueGroup]:
    """Every occasion with forms still due, in course order."""
    stored = responses(repos, client_id) if stored is None else stored
    sessions = repos.sessions.for_client(client_id)
    course = current_course(repos, client_id)
    groups: list[DueGroup] = []
    base = due_measures(
        schedule, MeasureContext.BASELINE, taken_for(MeasureContext.BASELINE, stored)
    )
    if base:
        groups.append(DueGroup(MeasureContext.BASELINE, "Baseline (at intake)", base))
    upcoming = next_planned_session(sessions)
    if upcoming is not None:
        pre = due_measures(
            schedule,
            MeasureContext.PRE_SESSION,
            taken_for(MeasureContext.PRE_SESSION, stored, upcoming),
        )
        if pre:
            when = upcoming.planned_for
            on = f", planned {wording.appointment_day(when.astimezone())}" if when else ""
            groups.append(
                DueGroup(
                    MeasureContext.PRE_SESSION,
                    f"Before session {upcoming.number}{on}",
                    pre,
                    upcoming.id,
                    when,
                )
            )
    if _course_over(course, sessions):
        since = course.started_on if course is not None else None
        end = due_measures(
            schedule,
            MeasureContext.END_OF_COURSE,
            taken_for(MeasureContext.END_OF_COURSE, stored, since=since),
        )
        if end:
            groups.append(DueGroup(MeasureContext.END_OF_COURSE, "End of course", end))
    return groups


def due_ids(
    repos: Repos,
    client_id: int,
    schedule: MeasureSchedule,
    context: MeasureContext,
    session_id: int | None = None,
) -> list[str]:
    """What is still due for one occasion (the measure form lists these first)."""
    stored = responses(repos, client_id)
    session: DosingSession | None = None
    if context is MeasureContext.PRE_SESSION:
        sessions = repos.sessions.for_client(client_id)
        if session_id is not None:
            session = next((s for s in sessions if s.id == session_id), None)
        else:
            session = next_planned_session(sessions)
        if session is None:
            return list(schedule.pre_session)
    since = None
    if context is MeasureContext.END_OF_COURSE:
        course = current_course(repos, client_id)
        since = course.started_on if course else None
    return due_measures(schedule, context, taken_for(context, stored, session, since))


# ------------------------------------------------------------------ saving a form
@dataclass
class SavedResponse:
    """What one save committed: the document, the scored form, and the flags raised."""

    doc: StoredDocument
    response: MeasureResponse
    flags: list[SafetyFlag]
    #: messages of the flags raised by a positive answer (a blank item is not among them)
    positive: list[str]


def save_response(
    repos: Repos,
    client_id: int,
    instrument_id: str,
    answers: Mapping[int, int | None],
    *,
    taken_on: datetime,
    context: MeasureContext | str = MeasureContext.OTHER,
    session_id: int | None = None,
    incomplete_reason: str | None = None,
    extra_answers: Mapping[str, int | None] | None = None,
) -> SavedResponse:
    """Score and store one questionnaire, with every flag its rules raise, in one transaction.

    Refused before anything is written (``ValueError`` with a plain message, or
    :class:`~kapcompanion.core.measures.IncompleteForm` naming the blank items) when the
    answers do not fit the instrument. The ``measure`` document, its audit row, and each
    rule-raised client flag (PHQ-9 item 9 -> ``suicide_risk``) with its audit row commit
    together; an error at any step rolls all of them back.
    """
    inst = instrument(repos.vault, instrument_id)
    response = record_response(
        inst,
        answers,
        taken_on=taken_on,
        context=context,
        session_id=session_id,
        incomplete_reason=incomplete_reason,
        extra_answers=extra_answers,
    )
    course = current_course(repos, client_id)
    raised = [(f, message) for f, message in raised_flags(inst, response.answers) if f.raises]
    positive = [
        message
        for f, message in raised
        if (v := response.answers.get(f.item)) is not None and v >= f.min_value
    ]
    flags: list[SafetyFlag] = []
    with repos.vault.transaction():
        doc = repos.documents.save(
            StoredDocument(
                kind=MEASURE,
                client_id=client_id,
                course_id=course.id if course else None,
                session_id=session_id,
                data=serial.to_jsonable(response),
            )
        )
        for flag, message in raised:
            flags.append(
                repos.flags.raise_flag(
                    client_id, FlagKind(flag.raises), inst.short_name, message, doc.id
                )
            )
    return SavedResponse(doc, response, flags, positive)


def save_safety_plan(repos: Repos, client_id: int, text: str, source: str = "") -> StoredDocument:
    """Store a safety-plan note (document ``safety_plan``, ``{"text": ...}``), audited."""
    body = text.strip()
    if not body:
        raise VaultError("Write the safety plan first: an empty plan is not saved.")
    data = {"text": body}
    if source:
        data["source"] = source
    return repos.documents.save(StoredDocument(kind=SAFETY_PLAN, client_id=client_id, data=data))
