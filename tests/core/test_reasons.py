"""A reason of substance: a sentence, not a token (issue 19)."""

from __future__ import annotations

import pytest

from kapcompanion.core.reasons import REASON_RULE, is_substantive_reason, reason_problem


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ok",
        "x",
        "typo test",
        "yes yes yes yes yes yes",
        "a b c d e f g h i j k l",
        "asdf",
    ],
)
def test_tokens_are_not_reasons(text: str) -> None:
    assert not is_substantive_reason(text)
    message = reason_problem(text)
    assert message is not None and REASON_RULE in message


@pytest.mark.parametrize(
    "text",
    [
        "Titrating after two sessions without effect; Dr Ames agreed.",
        "Prescriber ordered 1.2 mg/kg after review.",
        "Client tolerated 1 mg/kg twice, no effect.",
    ],
)
def test_sentences_are_reasons(text: str) -> None:
    assert is_substantive_reason(text)
    assert reason_problem(text) is None


def test_the_message_quotes_what_was_written() -> None:
    assert reason_problem("typo test") == f"“typo test” is too short to be a reason. {REASON_RULE}"
    assert reason_problem(None) == f"A reason is needed. {REASON_RULE}"
