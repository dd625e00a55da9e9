"""Property tests: whatever bytes or text a playlist holds, importers raise only PlaylistError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapcompanion.audio.models import Playlist, PlaylistError
from kapcompanion.audio.playlists import KINDS, parse_playlist, sniff_kind

FAST = settings(
    max_examples=150,
    deadline=500,  # ms per example: an importer that stalls on odd input fails here
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

_LINE_BITS = st.sampled_from(
    [
        "#EXTM3U", "#EXTINF:", "#EXTINF:-1,", "#EXTINF:1e309,A - B", "#EXTINF:nan,x",
        "#PLAYLIST:", "[playlist]", "File1=", "Title1=", "Length1=", "NumberOfEntries=",
        "file://", "file:///", "file://host/", "file://[", "[::1]", "]", "http://", "smb://",
        "//", "\\\\", "C:\\",
        "../", "./", "/", "%20", "%00", "\x00", "~", "a" * 300, "é", "\ufeff", "\r", "\t",
    ]
)  # fmt: skip
_XML_BITS = st.sampled_from(
    [
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>',
        '<playlist version="1" xmlns="http://xspf.org/ns/0/">', "</playlist>",
        "<trackList>", "</trackList>", "<track>", "</track>", "<location>", "</location>",
        "<title>", "</title>", "<duration>", "</duration>", "<extension application='x'>",
        "</extension>", "<!DOCTYPE x>", '<!ENTITY a "b">', "&a;", "&#0;", "&#x1F600;",
        "<![CDATA[", "]]>", "<!--", "-->", "file:///tmp/x.ogg", "http://x/", "99999999999999",
    ]
)  # fmt: skip


def _check(data: bytes, kind: str, base: Path) -> None:
    try:
        playlist = parse_playlist(data, kind, base_dir=base, with_tags=False)
    except PlaylistError as exc:
        assert str(exc).strip()
        return
    assert isinstance(playlist, Playlist)
    for track in playlist.tracks:
        assert track.location is None or track.location.is_absolute()
        assert not track.playable or track.uri.startswith("file:")


@pytest.mark.parametrize("kind", KINDS)
@FAST
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes(kind: str, data: bytes, tmp_path: Path) -> None:
    _check(data, kind, tmp_path)


@pytest.mark.parametrize("kind", KINDS)
@FAST
@given(text=st.text(max_size=1024))
def test_arbitrary_text(kind: str, text: str, tmp_path: Path) -> None:
    for encoding in ("utf-8", "latin-1", "utf-16"):
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            continue
        _check(data, kind, tmp_path)


@pytest.mark.parametrize("kind", ("m3u", "m3u8", "pls"))
@FAST
@given(lines=st.lists(st.lists(_LINE_BITS | st.text(max_size=8), max_size=6), max_size=30))
def test_playlist_shaped_lines(kind: str, lines: list[list[str]], tmp_path: Path) -> None:
    _check("\n".join("".join(parts) for parts in lines).encode("utf-8"), kind, tmp_path)


@FAST
@given(parts=st.lists(_XML_BITS | st.text(max_size=6), max_size=40))
def test_xspf_shaped_documents(parts: list[str], tmp_path: Path) -> None:
    _check("".join(parts).encode("utf-8"), "xspf", tmp_path)


@FAST
@given(data=st.binary(max_size=600))
def test_sniffing_never_fails(data: bytes) -> None:
    assert sniff_kind(data) in (None, *KINDS)
