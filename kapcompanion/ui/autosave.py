"""Draft autosave shared by every editing screen.

Call :meth:`Autosaver.touch` on each edit. The draft is saved after a pause in typing
(``idle_ms``), at least every ``max_ms`` while typing goes on, before a lock
(``signals.about_to_lock``), and when the owner widget is destroyed. ``save`` must commit to the
vault; the ``saved`` signal carries a short human status ("Saved 10:42:05") for a label.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from kapcompanion.core import wording
from kapcompanion.store.errors import VaultError

log = logging.getLogger(__name__)


class Autosaver(QObject):
    saved = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        save: Callable[[], object],
        parent: QObject,
        *,
        about_to_lock: SignalInstance | None = None,
        idle_ms: int = 800,
        max_ms: int = 4000,
    ) -> None:
        super().__init__(parent)
        self._save = save
        self._dirty = False
        self._idle = QTimer(self, singleShot=True, interval=idle_ms)
        self._idle.timeout.connect(self.flush)
        self._max = QTimer(self, singleShot=True, interval=max_ms)
        self._max.timeout.connect(self.flush)
        if about_to_lock is not None:
            about_to_lock.connect(self.flush)
        parent.destroyed.connect(self._on_owner_gone)

    @property
    def dirty(self) -> bool:
        return self._dirty

    def touch(self) -> None:
        """Something changed: save soon."""
        self._dirty = True
        self._idle.start()
        if not self._max.isActive():
            self._max.start()

    def flush(self) -> bool:
        """Save now if anything changed. Returns False when the save failed (and says why)."""
        self._idle.stop()
        self._max.stop()
        if not self._dirty:
            return True
        try:
            self._save()
        except VaultError as exc:
            self.failed.emit(f"Not saved: {exc.message}")
            return False
        self._dirty = False
        self.saved.emit(f"Saved {wording.time_of_day(datetime.now())}")
        return True

    def _on_owner_gone(self) -> None:  # pragma: no cover - depends on deletion order
        try:
            self.flush()
        except Exception:  # the vault may already be closed; the lock flush saved it
            log.warning("autosave on close skipped", exc_info=False)
