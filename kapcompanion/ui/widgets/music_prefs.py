"""The client's music preferences for a session: likes, avoid list, volume, output, eyeshade.

Session music is ambient, without lyrics and unfamiliar; the avoid list names artists or
pieces with associations (the player checks playlists against it).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.checklist import MusicOutput, MusicPreferences
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.choice import SegmentedChoice

NO_MUSIC = "No music preferences yet: anything entered here is saved as the client's choice."


def _lines(edit: QPlainTextEdit) -> list[str]:
    return [line.strip() for line in edit.toPlainText().splitlines() if line.strip()]


def _list_edit(name: str, placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 14)
    return edit


class MusicPreferencesEditor(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("musicPreferences")
        self._prefs: MusicPreferences | None = None
        self._loading = False
        self.likes = _list_edit("Music the client likes", "one per line: sounds, moods, styles")
        self.avoid = _list_edit(
            "Music to avoid", "one per line: artists or pieces with associations"
        )
        self.volume = QSpinBox()
        self.volume.setRange(0, 100)
        self.volume.setSpecialValueText("Not set")
        self.volume.setSuffix(" %")
        self.volume.setAccessibleName("Volume")
        self.volume.lineEdit().setAccessibleName("Volume")
        self.output = SegmentedChoice(
            [(MusicOutput.HEADPHONES, "Headphones"), (MusicOutput.SPEAKERS, "Speakers")],
            "Music through",
        )
        self.output.set_value(MusicOutput.HEADPHONES)
        self.eyeshade = QCheckBox("Eyeshade")
        self.eyeshade.setAccessibleName("Eyeshade")
        self.eyeshade.setChecked(True)
        self.state = QLabel(NO_MUSIC)
        self.state.setWordWrap(True)
        set_role(self.state, "hint")

        self.likes.textChanged.connect(self._edited)
        self.avoid.textChanged.connect(self._edited)
        self.volume.valueChanged.connect(self._edited)
        self.output.chosen.connect(self._edited)
        self.eyeshade.toggled.connect(self._edited)

        self.volume.setMaximumWidth(140)
        lists = QGridLayout()
        for column, (text, edit) in enumerate(
            (("Likes (one per line)", self.likes), ("Avoid (one per line)", self.avoid))
        ):
            label = QLabel(text)
            label.setBuddy(edit)
            lists.addWidget(label, 0, column)
            lists.addWidget(edit, 1, column)
        out = QHBoxLayout()
        out.addWidget(QLabel("Volume"))
        out.addWidget(self.volume)
        out.addSpacing(16)
        out.addWidget(self.output)
        out.addSpacing(16)
        out.addWidget(self.eyeshade)
        out.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(lists)
        layout.addLayout(out)
        layout.addWidget(self.state)

    def preferences(self) -> MusicPreferences | None:
        return self._prefs

    def set_preferences(self, prefs: MusicPreferences | None) -> None:
        self._prefs = prefs
        self._loading = True
        try:
            p = prefs or MusicPreferences()
            self.likes.setPlainText("\n".join(p.likes))
            self.avoid.setPlainText("\n".join(p.avoid))
            self.volume.setValue(p.volume or 0)
            self.output.set_value(MusicOutput(p.output))
            self.eyeshade.setChecked(p.eyeshade)
        finally:
            self._loading = False
        self.state.setVisible(prefs is None)

    def set_read_only(self, read_only: bool) -> None:
        self.likes.setReadOnly(read_only)
        self.avoid.setReadOnly(read_only)
        for widget in (self.volume, self.output, self.eyeshade):
            widget.setEnabled(not read_only)

    def _edited(self, *_args: object) -> None:
        if self._loading:
            return
        self._prefs = MusicPreferences(
            likes=_lines(self.likes),
            avoid=_lines(self.avoid),
            volume=self.volume.value() or None,
            output=self.output.value() or MusicOutput.HEADPHONES,
            eyeshade=self.eyeshade.isChecked(),
        )
        self.state.hide()
        self.changed.emit()
