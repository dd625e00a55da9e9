"""Named date formats in the user's locale (CLDR via babel), and what people type."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kapcompanion.core import wording

DOB = date(1985, 3, 14)
WHEN = datetime(2027, 3, 2, 14, 5)


@pytest.mark.parametrize(
    ("locale", "short", "long", "heading", "moment"),
    [
        ("en_US", "3/14/1985", "March 14, 1985", "Tuesday, March 2", "3/2/2027, 2:05\u202fPM"),
        ("de_DE", "14.03.1985", "14. März 1985", "Dienstag, 2. März", "02.03.2027, 14:05"),
        ("en_GB", "14/03/1985", "14 March 1985", "Tuesday, 2 March", "02/03/2027, 14:05"),
    ],
)
def test_named_formats(locale: str, short: str, long: str, heading: str, moment: str) -> None:
    wording.set_locale(locale)
    assert wording.short_date(DOB) == short
    assert wording.long_date(DOB) == long
    assert wording.day_heading(WHEN) == heading
    assert wording.date_time(WHEN) == moment


def test_relative_days_in_the_locale_words() -> None:
    today = date(2027, 3, 1)
    wording.set_locale("en_US")
    assert wording.agenda_day(date(2027, 3, 2), today) == "Tomorrow, Tuesday, March 2"
    assert wording.relative_day(today, today) == "Today"
    assert wording.relative_day(date(2027, 3, 5), today) is None
    wording.set_locale("de_DE")  # no "Tomorrow, Dienstag": one language per line
    assert wording.agenda_day(date(2027, 3, 2), today) == "Morgen, Dienstag, 2. März"


def test_appointments_name_the_year_only_when_it_is_not_this_year() -> None:
    wording.set_locale("en_GB")
    assert wording.appointment(WHEN, date(2027, 1, 1)) == "Tue 2 Mar, 14:05"
    assert wording.appointment(WHEN, date(2026, 1, 1)) == "Tue, 2 Mar 2027, 14:05"


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [
        ("en_US", "03/14/1985", DOB),
        ("en_US", "3/14/1985", DOB),
        ("en_US", "14.03.1985", None),  # not this locale's order
        ("en_US", "3/14/85", None),  # a two-digit year is refused, never guessed
        ("de_DE", "14.03.1985", DOB),
        ("de_DE", "03/14/1985", None),
        ("en_GB", "14/03/1985", DOB),
        ("en_US", "1985-03-14", DOB),
        ("de_DE", "1985-03-14", DOB),
        ("en_US", "1985-02-30", None),
        ("en_US", "2/30/1985", None),
        ("en_US", "", None),
        ("en_US", "yesterday", None),
    ],
)
def test_parse_date(locale: str, typed: str, expected: date | None) -> None:
    wording.set_locale(locale)
    assert wording.parse_date(typed) == expected


def test_no_locale_means_international_english(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LC_ALL", "LC_TIME", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert str(wording.set_locale(None)) == "en_GB"
    assert wording.long_date(DOB) == "14 March 1985"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert str(wording.set_locale(None)) == "de_DE"
