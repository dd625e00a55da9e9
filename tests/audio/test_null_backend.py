"""No libvlc: the app keeps working, says why there is no music, and records nothing as played."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio.audio_support import FakeClock, Recorder

from kapcompanion.audio import NOT_INSTALLED, create_player
from kapcompanion.audio.backend import BackendError, BackendUnavailable, NullBackend, NullChannel
from kapcompanion.audio.models import Playlist, Track
from kapcompanion.audio.player import Player
from kapcompanion.audio.player_types import PlayerState


def failing_loader(_args: object) -> NullBackend:
    raise BackendUnavailable(NOT_INSTALLED)


def test_reason_is_the_plain_sentence() -> None:
    assert NOT_INSTALLED == (
        "Music is unavailable: VLC is not installed. Install VLC (on Debian/Ubuntu: "
        "sudo apt install vlc) and restart."
    )


def test_every_command_is_safe_and_nothing_is_logged(tmp_path: Path) -> None:
    clock = FakeClock()
    player, reason = create_player(backend_factory=failing_loader, clock=clock)
    assert reason == NOT_INSTALLED
    log = Recorder()
    player.add_listener(log)
    song = tmp_path / "song.ogg"
    song.write_bytes(b"not really audio")
    items = Playlist("Peak", [Track(song, song.as_uri(), "Song")])
    player.start("peak", items, bell=True)
    player.set_phase("return", items)
    for command in (
        player.play, player.pause, player.resume, player.toggle_pause, player.next,
        player.fade_in, player.fade_out, player.end_session, player.stop,
    ):  # fmt: skip
        command()
        clock.advance(30)
        player.tick()
    assert player.play_bell() is False
    player.set_volume(35)
    assert player.status().state is PlayerState.UNAVAILABLE
    assert player.channels() == []
    assert log.started == [] and log.ended == []
    status = player.status()
    assert not status.available and status.message == NOT_INSTALLED
    assert (status.phase, status.playlist_title, status.volume) == ("return", "Peak", 35)
    assert log.statuses and all(s.state is PlayerState.UNAVAILABLE for s in log.statuses)
    player.close()


def test_null_channel_keeps_state_and_refuses_network_uris() -> None:
    channel = NullBackend().new_channel()
    assert isinstance(channel, NullChannel)
    with pytest.raises(BackendError):
        channel.open("https://example.com/a.ogg")
    channel.open("file:///music/a.ogg")
    channel.set_volume(40)
    channel.play()
    assert channel.is_playing() and channel.volume() == 40 and channel.length_s() is None
    channel.pause()
    assert not channel.is_playing()
    channel.release()
    assert NullBackend("custom").reason == "custom" and not NullBackend().available


def test_a_player_on_the_null_backend_directly() -> None:
    player = Player(NullBackend())
    assert not player.available and player.unavailable_reason == NOT_INSTALLED
    player.tick()
    assert player.status().state == "unavailable"
