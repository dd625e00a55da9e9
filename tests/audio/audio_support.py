"""Helpers for the audio tests: test tones, libvlc transcoding, an injected clock.

The tones are made once per run: a sine wave written as WAV with the standard library, then
encoded to Ogg Vorbis by libvlc itself (the shipped music is Ogg too) and tagged with mutagen.
Players in tests use ALSA's "null" device, which accepts audio silently but still has a
real software volume, so the real libvlc volume can be read back.
"""

from __future__ import annotations

import array
import math
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kapcompanion.audio.models import PlayLog
from kapcompanion.audio.player_types import PlayerListener, PlayerStatus

SILENT_OUTPUT = ("--aout=alsa", "--alsa-audio-device=null")


def write_tone(path: Path, seconds: float, freq: float, rate: int = 22050) -> Path:
    """A 0.4-amplitude sine; ``rate / freq`` should be whole so one period can be tiled."""
    period = round(rate / freq)
    one = array.array(
        "h", (int(0.4 * 32767 * math.sin(2 * math.pi * i / period)) for i in range(period))
    )
    count = int(seconds * rate)
    samples = (one * (count // period + 1))[:count]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def vlc_transcode(vlc: Any, source: Path, sout: str, timeout_s: float = 20.0) -> None:
    """Run a libvlc stream-output chain over ``source`` as fast as it decodes."""
    instance = vlc.Instance(["--no-video", "--quiet", "--no-lua", "--aout=dummy"])
    player = instance.media_player_new()
    media = instance.media_new_path(str(source))
    media.add_option(f":sout={sout}")
    media.add_option(":sout-keep")
    player.set_media(media)
    player.play()
    deadline = time.monotonic() + timeout_s
    while player.get_state() not in (vlc.State.Ended, vlc.State.Error):
        assert time.monotonic() < deadline, "libvlc transcoding did not finish"
        time.sleep(0.01)
    player.stop()
    player.release()
    media.release()
    instance.release()


def decode_to_wav(vlc: Any, source: Path, target: Path) -> tuple[float, float]:
    """Decode ``source`` with libvlc to 8 kHz mono WAV; returns (seconds, RMS 0..1)."""
    vlc_transcode(
        vlc,
        source,
        "#transcode{acodec=s16l,channels=1,samplerate=8000}"
        f":std{{access=file,mux=wav,dst={target}}}",
    )
    with wave.open(str(target), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    samples = array.array("h", frames)
    rms = math.sqrt(sum(s * s for s in samples[::4]) / max(1, len(samples[::4]))) / 32768
    return seconds, rms


@dataclass(frozen=True)
class Tones:
    folder: Path
    a: Path  # 20 s, tagged "Tone A" by "Test Ensemble"
    b: Path  # 20 s, tagged "Tone B"
    c: Path  # 20 s, untagged
    short: Path  # 3 s
    blip: Path  # 0.6 s, ends for real within a test
    bell: Path  # 3 s


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@dataclass
class Recorder(PlayerListener):
    started: list[PlayLog] = field(default_factory=list)
    ended: list[PlayLog] = field(default_factory=list)
    statuses: list[PlayerStatus] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def on_track_started(self, log: PlayLog) -> None:
        self.started.append(log)

    def on_track_ended(self, log: PlayLog) -> None:
        self.ended.append(log)

    def on_status(self, status: PlayerStatus) -> None:
        self.statuses.append(status)

    def on_problem(self, message: str) -> None:
        self.problems.append(message)


def wait_until(condition: Callable[[], bool], timeout_s: float = 3.0) -> bool:
    """Poll a real-player condition (libvlc starts and stops asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
