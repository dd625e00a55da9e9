"""What the children of the main window may use of it: a small Protocol, not the window.

The menus, the agenda and the session host are handed a :class:`Shell` (the main window is
one), so they never import ``main_window`` and the window is free to import them: no import
circle, and a test can hand them anything with these few members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PySide6.QtWidgets import QWidget

from kapcompanion.paths import AppDirs
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.settings import Settings

if TYPE_CHECKING:
    from kapcompanion.ui.workspace import Workspace


@runtime_checkable
class Shell(Protocol):
    @property
    def ctx(self) -> AppContext | None:
        """The unlocked vault and its services; None while locked."""

    @property
    def workspace(self) -> Workspace | None:
        """The client workspace when it is the page on show."""

    @property
    def settings(self) -> Settings: ...

    @property
    def dirs(self) -> AppDirs: ...

    def window(self) -> QWidget:
        """The top-level widget: the parent of the dialogs the children open."""
        ...

    def lock(self, reason: str = "", *, kind: str = "manual") -> bool: ...

    def show_view(self, view: QWidget) -> None: ...

    def show_workspace(self, client_id: int | None = None, section: str | None = None) -> None: ...

    def toggle_theme(self) -> str: ...

    def set_idle_minutes(self, minutes: float) -> None: ...

    def save_settings(self) -> None: ...
