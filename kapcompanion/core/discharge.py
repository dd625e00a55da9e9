"""Discharge: is the client ready to go home?

PRODUCT.md: alert and oriented, vitals back near baseline, walks unassisted, escort
present, aftercare reminded; a modified Aldrete score of 9 or more is a common rule.
When a suicide-risk flag is active (a positive PHQ-9 item 9 or a risk note), a safety
note (the safety plan) is required before discharge.

The modified Aldrete score (Aldrete, J Clin Anesth 1995; the 1970 score with SpO2 in
place of colour) rates five criteria 0-2, total 0-10. The descriptions below are the
standard ones, in short wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
    d: Discharge, safety_flag_active: bool, require_aldrete: bool = True
) -> DischargeCheck:
    """What still stands between the client and going home (labels, in order).

    ``require_aldrete=False`` is for clinics that do not score Aldrete (for example a
    low-dose sublingual session without medical staff); a partly entered score is still
    checked.
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
        if total is None and (require_aldrete or scored):
            unscored = [c.label for c in ALDRETE_CRITERIA if d.aldrete.get(c.key) is None]
            missing.append(f"Modified Aldrete score incomplete: {', '.join(unscored)}")
        elif total is not None and total < ALDRETE_PASS:
            missing.append(f"Modified Aldrete score {total} of 10 is below {ALDRETE_PASS}")
    if safety_flag_active and not d.safety_note.strip():
        missing.append("Safety note (a suicide-risk flag is active)")
    return DischargeCheck(ready=not missing, missing=missing, aldrete_total=total)
