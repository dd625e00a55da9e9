"""Read title, artist, album and length from an audio file with mutagen.

Tags are a convenience (a nicer title than the file name, a length for the crossfade plan,
an artist to check against the client's avoid list). A file without tags, or with tags
mutagen cannot read, gives empty ``Tags``; it never stops an import.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from kapcompanion.audio.models import Tags

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset(
    {".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".wav", ".wave", ".aif",
     ".aiff", ".wma", ".ape", ".wv", ".mpc", ".spx"}
)  # fmt: skip


def _first(tags: object, key: str) -> str:
    try:
        value = tags[key]  # type: ignore[index]
    except (KeyError, ValueError, TypeError, IndexError):
        return ""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip()


def read_tags(path: Path) -> Tags:
    """Tags of ``path``; empty ``Tags`` when the file has none or cannot be read."""
    try:
        import mutagen
    except ImportError:  # mutagen is a dependency, but tags stay optional
        return Tags()
    try:
        audio = mutagen.File(path, easy=True)
    except Exception:  # mutagen raises a wide range of errors on damaged files
        log.debug("tags unreadable for a music file", exc_info=True)
        return Tags()
    if audio is None:
        return Tags()
    duration: float | None = None
    info = getattr(audio, "info", None)
    length = getattr(info, "length", None)
    if isinstance(length, int | float) and math.isfinite(length) and length > 0:
        duration = float(length)
    tags = getattr(audio, "tags", None)
    if tags is None:
        return Tags(duration_s=duration)
    return Tags(
        title=_first(tags, "title"),
        artist=_first(tags, "artist"),
        album=_first(tags, "album"),
        duration_s=duration,
    )
