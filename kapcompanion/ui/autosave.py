"""Draft autosave shared by every editing screen.

Call :meth:`Autosaver.touch` on each edit. The draft is saved after a pause in typing
(``idle_ms``), at least every ``max_ms`` while typing goes on, before a lock
(``signals.about_to_lock``), and when the owner widget is destroyed. ``save`` must commit to the
vault; the ``saved`` signal carries a short human status ("Saved 10:42:05") for a label.

No stale overwrite: ``save`` passes the revision its editor loaded (``services.documents``).
When the record changed elsewhere the save is refused with ``StaleRevision`` (both versions
already kept in the vault); ``conflicted`` carries it, for a
:class:`~kapcompanion.ui.widgets.conflict_banner.ConflictBanner`. Until the editor calls
:meth:`settle` (after the user chose keep mine / theirs / both) the timers save nothing, so
the editor keeps its text without piling up conflicts; an explicit :meth:`flush` (a lock, the
editor closing) with new typing still saves, which is refused again and kept again, so even
that text is not lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from kapcompanion.core import wording
from kapcompanion.core.models import StoredDocument
from kapcompanion.services.documents import Choice, StaleRevision, resolve
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.widgets.conflict_banner import ConflictBanner

if TYPE_CHECKING:
    from kapcompanion.ui.context import AppContext

log = logging.getLogger(__name__)

CHOICES: dict[str, Choice] = {"mine": "mine", "theirs": "theirs", "both": "both"}
KEPT = {"mine": "your version", "theirs": "the other version", "both": "both versions"}


class Autosaver(QObject):
    saved = Signal(str)
    failed = Signal(str)
    #: the save was refused: the record changed elsewhere (a StaleRevision, conflict kept)
    conflicted = Signal(object)

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
        self._conflict: StaleRevision | None = None
        #: a banner shows a refused save (``guard_conflicts``): no "not saved" status then
        self.shows_conflicts = False
        self._idle = QTimer(self, singleShot=True, interval=idle_ms)
        self._idle.timeout.connect(self._timed)
        self._max = QTimer(self, singleShot=True, interval=max_ms)
        self._max.timeout.connect(self._timed)
        if about_to_lock is not None:
            about_to_lock.connect(self.flush)
        parent.destroyed.connect(self._on_owner_gone)

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def conflict(self) -> StaleRevision | None:
        """The refused save waiting for a choice, if any."""
        return self._conflict

    def touch(self) -> None:
        """Something changed: save soon (not while a conflict waits for a choice)."""
        self._dirty = True
        if self._conflict is not None:
            return
        self._idle.start()
        if not self._max.isActive():
            self._max.start()

    def settle(self, status: str = "") -> None:
        """The conflict was settled (the editor shows the chosen version): save as usual."""
        self._conflict = None
        self._dirty = False
        self.saved.emit(status or f"Saved {wording.time_of_day(datetime.now())}")

    def _timed(self) -> None:
        if self._conflict is None:
            self.flush()

    def flush(self) -> bool:
        """Save now if anything changed. Returns False when the save failed (and says why),
        and while a refused save waits for a choice."""
        self._idle.stop()
        self._max.stop()
        if not self._dirty:
            return self._conflict is None
        try:
            self._save()
        except StaleRevision as exc:
            self._conflict = exc
            self._dirty = False  # this text is kept in the vault with the conflict
            if not self.shows_conflicts:
                self.failed.emit(f"Not saved here: {exc.message}")
            self.conflicted.emit(exc)
            return False
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


def guard_conflicts(
    saver: Autosaver,
    banner: ConflictBanner,
    ctx: AppContext,
    mine: Callable[[], object],
    show: Callable[[StoredDocument | None], None],
    failed: Callable[[str], None] | None = None,
) -> None:
    """Wire a :class:`ConflictBanner` to ``saver``: a refused save shows the banner; a choice
    settles the kept conflict (``services.documents.resolve`` with ``mine()``, the editor's
    content now), hides the banner, lets the saver go on and hands ``show`` the document as
    it now stands (None for a draft in meta: the editor reads it again). When the record
    changed yet again meanwhile, the editor's text is saved again, refused again and kept
    again, and the banner shows the newer conflict."""
    saver.conflicted.connect(banner.show_conflict)
    saver.shows_conflicts = True

    def chosen(choice: str) -> None:
        exc = saver.conflict
        if exc is None or exc.conflict is None or choice not in CHOICES:
            banner.clear()
            return
        try:
            doc = resolve(ctx.repos, exc.conflict.id, CHOICES[choice], mine=mine())
        except StaleRevision:
            saver.settle()
            saver.touch()
            saver.flush()
            return
        except VaultError as error:
            (failed or saver.failed.emit)(f"Not saved: {error.message}")
            return
        banner.clear()
        saver.settle(f"Kept {KEPT[choice]} {wording.time_of_day(datetime.now())}")
        show(doc)

    banner.chosen.connect(chosen)
