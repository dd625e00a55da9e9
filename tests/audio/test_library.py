"""The clinic's music folder, phase playlists and the client's avoid list."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from audio.audio_support import Tones

from kapcompanion import paths
from kapcompanion.audio.library import (
    PHASES,
    PhasePlaylists,
    check_avoid_list,
    normalise,
    scan_music_folder,
    shipped_playlist,
)
from kapcompanion.audio.models import Track
from kapcompanion.audio.playlists import read_playlist, write_m3u8
from kapcompanion.core import serial
from kapcompanion.core.clock import PhaseKind


def test_scan_finds_audio_files_with_tags(tmp_path: Path, tones: Tones) -> None:
    (tmp_path / "B side").mkdir()
    (tmp_path / ".hidden").mkdir()
    shutil.copy(tones.a, tmp_path / "B side" / "02.ogg")
    shutil.copy(tones.c, tmp_path / "01 untagged.ogg")
    shutil.copy(tones.b, tmp_path / ".hidden" / "x.ogg")
    (tmp_path / "cover.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    scan = scan_music_folder(tmp_path)
    assert [t.location for t in scan.tracks] == [
        tmp_path / "01 untagged.ogg",
        tmp_path / "B side" / "02.ogg",
    ]
    untagged, tagged = scan.tracks
    assert untagged.title == "01 untagged" and untagged.artist == ""
    assert (tagged.title, tagged.artist) == ("Tone A", "Test Ensemble")
    assert tagged.duration_s == pytest.approx(19.9, abs=0.3)
    assert all(t.playable and t.uri.startswith("file://") for t in scan.tracks)
    assert scan.problems == []
    assert len(scan_music_folder(tmp_path, recursive=False).tracks) == 1


def test_scan_of_a_missing_folder_reports_it(tmp_path: Path) -> None:
    scan = scan_music_folder(tmp_path / "nope")
    assert scan.tracks == [] and "Music folder not found" in scan.problems[0]


def test_scan_limit(tmp_path: Path, tones: Tones) -> None:
    for i in range(3):
        shutil.copy(tones.short, tmp_path / f"{i}.ogg")
    scan = scan_music_folder(tmp_path, limit=2, with_tags=False)
    assert len(scan.tracks) == 2 and "first 2 of 3" in scan.problems[0]


def test_write_m3u8_round_trips_through_the_importer(tmp_path: Path, tones: Tones) -> None:
    shutil.copy(tones.a, tmp_path / "a.ogg")
    scan = scan_music_folder(tmp_path)
    (tmp_path / "lists").mkdir()
    target = tmp_path / "lists" / "peak.m3u8"
    write_m3u8(target, scan.tracks, title="Peak")
    text = target.read_text(encoding="utf-8")
    assert "../a.ogg" in text and "#EXTINF:20,Test Ensemble - Tone A" in text
    back = read_playlist(target, roots=[tmp_path])
    assert back.title == "Peak"
    assert [(t.title, t.artist, t.location) for t in back.tracks] == [
        ("Tone A", "Test Ensemble", tmp_path / "a.ogg")
    ]
    assert list((tmp_path / "lists").iterdir()) == [target]  # no temp file left behind


def test_phase_playlists_override_order_and_serialisation() -> None:
    mapping = PhasePlaylists(
        clinic={"onset": "/clinic/onset.m3u8", "peak": "/clinic/peak.xspf"},
        client={"peak": "/client/peak.m3u8"},
    )
    assert mapping.playlist_for("peak") == Path("/client/peak.m3u8")
    assert mapping.playlist_for("onset") == Path("/clinic/onset.m3u8")
    assert mapping.playlist_for("arrival") == paths.playlists_dir() / "arrival.m3u8"
    assert [mapping.source_of(p) for p in ("peak", "onset", "arrival")] == [
        "client",
        "clinic",
        "shipped",
    ]
    assert mapping.playlist_for(PhaseKind.PEAK) == Path("/client/peak.m3u8")
    assert set(mapping.resolved()) == set(PHASES) == {k.value for k in PhaseKind}
    again = serial.load(PhasePlaylists, serial.to_jsonable(mapping))
    assert again == mapping
    assert shipped_playlist("debrief").name == "debrief.m3u8"


def test_normalise() -> None:
    assert normalise("  Sigur Rós — Ágætis byrjun! ") == "sigur ros agaetis byrjun"
    assert normalise("ÉNYA") == "enya"
    assert normalise("Straße") == "strasse"


def _track(title: str, artist: str = "", location: Path | None = None) -> Track:
    return Track(location=location, uri="", title=title, artist=artist)


def test_avoid_list_matches_words_without_case_or_accents(tmp_path: Path, tones: Tones) -> None:
    tracks = [
        _track("Svefn-g-englar", "Sigur Rós"),
        _track("Kenya Nights", "Various"),
        _track("Orinoco Flow", "ENYA"),
        _track("Hallelujah", "Jeff Buckley"),
        _track("", "", tmp_path / "My Hallelujah Cover.ogg"),
    ]
    shutil.copy(tones.a, tmp_path / "a.ogg")
    tracks.append(_track("Renamed", "", tmp_path / "a.ogg"))  # tags say "Tone A" / "Test Tones"
    matches = check_avoid_list(tracks, ["sigur ros", "Enya", "hallelujah", "test tones", " "])
    found = {(m.track_index, m.term, m.field) for m in matches}
    assert found == {
        (0, "sigur ros", "artist"),
        (2, "Enya", "artist"),
        (3, "hallelujah", "title"),
        (4, "hallelujah", "file name"),
        (5, "test tones", "album"),
    }
    assert all(m.track_title for m in matches)
    assert check_avoid_list(tracks, []) == []
    assert check_avoid_list(tracks, ["test tones"], use_tags=False) == []
