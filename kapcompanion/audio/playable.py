"""Which tracks of a playlist can play, counted one way for the app and the CLI.

The folder rule: music plays only from the clinic's music folders (set in Music settings)
and the music that comes with the app. A playlist is outside data, so it cannot reach into
other places on this computer; a track in another folder is refused until that folder is
allowed. :func:`clinic_roots` is the rule, :func:`read_for_clinic` imports under it,
:func:`count_playable` counts, and :func:`describe` words the count and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kapcompanion import paths
from kapcompanion.audio.models import Playlist
from kapcompanion.audio.playlists import read_playlist

FOLDER_RULE = (
    "Music plays only from the clinic's music folders and the music that comes with the "
    "app, so a playlist cannot reach into other places on this computer."
)


def clinic_roots(music_folders: Iterable[Path]) -> tuple[Path, ...]:
    """The folders tracks may come from: the clinic's music folders, then the shipped music."""
    return (*(Path(f) for f in music_folders), paths.resources_dir(), paths.playlists_dir())


def read_for_clinic(path: Path, music_folders: Iterable[Path]) -> Playlist:
    """Import a playlist under the folder rule (raises PlaylistError when it cannot)."""
    return read_playlist(path, roots=clinic_roots(music_folders))


@dataclass(frozen=True)
class PlayableCount:
    title: str
    total: int
    playable: int
    missing: int  # allowed but not found (or not a file)
    outside: int  # refused only because their folder is not allowed
    refused: int  # network locations and anything else that is never played
    outside_folders: tuple[Path, ...]  # the folders to allow, in playlist order

    @property
    def all_play(self) -> bool:
        return self.total > 0 and self.playable == self.total


def count_playable(playlist: Playlist) -> PlayableCount:
    folders: list[Path] = []
    outside = missing = refused = 0
    for track in playlist.tracks:
        if track.playable:
            continue
        if track.outside is not None:
            outside += 1
            if track.outside.parent not in folders:
                folders.append(track.outside.parent)
        elif track.location is not None:
            missing += 1
        else:
            refused += 1
    return PlayableCount(
        title=playlist.title,
        total=len(playlist.tracks),
        playable=len(playlist.playable),
        missing=missing,
        outside=outside,
        refused=refused,
        outside_folders=tuple(folders),
    )


def _tracks(n: int) -> str:
    return f"{n} track" if n == 1 else f"{n} tracks"


def describe(count: PlayableCount) -> list[str]:
    """The count in sentences: how many can play, and why the others cannot."""
    name = f"“{count.title}”" if count.title else "This playlist"
    if count.total == 0:
        return [f"{name} lists no tracks."]
    lines = [f"{name}: {count.playable} of {_tracks(count.total)} can play."]
    if count.outside:
        where = ", ".join(str(f) for f in count.outside_folders)
        verb = "is" if count.outside == 1 else "are"
        place = "a folder that is" if len(count.outside_folders) == 1 else "folders that are"
        lines.append(
            f"{_tracks(count.outside)} {verb} in {place} not allowed: {where}. "
            f"{FOLDER_RULE} Allow the folder to play them."
        )
    if count.missing:
        lines.append(f"{_tracks(count.missing)} could not be found.")
    if count.refused:
        verb = "points" if count.refused == 1 else "point"
        lines.append(f"{_tracks(count.refused)} {verb} at network or other non-file locations.")
    return lines
