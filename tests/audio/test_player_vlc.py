"""The player on real libvlc players, with the schedule driven by an injected clock.

libvlc's silent output is not clocked to these tests, so the *schedule* (when a fade starts,
where a ramp is) follows the fake clock, and the assertions read what the real libvlc
players really do: whether they play, and the volume they report.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from audio.audio_support import SILENT_OUTPUT, FakeClock, Recorder, Tones, wait_until

from kapcompanion import paths
from kapcompanion.audio.backend import ChannelEvent
from kapcompanion.audio.models import Playlist, Track
from kapcompanion.audio.player import Player
from kapcompanion.audio.player_types import PlayerConfig, PlayerState
from kapcompanion.audio.tags import read_tags
from kapcompanion.audio.vlc_backend import VlcBackend, VlcChannel

MakePlayer = Callable[..., tuple[Player, Recorder]]
LENGTH = 19.93  # the generated tones' real length


def track(path: Path) -> Track:
    tags = read_tags(path)
    return Track(path, path.as_uri(), tags.title, tags.artist, tags.duration_s)


def playlist(title: str, *paths: Path) -> Playlist:
    return Playlist(title, [track(p) for p in paths])


def mps(player: Player) -> list[Any]:
    """The real libvlc media players behind the player's channels, oldest first."""
    channels = player.channels()
    assert all(isinstance(c, VlcChannel) for c in channels)
    return [c.media_player for c in channels]  # type: ignore[attr-defined]


def volumes(player: Player) -> list[int]:
    return [mp.audio_get_volume() for mp in mps(player)]


def playing(player: Player) -> list[bool]:
    return [bool(mp.is_playing()) for mp in mps(player)]


def settle(player: Player) -> list[int]:
    """Wait until the real players report the volumes the schedule set (libvlc applies them
    asynchronously and may drop one while its output starts; the player re-applies)."""

    def matches() -> bool:
        player.tick()  # same fake time: the schedule does not move, drift is corrected
        return volumes(player) == player.mix()

    assert wait_until(matches), (volumes(player), player.mix())
    return volumes(player)


def at(player: Player, clock: FakeClock, t: float, start: float) -> list[int]:
    """Tick the player at ``t`` seconds after ``start``; return the real players' volumes."""
    clock.now = start + t
    player.tick()
    return settle(player)


def test_start_fades_in_a_real_player(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones
) -> None:
    player, log = vlc_player(PlayerConfig(volume=70, fade_in_s=4))
    t0 = clock.now
    player.start("arrival", playlist("Arrival", tones.a, tones.b))
    assert settle(player) == [0]
    assert wait_until(lambda: playing(player) == [True])
    heard = []
    for t in (1, 2, 3, 4, 5):
        heard.append(at(player, clock, t, t0)[0])
    assert heard == sorted(heard) and heard[0] > 0 and heard[-2:] == [70, 70]
    assert [(s.title, s.artist, s.phase) for s in log.started] == [
        ("Tone A", "Test Ensemble", "arrival")
    ]
    assert log.started[0].location == str(tones.a) and log.started[0].started_utc.tzinfo is UTC
    status = player.status()
    assert (status.state, status.title, status.playlist_title) == ("playing", "Tone A", "Arrival")


def test_crossfade_overlaps_two_real_players(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones
) -> None:
    player, log = vlc_player(PlayerConfig(volume=80, crossfade_s=8, fade_in_s=2))
    t0 = clock.now
    player.start("peak", playlist("Peak", tones.a, tones.b))
    first = mps(player)[0]
    cross = LENGTH - 8
    assert at(player, clock, cross - 0.2, t0) == [80]
    at(player, clock, cross + 0.05, t0)
    assert len(player.channels()) == 2
    assert wait_until(lambda: playing(player) == [True, True])  # both really sound at once
    assert mps(player)[0] is first
    samples = []
    for t in (1, 2, 4, 6, 7.5):
        samples.append(at(player, clock, cross + t, t0))
        assert playing(player) == [True, True]
    outgoing = [s[0] for s in samples]
    incoming = [s[1] for s in samples]
    assert outgoing == sorted(outgoing, reverse=True) and outgoing[0] > outgoing[-1]
    assert incoming == sorted(incoming) and incoming[0] < incoming[-1]
    mid = samples[2]  # halfway: equal power, both at gain 0.707 (cube root -> 89% volume)
    assert mid[0] == pytest.approx(mid[1], abs=1)
    assert mid[1] == pytest.approx(80 * math.sqrt(0.5) ** (1 / 3), abs=1)
    for out_v, in_v in samples:  # the summed power stays that of one track (no dip, no bump)
        power = ((out_v / 80) ** 3) ** 2 + ((in_v / 80) ** 3) ** 2
        assert power == pytest.approx(1.0, abs=0.06)
    assert at(player, clock, cross + 8.05, t0) == [80]
    assert mps(player)[0] is not first and playing(player) == [True]
    assert [s.title for s in log.started] == ["Tone A", "Tone B"]
    assert [e.title for e in log.ended] == ["Tone A"]
    ended = log.ended[0]
    assert ended.ended_utc is not None and ended.ended_utc >= ended.started_utc
    assert player.status().title == "Tone B"


def test_phase_change_crossfades_into_the_next_playlist(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones
) -> None:
    player, log = vlc_player(PlayerConfig(volume=60, phase_crossfade_s=6, fade_in_s=1))
    t0 = clock.now
    player.start("arrival", playlist("Arrival", tones.a))
    at(player, clock, 3, t0)
    player.set_phase("onset", playlist("Onset", tones.b, tones.c))
    assert len(player.channels()) == 2
    assert wait_until(lambda: playing(player) == [True, True])
    out_v, in_v = at(player, clock, 6, t0)
    assert 0 < out_v < 60 and 0 < in_v < 60
    assert at(player, clock, 9.1, t0) == [60]
    assert [(s.title, s.phase) for s in log.started] == [("Tone A", "arrival"), ("Tone B", "onset")]
    assert [(e.title, e.phase) for e in log.ended] == [("Tone A", "arrival")]
    status = player.status()
    assert (status.phase, status.playlist_title, status.title) == ("onset", "Onset", "Tone B")


def test_end_of_session_fades_out_over_a_minute(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones
) -> None:
    player, log = vlc_player(PlayerConfig(volume=100, crossfade_s=4, fade_in_s=1))
    t0 = clock.now
    player.start("return", playlist("Return", tones.a, tones.b, tones.c))
    at(player, clock, 2, t0)
    player.end_session()
    assert player.status().state is PlayerState.ENDING
    gains = []
    for t in range(2, 62, 3):  # through the minute, across the tracks' crossfades
        power = sum(((v / 100) ** 3) ** 2 for v in at(player, clock, t + 0.5, t0))
        gains.append(math.sqrt(power))
        expected = math.cos((t + 0.5 - 2) / 60 * math.pi / 2)  # the fall curve
        assert gains[-1] == pytest.approx(expected, abs=0.06)
    assert all(a >= b - 0.03 for a, b in itertools.pairwise(gains))
    assert len(log.started) >= 3  # the music kept moving during the fade: no silence
    at(player, clock, 62.1, t0)
    assert player.status().state is PlayerState.STOPPED
    assert player.channels() == []
    assert len(log.ended) == len(log.started)


def test_pause_freezes_the_schedule_and_pauses_real_players(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones, vlc: Any
) -> None:
    player, _log = vlc_player(PlayerConfig(volume=50, fade_in_s=2, resume_fade_s=1))
    t0 = clock.now
    player.start("peak", playlist("Peak", tones.a))
    at(player, clock, 3, t0)
    mp = mps(player)[0]
    assert wait_until(lambda: mp.get_state() == vlc.State.Playing)
    played = player.player_time
    player.pause()
    assert player.status().state is PlayerState.PAUSED
    assert wait_until(lambda: mp.get_state() == vlc.State.Paused)
    at(player, clock, 300, t0)  # five minutes of pause do not count as playing time
    assert player.player_time == played and len(player.channels()) == 1
    player.resume()
    assert wait_until(lambda: mp.get_state() == vlc.State.Playing)
    assert settle(player) == [0]  # resumes gently
    assert 0 < at(player, clock, 300.5, t0)[0] < 50
    assert at(player, clock, 301.1, t0) == [50]


def test_fade_out_then_fade_in(vlc_player: MakePlayer, clock: FakeClock, tones: Tones) -> None:
    player, _log = vlc_player(PlayerConfig(volume=40, fade_in_s=1))
    t0 = clock.now
    player.start("peak", playlist("Peak", tones.a))
    at(player, clock, 2, t0)
    player.fade_out(3)
    assert 0 < at(player, clock, 3.5, t0)[0] < 40
    at(player, clock, 5.1, t0)
    assert player.status().state is PlayerState.PAUSED
    assert wait_until(lambda: playing(player) == [False])
    player.fade_in(2)
    assert player.status().state is PlayerState.PLAYING
    assert wait_until(lambda: playing(player) == [True])
    assert 0 < at(player, clock, 6.1, t0)[0] < 40
    assert at(player, clock, 7.2, t0) == [40]


def test_next_skips_with_a_short_crossfade(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones
) -> None:
    player, log = vlc_player(PlayerConfig(skip_fade_s=2, fade_in_s=0.5))
    t0 = clock.now
    player.start("peak", playlist("Peak", tones.a, tones.b))
    at(player, clock, 1, t0)
    player.next()
    assert len(player.channels()) == 2
    at(player, clock, 3.1, t0)
    assert len(player.channels()) == 1 and player.status().title == "Tone B"
    assert [e.title for e in log.ended] == ["Tone A"]


def test_the_bell_rings_before_the_music(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones
) -> None:
    player, log = vlc_player(PlayerConfig(bell_volume=85, volume=50, fade_in_s=1))
    t0 = clock.now
    player.start("arrival", playlist("Arrival", tones.a), bell=True)
    assert settle(player) == [85] and log.started == []  # only the bell
    assert wait_until(lambda: playing(player) == [True])
    lead = read_tags(tones.bell).duration_s
    assert lead is not None
    at(player, clock, lead - 0.1, t0)
    assert len(player.channels()) == 1 and log.started == []
    at(player, clock, lead + 0.05, t0)
    assert [s.title for s in log.started] == ["Tone A"]
    assert player.play_bell()  # and over the music, at its own volume
    assert settle(player)[-1] == 85


def test_bell_over_the_music_and_a_missing_bell(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones, tmp_path: Path
) -> None:
    player, log = vlc_player(PlayerConfig(bell_volume=70, volume=50, fade_in_s=1))
    player.start("arrival", playlist("Arrival", tones.a), bell=True, bell_first=False)
    assert len(player.channels()) == 2 and [s.title for s in log.started] == ["Tone A"]
    missing = Player(player.backend, clock=clock, bell_path=tmp_path / "no-bell.ogg")
    missing.add_listener(log)
    missing.start("arrival", playlist("Arrival", tones.b), bell=True)
    assert any("bell sound is missing" in p for p in log.problems)
    assert len(missing.channels()) == 1  # the music started anyway
    missing.stop()


def test_a_real_end_moves_on_and_wakes_the_owner(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones
) -> None:
    player, log = vlc_player(PlayerConfig(fade_in_s=0.1))
    wakeups: list[int] = []
    player.set_wakeup(lambda: wakeups.append(threading.get_ident()))
    player.start("onset", playlist("Onset", tones.blip, tones.a))

    def moved_on() -> bool:
        player.tick()
        return len(log.started) == 2

    assert wait_until(moved_on, 5)  # the clock never moved: the real end event did it
    assert [e.title for e in log.ended] == ["Blip"]
    assert wakeups and all(ident != threading.get_ident() for ident in wakeups)


def test_a_file_that_vanished_is_reported_and_skipped(
    vlc_player: MakePlayer, clock: FakeClock, tones: Tones, tmp_path: Path
) -> None:
    doomed = tmp_path / "doomed.ogg"
    doomed.write_bytes(tones.short.read_bytes())
    items = playlist("Peak", doomed, tones.a)
    doomed.unlink()  # imported fine, gone by the time it plays
    player, log = vlc_player()
    player.start("peak", items)

    def moved_on() -> bool:
        player.tick()
        return len(log.started) == 2

    assert wait_until(moved_on, 5)
    assert any("Could not play “Short tone”" in p for p in log.problems)
    assert player.status().title == "Tone A"


def test_a_playlist_that_cannot_play_at_all_stops(
    vlc_player: MakePlayer, clock: FakeClock, tmp_path: Path, tones: Tones
) -> None:
    doomed = tmp_path / "x.ogg"
    doomed.write_bytes(tones.short.read_bytes())
    items = playlist("Peak", doomed)
    doomed.unlink()
    player, log = vlc_player()
    player.start("peak", items)

    def stopped() -> bool:
        player.tick()
        return player.status().state is PlayerState.STOPPED

    assert wait_until(stopped, 5)
    assert "No track in this playlist could be played." in log.problems
    empty, _ = vlc_player()
    empty.add_listener(log)
    empty.start("peak", Playlist("Empty"))
    assert empty.status().state is PlayerState.STOPPED
    assert "There is no playable music in this playlist." in log.problems


def test_channel_events_after_release_are_ignored(vlc_player: MakePlayer, tones: Tones) -> None:
    player, _log = vlc_player()
    player.start("peak", playlist("Peak", tones.a))
    channel = player.channels()[0]
    player.stop()
    channel.set_event_sink(None)  # released channels have no sink; posting stale ids is harmless
    player._post(999, ChannelEvent.ENDED)
    player.tick()
    assert player.status().state is PlayerState.STOPPED


def test_the_shipped_bell_rings_by_default(clock: FakeClock, tones: Tones) -> None:
    bell = paths.resource("sounds", "bell.ogg")
    if not bell.is_file():
        pytest.skip("resources/sounds/bell.ogg not made yet")
    player = Player(VlcBackend(SILENT_OUTPUT), PlayerConfig(bell_volume=75), clock=clock)
    log = Recorder()
    player.add_listener(log)
    try:
        t0 = clock.now
        player.start("arrival", playlist("Arrival", tones.a), bell=True)
        assert log.problems == [] and settle(player) == [75]
        assert wait_until(lambda: playing(player) == [True])
        lead = read_tags(bell).duration_s
        assert lead is not None and 1 < lead < 30
        at(player, clock, lead + 0.05, t0)
        assert [s.title for s in log.started] == ["Tone A"]
    finally:
        player.close()
