"""``kapcompanion playlist show FILE [--json]``: what a playlist holds and what is wrong with it.

``kapcompanion.cli.main`` calls :func:`add_playlist_parser` on its subparsers; the
``show`` parser sets ``func=run_playlist_show``. Exit 0 when the file imports (even with
problems, which are printed), 1 with a one-line message when it cannot be imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kapcompanion.audio.models import PlaylistError, Track, playlist_to_dict
from kapcompanion.audio.playable import count_playable, describe, read_for_clinic


def add_playlist_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``playlist`` (with ``show``) to an ``argparse`` subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "playlist", help="inspect music playlists (M3U, M3U8, PLS, XSPF)"
    )
    commands = parser.add_subparsers(dest="playlist_command", metavar="COMMAND", required=True)
    show = commands.add_parser("show", help="list a playlist's tracks and every problem found")
    show.add_argument("file", type=Path, metavar="FILE", help="the playlist file")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.add_argument(
        "--root",
        action="append",
        type=Path,
        metavar="FOLDER",
        help="one of the clinic's music folders (repeatable), as set in the app's Music "
        "settings; the music that comes with the app is always allowed. Tracks are counted "
        "exactly as the app counts them.",
    )
    show.set_defaults(func=run_playlist_show)
    return parser


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _track_lines(number: int, track: Track) -> list[str]:
    name = track.display_title + (f" — {track.artist}" if track.artist else "")
    flag = "  MISSING" if track.missing else ""
    where = str(track.location) if track.location is not None else (track.uri or "(none)")
    return [f"{number:3d}. {name}  [{format_duration(track.duration_s)}]{flag}", f"     {where}"]


def run_playlist_show(args: argparse.Namespace) -> int:
    folders = getattr(args, "root", None) or []
    try:
        playlist = read_for_clinic(Path(args.file), folders)
    except PlaylistError as exc:
        message = " ".join(str(exc).split())
        print(f"kapcompanion: cannot import playlist: {message}", file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        count = count_playable(playlist)
        data = playlist_to_dict(playlist)
        data["playable"] = count.playable
        data["folders_to_allow"] = [str(f) for f in count.outside_folders]
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    count = count_playable(playlist)
    print(f"Playlist: {playlist.title or '(untitled)'}")
    print(f"Source:   {playlist.source}")
    print(f"Tracks:   {count.total} ({count.playable} playable)")
    for number, track in enumerate(playlist.tracks, start=1):
        for line in _track_lines(number, track):
            print(line)
    if playlist.problems:
        print(f"Problems ({len(playlist.problems)}):")
        for problem in playlist.problems:
            print(f"  - {problem}")
    else:
        print("Problems: none")
    for line in describe(count)[1:]:
        print(line)
    if count.outside_folders:
        print("To count those tracks, name the folder with --root (in the app: Music, Add folder).")
    return 0
