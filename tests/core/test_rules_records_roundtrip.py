"""Every record of the clinical core survives JSON storage through core.serial unchanged."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kapcompanion.core import serial
from kapcompanion.core.checklist import Checklist, ItemState, MusicOutput, MusicPreferences
from kapcompanion.core.clock import PhaseKind, PlannedPhase
from kapcompanion.core.discharge import ALDRETE_KEYS, Discharge
from kapcompanion.core.intake import Contact, Intake, Medication, SubstanceUse
from kapcompanion.core.screening import (
    SCREENING_ITEMS,
    Answer,
    Screening,
    ScreeningResponse,
    evaluate,
)
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind
from kapcompanion.core.vitals import VitalReading

text = st.text(max_size=12)
aware = st.datetimes(timezones=st.just(UTC))
maybe_aware = st.one_of(st.none(), aware)
contacts = st.builds(Contact, text, text, text)
touch = st.builds(
    TouchAgreement,
    st.lists(st.sampled_from(list(TouchKind)), max_size=4),
    text,
    st.booleans(),
    st.sampled_from(list(DistressPreference)),
    st.dates(),
    maybe_aware,
    text,
)
music = st.builds(
    MusicPreferences,
    st.lists(text, max_size=3),
    st.lists(text, max_size=3),
    st.one_of(st.none(), st.integers(0, 100)),
    st.sampled_from(list(MusicOutput)),
    st.booleans(),
)


@st.composite
def screenings(draw: Any) -> Screening:
    keys = draw(st.lists(st.sampled_from([i.key for i in SCREENING_ITEMS]), unique=True))
    responses = {
        k: ScreeningResponse(k, draw(st.sampled_from(list(Answer))), draw(text)) for k in keys
    }
    return Screening(
        responses,
        draw(st.one_of(st.none(), st.dates())),
        draw(st.one_of(st.none(), text)),
        draw(st.one_of(st.none(), text)),
        draw(maybe_aware),
        draw(st.lists(text, max_size=3)),
    )


@st.composite
def checklists(draw: Any) -> Checklist:
    keys = draw(st.lists(st.sampled_from(["a", "b", "intention", "escort"]), unique=True))
    items = {
        k: ItemState(
            k,
            draw(st.booleans()),
            draw(text),
            draw(text),
            draw(maybe_aware),
            draw(st.lists(text, max_size=2)),
            draw(st.one_of(st.none(), contacts)),
        )
        for k in keys
    }
    return Checklist(
        draw(text),
        draw(st.integers(1, 99)),
        items,
        draw(text),
        draw(st.one_of(st.none(), touch)),
        draw(st.one_of(st.none(), music)),
        draw(st.one_of(st.none(), text)),
        draw(st.one_of(st.none(), text)),
        draw(maybe_aware),
    )


intakes = st.builds(
    Intake,
    st.lists(text, max_size=3),
    text,
    st.lists(st.builds(Medication, text, text, st.lists(text, max_size=2)), max_size=3),
    st.lists(st.builds(SubstanceUse, text, text, text), max_size=2),
    st.lists(st.one_of(st.none(), st.booleans()), min_size=10, max_size=10),
    st.lists(contacts, max_size=2),
    st.one_of(st.none(), contacts),
    text,
)
small = st.one_of(st.none(), st.integers(0, 400))
readings = st.builds(
    VitalReading,
    small,
    small,
    small,
    small,
    aware,
    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    st.booleans(),
    st.lists(text, max_size=2),
    text,
)
discharges = st.builds(
    Discharge,
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.fixed_dictionaries({k: st.one_of(st.none(), st.integers(0, 2)) for k in ALDRETE_KEYS}),
    text,
    maybe_aware,
    text,
)


def through_json(obj: Any) -> Any:
    return serial.load(type(obj), json.loads(json.dumps(serial.to_jsonable(obj))))


@settings(max_examples=60)
@given(
    record=st.one_of(
        screenings(),
        checklists(),
        intakes,
        readings,
        discharges,
        touch,
        st.builds(PlannedPhase, st.sampled_from(list(PhaseKind)), st.floats(1, 600)),
    )
)
def test_round_trip(record: Any) -> None:
    assert through_json(record) == record


@settings(max_examples=40)
@given(screening=screenings())
def test_stored_screening_evaluates_the_same(screening: Screening) -> None:
    assert evaluate(through_json(screening)) == evaluate(screening)
