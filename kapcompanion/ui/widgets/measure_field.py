"""Weight and height fields with an explicit unit (issue 19: units that cannot be misread).

A line edit and two unit buttons (kg | lb, or cm | in). Text with a unit ("150 lb", "68kg",
"5 ft 7 in") is read in that unit and the unit button follows it; text without one is read
in the selected unit; anything else is refused with a message (``core.units``), never read
in the other unit. Clicking the other unit converts the same weight ("68" kg becomes
"149.9" lb). Below the field one line always says what will be stored, both units:
"68.0 kg (150 lb)", or why the text cannot be read. Two lines are reserved for it and its
width follows the field, so nothing moves or widens while typing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.units import (
    Height,
    HeightUnit,
    UnitError,
    Weight,
    WeightUnit,
    number_text,
    parse_height,
    parse_weight,
)
from kapcompanion.ui.theme import set_role

V = TypeVar("V", Weight, Height)


class _MeasureField(QWidget, Generic[V]):
    changed = Signal()

    def __init__(
        self,
        what: str,
        units: tuple[str, str],
        parse: Callable[[str, str], V],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.what = what
        self._parse: Callable[[str, str], V] = parse
        self._value: V | None = None
        self._origin: V | None = None  # as typed or loaded, so lb -> kg -> lb gives 150 back
        self._problem = ""
        self.edit = QLineEdit(self)
        self.edit.setAccessibleName(what.capitalize())
        self.edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("0000.0 lbs") + 16)
        self.buttons: dict[str, QPushButton] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        row = self.row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        width = max(self.fontMetrics().horizontalAdvance(f" {u} ") for u in units) + 28
        for unit in units:
            button = QPushButton(unit, self)
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setAccessibleName(f"{what.capitalize()} in {unit}")
            button.setToolTip(f"Type the {what} in {unit}")
            button.setFixedWidth(width)
            self.group.addButton(button)
            self.buttons[unit] = button
            row.addWidget(button)
        self.buttons[units[0]].setChecked(True)
        self.note = QLabel(self)
        self.note.setAccessibleName(f"{what.capitalize()} as stored")
        # two lines reserved, width from the field (never the text): nothing moves or widens
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.note.setFixedHeight(self.fontMetrics().lineSpacing() * 2 + 4)
        set_role(self.note, "hint")
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addLayout(row)
        col.addWidget(self.note)
        self.setFocusProxy(self.edit)
        # every change of the text is read, typed or not (a pasted or programmatically set
        # number must never show beside the meaning of the previous one); the field's own
        # rewrites (a unit switch, set_value) are not re-read
        self._rewriting = False
        self.edit.textChanged.connect(self._text_changed)
        self.group.buttonClicked.connect(self._unit_clicked)
        self._show()

    def _hint(self, short: str, whole: str) -> None:
        """A placeholder short enough to show whole in the field (it was cut as "5 …" at
        150 %); the whole example in the tooltip."""
        self.edit.setPlaceholderText(short)
        self.edit.setToolTip(whole)
        room = self.fontMetrics().horizontalAdvance(short) + 24
        self.edit.setMinimumWidth(max(self.edit.minimumWidth(), room))

    def add_to_row(self, widget: QWidget) -> None:
        """Put ``widget`` (say, "Use the record's weight") after the unit buttons, so the
        note below has the whole width."""
        self.row.addWidget(widget)

    # ------------------------------------------------------------------ state
    def unit(self) -> str:
        checked = self.group.checkedButton()
        return checked.text() if checked is not None else next(iter(self.buttons))

    def set_unit(self, unit: str) -> None:
        """Select ``unit`` without touching the text (the clinic's default, before typing)."""
        self.buttons[str(unit)].setChecked(True)
        if self.edit.text().strip():
            self._typed(self.edit.text())

    def value(self) -> V | None:
        """What the text means (None when empty or unreadable: see :meth:`problem`)."""
        return self._value

    def problem(self) -> str:
        return self._problem

    def set_value(self, value: V | None) -> None:
        self._value = self._origin = value
        self._problem = ""
        if value is None:
            self._rewrite("")
        else:
            unit = str(value.unit)
            self.buttons[unit].setChecked(True)
            self._rewrite(number_text(self._number_in(value, unit), 1))
        self._show()
        self.changed.emit()

    def _number_in(self, value: V, unit: str) -> float:
        raise NotImplementedError

    def _convert(self, value: V, unit: str) -> V:
        raise NotImplementedError

    # ------------------------------------------------------------------ events
    def _rewrite(self, text: str) -> None:
        self._rewriting = True
        try:
            self.edit.setText(text)
        finally:
            self._rewriting = False

    def _text_changed(self, text: str) -> None:
        if not self._rewriting:
            self._typed(text)

    def _typed(self, text: str) -> None:
        if not text.strip():
            self._value = self._origin = None
            self._problem = ""
        else:
            try:
                self._value = self._origin = self._parse(text, self.unit())
                self._problem = ""
                self.buttons[str(self._value.unit)].setChecked(True)
            except UnitError as exc:
                self._value = self._origin = None
                self._problem = exc.message
        self._show()
        self.changed.emit()

    def _unit_clicked(self, *_args: object) -> None:
        unit = self.unit()
        if self._value is not None and str(self._value.unit) != unit:
            origin = self._origin
            if origin is not None and str(origin.unit) == unit:
                self._value = origin
            else:
                self._value = self._convert(self._value, unit)
            self._rewrite(number_text(self._number_in(self._value, unit), 1))
        elif self._value is None and self.edit.text().strip():
            self._typed(self.edit.text())
            return
        self._show()
        self.changed.emit()

    def _show(self) -> None:
        if self._problem:
            self.note.setText(self._problem)
            self.note.setToolTip(self._problem)
            set_role(self.note, "error")
        elif self._value is not None:
            self.note.setText(f"= {self._value.text()}")
            self.note.setToolTip("")
            set_role(self.note, "hint")
        else:
            self.note.setText(f"Type the {self.what} in {self.unit()}, or add the unit.")
            self.note.setToolTip("")
            set_role(self.note, "hint")


class WeightField(_MeasureField[Weight]):
    def __init__(self, parent: QWidget | None = None, what: str = "weight") -> None:
        super().__init__(what, ("kg", "lb"), parse_weight, parent)
        self._hint("e.g. 68 kg", "e.g. 68 kg or 150 lb; a bare number is in the unit chosen")

    def _number_in(self, value: Weight, unit: str) -> float:
        return float(value.in_unit(unit))

    def _convert(self, value: Weight, unit: str) -> Weight:
        shown = number_text(value.in_unit(unit), 1)
        if WeightUnit(unit) is WeightUnit.KG:
            return Weight(value.kg, WeightUnit.KG, None, value.measured_on)
        return Weight(value.kg, WeightUnit.LB, float(shown), value.measured_on)


class HeightField(_MeasureField[Height]):
    def __init__(self, parent: QWidget | None = None, what: str = "height") -> None:
        super().__init__(what, ("cm", "in"), parse_height, parent)
        self._hint("e.g. 170 cm", "e.g. 170 cm or 5 ft 7 in; a bare number is in the unit chosen")

    def _number_in(self, value: Height, unit: str) -> float:
        return float(value.inches()) if HeightUnit(unit) is HeightUnit.IN else value.cm

    def _convert(self, value: Height, unit: str) -> Height:
        if HeightUnit(unit) is HeightUnit.CM:
            return Height(value.cm, HeightUnit.CM, None, value.measured_on)
        return Height(
            value.cm, HeightUnit.IN, float(number_text(value.inches(), 1)), value.measured_on
        )
