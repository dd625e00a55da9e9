"""What makes the app lock, and what locking clears.

* ``IdleWatcher``: an application event filter notes keyboard, mouse and touch activity; after
  the idle time without any, it emits ``idle``.
* ``OsLockWatcher``: locks with the computer. Through QtDBus it listens to logind
  (``PrepareForSleep`` on the system bus, the session's ``Lock`` signal) and to the
  freedesktop, GNOME and KDE screensavers (``ActiveChanged(true)``) on the session bus, and
  to ``applicationStateChanged`` reaching ``ApplicationSuspended``. Where none of these
  exist (Windows, macOS without a session bus, a bare X server) only the idle timer and the
  shortcut lock the app.
* ``ClipboardGuard``: remembers what the app put on the clipboard so a lock can clear it,
  without touching what the user copied in other programs.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QClipboard, QGuiApplication

log = logging.getLogger(__name__)

_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.InputMethod,
    }
)


class IdleWatcher(QObject):
    """Emits ``idle`` once after ``timeout_ms`` without user input, while running."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timeout_ms = max(1, int(timeout_ms))
        self._since = QElapsedTimer()
        self._since.start()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._check)
        self._running = False
        self._watching = False

    @property
    def timeout_ms(self) -> int:
        return self._timeout_ms

    def set_timeout_ms(self, timeout_ms: int) -> None:
        self._timeout_ms = max(1, int(timeout_ms))
        if self._running:
            self._timer.start(self._remaining())

    def start(self) -> None:
        self._running = True
        self._watch(True)
        self.poke()
        self._timer.start(self._timeout_ms)

    def stop(self) -> None:
        self._running = False
        self._watch(False)
        self._timer.stop()

    def _watch(self, on: bool) -> None:
        """Input is watched only while running (``start`` counts as activity anyway).

        An application-wide Python event filter makes PySide6 set up the Python side of every
        class whose objects or events pass through it; on the locked window at start that
        was ~30 ms of CPU before it showed (bench/README.md)."""
        app = QGuiApplication.instance()
        if app is None or on == self._watching:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
        self._watching = on

    def poke(self) -> None:
        """Count as activity now."""
        self._since.restart()

    def _remaining(self) -> int:
        return max(0, self._timeout_ms - int(self._since.elapsed()))

    @Slot()
    def _check(self) -> None:
        if not self._running:
            return
        left = self._remaining()
        if left > 0:
            self._timer.start(left)
            return
        self._running = False
        self.idle.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY:
            self._since.restart()
        return False


class OsLockWatcher(QObject):
    """Emits ``os_locked`` (with a short reason) when the OS session locks or suspends."""

    os_locked = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sources: list[str] = []
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._on_state)
        self._connect_dbus()

    def _listen(
        self, bus: Any, service: str, path: str, interface: str, name: str, slot: str
    ) -> bool:
        from PySide6.QtCore import SLOT

        # PySide6 wants the SLOT() string here at runtime; its stub says bytes
        return bool(bus.connect(service, path, interface, name, self, SLOT(slot)))

    def _connect_dbus(self) -> None:
        try:
            from PySide6.QtDBus import QDBusConnection, QDBusInterface
        except ImportError:  # pragma: no cover - QtDBus ships with PySide6-Essentials
            return
        login1 = "org.freedesktop.login1"
        system = QDBusConnection.systemBus()
        if system.isConnected():
            if self._listen(
                system,
                login1,
                "/org/freedesktop/login1",
                f"{login1}.Manager",
                "PrepareForSleep",
                "_on_sleep(bool)",
            ):
                self.sources.append("logind-sleep")
            manager = QDBusInterface(login1, "/org/freedesktop/login1", f"{login1}.Manager", system)
            session_path = ""
            if manager.isValid():
                args = manager.call("GetSessionByPID", os.getpid()).arguments()
                if args and hasattr(args[0], "path"):
                    session_path = str(args[0].path())
            if session_path and self._listen(
                system, login1, session_path, f"{login1}.Session", "Lock", "_on_session_lock()"
            ):
                self.sources.append("logind-lock")
        session = QDBusConnection.sessionBus()
        if session.isConnected():
            for path, interface in (
                ("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
                ("/ScreenSaver", "org.freedesktop.ScreenSaver"),
                ("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
            ):
                if self._listen(
                    session, "", path, interface, "ActiveChanged", "_on_screensaver(bool)"
                ):
                    self.sources.append(f"screensaver:{path}")
        log.info("OS lock sources: %s", ", ".join(self.sources) or "none")

    @Slot(Qt.ApplicationState)
    def _on_state(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationSuspended:
            self.os_locked.emit("suspend")

    @Slot(bool)
    def _on_sleep(self, going_to_sleep: bool) -> None:
        if going_to_sleep:
            self.os_locked.emit("sleep")

    @Slot()
    def _on_session_lock(self) -> None:
        self.os_locked.emit("session-lock")

    @Slot(bool)
    def _on_screensaver(self, active: bool) -> None:
        if active:
            self.os_locked.emit("screensaver")


class ClipboardGuard(QObject):
    """Knows whether the clipboard holds text from this app, and clears it on lock.

    Text copied through ``copy()`` is remembered; so is any clipboard change made while one of
    the app's windows has focus (Ctrl+C in a field). Text another program put there later is
    left alone.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ours: dict[QClipboard.Mode, str] = {}
        clipboard = QGuiApplication.clipboard()
        clipboard.changed.connect(self._on_changed)

    def copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self._ours[QClipboard.Mode.Clipboard] = text

    @Slot(QClipboard.Mode)
    def _on_changed(self, mode: QClipboard.Mode) -> None:
        if QGuiApplication.focusWindow() is not None:
            self._ours[mode] = QGuiApplication.clipboard().text(mode)

    def holds_ours(self, mode: QClipboard.Mode = QClipboard.Mode.Clipboard) -> bool:
        clipboard = QGuiApplication.clipboard()
        owns = (
            clipboard.ownsClipboard()
            if mode == QClipboard.Mode.Clipboard
            else clipboard.ownsSelection()
        )
        text = clipboard.text(mode)
        return bool(text) and (owns or self._ours.get(mode) == text)

    def clear_if_ours(self) -> bool:
        cleared = False
        clipboard = QGuiApplication.clipboard()
        modes = [QClipboard.Mode.Clipboard]
        if clipboard.supportsSelection():
            modes.append(QClipboard.Mode.Selection)
        for mode in modes:
            if self.holds_ours(mode):
                clipboard.clear(mode)
                cleared = True
        self._ours.clear()
        return cleared
