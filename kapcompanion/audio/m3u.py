"""M3U / M3U8 and PLS, the two line-based playlist formats.

M3U: one location per line; ``#EXTINF:<seconds>,<Artist - Title>`` describes the next
location; ``#PLAYLIST:`` names the list; other ``#`` lines are comments. Locations are
plain paths (absolute or relative to the playlist) or ``file:`` URLs.
PLS: an INI file with a ``[playlist]`` section and ``FileN``/``TitleN``/``LengthN`` keys.
"""

from __future__ import annotations

import re

from kapcompanion.audio.importing import TrackBuilder, parse_duration
from kapcompanion.audio.locations import shown
from kapcompanion.audio.models import PlaylistError


def _split_artist_title(name: str) -> tuple[str, str]:
    """``Artist - Title`` is the usual (VLC, Winamp) way of writing both in one field."""
    if " - " in name:
        artist, title = name.split(" - ", 1)
        return artist.strip(), title.strip()
    return "", name.strip()


def parse_m3u(text: str, builder: TrackBuilder) -> str:
    """Fill ``builder`` from M3U text; returns the ``#PLAYLIST:`` title or ''."""
    title = ""
    pending: tuple[int, float | None, str, str] | None = None  # line, duration, artist, title
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            upper = line.upper()
            if upper.startswith("#EXTINF:"):
                if pending is not None:
                    builder.problem(
                        f"Line {pending[0]}: #EXTINF is not followed by a file; ignored."
                    )
                pending = _parse_extinf(line[len("#EXTINF:") :], number, builder)
            elif upper.startswith("#PLAYLIST:"):
                title = line[len("#PLAYLIST:") :].strip()
            continue
        if builder.full and builder.tracks:
            builder.add(line, label="", is_uri=False)  # records the truncation once
            break
        label = f"Track {len(builder.tracks) + 1} (line {number})"
        if pending is not None:
            _, duration, artist, name = pending
            builder.add(
                line, label=label, is_uri=False, title=name, artist=artist, duration_s=duration
            )
            pending = None
        else:
            builder.add(line, label=label, is_uri=False)
    if pending is not None:
        builder.problem(f"Line {pending[0]}: #EXTINF is not followed by a file; ignored.")
    return title


def _parse_extinf(
    body: str, number: int, builder: TrackBuilder
) -> tuple[int, float | None, str, str]:
    head, _, name = body.partition(",")
    token = head.strip().split(maxsplit=1)[0] if head.strip() else ""
    duration: float | None = None
    if token and token not in ("-1", "0"):
        duration = parse_duration(token)
        if duration is None and not token.startswith("-"):
            builder.problem(
                f"Line {number}: #EXTINF length {shown(token)!r} is not a number of seconds."
            )
    artist, title = _split_artist_title(name)
    return number, duration, artist, title


_PLS_KEY = re.compile(r"^(file|title|length)(\d{1,9})$", re.IGNORECASE)


def parse_pls(text: str, builder: TrackBuilder, *, name: str) -> str:
    """Fill ``builder`` from PLS text; returns ''. Raises PlaylistError if not PLS at all."""
    lines = [ln.strip() for ln in text.splitlines()]
    content = [(n, ln) for n, ln in enumerate(lines, start=1) if ln and ln[0] not in ";#"]
    if not content or content[0][1].lower() != "[playlist]":
        raise PlaylistError(f"{name} is not a PLS playlist: it does not start with [playlist].")
    files: dict[int, str] = {}
    titles: dict[int, str] = {}
    lengths: dict[int, str] = {}
    declared: str | None = None
    for number, line in content[1:]:
        if line.startswith("["):
            builder.problem(f"Line {number}: extra section {shown(line)} ignored.")
            continue
        key, sep, value = line.partition("=")
        if not sep:
            builder.problem(f"Line {number}: {shown(line)!r} is not a key=value line; ignored.")
            continue
        key = key.strip()
        value = value.strip()
        match = _PLS_KEY.match(key)
        if match is None:
            if key.lower() == "numberofentries":
                declared = value
            continue  # Version and unknown keys carry nothing we need
        kind, index = match.group(1).lower(), int(match.group(2))
        target = {"file": files, "title": titles, "length": lengths}[kind]
        if index in target:
            builder.problem(f"Line {number}: {key} appears twice; the first one is used.")
            continue
        target[index] = value
    for index in sorted(files):
        label = f"Track {len(builder.tracks) + 1} (File{index})"
        builder.add(
            files[index],
            label=label,
            is_uri=False,
            title=titles.get(index, ""),
            duration_s=parse_duration(lengths.get(index, "")),
        )
        if builder.full:
            break
    for index in sorted((set(titles) | set(lengths)) - set(files)):
        builder.problem(f"Entry {index} has a title or length but no File{index}; ignored.")
    if declared is not None and declared != str(len(files)):
        builder.problem(
            f"NumberOfEntries says {shown(declared)} but {len(files)} files are listed."
        )
    return ""
