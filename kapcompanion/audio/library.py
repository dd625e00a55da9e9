"""The clinic's own music: folder scanning, the phase -> playlist mapping, the avoid-list check.

Preparation asks the client for music to avoid (artists or pieces with associations).
``check_avoid_list`` finds those in a playlist before the session, matching whole words
without regard to case or accents, so "Sigur Ros" finds "Sigur Rós" but "Enya" does not
flag "Kenya".
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kapcompanion import paths
from kapcompanion.audio.models import Track
from kapcompanion.audio.tags import AUDIO_SUFFIXES, read_tags

PHASES = ("arrival", "onset", "peak", "return", "debrief")
MAX_SCAN = 5000


def shipped_playlist(phase: str) -> Path:
    """The default playlist shipped for ``phase`` (``playlists/<phase>.m3u8``)."""
    return paths.playlists_dir() / f"{phase}.m3u8"


@dataclass
class PhasePlaylists:
    """Which playlist each phase plays: a client override, else the clinic default, else shipped.

    Pure data (paths as strings) so the vault can store it as JSON through ``core.serial``.
    """

    clinic: dict[str, str] = field(default_factory=dict)
    client: dict[str, str] = field(default_factory=dict)

    def playlist_for(self, phase: str) -> Path:
        chosen = self.client.get(phase) or self.clinic.get(phase)
        return Path(chosen) if chosen else shipped_playlist(phase)

    def source_of(self, phase: str) -> str:
        """'client', 'clinic' or 'shipped': where ``playlist_for`` got its answer."""
        if self.client.get(phase):
            return "client"
        if self.clinic.get(phase):
            return "clinic"
        return "shipped"

    def resolved(self, phases: Sequence[str] = PHASES) -> dict[str, Path]:
        return {phase: self.playlist_for(phase) for phase in phases}


@dataclass
class LibraryScan:
    folder: Path
    tracks: list[Track] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def scan_music_folder(
    folder: Path, *, recursive: bool = True, with_tags: bool = True, limit: int = MAX_SCAN
) -> LibraryScan:
    """Every audio file under ``folder`` (hidden files and folders skipped), sorted by path."""
    folder = Path(folder)
    scan = LibraryScan(folder)
    if not folder.is_dir():
        scan.problems.append(f"Music folder not found: {folder}")
        return scan
    found: list[Path] = []

    def walk_error(err: OSError) -> None:
        scan.problems.append(f"Could not read {err.filename}: {err.strerror}")

    for dirpath, dirnames, filenames in os.walk(folder, onerror=walk_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in AUDIO_SUFFIXES:
                found.append(Path(dirpath) / name)
    found.sort(key=lambda p: [part.casefold() for part in p.relative_to(folder).parts])
    if len(found) > limit:
        scan.problems.append(f"Only the first {limit} of {len(found)} music files were added.")
        found = found[:limit]
    for path in found:
        tags = read_tags(path) if with_tags else None
        scan.tracks.append(
            Track(
                location=path,
                uri=path.as_uri(),
                title=(tags.title if tags else "") or path.stem,
                artist=tags.artist if tags else "",
                duration_s=tags.duration_s if tags else None,
            )
        )
    return scan


# Letters that carry no combining accent to strip, spelled the way people type them.
_LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ð": "d", "þ": "th", "ł": "l", "đ": "d"})


def normalise(text: str) -> str:
    """Case- and accent-free words separated by single spaces ("Sigur Rós!" -> "sigur ros")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = plain.translate(_LETTERS)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


@dataclass(frozen=True)
class AvoidMatch:
    """Track ``track_index`` (0-based) matched avoid-list ``term`` in ``field`` (its ``value``)."""

    track_index: int
    track_title: str
    term: str
    field: str
    value: str


def _fields(track: Track, use_tags: bool) -> list[tuple[str, str]]:
    fields = [("title", track.title), ("artist", track.artist)]
    if track.location is not None:
        fields.append(("file name", track.location.stem))
        if use_tags and not track.missing:
            tags = read_tags(track.location)
            fields += [("title tag", tags.title), ("artist tag", tags.artist)]
            fields.append(("album", tags.album))
    return [(name, value) for name, value in fields if value]


def check_avoid_list(
    tracks: Iterable[Track], avoid: Iterable[str], *, use_tags: bool = True
) -> list[AvoidMatch]:
    """Tracks whose title, artist, album or file name contains an avoid-list term as words."""
    terms = [(term, normalise(term)) for term in avoid]
    terms = [(term, norm) for term, norm in terms if norm]
    matches: list[AvoidMatch] = []
    if not terms:
        return matches
    for index, track in enumerate(tracks):
        fields = [(n, v, f" {normalise(v)} ") for n, v in _fields(track, use_tags)]
        for term, norm in terms:
            needle = f" {norm} "
            for name, value, haystack in fields:
                if needle in haystack:
                    matches.append(AvoidMatch(index, track.display_title, term, name, value))
                    break
    return matches
