"""Moved to :mod:`kapcompanion.services.measures`; these names stay importable from here
for the screens that have not switched their imports yet (reads only: every write goes
through the service)."""

from __future__ import annotations

from kapcompanion.services.measures import (
    CONTEXT_WORDS,
    PREFERRED_ORDER,
    SCHEDULE_KEY,
    DueGroup,
    StoredResponse,
    current_course,
    due_for_client,
    due_ids,
    load_schedule,
    next_planned_session,
    ordered_instrument_ids,
    responses,
    session_day,
    taken_for,
)

__all__ = [
    "CONTEXT_WORDS",
    "PREFERRED_ORDER",
    "SCHEDULE_KEY",
    "DueGroup",
    "StoredResponse",
    "current_course",
    "due_for_client",
    "due_ids",
    "load_schedule",
    "next_planned_session",
    "ordered_instrument_ids",
    "responses",
    "session_day",
    "taken_for",
]
