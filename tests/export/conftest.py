"""A realistic client with a signed session, built through the real repositories.

Built once per test module (a vault takes a moment to create); tests that only read the
records share it. Names cover Latin with diacritics, Greek, Cyrillic and CJK.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from support import PASSPHRASE

from kapcompanion.core.checklist import (
    MusicPreferences,
    default_template,
    new_checklist,
    update_item,
)
from kapcompanion.core.clock import ChangeKind, PhaseChange, default_phases
from kapcompanion.core.discharge import Discharge
from kapcompanion.core.dose import DoseBand, DosePlan, Route
from kapcompanion.core.intake import Contact
from kapcompanion.core.integration import IntegrationEntry, IntegrationKind
from kapcompanion.core.measures import MeasureContext, instrument, record_response
from kapcompanion.core.models import (
    Client,
    Course,
    DosingSession,
    EventKind,
    FlagKind,
    SessionEvent,
    SessionStatus,
    StoredDocument,
)
from kapcompanion.core.screening import SCREENING_ITEMS, Answer, Screening, answer, apply_override
from kapcompanion.core.serial import to_jsonable
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind
from kapcompanion.core.vitals import VitalReading, flag_reading

DOSE = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
CLIENT_NAME = "Zoë Ångström"
INTENTION = "To meet my grief with kindness; 王小明 taught me patience."
CLIENT_WORDS = "Дмитрий is here with me, it is warm and very quiet."
INTEGRATION_ANSWER = "Δημήτρης came to mind; my shoulders let go."
DEBRIEF = "Calm return. The client described the peak as spacious and safe."
ADDENDUM = "Client phoned the next day: slept well, no nausea."
TRACKS = [
    ("Harbour Light", "Ambient Ensemble", "arrival", -600),
    ("Tidal Drift", "Ambient Ensemble", "onset", 60),
    ("Slow Horizon", "Mira Solano", "peak", 600),
    ("Homeward", "Mira Solano", "return", 3300),
]


@dataclass
class Built:
    """Ids of what :func:`build` stored, and the texts tests look for in the PDFs."""

    CLIENT_NAME: ClassVar[str] = CLIENT_NAME
    INTENTION: ClassVar[str] = INTENTION
    CLIENT_WORDS: ClassVar[str] = CLIENT_WORDS
    INTEGRATION_ANSWER: ClassVar[str] = INTEGRATION_ANSWER
    DEBRIEF: ClassVar[str] = DEBRIEF
    ADDENDUM: ClassVar[str] = ADDENDUM

    path: Path
    vault: Any
    repos: Any
    client_id: int
    course_id: int
    session_id: int
    touch: TouchAgreement
    extra_session_id: int


def _id(value: int | None) -> int:
    assert value is not None
    return value


def _answers(total: int) -> dict[int, int]:
    """PHQ-9 answers adding up to ``total`` (item 9 kept at 0)."""
    out = {n: 0 for n in range(1, 10)}
    rest = total
    for n in range(1, 9):
        out[n] = min(3, rest)
        rest -= out[n]
    assert rest == 0
    return out


def _doc(
    repos: Any,
    kind: str,
    data: Any,
    client_id: int,
    session_id: int | None = None,
    sign: str | None = None,
) -> None:
    doc = repos.documents.save(
        StoredDocument(
            kind=kind, data=to_jsonable(data), client_id=client_id, session_id=session_id
        )
    )
    if sign:
        repos.documents.sign(doc.id, sign)


def build(tmp: Path, *, part2: bool = True) -> Built:
    from kapcompanion.store.repos import Repos
    from kapcompanion.store.vault import Vault

    path = tmp / "records.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Ana Müller"})
    vault.set_practitioner(
        {
            "name": "Dr Ana Müller",
            "credentials": "MD, psychiatrist",
            "clinic": "Harbour Clinic",
            "licence_number": "MD-12345",
        }
    )
    from kapcompanion.core.settings import PART2_NOTICE
    from kapcompanion.services import settings

    settings.set_value(vault, PART2_NOTICE, part2)
    repos = Repos(vault)
    client = repos.clients.add(
        Client(name=CLIENT_NAME, dob=date(1980, 3, 3), identifier="K-0042", pseudonym="Zo")
    )
    cid = _id(client.id)
    course = repos.courses.save(
        Course(
            client_id=cid,
            indication="Treatment-resistant depression",
            planned_sessions=6,
            started_on=date(2025, 2, 17),
            goals="Less rumination.",
        )
    )
    # Screening with one flag and a physician's override, signed.
    screening = Screening(screened_on=date(2025, 2, 10))
    for item in SCREENING_ITEMS:
        screening = answer(screening, item.key, Answer.NO)
    screening = answer(screening, "active_substance_use", Answer.YES, "Wine twice a week")
    screening = apply_override(
        screening,
        "Agreed to abstain for the course.",
        "Dr Ana Müller",
        datetime(2025, 2, 11, 10, 0, tzinfo=UTC),
    )
    _doc(repos, "screening", screening, cid, sign="Dr Ana Müller")

    plan = DosePlan(
        Route.IM, weight_kg=70.0, mg_per_kg=0.75, total_mg=52.5, lot="LOT-7781", band=DoseBand.LOW
    )
    discharge = Discharge(
        alert_oriented=True,
        vitals_near_baseline=True,
        walks_unassisted=True,
        escort_present=True,
        aftercare_reminded=True,
        escort_name="Lena Ångström",
        aldrete={
            "activity": 2,
            "respiration": 2,
            "circulation": 2,
            "consciousness": 1,
            "oxygen_saturation": 2,
        },
        discharged_at=DOSE + timedelta(minutes=130),
    )
    session = repos.sessions.save(
        DosingSession(
            client_id=cid,
            course_id=course.id,
            number=2,
            status=SessionStatus.ENDED,
            started_utc=DOSE - timedelta(minutes=15),
            dose_utc=DOSE,
            ended_utc=DOSE + timedelta(minutes=130),
            plan=to_jsonable(plan),
            phases=to_jsonable(default_phases(Route.IM)),
            phase_changes=[to_jsonable(PhaseChange(ChangeKind.EXTEND, 1800.0, 10.0))],
            discharge=to_jsonable(discharge),
            debrief=DEBRIEF,
        )
    )
    sid = _id(session.id)
    touch = TouchAgreement(
        welcome=[TouchKind.HAND_ON_SHOULDER],
        other_detail="",
        ask_first=True,
        when_distressed=DistressPreference.WORDS_ONLY,
        agreed_on=date(2025, 2, 24),
    )
    checklist = new_checklist(default_template())
    at = DOSE - timedelta(days=1)
    for entry in default_template().items:
        checklist = update_item(checklist, entry.key, at, done=True)
    checklist = update_item(checklist, "stop_signal", at, value="Raising the left hand")
    checklist = update_item(checklist, "escort", at, contact=Contact("Lena Ångström", "+46 70 123"))
    checklist = update_item(checklist, "fasting_since", at, value="06:00")
    checklist = update_item(checklist, "consent_signed", at, value="2025-02-17")
    checklist = update_item(checklist, "rescue_medication", at, done=False)
    checklist.intention = INTENTION
    checklist.touch = touch
    checklist.music = MusicPreferences(likes=["Ambient"], avoid=["Choral music"], volume=40)
    _doc(repos, "checklist", checklist, cid, sid, sign="Dr Ana Müller")

    def ev(kind: EventKind, minutes: float, **payload: Any) -> SessionEvent:
        return repos.events.add(
            SessionEvent(
                session_id=sid,
                kind=kind,
                utc=DOSE + timedelta(minutes=minutes),
                offset_s=minutes * 60,
                payload=payload,
            ),
            cid,
        )

    ev(EventKind.SESSION_STARTED, -15, text="Opening ritual")
    ev(EventKind.DOSE_GIVEN, 0, text="Deltoid, left arm")
    words = ev(EventKind.CLIENT_WORDS, 22.5, text="It is cold in here.")
    ev(EventKind.TOUCH_OFFERED, 25, touch_kind="hand_on_shoulder", asked=True, reason="")
    ev(EventKind.NAUSEA, 40, text="Brief nausea, settled")
    ev(EventKind.MEDICATION_GIVEN, 41, name="Ondansetron", dose="4 mg", route="sublingual")
    ev(EventKind.ADVERSE_EVENT, 42, severity="mild", text="Vomited once")
    ev(EventKind.OBSERVATION, 70, text="Breathing slow and even")
    ev(EventKind.SESSION_ENDED, 130, text="")
    repos.events.correct(
        words,
        {"text": CLIENT_WORDS},
        "Misheard at the time",
        DOSE + timedelta(minutes=90),
        cid,
    )
    for title, artist, phase, offset in TRACKS:
        start = DOSE + timedelta(seconds=offset)
        end = start + timedelta(minutes=8)
        payload = {
            "title": title,
            "artist": artist,
            "location": f"/music/{title}.ogg",
            "phase": phase,
            "started_utc": start.isoformat(),
        }
        ev(EventKind.MUSIC_STARTED, offset / 60, **payload)
        ev(EventKind.MUSIC_ENDED, offset / 60 + 8, **payload, ended_utc=end.isoformat())

    for minutes, sys_, dia, hr, spo2, pre in (
        (-10, 128, 82, 72, 98, True),
        (15, 164, 102, 96, 97, False),
        (30, 138, 88, 84, 91, False),
        (60, 124, 80, 74, 98, False),
    ):
        reading = VitalReading(
            sys_,
            dia,
            hr,
            spo2,
            DOSE + timedelta(minutes=minutes),
            offset_s=minutes * 60.0,
            pre_dose=pre,
        )
        reading.flags = flag_reading(reading)
        repos.vitals.add(sid, reading, cid)

    integration = IntegrationEntry(
        session_id=sid,
        kind=IntegrationKind.SAME_DAY_DEBRIEF,
        entry_date=date(2025, 3, 3),
        prompt_answers={"somatic.release": INTEGRATION_ANSWER},
        free_text="Will walk daily.",
        mood=6,
        title="Same-day debrief",
        prompt_set_id="integration",
        prompt_set_version="1",
    )
    _doc(repos, "integration", integration, cid, sid)

    phq9 = instrument("phq9")
    for day, total, ctx in (
        (date(2025, 2, 10), 19, MeasureContext.BASELINE),
        (date(2025, 3, 3), 12, MeasureContext.PRE_SESSION),
        (date(2025, 3, 24), 6, MeasureContext.END_OF_COURSE),
    ):
        taken = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
        resp = record_response(phq9, _answers(total), taken_on=taken, context=ctx)
        _doc(repos, "measure", resp, cid)
    flag = repos.flags.raise_flag(
        cid, FlagKind.SUICIDE_RISK, "phq9", "PHQ-9 item 9 answered 1 on 10 February"
    )
    repos.flags.resolve(_id(flag.id), "Safety plan made; no current intent.")
    _doc(repos, "safety_plan", {"text": "Call Lena; crisis line 112."}, cid)

    repos.sessions.sign(sid, "Dr Ana Müller")
    repos.addenda.add("session", sid, ADDENDUM, cid)
    extra = repos.sessions.save(
        DosingSession(
            client_id=cid,
            course_id=course.id,
            number=3,
            planned_for=DOSE + timedelta(days=14),
        )
    )
    return Built(path, vault, repos, cid, _id(course.id), sid, touch, _id(extra.id))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    # Module scope runs before the per-test home redirect: redirect here too, so nothing
    # (the checklist template lookup reads the clinic's template folder) sees real data.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAPCOMPANION_HOME", str(tmp_path_factory.mktemp("home")))
        b = build(tmp_path_factory.mktemp("vault"))
        yield b
        b.vault.close()
