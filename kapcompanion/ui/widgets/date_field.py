"""A date field as the clinic writes dates: a QDateEdit with a calendar popup that shows the
user's short date (``3/14/1985`` under en_US, ``14.03.1985`` under de_DE) and accepts that or
ISO (``1985-03-14``) typed whole, through :mod:`kapcompanion.core.wording`.

An optional field (a date of birth nobody knows yet) can be blank: the blank is the field's
minimum date, shown as a space (Qt's special value), and :meth:`DateField.value` is None.
"""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, QDateTime, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import QDateEdit, QLineEdit, QWidget

from kapcompanion.core import wording

EARLIEST = QDate(1900, 1, 1)
_BLANK = EARLIEST.addDays(-1)
_TYPING = re.compile(r"[\d\s./\-,]*")


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def to_date(qdate: QDate) -> date:
    return date(qdate.year(), qdate.month(), qdate.day())


class DateField(QDateEdit):
    """See the module docstring. ``valueChanged`` carries the date (or None when blank)."""

    valueChanged = Signal(object)

    def __init__(
        self,
        name: str,
        *,
        optional: bool = False,
        latest: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._optional = optional
        self.setCalendarPopup(True)
        self.setKeyboardTracking(False)  # no reformatting under the cursor while typing
        self.setDisplayFormat(wording.qt_date_format())
        self.setMinimumDate(_BLANK if optional else EARLIEST)
        if optional:
            self.setSpecialValueText(" ")  # the blank: shown when the value is the minimum
        if latest is not None:
            self.setMaximumDate(to_qdate(latest))
        self.setDate(_BLANK if optional else QDate.currentDate())
        self.setAccessibleName(name)
        self.setToolTip(f"{name}: type {wording.date_hint()}, or pick it from the calendar")
        inner = self.findChild(QLineEdit)
        if inner is not None:  # the text part takes the focus: it needs the name too
            inner.setAccessibleName(name)
            inner.setPlaceholderText(wording.date_hint())
        self.dateChanged.connect(lambda _d: self.valueChanged.emit(self.value()))
        self.lineEdit().textEdited.connect(self._edited)

    def _edited(self, text: str) -> None:
        if text.strip() and text != text.lstrip():  # typed after the blank's space
            self.lineEdit().setText(text.lstrip())
        self.valueChanged.emit(self.value())

    # -- the value ---------------------------------------------------------------------
    def value(self) -> date | None:
        """The date shown, or the date typed so far when it is a whole date already
        (so Ctrl+S straight from the field saves what is written)."""
        text = self.lineEdit().text().strip()
        if self._optional and not text:
            return None
        typed = wording.parse_date(text)
        if typed is not None and self.minimumDate() <= to_qdate(typed) <= self.maximumDate():
            return typed
        current = self.date()
        if self._optional and current == _BLANK:
            return None
        return to_date(current)

    def set_value(self, day: date | None) -> None:
        if day is None:
            self.setDate(_BLANK if self._optional else QDate.currentDate())
        else:
            self.setDate(to_qdate(day))

    def is_blank(self) -> bool:
        return self.value() is None

    def typed_problem(self) -> str | None:
        """A message when the text typed so far is not a date (before Qt reverts it)."""
        text = self.lineEdit().text().strip()
        if not text or wording.parse_date(text) is not None:
            return None
        return f"Write the date as {wording.date_hint()}."

    # -- focus: Qt would silently put back the last good date; a wrong date stays visible
    # (with its message) until it is corrected, so nothing typed vanishes unseen -----------
    def focusInEvent(self, event: QFocusEvent) -> None:
        typed = self.lineEdit().text()
        super().focusInEvent(event)
        self._keep(typed)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        typed = self.lineEdit().text()
        super().focusOutEvent(event)
        self._keep(typed)

    def _keep(self, typed: str) -> None:
        if typed.strip() and self.lineEdit().text() != typed:
            self.lineEdit().setText(typed)
        self.valueChanged.emit(self.value())

    # -- keys: the field is one line of text, not day/month/year sections. QDateEdit's own
    # keys would move Tab from section to section (Tab never left the field) and swallow a
    # typed separator as "next section" ("14/03/1985" became "14031985", refused) ----------
    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = not event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier
            | Qt.KeyboardModifier.AltModifier
            | Qt.KeyboardModifier.MetaModifier
        )
        if (
            plain
            and event.text().isprintable()
            and event.text()
            and _TYPING.fullmatch(event.text())
        ):
            self.lineEdit().event(event)  # straight into the text, checked by validate()
            return
        super().keyPressEvent(event)

    # -- Qt's hooks: what can be typed, and how text becomes a date ----------------------
    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        stripped = text.strip()
        if not stripped:
            state = QValidator.State.Acceptable if self._optional else QValidator.State.Intermediate
            return (state, text, pos)
        day = wording.parse_date(stripped)
        if day is not None:
            inside = self.minimumDate() <= to_qdate(day) <= self.maximumDate()
            state = QValidator.State.Acceptable if inside else QValidator.State.Intermediate
            return (state, text, pos)
        if _TYPING.fullmatch(text):
            return (QValidator.State.Intermediate, text, pos)
        return (QValidator.State.Invalid, text, pos)

    def dateTimeFromText(self, text: str) -> QDateTime:
        stripped = text.strip()
        day = wording.parse_date(stripped) if stripped else None
        if day is None:
            qdate = _BLANK if (self._optional and not stripped) else self.date()
        else:
            qdate = to_qdate(day)
        return QDateTime(qdate, self.time())

    def textFromDateTime(self, value: QDateTime) -> str:
        if self._optional and value.date() == _BLANK:
            return ""
        return wording.short_date(to_date(value.date()))

    def fixup(self, text: str) -> str:
        return text
