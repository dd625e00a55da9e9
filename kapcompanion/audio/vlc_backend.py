"""The python-vlc backend: one libvlc instance, one libvlc media player per channel.

``vlc`` is imported lazily inside :func:`load_vlc`, because python-vlc looks for libvlc at
import time and fails in several ways when it is absent (OSError, NameError,
FileNotFoundError, NotImplementedError, and even ``sys.exit`` when PYTHON_VLC_LIB_PATH is
wrong). Every one of those becomes :class:`BackendUnavailable` with a plain reason, and the
app carries on with the null backend.

libvlc event callbacks run on libvlc's own threads and must not call back into libvlc, so
the channels only forward a :class:`ChannelEvent` to the sink the player gave them (which
queues it). The instance is created with no video, no Lua (no playlist scripts that fetch
from the network) and no metadata network access.

libvlc's own messages go to the app log through :class:`~kapcompanion.audio.vlc_log.LibvlcLog`
(never to stderr), which also tells whether an audio output opened: :attr:`VlcBackend.audible`
plays a fraction of a second of silence once to find out, and :attr:`VlcBackend.output_failed`
turns True if the output fails later.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import tempfile
import time
import wave
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from kapcompanion.audio.backend import (
    NO_SOUND_OUTPUT,
    NOT_INSTALLED,
    AudioBackend,
    BackendError,
    BackendUnavailable,
    Channel,
    ChannelEvent,
    EventSink,
    check_local_uri,
)
from kapcompanion.audio.vlc_log import LibvlcLog, OutputState, quiet_alsa_stderr

log = logging.getLogger(__name__)

BASE_ARGS = ("--no-video", "--quiet", "--no-lua", "--no-metadata-network-access", "--no-xlib")
COULD_NOT_START = (
    "Music is unavailable: VLC is installed but could not start (its plugins may be missing). "
    "Reinstall VLC (on Debian/Ubuntu: sudo apt install vlc) and restart."
)
_LIB_NAMES = ("libvlc.so.5", "libvlc.so", "libvlc.dll", "libvlc.dylib")
_CORE_NAMES = ("libvlccore.so.9", "libvlccore.so", "libvlccore.dll", "libvlccore.dylib")
_PLUGIN_DIRS = ("vlc/plugins", "plugins", "vlc")
_SILENT_OUTPUTS = ("--aout=dummy", "--aout=none", "--aout=adummy")  # discard every sample
PROBE_TIMEOUT_S = 2.0


def configure_bundled_vlc(
    base: Path | None = None, environ: MutableMapping[str, str] | None = None
) -> dict[str, str]:
    """Point python-vlc at the libvlc carried inside a PyInstaller bundle.

    PyInstaller does not find libvlc (it is loaded through ctypes), so ``build.spec`` copies
    libvlc, libvlccore and the plugins folder into the bundle. Inside the bundle
    (``sys._MEIPASS``) this sets PYTHON_VLC_LIB_PATH and PYTHON_VLC_MODULE_PATH (and
    VLC_PLUGIN_PATH) before ``import vlc``, unless the environment already chose; libvlccore
    is preloaded so libvlc finds it on every platform. Outside a bundle it does nothing.
    Returns the variables it set.
    """
    env = os.environ if environ is None else environ
    if base is None:
        frozen = getattr(sys, "_MEIPASS", None)
        if not frozen:
            return {}
        base = Path(frozen)
    lib = next((base / n for n in _LIB_NAMES if (base / n).is_file()), None)
    if lib is None:
        return {}
    plugins = next((base / d for d in _PLUGIN_DIRS if (base / d).is_dir()), None)
    wanted = {"PYTHON_VLC_LIB_PATH": str(lib)}
    if plugins is not None:
        wanted["PYTHON_VLC_MODULE_PATH"] = str(plugins)
        wanted["VLC_PLUGIN_PATH"] = str(plugins)
    done = {}
    for key, value in wanted.items():
        if key not in env:
            env[key] = value
            done[key] = value
    core = next((lib.parent / n for n in _CORE_NAMES if (lib.parent / n).is_file()), None)
    if core is not None:
        try:
            ctypes.CDLL(str(core), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
        except OSError:
            log.warning("bundled libvlccore could not be preloaded")
    return done


def load_vlc() -> ModuleType:
    """Import python-vlc; raise BackendUnavailable (plain reason) if libvlc is not there."""
    configure_bundled_vlc()
    try:
        import vlc
    except (OSError, NameError, FileNotFoundError, NotImplementedError, ImportError,
            AttributeError) as exc:  # fmt: skip
        log.info("libvlc not found: %s", type(exc).__name__)
        raise BackendUnavailable(NOT_INSTALLED) from exc
    except SystemExit as exc:  # python-vlc exits when PYTHON_VLC_LIB_PATH cannot be loaded
        log.info("python-vlc refused its library path")
        raise BackendUnavailable(NOT_INSTALLED) from exc
    module: ModuleType = vlc
    return module


class VlcChannel(Channel):
    def __init__(self, backend: VlcBackend) -> None:
        self._vlc = backend.vlc
        self._instance = backend.instance
        self._mp: Any = self._instance.media_player_new()
        self._media: Any = None
        self._sink: EventSink | None = None
        self._events: Any = self._mp.event_manager()
        kinds = self._vlc.EventType
        self._events.event_attach(kinds.MediaPlayerEndReached, self._on_event, ChannelEvent.ENDED)
        self._events.event_attach(
            kinds.MediaPlayerEncounteredError, self._on_event, ChannelEvent.ERROR
        )

    # Runs on a libvlc thread: no libvlc calls here, only hand the event on.
    def _on_event(self, _event: object, kind: ChannelEvent) -> None:
        sink = self._sink
        if sink is not None:
            sink(kind)

    @property
    def media_player(self) -> Any:
        """The libvlc media player (tests look at its real state)."""
        return self._mp

    def open(self, uri: str) -> None:
        check_local_uri(uri)
        media = self._instance.media_new(uri)
        if media is None:
            raise BackendError("VLC could not open the file")
        self._mp.set_media(media)
        self._media = media

    def play(self) -> None:
        if self._mp.play() == -1:
            raise BackendError("VLC could not start playing")

    def pause(self) -> None:
        self._mp.set_pause(1)

    def resume(self) -> None:
        self._mp.set_pause(0)

    def stop(self) -> None:
        self._mp.stop()

    def set_volume(self, volume: int) -> None:
        self._mp.audio_set_volume(max(0, min(100, int(volume))))

    def volume(self) -> int | None:
        value = self._mp.audio_get_volume()
        return None if value is None or value < 0 else int(value)

    def is_playing(self) -> bool:
        return bool(self._mp.is_playing())

    def length_s(self) -> float | None:
        ms = self._mp.get_length()
        return ms / 1000.0 if ms and ms > 0 else None

    def set_event_sink(self, sink: EventSink | None) -> None:
        self._sink = sink

    def release(self) -> None:
        self._sink = None
        kinds = self._vlc.EventType
        for kind in (kinds.MediaPlayerEndReached, kinds.MediaPlayerEncounteredError):
            self._events.event_detach(kind)
        self._mp.stop()
        self._mp.release()
        if self._media is not None:
            self._media.release()
            self._media = None


class VlcBackend(AudioBackend):
    """libvlc through python-vlc. Raises BackendUnavailable if libvlc cannot be used."""

    name = "vlc"

    def __init__(self, extra_args: Sequence[str] = (), vlc_module: ModuleType | None = None):
        self.vlc = vlc_module if vlc_module is not None else load_vlc()
        self.args = (*BASE_ARGS, *extra_args)
        quiet_alsa_stderr()
        self.instance: Any = self.vlc.Instance(list(self.args))
        if self.instance is None:
            raise BackendUnavailable(COULD_NOT_START)
        self.log = LibvlcLog(self.vlc)
        self.log.install(self.instance)
        self._probed: bool | None = None

    @property
    def available(self) -> bool:
        return self.instance is not None

    @property
    def output_failed(self) -> bool:
        return self.log.output_state is OutputState.FAILED

    @property
    def audible(self) -> bool:
        """An audio output opened a device (probed once with silence, then watched).

        The dummy output (``--aout=dummy``) discards everything, so it is never audible. When
        libvlc says neither "opened" nor "failed" within the probe time, the answer is
        "audible" and the uncertainty is logged: music is then handled as before.
        """
        if self.instance is None or any(a in _SILENT_OUTPUTS for a in self.args):
            return False
        state = self.log.output_state
        if state is OutputState.UNKNOWN and self._probed is None:
            state = self._probe_output()
        return state is not OutputState.FAILED

    @property
    def silent_reason(self) -> str:
        if self.instance is None:
            return COULD_NOT_START
        return "" if self.audible else NO_SOUND_OUTPUT

    def _probe_output(self, timeout_s: float = PROBE_TIMEOUT_S) -> OutputState:
        """Play a quarter second of silence at volume 0 and see whether the output opens."""
        self._probed = True
        with tempfile.TemporaryDirectory(prefix="kapc-probe-") as folder:
            path = Path(folder) / "silence.wav"
            with wave.open(str(path), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(8000)
                out.writeframes(b"\x00\x00" * 2000)
            player = self.instance.media_player_new()
            media = self.instance.media_new_path(str(path))
            try:
                player.set_media(media)
                player.audio_set_volume(0)
                player.play()
                state = self.log.wait_for_output(timeout_s)
            finally:
                player.stop()
                player.release()
                media.release()
        if state is OutputState.UNKNOWN:
            log.warning("libvlc said nothing about its audio output within %.1f s", timeout_s)
        else:
            log.info("audio output %s", state.value)
        return state

    def new_channel(self) -> Channel:
        return VlcChannel(self)

    def probe_duration(self, uri: str, timeout_s: float = 2.0) -> float | None:
        """Parse a local file (no playback) and return its length in seconds."""
        check_local_uri(uri)
        media = self.instance.media_new(uri)
        if media is None:
            return None
        try:
            media.parse_with_options(self.vlc.MediaParseFlag.local, int(timeout_s * 1000))
            deadline = time.monotonic() + timeout_s + 0.5
            status = self.vlc.MediaParsedStatus
            while time.monotonic() < deadline:
                if media.get_parsed_status() in (
                    status.done,
                    status.failed,
                    status.timeout,
                    status.skipped,
                ):
                    break
                time.sleep(0.01)
            ms = media.get_duration()
            return ms / 1000.0 if ms and ms > 0 else None
        finally:
            media.release()

    def close(self) -> None:
        if self.instance is not None:
            self.log.remove()
            self.instance.release()
            self.instance = None
