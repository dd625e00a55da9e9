"""Is a written reason a reason? The rule every override and out-of-range confirmation uses.

A gate that one keystroke passes is no gate: "ok", "x" or "typo test" is refused. A reason of
substance is a sentence: at least :data:`MIN_WORDS` words (runs of two or more letters, in any
script), at least :data:`MIN_DISTINCT` of them different, and at least :data:`MIN_CHARS`
characters. This cannot tell a true reason from a made-up one; it only makes the therapist
write one, which then goes into the record and the audit detail.
"""

from __future__ import annotations

import re

MIN_WORDS = 4
MIN_DISTINCT = 3
MIN_CHARS = 20

REASON_RULE = (
    f"Write the reason as a sentence (at least {MIN_WORDS} words and {MIN_CHARS} characters); "
    "it is kept in the record and the audit log."
)

_WORD = re.compile(r"[^\W\d_]{2,}")


def reason_problem(text: str | None) -> str | None:
    """None when ``text`` is a reason of substance, else the plain-English message why not."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return "A reason is needed. " + REASON_RULE
    words = [w.casefold() for w in _WORD.findall(cleaned)]
    if len(cleaned) < MIN_CHARS or len(words) < MIN_WORDS or len(set(words)) < MIN_DISTINCT:
        return f"“{_clip(cleaned)}” is too short to be a reason. " + REASON_RULE
    return None


def is_substantive_reason(text: str | None) -> bool:
    """True for a real sentence, False for a token ("ok", "x", "typo test"); see the module."""
    return reason_problem(text) is None


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
