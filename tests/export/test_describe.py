"""Stored payloads in words, and local times that keep their daylight-saving offset."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kapcompanion.core.models import EventKind
from kapcompanion.core.vitals import flagged_fields
from kapcompanion.export.describe import event_text, fmt_time, tz_label


@pytest.fixture
def stockholm() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "Europe/Stockholm")
        time.tzset()
        yield
    time.tzset()


def test_local_time_uses_the_offset_of_that_day(stockholm: None) -> None:
    summer = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)
    winter = datetime(2025, 1, 15, 8, 0, tzinfo=UTC)
    assert fmt_time(summer, None) == "10:00"  # CEST, UTC+2
    assert fmt_time(winter, None) == "09:00"  # CET, UTC+1
    assert tz_label(None, summer) == "UTC+02:00 (CEST)"
    assert tz_label(None, winter) == "UTC+01:00 (CET)"
    assert fmt_time(summer, UTC) == "08:00"


def test_session_runner_payloads_in_words() -> None:
    dose = {
        "route": "iv",
        "mg_per_kg": 0.5,
        "total_mg": 35.0,
        "weight_kg": 70.0,
        "lot": "A1",
        "infusion_minutes": 40,
    }
    assert event_text(EventKind.DOSE_GIVEN, dose) == (
        "35 mg, 0.5 mg/kg, IV infusion, over 40 min, weight 70.0 kg (154.3 lb), lot A1."
    )
    vitals = {
        "vitals_id": 3,
        "systolic": 164,
        "diastolic": 102,
        "heart_rate": 96,
        "spo2": 97,
        "taken_utc": "2025-03-03T09:45:00+00:00",
        "offset_s": 900.0,
        "pre_dose": False,
        "flags": ["Systolic 164 mmHg is 160 mmHg or more."],
        "note": "",
    }
    assert event_text(EventKind.VITALS, vitals) == (
        "BP 164/102 mmHg, HR 96 bpm, SpO2 97%. Systolic 164 mmHg is 160 mmHg or more."
    )
    touch = {
        "touch_kind": "holding_hand",
        "asked": False,
        "within_agreement": False,
        "check": "The client has not agreed to holding a hand.",
        "reason": "Fall risk",
        "text": "",
    }
    assert event_text(EventKind.TOUCH_OFFERED, touch) == (
        "Offered holding a hand. Not asked. OUTSIDE the touch agreement: The client has not "
        "agreed to holding a hand. Reason recorded: Fall risk"
    )


def test_unknown_keys_are_kept_and_odd_payloads_do_not_raise() -> None:
    assert event_text(EventKind.NOTE, {"text": "Quiet", "room": 4}) == "Quiet room: 4"
    assert event_text("no_such_kind", {"a": [1, 2.5]}) == "a: 1; 2.5"
    assert event_text(EventKind.TOUCH_OFFERED, {"touch_kind": 7}) == "Offered 7."
    assert event_text(EventKind.NOTE, None) == ""


def test_flagged_fields_follow_the_flag_wording() -> None:
    assert flagged_fields(["Blood pressure 150/95 mmHg before dosing is above 140/90 mmHg."]) == {
        "systolic",
        "diastolic",
    }
    assert flagged_fields(
        ["Heart rate 45 bpm is below 50 bpm (low).", "SpO2 90% is below 92%."]
    ) == {"heart_rate", "spo2"}


def test_ledger_draws_and_the_aldrete_score_in_words_not_keys() -> None:
    dose = {"total_mg": 35.0, "route": "im", "container_id": 4, "draw_mg": 40.0}
    text = event_text(EventKind.DOSE_GIVEN, dose)
    assert "40 mg drawn from ledger container #4" in text  # an older event: no label kept
    assert "container id" not in text and "draw mg" not in text
    labelled = event_text(EventKind.DOSE_GIVEN, dose | {"container_label": "K-0004"})
    assert "40 mg drawn from K-0004" in labelled and "#4" not in labelled
    acknowledged = event_text(
        EventKind.ALERT_ACKNOWLEDGED, {"flags": ["Systolic 162 mmHg."], "note": "Rechecked, calm"}
    )
    assert acknowledged.count("Rechecked, calm") == 1  # the note once, with its label
    sublingual = {"total_mg": 200.0, "route": "sublingual", "not_drawn_reason": "Pharmacy troche"}
    assert "not from the clinic's stock: Pharmacy troche" in event_text(
        EventKind.DOSE_GIVEN, sublingual
    )
    ended = event_text(EventKind.SESSION_ENDED, {"aldrete_total": 10})
    assert "Aldrete score 10 of 10." in ended and "aldrete total" not in ended
