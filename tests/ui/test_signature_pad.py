"""The signature pad with synthesised pointer events: strokes as data, undo, clear, the PNG."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kapcompanion.core.consent import signature_problem
from kapcompanion.ui.widgets.signature_pad import MIN_SIZE, SignatureField, SignaturePad

NONE = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


def drag(qtbot: QtBot, pad: SignaturePad, points: list[tuple[int, int]]) -> None:
    """A real press, moves with the button held, and a release, through Qt's event queue."""
    QTest.mousePress(
        pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[0])
    )
    for x, y in points[1:]:
        move = QMouseEvent(
            QMouseEvent.Type.MouseMove,
            QPointF(x, y),
            pad.mapToGlobal(QPointF(x, y)),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(pad, move)
        qtbot.wait(1)
    QTest.mouseRelease(
        pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[-1])
    )


def make(qtbot: QtBot) -> SignatureField:
    field = SignatureField("the client", name="Ada Lovelace")
    qtbot.addWidget(field)
    field.resize(900, 300)
    field.show()
    qtbot.waitExposed(field)
    return field


def test_a_mouse_drag_makes_a_stroke_with_points_and_times(qtbot: QtBot) -> None:
    field = make(qtbot)
    pad = field.pad
    assert pad.width() >= MIN_SIZE.width() and pad.height() >= MIN_SIZE.height()
    assert pad.is_empty() and not field.undo_button.isEnabled()
    line = [(40 + 10 * i, 100 + (i % 5) * 6) for i in range(20)]
    drag(qtbot, pad, line)
    assert len(pad.strokes) == 1
    points = pad.strokes[0].points
    assert len(points) >= 20 and pad.strokes[0].device == "mouse"
    assert points[0][:2] == (40.0, 100.0) and points[-1][:2] == (230.0, 124.0)
    times = [p[2] for p in points]
    assert times == sorted(times) and times[-1] > 0
    sig = field.signature("client")
    assert sig.name == "Ada Lovelace" and (sig.width, sig.height) == (pad.width(), pad.height())
    assert signature_problem(sig) is None
    assert field.undo_button.isEnabled() and field.clear_button.isEnabled()


def test_undo_removes_the_last_stroke_and_clear_removes_all(qtbot: QtBot) -> None:
    field = make(qtbot)
    pad = field.pad
    drag(qtbot, pad, [(50 + 8 * i, 90) for i in range(12)])
    drag(qtbot, pad, [(60, 60 + 6 * i) for i in range(12)])
    assert len(pad.strokes) == 2
    QTest.mouseClick(field.undo_button, Qt.MouseButton.LeftButton)
    assert len(pad.strokes) == 1 and pad.strokes[0].points[0][1] == 90.0
    pad.setFocus()
    QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert pad.is_empty()
    drag(qtbot, pad, [(50 + 8 * i, 90) for i in range(12)])
    field.clear_button.setFocus()
    QTest.keyClick(field.clear_button, Qt.Key.Key_Space)
    assert pad.is_empty() and not field.clear_button.isEnabled()
    assert "empty" in (signature_problem(field.signature("client")) or "")


def test_the_png_is_black_ink_on_white_made_in_memory(qtbot: QtBot) -> None:
    field = make(qtbot)
    drag(qtbot, field.pad, [(40 + 10 * i, 120) for i in range(30)])
    data = field.png()
    assert data.startswith(b"\x89PNG")
    image = QImage.fromData(data)
    assert (image.width(), image.height()) == (field.pad.width(), field.pad.height())
    assert image.pixelColor(150, 120).lightness() < 80  # on the stroke
    assert image.pixelColor(150, 30).lightness() == 255  # white paper elsewhere


def test_touch_and_stylus_strokes_are_recorded_once_each(qtbot: QtBot) -> None:
    from PySide6.QtGui import QPointingDevice, QTabletEvent

    field = make(qtbot)
    pad = field.pad
    device = QTest.createTouchDevice()
    QTest.touchEvent(pad, device).press(0, QPoint(50, 80), pad).commit()
    for i in range(1, 10):
        QTest.touchEvent(pad, device).move(0, QPoint(50 + 10 * i, 80 + i), pad).commit()
    QTest.touchEvent(pad, device).release(0, QPoint(150, 90), pad).commit()
    qtbot.wait(5)
    assert [s.device for s in pad.strokes] == ["touch"]
    assert len(pad.strokes[0].points) >= 10

    stylus = QPointingDevice.primaryPointingDevice()
    for kind, x, pressure in (
        (QTabletEvent.Type.TabletPress, 60.0, 0.2),
        (QTabletEvent.Type.TabletMove, 90.0, 0.6),
        (QTabletEvent.Type.TabletMove, 120.0, 0.9),
        (QTabletEvent.Type.TabletRelease, 120.0, 0.0),
    ):
        event = QTabletEvent(
            kind,
            stylus,
            QPointF(x, 150.0),
            pad.mapToGlobal(QPointF(x, 150.0)),
            pressure,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
        )
        QApplication.sendEvent(pad, event)
    assert [s.device for s in pad.strokes] == ["touch", "stylus"]
    assert [p[3] for p in pad.strokes[1].points] == [0.2, 0.6, 0.9]
