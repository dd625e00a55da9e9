"""What every screen receives in its constructor: the services of one unlocked vault.

A new ``AppContext`` is made at each unlock and dropped at each lock, so nothing a screen
holds outlives the lock. Two things do outlive it on purpose (the main window carries them
from one context to the next): ``locked_overlay_factory`` (a running dosing session shows a
name-free strip on the locked screen) and ``keep_alive`` (objects such as a running session's
controller, music and reminders that must go on while the app is locked).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from kapcompanion.paths import AppDirs
from kapcompanion.ui.lock import ClipboardGuard
from kapcompanion.ui.settings import Settings

if TYPE_CHECKING:  # the store loads at the first unlock, not at start-up
    from kapcompanion.services.handles import Repos, Vault

#: builds the widget the locked screen shows (clock, phase, next reminder; never a name)
LockedOverlayFactory = Callable[[QWidget], QWidget]


def _no_notice(_text: str, _ms: int = 4000) -> None:
    pass


def _nothing() -> None:
    pass


class AppSignals(QObject):
    """Application-wide notifications; one object for the life of the main window."""

    #: save drafts now: the vault closes right after this signal returns
    about_to_lock = Signal()
    locked = Signal()
    #: a new AppContext after an unlock: long-lived objects (``keep_alive``) rebind to it
    unlocked = Signal(object)
    #: a client was created, edited, archived or unarchived (client id)
    client_changed = Signal(int)
    client_deleted = Signal(int)
    theme_changed = Signal(str)


@dataclass
class AppContext:
    vault: Vault
    repos: Repos
    settings: Settings
    dirs: AppDirs
    signals: AppSignals
    clipboard: ClipboardGuard
    #: call to lock the app now (the screen need not know how)
    lock_requested: Callable[[], object]
    #: the music player (kapcompanion.audio.player.Player) or None when there is none
    player: Any = None
    demo: bool = False
    locked_overlay_factory: LockedOverlayFactory | None = None
    #: objects that go on while locked (a running session's timers, the music); they must
    #: not keep the old ``repos``: rebuild what needs the vault on ``signals.unlocked``
    keep_alive: dict[str, Any] = field(default_factory=dict)
    #: show a short message in the status bar (text, milliseconds)
    notify: Callable[[str, int], None] = field(default=_no_notice)
    #: save settings after a screen changed ``settings.extra``
    save_settings: Callable[[], None] = field(default=_nothing)

    def title(self, text: str) -> str:
        """A dialog title, marked in demo mode."""
        return f"{text} [DEMO]" if self.demo else text

    def copy_text(self, text: str) -> None:
        """Copy through the guard so a lock clears it from the clipboard."""
        self.clipboard.copy(text)
