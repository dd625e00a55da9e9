"""The session timeline and summary say the weight in both units, as the PDF does."""

from __future__ import annotations

from datetime import UTC, datetime

from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.core.units import WeightUnit
from kapcompanion.export.describe import dose_words
from kapcompanion.ui.session.describe import detail, dose_text


def _dose(payload: dict[str, object]) -> SessionEvent:
    return SessionEvent(1, EventKind.DOSE_GIVEN, datetime(2026, 1, 5, 10, tzinfo=UTC), 0, payload)


def test_a_weight_entered_in_pounds_is_shown_in_both_units_like_the_pdf() -> None:
    payload = {
        "route": "im",
        "mg_per_kg": 0.5,
        "total_mg": 34.0,
        "weight_kg": 68.0,
        "weight_unit": "lb",
        "weight_entered": 150.0,
        "lot": "A123",
    }
    line = detail(_dose(payload))
    assert line == "Intramuscular (IM) 34 mg (0.5 mg/kg for 68.0 kg (150 lb)) · lot A123"
    assert "weight 68.0 kg (150 lb)" in dose_words(payload)  # the PDF's words agree


def test_a_weight_in_kilograms_and_an_old_event_without_a_unit() -> None:
    plan = DosePlan(Route.IV, 70.0, 0.5, 35.0, infusion_minutes=40, weight_unit=WeightUnit.KG)
    assert dose_text(plan) == "IV infusion 35 mg (0.5 mg/kg for 70.0 kg (154.3 lb)) over 40 min"
    old = {"route": "im", "mg_per_kg": 0.5, "total_mg": 35.0, "weight_kg": 70}
    assert "(0.5 mg/kg for 70.0 kg (154.3 lb))" in detail(_dose(old))
