"""The session music player: phase playlists, crossfades, fades, the bell, and what played.

The player is plain Python driven by ``tick(now)``: the UI calls it from a QTimer (about
every 100 ms) and tests call it with an injected clock. All schedules (fade and crossfade
ramps, track lengths, the end-of-session fade, the music starting after the bell) run on
the player's own clock, which only advances while music is playing, so pausing freezes a
fade where it is. Backend events (a file ended, a file failed) arrive on libvlc threads;
they are queued and handled in the next ``tick`` on the caller's thread, and the optional
wake-up callback lets the UI tick at once instead of waiting for its timer.

Crossfade: when the current track has ``crossfade_s`` left, the next track starts on a
second channel at gain 0 and the two gains ramp opposite ways (equal power), so there is
no gap. A phase change does the same into the first track of the new phase's playlist.

Silence is told, not hidden: when the backend can play but no audio output could open a
device (:attr:`AudioBackend.audible` is False, or :attr:`AudioBackend.output_failed` turns True
while playing), the player stops everything, becomes UNAVAILABLE with the reason, and reports
no track as started, so nothing is recorded as played that nobody could hear.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty, SimpleQueue

from kapcompanion import paths
from kapcompanion.audio.backend import (
    NO_SOUND_OUTPUT,
    AudioBackend,
    BackendError,
    Channel,
    ChannelEvent,
)
from kapcompanion.audio.models import Playlist, PlayLog, Track
from kapcompanion.audio.player_types import (
    PlayerConfig,
    PlayerListener,
    PlayerState,
    PlayerStatus,
)
from kapcompanion.audio.ramps import Ramp, ramp_to, vlc_volume
from kapcompanion.audio.tags import read_tags

_RUNNING = (PlayerState.PLAYING, PlayerState.ENDING)
_OVERRUN_S = 3.0  # a track this far past its length with no end event is treated as ended
_SETTLED_S = 2.0  # a track that played this long resets the failure count


def system_utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class _Voice:
    id: int
    channel: Channel
    track: Track | None  # None for the bell
    log: PlayLog | None
    started: float  # player time
    gain: Ramp
    outgoing: bool = False
    handed_over: bool = False
    last_volume: int | None = None

    @property
    def is_bell(self) -> bool:
        return self.track is None

    def length(self) -> float | None:
        known = self.channel.length_s()
        if known:
            return known
        return self.track.duration_s if self.track is not None else None


class Player:
    """Plays the phase playlists of one session. See the module docstring for the model."""

    def __init__(
        self,
        backend: AudioBackend,
        config: PlayerConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        utc_now: Callable[[], datetime] = system_utc_now,
        bell_path: Path | None = None,
    ) -> None:
        self._backend = backend
        self.config = config or PlayerConfig()
        self._clock = clock
        self._utc_now = utc_now
        self._bell_path = bell_path
        self._listeners: list[PlayerListener] = []
        self._events: SimpleQueue[tuple[int, ChannelEvent]] = SimpleQueue()
        self._wakeup: Callable[[], None] | None = None
        self._voices: list[_Voice] = []
        self._ids = 0
        self._t = 0.0
        self._last = clock()
        self._silent = backend.available and not backend.audible
        # Why the player went silent, kept from that moment: libvlc may report an output
        # opening again a moment later, but the player stays silent until a restart.
        self._silent_reason = (backend.silent_reason or NO_SOUND_OUTPUT) if self._silent else ""
        usable = backend.available and not self._silent
        self._state = PlayerState.STOPPED if usable else PlayerState.UNAVAILABLE
        self._resume_state = PlayerState.PLAYING
        self._volume = max(0, min(100, self.config.volume))
        self._session = Ramp.hold(1.0)
        self._after_session: PlayerState | None = None  # PAUSED or STOPPED when a fade ends
        self._phase = ""
        self._playlist: Playlist | None = None
        self._queue: list[Track] = []
        self._pos = -1
        self._pending_start: float | None = None
        self._failures = 0
        self._last_status: PlayerStatus | None = None

    # -- wiring ------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """Music can be played and heard (libvlc loaded and an audio output opened)."""
        return self._backend.available and not self._silent

    @property
    def audible(self) -> bool:
        """What the player plays can be heard: False with no audio output (or no backend).

        Whoever records "Music started" checks this (the player itself reports no track as
        started while it is False).
        """
        return self.available

    @property
    def unavailable_reason(self) -> str:
        if not self._backend.available:
            return self._backend.reason
        return self._silent_reason if self._silent else ""

    @property
    def backend(self) -> AudioBackend:
        return self._backend

    @property
    def state(self) -> PlayerState:
        return self._state

    @property
    def volume(self) -> int:
        return self._volume

    @property
    def player_time(self) -> float:
        """Seconds of playing time so far (the clock schedules run on)."""
        return self._t

    def add_listener(self, listener: PlayerListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: PlayerListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def set_wakeup(self, wakeup: Callable[[], None] | None) -> None:
        """``wakeup`` is called from libvlc threads after an event is queued; keep it tiny."""
        self._wakeup = wakeup

    def status(self) -> PlayerStatus:
        voice = self._current()
        track = voice.track if voice is not None else None
        return PlayerStatus(
            state=self._state,
            available=self.available,
            message=self.unavailable_reason,
            phase=self._phase,
            playlist_title=self._playlist.title if self._playlist else "",
            title=track.display_title if track else "",
            artist=track.artist if track else "",
            volume=self._volume,
        )

    def channels(self) -> list[Channel]:
        """The channels sounding now, oldest first (the bell included)."""
        return [v.channel for v in self._voices]

    def mix(self) -> list[int]:
        """The volume (0-100) each channel should have now, in ``channels()`` order."""
        return [v.last_volume if v.last_volume is not None else 0 for v in self._voices]

    # -- commands ------------------------------------------------------------------------
    def start(
        self, phase: str, playlist: Playlist, *, bell: bool = False, bell_first: bool = True
    ) -> None:
        """Begin the session music: optionally the bell, then ``playlist`` fading in.

        With ``bell_first`` the music waits for the bell to ring out; otherwise the bell
        sounds over the music as it fades in.
        """
        t = self._sync()
        if not self._usable():
            return
        self._finish_all(music_only=False)
        self._set_playlist(phase, playlist)
        self._state, self._after_session = PlayerState.PLAYING, None
        lead = self._ring_bell(t) if bell else 0.0
        if lead > 0 and bell_first:
            self._pending_start = t + lead
            self._session = Ramp.hold(0.0)
        else:
            self._start_music(t, first=True)
        self._apply(t)
        self._publish()

    def set_phase(self, phase: str, playlist: Playlist, crossfade_s: float | None = None) -> None:
        """Move to ``phase``: crossfade from whatever plays into the first track of ``playlist``."""
        t = self._sync()
        previous = (self._queue, self._pos)
        self._set_playlist(phase, playlist)
        if not self._queue:
            self._problem(
                f"The {phase} playlist has no playable tracks; the current music continues."
            )
            self._queue, self._pos = previous
        elif self._state is PlayerState.PLAYING and self._pending_start is None:
            fade = self.config.phase_crossfade_s if crossfade_s is None else crossfade_s
            self._start_next(t, max(0.0, fade), first=True)
        elif self._state is PlayerState.PAUSED:
            self._finish_all(music_only=True)  # resume starts the new phase's music
        self._apply(t)
        self._publish()

    def play(self) -> None:
        """Start (from the current playlist) or resume."""
        t = self._sync()
        if not self._usable():
            return
        if self._state is PlayerState.PAUSED:
            self.resume()
            return
        if self._state is PlayerState.STOPPED:
            self._state, self._after_session = PlayerState.PLAYING, None
            self._start_music(t, first=False)
        self._apply(t)
        self._publish()

    def pause(self) -> None:
        t = self._sync()
        if self._state in _RUNNING:
            self._resume_state = self._state
            self._state = PlayerState.PAUSED
            for voice in self._voices:
                voice.channel.pause()
        self._apply(t)
        self._publish()

    def resume(self) -> None:
        t = self._sync()
        if self._state is not PlayerState.PAUSED:
            return
        self._state = self._resume_state
        if self._after_session is PlayerState.PAUSED:  # resuming after fade_out: fade back in
            self._after_session = None
            self._session = ramp_to(0.0, 1.0, t, self.config.resume_fade_s)
        elif self._session.done(t) and self._after_session is None:
            self._session = ramp_to(0.0, self._session.end_value, t, self.config.resume_fade_s)
        for voice in self._voices:
            voice.channel.resume()
        if not self._music_voices() and self._pending_start is None:
            self._start_music(t, first=self._pos < 0)
        self._apply(t)
        self._publish()

    def toggle_pause(self) -> None:
        if self._state is PlayerState.PAUSED:
            self.resume()
        elif self._state is PlayerState.STOPPED:
            self.play()
        else:
            self.pause()

    def next(self) -> None:
        """Skip to the next track with a short crossfade."""
        t = self._sync()
        if self._state in _RUNNING and self._pending_start is None:
            self._start_next(t, self.config.skip_fade_s)
        self._apply(t)
        self._publish()

    def stop(self) -> None:
        """Stop everything now (no fade)."""
        t = self._sync()
        self._finish_all(music_only=False)
        if self._state is not PlayerState.UNAVAILABLE:
            self._state = PlayerState.STOPPED
        self._pending_start, self._after_session = None, None
        self._session = Ramp.hold(1.0)
        self._apply(t)
        self._publish()

    def set_volume(self, volume: int) -> None:
        t = self._sync()
        self._volume = max(0, min(100, int(volume)))
        self._apply(t)
        self._publish()

    def fade_in(self, seconds: float | None = None) -> None:
        """Bring the music up from where it is (starting or resuming it if needed)."""
        t = self._sync()
        if not self._usable():
            return
        duration = self.config.fade_in_s if seconds is None else seconds
        if self._state is PlayerState.STOPPED:
            self._state = PlayerState.PLAYING
            self._start_music(t, first=False)
            if self._state is PlayerState.STOPPED:  # nothing could play
                self._publish()
                return
        elif self._state is PlayerState.PAUSED:
            self._state = PlayerState.PLAYING
            for voice in self._voices:
                voice.channel.resume()
            self._session = Ramp.hold(0.0)
            if not self._music_voices():
                self._start_music(t, first=self._pos < 0)
        self._state = PlayerState.PLAYING
        self._after_session = None
        self._session = ramp_to(self._session.value(t), 1.0, t, duration)
        self._apply(t)
        self._publish()

    def fade_out(self, seconds: float | None = None) -> None:
        """Take the music down to silence, then pause (``fade_in`` or ``resume`` brings it back)."""
        t = self._sync()
        if self._state is PlayerState.PLAYING:
            duration = self.config.fade_in_s if seconds is None else seconds
            self._session = ramp_to(self._session.value(t), 0.0, t, duration)
            self._after_session = PlayerState.PAUSED
        self._apply(t)
        self._publish()

    def end_session(self, fade_s: float | None = None) -> None:
        """The session is over: fade out (a minute by default), then stop."""
        t = self._sync()
        if self._state is PlayerState.PAUSED or (
            self._state is PlayerState.PLAYING and not self._music_voices()
        ):
            self.stop()
            return
        if self._state is PlayerState.PLAYING:
            duration = self.config.end_fade_s if fade_s is None else fade_s
            self._session = ramp_to(self._session.value(t), 0.0, t, duration)
            self._after_session = PlayerState.STOPPED
            self._pending_start = None
            self._state = PlayerState.ENDING
        self._apply(t)
        self._publish()

    def play_bell(self) -> bool:
        """Ring the bell over whatever plays, at the bell volume. False if it cannot ring."""
        t = self._sync()
        if not self._usable():
            return False
        rang = self._ring_bell(t) > 0
        self._apply(t)
        return rang

    def close(self) -> None:
        self.set_wakeup(None)
        self.stop()
        self._backend.close()

    # -- the clock ----------------------------------------------------------------------
    def tick(self, now: float | None = None) -> None:
        """Advance fades and crossfades to ``now`` (monotonic seconds) and handle events."""
        t = self._sync(now)
        self._drain_events(t)
        if self._state in _RUNNING and self._backend.output_failed:
            self._go_silent()
        if self._state in _RUNNING:
            if self._pending_start is not None and t >= self._pending_start:
                self._pending_start = None
                self._start_music(t, first=True)
            self._schedule_crossfade(t)
            for voice in [v for v in self._voices if v.outgoing and v.gain.done(t)]:
                self._finish(voice)
            if self._after_session is not None and self._session.done(t):
                self._complete_session_fade(t)
        self._apply(t)
        self._publish()

    def _sync(self, now: float | None = None) -> float:
        now = self._clock() if now is None else now
        delta, self._last = now - self._last, now
        if delta > 0 and self._state in _RUNNING:
            self._t += delta
        return self._t

    # -- internals -----------------------------------------------------------------------
    def _usable(self) -> bool:
        if self._state is not PlayerState.UNAVAILABLE and not self._backend.audible:
            self._go_silent()
        if self._state is PlayerState.UNAVAILABLE:
            self._publish()
            return False
        return True

    def _go_silent(self) -> None:
        """No audio output: stop every channel (ending what was heard) and say why."""
        self._silent = True
        self._silent_reason = self._backend.silent_reason or NO_SOUND_OUTPUT
        self._finish_all(music_only=False)
        self._pending_start, self._after_session = None, None
        self._state = PlayerState.UNAVAILABLE
        self._problem(self.unavailable_reason)

    def _set_playlist(self, phase: str, playlist: Playlist) -> None:
        self._phase = phase
        self._playlist = playlist
        self._queue = playlist.playable
        self._pos = -1
        self._failures = 0

    def _music_voices(self) -> list[_Voice]:
        return [v for v in self._voices if not v.is_bell]

    def _current(self) -> _Voice | None:
        music = self._music_voices()
        live = [v for v in music if not v.outgoing]
        chosen = live or music
        return chosen[-1] if chosen else None

    def _pick(self, first: bool) -> Track | None:
        if not self._queue:
            return None
        index = 0 if first else self._pos + 1
        if index >= len(self._queue):
            if not self.config.loop:
                return None
            index = 0
        self._pos = index
        return self._queue[index]

    def _start_music(self, t: float, *, first: bool) -> None:
        self._session = ramp_to(0.0, 1.0, t, self.config.fade_in_s)
        if not self._start_next(t, 0.0, first=first):
            self._state = PlayerState.STOPPED
            self._problem("There is no playable music in this playlist.")

    def _start_next(self, t: float, fade_s: float, *, first: bool = False) -> bool:
        """Start the next track and fade the others out over ``fade_s``; False if none."""
        if not self._queue:
            return False
        for attempt in range(len(self._queue)):
            track = self._pick(first and attempt == 0)
            if track is None:
                return False
            gain = ramp_to(0.0, 1.0, t, fade_s) if fade_s > 0 else Ramp.hold(1.0)
            voice = self._open_voice(track, t, gain)
            if voice is None:
                continue
            for old in self._music_voices():
                if old is not voice and not old.outgoing:
                    old.outgoing = True
                    old.gain = ramp_to(old.gain.value(t), 0.0, t, fade_s)
            if fade_s <= 0:
                for old in [v for v in self._music_voices() if v.outgoing]:
                    self._finish(old)
            return True
        self._problem("No track in this playlist could be played.")
        return False

    def _open_voice(self, track: Track, t: float, gain: Ramp) -> _Voice | None:
        self._ids += 1
        channel = self._backend.new_channel()
        voice_id = self._ids
        channel.set_event_sink(lambda event: self._post(voice_id, event))
        initial = vlc_volume(self._volume, self._session.value(t) * gain.value(t))
        try:
            channel.open(track.uri)
            channel.set_volume(initial)
            channel.play()
        except BackendError as exc:
            channel.release()
            self._failures += 1
            self._problem(f"Could not play “{track.display_title}”: {exc}.")
            return None
        log = PlayLog(
            title=track.display_title,
            artist=track.artist,
            location=str(track.location) if track.location is not None else track.uri,
            phase=self._phase,
            started_utc=self._utc_now(),
        )
        voice = _Voice(voice_id, channel, track, log, t, gain, last_volume=initial)
        self._voices.append(voice)
        for listener in list(self._listeners):
            listener.on_track_started(log)
        return voice

    def _ring_bell(self, t: float) -> float:
        """Start the bell; returns how long it rings (0 if it could not)."""
        path = self._bell_path or paths.resource("sounds", "bell.ogg")
        if not path.is_file():
            self._problem("The opening bell sound is missing; the music starts without it.")
            return 0.0
        self._ids += 1
        voice_id = self._ids
        channel = self._backend.new_channel()
        channel.set_event_sink(lambda event: self._post(voice_id, event))
        try:
            channel.open(path.resolve().as_uri())
            channel.set_volume(self.config.bell_volume)
            channel.play()
        except BackendError as exc:
            channel.release()
            self._problem(f"The bell could not ring: {exc}.")
            return 0.0
        bell = _Voice(voice_id, channel, None, None, t, Ramp.hold(1.0))
        bell.last_volume = self.config.bell_volume
        self._voices.append(bell)
        return read_tags(path).duration_s or self.config.bell_lead_s

    def _schedule_crossfade(self, t: float) -> None:
        voice = self._current()
        if voice is None or voice.outgoing or voice.handed_over:
            return
        elapsed = t - voice.started
        if elapsed > _SETTLED_S:
            self._failures = 0
        length = voice.length()
        if not length:
            return
        if elapsed >= length + _OVERRUN_S:  # the end event never came
            self._voice_ended(voice, t, failed=False)
            return
        fade = min(self.config.crossfade_s, length / 2)
        if self._state is PlayerState.ENDING and self._session.end <= t + length - elapsed:
            return  # the session fade finishes before this track does
        if elapsed >= length - fade:
            voice.handed_over = True
            self._start_next(t, fade)

    def _complete_session_fade(self, t: float) -> None:
        target = self._after_session
        self._after_session = None
        if target is PlayerState.STOPPED:
            self._finish_all(music_only=False)
            self._state = PlayerState.STOPPED
            self._session = Ramp.hold(1.0)
        elif target is PlayerState.PAUSED:
            self._resume_state = PlayerState.PLAYING
            self._state = PlayerState.PAUSED
            for voice in self._voices:
                voice.channel.pause()
            self._after_session = PlayerState.PAUSED  # so resume knows to fade back in

    def _post(self, voice_id: int, event: ChannelEvent) -> None:
        """Called on libvlc threads: queue only, then nudge the owner."""
        self._events.put((voice_id, event))
        wakeup = self._wakeup
        if wakeup is not None:
            wakeup()

    def _drain_events(self, t: float) -> None:
        while True:
            try:
                voice_id, event = self._events.get_nowait()
            except Empty:
                return
            voice = next((v for v in self._voices if v.id == voice_id), None)
            if voice is not None:
                self._voice_ended(voice, t, failed=event is ChannelEvent.ERROR)

    def _voice_ended(self, voice: _Voice, t: float, *, failed: bool) -> None:
        if failed and voice.track is None:
            self._problem("The bell could not ring.")
        elif failed and voice.track is not None:
            self._failures += 1
            self._problem(f"Could not play “{voice.track.display_title}”; moving on.")
        was_current = not voice.is_bell and not voice.outgoing
        self._finish(voice)
        if not was_current or self._state not in _RUNNING:
            return
        if self._failures >= max(1, len(self._queue)):
            self._problem("No track in this playlist could be played.")
            self.stop()
            return
        live = [v for v in self._music_voices() if not v.outgoing]
        if not live and not self._start_next(t, 0.0):
            if self._state is PlayerState.ENDING:
                self._after_session = PlayerState.STOPPED
                self._complete_session_fade(t)
            else:
                self._state = PlayerState.STOPPED

    def _finish(self, voice: _Voice) -> None:
        if voice in self._voices:
            self._voices.remove(voice)
        voice.channel.set_event_sink(None)
        voice.channel.release()
        if voice.log is not None:
            ended = replace(voice.log, ended_utc=self._utc_now())
            for listener in list(self._listeners):
                listener.on_track_ended(ended)

    def _finish_all(self, *, music_only: bool) -> None:
        for voice in list(self._voices):
            if not (music_only and voice.is_bell):
                self._finish(voice)

    def _apply(self, t: float) -> None:
        """Set each channel's volume for time ``t``, and re-set it where the output drifted.

        libvlc can drop a volume set in the first moments of playback (the audio output
        starts and restores its previous volume), so the reported volume is checked on every
        tick and corrected; otherwise a crossfade could stay silent or never fade.
        """
        session = self._session.value(t)
        for voice in self._voices:
            if voice.is_bell:
                volume = self.config.bell_volume
            else:
                volume = vlc_volume(self._volume, session * voice.gain.value(t))
            reported = voice.channel.volume() if volume == voice.last_volume else None
            if volume != voice.last_volume or (reported is not None and reported != volume):
                voice.channel.set_volume(volume)
                voice.last_volume = volume

    def _problem(self, message: str) -> None:
        for listener in list(self._listeners):
            listener.on_problem(message)

    def _publish(self) -> None:
        status = self.status()
        if status != self._last_status:
            self._last_status = status
            for listener in list(self._listeners):
                listener.on_status(status)
