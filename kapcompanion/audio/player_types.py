"""The player's settings, its status snapshot and the listener interface."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kapcompanion.audio.models import PlayLog


class PlayerState(StrEnum):
    UNAVAILABLE = "unavailable"  # no audio backend (libvlc missing)
    STOPPED = "stopped"
    PLAYING = "playing"
    PAUSED = "paused"
    ENDING = "ending"  # the end-of-session fade is running


@dataclass
class PlayerConfig:
    """Timings in seconds, volumes 0-100. The clinic can change them in settings."""

    crossfade_s: float = 8.0
    phase_crossfade_s: float = 8.0
    skip_fade_s: float = 2.0
    fade_in_s: float = 4.0
    resume_fade_s: float = 1.5
    end_fade_s: float = 60.0
    volume: int = 70
    bell_volume: int = 80
    bell_lead_s: float = 6.0  # music waits this long after a bell of unknown length
    loop: bool = True  # a phase that outlasts its playlist starts it again, never silence


@dataclass(frozen=True)
class PlayerStatus:
    """Everything the mini player shows, in one immutable snapshot."""

    state: PlayerState
    available: bool
    message: str  # why music is unavailable, or ''
    phase: str
    playlist_title: str
    title: str
    artist: str
    volume: int

    @property
    def playing(self) -> bool:
        return self.state in (PlayerState.PLAYING, PlayerState.ENDING)


class PlayerListener:
    """Receives what the player does. Subclass and override what you need.

    The player calls these from the thread that calls its methods and ``tick`` (the GUI
    thread in the app), never from a libvlc thread.
    """

    def on_track_started(self, log: PlayLog) -> None:
        """A track started (``log.ended_utc`` is None)."""

    def on_track_ended(self, log: PlayLog) -> None:
        """A track stopped sounding (faded out, finished, skipped, stopped or failed)."""

    def on_status(self, status: PlayerStatus) -> None:
        """The snapshot changed (state, track, phase or volume)."""

    def on_problem(self, message: str) -> None:
        """Something the therapist may want to know (a track failed, a playlist is empty)."""
