"""The truth about music: real libvlc with no usable audio device is silent, and says so.

An ALSA device name that does not exist fails exactly as a laptop without a sound card does
("cannot open ALSA device", "failed to create audio output"), on any machine.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from audio.audio_support import SILENT_OUTPUT, FakeClock, Recorder, Tones
from support import ROOT

from kapcompanion.audio import PlayerState, create_player
from kapcompanion.audio.backend import NO_SOUND_OUTPUT
from kapcompanion.audio.models import Playlist, Track
from kapcompanion.audio.player import Player
from kapcompanion.audio.vlc_backend import VlcBackend
from kapcompanion.audio.vlc_log import COPIES_LOGGED, OutputState

NO_DEVICE = ("--aout=alsa", "--alsa-audio-device=kapc-no-such-device")


def _playlist(*paths: Path) -> Playlist:
    return Playlist(title="Tones", tracks=[Track(location=p, uri=p.as_uri()) for p in paths])


def test_a_device_that_opens_is_audible() -> None:
    backend = VlcBackend(SILENT_OUTPUT)
    try:
        assert backend.audible
        assert backend.log.output_state is OutputState.OPENED
        assert backend.silent_reason == ""
    finally:
        backend.close()


def test_no_device_is_not_audible_and_the_reason_is_plain() -> None:
    backend = VlcBackend(NO_DEVICE)
    try:
        assert not backend.audible
        assert backend.output_failed
        assert backend.silent_reason == NO_SOUND_OUTPUT
        assert "No sound output" in NO_SOUND_OUTPUT
    finally:
        backend.close()


def test_the_dummy_output_is_never_called_audible() -> None:
    backend = VlcBackend(("--aout=dummy",))
    try:
        assert backend.available and not backend.audible
    finally:
        backend.close()


def test_a_silent_player_records_nothing_as_played(tones: Tones, clock: FakeClock) -> None:
    player, reason = create_player(vlc_args=NO_DEVICE, clock=clock, bell_path=tones.bell)
    recorder = Recorder()
    player.add_listener(recorder)
    try:
        assert reason == NO_SOUND_OUTPUT
        assert not player.available and not player.audible
        player.start("peak", _playlist(tones.a, tones.b), bell=True)
        player.play()
        player.fade_in()
        for _ in range(5):
            player.tick(clock.advance(0.5))
        assert recorder.started == []
        assert player.state is PlayerState.UNAVAILABLE
        assert player.channels() == []
        status = player.status()
        assert not status.available and status.message == NO_SOUND_OUTPUT
        assert not player.play_bell()
    finally:
        player.close()


def test_an_output_that_fails_while_playing_stops_and_tells(tones: Tones, clock: FakeClock) -> None:
    backend = VlcBackend(SILENT_OUTPUT)
    player = Player(backend, clock=clock)
    recorder = Recorder()
    player.add_listener(recorder)
    try:
        backend.log.reset_output()
        player.start("peak", _playlist(tones.a))
        assert [log.title for log in recorder.started] == ["a"]
        # Let the track's own output open first, so libvlc's "output '...'" cannot land after
        # the failure below and be mistaken for a recovery.
        assert backend.log.wait_for_output(5.0) is OutputState.OPENED
        # libvlc's own words when a device goes away under a playing track
        backend.log.note(4, "failed to create audio output")
        player.tick(clock.advance(0.2))
        assert player.state is PlayerState.UNAVAILABLE and not player.audible
        assert [log.title for log in recorder.ended] == ["a"]
        assert recorder.problems[-1] == NO_SOUND_OUTPUT
        # An output opening again afterwards does not take the reason away: the player stays
        # silent until a restart, and keeps saying why.
        backend.log.note(0, "output 'f32l' 44100 Hz Stereo frame=1 samples/8 bytes")
        assert backend.audible
        assert player.status().message == NO_SOUND_OUTPUT and not player.audible
        player.play()
        assert len(recorder.started) == 1
    finally:
        player.close()


def test_libvlc_messages_reach_the_log_a_few_times_each(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kapcompanion.audio.libvlc")
    backend = VlcBackend(NO_DEVICE)
    try:
        for _ in range(3):
            backend.log.reset_output()
            backend._probed = None
            assert not backend.audible
    finally:
        backend.close()
    failed = [
        r for r in caplog.records if r.getMessage() == "libvlc: failed to create audio output"
    ]
    assert 1 <= len(failed) <= COPIES_LOGGED
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert backend.log.counts()["failed to create audio output"] > len(failed)


NO_DEVICE_PLAY = """
import sys, time
from pathlib import Path
from kapcompanion.audio.vlc_backend import VlcBackend
backend = VlcBackend(["--aout=alsa", "--alsa-audio-device=kapc-no-such-device"])
channel = backend.new_channel()
channel.open(Path(sys.argv[1]).as_uri())
channel.play()
time.sleep(1.5)
channel.release()
print(backend.output_failed)
backend.close()
"""


def test_no_flood_on_stderr_with_no_device(tones: Tones) -> None:
    """A playing track with no device used to print hundreds of ALSA lines a second."""
    done = subprocess.run(
        [sys.executable, "-c", NO_DEVICE_PLAY, str(tones.a)],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    assert done.stderr == ""  # neither ALSA's nor libvlc's messages reach stderr
