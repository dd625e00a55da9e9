"""M3U, M3U8 and PLS import: real files on disk, real tags, every location rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from audio.audio_support import Tones

from kapcompanion.audio.models import PlaylistError
from kapcompanion.audio.playlists import parse_playlist, read_playlist


@pytest.fixture
def music(tmp_path: Path, tones: Tones) -> Path:
    """A clinic-like folder: playlists/ beside music/ with two real tracks (one in a subfolder)."""
    root = tmp_path / "clinic"
    (root / "music" / "Ambient Ñ").mkdir(parents=True)
    (root / "playlists").mkdir()
    shutil.copy(tones.a, root / "music" / "a.ogg")
    shutil.copy(tones.b, root / "music" / "Ambient Ñ" / "café.ogg")
    shutil.copy(tones.c, root / "music" / "plain.ogg")
    return root


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_m3u8_extinf_relative_absolute_and_file_urls(music: Path) -> None:
    a = music / "music" / "a.ogg"
    cafe = music / "music" / "Ambient Ñ" / "café.ogg"
    plain = music / "music" / "plain.ogg"
    text = (
        "#EXTM3U\n#PLAYLIST:Peak set\n"
        "#EXTINF:321,Hania Rani - Eden\n../music/a.ogg\n"
        f"#EXTINF:-1,Just a title\n{cafe}\n"
        f"{plain.as_uri()}\n"
        "# a comment line\n\n"
        f'#EXTINF:12.5 tvg-id="x",Artist - Piece - Part 2\n{a.as_uri()}\n'
    )
    playlist = read_playlist(write(music / "playlists" / "peak.m3u8", text), roots=[music])
    assert playlist.title == "Peak set"
    assert [t.location for t in playlist.tracks] == [a, cafe, plain, a]
    first, second, third, fourth = playlist.tracks
    assert (first.artist, first.title, first.duration_s) == ("Hania Rani", "Eden", 321.0)
    assert (second.title, second.artist) == ("Just a title", "Test Ensemble")  # artist from tag
    assert second.duration_s == pytest.approx(19.9, abs=0.3)  # unknown length -> from the file
    assert (third.title, third.artist) == ("", "")  # untagged file, no #EXTINF
    assert third.display_title == "plain"
    assert (fourth.artist, fourth.title, fourth.duration_s) == ("Artist", "Piece - Part 2", 12.5)
    assert all(t.playable and t.uri.startswith("file:///") for t in playlist.tracks)
    assert playlist.problems == []


def test_tags_fill_title_and_artist_when_the_playlist_has_none(music: Path) -> None:
    playlist = read_playlist(
        write(music / "playlists" / "x.m3u8", "../music/a.ogg\n"), roots=[music]
    )
    (track,) = playlist.tracks
    assert (track.title, track.artist) == ("Tone A", "Test Ensemble")
    assert track.duration_s == pytest.approx(19.9, abs=0.3)
    assert playlist.title == "x"  # no #PLAYLIST: the file name


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom(music: Path, bom: bytes) -> None:
    data = bom + "#EXTM3U\n#EXTINF:10,Sigur Rós - Svefn-g-englar\n../music/a.ogg\n".encode()
    playlist = read_playlist(write(music / "playlists" / "bom.m3u8", data), roots=[music])
    assert playlist.tracks[0].artist == "Sigur Rós"
    assert playlist.problems == []


def test_latin1_m3u_is_read_without_complaint(music: Path) -> None:
    data = "#EXTINF:5,Café del Mar - Música\n../music/Ambient Ñ/café.ogg\n".encode("latin-1")
    playlist = read_playlist(write(music / "playlists" / "old.m3u", data), roots=[music])
    (track,) = playlist.tracks
    assert (track.artist, track.title) == ("Café del Mar", "Música")
    assert track.playable
    assert playlist.problems == []


def test_latin1_bytes_in_m3u8_are_read_but_reported(music: Path) -> None:
    data = "#EXTINF:5,Música\n../music/a.ogg\n".encode("latin-1")
    playlist = read_playlist(write(music / "playlists" / "odd.m3u8", data))
    assert playlist.tracks[0].title == "Música"
    assert any("not valid UTF-8" in p for p in playlist.problems)


def test_utf16_with_bom_is_decoded(music: Path) -> None:
    data = "#EXTM3U\n#EXTINF:5,Ñandú\n../music/a.ogg\n".encode("utf-16")
    playlist = read_playlist(write(music / "playlists" / "wide.m3u", data), roots=[music])
    assert playlist.tracks[0].title == "Ñandú"


def test_missing_files_are_listed_not_fatal(music: Path) -> None:
    text = "../music/a.ogg\n../music/gone.ogg\n"
    playlist = read_playlist(write(music / "playlists" / "p.m3u", text), roots=[music])
    assert [t.missing for t in playlist.tracks] == [False, True]
    gone = playlist.tracks[1]
    assert gone.location == music / "music" / "gone.ogg"
    assert not gone.playable
    assert playlist.problems == [
        f"Track 2 (line 2): file not found: {music / 'music' / 'gone.ogg'}"
    ]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("http://radio.example.com/stream.mp3", "network location"),
        ("https://example.com/a.ogg", "network location"),
        ("smb://nas/music/a.ogg", "network location"),
        ("//server/share/a.ogg", "network share"),
        ("\\\\server\\share\\a.ogg", "network share"),
        ("file://server/share/a.ogg", "network share"),
        ("magnet:?xt=urn:sha1:ABC", "not a local file"),
    ],
)
def test_network_locations_are_refused(music: Path, entry: str, reason: str) -> None:
    playlist = read_playlist(
        write(music / "playlists" / "n.m3u", f"{entry}\n../music/a.ogg\n"), roots=[music]
    )
    refused, fine = playlist.tracks
    assert refused.location is None and refused.missing and not refused.playable
    assert refused.uri == entry
    assert fine.playable
    assert len(playlist.problems) == 1
    assert reason in playlist.problems[0] and "refused" in playlist.problems[0]


def test_paths_outside_the_allowed_folders_are_refused(music: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.ogg"
    outside.write_bytes(b"x")
    text = f"{outside}\n../../elsewhere.ogg\n../music/a.ogg\n"
    playlist = read_playlist(write(music / "playlists" / "o.m3u8", text), roots=[music])
    assert [t.playable for t in playlist.tracks] == [False, False, True]
    assert [t.location for t in playlist.tracks[:2]] == [None, None]
    assert sum("outside the allowed music folders" in p for p in playlist.problems) == 2


def test_symlink_leaving_the_roots_is_refused(music: Path, tmp_path: Path, tones: Tones) -> None:
    secret = tmp_path / "private"
    secret.mkdir()
    shutil.copy(tones.b, secret / "b.ogg")
    (music / "music" / "link.ogg").symlink_to(secret / "b.ogg")
    playlist = read_playlist(
        write(music / "playlists" / "l.m3u", "../music/link.ogg\n"), roots=[music]
    )
    assert not playlist.tracks[0].playable
    assert "outside the allowed music folders" in playlist.problems[0]


def test_default_roots_allow_the_playlist_folder_only_among_these(music: Path) -> None:
    # With no roots given, the playlist's own folder is allowed; its parent is not.
    (music / "playlists" / "here.ogg").write_bytes((music / "music" / "a.ogg").read_bytes())
    text = "here.ogg\n../music/a.ogg\n"
    playlist = read_playlist(write(music / "playlists" / "d.m3u", text))
    assert [t.playable for t in playlist.tracks] == [True, False]
    playlist = read_playlist(music / "playlists" / "d.m3u", restrict=False)
    assert [t.playable for t in playlist.tracks] == [True, True]


def test_windows_style_paths(music: Path) -> None:
    text = "..\\music\\a.ogg\nC:\\Music\\a.ogg\n"
    playlist = read_playlist(write(music / "playlists" / "w.m3u", text), roots=[music])
    relative, drive = playlist.tracks
    assert relative.playable  # backslashes of a relative Windows path are folder separators
    assert not drive.playable
    assert "Windows path" in playlist.problems[0]


def test_extinf_problems_are_reported(music: Path) -> None:
    text = "#EXTINF:abc,Odd\n../music/a.ogg\n#EXTINF:5,Dangling\n"
    playlist = read_playlist(write(music / "playlists" / "e.m3u8", text), roots=[music])
    assert playlist.tracks[0].title == "Odd"
    assert playlist.tracks[0].duration_s == pytest.approx(19.9, abs=0.3)  # bad length -> tags
    assert any("'abc' is not a number" in p for p in playlist.problems)
    assert any("Line 3: #EXTINF is not followed by a file" in p for p in playlist.problems)


def test_pls(music: Path) -> None:
    text = (
        "[playlist]\nFile1=../music/a.ogg\nTitle1=First\nLength1=321\n"
        "File2=../music/missing.ogg\nLength2=-1\nTitle3=Orphan\n"
        "NumberOfEntries=3\nVersion=2\n"
    )
    playlist = read_playlist(write(music / "playlists" / "p.pls", text), roots=[music])
    assert [t.title for t in playlist.tracks] == ["First", ""]
    assert playlist.tracks[0].duration_s == 321.0
    assert playlist.tracks[1].missing
    assert any("Entry 3 has a title or length but no File3" in p for p in playlist.problems)
    assert any("NumberOfEntries says 3 but 2 files" in p for p in playlist.problems)


def test_pls_without_header_is_an_error(music: Path) -> None:
    with pytest.raises(PlaylistError, match=r"does not start with \[playlist\]"):
        read_playlist(write(music / "playlists" / "bad.pls", "File1=a.ogg\n"), roots=[music])


def test_unreadable_inputs_raise_playlist_error(music: Path) -> None:
    with pytest.raises(PlaylistError, match="Playlist not found"):
        read_playlist(music / "nope.m3u")
    with pytest.raises(PlaylistError, match="is a folder"):
        read_playlist(music / "playlists")
    with pytest.raises(PlaylistError, match="binary file"):
        read_playlist(write(music / "playlists" / "bin.m3u", b"\x00\x01\x02abc"), roots=[music])
    with pytest.raises(PlaylistError, match="not a playlist this app reads"):
        read_playlist(write(music / "playlists" / "notes.txt", "hello"), roots=[music])
    with pytest.raises(PlaylistError, match="too large"):
        parse_playlist(b"#" * (5 * 1024 * 1024), "m3u", base_dir=music)


def test_unknown_extension_is_sniffed(music: Path) -> None:
    playlist = read_playlist(
        write(music / "playlists" / "list", "#EXTM3U\n../music/a.ogg\n"), roots=[music]
    )
    assert len(playlist.tracks) == 1
    pls = read_playlist(
        write(music / "playlists" / "list2", "[playlist]\nFile1=x.ogg\n"), roots=[music]
    )
    assert pls.tracks[0].missing
