"""Discharge: is the client ready to go home?

The criteria: alert and oriented, vitals back near baseline, walks unassisted, escort
present, aftercare reminded; a modified Aldrete score of 9 or more is a common rule.
When a suicide-risk flag is active (a positive PHQ-9 item 9 or a risk note), a safety
note (the safety plan) is required before discharge.

The modified Aldrete score (Aldrete, J Clin Anesth 1995; the 1970 score with SpO2 in
place of colour) rates five criteria 0-2, total 0-10. The descriptions below are the
standard ones, in short wording.

Aldrete may be left unscored for a session only with a reason of substance
(``aldrete_not_scored`` with ``aldrete_not_scored_reason``, checked by
:func:`core.reasons.reason_problem`); the record and the PDF then say "not scored" and why.

Discharge also waits for a minimum time since the last dose (:func:`wait_left_s`); the
clinic sets the minutes per route (``core.settings``, ``discharge_min_*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kapcompanion.core import wording
from kapcompanion.core.reasons import MIN_WORDS, reason_problem

ALDRETE_PASS = 9


@dataclass(frozen=True)
class AldreteCriterion:
    key: str
    label: str
    levels: tuple[str, str, str]  # descriptions for scores 0, 1 and 2


ALDRETE_CRITERIA: tuple[AldreteCriterion, ...] = (
    AldreteCriterion(
        "activity",
        "Activity",
        (
            "Unable to move any extremity",
            "Able to move two extremities voluntarily or on command",
            "Able to move four extremities voluntarily or on command",
        ),
    ),
    AldreteCriterion(
        "respiration",
        "Respiration",
        (
            "Apnoeic",
            "Dyspnoea or limited breathing",
            "Able to breathe deeply and cough freely",
        ),
    ),
    AldreteCriterion(
        "circulation",
        "Circulation",
        (
            "Blood pressure differs by 50% or more from the pre-dose level",
            "Blood pressure within 20-49% of the pre-dose level",
            "Blood pressure within 20% of the pre-dose level",
        ),
    ),
    AldreteCriterion(
        "consciousness",
        "Consciousness",
        ("Not responding", "Arousable on calling", "Fully awake"),
    ),
    AldreteCriterion(
        "oxygen_saturation",
        "Oxygen saturation",
        (
            "SpO2 below 90% even with supplemental oxygen",
            "Needs supplemental oxygen to keep SpO2 above 90%",
            "Keeps SpO2 above 92% on room air",
        ),
    ),
)

ALDRETE_KEYS: tuple[str, ...] = tuple(c.key for c in ALDRETE_CRITERIA)


def _empty_aldrete() -> dict[str, int | None]:
    return dict.fromkeys(ALDRETE_KEYS)


@dataclass(frozen=True)
class Transfer:
    """The session ends with a handover to emergency care, not a discharge home.

    A client taken to hospital does not meet the criteria for going home (that is why they
    are transferred), so none of them, nor the minimum time after the dose, applies; what the
    record needs is who took the client over and why, with the name of whoever handed over."""

    to: str  # "Paramedics (ambulance 14), to St Mary's emergency department"
    reason: str

    def problems(self) -> list[str]:
        out = []
        if len(self.to.split()) < 2:
            out.append("Who took the client over (the paramedics, a hospital), in a few words")
        problem = reason_problem(self.reason)
        if problem:
            out.append("Why the client is transferred: " + problem.rstrip("."))
        return out


@dataclass
class Discharge:
    alert_oriented: bool = False
    vitals_near_baseline: bool = False
    walks_unassisted: bool = False
    escort_present: bool = False
    aftercare_reminded: bool = False
    aldrete: dict[str, int | None] = field(default_factory=_empty_aldrete)
    safety_note: str = ""
    discharged_at: datetime | None = None
    escort_name: str = ""
    aldrete_not_scored: bool = False
    aldrete_not_scored_reason: str = ""


@dataclass(frozen=True)
class DoseWait:
    """The minimum time after the last dose, and how much of it is left."""

    last_dose_utc: datetime
    minimum_min: float
    route_label: str
    now_utc: datetime

    @property
    def left_s(self) -> float:
        return wait_left_s(self.last_dose_utc, self.now_utc, self.minimum_min)

    @property
    def until_utc(self) -> datetime:
        return self.last_dose_utc + timedelta(minutes=self.minimum_min)

    def message(self) -> str:
        """'Too soon after the dose: 34 min left (at least 90 min after an IM dose, ...).'"""
        left = self.left_s
        minutes = max(1, int(-(-left // 60)))  # whole minutes, rounded up
        until = self.until_utc.astimezone()
        return (
            f"Too soon after the dose: {minutes} min left (the clinic's minimum is "
            f"{self.minimum_min:g} min after the last {self.route_label} dose; "
            f"discharge from {wording.time_of_day(until)})"
        )


def wait_left_s(last_dose_utc: datetime, now_utc: datetime, minimum_min: float) -> float:
    """Seconds still to wait before discharge (0 once the minimum time has passed)."""
    waited = (now_utc - last_dose_utc).total_seconds()
    return max(0.0, minimum_min * 60.0 - waited)


@dataclass(frozen=True)
class DischargeCheck:
    ready: bool
    missing: list[str]
    aldrete_total: int | None  # None until all five criteria are scored


def _aldrete_problems(scores: dict[str, int | None]) -> list[str]:
    problems = [f"Unknown Aldrete criterion {key!r}." for key in scores if key not in ALDRETE_KEYS]
    for criterion in ALDRETE_CRITERIA:
        value = scores.get(criterion.key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2
        ):
            problems.append(f"Aldrete {criterion.label.lower()} must be 0, 1 or 2, not {value!r}.")
    return problems


def aldrete_total(scores: dict[str, int | None]) -> int | None:
    """The modified Aldrete total (0-10), or None while a criterion is unscored."""
    problems = _aldrete_problems(scores)
    if problems:
        raise ValueError(" ".join(problems))
    values = [scores.get(key) for key in ALDRETE_KEYS]
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def discharge_ready(
    d: Discharge,
    safety_flag_active: bool,
    require_aldrete: bool = True,
    wait: DoseWait | None = None,
) -> DischargeCheck:
    """What still stands between the client and going home (labels, in order).

    Aldrete is skipped only when ``d.aldrete_not_scored`` is set with a reason of substance
    and no criterion is scored. ``require_aldrete=False`` only reads a stored record leniently
    (the PDF of an old session); a session is never ended with it. ``wait`` adds the minimum
    time since the last dose.
    """
    missing: list[str] = []
    if not d.alert_oriented:
        missing.append("Alert and oriented")
    if not d.vitals_near_baseline:
        missing.append("Vitals back near baseline")
    if not d.walks_unassisted:
        missing.append("Walks unassisted")
    if not d.escort_present:
        missing.append("Escort present")
    elif not d.escort_name.strip():
        missing.append("Escort's name")
    if not d.aftercare_reminded:
        missing.append("Aftercare reminded")
    total: int | None = None
    problems = _aldrete_problems(d.aldrete)
    if problems:
        missing.extend(problems)
    else:
        total = aldrete_total(d.aldrete)
        scored = any(d.aldrete.get(k) is not None for k in ALDRETE_KEYS)
        if d.aldrete_not_scored:
            total = None
            if scored:
                missing.append(
                    "Aldrete is marked not scored but has scores: clear them, or untick "
                    "'not scored'"
                )
            if reason_problem(d.aldrete_not_scored_reason):
                missing.append(
                    f"Why Aldrete is not scored, in a sentence (at least {MIN_WORDS} words)"
                )
        elif total is None and (require_aldrete or scored):
            unscored = [c.label for c in ALDRETE_CRITERIA if d.aldrete.get(c.key) is None]
            missing.append(f"Modified Aldrete score incomplete: {', '.join(unscored)}")
        elif total is not None and total < ALDRETE_PASS:
            missing.append(f"Modified Aldrete score {total} of 10 is below {ALDRETE_PASS}")
    if safety_flag_active and not d.safety_note.strip():
        missing.append("Safety note (a suicide-risk flag is active)")
    if wait is not None and wait.left_s > 0:
        missing.append(wait.message())
    return DischargeCheck(ready=not missing, missing=missing, aldrete_total=total)
