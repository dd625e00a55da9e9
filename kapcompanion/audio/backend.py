"""The abstract audio backend the player drives, and the silent null backend.

A backend hands out *channels*: one channel plays one file at a time (a libvlc media player
in the VLC backend). The player mixes by running two channels at once during a crossfade.
Channels report the end of a file, or an error, through an event sink that may be called
on any thread (libvlc calls back on its own threads); the sink must only queue the event.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum

NO_DEVICE = (
    "VLC could not open an audio device on this computer (no speakers or headphones, or "
    "the sound system is not running)."
)
NO_SOUND_OUTPUT = (
    f"No sound output: {NO_DEVICE} Music is not playing and is not recorded as played. "
    "Connect an audio device and restart the app."
)
NOT_INSTALLED = (
    "Music is unavailable: VLC is not installed. Install VLC "
    "(on Debian/Ubuntu: sudo apt install vlc) and restart."
)


class ChannelEvent(StrEnum):
    ENDED = "ended"
    ERROR = "error"


EventSink = Callable[[ChannelEvent], None]


class BackendError(Exception):
    """A channel could not open or play a file (the player reports it and moves on)."""


class BackendUnavailable(Exception):
    """The backend cannot start; ``str(exc)`` is the plain reason shown to the user."""


class Channel(ABC):
    """One voice: a file, a transport (play/pause/stop) and a volume (0-100)."""

    @abstractmethod
    def open(self, uri: str) -> None:
        """Load a local ``file:`` URI; raises BackendError for anything else."""

    @abstractmethod
    def play(self) -> None: ...

    @abstractmethod
    def pause(self) -> None: ...

    @abstractmethod
    def resume(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def set_volume(self, volume: int) -> None: ...

    @abstractmethod
    def volume(self) -> int | None:
        """The volume the output reports, or None when it cannot say."""

    @abstractmethod
    def is_playing(self) -> bool: ...

    @abstractmethod
    def length_s(self) -> float | None:
        """Length of the loaded file once the backend knows it."""

    @abstractmethod
    def set_event_sink(self, sink: EventSink | None) -> None: ...

    @abstractmethod
    def release(self) -> None:
        """Stop and free the channel; it is not used again."""


class AudioBackend(ABC):
    name: str = "abstract"

    @property
    @abstractmethod
    def available(self) -> bool: ...

    @property
    def reason(self) -> str:
        """Why the backend is unavailable ('' when it is available)."""
        return ""

    @property
    def audible(self) -> bool:
        """Whether what plays can be heard: an audio output opened a device.

        A backend that cannot tell answers ``available``; the VLC backend finds out once (a
        fraction of a second of silence) and then keeps watching libvlc's messages.
        """
        return self.available

    @property
    def output_failed(self) -> bool:
        """True once the audio output is known to have failed (cheap; never probes)."""
        return False

    @property
    def silent_reason(self) -> str:
        """Why nothing can be heard ('' when it can)."""
        return "" if self.audible else self.reason

    @abstractmethod
    def new_channel(self) -> Channel: ...

    def probe_duration(self, uri: str, timeout_s: float = 2.0) -> float | None:
        """Length of a file without playing it, when the backend can tell."""
        return None

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to free
        """Free the backend; channels must be released first."""


def check_local_uri(uri: str) -> None:
    """The offline rule, enforced once more at the last step: only ``file:`` URIs play."""
    if not uri.lower().startswith("file:"):
        raise BackendError("only local files are played")


class NullChannel(Channel):
    """A channel that makes no sound; it keeps its state so callers and tests can look."""

    def __init__(self) -> None:
        self.uri = ""
        self.playing = False
        self._volume = 100
        self._sink: EventSink | None = None

    def open(self, uri: str) -> None:
        check_local_uri(uri)
        self.uri = uri

    def play(self) -> None:
        self.playing = True

    def pause(self) -> None:
        self.playing = False

    def resume(self) -> None:
        self.playing = bool(self.uri)

    def stop(self) -> None:
        self.playing = False

    def set_volume(self, volume: int) -> None:
        self._volume = volume

    def volume(self) -> int | None:
        return self._volume

    def is_playing(self) -> bool:
        return self.playing

    def length_s(self) -> float | None:
        return None

    def set_event_sink(self, sink: EventSink | None) -> None:
        self._sink = sink

    def release(self) -> None:
        self.playing = False
        self._sink = None


class NullBackend(AudioBackend):
    """Used when libvlc is missing: the app runs, the mini player says why there is no music."""

    name = "null"

    def __init__(self, reason: str = NOT_INSTALLED) -> None:
        self._reason = reason

    @property
    def available(self) -> bool:
        return False

    @property
    def reason(self) -> str:
        return self._reason

    def new_channel(self) -> Channel:
        return NullChannel()
