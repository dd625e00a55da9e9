"""The VLC backend against the real libvlc: decoding, transport, volume, events, loading."""

from __future__ import annotations

import array
import math
import os
import subprocess
import sys
import threading
import wave
from pathlib import Path
from typing import Any

import pytest
from audio.audio_support import SILENT_OUTPUT, Tones, decode_to_wav, wait_until
from support import ROOT

from kapcompanion import paths
from kapcompanion.audio import NOT_INSTALLED, create_player
from kapcompanion.audio.backend import BackendError, BackendUnavailable, ChannelEvent, NullBackend
from kapcompanion.audio.playlists import read_playlist
from kapcompanion.audio.vlc_backend import (
    BASE_ARGS,
    COULD_NOT_START,
    VlcBackend,
    VlcChannel,
    configure_bundled_vlc,
    load_vlc,
)


@pytest.fixture
def backend() -> Any:
    made = VlcBackend(SILENT_OUTPUT)
    yield made
    made.close()


def test_generated_ogg_decodes_with_the_right_length(
    backend: VlcBackend, tones: Tones, vlc: Any, tmp_path: Path
) -> None:
    assert backend.probe_duration(tones.a.as_uri()) == pytest.approx(19.93, abs=0.1)
    assert backend.probe_duration(tones.short.as_uri()) == pytest.approx(2.9, abs=0.15)
    seconds, rms = decode_to_wav(vlc, tones.a, tmp_path / "a.wav")
    assert seconds == pytest.approx(19.9, abs=0.3)
    assert rms > 0.2  # a 0.4-amplitude sine has an RMS of 0.28: sound, not silence


def _shipped_tracks() -> list[Any]:
    tracks = []
    for playlist_path in sorted(paths.playlists_dir().glob("*.m3u8")):
        playlist = read_playlist(playlist_path)
        tracks += [(playlist_path.stem, t) for t in playlist.tracks]
    return tracks


def _id(value: Any) -> str:
    return f"{value[0]}-{value[1].display_title}" if value else "none"


def test_shipped_playlists_import_cleanly() -> None:
    found = {p.stem: p for p in paths.playlists_dir().glob("*.m3u8")}
    if not found:
        pytest.skip("no shipped playlists yet")
    assert set(found) == {"arrival", "onset", "peak", "return", "debrief"}
    for phase, path in found.items():
        for variant in (path, path.with_suffix(".xspf")):
            playlist = read_playlist(variant)
            assert playlist.problems == [], (variant.name, playlist.problems)
            assert playlist.tracks and all(t.playable for t in playlist.tracks), variant.name
            assert all(t.title and t.duration_s for t in playlist.tracks), variant.name
            first = playlist.tracks[0].location
            assert first is not None and first.parent == paths.resources_dir() / "music", phase


@pytest.mark.parametrize("phase_track", _shipped_tracks() or [None], ids=_id)
def test_shipped_music_decodes(
    phase_track: Any, backend: VlcBackend, vlc: Any, tmp_path: Path
) -> None:
    if phase_track is None:
        pytest.skip("no shipped playlists yet (playlists/*.m3u8); the generated tone covers it")
    phase, track = phase_track
    assert track.playable, f"{phase}: {track.uri} is missing"
    length = backend.probe_duration(track.uri)
    assert length is not None and length > 30
    if track.duration_s is not None:
        assert length == pytest.approx(track.duration_s, abs=1.5)
    # Decode ten seconds from the middle (libvlc decodes much faster than real time) and
    # check that it is sound, not silence.
    out = tmp_path / "slice.wav"
    instance = vlc.Instance(["--no-video", "--quiet", "--no-lua", "--aout=dummy"])
    media = instance.media_new(track.uri)
    media.add_option(f":start-time={int(length / 2)}")
    media.add_option(
        ":sout=#transcode{acodec=s16l,channels=1,samplerate=8000}"
        f":std{{access=file,mux=wav,dst={out}}}"
    )
    player = instance.media_player_new()
    player.set_media(media)
    player.play()
    enough = 8000 * 2 * 10 + 4096
    assert wait_until(lambda: out.exists() and out.stat().st_size > enough, 20)
    player.stop()  # closes the WAV (its header gets the real sizes)
    player.release()
    instance.release()
    with wave.open(str(out), "rb") as wav:
        samples = array.array("h", wav.readframes(8000 * 10))
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
    assert rms > 0.003, f"{phase}: {track.display_title} is silent in the middle"


def test_transport_and_volume_change_the_real_player(
    backend: VlcBackend, tones: Tones, vlc: Any
) -> None:
    channel = backend.new_channel()
    assert isinstance(channel, VlcChannel)
    mp = channel.media_player
    channel.open(tones.a.as_uri())
    channel.set_volume(30)
    channel.play()
    assert wait_until(lambda: mp.get_state() == vlc.State.Playing)
    assert channel.is_playing()
    assert channel.volume() == 30 == mp.audio_get_volume()
    # Once sound flows the output is up, so a set no longer races its start-up (the player
    # re-applies volumes that drift in that window; see test_player_vlc). libvlc applies the
    # volume asynchronously, within a few milliseconds.
    assert wait_until(lambda: mp.get_time() > 300)
    channel.set_volume(75)
    assert wait_until(lambda: mp.audio_get_volume() == 75, 1.0)
    assert channel.volume() == 75
    assert wait_until(lambda: channel.length_s() is not None)
    assert channel.length_s() == pytest.approx(19.93, abs=0.1)
    channel.pause()
    assert wait_until(lambda: mp.get_state() == vlc.State.Paused)
    assert not channel.is_playing()
    channel.resume()
    assert wait_until(lambda: mp.get_state() == vlc.State.Playing)
    channel.stop()
    assert mp.get_state() == vlc.State.Stopped and not channel.is_playing()
    channel.release()


def test_offline_rules_are_in_the_instance_and_the_channel(backend: VlcBackend) -> None:
    assert {"--no-lua", "--no-metadata-network-access", "--no-video"} <= set(backend.args)
    assert set(BASE_ARGS) <= set(backend.args)
    channel = backend.new_channel()
    for uri in ("http://example.com/a.ogg", "smb://nas/a.ogg", "/plain/path.ogg"):
        with pytest.raises(BackendError):
            channel.open(uri)
    channel.release()


def test_end_and_error_events_arrive_on_libvlc_threads(
    backend: VlcBackend, tones: Tones, tmp_path: Path
) -> None:
    seen: list[tuple[ChannelEvent, int]] = []
    sink = lambda event: seen.append((event, threading.get_ident()))  # noqa: E731
    ending = backend.new_channel()
    ending.set_event_sink(sink)
    ending.open(tones.blip.as_uri())
    ending.play()
    assert wait_until(lambda: any(e is ChannelEvent.ENDED for e, _ in seen), 5)
    failing = backend.new_channel()
    failing.set_event_sink(sink)
    failing.open((tmp_path / "vanished.ogg").as_uri())
    failing.play()
    assert wait_until(lambda: any(e is ChannelEvent.ERROR for e, _ in seen), 5)
    assert all(thread != threading.get_ident() for _, thread in seen)
    ending.release()
    failing.release()


def test_configure_bundled_vlc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert configure_bundled_vlc(environ={}) == {}  # not frozen: nothing to do
    (tmp_path / "vlc" / "plugins").mkdir(parents=True)
    env: dict[str, str] = {}
    assert configure_bundled_vlc(tmp_path, env) == {}  # no libvlc in the bundle
    (tmp_path / "libvlc.so.5").write_bytes(b"")
    done = configure_bundled_vlc(tmp_path, env)
    assert env["PYTHON_VLC_LIB_PATH"] == str(tmp_path / "libvlc.so.5")
    assert (
        env["PYTHON_VLC_MODULE_PATH"] == str(tmp_path / "vlc" / "plugins") == env["VLC_PLUGIN_PATH"]
    )
    assert done == env
    chosen = {"PYTHON_VLC_LIB_PATH": "/opt/own/libvlc.so"}
    configure_bundled_vlc(tmp_path, chosen)
    assert chosen["PYTHON_VLC_LIB_PATH"] == "/opt/own/libvlc.so"  # the environment wins


_SYSTEM_LIBVLC = Path("/usr/lib/x86_64-linux-gnu/libvlc.so.5")
_SYSTEM_PLUGINS = Path("/usr/lib/x86_64-linux-gnu/vlc/plugins")

BUNDLE_PROBE = """
import os, sys
sys._MEIPASS = sys.argv[1]
from kapcompanion.audio.vlc_backend import VlcBackend
backend = VlcBackend(["--aout=dummy"])
import vlc
print(os.environ["PYTHON_VLC_LIB_PATH"])
print(vlc.dll._name)
print(vlc.plugin_path)
print(backend.probe_duration(sys.argv[2]))
"""


@pytest.mark.skipif(not _SYSTEM_LIBVLC.exists(), reason="needs Debian's libvlc5 layout")
def test_a_frozen_bundle_loads_its_own_libvlc(tmp_path: Path, tones: Tones) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "vlc").mkdir(parents=True)
    (bundle / "libvlc.so.5").symlink_to(_SYSTEM_LIBVLC)
    (bundle / "vlc" / "plugins").symlink_to(_SYSTEM_PLUGINS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON_VLC", "VLC_"))}
    out = subprocess.run(
        [sys.executable, "-c", BUNDLE_PROBE, str(bundle), tones.a.as_uri()],
        capture_output=True, text=True, cwd=ROOT, env=env, check=True, timeout=60,
    ).stdout.splitlines()  # fmt: skip
    assert out[0] == out[1] == str(bundle / "libvlc.so.5")
    assert out[2] == str(bundle / "vlc" / "plugins")
    assert float(out[3]) == pytest.approx(19.93, abs=0.1)


def test_missing_python_vlc_gives_the_null_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vlc", None)  # "import vlc" now fails like a missing module
    with pytest.raises(BackendUnavailable) as info:
        load_vlc()
    assert str(info.value) == NOT_INSTALLED
    player, reason = create_player()
    assert reason == NOT_INSTALLED
    assert isinstance(player.backend, NullBackend)
    assert not player.available and player.unavailable_reason == NOT_INSTALLED


def test_a_broken_libvlc_gives_the_null_backend_too() -> None:
    def broken(_args: object) -> Any:
        raise OSError("libvlc.so.5: cannot open shared object file")

    player, reason = create_player(backend_factory=broken)
    assert reason == COULD_NOT_START
    assert player.status().message == COULD_NOT_START


MISSING_PROBE = """
from kapcompanion.audio import create_player
player, reason = create_player()
player.start("peak", __import__("kapcompanion.audio").audio.Playlist("x"))
print(reason)
print(player.status().state)
"""


def test_no_libvlc_at_all_in_a_fresh_process(tmp_path: Path) -> None:
    """python-vlc calls sys.exit when its library path is wrong; the app must survive that."""
    env = dict(os.environ, PYTHON_VLC_LIB_PATH=str(tmp_path / "libvlc.so.5"))
    done = subprocess.run(
        [sys.executable, "-c", MISSING_PROBE],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [NOT_INSTALLED, "unavailable"]


def test_instance_creation_failure_is_unavailable(vlc: Any) -> None:
    class NoInstance:
        EventType = vlc.EventType

        @staticmethod
        def Instance(_args: list[str]) -> None:
            return None

    with pytest.raises(BackendUnavailable, match="could not start"):
        VlcBackend(vlc_module=NoInstance)  # type: ignore[arg-type]
