"""Choose the audio backend: libvlc when it loads, the null backend (and a reason) when not."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from kapcompanion.audio.backend import AudioBackend, BackendUnavailable, NullBackend
from kapcompanion.audio.player import Player, system_utc_now
from kapcompanion.audio.player_types import PlayerConfig

log = logging.getLogger(__name__)


def _vlc(args: Sequence[str]) -> AudioBackend:
    from kapcompanion.audio.vlc_backend import VlcBackend

    return VlcBackend(args)


def create_backend(
    vlc_args: Sequence[str] = (),
    *,
    backend_factory: Callable[[Sequence[str]], AudioBackend] = _vlc,
) -> tuple[AudioBackend, str | None]:
    """The VLC backend, or the null backend plus a plain reason. Never raises for a missing VLC."""
    try:
        return backend_factory(vlc_args), None
    except BackendUnavailable as exc:
        reason = str(exc)
    except (OSError, NotImplementedError, AttributeError) as exc:  # a broken or odd libvlc
        log.warning("libvlc failed to start: %s", type(exc).__name__)
        from kapcompanion.audio.vlc_backend import COULD_NOT_START

        reason = COULD_NOT_START
    log.info("music backend unavailable; using the null backend")
    return NullBackend(reason), reason


def create_player(
    config: PlayerConfig | None = None,
    *,
    vlc_args: Sequence[str] = (),
    clock: Callable[[], float] = time.monotonic,
    utc_now: Callable[[], datetime] = system_utc_now,
    bell_path: Path | None = None,
    backend_factory: Callable[[Sequence[str]], AudioBackend] = _vlc,
) -> tuple[Player, str | None]:
    """A player on the best backend, and the reason music is unavailable (None when it works).

    The reason also covers a working libvlc with no audio output (nothing could be heard).
    """
    backend, reason = create_backend(vlc_args, backend_factory=backend_factory)
    player = Player(backend, config, clock=clock, utc_now=utc_now, bell_path=bell_path)
    return player, reason or player.unavailable_reason or None
