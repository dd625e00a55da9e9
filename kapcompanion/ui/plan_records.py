"""The course plan and the agenda for the screens: the use cases live in
``kapcompanion.services.plans`` (saving a plan, gathering the agenda); re-exported here so the
screens keep one import."""

from __future__ import annotations

from kapcompanion.services.plans import DOC_WORDS as DOC_WORDS
from kapcompanion.services.plans import KIND as KIND
from kapcompanion.services.plans import OPEN as OPEN
from kapcompanion.services.plans import AgendaData as AgendaData
from kapcompanion.services.plans import AgendaRow as AgendaRow
from kapcompanion.services.plans import collect_agenda as collect_agenda
from kapcompanion.services.plans import describe as describe
from kapcompanion.services.plans import load_plan as load_plan
from kapcompanion.services.plans import next_appointment as next_appointment
from kapcompanion.services.plans import plan_document as plan_document
from kapcompanion.services.plans import save_plan as save_plan
from kapcompanion.services.plans import status_words as status_words
from kapcompanion.services.plans import summary as summary
