"""The mini player: what is playing, which phase playlist, volume, pause and next.

Built for a dim room and a quick glance: large type, few controls, big targets, and every
control reachable by keyboard (Space pause/resume, N next, + and - volume). It only talks to
the player through the bridge, so it works the same with the VLC or the null backend; with
the null backend it says why there is no music and disables its controls.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.audio.player_types import PlayerState, PlayerStatus
from kapcompanion.ui.audio_bridge import AudioBridge

VOLUME_STEP = 5
_NO_MODIFIER = Qt.KeyboardModifier.NoModifier
_STATE_TEXT = {
    PlayerState.STOPPED: "Music stopped",
    PlayerState.PAUSED: "Paused",
    PlayerState.PLAYING: "",
    PlayerState.ENDING: "Fading out",
    PlayerState.UNAVAILABLE: "",
}


class MiniPlayer(QWidget):
    """Shows the bridge's status and sends the user's commands to the player."""

    def __init__(
        self,
        bridge: AudioBridge,
        parent: QWidget | None = None,
        *,
        shortcut_context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._player = bridge.player
        self.setObjectName("miniPlayer")
        self.setAccessibleName("Music player")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.title_label = QLabel(self)
        self.title_label.setObjectName("miniPlayerTitle")
        self.title_label.setWordWrap(True)
        font = QFont(self.title_label.font())
        font.setPointSizeF(max(font.pointSizeF(), 10.0) * 1.5)
        self.title_label.setFont(font)
        self.title_label.setAccessibleName("Current track")
        self.artist_label = QLabel(self)
        self.artist_label.setAccessibleName("Artist")
        self.playlist_label = QLabel(self)
        self.playlist_label.setAccessibleName("Phase playlist")
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName("Music status")

        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setAccessibleName("Pause or resume music")
        self.pause_button.setToolTip("Pause or resume the music (Space)")
        self.next_button = QPushButton("Next", self)
        self.next_button.setAccessibleName("Next track")
        self.next_button.setToolTip("Crossfade to the next track (N)")
        self.volume_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setSingleStep(VOLUME_STEP)
        self.volume_slider.setPageStep(VOLUME_STEP * 2)
        self.volume_slider.setAccessibleName("Music volume")
        self.volume_slider.setToolTip("Music volume (+ and -)")
        volume_label = QLabel("Volume", self)
        volume_label.setBuddy(self.volume_slider)
        for control in (self.pause_button, self.next_button, self.volume_slider):
            control.setMinimumHeight(44)
            control.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        controls = QHBoxLayout()
        controls.addWidget(self.pause_button)
        controls.addWidget(self.next_button)
        controls.addSpacing(12)
        controls.addWidget(volume_label)
        controls.addWidget(self.volume_slider, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.artist_label)
        layout.addWidget(self.playlist_label)
        layout.addWidget(self.message_label)
        layout.addLayout(controls)
        self.setTabOrder(self.pause_button, self.next_button)
        self.setTabOrder(self.next_button, self.volume_slider)

        self.pause_button.clicked.connect(self.toggle_pause)
        self.next_button.clicked.connect(self.next_track)
        self.volume_slider.valueChanged.connect(self._volume_moved)
        self._shortcuts: list[QShortcut] = []
        for keys, slot in (
            ([Qt.Key.Key_Space], self.toggle_pause),
            ([Qt.Key.Key_N], self.next_track),
            ([Qt.Key.Key_Plus, Qt.Key.Key_Equal], self.volume_up),
            ([Qt.Key.Key_Minus], self.volume_down),
        ):
            for key in keys:
                for modifier in (_NO_MODIFIER, Qt.KeyboardModifier.KeypadModifier):
                    shortcut = QShortcut(QKeySequence(key | modifier), self)
                    shortcut.setContext(shortcut_context)
                    shortcut.activated.connect(slot)
                    self._shortcuts.append(shortcut)

        bridge.statusChanged.connect(self.show_status)
        bridge.problem.connect(self._show_problem)
        self.show_status(bridge.status())

    # -- commands ----------------------------------------------------------------------
    @Slot()
    def toggle_pause(self) -> None:
        if self._player.available:
            self._player.toggle_pause()

    @Slot()
    def next_track(self) -> None:
        if self._player.available:
            self._player.next()

    @Slot()
    def volume_up(self) -> None:
        self.volume_slider.setValue(min(100, self.volume_slider.value() + VOLUME_STEP))

    @Slot()
    def volume_down(self) -> None:
        self.volume_slider.setValue(max(0, self.volume_slider.value() - VOLUME_STEP))

    @Slot(int)
    def _volume_moved(self, value: int) -> None:
        if self._player.available and value != self._player.volume:
            self._player.set_volume(value)

    # -- display -----------------------------------------------------------------------
    @Slot(object)
    def show_status(self, status: PlayerStatus) -> None:
        if not status.available:
            self.title_label.setText("No music")
            self.artist_label.setText("")
            self.playlist_label.setText(_playlist_text(status))
            self.message_label.setText(status.message)
        else:
            self.title_label.setText(status.title or "—")
            self.artist_label.setText(status.artist)
            self.playlist_label.setText(_playlist_text(status))
            self.message_label.setText(_STATE_TEXT.get(status.state, ""))
        for label in (self.artist_label, self.playlist_label, self.message_label):
            label.setHidden(not label.text())  # no blank lines where there is nothing to say
        running = status.state in (PlayerState.PLAYING, PlayerState.ENDING)
        self.pause_button.setText("Pause" if running else "Play")
        for control in (self.pause_button, self.next_button, self.volume_slider):
            control.setEnabled(status.available)
        self.next_button.setEnabled(status.available and running)
        if self.volume_slider.value() != status.volume:
            self.volume_slider.blockSignals(True)
            self.volume_slider.setValue(status.volume)
            self.volume_slider.blockSignals(False)

    @Slot(str)
    def _show_problem(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.setHidden(not message)


def _playlist_text(status: PlayerStatus) -> str:
    phase = status.phase.capitalize() if status.phase else ""
    if phase and status.playlist_title:
        return f"{phase} · {status.playlist_title}"
    return phase or status.playlist_title
