"""Date fields: the locale's short date and ISO typed whole, a calendar popup, optional blanks."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from kapcompanion.core import wording
from kapcompanion.ui.widgets.date_field import DateField


def type_into(field: DateField, text: str) -> None:
    field.setFocus()
    field.lineEdit().selectAll()
    QTest.keyClick(field.lineEdit(), Qt.Key.Key_Delete)
    QTest.keyClicks(field.lineEdit(), text)
    field.interpretText()  # what leaving the field (Tab, focus out) does


@pytest.mark.parametrize(
    ("locale", "typed", "shown"),
    [
        ("en_US", "03/14/1985", "3/14/1985"),
        ("en_US", "1985-03-14", "3/14/1985"),
        ("de_DE", "14.03.1985", "14.03.1985"),
        ("de_DE", "1985-03-14", "14.03.1985"),
        ("en_GB", "14/03/1985", "14/03/1985"),
    ],
)
def test_the_locale_short_date_and_iso_are_accepted(
    qtbot: QtBot, locale: str, typed: str, shown: str
) -> None:
    wording.set_locale(locale)
    field = DateField("Date of birth", optional=True, latest=date(2026, 1, 1))
    qtbot.addWidget(field)
    field.show()
    assert field.calendarPopup()
    assert field.value() is None and field.text().strip() == ""
    seen: list[object] = []
    field.valueChanged.connect(seen.append)
    type_into(field, typed)
    assert field.value() == date(1985, 3, 14)
    assert field.text() == shown
    assert seen[-1] == date(1985, 3, 14)


def test_the_other_locales_format_is_not_guessed(qtbot: QtBot) -> None:
    wording.set_locale("en_US")
    field = DateField("Date of birth", optional=True)
    qtbot.addWidget(field)
    field.show()
    field.set_value(date(2000, 1, 2))
    field.setFocus()
    field.lineEdit().selectAll()
    QTest.keyClick(field.lineEdit(), Qt.Key.Key_Delete)
    QTest.keyClicks(field.lineEdit(), "14.03.1985")  # German, under en_US: not a date here
    assert field.typed_problem() == "Write the date as M/D/YYYY or YYYY-MM-DD."
    assert field.value() != date(1985, 3, 14)
    field.interpretText()
    assert field.value() == date(2000, 1, 2)  # reverted, never a wrong date


def test_a_blank_optional_field_and_a_required_one(qtbot: QtBot) -> None:
    optional = DateField("Date of birth", optional=True)
    required = DateField("Measured on", latest=date.today())
    for w in (optional, required):
        qtbot.addWidget(w)
    assert optional.value() is None
    optional.set_value(date(1980, 4, 23))
    assert optional.value() == date(1980, 4, 23)
    optional.set_value(None)
    assert optional.value() is None
    assert required.value() == date.today()
    required.set_value(date(2030, 1, 1))  # after the latest date: Qt keeps it at the latest
    assert required.value() == date.today()


def test_qt_format_follows_the_locale() -> None:
    expected = {"en_US": "M/d/yyyy", "de_DE": "dd.MM.yyyy", "en_GB": "dd/MM/yyyy"}
    for name, pattern in expected.items():
        wording.set_locale(name)
        assert wording.qt_date_format() == pattern


def test_a_wrong_date_stays_visible_when_the_focus_moves(qtbot: QtBot) -> None:
    """Qt would quietly put back the last good date; the typed text stays, with its message."""
    from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

    wording.set_locale("en_US")
    host = QWidget()
    qtbot.addWidget(host)
    field = DateField("Date of birth", optional=True)
    other = QLineEdit()
    layout = QVBoxLayout(host)
    layout.addWidget(field)
    layout.addWidget(other)
    host.show()
    host.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is host)
    seen: list[object] = []
    field.valueChanged.connect(seen.append)
    field.setFocus()
    QTest.keyClicks(field.lineEdit(), "13/31/1980")
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    assert field.lineEdit().text().strip() == "13/31/1980"
    assert field.typed_problem() is not None and field.value() is None
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    assert field.lineEdit().text().strip() == "13/31/1980"
    field.lineEdit().selectAll()
    QTest.keyClicks(field.lineEdit(), "12/31/1980")
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    assert field.value() == date(1980, 12, 31) and field.typed_problem() is None
    assert seen[-1] == date(1980, 12, 31)


def test_real_keys_type_the_separators_and_tab_leaves_the_field(qtbot: QtBot) -> None:
    """Keys go to the QDateEdit itself (not its line edit): a typed "/" is text, not "next
    section", and Tab moves to the next field instead of to the next date section."""
    from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

    wording.set_locale("en_GB")
    form = QWidget()
    qtbot.addWidget(form)
    layout = QVBoxLayout(form)
    before, field, after = QLineEdit(), DateField("Date of birth", optional=True), QLineEdit()
    for w in (before, field, after):
        layout.addWidget(w)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    before.setFocus()
    qtbot.waitUntil(before.hasFocus)
    QTest.keyClick(before, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is field
    QTest.keyClicks(field, "14/03/1985")
    assert field.lineEdit().text() == "14/03/1985"
    assert field.value() == date(1985, 3, 14)
    QTest.keyClick(field, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is after
    assert field.value() == date(1985, 3, 14)
    QTest.keyClick(after, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is field
