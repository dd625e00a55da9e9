"""One instrument's scores over the course, drawn with QPainter (no QtCharts in Essentials).

The severity bands are shaded and labelled on the right, so a point reads as "moderate"
without a legend; dosing sessions are dashed vertical lines marked S1, S2...; the baseline
point is ringed, and the response threshold (the instrument's drop from baseline, 50% for
the PHQ-9) and the remission threshold are dashed lines. Colours come from the current theme
at every paint, so the chart follows a switch to the dim theme at once. Drawn text stays at
the widget's font size or a little smaller (readable at arm's length).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

from kapcompanion.core import wording
from kapcompanion.core.measures import Instrument, MeasureResponse
from kapcompanion.ui.theme import Theme, current_theme

DAY_STEPS = (1, 2, 3, 7, 14, 28, 56, 91, 182)


@dataclass(frozen=True)
class SessionMark:
    label: str  # "S1"
    day: date


def _days(d: date, origin: date) -> float:
    return float((d - origin).days)


@dataclass(frozen=True)
class _Frame:
    """The plot area and the mapping of (day, score) into it."""

    plot: QRectF
    lo: int
    hi: int
    d0: date
    d1: date

    def y(self, v: float) -> float:
        return self.plot.bottom() - (v - self.lo) / (self.hi - self.lo) * self.plot.height()

    def x(self, d: date) -> float:
        span = max(1.0, _days(self.d1, self.d0))
        return self.plot.left() + _days(d, self.d0) / span * self.plot.width()


def nice_step(span: float, count: int = 5) -> int:
    raw = max(1.0, span / max(1, count))
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * magnitude >= raw:
            return int(m * magnitude)
    return int(10 * magnitude)


class ScoreChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inst: Instrument | None = None
        self.points: list[tuple[datetime, int, bool]] = []  # (taken, score, is baseline)
        self.sessions: list[SessionMark] = []
        self.response_at: float | None = None
        self.empty_text = "No scored forms yet."
        self.setAccessibleName("Score chart")
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(640, 320)

    def set_data(
        self,
        inst: Instrument | None,
        responses: list[MeasureResponse],
        sessions: list[SessionMark],
        baseline: MeasureResponse | None = None,
        description: str = "",
    ) -> None:
        """Plot the scored forms of ``inst``; ``baseline`` (from core progress) is ringed."""
        self.inst = inst
        scored = sorted((r for r in responses if r.score is not None), key=lambda r: r.taken_on)
        self.points = [(r.taken_on, int(r.score or 0), r is baseline) for r in scored]
        self.sessions = sorted(sessions, key=lambda s: s.day)
        self.response_at = None
        if inst is not None and baseline is not None and inst.response_drop_pct is not None:
            room = (baseline.score or 0) - inst.min_score
            if room > 0:
                self.response_at = (baseline.score or 0) - room * inst.response_drop_pct / 100
        self.setAccessibleDescription(description)
        self.update()

    # ------------------------------------------------------------------ geometry
    def _day_range(self) -> tuple[date, date]:
        days = [p[0].astimezone().date() for p in self.points] + [s.day for s in self.sessions]
        first, last = min(days), max(days)
        span = (last - first).days
        if span < 7:
            pad = (7 - span) // 2 + 1
            return date.fromordinal(first.toordinal() - pad), date.fromordinal(
                last.toordinal() + pad
            )
        return date.fromordinal(first.toordinal() - 1), date.fromordinal(last.toordinal() + 1)

    def _plot_rect(self, fm: QFontMetricsF) -> QRectF:
        right = min(170.0, max(90.0, self.width() * 0.2))
        return QRectF(
            fm.horizontalAdvance("000") + 16,
            fm.height() * 1.6,
            max(10.0, self.width() - right - fm.horizontalAdvance("000") - 24),
            max(10.0, self.height() - fm.height() * 3.4),
        )

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:
        app = QApplication.instance()
        t = current_theme(app) if isinstance(app, QApplication) else None
        if t is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(t.base))
        font = QFont(self.font())
        p.setFont(font)
        fm = QFontMetricsF(font)
        if self.inst is None or not self.points:
            p.setPen(QColor(t.muted))
            p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            p.end()
            return
        d0, d1 = self._day_range()
        f = _Frame(self._plot_rect(fm), self.inst.min_score, self.inst.max_score, d0, d1)
        self._bands(p, t, fm, f)
        self._axes(p, t, fm, f)
        self._sessions(p, t, fm, f)
        self._thresholds(p, t, f)
        self._series(p, t, fm, f)
        p.end()

    def _bands(self, p: QPainter, t: Theme, fm: QFontMetricsF, f: _Frame) -> None:
        plot, y = f.plot, f.y
        assert self.inst is not None
        shade = QColor(t.alternate)
        for i, band in enumerate(self.inst.bands):
            top, bottom = (
                y(band.upper + 0.5 if band.upper < self.inst.max_score else band.upper),
                y(band.lower - 0.5 if band.lower > self.inst.min_score else band.lower),
            )
            rect = QRectF(plot.left(), top, plot.width(), bottom - top)
            if i % 2:
                p.fillRect(rect, shade)
            if band.lower > self.inst.min_score:
                p.setPen(QPen(QColor(t.border), 1))
                p.drawLine(QPointF(plot.left(), bottom), QPointF(plot.right(), bottom))
            if rect.height() >= fm.height() * 0.9:
                p.setPen(QColor(t.muted))
                label = QRectF(
                    plot.right() + 8, top, self.width() - plot.right() - 10, rect.height()
                )
                text = f"{band.label} {band.lower}–{band.upper}"
                left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
                wrap = int(left | Qt.TextFlag.TextWordWrap)
                # a long label (the PCL-5's, around the clinic's cut-point) wraps when its
                # band is tall enough, and is elided only when it is not
                needed = fm.boundingRect(label, wrap, text)
                if needed.height() <= label.height() and needed.width() <= label.width() + 1:
                    p.drawText(label, wrap, text)
                else:
                    short = fm.elidedText(text, Qt.TextElideMode.ElideRight, label.width())
                    p.drawText(label, left, short)

    def _axes(self, p: QPainter, t: Theme, fm: QFontMetricsF, f: _Frame) -> None:
        plot, y, x, d0, d1 = f.plot, f.y, f.x, f.d0, f.d1
        assert self.inst is not None
        p.setPen(QPen(QColor(t.border), 1))
        p.drawRect(plot)
        p.setPen(QColor(t.muted))
        inst = self.inst
        ticks = {inst.min_score, inst.max_score} | {b.lower for b in inst.bands}
        if not inst.bands:
            step = nice_step(inst.max_score - inst.min_score)
            ticks |= set(range(inst.min_score, inst.max_score + 1, step))
        last_y = None
        for v in sorted(ticks, reverse=True):
            ty = y(v)
            if last_y is not None and ty - last_y < fm.height() * 0.9:
                continue
            last_y = ty
            box = QRectF(0, ty - fm.height() / 2, plot.left() - 6, fm.height())
            p.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(v))
        total = (d1 - d0).days
        step = next((s for s in DAY_STEPS if total / s <= plot.width() / 80), DAY_STEPS[-1])
        label_w = fm.horizontalAdvance("00 Mmm") + 8
        day = d0.toordinal()
        while day <= d1.toordinal():
            d = date.fromordinal(day)
            tx = x(d)
            p.setPen(QPen(QColor(t.border), 1))
            p.drawLine(QPointF(tx, plot.bottom()), QPointF(tx, plot.bottom() + 4))
            p.setPen(QColor(t.muted))
            box = QRectF(tx - label_w / 2, plot.bottom() + 6, label_w, fm.height())
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, wording.chart_day(d))
            day += step

    def _sessions(self, p: QPainter, t: Theme, fm: QFontMetricsF, f: _Frame) -> None:
        plot, x = f.plot, f.x
        pen = QPen(QColor(t.muted), 1, Qt.PenStyle.DashLine)
        last_x = -1e9
        for mark in self.sessions:
            sx = x(mark.day)
            p.setPen(pen)
            p.drawLine(QPointF(sx, plot.top()), QPointF(sx, plot.bottom()))
            width = fm.horizontalAdvance(mark.label)
            if sx - last_x >= width + 6:
                p.setPen(QColor(t.text))
                p.drawText(
                    QRectF(
                        sx - width / 2 - 2, plot.top() - fm.height() - 2, width + 4, fm.height()
                    ),
                    Qt.AlignmentFlag.AlignCenter,
                    mark.label,
                )
                last_x = sx

    def _thresholds(self, p: QPainter, t: Theme, f: _Frame) -> None:
        plot, y = f.plot, f.y
        assert self.inst is not None
        lines: list[tuple[float, str]] = []
        if self.response_at is not None:
            lines.append((self.response_at, f"response (−{self.inst.response_drop_pct}%)"))
        if self.inst.remission_below is not None:
            lines.append(
                (self.inst.remission_below - 0.5, f"remission (< {self.inst.remission_below})")
            )
        for value, label in lines:
            ly = y(value)
            p.setPen(QPen(QColor(t.ok), 1.5, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(plot.left(), ly), QPointF(plot.right(), ly))
            p.setPen(QColor(t.ok))
            p.drawText(QPointF(plot.left() + 6, ly - 4), label)

    def _series(self, p: QPainter, t: Theme, fm: QFontMetricsF, f: _Frame) -> None:
        y, x = f.y, f.x
        colour = QColor(t.link)
        path = QPainterPath()
        coords = [(x(w.astimezone().date()), y(s), s, b) for w, s, b in self.points]
        for i, (px, py, _s, _b) in enumerate(coords):
            if i == 0:
                path.moveTo(px, py)
            else:
                path.lineTo(px, py)
        p.setPen(QPen(colour, 2.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        for px, py, score, is_base in coords:
            p.setPen(QPen(QColor(t.base), 1.5))
            p.setBrush(colour)
            p.drawEllipse(QPointF(px, py), 5, 5)
            if is_base:
                p.setPen(QPen(colour, 2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(QPointF(px, py), 9, 9)
            p.setPen(QColor(t.text))
            text = str(score)
            w = fm.horizontalAdvance(text)
            p.drawText(QPointF(px - w / 2, py - 12), text)
