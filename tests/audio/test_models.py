"""The records other parts store or show: PlayLog through core.serial, Track conveniences."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from kapcompanion.audio.models import Playlist, PlayLog, Track, playlist_to_dict
from kapcompanion.core import serial


def test_playlog_round_trips_through_serial() -> None:
    log = PlayLog(
        title="Open Sky",
        artist="KAP Companion",
        location="/music/peak-01.ogg",
        phase="peak",
        started_utc=datetime(2025, 3, 1, 10, 0, 5, tzinfo=UTC),
        ended_utc=datetime(2025, 3, 1, 10, 7, 0, tzinfo=UTC),
    )
    data = json.loads(json.dumps(serial.to_jsonable(log)))
    assert data["started_utc"] == "2025-03-01T10:00:05+00:00"
    assert serial.load(PlayLog, data) == log
    still_playing = serial.load(PlayLog, {**data, "ended_utc": None})
    assert still_playing.ended_utc is None


def test_track_conveniences_and_json() -> None:
    local = Track(Path("/m/a.ogg"), "file:///m/a.ogg")
    refused = Track(None, "http://x/y.ogg", missing=True)
    missing = Track(Path("/m/b.ogg"), "file:///m/b.ogg", "B", missing=True)
    assert (local.display_title, local.playable) == ("a", True)
    assert (refused.display_title, refused.playable) == ("http://x/y.ogg", False)
    assert (missing.display_title, missing.playable) == ("B", False)
    playlist = Playlist("P", [local, refused, missing], ["a problem"], Path("/m/p.m3u8"))
    assert playlist.playable == [local]
    data = json.loads(json.dumps(playlist_to_dict(playlist)))
    assert data["source"] == "/m/p.m3u8" and data["problems"] == ["a problem"]
    assert [t["location"] for t in data["tracks"]] == ["/m/a.ogg", None, "/m/b.ogg"]
