"""An editable list of short records (medications, substances, people): a line per record.

Each line has one text field per column, an optional live note beside it (``annotate``,
e.g. "Interacts: Benzodiazepines") and a Remove button; "Add" appends an empty line and
puts the cursor in it. Blank lines are left out of :meth:`values`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.ui.theme import set_role

#: (field key, placeholder / accessible name)
Field = tuple[str, str]
Annotate = Callable[[dict[str, str]], str]


class _Line:
    def __init__(self, edits: dict[str, QLineEdit], note: QLabel, remove: QPushButton) -> None:
        self.edits = edits
        self.note = note
        self.remove = remove

    def value(self) -> dict[str, str]:
        return {k: e.text().strip() for k, e in self.edits.items()}

    def widgets(self) -> list[QWidget]:
        return [*self.edits.values(), self.note, self.remove]


class RowList(QWidget):
    changed = Signal()

    def __init__(
        self,
        fields: Sequence[Field],
        *,
        what: str,
        empty: str,
        annotate: Annotate | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.fields = list(fields)
        self.what = what
        self.annotate = annotate
        self.lines: list[_Line] = []
        self._read_only = False
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        for column in range(len(self.fields)):
            self.grid.setColumnStretch(column, 3 if column == 0 else 2)
        self.empty = QLabel(empty)
        set_role(self.empty, "hint")
        self.add_button = QPushButton(f"Add {what}")
        self.add_button.setAccessibleName(f"Add {what}")
        self.add_button.clicked.connect(lambda: self.add_line(focus=True))
        bottom = QHBoxLayout()
        bottom.addWidget(self.add_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addLayout(self.grid)
        layout.addLayout(bottom)

    def add_line(self, values: dict[str, str] | None = None, *, focus: bool = False) -> _Line:
        values = values or {}
        row = len(self.lines)
        edits: dict[str, QLineEdit] = {}
        for column, (key, placeholder) in enumerate(self.fields):
            edit = QLineEdit(values.get(key, ""))
            edit.setPlaceholderText(placeholder)
            edit.setAccessibleName(f"{self.what} {row + 1}: {placeholder}")
            edit.setReadOnly(self._read_only)
            edit.textEdited.connect(self._edited)
            edits[key] = edit
            self.grid.addWidget(edit, row, column)
        note = QLabel()
        set_role(note, "warning")
        note.setWordWrap(True)
        remove = QPushButton("Remove")
        remove.setAccessibleName(f"Remove {self.what} {row + 1}")
        remove.setEnabled(not self._read_only)
        line = _Line(edits, note, remove)
        remove.clicked.connect(lambda: self.remove_line(line))
        self.grid.addWidget(note, row, len(self.fields))
        self.grid.addWidget(remove, row, len(self.fields) + 1)
        self.lines.append(line)
        self._annotate(line)
        self.empty.setVisible(False)
        if focus:
            next(iter(edits.values())).setFocus()
        return line

    def remove_line(self, line: _Line) -> None:
        values = [x.value() for x in self.lines if x is not line]
        self.set_values(values)
        self.changed.emit()

    def set_values(self, values: Sequence[dict[str, str]]) -> None:
        for line in self.lines:
            for widget in line.widgets():
                self.grid.removeWidget(widget)
                widget.deleteLater()
        self.lines = []
        for value in values:
            self.add_line(value)
        self.empty.setVisible(not self.lines)

    def values(self) -> list[dict[str, str]]:
        return [v for v in (line.value() for line in self.lines) if any(v.values())]

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.add_button.setEnabled(not read_only)
        for line in self.lines:
            for edit in line.edits.values():
                edit.setReadOnly(read_only)
            line.remove.setEnabled(not read_only)

    def _edited(self) -> None:
        for line in self.lines:
            self._annotate(line)
        self.changed.emit()

    def _annotate(self, line: _Line) -> None:
        text = self.annotate(line.value()) if self.annotate else ""
        line.note.setText(text)
        line.note.setVisible(bool(text))
