"""The session timeline says what the PDF says (one wording), the weight in both units."""

from __future__ import annotations

from datetime import UTC, datetime

from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.core.units import WeightUnit
from kapcompanion.export.describe import dose_words, event_text
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
    assert line == "34 mg, 0.5 mg/kg, Intramuscular (IM), weight 68.0 kg (150 lb), lot A123."
    assert line == event_text(EventKind.DOSE_GIVEN, payload)  # the PDF's words, the same
    assert "weight 68.0 kg (150 lb)" in dose_words(payload)


def test_a_weight_in_kilograms_and_an_old_event_without_a_unit() -> None:
    plan = DosePlan(Route.IV, 70.0, 0.5, 35.0, infusion_minutes=40, weight_unit=WeightUnit.KG)
    assert dose_text(plan) == "IV infusion 35 mg (0.5 mg/kg for 70.0 kg, 154.3 lb) over 40 min"
    old = {"route": "im", "mg_per_kg": 0.5, "total_mg": 35.0, "weight_kg": 70}
    assert "weight 70.0 kg (154.3 lb)" in detail(_dose(old))


def test_screen_and_paper_word_every_kind_alike() -> None:
    """Nausea, distress and the client's words read as sentences on both (the PDF once
    printed "vomiting: yes" and "suicide risk: yes")."""
    cases: dict[EventKind, tuple[dict[str, object], str]] = {
        EventKind.NAUSEA: ({"vomiting": True, "text": "a little"}, "Vomited. a little"),
        EventKind.DISTRESS: ({"suicide_risk": True, "text": "said so"}, "SUICIDE RISK flagged."),
        EventKind.CLIENT_WORDS: ({"text": "I feel held"}, "“I feel held”"),
    }
    for kind, (payload, expected) in cases.items():
        event = SessionEvent(1, kind, datetime(2026, 1, 5, 10, tzinfo=UTC), 60, payload)
        assert detail(event) == event_text(kind, payload)
        assert expected in detail(event)
        assert ": yes" not in detail(event)
