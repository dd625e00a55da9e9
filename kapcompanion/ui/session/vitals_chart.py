"""A small running chart of the session's vitals, painted with QPainter (no QtCharts).

Top band: systolic and diastolic blood pressure and heart rate on one scale (40-200);
bottom band: SpO2 (80-100 %). Time runs left to right in minutes from the dose; pre-dose
readings sit at the left edge. A flagged value is drawn as a larger ring in the theme's
error colour, so the eye finds it without reading numbers. Calm colours, no animation.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from kapcompanion.core.vitals import VitalReading, flagged_fields
from kapcompanion.ui.theme import current_theme

TOP_RANGE = (40.0, 200.0)
SPO2_RANGE = (80.0, 100.0)


def _minutes(reading: VitalReading) -> float:
    return (reading.offset_s or 0.0) / 60.0 if not reading.pre_dose else -5.0


class VitalsChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vitalsChart")
        self.setAccessibleName("Vitals chart")
        self.setMinimumSize(220, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.readings: list[VitalReading] = []

    def sizeHint(self) -> QSize:
        return QSize(320, 160)

    def set_readings(self, readings: Sequence[VitalReading]) -> None:
        self.readings = list(readings)
        self.setAccessibleDescription(self.describe())
        self.update()

    def describe(self) -> str:
        if not self.readings:
            return "No vitals yet."
        last = self.readings[-1]
        parts = []
        if last.systolic is not None and last.diastolic is not None:
            parts.append(f"BP {last.systolic}/{last.diastolic} mmHg")
        if last.heart_rate is not None:
            parts.append(f"HR {last.heart_rate} bpm")
        if last.spo2 is not None:
            parts.append(f"SpO2 {last.spo2}%")
        flagged = sum(1 for r in self.readings if r.flags)
        return f"{len(self.readings)} readings; last {', '.join(parts)}; {flagged} flagged."

    def paintEvent(self, event: QPaintEvent) -> None:
        app = QApplication.instance()
        t = current_theme(app) if isinstance(app, QApplication) else None
        text = QColor(t.text if t else "#333333")
        muted = QColor(t.muted if t else "#777777")
        error = QColor(t.error if t else "#a3271f")
        accent = QColor(t.link if t else "#1f5f86")
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(34, 6, -8, -18)
        split = rect.top() + rect.height() * 0.7
        top = QRectF(rect.left(), rect.top(), rect.width(), split - rect.top() - 6)
        bottom = QRectF(rect.left(), split + 6, rect.width(), rect.bottom() - split - 6)
        p.setPen(QPen(muted, 1))
        small = p.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.75))
        p.setFont(small)
        for band, (low, high), marks in (
            (top, TOP_RANGE, (60, 100, 140, 180)),
            (bottom, SPO2_RANGE, (90, 100)),
        ):
            p.drawRect(band)
            for value in marks:
                y = band.bottom() - (value - low) / (high - low) * band.height()
                p.drawLine(QPointF(band.left() - 3, y), QPointF(band.left(), y))
                p.drawText(
                    QRectF(0, y - 8, band.left() - 5, 16), Qt.AlignmentFlag.AlignRight, str(value)
                )
        if not self.readings:
            p.setPen(QPen(muted))
            p.drawText(top, Qt.AlignmentFlag.AlignCenter, "Vitals will be drawn here")
            p.end()
            return
        xs = [_minutes(r) for r in self.readings]
        x0, x1 = min(-5.0, *xs), max(30.0, *xs)

        def x_of(minutes: float) -> float:
            return rect.left() + (minutes - x0) / (x1 - x0) * rect.width()

        def y_of(value: float, band: QRectF, bounds: tuple[float, float]) -> float:
            low, high = bounds
            value = min(high, max(low, value))
            return band.bottom() - (value - low) / (high - low) * band.height()

        series = (
            ("systolic", top, TOP_RANGE, text, Qt.PenStyle.SolidLine),
            ("diastolic", top, TOP_RANGE, text, Qt.PenStyle.DashLine),
            ("heart_rate", top, TOP_RANGE, accent, Qt.PenStyle.SolidLine),
            ("spo2", bottom, SPO2_RANGE, accent, Qt.PenStyle.SolidLine),
        )
        for name, band, bounds, colour, style in series:
            points = [
                (
                    QPointF(x_of(_minutes(r)), y_of(float(v), band, bounds)),
                    name in flagged_fields(r.flags),
                )
                for r in self.readings
                if (v := getattr(r, name)) is not None
            ]
            p.setPen(QPen(colour, 1.6, style))
            for (a, _fa), (b, _fb) in itertools.pairwise(points):
                p.drawLine(a, b)
            for point, flagged in points:
                if flagged:
                    p.setPen(QPen(error, 2.2))
                    p.drawEllipse(point, 5.5, 5.5)
                else:
                    p.setPen(QPen(colour, 1.6))
                    p.drawEllipse(point, 2.5, 2.5)
        p.setPen(QPen(muted))
        p.drawText(
            QRectF(rect.left(), rect.bottom() + 2, rect.width(), 16),
            Qt.AlignmentFlag.AlignLeft,
            "BP solid, dashed · HR · SpO2 below",
        )
        p.end()
