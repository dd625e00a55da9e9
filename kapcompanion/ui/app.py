"""``run_gui(argv)``: the desktop app's start (logging, theme, error hook, main window).

The palette and stylesheet are on the QApplication before the window shows, so the dim
theme never flashes white. ``--demo`` opens a throw-away vault of invented clients.

One copy per vault: a second launch on the same vault asks the running copy (a local socket
named after the vault) to come to the front and exits; if that copy does not answer within
two seconds, the unlock screen says which process holds the vault and offers read-only.

A graceful end: SIGTERM, SIGHUP (logout, shutdown, ``kill``) and the desktop session ending
close the window the way quitting does (drafts flushed, the vault checkpointed and closed, a
demo vault deleted) and exit 0; a running session resumes at the next start.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from enum import Enum
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from PySide6.QtCore import QDir, QObject, QSocketNotifier, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from kapcompanion import __version__
from kapcompanion.logs import setup_logging
from kapcompanion.paths import AppDirs, app_dirs
from kapcompanion.ui.errors import ErrorReporter
from kapcompanion.ui.main_window import MainWindow, Services
from kapcompanion.ui.settings import Settings
from kapcompanion.ui.theme import apply_theme
from kapcompanion.ui.widgets.wheel_guard import install_wheel_guard

if TYPE_CHECKING:  # QtNetwork loads when a copy may be listening, or to listen
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """``--demo`` and ``--quit-after MS`` (the packaging smoke test starts the GUI headless and
    quits after this many milliseconds); the rest is for Qt.

    By hand: an ``ArgumentParser`` looks up its translations (gettext, locale) when it is
    made, ~2 ms of the start (bench/README.md). A value that is not a whole number exits 2
    with a message, as argparse did."""
    demo, quit_after, rest = False, 0, []
    args = list(argv)
    while args:
        arg = args.pop(0)
        name, eq, value = arg.partition("=")
        if arg == "--demo":
            demo = True
        elif name == "--quit-after":
            if not eq:
                value = args.pop(0) if args else ""
            try:
                quit_after = int(value)
            except ValueError:
                print(
                    f"kapcompanion: --quit-after wants milliseconds, not {value!r}", file=sys.stderr
                )
                raise SystemExit(2) from None
        else:
            rest.append(arg)
    return argparse.Namespace(demo=demo, quit_after=quit_after), rest


def make_application(qt_args: Sequence[str] = ()) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QApplication.setApplicationName("KAP Companion")
    QApplication.setOrganizationName("kapcompanion")
    QApplication.setApplicationVersion(__version__)
    QApplication.setDesktopFileName("kapcompanion")
    return QApplication([sys.argv[0] if sys.argv else "kapcompanion", *qt_args])


#: the wheel guard goes on once the first window has shown (see ``build_window``)
AFTER_SHOW_MS = 300


def build_window(services: Services, app: QApplication) -> MainWindow:
    """Theme first, then the window (what the tests and the screenshot tool also call).

    The wheel guard (a mouse wheel never changes an unfocused combo or spin box) goes on
    ``AFTER_SHOW_MS`` after: it is an application-wide Python event filter, and PySide6 sets
    up the Python side of every class whose objects or events pass through one, which cost
    ~30 ms of CPU before the first window could show (bench/README.md). The unlock and welcome
    screens have no combo or spin box to guard; any box made before it is installed gets its
    strong focus then."""
    apply_theme(app, services.settings.theme)
    QTimer.singleShot(AFTER_SHOW_MS, partial(install_wheel_guard, app))
    return MainWindow(services)


#: the window is interactive first; nothing needs music in its first half second
PLAYER_DELAY_MS = 400


def _make_player() -> object:
    from kapcompanion.audio import create_player

    player, music_problem = create_player()
    if music_problem:
        log.info("music unavailable")
    return player


# ---------------------------------------------------------------------- one copy per vault
#: how long a second launch waits for the running copy to answer
ANSWER_MS = 2000


class Answer(Enum):
    NONE = "none"  # no copy listens for this vault
    RAISED = "raised"  # a copy answered and came to the front
    HUNG = "hung"  # a copy listens but did not answer in time


def _sha256_hex(data: bytes) -> str:
    """SHA-256 from CPython's own module where there is one: ``hashlib`` loads OpenSSL and
    BLAKE2 when imported, ~3 ms before the unlock window (bench/README.md)."""
    try:
        from _sha256 import sha256  # CPython 3.11
    except ImportError:
        from hashlib import sha256
    return str(sha256(data).hexdigest())


def instance_name(vault: Path) -> str:
    """The local socket name for ``vault``: per user and per vault file."""
    try:
        key = str(Path(vault).resolve())
    except OSError:
        key = str(Path(vault).absolute())
    user = os.environ.get("USER") or os.environ.get("USERNAME") or str(os.getuid())
    digest = _sha256_hex(f"{user}\0{key}".encode())[:24]
    return f"kapcompanion-{digest}"


def socket_file(name: str) -> Path | None:
    """The file a ``QLocalServer`` listening as ``name`` makes here (None: a named pipe).

    Where there is none, no copy listens, and the start need not load QtNetwork to ask."""
    if sys.platform == "win32":
        return None
    return Path(QDir.tempPath()) / name


def ask_running_copy(vault: Path, timeout_ms: int = ANSWER_MS) -> Answer:
    """Ask the copy that has ``vault`` (if any) to come to the front."""
    name = instance_name(vault)
    where = socket_file(name)
    if where is not None and not where.exists():
        return Answer.NONE
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(min(timeout_ms, 1000)):
        return Answer.NONE
    try:
        sock.write(b"raise\n")
        sock.flush()
        if sock.waitForReadyRead(timeout_ms) and bytes(sock.readAll().data()).startswith(b"ok"):
            return Answer.RAISED
        return Answer.HUNG
    finally:
        sock.abort()


class InstanceServer(QObject):
    """Answers a second launch on the same vault: brings ``bring_front``'s window up.

    The local server (and QtNetwork) is made at the first ``listen``."""

    def __init__(self, bring_front: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bring_front = bring_front
        self._server: QLocalServer | None = None
        self.vault: Path | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.isListening()

    def _local_server(self) -> QLocalServer:
        if self._server is None:
            from PySide6.QtNetwork import QLocalServer

            self._server = QLocalServer(self)
            self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
            self._server.newConnection.connect(self._accept)
        return self._server

    def listen(self, vault: Path) -> bool:
        """Listen for ``vault`` (instead of the previous one); False if another copy does."""
        name = instance_name(vault)
        server = self._local_server()
        if server.isListening() and server.serverName() == name:
            return True
        server.close()
        if ask_running_copy(vault, timeout_ms=300) is Answer.RAISED:
            return False
        server.removeServer(name)  # a socket file left by a copy that was killed
        ok = server.listen(name)
        self.vault = Path(vault) if ok else None
        return ok

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    def _accept(self) -> None:
        server = self._local_server()
        while server.hasPendingConnections():
            sock = server.nextPendingConnection()
            sock.readyRead.connect(lambda s=sock: self._answer(s))
            sock.disconnected.connect(sock.deleteLater)

    def _answer(self, sock: QLocalSocket) -> None:
        if not bytes(sock.readAll().data()).startswith(b"raise"):
            return
        sock.write(f"ok {os.getpid()}\n".encode())
        sock.flush()
        self._bring_front()


def bring_to_front(window: MainWindow) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


def vault_at_start(services: Services) -> Path | None:
    """The vault the window's ``start`` would offer (the last one, else the default)."""
    last = services.settings.last_vault
    for candidate in (Path(last) if last else None, services.dirs.default_vault):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------- a graceful end
class GracefulEnd(QObject):
    """SIGTERM and SIGHUP, and the desktop session ending, end the app as quitting does.

    A Python signal handler only runs when the interpreter gets control, which it does not
    while Qt waits for events: ``signal.set_wakeup_fd`` writes to a socket pair that a
    ``QSocketNotifier`` watches, so the loop wakes and the handler runs; the handler then
    queues the end on the event loop (never inside whatever Python code was interrupted)."""

    SIGNALS = tuple(
        s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
    )

    def __init__(self, app: QApplication, end: Callable[[], object]) -> None:
        super().__init__(app)
        self._app = app
        self._end = end
        self.received: int | None = None
        self._ended = False
        self._previous: dict[int, object] = {}
        self._old_wakeup = -1
        self._pair = socket.socketpair()
        for sock in self._pair:
            sock.setblocking(False)
        self._notifier = QSocketNotifier(self._pair[1].fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        app.commitDataRequest.connect(lambda _manager: self.end_now("desktop session ending"))

    def install(self) -> None:
        self._old_wakeup = signal.set_wakeup_fd(self._pair[0].fileno())
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(self._old_wakeup)
        self._notifier.setEnabled(False)
        for sock in self._pair:
            sock.close()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum
        QTimer.singleShot(0, lambda: self.end_now(signal.Signals(signum).name))

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            while self._pair[1].recv(64):
                pass

    def end_now(self, why: str) -> None:
        if self._ended:
            return
        self._ended = True
        log.info("ending: %s", why)
        try:
            self._end()
        finally:
            self._app.exit(0)


# ---------------------------------------------------------------------- start and end
def resume_collection() -> None:
    """Collection back on once the window is up, if ``__main__`` paused it for the start.

    What start-up made is frozen first: it lives as long as the app, and leaving it to the
    collector would make the first collections after the start scan all of it."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def tidy_at_start(dirs: AppDirs) -> None:
    """Remove what killed runs left: orphaned temporaries, demo vaults whose owner is gone."""
    from kapcompanion.store.lock import remove_orphans, sweep_demos

    for folder in (dirs.data, dirs.backups):
        for path in remove_orphans(folder):
            log.info("removed an orphaned temporary (%s)", path.suffix or "file")
    for folder in sweep_demos(dirs.runtime):
        log.info("removed a demo vault left by a process that ended (%s)", folder.name)


def serve(app: QApplication, window: MainWindow, server: InstanceServer | None = None) -> int:
    """Run the event loop until quit or a graceful end; the window is closed either way."""
    ending = GracefulEnd(app, window.close)
    ending.install()
    app.aboutToQuit.connect(window.close)  # the vault is closed before the loop returns
    try:
        code = app.exec()
    finally:
        ending.uninstall()
        window.close()
        QThreadPool.globalInstance().waitForDone(10_000)
        window.cleanup_demo()
        if server is not None:
            server.close()
    return 0 if ending.received is not None else int(code)


def run_gui(argv: Sequence[str]) -> int:
    args, qt_args = parse_args(argv)
    dirs = app_dirs().ensure()
    log_path = setup_logging(dirs.logs)
    log.info("starting KAP Companion %s%s", __version__, " (demo)" if args.demo else "")
    app = make_application(qt_args)
    settings = Settings.load(dirs.settings_file)
    services = Services(dirs=dirs, settings=settings)
    first_vault = None if args.demo else vault_at_start(services)
    if first_vault is not None and ask_running_copy(first_vault) is Answer.RAISED:
        log.info("the vault is open in another copy; it was brought to the front")
        return 0
    tidy_at_start(dirs)
    window: MainWindow | None = None
    reporter = ErrorReporter(log_path, lambda: window)
    reporter.install()
    code = 1
    try:
        window = build_window(services, app)
        shown = window
        server = InstanceServer(lambda: bring_to_front(shown), window)
        if first_vault is not None:  # once the window is up (QtNetwork takes a moment to load)
            vault = first_vault
            QTimer.singleShot(  # cancelled with the server if the window goes first
                AFTER_SHOW_MS, server, lambda: None if server.listening else server.listen(vault)
            )
        window.signals.unlocked.connect(lambda ctx: server.listen(ctx.vault.path))
        if args.demo:
            window.show_welcome()
        else:
            window.start()
        window.show()
        resume_collection()
        # one player for the whole run, made once the window is up and answering (libvlc takes
        # a moment to load); without libvlc it is the null player and says why
        QTimer.singleShot(PLAYER_DELAY_MS, lambda: shown.attach_player(_make_player()))
        if args.demo:
            window.open_demo()
        if args.quit_after > 0:
            QTimer.singleShot(args.quit_after, app.quit)
        code = serve(app, window, server)
    finally:
        if window is not None:
            window.close()
            QThreadPool.globalInstance().waitForDone(10_000)
            window.cleanup_demo()
        if services.player is not None:
            services.player.close()
        reporter.uninstall()
        log.info("stopped")
    return int(code)
