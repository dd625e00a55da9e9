"""The touch agreement and the live touch check.

The agreement is made before the session while the client is not altered:
which touch, if any, is welcome; whether to ask first; and what the client wants if
distressed. It is dated and can be withdrawn at any moment; it is never changed while the
client is altered (a new agreement is made between sessions instead).

During the session every touch offered is checked against it. Anything other than a clear
"allowed" returns ``needs_reason=True``: the software does not stop a therapist from
acting in an emergency, but the touch then has to be recorded with a written reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from kapcompanion.core import wording


def format_date(day: date) -> str:
    """ "3 March 2025": the long date in the clinic's locale (unambiguous: a month name)."""
    return wording.long_date(day)


class TouchKind(StrEnum):
    NONE = "none"
    HAND_ON_SHOULDER = "hand_on_shoulder"
    HOLDING_HAND = "holding_hand"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    TouchKind.NONE: "no touch",
    TouchKind.HAND_ON_SHOULDER: "a hand on the shoulder",
    TouchKind.HOLDING_HAND: "holding a hand",
    TouchKind.OTHER: "other touch",
}


class DistressPreference(StrEnum):
    TOUCH = "touch"
    WORDS_ONLY = "words_only"
    MEDICATION = "medication"

    @property
    def label(self) -> str:
        return _DISTRESS_LABELS[self]


_DISTRESS_LABELS = {
    DistressPreference.TOUCH: "a reassuring touch",
    DistressPreference.WORDS_ONLY: "words only",
    DistressPreference.MEDICATION: "medication",
}


@dataclass
class TouchAgreement:
    welcome: list[TouchKind]
    other_detail: str
    ask_first: bool
    when_distressed: DistressPreference
    agreed_on: date
    withdrawn_at: datetime | None = None
    withdrawn_note: str = ""

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def no_touch(self) -> bool:
        """True when the agreement welcomes no touch at all."""
        kinds = [TouchKind(k) for k in self.welcome]
        return not kinds or TouchKind.NONE in kinds


@dataclass(frozen=True)
class TouchCheck:
    allowed: bool
    needs_reason: bool
    message: str


def withdraw(agreement: TouchAgreement, at: datetime, note: str = "") -> TouchAgreement:
    """A withdrawn copy. Withdrawal is always possible, also during a session."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("The withdrawal time must include a time zone (use UTC).")
    return dataclasses.replace(agreement, withdrawn_at=at, withdrawn_note=note.strip())


def _welcome_phrase(agreement: TouchAgreement) -> str:
    parts = []
    for kind in (TouchKind.HAND_ON_SHOULDER, TouchKind.HOLDING_HAND, TouchKind.OTHER):
        if kind in agreement.welcome:
            if kind is TouchKind.OTHER and agreement.other_detail.strip():
                parts.append(f"other touch ({agreement.other_detail.strip()})")
            else:
                parts.append(kind.label)
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0]


def describe(agreement: TouchAgreement) -> str:
    """The agreement in full plain-English sentences (quoted verbatim in PDFs)."""
    sentences: list[str] = []
    if agreement.no_touch:
        sentences.append("The client does not want to be touched during sessions.")
    else:
        sentences.append(f"The client welcomes {_welcome_phrase(agreement)}.")
        if agreement.ask_first:
            sentences.append("The therapist asks before every touch.")
        else:
            sentences.append("The therapist may offer this touch without asking first.")
    distress = DistressPreference(agreement.when_distressed)
    if distress is DistressPreference.TOUCH and agreement.no_touch:
        sentences.append(
            "If distressed, the client would like a reassuring touch; as no touch is "
            "agreed, offer words instead."
        )
    elif distress is DistressPreference.TOUCH:
        sentences.append(
            "If distressed, the client would like a reassuring touch, within this agreement."
        )
    elif distress is DistressPreference.WORDS_ONLY:
        sentences.append("If distressed, the client would like words only, without touch.")
    else:
        sentences.append("If distressed, the client would like to be offered medication.")
    sentences.append(f"Agreed on {format_date(agreement.agreed_on)}.")
    if agreement.withdrawn_at is not None:
        at = agreement.withdrawn_at
        sentences.append(
            f"The client withdrew this agreement on {format_date(at.date())} at "
            f"{wording.time_of_day(at)} {at.tzname() or ''}".rstrip()
            + "; no touch is agreed."
        )
        if agreement.withdrawn_note:
            sentences.append(f"Note: {agreement.withdrawn_note}")
    else:
        sentences.append(
            "The client can withdraw the agreement at any moment; it is not changed while "
            "the client is altered."
        )
    return " ".join(sentences)


def check_touch(
    agreement: TouchAgreement | None, offered: TouchKind, asked: bool = False
) -> TouchCheck:
    """Check an offered touch against the agreement.

    ``asked`` means the client was asked just now and said yes; it only matters when the
    agreement says to ask first (and never makes unwelcome touch allowed).
    """
    offered = TouchKind(offered)
    if offered is TouchKind.NONE:
        return TouchCheck(True, False, "No touch offered.")
    if agreement is None:
        return TouchCheck(
            False,
            True,
            "There is no touch agreement. Do not touch; if touch is needed for safety, record why.",
        )
    if agreement.withdrawn_at is not None:
        return TouchCheck(
            False,
            True,
            f"The client withdrew the touch agreement on "
            f"{format_date(agreement.withdrawn_at.date())}. Do not touch; if touch is "
            "needed for safety, record why.",
        )
    if agreement.no_touch:
        return TouchCheck(
            False,
            True,
            "The client does not want to be touched. If touch is needed for safety, record why.",
        )
    if offered not in agreement.welcome:
        return TouchCheck(
            False,
            True,
            f"The client has not agreed to {offered.label}; they welcome "
            f"{_welcome_phrase(agreement)}. If touch is needed for safety, record why.",
        )
    what = offered.label
    if offered is TouchKind.OTHER and agreement.other_detail.strip():
        what = f"other touch ({agreement.other_detail.strip()})"
    if agreement.ask_first and not asked:
        return TouchCheck(
            False,
            True,
            f"Ask first: the client welcomes {what} but wants to be asked before every touch.",
        )
    if agreement.ask_first:
        return TouchCheck(True, False, f"Allowed: the client welcomes {what} and said yes.")
    return TouchCheck(True, False, f"Allowed: the client welcomes {what}.")
