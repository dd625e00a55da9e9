"""iCalendar output: structure, UTC times, CRLF, 75-octet folding, TEXT escaping, SEQUENCE
and STATUS.

The file is parsed back with the ``icalendar`` package (an independent RFC 5545 parser), so
the test does not trust the writer; the octet-level rules (CRLF, folding) are checked on the
raw bytes, which a parser forgives.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from kapcompanion.core.course_plan import (
    AppointmentStatus,
    PlannedAppointment,
    agenda,
    cancel,
    mark_done,
    mark_missed,
    move,
    plan_course,
)
from kapcompanion.core.ics import CalendarEvent, agenda_events, escape_text, fold_line, to_ics

NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def parse(text: str) -> list[icalendar.Event]:
    """The VEVENTs, parsed by icalendar; the calendar must parse without errors."""
    calendar = icalendar.Calendar.from_ical(text)
    assert isinstance(calendar, icalendar.Calendar)
    for component in calendar.walk():
        assert component.errors == [], component.errors
    assert calendar["VERSION"] == "2.0" and str(calendar["PRODID"]).startswith("-//KAP")
    return [e for e in calendar.walk("VEVENT") if isinstance(e, icalendar.Event)]


def event(**kw: object) -> CalendarEvent:
    base: dict[str, object] = {
        "uid": "u1@test",
        "start": datetime(2025, 3, 3, 10, 0, tzinfo=BERLIN),
        "end": datetime(2025, 3, 3, 12, 0, tzinfo=BERLIN),
        "summary": "Client A: dosing session 1",
    }
    return CalendarEvent(**(base | kw))  # type: ignore[arg-type]


def test_calendar_structure_crlf_and_utc_times() -> None:
    text = to_ics([event(), event(uid="u2@test")], now=NOW, calendar_name="Course")
    assert "\n" not in text.replace("\r\n", "")  # no bare LF or CR
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    events = parse(text)
    assert len(events) == 2
    first = events[0]
    assert first["UID"] == "u1@test"
    assert first.decoded("DTSTAMP") == NOW
    assert first.decoded("DTSTART") == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert first.decoded("DTEND") == datetime(2025, 3, 3, 11, 0, tzinfo=UTC)
    assert str(first["SUMMARY"]) == "Client A: dosing session 1"
    assert first.decoded("SEQUENCE") == 0 and first["STATUS"] == "CONFIRMED"
    for key in ("DTSTAMP", "DTSTART", "DTEND"):  # written in UTC: no VTIMEZONE needed
        assert re.search(rf"\r\n{key}:\d{{8}}T\d{{6}}Z\r\n", text)


def test_text_escaping_round_trips() -> None:
    nasty = 'Back\\slash; semi, comma\nnew line\r\nCRLF "quotes" \x07bell'
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    ev = parse(to_ics([event(summary=nasty, description=nasty)], now=NOW))[0]
    expected = 'Back\\slash; semi, comma\nnew line\nCRLF "quotes" bell'
    assert str(ev["SUMMARY"]) == expected
    assert str(ev["DESCRIPTION"]) == expected


def test_long_lines_fold_at_75_octets_without_splitting_utf8() -> None:
    summary = "Séance d'intégration — " * 12 + "🙂" * 30
    text = to_ics([event(summary=summary, location="Raum 3, Büro")], now=NOW)
    pieces = text.encode("utf-8").split(b"\r\n")[:-1]
    assert all(len(p) <= 75 for p in pieces)  # octets, not characters
    assert max(len(p.decode("utf-8")) for p in pieces) < 75  # multi-byte lines fold earlier
    emoji_lines = [p for p in pieces if p.startswith(" 🙂".encode())]
    assert emoji_lines and all(len(p) == 73 for p in emoji_lines[:-1])  # 1 + 18 x 4 octets
    ev = parse(text)[0]
    assert str(ev["SUMMARY"]) == summary
    assert str(ev["LOCATION"]) == "Raum 3, Büro"
    folded = fold_line("X" * 200)
    assert [len(p) for p in folded.split("\r\n")] == [75, 75, 52]
    assert folded.replace("\r\n ", "") == "X" * 200
    assert fold_line("short") == "short"


def test_events_are_validated() -> None:
    with pytest.raises(ValueError, match="timezone"):
        event(start=datetime(2025, 3, 3, 10, 0))
    with pytest.raises(ValueError, match="end after"):
        event(end=datetime(2025, 3, 3, 9, 0, tzinfo=BERLIN))
    with pytest.raises(ValueError, match="UID"):
        event(uid="a\r\nb")
    with pytest.raises(ValueError, match="SEQUENCE"):
        event(sequence=-1)
    with pytest.raises(ValueError, match="status"):
        event(status="DELETED")


def export(plan: list[PlannedAppointment]) -> list[icalendar.Event]:
    items = agenda({"Falcon": plan}, date(2025, 3, 1), date(2025, 3, 31))
    return parse(to_ics(agenda_events(items), now=NOW))


def test_course_export_uses_only_the_pseudonym_and_stable_uids() -> None:
    plan = plan_course(date(2025, 3, 3), 2, 1, True, time(10, 0), tz=BERLIN)
    plan[0] = mark_done(plan[0], session_id=5, note="Private clinical note")
    items = agenda({"Falcon": plan}, date(2025, 3, 1), date(2025, 3, 31))
    text = to_ics(agenda_events(items), now=NOW)
    events = parse(text)
    assert [str(e["SUMMARY"]) for e in events] == [
        "Falcon: dosing session 1",
        "Falcon: integration session 1",
        "Falcon: dosing session 2",
        "Falcon: integration session 2",
    ]
    assert "Private clinical note" not in text
    assert str(events[0]["DESCRIPTION"]) == "Dosing session 1 (done)"
    assert len({str(e["UID"]) for e in events}) == 4

    labelled = agenda_events(items, label=lambda c: "F.", include_notes=True)
    assert labelled[0].summary == "F.: dosing session 1"
    assert labelled[0].description.endswith("\nPrivate clinical note")


def test_moving_twice_keeps_the_uid_and_counts_the_revisions() -> None:
    """RFC 5545 3.8.7.4: SEQUENCE grows with every revision (moved twice: 2)."""
    plan = plan_course(date(2025, 3, 3), 2, 1, True, time(10, 0), tz=BERLIN)
    first = export(plan)
    plan[2] = move(plan[2], plan[2].planned_for + timedelta(days=1))
    once = export(plan)
    plan[2] = move(plan[2], plan[2].planned_for + timedelta(days=2), "Asked to move again")
    twice = export(plan)
    uids = {str(e["SUMMARY"]): str(e["UID"]) for e in first}
    assert {str(e["SUMMARY"]): str(e["UID"]) for e in once} == uids
    assert {str(e["SUMMARY"]): str(e["UID"]) for e in twice} == uids  # now last in time
    assert [e.decoded("SEQUENCE") for e in first] == [0, 0, 0, 0]
    moved_once = next(e for e in once if str(e["SUMMARY"]) == "Falcon: dosing session 2")
    moved_twice = next(e for e in twice if str(e["SUMMARY"]) == "Falcon: dosing session 2")
    assert moved_once.decoded("SEQUENCE") == 1
    assert moved_once.decoded("DTSTART") == datetime(2025, 3, 7, 9, 0, tzinfo=UTC)
    assert moved_twice.decoded("SEQUENCE") == 2
    assert moved_twice.decoded("DTSTART") == datetime(2025, 3, 8, 9, 0, tzinfo=UTC)
    assert moved_twice["STATUS"] == "CONFIRMED"
    assert str(moved_twice["DESCRIPTION"]) == "Dosing session 2 (moved)"
    # a move stored before revisions were counted still sends SEQUENCE 1
    legacy = PlannedAppointment(
        plan[0].kind, plan[0].planned_for, AppointmentStatus.MOVED, plan[0].when + timedelta(1)
    )
    assert (
        agenda_events(agenda({"F": [legacy]}, date(2025, 3, 1), date(2025, 3, 31)))[0].sequence == 1
    )


def test_a_cancelled_appointment_is_sent_as_cancelled() -> None:
    plan = plan_course(date(2025, 3, 3), 2, 1, True, time(10, 0), tz=BERLIN)
    before = export(plan)
    plan[3] = cancel(move(plan[3], plan[3].planned_for + timedelta(hours=2)))
    after = export(plan)
    assert [str(e["UID"]) for e in after] == [str(e["UID"]) for e in before]
    gone = after[3]
    assert gone["STATUS"] == "CANCELLED" and gone.decoded("SEQUENCE") == 2  # moved, cancelled
    assert str(gone["DESCRIPTION"]) == "Integration session 2 (cancelled)"
    assert [e["STATUS"] for e in after[:3]] == ["CONFIRMED"] * 3
    with pytest.raises(ValueError, match="already cancelled"):
        move(plan[3], plan[3].when + timedelta(days=1))
    with pytest.raises(ValueError, match="already missed"):
        cancel(mark_missed(plan[0]))
