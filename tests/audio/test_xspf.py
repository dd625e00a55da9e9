"""XSPF: the Xiph conformance suite, real tracks, and XML attacks refused."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import defusedxml.ElementTree as ElementTree
import pytest
from audio.audio_support import Tones
from support import SHARED

from kapcompanion.audio.models import Playlist, PlaylistError
from kapcompanion.audio.playlists import parse_playlist, read_playlist
from kapcompanion.audio.xspf import INVALID, XSPF_NS, valid_datetime

CONFORMANCE = SHARED / "conformance" / "xspf"
PASS = sorted((CONFORMANCE / "pass").glob("*.xspf"))
FAIL = sorted((CONFORMANCE / "fail").glob("*.xspf"))
_EXPECT = re.compile(r"Expect:[ \t]*(\S*)")


def expectation(path: Path) -> tuple[str, dict[str, str]] | None:
    """The file's ``Expect:`` comment as (code, {key: value}), or None when it has none."""
    match = _EXPECT.search(path.read_text(encoding="utf-8-sig"))
    if match is None or not match.group(1) or match.group(1) == "-->":
        return None
    code, _, body = match.group(1).partition("{")
    pairs = dict(part.split(":", 1) for part in body.rstrip("}").split(",") if ":" in part)
    return code, pairs


def track_count(path: Path) -> int:
    """How many <track> elements the file's (first) trackList holds, by an independent parse."""
    root = ElementTree.parse(path).getroot()
    ns = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    q = (lambda n: f"{{{ns}}}{n}") if ns else (lambda n: n)
    track_list = root.find(q("trackList"))
    return 0 if track_list is None else len(track_list.findall(q("track")))


def spec_problems(playlist: Playlist) -> list[str]:
    return [p for p in playlist.problems if p.startswith(INVALID)]


def test_the_suite_is_there() -> None:
    assert len(PASS) == 44 and len(FAIL) == 51


@pytest.mark.parametrize("path", PASS, ids=lambda p: p.name)
def test_pass_files_import_with_their_tracks(path: Path) -> None:
    playlist = read_playlist(path)
    assert len(playlist.tracks) == track_count(path)
    expected = expectation(path)
    if expected is None:
        return
    code, where = expected
    if code == "!Error":
        assert spec_problems(playlist) == []
    else:  # the suite keeps a few "valid but with a bad link" files here; they must be flagged
        assert code == "InvalidLink"
        words = [f"<{where['element']}>", where["parent"]] + (
            [f"attribute {where['attr']}"] if "attr" in where else []
        )
        assert any(all(w in p for w in words) for p in spec_problems(playlist)), playlist.problems


@pytest.mark.parametrize("path", FAIL, ids=lambda p: p.name)
def test_fail_files_are_flagged_or_refused(path: Path) -> None:
    try:
        playlist = read_playlist(path)
    except PlaylistError as exc:
        assert path.name in str(exc) and "not" in str(exc)
        return
    flagged = spec_problems(playlist)
    assert flagged, f"{path.name} imported without any problem"
    expected = expectation(path)
    if expected is not None:
        _code, where = expected
        words = [f"<{where['element']}>"] + ([where["parent"]] if "parent" in where else [])
        assert any(all(w in p for w in words) for p in flagged), flagged


def test_xspf_with_real_tracks(tmp_path: Path, tones: Tones) -> None:
    (tmp_path / "Music Folder").mkdir()
    shutil.copy(tones.a, tmp_path / "Music Folder" / "a b.ogg")
    shutil.copy(tones.c, tmp_path / "c.ogg")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="{XSPF_NS}">
  <title>Onset</title>
  <trackList>
    <track><location>Music%20Folder/a%20b.ogg</location><title>Opening</title>
      <creator>Ensemble</creator><duration>125000</duration></track>
    <track><location>http://example.com/x.ogg</location>
      <location>{(tmp_path / "c.ogg").as_uri()}</location></track>
    <track><location>nowhere.ogg</location></track>
  </trackList>
</playlist>"""
    path = tmp_path / "onset.xspf"
    path.write_text(xml, encoding="utf-8")
    playlist = read_playlist(path)
    assert playlist.title == "Onset"
    first, second, third = playlist.tracks
    assert (first.title, first.artist, first.duration_s) == ("Opening", "Ensemble", 125.0)
    assert first.location == tmp_path / "Music Folder" / "a b.ogg" and first.playable
    assert second.location == tmp_path / "c.ogg" and second.playable  # first usable location
    assert third.missing
    assert playlist.problems == [f"Track 3: file not found: {tmp_path / 'nowhere.ogg'}"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<playlist version="1" xmlns="http://xspf.org/ns/0/"><title>&lol4;</title><trackList/></playlist>"""


def test_entity_expansion_is_refused_quickly(tmp_path: Path) -> None:
    began = time.perf_counter()
    with pytest.raises(PlaylistError, match="refused for safety"):
        parse_playlist(BILLION_LAUGHS, "xspf", base_dir=tmp_path)
    assert time.perf_counter() - began < 1.0


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    for doc in (
        f'<!DOCTYPE p [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        f'<playlist version="1" xmlns="{XSPF_NS}"><title>&x;</title><trackList/></playlist>',
        f'<!DOCTYPE playlist SYSTEM "{secret.as_uri()}">'
        f'<playlist version="1" xmlns="{XSPF_NS}"><trackList/></playlist>',
    ):
        with pytest.raises(PlaylistError) as info:
            parse_playlist(doc.encode(), "xspf", base_dir=tmp_path)
        assert "TOP SECRET" not in str(info.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not well-formed XML"),
        (b"<playlist", "not well-formed XML"),
        (b"<html><body/></html>", "root element is <html>"),
        (b'<?xml version="1.0" encoding="klingon"?><playlist/>', "XML"),
    ],
)
def test_broken_xml_is_a_playlist_error(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(PlaylistError, match=message):
        parse_playlist(data, "xspf", base_dir=tmp_path, name="list.xspf")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2005-01-08T17:10:47-05:00", True),
        ("\n2005-01-08T17:10:47Z\n", True),
        ("0001-01-01T01:01:01", True),
        ("2024-02-29T24:00:00", True),
        ("2005-32-08T17:10:47-05:00", False),
        ("2023-02-29T10:00:00", False),
        ("2005-01-08", False),
        ("2005-01-08T17:10:47+15:00", False),
    ],
)
def test_xsd_datetime(text: str, ok: bool) -> None:
    assert valid_datetime(text) is ok
