"""Write course appointments as an RFC 5545 iCalendar file, with no third-party package.

Calendar files leave the vault (they go to a phone or a shared calendar), so an event's
summary carries only the label the caller passes, which should be the client's pseudonym;
notes are left out unless asked for. UIDs are derived from the appointment's client key,
kind, number and original time, so exporting the same course again updates events in the
calendar instead of duplicating them. A moved appointment keeps its UID and its SEQUENCE is
the appointment's revision count (moved twice: 2), as RFC 5545 3.8.7.4 asks; a cancelled one
is exported with ``STATUS:CANCELLED`` so the calendar removes it instead of keeping a stale
event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from kapcompanion.core.course_plan import (
    AgendaItem,
    AppointmentKind,
    AppointmentStatus,
    PlannedAppointment,
)

PRODID = "-//KAP Companion//Course plan//EN"
_UID_NAMESPACE = uuid.UUID("0b7f3c1e-2d4a-5b6c-9e8f-7a6b5c4d3e2f")
_MAX_OCTETS = 75
#: RFC 5545 3.8.1.11: the event statuses
CONFIRMED, TENTATIVE, CANCELLED = "CONFIRMED", "TENTATIVE", "CANCELLED"

KIND_WORDS: dict[AppointmentKind, str] = {
    AppointmentKind.DOSING: "dosing session",
    AppointmentKind.INTEGRATION: "integration session",
    AppointmentKind.BOOSTER: "booster session",
    AppointmentKind.MEASURE: "outcome measures",
}


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    location: str = ""
    sequence: int = 0
    status: str = CONFIRMED

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("calendar events need timezone-aware start and end")
        if self.end <= self.start:
            raise ValueError("an event must end after it starts")
        if not self.uid or any(c in self.uid for c in "\r\n"):
            raise ValueError("an event needs a one-line UID")
        if self.sequence < 0:
            raise ValueError("SEQUENCE cannot be negative")
        if self.status not in (CONFIRMED, TENTATIVE, CANCELLED):
            raise ValueError(f"not an event status: {self.status!r}")


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines.

    Other control characters are not allowed in TEXT and are dropped.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(c for c in value if c in "\n\t" or (ord(c) >= 0x20 and c != "\x7f"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line to at most 75 octets per physical line (RFC 5545 3.1).

    Continuation lines start with one space, which counts toward their 75 octets, and a
    multi-byte UTF-8 character is never split.
    """
    out: list[str] = []
    current = ""
    size = 0
    limit = _MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = "", 0, _MAX_OCTETS - 1
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def to_ics(
    events: Iterable[CalendarEvent],
    *,
    now: datetime | None = None,
    calendar_name: str | None = None,
) -> str:
    """The iCalendar text (CRLF line endings, folded lines) for ``events``.

    All times are written in UTC, so no VTIMEZONE block is needed. ``now`` sets DTSTAMP
    (tests pass a fixed time).
    """
    stamp = _utc(now or datetime.now(UTC))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append("METHOD:PUBLISH")
    if calendar_name:
        lines.append(f"X-WR-CALNAME:{escape_text(calendar_name)}")
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(event.start)}",
            f"DTEND:{_utc(event.end)}",
            f"SEQUENCE:{event.sequence}",
            f"STATUS:{event.status}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)


def appointment_uid(item: AgendaItem) -> str:
    """A stable UID: the same appointment exported twice gets the same UID."""
    appt = item.appointment
    key = f"{item.client}|{appt.kind.value}|{appt.number}|{appt.planned_for.isoformat()}"
    return f"{uuid.uuid5(_UID_NAMESPACE, key)}@kapcompanion"


def sequence(appt: PlannedAppointment) -> int:
    """The event's SEQUENCE: the revision count (a move stored before revisions counts 1)."""
    return max(appt.revision, 0 if appt.moved_to is None else 1)


def agenda_events(
    items: Iterable[AgendaItem],
    *,
    label: Callable[[str], str] | None = None,
    include_notes: bool = False,
    location: str = "",
) -> list[CalendarEvent]:
    """Calendar events for agenda items.

    The summary is ``label(client)`` (default: the agenda key itself, which should be a
    pseudonym) and the kind of appointment; the description states the status. Notes go
    in only with ``include_notes=True``, because they may hold clinical detail.
    """
    name = label or (lambda client: client)
    events: list[CalendarEvent] = []
    for item in items:
        appt = item.appointment
        what = KIND_WORDS[appt.kind]
        if appt.number is not None:
            what += f" {appt.number}"
        status = appt.status.value
        description = f"{what.capitalize()} ({status})"
        if include_notes and appt.note:
            description += f"\n{appt.note}"
        events.append(
            CalendarEvent(
                uid=appointment_uid(item),
                start=appt.when,
                end=appt.ends,
                summary=f"{name(item.client)}: {what}",
                description=description,
                location=location,
                sequence=sequence(appt),
                status=CANCELLED if appt.status is AppointmentStatus.CANCELLED else CONFIRMED,
            )
        )
    return events
