"""iCalendar output: structure, UTC times, CRLF, 75-octet folding and TEXT escaping.

The file is checked line by line and parsed back with a small RFC 5545 reader written
here (unfold, split name/value, unescape), so the test does not trust the writer.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kapcompanion.core.course_plan import agenda, mark_done, move, plan_course
from kapcompanion.core.ics import CalendarEvent, agenda_events, escape_text, fold_line, to_ics

NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    logical: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            assert nxt in "nN\\;,", f"bad escape \\{nxt}"
            i += 2
        else:
            assert value[i] not in ";,", "unescaped TEXT separator"
            out.append(value[i])
            i += 1
    return "".join(out)


def parse(text: str) -> list[dict[str, str]]:
    """Events as dicts of raw values; also checks BEGIN/END nesting."""
    events: list[dict[str, str]] = []
    stack: list[str] = []
    for line in unfold(text):
        name, _, value = line.partition(":")
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value
        elif stack[-1] == "VEVENT":
            assert name not in events[-1], f"duplicate {name}"
            events[-1][name] = value
    assert stack == []
    return events


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
    assert first["DTSTAMP"] == "20250201T120000Z"
    assert first["DTSTART"] == "20250303T090000Z"  # 10:00 Berlin (CET) is 09:00 UTC
    assert first["DTEND"] == "20250303T110000Z"
    assert unescape(first["SUMMARY"]) == "Client A: dosing session 1"
    for ev in events:
        for key in ("DTSTAMP", "DTSTART", "DTEND"):
            assert re.fullmatch(r"\d{8}T\d{6}Z", ev[key])


def test_text_escaping_round_trips() -> None:
    nasty = 'Back\\slash; semi, comma\nnew line\r\nCRLF "quotes" \x07bell'
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    ev = parse(to_ics([event(summary=nasty, description=nasty)], now=NOW))[0]
    expected = 'Back\\slash; semi, comma\nnew line\nCRLF "quotes" bell'
    assert unescape(ev["SUMMARY"]) == expected
    assert unescape(ev["DESCRIPTION"]) == expected


def test_long_lines_fold_at_75_octets_without_splitting_utf8() -> None:
    summary = "Séance d'intégration — " * 12 + "🙂" * 30
    text = to_ics([event(summary=summary, location="Raum 3, Büro")], now=NOW)
    pieces = text.encode("utf-8").split(b"\r\n")[:-1]
    assert all(len(p) <= 75 for p in pieces)  # octets, not characters
    assert max(len(p.decode("utf-8")) for p in pieces) < 75  # multi-byte lines fold earlier
    emoji_lines = [p for p in pieces if p.startswith(" 🙂".encode())]
    assert emoji_lines and all(len(p) == 73 for p in emoji_lines[:-1])  # 1 + 18 x 4 octets
    ev = parse(text)[0]
    assert unescape(ev["SUMMARY"]) == summary
    assert unescape(ev["LOCATION"]) == "Raum 3, Büro"
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


def test_course_export_uses_only_the_pseudonym_and_stable_uids() -> None:
    plan = plan_course(date(2025, 3, 3), 2, 1, True, time(10, 0), tz=BERLIN)
    plan[0] = mark_done(plan[0], session_id=5, note="Private clinical note")
    items = agenda({"Falcon": plan}, date(2025, 3, 1), date(2025, 3, 31))
    text = to_ics(agenda_events(items), now=NOW)
    events = parse(text)
    assert [unescape(e["SUMMARY"]) for e in events] == [
        "Falcon: dosing session 1",
        "Falcon: integration session 1",
        "Falcon: dosing session 2",
        "Falcon: integration session 2",
    ]
    assert "Private clinical note" not in text
    assert unescape(events[0]["DESCRIPTION"]) == "Dosing session 1 (done)"
    assert len({e["UID"] for e in events}) == 4

    # Moving an appointment keeps its UID (the calendar updates it) and bumps SEQUENCE.
    plan[2] = move(plan[2], plan[2].planned_for + timedelta(days=1))
    again = parse(to_ics(agenda_events(agenda({"Falcon": plan}, date(2025, 3, 1),
                                              date(2025, 3, 31))), now=NOW))  # fmt: skip
    assert [e["UID"] for e in again] == [e["UID"] for e in events]
    assert again[2]["SEQUENCE"] == "1" and again[2]["DTSTART"] == "20250307T090000Z"
    assert events[2]["SEQUENCE"] == "0"

    labelled = agenda_events(items, label=lambda c: "F.", include_notes=True)
    assert labelled[0].summary == "F.: dosing session 1"
    assert labelled[0].description.endswith("\nPrivate clinical note")
