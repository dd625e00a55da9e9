"""Plain records shared by the playlist importers, the library and the player.

They hold no behaviour beyond small conveniences, so the session code can store them (the
``PlayLog`` becomes a session event) and the UI can show them without knowing where they came
from. ``PlaylistError`` is the one error the importers declare: everything an imported file can
get wrong is either a readable problem in ``Playlist.problems`` or this exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class PlaylistError(Exception):
    """A playlist file cannot be imported at all; the message says why, in plain words."""


@dataclass(frozen=True)
class Track:
    """One entry of a playlist.

    ``location`` is the resolved local file when the entry points at an allowed local path
    (it may still be ``missing``); it is ``None`` for entries that were refused (network
    locations, paths outside the allowed folders) or that had no location. ``uri`` is what
    the player opens (a ``file:`` URI) or, for refused entries, the text as written.
    """

    location: Path | None
    uri: str
    title: str = ""
    artist: str = ""
    duration_s: float | None = None
    missing: bool = False
    outside: Path | None = None  # the file, when refused only for lying outside the folders

    @property
    def playable(self) -> bool:
        return self.location is not None and not self.missing

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.location is not None:
            return self.location.stem
        return self.uri or "(untitled)"


@dataclass
class Playlist:
    """An imported playlist: every track it lists, in order, and every problem found."""

    title: str
    tracks: list[Track] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    source: Path | None = None

    @property
    def playable(self) -> list[Track]:
        return [t for t in self.tracks if t.playable]


@dataclass(frozen=True)
class Tags:
    """What an audio file says about itself (all optional)."""

    title: str = ""
    artist: str = ""
    album: str = ""
    duration_s: float | None = None


@dataclass(frozen=True)
class PlayLog:
    """What played and when, for the session record. ``ended_utc`` is None while playing."""

    title: str
    artist: str
    location: str
    phase: str
    started_utc: datetime
    ended_utc: datetime | None = None


def track_to_dict(track: Track) -> dict[str, object]:
    """JSON-ready form (``core.serial`` does not know ``Path``)."""
    return {
        "title": track.title,
        "artist": track.artist,
        "duration_s": track.duration_s,
        "location": str(track.location) if track.location is not None else None,
        "uri": track.uri,
        "missing": track.missing,
    }


def playlist_to_dict(playlist: Playlist) -> dict[str, object]:
    return {
        "title": playlist.title,
        "source": str(playlist.source) if playlist.source is not None else None,
        "tracks": [track_to_dict(t) for t in playlist.tracks],
        "problems": list(playlist.problems),
    }
