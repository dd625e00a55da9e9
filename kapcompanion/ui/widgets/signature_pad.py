"""A signature pad: the client signs on screen with a finger, a stylus, a touchpad or a mouse.

Qt delivers every pointer as a ``QPointerEvent``: mouse and touchpad as ``QMouseEvent``, a
stylus as ``QTabletEvent`` (with pressure), a touch screen as ``QTouchEvent``. The pad takes
all three; a stylus or touch event is accepted, so Qt does not also synthesise a mouse event
from it and no stroke is drawn twice. Each stroke is kept as data (points in pad pixels,
milliseconds since the first point, pressure 0..1) and the picture is rendered in memory as
a PNG (black ink on white, whatever the theme): both go into the vault through the consent
service, never to a file.

:class:`SignatureField` puts the pad beside a typed name with Undo and Clear buttons, all
reachable from the keyboard (the drawing itself is the one thing that needs a pointer).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QPointF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QShortcut,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from kapcompanion.core.consent import Signature, Stroke
from kapcompanion.ui.theme import set_role

#: large enough to sign with a finger on a 13-inch touch screen (about 13 x 5 cm at 1366x768)
MIN_SIZE = QSize(560, 220)
INK_PX = 3.0


class SignaturePad(QWidget):
    """The drawing surface (see the module docstring)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self.setAccessibleName("Signature pad")
        self.setAccessibleDescription(
            "Sign here with a finger, a stylus or the mouse. Undo and Clear are beside it."
        )
        self.setMinimumSize(MIN_SIZE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.strokes: list[Stroke] = []
        self._drawing: Stroke | None = None
        self._t0: float | None = None

    # ----------------------------------------------------------------- data
    def is_empty(self) -> bool:
        return not any(s.points for s in self.strokes)

    def clear(self) -> None:
        self.strokes.clear()
        self._drawing = None
        self._t0 = None
        self.update()
        self.changed.emit()

    def undo(self) -> None:
        """Remove the last stroke."""
        if self._drawing is not None:
            self._drawing = None
        if self.strokes:
            self.strokes.pop()
        if not self.strokes:
            self._t0 = None
        self.update()
        self.changed.emit()

    def signature(self, name: str, role: str = "client") -> Signature:
        return Signature(
            name=name.strip(),
            utc=datetime.now(UTC),
            strokes=[Stroke(list(s.points), s.device) for s in self.strokes if s.points],
            width=self.width(),
            height=self.height(),
            role=role,
        )

    def png(self) -> bytes:
        """The signature as a PNG (black on white at the pad's size), made in memory."""
        image = QImage(self.size(), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        self._paint_strokes(painter, QColor("black"))
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        saved = image.save(buffer, "PNG")  # type: ignore[call-overload]  # str at runtime
        buffer.close()
        if not saved:
            raise RuntimeError("The signature image could not be made.")
        return bytes(data.data())

    # ----------------------------------------------------------------- input
    def _ms(self) -> int:
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        return round((now - self._t0) * 1000)

    def _begin(self, pos: QPointF, pressure: float, device: str) -> None:
        self._drawing = Stroke([], device)
        self.strokes.append(self._drawing)
        self._add(pos, pressure)

    def _add(self, pos: QPointF, pressure: float) -> None:
        if self._drawing is None:
            return
        x = min(max(pos.x(), 0.0), float(self.width()))
        y = min(max(pos.y(), 0.0), float(self.height()))
        p = min(max(pressure, 0.0), 1.0)
        self._drawing.points.append((round(x, 1), round(y, 1), self._ms(), round(p, 3)))
        self.update()

    def _end(self) -> None:
        if self._drawing is not None:
            self._drawing = None
            self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position(), 1.0, "mouse")
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._add(event.position(), 1.0)
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._add(event.position(), 1.0)
            self._end()
            event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position(), event.pressure(), "stylus")
        elif kind == QEvent.Type.TabletMove and self._drawing is not None:
            self._add(event.position(), event.pressure())
        elif kind == QEvent.Type.TabletRelease:
            self._end()
        event.accept()  # no synthesised mouse event: the stroke is not drawn twice

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in (
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TouchEnd,
            QEvent.Type.TouchCancel,
        ):
            assert isinstance(event, QTouchEvent)
            points = event.points()
            if kind == QEvent.Type.TouchCancel:
                self._end()
            elif points:
                first = points[0]
                pressure = first.pressure() if first.pressure() > 0 else 1.0
                if kind == QEvent.Type.TouchBegin:
                    self._begin(first.position(), pressure, "touch")
                else:
                    self._add(first.position(), pressure)
                if kind == QEvent.Type.TouchEnd:
                    self._end()
            event.accept()
            return True
        return super().event(event)

    # ----------------------------------------------------------------- painting
    def _paint_strokes(self, painter: QPainter, ink: QColor) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for stroke in self.strokes:
            if not stroke.points:
                continue
            pressure = sum(p[3] for p in stroke.points) / len(stroke.points)
            pen = QPen(ink, INK_PX * (0.6 + 0.8 * pressure))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            first = stroke.points[0]
            if len(stroke.points) == 1:
                painter.drawPoint(QPointF(first[0], first[1]))
                continue
            path = QPainterPath(QPointF(first[0], first[1]))
            for x, y, _t, _p in stroke.points[1:]:
                path.lineTo(QPointF(x, y))
            painter.drawPath(path)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        muted = QColor(pal.color(QPalette.ColorRole.PlaceholderText))
        frame = QPen(pal.color(QPalette.ColorRole.Highlight) if self.hasFocus() else muted, 2)
        painter.setPen(frame)
        painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
        line_y = int(self.height() * 0.75)
        painter.setPen(QPen(muted, 1, Qt.PenStyle.DashLine))
        painter.drawLine(24, line_y, self.width() - 24, line_y)
        if self.is_empty():
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 1.3)
            painter.setFont(font)
            painter.setPen(muted)
            painter.drawText(28, line_y - 12, "Sign here")
        self._paint_strokes(painter, pal.color(QPalette.ColorRole.Text))
        painter.end()


class SignatureField(QWidget):
    """The pad, a typed name beside it, and Undo and Clear (Ctrl+Z undoes on the pad)."""

    changed = Signal()

    def __init__(self, who: str, parent: QWidget | None = None, *, name: str = "") -> None:
        super().__init__(parent)
        self.pad = SignaturePad(self)
        self.name = QLineEdit(name)
        self.name.setAccessibleName(f"Name of {who}")
        self.name.setPlaceholderText("Full name")
        self.name.setMinimumWidth(260)
        label = QLabel(f"&Name of {who}:")
        label.setBuddy(self.name)
        self.undo_button = QPushButton("&Undo stroke")
        self.undo_button.setAccessibleName(f"Undo the last stroke of {who}'s signature")
        self.clear_button = QPushButton("C&lear signature")
        self.clear_button.setAccessibleName(f"Clear {who}'s signature")
        self.undo_button.clicked.connect(self.pad.undo)
        self.clear_button.clicked.connect(self.pad.clear)
        undo = QShortcut(QKeySequence.StandardKey.Undo, self.pad)
        undo.setContext(Qt.ShortcutContext.WidgetShortcut)
        undo.activated.connect(self.pad.undo)
        hint = QLabel(f"{who.capitalize()} signs in the box with a finger, a stylus or the mouse.")
        hint.setWordWrap(True)
        set_role(hint, "hint")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.pad, 0, 0, 6, 1)
        grid.addWidget(label, 0, 1)
        grid.addWidget(self.name, 1, 1)
        grid.addWidget(self.undo_button, 2, 1)
        grid.addWidget(self.clear_button, 3, 1)
        grid.addWidget(hint, 4, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(5, 1)
        self.pad.changed.connect(self._refresh)
        self.pad.changed.connect(self.changed)
        self.name.textChanged.connect(self.changed)
        self._refresh()

    def _refresh(self) -> None:
        empty = self.pad.is_empty()
        self.undo_button.setEnabled(not empty)
        self.clear_button.setEnabled(not empty)

    def signature(self, role: str) -> Signature:
        return self.pad.signature(self.name.text(), role)

    def png(self) -> bytes:
        return self.pad.png()

    def reset(self) -> None:
        self.pad.clear()
        self.name.clear()
