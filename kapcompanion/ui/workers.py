"""Slow work off the GUI thread, with success and failure called back on it.

``run_in_background(fn, on_done, on_error)`` runs ``fn()`` on a QThreadPool and calls
``on_done(result)`` or ``on_error(exc)`` on the GUI thread. The worker never touches widgets:
only the callbacks do, and they are skipped when the ``owner`` widget given has been
destroyed meanwhile (the app locked, the screen closed). Without ``on_error`` a failure goes
to ``sys.excepthook`` (the calm error dialog). Used for unlocking, creating vaults, backups,
exports and large queries.

Import what ``fn`` needs on the GUI thread before starting it: PySide6 hooks every import,
and an import running on a worker thread while the GUI thread handles events can crash the
interpreter (seen with PySide6 6.12).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

_alive: set[Task] = set()  # tasks stay referenced until they have called back


class Task(QObject):
    """A handle on one background job; lives on the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()
    # emitted on the worker thread, delivered (queued) on the GUI thread
    _succeeded = Signal(object)
    _failed = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        owner: QObject | None,
        discard: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__()
        self._discard = discard
        self._on_done = on_done
        self._on_error = on_error
        self._owner = owner
        self._has_owner = owner is not None
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self._succeeded.connect(self._deliver_result, Qt.ConnectionType.QueuedConnection)
        self._failed.connect(self._deliver_error, Qt.ConnectionType.QueuedConnection)

    def _owner_gone(self) -> bool:
        return self._has_owner and (self._owner is None or not shiboken6.isValid(self._owner))

    @Slot(object)
    def _deliver_result(self, result: Any) -> None:
        self.result = result
        try:
            if self._owner_gone():
                if self._discard is not None:
                    self._discard(result)
            elif self._on_done is not None:
                self._on_done(result)
            self.succeeded.emit(result)
        finally:
            self._finish()

    @Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        self.error = exc
        try:
            if self._owner_gone():
                pass
            elif self._on_error is not None:
                self._on_error(exc)
            else:
                sys.excepthook(type(exc), exc, exc.__traceback__)
            self.failed.emit(exc)
        finally:
            self._finish()

    def _finish(self) -> None:
        self.done = True
        self._on_done = self._on_error = self._discard = None
        self._owner = None
        self.finished.emit()
        _alive.discard(self)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], task: Task) -> None:
        super().__init__()
        self._fn = fn
        self._task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # delivered to the GUI thread, never lost
            self._task._failed.emit(exc)
        else:
            self._task._succeeded.emit(result)


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    owner: QObject | None = None,
    discard: Callable[[Any], None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    """Run ``fn()`` off the GUI thread; call back on the GUI thread (see the module docstring).

    ``discard(result)`` runs instead of ``on_done`` when ``owner`` is gone (close what ``fn``
    opened, e.g. a vault).
    """
    task = Task(on_done, on_error, owner, discard)
    _alive.add(task)
    (pool or QThreadPool.globalInstance()).start(_Job(fn, task))
    return task


def pending_tasks() -> int:
    """Jobs started and not yet called back (tests wait for 0; the app waits before exit)."""
    return len(_alive)
