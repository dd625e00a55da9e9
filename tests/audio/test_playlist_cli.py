"""``kapcompanion playlist show``: called as a function, output captured."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
from audio.audio_support import Tones

from kapcompanion.audio.playable import count_playable, describe, read_for_clinic
from kapcompanion.cli.playlist import add_playlist_parser, format_duration, run_playlist_show


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
    args = parse(["playlist", "show", str(playlist), "--root", str(playlist.parent)])
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
    folder = str(playlist.parent)
    assert (
        run_playlist_show(parse(["playlist", "show", str(playlist), "--json", "--root", folder]))
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["title"] == "Peak"
    assert [t["missing"] for t in data["tracks"]] == [False, True, True]
    assert data["tracks"][0]["location"] == str(playlist.parent / "a.ogg")
    assert data["tracks"][0]["duration_s"] == 3725.0
    assert len(data["problems"]) == 2
    assert data["playable"] == 1 and data["folders_to_allow"] == []


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


def test_the_cli_and_the_app_count_the_same_way(
    tmp_path: Path, tones: Tones, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two of four tracks in a folder the clinic has not allowed: both say 2 of 4, and why."""
    allowed = tmp_path / "clinic-music"
    elsewhere = tmp_path / "downloads"
    allowed.mkdir()
    elsewhere.mkdir()
    for folder in (allowed, elsewhere):
        shutil.copy(tones.a, folder / "a.ogg")
        shutil.copy(tones.b, folder / "b.ogg")
    path = tmp_path / "mixed.m3u"
    path.write_text(
        "".join(
            f"{folder / name}\n" for folder in (allowed, elsewhere) for name in ("a.ogg", "b.ogg")
        ),
        encoding="utf-8",
    )
    app_count = count_playable(read_for_clinic(path, [allowed]))
    assert (app_count.playable, app_count.total, app_count.outside) == (2, 4, 2)
    assert app_count.outside_folders == (elsewhere.resolve(),)
    lines = describe(app_count)
    assert lines[0] == "“mixed”: 2 of 4 tracks can play."
    assert f"2 tracks are in a folder that is not allowed: {elsewhere.resolve()}." in lines[1]
    assert "Allow the folder to play them." in lines[1]

    assert run_playlist_show(parse(["playlist", "show", str(path), "--root", str(allowed)])) == 0
    out = capsys.readouterr().out
    assert "Tracks:   4 (2 playable)" in out
    assert lines[1] in out and "--root" in out
    # Allowing the folder (what the app's button does) makes all four play, in both.
    assert count_playable(read_for_clinic(path, [allowed, elsewhere])).all_play
    argv = ["playlist", "show", str(path), "--root", str(allowed), "--root", str(elsewhere)]
    assert run_playlist_show(parse(argv)) == 0
    assert "Tracks:   4 (4 playable)" in capsys.readouterr().out


def test_describe_words_missing_and_refused_entries(tmp_path: Path, tones: Tones) -> None:
    shutil.copy(tones.a, tmp_path / "a.ogg")
    path = tmp_path / "p.m3u8"
    path.write_text("#EXTM3U\na.ogg\ngone.ogg\nhttp://example.com/x.mp3\n", encoding="utf-8")
    count = count_playable(read_for_clinic(path, [tmp_path]))
    assert describe(count) == [
        "“p”: 1 of 3 tracks can play.",
        "1 track could not be found.",
        "1 track points at network or other non-file locations.",
    ]
