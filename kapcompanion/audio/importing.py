"""Pieces every playlist importer shares: text decoding, limits and the track builder."""

from __future__ import annotations

import codecs
import math
from dataclasses import dataclass, field

from kapcompanion.audio.locations import LocationPolicy, resolve_entry
from kapcompanion.audio.models import PlaylistError, Track
from kapcompanion.audio.tags import read_tags

MAX_BYTES = 4 * 1024 * 1024  # a playlist of thousands of tracks is well under 1 MB
MAX_TRACKS = 5000
MAX_PROBLEMS = 200  # beyond this the list stops helping anyone


def decode_text(data: bytes, *, name: str, strict_utf8: bool) -> tuple[str, list[str]]:
    """Decode playlist text: UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1.

    ``strict_utf8`` (M3U8) still reads a non-UTF-8 file as Latin-1 but says so, because
    the file claims to be UTF-8 and accented titles may then be shown wrongly.
    """
    problems: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise PlaylistError(f"{name} starts like UTF-16 text but is damaged.") from exc
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            if strict_utf8:
                problems.append(
                    f"{name} is not valid UTF-8 text; it was read as Latin-1, so accented "
                    "letters may look wrong."
                )
    if "\x00" in text:
        raise PlaylistError(f"{name} is a binary file, not a text playlist.")
    return text.lstrip("\ufeff"), problems


def check_size(data: bytes, name: str) -> None:
    if len(data) > MAX_BYTES:
        raise PlaylistError(
            f"{name} is too large for a playlist ({len(data) // 1024} KB; "
            f"the limit is {MAX_BYTES // 1024} KB)."
        )


def parse_duration(text: str, *, scale: float = 1.0) -> float | None:
    """A non-negative finite number (times ``scale``), or None when unknown or invalid."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value * scale


@dataclass
class TrackBuilder:
    """Collects tracks and problems; resolves locations and fills gaps from file tags."""

    policy: LocationPolicy
    with_tags: bool = True
    tracks: list[Track] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _truncated: bool = False

    def problem(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append("More problems were found; only the first ones are listed.")

    @property
    def full(self) -> bool:
        return len(self.tracks) >= MAX_TRACKS

    def add(
        self,
        entry: str,
        *,
        label: str,
        is_uri: bool,
        title: str = "",
        artist: str = "",
        duration_s: float | None = None,
    ) -> None:
        if self.full:
            if not self._truncated:
                self._truncated = True
                self.problem(f"Only the first {MAX_TRACKS} tracks were read.")
            return
        res = resolve_entry(entry, self.policy, label=label, is_uri=is_uri)
        if res.problem:
            self.problem(res.problem)
        if self.with_tags and res.location is not None and not res.missing:
            tags = read_tags(res.location)
            title = title or tags.title
            artist = artist or tags.artist
            duration_s = duration_s if duration_s is not None else tags.duration_s
        self.tracks.append(
            Track(
                location=res.location,
                uri=res.uri,
                title=title.strip(),
                artist=artist.strip(),
                duration_s=duration_s,
                missing=res.missing,
                outside=res.outside,
            )
        )
