"""``run_gui(argv)``: the desktop app's start (logging, theme, error hook, main window).

The palette and stylesheet are on the QApplication before the window shows, so the dim
theme never flashes white. ``--demo`` opens a throw-away vault of invented clients.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from kapcompanion import __version__
from kapcompanion.logs import setup_logging
from kapcompanion.paths import app_dirs
from kapcompanion.ui.errors import ErrorReporter
from kapcompanion.ui.main_window import MainWindow, Services
from kapcompanion.ui.settings import Settings
from kapcompanion.ui.theme import apply_theme
from kapcompanion.ui.widgets.wheel_guard import install_wheel_guard

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="kapcompanion", add_help=False)
    parser.add_argument("--demo", action="store_true")
    # quit after this many milliseconds: the packaging smoke test starts the GUI headless
    parser.add_argument("--quit-after", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_known_args(list(argv))


def make_application(qt_args: Sequence[str] = ()) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QApplication.setApplicationName("KAP Companion")
    QApplication.setOrganizationName("kapcompanion")
    QApplication.setApplicationVersion(__version__)
    QApplication.setDesktopFileName("kapcompanion")
    return QApplication([sys.argv[0] if sys.argv else "kapcompanion", *qt_args])


def build_window(services: Services, app: QApplication) -> MainWindow:
    """Theme first, then the window (what the tests and the screenshot tool also call)."""
    apply_theme(app, services.settings.theme)
    install_wheel_guard(app)  # a mouse wheel never changes an unfocused combo or spin box
    return MainWindow(services)


#: the window is interactive first; nothing needs music in its first half second
PLAYER_DELAY_MS = 400


def _make_player() -> object:
    from kapcompanion.audio import create_player

    player, music_problem = create_player()
    if music_problem:
        log.info("music unavailable")
    return player


def run_gui(argv: Sequence[str]) -> int:
    args, qt_args = parse_args(argv)
    dirs = app_dirs().ensure()
    log_path = setup_logging(dirs.logs)
    log.info("starting KAP Companion %s%s", __version__, " (demo)" if args.demo else "")
    app = make_application(qt_args)
    settings = Settings.load(dirs.settings_file)
    services = Services(dirs=dirs, settings=settings)
    window: MainWindow | None = None
    reporter = ErrorReporter(log_path, lambda: window)
    reporter.install()
    code = 1
    try:
        window = build_window(services, app)
        if args.demo:
            window.show_welcome()
        else:
            window.start()
        window.show()
        # one player for the whole run, made once the window is up and answering (libvlc takes
        # a moment to load); without libvlc it is the null player and says why
        QTimer.singleShot(PLAYER_DELAY_MS, lambda: window.attach_player(_make_player()))
        if args.demo:
            window.open_demo()
        if args.quit_after > 0:
            QTimer.singleShot(args.quit_after, app.quit)
        code = app.exec()
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
