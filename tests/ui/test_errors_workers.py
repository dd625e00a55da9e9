"""The global exception hook (calm dialog, no client data in the log) and background work."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kapcompanion.logs import setup_logging
from kapcompanion.store.errors import DiskFull
from kapcompanion.ui.errors import CALM, ErrorReporter
from kapcompanion.ui.workers import pending_tasks, run_in_background

SECRET = "Ada Lovelace, born 1815-12-10"


def failing_save() -> None:
    raise ValueError(f"could not store {SECRET}")


@pytest.fixture
def reporter(tmp_path: Path) -> ErrorReporter:
    log_path = setup_logging(tmp_path / "logs")
    return ErrorReporter(log_path)


def test_excepthook_shows_a_calm_dialog_and_logs_no_message(
    qtbot: QtBot, reporter: ErrorReporter
) -> None:
    assert reporter.log_path is not None
    try:
        failing_save()
    except ValueError as exc:
        try:
            raise RuntimeError("wrapping " + SECRET) from exc
        except RuntimeError as outer:
            reporter.excepthook(RuntimeError, outer, outer.__traceback__)
    qtbot.waitUntil(lambda: reporter.last_dialog is not None, timeout=2000)
    box = reporter.last_dialog
    assert box is not None
    assert box.text() == CALM and "Traceback" not in box.text()
    assert reporter.reports[0] in box.informativeText()
    assert str(reporter.log_path) in box.informativeText()
    for handler in logging.getLogger("kapcompanion").handlers:
        handler.flush()
    log = reporter.log_path.read_text()
    assert reporter.reports[0] in log
    assert "builtins.RuntimeError" in log and "builtins.ValueError" in log
    assert "failing_save" in log  # the frames are there
    # the messages are not (the date is looked for whole: a report id of 17:18:15 holds 1815)
    assert "Ada" not in log and "Lovelace" not in log and "1815-12-10" not in log
    box.close()


def test_vault_errors_are_shown_in_their_own_words(qtbot: QtBot, reporter: ErrorReporter) -> None:
    exc = DiskFull("The disk is full: the last change was not saved.")
    reporter.excepthook(DiskFull, exc, None)
    qtbot.waitUntil(lambda: reporter.last_dialog is not None, timeout=2000)
    assert reporter.last_dialog is not None
    assert reporter.last_dialog.text() == exc.message
    reporter.last_dialog.close()


def test_thread_exceptions_reach_the_dialog(qtbot: QtBot, reporter: ErrorReporter) -> None:
    import sys

    before = (sys.excepthook, threading.excepthook)
    reporter.install()
    try:
        worker = threading.Thread(target=failing_save)
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: reporter.last_dialog is not None, timeout=2000)
    finally:
        reporter.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
    assert reporter.last_dialog is not None and reporter.last_dialog.text() == CALM
    reporter.last_dialog.close()


def test_background_work_calls_back_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = QThread.currentThread()
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker_is_gui"] = QThread.currentThread() == gui
        return 42

    def done(result: int) -> None:
        seen["result"] = result
        seen["callback_is_gui"] = QThread.currentThread() == gui

    task = run_in_background(work, done)
    qtbot.waitUntil(lambda: task.done, timeout=3000)
    assert seen == {"worker_is_gui": False, "result": 42, "callback_is_gui": True}
    assert pending_tasks() == 0


def test_background_failures_and_gone_owners(qtbot: QtBot) -> None:
    errors: list[BaseException] = []
    task = run_in_background(failing_save, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: task.done, timeout=3000)
    assert [type(e) for e in errors] == [ValueError]

    owner = QWidget()
    results: list[object] = []
    discarded: list[object] = []
    gate = threading.Event()

    def open_something() -> str:
        gate.wait(5)
        return "opened"

    task = run_in_background(open_something, results.append, owner=owner, discard=discarded.append)
    shiboken6.delete(owner)  # the screen went away (locked) while the work ran
    gate.set()
    qtbot.waitUntil(lambda: task.done, timeout=3000)
    assert results == [] and discarded == ["opened"]  # e.g. a vault is closed, not leaked
