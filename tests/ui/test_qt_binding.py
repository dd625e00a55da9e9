"""The installed Qt binding must not drop references to None/True/False.

PySide6-Essentials 6.12.0 on Python 3.11 releases a reference to ``None`` on every call of
a method returning void (and to ``True``/``False`` on every signal emit); after some
thousands of calls the interpreter aborts with "none_dealloc". Python 3.12+ hides this
(immortal objects). 6.11.3 is fine. This test fails fast instead of the app dying at random.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    ping = Signal()


def test_void_calls_and_emits_keep_refcounts(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    calls = 2000
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(calls):
        label.setText("x")
        QApplication.processEvents()
        emitter.ping.emit()
    none_lost = none_before - sys.getrefcount(None)
    true_lost = true_before - sys.getrefcount(True)
    assert none_lost < calls // 2, f"the Qt binding dropped {none_lost} references to None"
    assert true_lost < calls // 2, f"the Qt binding dropped {true_lost} references to True"
