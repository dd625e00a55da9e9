"""A mouse wheel never changes a combo box or spin box that does not have focus (issue 19)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kapcompanion.ui.widgets.wheel_guard import WheelGuard, install_wheel_guard


def _wheel(widget: QWidget, up: bool = False) -> None:
    pos = QPointF(widget.rect().center())
    glob = QPointF(widget.mapToGlobal(widget.rect().center()))
    delta = QPoint(0, 120 if up else -120)
    event = QWheelEvent(
        pos,
        glob,
        QPoint(0, 0),
        delta,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_wheel_scrolls_the_form_not_the_value(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    guard = install_wheel_guard(app)
    assert install_wheel_guard(app) is guard  # once
    area = QScrollArea()
    qtbot.addWidget(area)
    body = QWidget()
    column = QVBoxLayout(body)
    combo = QComboBox()
    combo.addItems(["Not scored", "0", "1", "2"])
    combo.setCurrentIndex(2)
    spin = QSpinBox()
    spin.setRange(0, 100)
    spin.setValue(50)
    column.addWidget(combo)
    column.addWidget(spin)
    for _ in range(40):  # a long form that scrolls
        column.addWidget(QSpinBox())
    area.setWidget(body)
    area.resize(300, 200)
    area.show()
    qtbot.waitExposed(area)
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert spin.focusPolicy() == Qt.FocusPolicy.StrongFocus
    area.setFocus()
    bar = area.verticalScrollBar()
    assert bar.value() == 0
    _wheel(combo)
    _wheel(spin)
    assert combo.currentIndex() == 2 and spin.value() == 50  # unchanged
    assert bar.value() > 0  # the wheel scrolled the form instead
    assert not combo.hasFocus() and not spin.hasFocus()  # and gave no focus
    # with focus, the wheel works as usual
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    _wheel(spin, up=True)
    assert spin.value() == 51
    app.removeEventFilter(guard)
    guard.deleteLater()
    assert isinstance(guard, WheelGuard)


def test_the_app_installs_the_guard(qtbot: QtBot) -> None:
    from kapcompanion.ui import app as app_module

    source = app_module.build_window.__code__.co_names
    assert "install_wheel_guard" in source
