"""Which questionnaires are due when: at baseline, before each dosing session, at the end.

The default follows the product brief: PHQ-9 and GAD-7 at every point (they are short and
track change session to session), PCL-5 and AAQ-II at baseline and at the end of the
course only (the PCL-5 asks about the past month, so repeating it twice a week measures
nothing new). A clinic can change the lists; ids are instrument ids such as ``"phq9"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kapcompanion.core.measures import MeasureContext


def _core() -> list[str]:
    return ["phq9", "gad7"]


def _full() -> list[str]:
    return ["phq9", "gad7", "pcl5", "aaq2"]


@dataclass
class MeasureSchedule:
    baseline: list[str] = field(default_factory=_full)
    pre_session: list[str] = field(default_factory=_core)
    end_of_course: list[str] = field(default_factory=_full)

    def for_context(self, context: MeasureContext | str) -> list[str]:
        ctx = MeasureContext(context)
        if ctx is MeasureContext.BASELINE:
            return list(self.baseline)
        if ctx is MeasureContext.PRE_SESSION:
            return list(self.pre_session)
        if ctx is MeasureContext.END_OF_COURSE:
            return list(self.end_of_course)
        return []


def due_measures(
    schedule: MeasureSchedule,
    context: MeasureContext | str,
    taken: Iterable[str],
) -> list[str]:
    """The scheduled instrument ids for ``context`` not yet in ``taken``, in schedule order.

    ``taken`` is the ids already completed for this occasion (this session, or the course's
    baseline); the caller decides which responses count. Duplicates in the schedule are
    reported once. The ``other`` context has nothing scheduled.
    """
    done = set(taken)
    due: list[str] = []
    for instrument_id in schedule.for_context(context):
        if instrument_id not in done and instrument_id not in due:
            due.append(instrument_id)
    return due
