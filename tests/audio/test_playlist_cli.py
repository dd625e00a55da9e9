"""``kapcompanion playlist show``: called as a function, output captured."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
from audio.audio_support import Tones

from kapcompanion.audio.cli import add_playlist_parser, format_duration, run_playlist_show


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kapcompanion")
    add_playlist_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture
def playlist(tmp_path: Path, tones: Tones) -> Path:
    shutil.copy(tones.a, tmp_path / "a.ogg")
    path = tmp_path / "peak.m3u8"
    path.write_text(
        "#EXTM3U\n#PLAYLIST:Peak\n#EXTINF:3725,Ensemble - Long piece\na.ogg\nmissing.ogg\n"
        "http://example.com/stream\n",
        encoding="utf-8",
    )
    return path


def test_show_text(playlist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["playlist", "show", str(playlist)])
    assert args.func is run_playlist_show
    assert run_playlist_show(args) == 0
    out = capsys.readouterr().out
    assert "Playlist: Peak" in out
    assert "Tracks:   3 (1 playable)" in out
    assert "  1. Long piece — Ensemble  [1:02:05]" in out
    assert f"     {playlist.parent / 'a.ogg'}" in out
    assert "  2. missing  [--:--]  MISSING" in out
    assert "Problems (2):" in out
    assert "file not found" in out and "network location" in out


def test_show_json(playlist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_playlist_show(parse(["playlist", "show", str(playlist), "--json"])) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["title"] == "Peak"
    assert [t["missing"] for t in data["tracks"]] == [False, True, True]
    assert data["tracks"][0]["location"] == str(playlist.parent / "a.ogg")
    assert data["tracks"][0]["duration_s"] == 3725.0
    assert len(data["problems"]) == 2


def test_show_root_option_restricts_folders(
    playlist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    assert run_playlist_show(parse(["playlist", "show", str(playlist), "--root", str(other)])) == 0
    assert "Tracks:   3 (0 playable)" in capsys.readouterr().out


def test_show_unimportable_file_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.xspf"
    bad.write_text("<playlist\n<<", encoding="utf-8")
    assert run_playlist_show(parse(["playlist", "show", str(bad)])) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("kapcompanion: cannot import playlist: broken.xspf")
    assert run_playlist_show(parse(["playlist", "show", str(tmp_path / "none.m3u")])) == 1
    assert "Playlist not found" in capsys.readouterr().err


def test_format_duration() -> None:
    assert [format_duration(s) for s in (None, 0, 59.6, 61, 3600)] == [
        "--:--",
        "0:00",
        "1:00",
        "1:01",
        "1:00:00",
    ]
