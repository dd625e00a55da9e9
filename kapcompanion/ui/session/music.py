"""A session's music: which playlist each phase plays, the avoid list, and the play log.

The player is shared by the whole app; one ``SessionMusic`` listens to it for one session.
Playlists are read once per session (a client override, else the clinic's choice, else the
shipped playlist). Tracks that match the client's avoid list are flagged and, by default,
left out of this session's playlists, so a piece with bad associations never starts by
accident. What played goes to the session record as MUSIC_STARTED / MUSIC_ENDED events with
the title, artist, location, phase and UTC times (``record`` commits them, or keeps them
while the app is locked).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kapcompanion import paths
from kapcompanion.audio.library import PHASES, AvoidMatch, PhasePlaylists, check_avoid_list
from kapcompanion.audio.models import Playlist, PlaylistError, PlayLog
from kapcompanion.audio.player import Player, system_utc_now
from kapcompanion.audio.player_types import PlayerListener, PlayerState
from kapcompanion.audio.playlists import read_playlist
from kapcompanion.core.models import EventKind

log = logging.getLogger(__name__)

Record = Callable[[EventKind, dict[str, Any]], None]


@dataclass(frozen=True)
class FlaggedTrack:
    phase: str
    match: AvoidMatch

    def text(self) -> str:
        m = self.match
        return (
            f"{self.phase.capitalize()}: “{m.track_title}” matches “{m.term}” "
            f"(in its {m.field}: {m.value})"
        )


@dataclass
class MusicPlan:
    """The five phase playlists as this session will play them."""

    playlists: dict[str, Playlist] = field(default_factory=dict)
    flagged: list[FlaggedTrack] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    left_out: bool = True


def playlist_roots(folders: Iterable[Path], playlist: Path) -> list[Path]:
    """Where a phase playlist may point: the clinic's folders, its own folder, the shipped music."""
    return [*folders, playlist.resolve().parent, paths.resources_dir(), paths.playlists_dir()]


def load_plan(
    mapping: PhasePlaylists,
    folders: Iterable[Path],
    avoid: Iterable[str],
    *,
    leave_out: bool = True,
    reader: Callable[..., Playlist] = read_playlist,
) -> MusicPlan:
    """Read each phase's playlist and check it against the avoid list."""
    folders = list(folders)
    avoid = [a for a in avoid if a.strip()]
    plan = MusicPlan(left_out=leave_out)
    for phase in PHASES:
        path = mapping.playlist_for(phase)
        try:
            playlist = reader(path, roots=playlist_roots(folders, path))
        except PlaylistError as exc:
            plan.problems.append(f"{phase.capitalize()}: {exc}")
            playlist = Playlist(title=f"{phase.capitalize()} (unavailable)")
        plan.problems.extend(f"{phase.capitalize()}: {p}" for p in playlist.problems)
        matches = check_avoid_list(playlist.tracks, avoid) if avoid else []
        plan.flagged.extend(FlaggedTrack(phase, m) for m in matches)
        if leave_out and matches:
            bad = {m.track_index for m in matches}
            playlist = Playlist(
                title=playlist.title,
                tracks=[t for i, t in enumerate(playlist.tracks) if i not in bad],
                problems=playlist.problems,
                source=playlist.source,
            )
        plan.playlists[phase] = playlist
    return plan


def log_payload(entry: PlayLog, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": entry.title,
        "artist": entry.artist,
        "location": entry.location,
        "phase": entry.phase,
        "started_utc": entry.started_utc.isoformat(),
        "ended_utc": entry.ended_utc.isoformat() if entry.ended_utc else None,
    }
    payload.update(extra)
    return payload


class SessionMusic(PlayerListener):
    """Drives the shared player for one session and records what it played."""

    def __init__(
        self,
        player: Player | None,
        record: Record,
        utc_now: Callable[[], datetime] = system_utc_now,
    ) -> None:
        self.player = player
        self._utc_now = utc_now
        self._record = record
        self.plan = MusicPlan()
        self.phase = ""
        self.recording = False
        self._open: dict[tuple[str, str], PlayLog] = {}
        if player is not None:
            player.add_listener(self)

    @property
    def available(self) -> bool:
        return self.player is not None and self.player.available

    def configure(self, plan: MusicPlan) -> None:
        self.plan = plan

    def playlist(self, phase: str) -> Playlist:
        return self.plan.playlists.get(phase) or Playlist(title=phase.capitalize())

    # -- commands ------------------------------------------------------------------
    def start(self, phase: str, *, bell: bool, volume: int | None = None) -> None:
        """The opening: the bell (if chosen), then the phase's music fading in."""
        self.recording = True
        self.phase = phase
        if not self.available or self.player is None:
            return
        if volume is not None:
            self.player.set_volume(volume)
        self.player.start(phase, self.playlist(phase), bell=bell)

    def resume(self, phase: str) -> None:
        """After a restart: the current phase's music, without the bell."""
        self.recording = True
        self.phase = phase
        if self.available and self.player is not None:
            self.player.start(phase, self.playlist(phase), bell=False)

    def set_phase(self, phase: str) -> None:
        """Crossfade into the first track of ``phase``'s playlist."""
        if phase == self.phase:
            return
        self.phase = phase
        if not self.available or self.player is None:
            return
        if self.player.state in (PlayerState.PLAYING, PlayerState.PAUSED):
            self.player.set_phase(phase, self.playlist(phase))

    def _fade_s(self, fade_s: float | None) -> float:
        if fade_s is not None:
            return fade_s
        return self.player.config.end_fade_s if self.player is not None else 0.0

    def finish_record(self, fade_s: float | None = None) -> None:
        """Record the end of what still plays: it ends when the closing fade does."""
        fade = self._fade_s(fade_s)
        for entry in list(self._open.values()):
            ends = max(self._utc_now(), entry.started_utc) + timedelta(seconds=fade)
            done = PlayLog(
                entry.title, entry.artist, entry.location, entry.phase, entry.started_utc, ends
            )
            self._record(EventKind.MUSIC_ENDED, log_payload(done, fade_s=fade))
        self._open.clear()
        self.recording = False

    def fade_out(self, fade_s: float | None = None) -> None:
        """The session is over: the music fades out (a minute by default), then stops."""
        if self.available and self.player is not None:
            self.player.end_session(self._fade_s(fade_s))

    def close(self) -> None:
        """Stop listening (the player itself belongs to the app)."""
        if self.player is not None:
            self.player.remove_listener(self)

    # -- PlayerListener --------------------------------------------------------------
    def on_track_started(self, log: PlayLog) -> None:
        # nothing is recorded as played that nobody could hear (no audio output)
        if not self.recording or self.player is None or not self.player.audible:
            return
        self._open[(log.location, log.started_utc.isoformat())] = log
        self._record(EventKind.MUSIC_STARTED, log_payload(log))

    def on_track_ended(self, log: PlayLog) -> None:
        key = (log.location, log.started_utc.isoformat())
        if not self.recording or key not in self._open:
            return
        del self._open[key]
        self._record(EventKind.MUSIC_ENDED, log_payload(log))
