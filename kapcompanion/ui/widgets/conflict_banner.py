"""A calm strip above an editor whose autosave was refused because the record changed elsewhere.

Non-modal: the editor keeps its text and stays editable while the strip waits for a choice
(Keep mine / Keep theirs / Keep both, reachable with Tab; nothing takes the focus). Both versions
are already kept in the vault (``services.documents``), so nothing is lost whatever is chosen,
or if nothing is chosen. The strip says when the other version was saved; ``chosen`` carries
``"mine"``, ``"theirs"`` or ``"both"``.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kapcompanion.core import wording
from kapcompanion.services.documents import StaleRevision
from kapcompanion.ui.theme import set_role

EXPLAIN = (
    "Another window or an import saved this {what} after you opened it. Your text stays "
    "here; both versions are kept until you choose."
)
TIPS = {
    "mine": "Save the text in this window as the current version (the other stays in the history).",
    "theirs": "Show the version saved elsewhere (your text stays in the history).",
    "both": "One version holding both texts, the other one first, with a line between them.",
}


def changed_at(exc: StaleRevision) -> str:
    when: datetime = exc.changed_at
    return wording.time_of_day(when.astimezone())


class ConflictBanner(QFrame):
    chosen = Signal(str)

    def __init__(self, what: str = "record", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictBanner")
        set_role(self, "card")
        self.what = what
        self.conflict: StaleRevision | None = None
        self.title = QLabel()
        set_role(self.title, "warning")
        self.title.setAccessibleName("Changed elsewhere")
        self.text = QLabel(EXPLAIN.format(what=what))
        self.text.setWordWrap(True)
        set_role(self.text, "hint")
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for choice, label in (
            ("mine", "Keep mine"),
            ("theirs", "Keep theirs"),
            ("both", "Keep both"),
        ):
            button = QPushButton(label)
            button.setObjectName(f"keep_{choice}")
            button.setToolTip(TIPS[choice])
            button.setAccessibleName(label)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, c=choice: self.chosen.emit(c))
            self.buttons[choice] = button
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)  # buttons under the words: fits a narrow editor column
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self.hide()

    def show_conflict(self, exc: StaleRevision) -> None:
        self.conflict = exc
        self.title.setText(f"Changed elsewhere at {changed_at(exc)}")
        self.setAccessibleDescription(self.title.text() + ". " + self.text.text())
        self.show()

    def clear(self) -> None:
        self.conflict = None
        self.hide()
