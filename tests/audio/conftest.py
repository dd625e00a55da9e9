"""Fixtures for the audio tests: real libvlc, generated Ogg test tones, an injected clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from audio.audio_support import SILENT_OUTPUT, FakeClock, Recorder, Tones, vlc_transcode, write_tone

from kapcompanion.audio.player import Player
from kapcompanion.audio.player_types import PlayerConfig


@pytest.fixture(scope="session")
def vlc() -> Any:
    import vlc as vlc_module  # the real python-vlc; libvlc is installed on this machine

    return vlc_module


@pytest.fixture(scope="session")
def tones(tmp_path_factory: pytest.TempPathFactory, vlc: Any) -> Tones:
    import mutagen

    folder = tmp_path_factory.mktemp("music")
    made: dict[str, Path] = {}
    for name, seconds, freq, title in (
        ("a", 20, 441.0, "Tone A"),
        ("b", 20, 525.0, "Tone B"),
        ("c", 20, 630.0, ""),
        ("short", 3, 350.0, "Short tone"),
        ("blip", 0.6, 490.0, "Blip"),
        ("bell", 3, 882.0, "Bell"),
    ):
        wav = write_tone(folder / f"{name}.wav", seconds, freq)
        ogg = folder / f"{name}.ogg"
        vlc_transcode(
            vlc,
            wav,
            "#transcode{acodec=vorb,ab=64,channels=1,samplerate=22050}"
            f":std{{access=file,mux=ogg,dst={ogg}}}",
        )
        wav.unlink()
        if title:
            tagged = mutagen.File(ogg, easy=True)
            tagged["title"] = title
            tagged["artist"] = "Test Ensemble"
            tagged["album"] = "Test Tones"
            tagged.save()
        made[name] = ogg
    return Tones(folder=folder, **made)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def vlc_player(clock: FakeClock, tones: Tones) -> Iterator[Callable[..., tuple[Player, Recorder]]]:
    """Make players on the real VLC backend (silent output, injected clock); closed after."""
    from kapcompanion.audio.vlc_backend import VlcBackend

    made: list[Player] = []

    def make(config: PlayerConfig | None = None) -> tuple[Player, Recorder]:
        player = Player(
            VlcBackend(SILENT_OUTPUT), config or PlayerConfig(), clock=clock, bell_path=tones.bell
        )
        recorder = Recorder()
        player.add_listener(recorder)
        made.append(player)
        return player, recorder

    yield make
    for player in made:
        player.close()
