"""The thin Qt bridge between the player and the GUI thread.

The player is plain Python and never touches Qt. libvlc reports "track ended" and errors on
its own threads; the player only queues those and calls its wake-up hook, which this bridge
turns into a *queued* signal so the player's ``tick`` runs on the GUI thread straight away.
A QTimer ticks the player regularly (100 ms by default) to drive fades and crossfades.
What the player reports (track started or ended, status, problems) is re-emitted as Qt
signals for the mini player and the session screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from kapcompanion.audio.models import PlayLog
from kapcompanion.audio.player import Player
from kapcompanion.audio.player_types import PlayerListener, PlayerStatus


class AudioBridge(QObject, PlayerListener):
    """Owns the tick timer and turns player callbacks into Qt signals.

    Signals carry ``PlayLog`` (trackStarted, trackEnded), ``PlayerStatus`` (statusChanged)
    and ``str`` (problem).
    """

    trackStarted = Signal(object)
    trackEnded = Signal(object)
    statusChanged = Signal(object)
    problem = Signal(str)
    _wake = Signal()

    def __init__(
        self,
        player: Player,
        *,
        interval_ms: int = 100,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._player = player
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        # Emitted from libvlc threads; queued so the slot runs on this object's (GUI) thread.
        self._wake.connect(self.tick, Qt.ConnectionType.QueuedConnection)
        player.add_listener(self)
        player.set_wakeup(self._wake.emit)
        if start:
            self._timer.start()

    @property
    def player(self) -> Player:
        return self._player

    @property
    def timer(self) -> QTimer:
        return self._timer

    def status(self) -> PlayerStatus:
        return self._player.status()

    @Slot()
    def tick(self) -> None:
        self._player.tick(self._clock())

    def close(self) -> None:
        """Detach from the player (call before the player or the bridge goes away)."""
        self._timer.stop()
        self._player.set_wakeup(None)
        self._player.remove_listener(self)

    # -- PlayerListener: called on the thread that ticks the player -------------------
    def on_track_started(self, log: PlayLog) -> None:
        self.trackStarted.emit(log)

    def on_track_ended(self, log: PlayLog) -> None:
        self.trackEnded.emit(log)

    def on_status(self, status: PlayerStatus) -> None:
        self.statusChanged.emit(status)

    def on_problem(self, message: str) -> None:
        self.problem.emit(message)
