"""The global exception hook: a calm dialog for the user, the stack for the log.

Exception *messages* can carry client data (a name in a validation message, a value in a
failed query), so the log gets the exception's type and its stack frames (file, line,
function, source line) and never ``str(exc)``. The user sees a plain sentence and a short
reference that finds the entry in the log; never a traceback. Errors the vault raises on
purpose (``VaultError``) are written for the user, so their message is shown (not logged).
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QWidget

from kapcompanion.store.errors import VaultError

if TYPE_CHECKING:  # imported when a report opens one, not at start-up
    from PySide6.QtWidgets import QMessageBox

log = logging.getLogger("kapcompanion.errors")

CALM = (
    "Something went wrong inside KAP Companion. What was saved before stays saved; "
    "the last action may not have finished. If this keeps happening, send the log file "
    "to support and quote the reference below. The log holds no client data."
)


def new_reference() -> str:
    import secrets  # not at start-up: it loads OpenSSL's HMAC

    return datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def describe_for_log(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """Type and frames only (no message, no local variables)."""
    lines = [f"{exc_type.__module__}.{exc_type.__qualname__}"]
    lines += traceback.format_list(traceback.extract_tb(tb))
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip()


def log_exception(exc: BaseException, reference: str) -> None:
    parts = [describe_for_log(type(exc), exc.__traceback__)]
    seen = {id(exc)}
    link = exc.__cause__ or exc.__context__
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        parts.append("caused by / during: " + describe_for_log(type(link), link.__traceback__))
        link = link.__cause__ or link.__context__
    log.error("unhandled error ref=%s\n%s", reference, "\n".join(parts))


def user_text(exc: BaseException) -> str:
    if isinstance(exc, VaultError):
        return exc.message
    return CALM


class ErrorReporter(QObject):
    """Installs itself as ``sys.excepthook`` and ``threading.excepthook``.

    Reports from other threads are marshalled to the GUI thread by a queued signal.
    ``last_dialog`` is the most recent message box (tests read its text).
    """

    _report = Signal(object, str)

    def __init__(
        self,
        log_path: Path | None,
        parent_window: Callable[[], QWidget | None] = lambda: None,
    ) -> None:
        super().__init__()
        self.log_path = log_path
        self._parent_window = parent_window
        self.last_dialog: QMessageBox | None = None
        self.reports: list[str] = []
        self._previous: tuple[object, object] | None = None
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous  # type: ignore[assignment]
            self._previous = None

    def excepthook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        if exc.__traceback__ is None and tb is not None:
            exc = exc.with_traceback(tb)
        reference = new_reference()
        log_exception(exc, reference)
        self.reports.append(reference)
        self._report.emit(exc, reference)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    @Slot(object, str)
    def _show(self, exc: BaseException, reference: str) -> None:
        if QApplication.instance() is None:
            return
        from PySide6.QtWidgets import QMessageBox

        where = f"\n\nLog: {self.log_path}" if self.log_path else ""
        box = QMessageBox(self._parent_window())
        box.setIcon(
            QMessageBox.Icon.Warning
            if isinstance(exc, VaultError)
            else QMessageBox.Icon.Information
        )
        box.setWindowTitle("KAP Companion")
        box.setText(user_text(exc))
        box.setInformativeText(f"Reference: {reference}{where}")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setObjectName("errorDialog")
        self.last_dialog = box
        box.open()
