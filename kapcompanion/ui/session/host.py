"""Where the session screen lives: the whole main window, in place of the client workspace.

``open_session`` shows a session (reusing the running session's controller: one session runs
at a time); ``resume_running_session`` is what the main window calls after every unlock, so a
session that a lock, a quit or a crash interrupted comes straight back, with its clock from
the stored UTC times. The settings dialogs (music, vital thresholds) open from here too.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QWidget

from kapcompanion.services import session as session_service
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.session.controller import KEEP_KEY, SessionController
from kapcompanion.ui.session.screen import SessionScreen
from kapcompanion.ui.shell import Shell

log = logging.getLogger(__name__)


def main_window_of(widget: QWidget) -> Shell | None:
    """The main window ``widget`` lives in, as the :class:`Shell` the host needs of it."""
    top = widget.window()
    return top if isinstance(top, Shell) else None


def running_controller(window: Shell) -> SessionController | None:
    if window.ctx is None:
        return None
    kept = window.ctx.keep_alive.get(KEEP_KEY)
    if isinstance(kept, SessionController) and not kept.disposed and kept.running:
        return kept
    return None


def open_session(window: Shell, session_id: int) -> SessionScreen | None:
    """Show ``session_id`` full-window (or the session already running, with a word why)."""
    ctx = window.ctx
    if ctx is None:
        return None
    controller = running_controller(window)
    if controller is not None and controller.session_id != session_id:
        ctx.notify(
            f"Session {controller.runner.session.number} with {controller.label} is running: "
            "end it before starting another.",
            8000,
        )
    if controller is None:
        try:
            controller = SessionController(ctx, session_id)
        except VaultError as exc:
            ctx.notify(exc.message, 8000)
            return None
    screen = SessionScreen(ctx, controller)
    screen.leave_requested.connect(lambda: leave_session(window, screen))
    window.show_view(screen)
    return screen


def leave_session(window: Shell, screen: SessionScreen) -> None:
    """Back to the client's record; a running session goes on without its screen."""
    controller = screen.controller
    client_id = controller.runner.client_id
    if not controller.running:
        controller.dispose()
    elif window.ctx is not None:
        window.ctx.notify(
            "The session goes on: open it again from Sessions (Start / resume).", 6000
        )
    window.show_workspace(client_id, "sessions")


def resume_running_session(window: Shell) -> SessionScreen | None:
    """After an unlock: straight back into a running session, if there is one."""
    ctx = window.ctx
    if ctx is None:
        return None
    controller = running_controller(window)
    if controller is not None:
        return open_session(window, controller.session_id)
    try:
        running = session_service.running_sessions(ctx.repos)
    except VaultError as exc:
        log.warning("running sessions not read: %s", type(exc).__name__)
        return None
    if not running:
        return None
    latest = max(running, key=lambda s: (s.started_utc is not None, s.started_utc, s.id or 0))
    if len(running) > 1:
        ctx.notify(
            f"{len(running)} sessions were left running; the latest is open. End the others "
            "from each client's Sessions.",
            10000,
        )
    assert latest.id is not None
    return open_session(window, latest.id)


def open_music_settings(window: Shell, client_id: int | None = None) -> QWidget | None:
    from kapcompanion.ui.session.music_dialog import MusicDialog

    if window.ctx is None:
        return None
    if client_id is None and window.workspace is not None:
        client_id = window.workspace.current_client_id()
    controller = running_controller(window)
    if client_id is None and controller is not None:
        client_id = controller.runner.client_id
    dialog = MusicDialog(window.ctx, client_id, window.window())
    dialog.open()
    return dialog


def open_thresholds(window: Shell) -> QWidget | None:
    from kapcompanion.ui.session.thresholds_dialog import ThresholdsDialog

    if window.ctx is None:
        return None
    dialog = ThresholdsDialog(window.ctx, window.window())
    dialog.open()
    return dialog
