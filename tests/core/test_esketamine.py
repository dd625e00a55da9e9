"""Esketamine rules (issue 16): the preset, the label's schedule, MOAA/S, the REMS classes."""

from __future__ import annotations

import pytest

from kapcompanion.core import esketamine as esk
from kapcompanion.core.dose import (
    DEFAULT_MAXIMA,
    DoseLevel,
    DoseRefused,
    Drug,
    Route,
    accept_plan,
    check_extra_dose,
    plan_problem,
    plan_summary,
)


def test_preset_plan_is_intranasal_esketamine_in_devices() -> None:
    plan = accept_plan(esk.esketamine_plan(70, 2, "LOT-7"))
    assert plan.route is Route.INTRANASAL
    assert plan.drug == Drug.ESKETAMINE.value
    assert plan.total_mg == 56.0 and plan.devices == 2 and plan.lot == "LOT-7"
    assert plan_summary(plan).startswith("Esketamine 56 mg intranasal")
    assert "2 devices of 28 mg" in plan_summary(plan)


def test_label_doses_need_no_reason_whatever_the_weight() -> None:
    # 84 mg at 50 kg is 1.68 mg/kg: far above racemic intranasal's 1.0 mg/kg, but esketamine's
    # label doses are not per kg
    for devices in (2, 3):
        assert plan_problem(esk.esketamine_plan(50, devices)) == ""


def test_28_mg_is_below_the_label_doses_and_needs_a_reason() -> None:
    problem = plan_problem(esk.esketamine_plan(70, 1))
    assert "below the usual esketamine range (56 to 84 mg)" in problem
    reason = "Started at 28 mg after a sensitivity to the first dose last week."
    assert plan_problem(esk.esketamine_plan(70, 1, out_of_range_reason=reason)) == ""


def test_four_devices_is_above_the_label_and_needs_reason_and_confirmation() -> None:
    reason = "The prescriber ordered this dose after review and documented it in the chart."
    plan = esk.esketamine_plan(70, 4, out_of_range_reason=reason)
    with pytest.raises(DoseRefused) as refused:
        accept_plan(plan)
    assert (
        refused.value.needs_confirmation
        == "Give esketamine 112 mg intranasal? This is above the usual range."
    )
    accepted = accept_plan(plan, confirmation=refused.value.needs_confirmation)
    assert accepted.above_usual


def test_esketamine_totals_are_whole_devices_and_intranasal() -> None:
    plan = esk.esketamine_plan(70, 2)
    from dataclasses import replace

    assert "not a whole number of devices" in plan_problem(replace(plan, total_mg=60, devices=None))
    assert "2 device(s) of 28 mg is 56 mg, not 84 mg" in plan_problem(replace(plan, total_mg=84))
    assert "Esketamine is given intranasally" in plan_problem(replace(plan, route=Route.IM))


def test_booster_running_total_edges() -> None:
    plan = esk.esketamine_plan(70, 2)
    at_label_max = check_extra_dose(plan, 28)  # 56 + 28 = 84 mg: the label's top
    assert at_label_max.level is DoseLevel.USUAL and at_label_max.running_total_mg == 84
    above = check_extra_dose(plan, 28, earlier_extras_mg=[28])  # 112 mg
    assert above.level is DoseLevel.ABOVE_USUAL
    # the clinic's intranasal maximum is 150 mg in total; per kg never counts for esketamine
    at_max = check_extra_dose(plan, 28, earlier_extras_mg=[28, 28])  # 140 mg = 2 mg/kg
    assert at_max.level is DoseLevel.ABOVE_USUAL
    over = check_extra_dose(plan, 28, earlier_extras_mg=[28, 28, 28])  # 168 mg
    assert over.level is DoseLevel.ABOVE_MAX
    assert DEFAULT_MAXIMA[Route.INTRANASAL].max_total_mg == 150


def test_label_bp_slots_and_monitoring_end() -> None:
    slots = esk.label_bp_slots(100 * 60)  # the phases end at 100 min: monitoring runs to 120
    assert [s.offset_s for s in slots] == [0.0, 2400.0, 6600.0]  # 110 min: before the end
    assert esk.label_bp_slots(150 * 60)[-1].offset_s == 8400.0
    regular = [0.0, 900.0, 1800.0, 2700.0, 3600.0, 4500.0, 5400.0, 6300.0, 7200.0]
    merged = esk.bp_schedule(regular, 7200.0)
    # the readings at 105 and 120 min give way to the one before the end, at 110 min
    assert merged == [0.0, 900.0, 1800.0, 2400.0, 2700.0, 3600.0, 4500.0, 5400.0, 6600.0]
    assert esk.label_slot_text(2400.0, 6000.0) == "40 minutes after the first device"
    assert esk.label_slot_text(900.0, 6000.0) == ""
    assert sum(p.minutes for p in esk.ESKETAMINE_PHASES[1:]) == esk.MONITORING_MIN


def test_moaas_anchors_are_the_published_scale() -> None:
    assert esk.MOAAS[5] == "Responds readily to name spoken in normal tone"
    assert esk.MOAAS[3] == "Responds only after name is called loudly and/or repeatedly"
    assert esk.MOAAS[0] == "No response after painful trapezius squeeze"
    assert [esk.sedation_alert(s) for s in range(6)] == [True, True, True, True, False, False]
    assert esk.moaas_problem(6) and esk.moaas_problem(True) and esk.moaas_problem("3")
    assert esk.moaas_problem(0) == ""


def test_acute_check_schedule_default_15_then_30() -> None:
    schedule = esk.acute_check_schedule(7200, 15, 30)
    assert [s / 60 for s in schedule] == [15, 30, 45, 60, 90, 120]
    assert [s / 60 for s in esk.acute_check_schedule(7200, 10, 45)] == [
        10,
        20,
        30,
        40,
        50,
        60,
        105,
        120,
    ]
    # due: the 15-minute check until two minutes before 30 minutes; a missed one passes
    assert esk.next_check_due(schedule, [], 10 * 60) == 900
    assert esk.next_check_due(schedule, [14 * 60], 20 * 60) == 1800
    assert esk.next_check_due(schedule, [], 29 * 60) == 1800
    with pytest.raises(ValueError):
        esk.acute_check_schedule(7200, 0, 30)


def test_rems_medication_classes_from_intake_groups_and_names() -> None:
    classes = esk.rems_medication_classes(
        [
            ("Clonazepam 0.5 mg", ["benzodiazepines"]),
            ("Ambien", []),
            ("Adderall XR", ["stimulants"]),
            ("Sertraline", []),
        ]
    )
    assert classes["benzodiazepines"] == ["Clonazepam 0.5 mg"]
    assert classes["non_benzodiazepine_hypnotics"] == ["Ambien"]
    assert classes["psychostimulants"] == ["Adderall XR"]
    assert classes["maois"] == [] and classes["opioids"] == []
