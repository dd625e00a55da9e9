"""Session music: playlist import, the clinic's library, and the player behind a backend.

No Qt here (the UI bridges events onto the GUI thread) and no libvlc at import time (the VLC
backend loads it lazily, so a machine without VLC still runs the app).
"""

from kapcompanion.audio.backend import NOT_INSTALLED, AudioBackend, NullBackend
from kapcompanion.audio.factory import create_backend, create_player
from kapcompanion.audio.models import Playlist, PlaylistError, PlayLog, Tags, Track
from kapcompanion.audio.player import Player
from kapcompanion.audio.player_types import (
    PlayerConfig,
    PlayerListener,
    PlayerState,
    PlayerStatus,
)
from kapcompanion.audio.playlists import parse_playlist, read_playlist
from kapcompanion.audio.tags import read_tags

__all__ = [
    "NOT_INSTALLED",
    "AudioBackend",
    "NullBackend",
    "PlayLog",
    "Player",
    "PlayerConfig",
    "PlayerListener",
    "PlayerState",
    "PlayerStatus",
    "Playlist",
    "PlaylistError",
    "Tags",
    "Track",
    "create_backend",
    "create_player",
    "parse_playlist",
    "read_playlist",
    "read_tags",
]
