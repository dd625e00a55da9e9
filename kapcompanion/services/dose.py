"""The clinic's dose limits applied: planning, re-planning and extra doses (issue 19).

The rules are ``core.dose`` (three levels: usual, above the usual range up to the clinic's
maximum, above the maximum); this module reads the clinic's maxima from the settings registry
(``core.settings.DOSE_MAXIMA``) and applies them where records are written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from kapcompanion.core.clock import PlannedPhase
from kapcompanion.core.dose import (
    DEFAULT_MAXIMA,
    DoseMaximum,
    DosePlan,
    DoseRefused,
    Maxima,
    Route,
    accept_extra_dose,
    accept_plan,
    check_extra_dose,
    dose_words,
    extra_doses_mg,
    resolved,
)
from kapcompanion.core.models import DosingSession, SessionEvent, SessionStatus
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.core.settings import DOSE_MAXIMA, WEIGHT_UNIT
from kapcompanion.core.units import WeightUnit
from kapcompanion.store import settings as stored
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


def clinic_maxima(vault: Vault) -> dict[Route, DoseMaximum]:
    """Each route's maximum as the clinic set it (the defaults where it did not)."""
    out: dict[Route, DoseMaximum] = {}
    for route, (per_kg, total) in DOSE_MAXIMA.items():
        default = DEFAULT_MAXIMA[route]
        out[route] = replace(
            default,
            max_mg_per_kg=stored.read(vault, per_kg) if per_kg else default.max_mg_per_kg,
            max_total_mg=stored.read(vault, total) if total else default.max_total_mg,
        )
    return out


def weight_unit(vault: Vault) -> WeightUnit:
    """The unit weight fields start in (the clinic's ``weight_unit``)."""
    return WeightUnit(stored.read(vault, WEIGHT_UNIT))


def accepted_plan(vault: Vault, plan: DosePlan, confirmation: str = "") -> DosePlan:
    """``core.dose.accept_plan`` with the clinic's maxima; raises ``DoseRefused``."""
    return accept_plan(plan, clinic_maxima(vault), confirmation)


def save_plan(repos: Repos, session: DosingSession, action: str | None = None) -> DosingSession:
    """Store a session whose plan ``accept_plan`` accepted, in one transaction with, when the
    dose is outside the usual range, an audit row whose detail names the dose, the level, the
    reason and the confirmation given."""
    plan = load(DosePlan, session.plan)
    with repos.vault.transaction() as tx:
        stored = repos.sessions.save(session, action=action)
        reason = (plan.out_of_range_reason or "").strip()
        if plan.above_usual or reason:
            pair = resolved(plan)
            detail = {
                "dose": dose_words(Route(plan.route), *pair) if pair else "",
                "weight": plan.weight.text(),
                "level": "above_usual" if plan.above_usual else "outside_usual",
                "reason": reason,
                "confirmed": plan.confirmed,
            }
            repos.vault.audit(
                "session.dose_outside_usual",
                record_type="session",
                record_id=stored.id,
                client_id=stored.client_id,
                detail=json.dumps(detail, ensure_ascii=False),
                conn=tx,
            )
    return stored


def replan_session(
    repos: Repos,
    session_id: int,
    plan: DosePlan,
    *,
    confirmation: str = "",
    phases: Sequence[PlannedPhase] | None = None,
    planned_for: datetime | None = None,
    vitals_every_min: int | None = None,
) -> DosingSession:
    """Change a planned session's dose plan with the same rules as planning it."""
    current = repos.sessions.get(session_id)
    if current.status is not SessionStatus.PLANNED:
        raise VaultError("This session has started; its plan can no longer change.")
    plan = accepted_plan(repos.vault, plan, confirmation)
    return save_plan(
        repos,
        replace(
            current,
            plan=to_jsonable(plan),
            phases=[to_jsonable(p) for p in phases] if phases is not None else current.phases,
            planned_for=planned_for,
            vitals_every_min=vitals_every_min or current.vitals_every_min,
        ),
        action="session.replan",
    )


def checked_extra_dose(
    maxima: Maxima,
    plan: DosePlan,
    events: Sequence[SessionEvent],
    dose_given: bool,
    payload: Mapping[str, Any],
) -> dict[str, Any]:
    """The extra dose's payload with the session's running total, or ``DoseRefused``.

    ``payload`` carries ``total_mg`` and ``route``; above the usual range also ``reason`` (a
    reason of substance) and ``confirmed`` (the question :func:`core.dose.check_extra_dose`
    asks, which names the number). The stored payload adds ``running_total_mg``,
    ``running_mg_per_kg`` and ``above_usual``.
    """
    amount = payload.get("total_mg", payload.get("mg"))
    if not isinstance(amount, int | float) or isinstance(amount, bool):
        raise DoseRefused("Enter the extra dose in mg.")
    route = payload.get("route") or plan.route
    try:
        route = Route(route)
    except ValueError:
        raise DoseRefused(f"{route!r} is not a route this app knows.") from None
    check = check_extra_dose(
        plan,
        float(amount),
        earlier_extras_mg=extra_doses_mg(events),
        dose_given=dose_given,
        route=route,
        maxima=maxima,
    )
    reason = str(payload.get("reason") or "")
    accept_extra_dose(check, reason, str(payload.get("confirmed") or ""))
    out = dict(payload)
    out["running_total_mg"] = check.running_total_mg
    out["running_mg_per_kg"] = check.running_mg_per_kg
    if check.question:
        out["above_usual"] = True
        out["reason"] = " ".join(reason.split())
    return out
