"""The shared draft autosaver: after a pause, during long typing, and before a lock."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kapcompanion.store.errors import VaultError
from kapcompanion.ui.autosave import Autosaver


class Lock(QObject):
    about_to_lock = Signal()


def test_saves_after_a_pause_and_before_lock(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    saves: list[int] = []
    lock = Lock()
    saver = Autosaver(
        lambda: saves.append(1), owner, about_to_lock=lock.about_to_lock, idle_ms=50, max_ms=10_000
    )
    saver.touch()
    assert saves == []
    qtbot.waitUntil(lambda: saves == [1], timeout=2000)
    assert not saver.dirty
    saver.touch()
    lock.about_to_lock.emit()
    assert saves == [1, 1]
    lock.about_to_lock.emit()  # nothing new: no save
    assert saves == [1, 1]


def test_saves_during_continuous_typing(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    saves: list[int] = []
    saver = Autosaver(lambda: saves.append(1), owner, idle_ms=400, max_ms=150)
    for _ in range(10):
        saver.touch()
        qtbot.wait(40)
    assert saves, "long typing must still be saved at least every max_ms"


def test_failed_save_keeps_the_draft_dirty(qtbot: QtBot) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)

    def boom() -> None:
        raise VaultError("The disk is full: the last change was not saved.")

    saver = Autosaver(boom, owner, idle_ms=10_000)
    messages: list[str] = []
    saver.failed.connect(messages.append)
    saver.touch()
    assert saver.flush() is False
    assert saver.dirty and "disk is full" in messages[0]


def test_a_refused_save_is_held_until_settled(qtbot: QtBot) -> None:
    from kapcompanion.services.documents import StaleRevision

    owner = QWidget()
    qtbot.addWidget(owner)
    calls: list[int] = []
    refuse = [True]

    def save() -> None:
        calls.append(1)
        if refuse[0]:
            raise StaleRevision(None, 1, None)

    saver = Autosaver(save, owner, idle_ms=20, max_ms=50)
    held: list[object] = []
    failed: list[str] = []
    saver.conflicted.connect(held.append)
    saver.failed.connect(failed.append)
    saver.touch()
    qtbot.waitUntil(lambda: len(held) == 1, timeout=2000)
    assert saver.conflict is held[0] and not saver.dirty
    assert failed and failed[0].startswith("Not saved here: Changed elsewhere at ")
    saver.touch()  # typing goes on: the timers do not save while the choice waits
    qtbot.wait(200)
    assert calls == [1] and saver.dirty
    assert saver.flush() is False and len(held) == 2  # an explicit flush keeps the new text
    assert saver.flush() is False and calls == [1, 1]  # nothing new: nothing written
    refuse[0] = False
    saver.settle()
    assert saver.conflict is None and saver.flush() is True
    saver.touch()
    qtbot.waitUntil(lambda: len(calls) == 3, timeout=2000)
