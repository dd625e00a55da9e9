"""The music, bell and phase playlists that ship with the app, checked as files on disk.

The app must play music offline out of the box for a whole 90-minute session, so every
playlist entry must resolve (from the source tree, and by the same relative paths inside the
bundle), every track must be a tagged Ogg Vorbis file, and each phase must hold at least its
planned minutes with no track used twice. The plan below is written out independently of
the generator on purpose. The last tests import the generator (tools/make_music.py) and check
that a fixed seed renders identical, audible, limited audio.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from defusedxml import ElementTree as SafeET
from mutagen.oggvorbis import OggVorbis

from kapcompanion import paths

PLAN_MINUTES = {"arrival": 10, "onset": 15, "peak": 40, "return": 20, "debrief": 10}
ARTIST = "KAP Companion generative"
XSPF = "{http://xspf.org/ns/0/}"
MUSIC = paths.resource("music")
PLAYLISTS = paths.playlists_dir()
NAME = re.compile(r"^(arrival|onset|peak|return|debrief)-\d{2}-[a-z0-9]+(-[a-z0-9]+)*\.ogg$")


def _ogg(path: Path) -> Any:
    """mutagen's OggVorbis (untyped); it raises unless the file is an Ogg Vorbis stream."""
    return OggVorbis(path)  # type: ignore[no-untyped-call]


def _m3u8(phase: str) -> list[tuple[int, str, Path]]:
    """(EXTINF seconds, EXTINF title, resolved file) per entry; checks the format as it goes."""
    path = PLAYLISTS / f"{phase}.m3u8"
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert lines[0] == "#EXTM3U"
    entries = []
    extinf: tuple[int, str] | None = None
    for line in lines[1:]:
        if line.startswith("#EXTINF:"):
            seconds, _, title = line[len("#EXTINF:") :].partition(",")
            extinf = (int(seconds), title)
        elif not line.startswith("#"):
            assert extinf is not None, f"{path.name}: {line} has no #EXTINF"
            assert not Path(line).is_absolute() and "\\" not in line
            assert line.startswith("../resources/music/")
            entries.append((extinf[0], extinf[1], (path.parent / line).resolve()))
            extinf = None
    return entries


def _xspf(phase: str) -> list[tuple[int, str, Path]]:
    path = PLAYLISTS / f"{phase}.xspf"
    raw = path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    raw.decode("utf-8")
    root = SafeET.fromstring(raw)
    assert root.tag == f"{XSPF}playlist" and root.get("version") == "1"
    tracks = root.findall(f"{XSPF}trackList/{XSPF}track")
    assert tracks
    entries = []
    for track in tracks:
        location = track.findtext(f"{XSPF}location")
        assert location is not None
        uri = urlparse(location)
        assert uri.scheme == "" and not uri.path.startswith("/"), location
        duration_ms = int(track.findtext(f"{XSPF}duration") or "0")
        title = track.findtext(f"{XSPF}title") or ""
        entries.append((duration_ms, title, (path.parent / unquote(uri.path)).resolve()))
    return entries


def _all_tracks() -> dict[str, list[Path]]:
    return {phase: [e[2] for e in _m3u8(phase)] for phase in PLAN_MINUTES}


@pytest.mark.parametrize("phase", list(PLAN_MINUTES))
def test_m3u8_entries_resolve_and_match_their_files(phase: str) -> None:
    entries = _m3u8(phase)
    assert entries
    for seconds, title, file in entries:
        assert file.is_file(), file
        assert file.parent == MUSIC.resolve()
        audio = _ogg(file)
        assert abs(audio.info.length - seconds) <= 1.0
        assert title == f"{ARTIST} - {audio['title'][0]}"


@pytest.mark.parametrize("phase", list(PLAN_MINUTES))
def test_xspf_is_valid_and_lists_the_same_files(phase: str) -> None:
    entries = _xspf(phase)
    assert [e[2] for e in entries] == [e[2] for e in _m3u8(phase)]
    for duration_ms, title, file in entries:
        assert file.is_file(), file
        audio = _ogg(file)
        assert abs(audio.info.length * 1000 - duration_ms) <= 1000
        assert title == audio["title"][0]


def test_every_track_is_tagged_ogg_vorbis() -> None:
    files = sorted(MUSIC.glob("*.ogg"))
    assert len(files) >= 10
    for file in files:
        assert NAME.match(file.name), file.name
        audio = _ogg(file)
        assert audio.info.channels in (1, 2)
        assert audio.info.sample_rate in (44100, 48000)
        assert 3 * 60 <= audio.info.length <= 8 * 60
        assert audio["title"][0].strip()
        assert audio["artist"] == [ARTIST]
        assert audio["album"][0].startswith("KAP Companion")
        assert audio["genre"] == ["Ambient"]


def test_phases_cover_the_plan_without_repeats() -> None:
    tracks = _all_tracks()
    every = [f for files in tracks.values() for f in files]
    assert len(every) == len(set(every)), "a track is used twice"
    assert set(every) == {f.resolve() for f in MUSIC.glob("*.ogg")}, "orphan or missing file"
    total = 0.0
    for phase, files in tracks.items():
        assert all(f.name.startswith(f"{phase}-") for f in files)
        seconds = sum(_ogg(f).info.length for f in files)
        planned = PLAN_MINUTES[phase] * 60
        assert planned <= seconds <= planned * 1.15, (phase, seconds)
        total += seconds
    assert total >= 90 * 60


def test_total_music_size_is_under_60_mb() -> None:
    size = sum(f.stat().st_size for f in MUSIC.glob("*.ogg"))
    assert 10e6 < size < 60e6


def test_bell_is_a_short_vorbis_strike() -> None:
    bell = paths.resource("sounds", "bell.ogg")
    audio = _ogg(bell)
    assert 15.0 <= audio.info.length <= 25.0
    assert audio["artist"] == [ARTIST]


def test_music_folder_documents_licence_and_tracks() -> None:
    licence = (MUSIC / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC0 1.0" in licence and "tools/make_music.py" in licence
    readme = (MUSIC / "README.md").read_text(encoding="utf-8")
    for file in MUSIC.glob("*.ogg"):
        assert file.name in readme


# --------------------------------------------------------------------------- the generator


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """The generator module; numpy and soundfile are dev-only tools dependencies."""
    pytest.importorskip("numpy")
    pytest.importorskip("soundfile")
    tools = str(paths.bundle_root() / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return importlib.import_module("make_music")


def test_generator_is_deterministic_audible_and_limited(generator: ModuleType) -> None:
    import numpy as np
    from music_plan import PIECES
    from music_synth import LIMIT_CEILING, SR

    piece = next(p for p in PIECES if p.key == "onset-01")
    first = generator.render_piece(piece, generator.SEED, seconds=4.0)
    second = generator.render_piece(piece, generator.SEED, seconds=4.0)
    assert first.shape == (2, 4 * SR)
    assert np.array_equal(first, second)
    other = generator.render_piece(piece, generator.SEED + 1, seconds=4.0)
    assert not np.array_equal(first, other)
    rms = float(np.sqrt(np.mean(first**2)))
    assert rms > 10 ** (-40 / 20)
    assert float(np.max(np.abs(first))) <= LIMIT_CEILING
    # It fades in: the first 50 ms are far quieter than the rest.
    head = float(np.sqrt(np.mean(first[:, : SR // 20] ** 2)))
    assert head < 0.1 * rms


def test_soft_limiter_never_exceeds_its_ceiling(generator: ModuleType) -> None:
    import numpy as np
    from music_synth import LIMIT_CEILING, LIMIT_KNEE, soft_limit

    x = np.linspace(-20.0, 20.0, 10001)
    y = soft_limit(x)
    assert float(np.max(np.abs(y))) <= LIMIT_CEILING
    assert float(np.max(np.abs(soft_limit(np.array([0.69, 0.8, 1.0]))))) < LIMIT_CEILING
    quiet = np.abs(x) <= LIMIT_KNEE
    assert np.array_equal(y[quiet], x[quiet])
    assert np.all(np.diff(y) >= 0)  # monotonic: no folding distortion


def test_committed_playlists_match_the_generator_plan(generator: ModuleType) -> None:
    from music_playlists import m3u8_text, xspf_text

    for phase in PLAN_MINUTES:
        m3u8 = (PLAYLISTS / f"{phase}.m3u8").read_text(encoding="utf-8")
        assert m3u8 == m3u8_text(phase, PLAYLISTS, MUSIC)
        xspf = (PLAYLISTS / f"{phase}.xspf").read_text(encoding="utf-8")
        assert xspf == xspf_text(phase, PLAYLISTS, MUSIC)
