"""The touch agreement: plain-English description and every case of the live check."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kapcompanion.core import serial
from kapcompanion.core.touch import (
    DistressPreference,
    TouchAgreement,
    TouchKind,
    check_touch,
    describe,
    withdraw,
)

AGREED = date(2025, 3, 3)
WITHDRAWN = datetime(2025, 3, 10, 14, 5, tzinfo=UTC)


def agreement(
    *welcome: TouchKind,
    ask_first: bool = False,
    distress: DistressPreference = DistressPreference.WORDS_ONLY,
    other: str = "",
) -> TouchAgreement:
    return TouchAgreement(list(welcome), other, ask_first, distress, AGREED)


def test_no_agreement() -> None:
    check = check_touch(None, TouchKind.HAND_ON_SHOULDER)
    assert not check.allowed and check.needs_reason
    assert "no touch agreement" in check.message


def test_withdrawn_agreement() -> None:
    withdrawn = withdraw(agreement(TouchKind.HOLDING_HAND), WITHDRAWN, "felt too much")
    check = check_touch(withdrawn, TouchKind.HOLDING_HAND, asked=True)
    assert not check.allowed and check.needs_reason
    assert "withdrew" in check.message and "10 March 2025" in check.message


def test_withdraw_needs_aware_time_and_copies() -> None:
    original = agreement(TouchKind.HOLDING_HAND)
    with pytest.raises(ValueError, match="time zone"):
        withdraw(original, datetime(2025, 3, 10, 14, 5))
    withdraw(original, WITHDRAWN)
    assert original.withdrawn_at is None


@pytest.mark.parametrize("welcome", [[TouchKind.NONE], []])
def test_agreement_of_no_touch(welcome: list[TouchKind]) -> None:
    check = check_touch(agreement(*welcome), TouchKind.HAND_ON_SHOULDER, asked=True)
    assert not check.allowed and check.needs_reason
    assert "does not want to be touched" in check.message


def test_kind_not_welcome() -> None:
    check = check_touch(agreement(TouchKind.HAND_ON_SHOULDER), TouchKind.HOLDING_HAND)
    assert not check.allowed and check.needs_reason
    assert "not agreed to holding a hand" in check.message
    assert "a hand on the shoulder" in check.message


def test_ask_first_needs_asking() -> None:
    terms = agreement(TouchKind.HOLDING_HAND, ask_first=True)
    not_asked = check_touch(terms, TouchKind.HOLDING_HAND)
    assert not not_asked.allowed and not_asked.needs_reason
    assert not_asked.message.startswith("Ask first")
    asked = check_touch(terms, TouchKind.HOLDING_HAND, asked=True)
    assert asked.allowed and not asked.needs_reason


def test_asking_never_allows_unwelcome_touch() -> None:
    terms = agreement(TouchKind.HOLDING_HAND, ask_first=True)
    check = check_touch(terms, TouchKind.HAND_ON_SHOULDER, asked=True)
    assert not check.allowed and check.needs_reason


def test_welcome_without_asking() -> None:
    check = check_touch(agreement(TouchKind.HAND_ON_SHOULDER), TouchKind.HAND_ON_SHOULDER)
    assert check.allowed and not check.needs_reason
    assert check.message == "Allowed: the client welcomes a hand on the shoulder."


def test_other_touch_names_the_detail() -> None:
    terms = agreement(TouchKind.OTHER, other="a hand on the forearm")
    check = check_touch(terms, TouchKind.OTHER)
    assert check.allowed
    assert "a hand on the forearm" in check.message


def test_offering_no_touch_is_fine() -> None:
    assert check_touch(None, TouchKind.NONE).allowed


def test_describe_full_agreement() -> None:
    text = describe(
        agreement(
            TouchKind.HAND_ON_SHOULDER,
            TouchKind.HOLDING_HAND,
            ask_first=True,
            distress=DistressPreference.TOUCH,
        )
    )
    assert text == (
        "The client welcomes a hand on the shoulder and holding a hand. "
        "The therapist asks before every touch. "
        "If distressed, the client would like a reassuring touch, within this agreement. "
        "Agreed on 3 March 2025. "
        "The client can withdraw the agreement at any moment; it is not changed while the "
        "client is altered."
    )


def test_describe_no_touch_and_medication() -> None:
    text = describe(agreement(TouchKind.NONE, distress=DistressPreference.MEDICATION))
    assert text.startswith("The client does not want to be touched during sessions. ")
    assert "offered medication" in text
    assert "asks before" not in text


def test_describe_no_touch_but_touch_when_distressed_is_resolved_to_words() -> None:
    text = describe(agreement(distress=DistressPreference.TOUCH))
    assert "as no touch is agreed, offer words instead" in text


def test_describe_withdrawn() -> None:
    text = describe(withdraw(agreement(TouchKind.OTHER, other="a hug"), WITHDRAWN, "changed mind"))
    assert "other touch (a hug)" in text
    assert "withdrew this agreement on 10 March 2025 at 14:05 UTC; no touch is agreed." in text
    assert text.endswith("Note: changed mind")


def test_touch_agreement_round_trips() -> None:
    terms = withdraw(
        agreement(TouchKind.HOLDING_HAND, ask_first=True, distress=DistressPreference.TOUCH),
        WITHDRAWN,
    )
    restored = serial.load(TouchAgreement, serial.to_jsonable(terms))
    assert restored == terms
    assert isinstance(restored.welcome[0], TouchKind)
