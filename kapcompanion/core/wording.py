"""Dates and times as the clinic writes them: one set of named formats for screens and paper.

Every date a person reads goes through here, in the user's locale (CLDR data via babel):
under ``en_US`` a short date is ``3/14/1985``, under ``de_DE`` ``14.03.1985``, and month and
day names come in the locale's language (English names under an English locale). With no
locale chosen (``C``/``POSIX``) the app writes international English (``en_GB``: day, month,
year), as it always has: ``14 March 1985``.

The named formats:

* :func:`short_date` ``3/14/1985`` (the year always in four digits: a date of birth or a
  signature date must not be read in the wrong century);
* :func:`long_date` ``March 14, 1985``;
* :func:`day_heading` ``Tuesday, March 2`` (agenda headings), :func:`agenda_day` adds
  ``Today``/``Tomorrow``/``Yesterday`` (:func:`relative_day`);
* :func:`time_of_day` ``2:05 PM`` / ``14:05``; :func:`date_time` ``3/14/1985, 2:05 PM``;
* :func:`appointment` ``Tue, Mar 2, 2:05 PM`` (the year added when it is not this year);
* :func:`chart_day` ``Mar 2`` for chart axes.

:func:`parse_date` reads what people type: ISO ``1985-03-14`` always, and the locale's short
format. Values are converted to local time by the caller (``astimezone``); here only the
wording happens. No Qt here; :func:`qt_date_format` gives the Qt display format for
``QDateEdit``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.core import default_locale

FALLBACK = "en_GB"
_ISO = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")
_FIELDS = re.compile(r"(d+|M+|L+|y+|G+|E+|'[^']*'|[^dMLyGE']+)")

_locale: Locale | None = None


def _from_environment() -> Locale:
    name = default_locale(("LC_ALL", "LC_TIME", "LANG", "LANGUAGE"))
    if not name or name.split("_")[0] in ("C", "POSIX") or name.startswith("en_US_POSIX"):
        return Locale.parse(FALLBACK)
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK)


def set_locale(name: str | None) -> Locale:
    """Use ``name`` (``de_DE``, ``en-US``) from now on; None goes back to the environment."""
    global _locale
    if name is None:
        _locale = _from_environment()
    else:
        try:
            _locale = Locale.parse(name.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            _locale = Locale.parse(FALLBACK)
    return _locale


def current_locale() -> Locale:
    global _locale
    if _locale is None:
        _locale = _from_environment()
    return _locale


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def short_date_pattern() -> str:
    """The locale's short date pattern with a four-digit year (CLDR syntax: ``M/d/y``)."""
    pattern = current_locale().date_formats["short"].pattern
    return re.sub(r"y+", "y", pattern)


def short_date(value: date | datetime) -> str:
    return babel_dates.format_date(_day(value), short_date_pattern(), locale=current_locale())


def long_date(value: date | datetime) -> str:
    return babel_dates.format_date(_day(value), "long", locale=current_locale())


def day_heading(value: date | datetime) -> str:
    """Weekday, day and month: ``Tuesday, March 2`` / ``Dienstag, 2. März``."""
    full = current_locale().date_formats["full"].pattern
    without_year = re.sub(r"[\s,]*y+[\s年]?", "", full).strip(" ,")
    return babel_dates.format_date(_day(value), without_year, locale=current_locale())


def relative_day(value: date | datetime, today: date) -> str | None:
    """``Today``, ``Tomorrow`` or ``Yesterday`` in the locale's words (capitalised), or None."""
    offset = (_day(value) - today).days
    if offset not in (-1, 0, 1):
        return None
    words = current_locale()._data["date_fields"]["day"]["relative"]
    word = str(words.get(offset, "")) if offset in words else ""
    return word[:1].upper() + word[1:] if word else None


def agenda_day(value: date | datetime, today: date) -> str:
    """``Tomorrow, Tuesday, March 2``; just the heading for other days."""
    heading = day_heading(value)
    near = relative_day(value, today)
    return f"{near}, {heading}" if near else heading


def time_of_day(value: datetime | time) -> str:
    return babel_dates.format_time(value, "short", locale=current_locale())


def _join(day_text: str, time_text: str) -> str:
    pattern = str(current_locale().datetime_formats["short"])
    return pattern.replace("{1}", day_text).replace("{0}", time_text)


def date_time(value: datetime) -> str:
    """``3/14/1985, 2:05 PM``: the short date and the time, joined the locale's way."""
    return _join(short_date(value), time_of_day(value))


def appointment(value: datetime, today: date | None = None) -> str:
    """``Tue, Mar 2, 2:05 PM``; the year is added when it is not this year."""
    return _join(appointment_day(value, today), time_of_day(value))


def appointment_day(value: date | datetime, today: date | None = None) -> str:
    """``Tue, Mar 2`` (``Tue, Mar 2, 2027`` when not this year): the day of an appointment."""
    this_year = (today or date.today()).year
    skeleton = "MMMEd" if _day(value).year == this_year else "yMMMEd"
    return babel_dates.format_skeleton(skeleton, _day(value), locale=current_locale())


def chart_day(value: date | datetime, with_year: bool = False) -> str:
    """A chart axis label: ``Mar 2`` (``Mar 2, 2027`` with the year)."""
    skeleton = "yMMMd" if with_year else "MMMd"
    return babel_dates.format_skeleton(skeleton, _day(value), locale=current_locale())


def parse_date(text: str) -> date | None:
    """A date typed as ISO (``1985-03-14``) or in the locale's short format; None otherwise.

    The short format must carry a four-digit year; day and month may have one or two digits
    and any of the locale's separators.
    """
    iso = _ISO.fullmatch(text)
    if iso:
        return _make(int(iso[1]), int(iso[2]), int(iso[3]))
    order = [f[0] for f in _FIELDS.findall(short_date_pattern()) if f[0] in "dMLy"]
    numbers = re.findall(r"\d+", text)
    if len(numbers) != 3 or len(order) != 3 or re.search(r"[^\d\s./\-,]", text.strip(". ")):
        return None
    values = dict(zip(order, numbers, strict=True))
    year = values.get("y", "")
    if len(year) != 4:
        return None
    month = values.get("M") or values.get("L") or "0"
    return _make(int(year), int(month), int(values.get("d", "0")))


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def qt_date_format() -> str:
    """The short date pattern in Qt's display-format syntax (``M/d/yyyy``, ``dd.MM.yyyy``)."""
    out = []
    for field in _FIELDS.findall(short_date_pattern()):
        if field[0] == "y":
            out.append("yyyy")
        elif field[0] in "dML":
            out.append(("d" if field[0] == "d" else "M") * min(2, len(field)))
        elif field[0] == "'":
            out.append(field)
        elif field[0] in "GE":
            continue
        else:
            out.append(field)
    return "".join(out).strip()


def date_hint() -> str:
    """What to type, for a placeholder or a message: ``M/D/YYYY or YYYY-MM-DD``."""
    shown = qt_date_format().upper()
    return f"{shown} or YYYY-MM-DD"
