"""libvlc's own messages: into the app log (warnings, a few copies each), never onto stderr.

libvlc prints its messages on stderr unless a log callback is set; on a machine with no sound
card that is hundreds of audio-output errors a second. :class:`LibvlcLog` installs a callback
(``libvlc_log_set``) that formats each message, sends warnings and errors to the
``kapcompanion.audio.libvlc`` logger at WARNING (each distinct text a few times, then only a
count), and watches the audio output's own messages to tell whether sound can come out:

* ``output 'f32l' 44100 Hz ...`` is what libvlc's audio output says once it opened a device;
* ``failed to create audio output`` / ``Audio output failed`` is what it says when it could not.

ALSA's library writes its own errors to stderr too (not through libvlc);
:func:`quiet_alsa_stderr` points ALSA's error handler at a function that drops them, once per
process.

The callback runs on libvlc threads: it only formats a string, updates counters under a lock
and logs (the logging module is thread safe). It never calls back into libvlc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from enum import StrEnum
from typing import Any

log = logging.getLogger("kapcompanion.audio.libvlc")
log.addHandler(logging.NullHandler())  # the app log's handler still gets them; stderr never

COPIES_LOGGED = 3  # each distinct libvlc message reaches the log this many times at most
_WARNING = 3  # libvlc_log_level: 0 debug, 2 notice, 3 warning, 4 error
_FAILED_MARKERS = (
    "failed to create audio output",
    "audio output failed",
    "no suitable audio output module",
)
_OPENED_PREFIX = "output '"  # aout_FormatPrint(aout, "output", ...) after a device opened
_BUFFER = 1024


class OutputState(StrEnum):
    UNKNOWN = "unknown"  # nothing has tried to open an audio output yet
    OPENED = "opened"  # the audio output opened a device
    FAILED = "failed"  # the audio output could not open any device


def _vsnprintf() -> Any:
    name = ctypes.util.find_library("c") or ctypes.util.find_library("msvcrt")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        func = libc.vsnprintf
    except (OSError, AttributeError):
        return None
    func.restype = ctypes.c_int
    func.argtypes = (ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p)
    return func


class LibvlcLog:
    """The log callback of one libvlc instance and what it learned about the audio output."""

    def __init__(self, vlc: Any) -> None:
        self._vlc = vlc
        self._format = _vsnprintf()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._counts: dict[str, int] = {}
        self._state = OutputState.UNKNOWN
        self._instance: Any = None
        self._callback: Any = vlc.CallbackDecorators.LogCb(self._on_message)

    @property
    def output_state(self) -> OutputState:
        with self._lock:
            return self._state

    def counts(self) -> dict[str, int]:
        """How often each warning or error text came (for tests and support)."""
        with self._lock:
            return dict(self._counts)

    def reset_output(self) -> None:
        with self._lock:
            self._state = OutputState.UNKNOWN

    def wait_for_output(self, timeout_s: float) -> OutputState:
        """Wait until an audio output opened or failed (or the time is up)."""
        with self._changed:
            self._changed.wait_for(lambda: self._state is not OutputState.UNKNOWN, timeout_s)
            return self._state

    def install(self, instance: Any) -> None:
        instance.log_set(self._callback, None)
        self._instance = instance

    def remove(self) -> None:
        if self._instance is not None:
            self._instance.log_unset()
            self._instance = None

    # Runs on libvlc threads.
    def _on_message(self, _data: Any, level: int, _ctx: Any, fmt: Any, args: Any) -> None:
        try:
            text = self._text(fmt, args)
            self.note(int(level), text)
        except Exception:  # an exception must never cross into libvlc
            return

    def _text(self, fmt: Any, args: Any) -> str:
        if self._format is None or not fmt:
            return (fmt or b"").decode("utf-8", "replace") if isinstance(fmt, bytes) else ""
        buf = ctypes.create_string_buffer(_BUFFER)
        self._format(buf, _BUFFER, fmt, args)
        return buf.value.decode("utf-8", "replace")

    def note(self, level: int, text: str) -> None:
        """Take one message: update the output state, log warnings and errors a few times."""
        lowered = text.lower()
        with self._lock:
            state = self._state
            if any(marker in lowered for marker in _FAILED_MARKERS):
                self._state = OutputState.FAILED
            elif text.startswith(_OPENED_PREFIX):
                self._state = OutputState.OPENED
            if self._state is not state:
                self._changed.notify_all()
            if level < _WARNING:
                return
            count = self._counts.get(text, 0) + 1
            self._counts[text] = count
        one_line = " ".join(text.split())
        if count <= COPIES_LOGGED:
            log.warning("libvlc: %s", one_line)
        if count == COPIES_LOGGED:
            log.warning("libvlc: further copies of that message are not logged")


_alsa_handler: Any = None


def quiet_alsa_stderr() -> bool:
    """Stop ALSA's library printing its errors on stderr (libvlc's ALSA output triggers them).

    ALSA calls ``snd_lib_error_set_handler``'s function instead of printing; ours drops the
    message (libvlc reports the same failure through its log, which reaches the app log).
    True when the handler is set (or was already); False where there is no ALSA.
    """
    global _alsa_handler
    if _alsa_handler is not None:
        return True
    name = ctypes.util.find_library("asound")
    if name is None:
        return False
    try:
        asound = ctypes.CDLL(name)
        setter = asound.snd_lib_error_set_handler
    except (OSError, AttributeError):
        return False
    # void (*)(const char *file, int line, const char *function, int err, const char *fmt, ...)
    handler_type = ctypes.CFUNCTYPE(
        None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
    )

    def drop(_file: bytes, _line: int, _func: bytes, _err: int, _fmt: bytes) -> None:
        return None

    handler = handler_type(drop)
    setter.argtypes = (handler_type,)
    setter.restype = ctypes.c_int
    if setter(handler) != 0:
        return False
    _alsa_handler = handler  # kept alive for the life of the process
    return True
