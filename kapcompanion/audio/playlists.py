"""Import playlists (M3U, M3U8, PLS, XSPF) into ``Playlist``, and write M3U8.

Entry points: :func:`read_playlist` for a file, :func:`parse_playlist` for bytes already in
memory (tests and fuzzing use it). Both raise only :class:`PlaylistError`; everything else
that is wrong with a file lands in ``Playlist.problems``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from kapcompanion.audio.importing import MAX_BYTES, TrackBuilder, check_size, decode_text
from kapcompanion.audio.locations import LocationPolicy, default_roots
from kapcompanion.audio.m3u import parse_m3u, parse_pls
from kapcompanion.audio.models import Playlist, PlaylistError, Track
from kapcompanion.audio.xspf import parse_xspf
from kapcompanion.fileio import atomic_write_text

KINDS = ("m3u", "m3u8", "pls", "xspf")
PLAYLIST_SUFFIXES = frozenset("." + k for k in KINDS)
_READ_LIMIT = MAX_BYTES + 1  # one byte over, so check_size sees an oversized file


def kind_for(path: Path) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in KINDS else None


def sniff_kind(data: bytes) -> str | None:
    """Guess the format of a file with an unknown extension from its first bytes."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        return "xspf"
    if head.startswith(b"[playlist]"):
        return "pls"
    if head.startswith(b"#extm3u"):
        return "m3u8"
    return None


def parse_playlist(
    data: bytes,
    kind: str,
    *,
    base_dir: Path,
    roots: Iterable[Path] | None = None,
    name: str = "The playlist",
    source: Path | None = None,
    with_tags: bool = True,
    restrict: bool = True,
) -> Playlist:
    """Parse playlist bytes of ``kind`` (m3u, m3u8, pls, xspf).

    Relative entries start at ``base_dir``. Entries must stay inside ``roots`` (default:
    :func:`~kapcompanion.audio.locations.default_roots`); ``restrict=False`` lifts the
    folder restriction (network locations stay refused).
    """
    if kind not in KINDS:
        raise PlaylistError(f"{name}: unknown playlist type {kind!r} (use m3u, m3u8, pls, xspf).")
    check_size(data, name)
    if restrict:
        chosen = tuple(roots) if roots is not None else default_roots(base_dir)
        policy = LocationPolicy.make(base_dir, chosen)
    else:
        policy = LocationPolicy.make(base_dir, None)
    builder = TrackBuilder(policy, with_tags=with_tags)
    if kind == "xspf":
        title = parse_xspf(data, builder, name=name)
    else:
        text, problems = decode_text(data, name=name, strict_utf8=(kind == "m3u8"))
        for problem in problems:
            builder.problem(problem)
        title = parse_m3u(text, builder) if kind != "pls" else parse_pls(text, builder, name=name)
    if not title and source is not None:
        title = source.stem
    return Playlist(title=title, tracks=builder.tracks, problems=builder.problems, source=source)


def read_playlist(
    path: Path,
    *,
    roots: Iterable[Path] | None = None,
    with_tags: bool = True,
    restrict: bool = True,
) -> Playlist:
    """Import the playlist file at ``path`` (type from its extension, else from its content)."""
    path = Path(path)
    name = path.name or str(path)
    try:
        if path.is_dir():
            raise PlaylistError(f"{name} is a folder, not a playlist file.")
        with path.open("rb") as fh:
            data = fh.read(_READ_LIMIT)
    except PlaylistError:
        raise
    except FileNotFoundError as exc:
        raise PlaylistError(f"Playlist not found: {path}") from exc
    except PermissionError as exc:
        raise PlaylistError(f"No permission to read the playlist {path}") from exc
    except (OSError, ValueError) as exc:  # the OS's reason, not the exception's internals
        reason = getattr(exc, "strerror", None) or "not a readable file"
        raise PlaylistError(f"The playlist {path} cannot be read: {reason}.") from exc
    kind = kind_for(path) or sniff_kind(data)
    if kind is None:
        raise PlaylistError(f"{name} is not a playlist this app reads (M3U, M3U8, PLS or XSPF).")
    return parse_playlist(
        data,
        kind,
        base_dir=path.resolve().parent,
        roots=roots,
        name=name,
        source=path,
        with_tags=with_tags,
        restrict=restrict,
    )


def m3u8_text(tracks: Iterable[Track], *, title: str = "", relative_to: Path | None = None) -> str:
    """M3U8 text for ``tracks``; paths relative to ``relative_to`` where possible."""
    lines = ["#EXTM3U"]
    if title:
        lines.append(f"#PLAYLIST:{_one_line(title)}")
    for track in tracks:
        if track.location is None:
            continue
        seconds = -1 if track.duration_s is None else round(track.duration_s)
        name = track.display_title
        if track.artist:
            name = f"{track.artist} - {name}"
        lines.append(f"#EXTINF:{seconds},{_one_line(name)}")
        location = track.location
        if relative_to is not None:
            with contextlib.suppress(ValueError):  # another drive on Windows
                location = Path(os.path.relpath(location, relative_to))
        lines.append(location.as_posix())
    return "\n".join(lines) + "\n"


def write_m3u8(path: Path, tracks: Iterable[Track], *, title: str = "") -> None:
    """Write an M3U8 beside its music (relative paths), atomically (``fileio``)."""
    path = Path(path)
    text = m3u8_text(tracks, title=title, relative_to=path.resolve().parent)
    atomic_write_text(path, text)


def _one_line(text: str) -> str:
    return " ".join(text.split())
