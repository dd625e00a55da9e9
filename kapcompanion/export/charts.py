"""Charts drawn with reportlab.graphics: session vitals and outcome measures over a course.

Both charts set their axis ranges explicitly so that overlays (threshold lines, flagged
readings, severity bands) can be placed in the same coordinates as the plotted lines.
Labels that would collide are thinned rather than drawn on top of each other; every value
is also in a table next to the chart, so nothing is lost when a label is skipped.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Circle, DirectDraw, Drawing, Line, Rect, String, _unset_
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.pdfgen.canvas import Canvas

from kapcompanion.core import wording
from kapcompanion.export.pdfkit import FLAG, FONT, INK, MUTED, RULE, register_fonts
from kapcompanion.export.pdftext import TextWriter, number

SYSTOLIC = colors.HexColor("#2f5d62")
DIASTOLIC = colors.HexColor("#5e9ea0")
HEART = colors.HexColor("#c77d2b")
SPO2 = colors.HexColor("#4a5fa8")
SCORE = colors.HexColor("#1f2933")


@dataclass
class VitalPoint:
    minutes: float  # from the dose; negative before it
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    flagged: set[str] = field(default_factory=set)  # field names that carry a flag


class Dots(DirectDraw):  # type: ignore[misc]  # reportlab has no type hints
    """The point markers of one series: circles of one size and colour.

    reportlab draws every shape of a drawing in a graphics state of its own (saved, set
    and restored); for fifty markers that was a third of the time a chart took to draw.
    This node carries the state a Circle would (the renderer sets it once, for the node)
    and draws the circles in the order they were added. In a PDF it writes the circle's
    curves once, as a form shown at each centre (in the colours and line width in force
    there); other renderers draw each as a Circle."""

    def __init__(
        self,
        r: float = 1,
        fillColor: colors.Color | None = colors.black,
        strokeColor: colors.Color | None = colors.black,
        strokeWidth: float = 1,
    ) -> None:
        # The graphics state of a Circle, in the order the renderer applies it.
        self.fillColor = fillColor
        self.fillOpacity = None
        self.strokeColor = strokeColor
        self.strokeWidth = strokeWidth
        self.strokeLineCap = 0
        self.strokeLineJoin = 0
        self.strokeMiterLimit = 0
        self.strokeDashArray = None
        self.strokeOpacity = None
        self.r = r
        self.centres: list[tuple[float, float]] = []

    def getBounds(self) -> tuple[float, float, float, float]:
        xs = [x for x, _y in self.centres] or [0.0]
        ys = [y for _x, y in self.centres] or [0.0]
        return min(xs) - self.r, min(ys) - self.r, max(xs) + self.r, max(ys) + self.r

    def drawDirectly(self, renderer: Any) -> None:
        canvas = renderer._canvas
        if not hasattr(canvas, "doForm"):  # not a PDF
            for x, y in self.centres:
                renderer.drawCircle(Circle(x, y, self.r))
            return
        fill, stroke = renderer._fill, renderer._stroke
        name = f"kap-dot-{self.r:g}-{fill:d}{stroke:d}"
        if not canvas.hasForm(name):
            edge = self.r + 4  # room for the stroke
            canvas.beginForm(name, -edge, -edge, edge, edge)
            canvas.circle(0, 0, self.r, fill=fill, stroke=stroke)
            canvas.endForm()
        # What saveState, translate, doForm and restoreState write for each centre (the
        # form changes no state the canvas tracks), without copying the canvas state.
        code = canvas._code
        do = f"/{canvas._doc.getXObjectName(name)} Do"
        for x, y in self.centres:
            code.append("q")
            code.append(f"1 0 0 1 {number(x)} {number(y)} cm")
            code.append(do)
            code.append("Q")
            canvas._formsinuse.append(name)


class TextRun(DirectDraw):  # type: ignore[misc]  # reportlab has no type hints
    """Lines of text in one font, size and colour, each at its own place, drawn in one
    text object: what a String node per line draws, without the renderer saving, setting
    up and restoring the graphics state for each. Used for the axis tick labels
    (:func:`axis_labels`) and for runs of Strings (:class:`ChartDrawing`)."""

    def __init__(self, fontName: str, fontSize: float, fillColor: colors.Color) -> None:
        # The state the renderer sets for the node, as it would for each String.
        self.fontName = fontName
        self.fontSize = fontSize
        self.fillColor = fillColor
        self.textAnchor = "start"
        self.items: list[tuple[float, float, str]] = []  # (x of the start, baseline, text)

    def getBounds(self) -> tuple[float, float, float, float]:
        boxes = [
            (x, y, x + stringWidth(t, self.fontName, self.fontSize), y + self.fontSize)
            for x, y, t in self.items
        ] or [(0.0, 0.0, 0.0, 0.0)]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def drawDirectly(self, renderer: Any) -> None:
        canvas = renderer._canvas
        if not isinstance(canvas, Canvas):  # not a PDF
            for x, y, text in self.items:
                renderer.drawString(String(x, y, text))
            return
        text = canvas.beginText()  # (in the font and colour the renderer set for the node)
        text._code = ["BT"]  # (each line is placed by the writer, as drawString places it)
        writer = TextWriter(text)
        for x, y, line in self.items:
            writer.lines(x, y, [line])
        canvas.drawText(text)


def _run_key(node: Any) -> tuple[str, float, colors.Color] | None:
    """How a String node draws, when a :class:`TextRun` can draw it the same way."""
    if (
        type(node) is not String
        or getattr(node, "textRenderMode", 0) != 0
        or node.fillColor is None
        or node.textAnchor not in ("start", "middle", "end")
        or not getFont(node.fontName)._dynamicFont
    ):
        return None
    return (node.fontName, node.fontSize, node.fillColor)


class ChartDrawing(Drawing):  # type: ignore[misc]  # reportlab has no type hints
    """A Drawing whose consecutive Strings in one font and colour (a measure chart's thirty
    score labels) are drawn as one :class:`TextRun` each, in the order they were added.
    ``contents`` keeps the Strings themselves; only what goes to the PDF is regrouped."""

    def draw(self, showBoundary: Any = _unset_) -> None:
        merged: list[Any] = []
        keys: list[Any] = []
        for node in self.contents:
            key = _run_key(node)
            if key is None:
                merged.append(node)
                keys.append(None)
                continue
            if not (keys and keys[-1] == key):
                merged.append(TextRun(*key))
                keys.append(key)
            x = node.x
            if node.textAnchor != "start":  # (as renderPDF.drawString places it)
                width = stringWidth(node.text, node.fontName, node.fontSize, node.encoding)
                x -= width * 0.5 if node.textAnchor == "middle" else width
            merged[-1].items.append((x, node.y, node.text))
        shown = copy.copy(self)
        shown.__dict__["contents"] = merged  # (the Strings stay in self.contents)
        super(ChartDrawing, shown).draw(showBoundary)


def _label_text(axis: Any, value: float) -> str:
    fmt = axis.labelTextFormat
    return str(fmt % value if isinstance(fmt, str) else fmt(value))


def axis_labels(plot: LinePlot) -> TextRun:
    """The plot's tick labels as a :class:`TextRun`, to be added right after the plot
    (whose own labels this turns off).

    A LinePlot makes a Label per tick (a widget of some thirty checked attributes, sized,
    then drawn as a translated group holding a String): half the time a chart took to
    draw. Here each label is its text at the position that Label's String lands on (for
    the settings ``_axis_fonts`` gives: no padding, angle or leading; the x axis's
    labels 5 pt below their tick, anchored at the top centre; the y axis's 5 pt left,
    anchored at the right middle). Tests compare the two."""
    xa, ya = plot.xValueAxis, plot.yValueAxis
    labels = TextRun(xa.labels.fontName, xa.labels.fontSize, xa.labels.fillColor)
    size = xa.labels.fontSize
    leading = size * 1.2  # Label: no leading set, no ascent and descent used
    baseline = leading * (1 / 1.2)
    # LinePlot puts the x axis where y is 0 when that is inside the plot, else at its foot.
    zero = _sy(plot, 0.0)
    axis_y = zero if plot.y <= zero <= plot.y + plot.height else float(plot.y)
    if xa.visibleLabels:
        for value in xa.valueSteps:
            text = _label_text(xa, value)
            if text:
                width = stringWidth(text, labels.fontName, size)
                x = _sx(plot, value) + xa.labels.dx + -width * 0.5
                labels.items.append((x, axis_y + xa.labels.dy + (0 - baseline), text))
    if ya.visibleLabels:
        for value in ya.valueSteps:
            text = _label_text(ya, value)
            if text:
                width = stringWidth(text, labels.fontName, size)
                y = _sy(plot, value) + ya.labels.dy + (0.5 * leading - baseline)
                labels.items.append((float(plot.x) + ya.labels.dx + (0 - width), y, text))
    xa.visibleLabels = ya.visibleLabels = 0
    return labels


def _nice_step(span: float, target_ticks: int = 8) -> float:
    raw = span / max(1, target_ticks)
    for step in (5, 10, 15, 30, 60, 120, 240):
        if raw <= step:
            return float(step)
    return float(math.ceil(raw / 240) * 240)


def _axis_fonts(plot: LinePlot) -> None:
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
        axis.labels.fillColor = MUTED
        axis.strokeColor = MUTED
        axis.strokeWidth = 0.5
    plot.yValueAxis.visibleGrid = 1
    plot.yValueAxis.gridStrokeColor = RULE
    plot.yValueAxis.gridStrokeWidth = 0.3


def _sx(plot: LinePlot, value: float) -> float:
    axis = plot.xValueAxis
    return float(plot.x + (value - axis.valueMin) / (axis.valueMax - axis.valueMin) * plot.width)


def _sy(plot: LinePlot, value: float) -> float:
    axis = plot.yValueAxis
    return float(plot.y + (value - axis.valueMin) / (axis.valueMax - axis.valueMin) * plot.height)


def _plot(
    x: float,
    y: float,
    width: float,
    height: float,
    xr: tuple[float, float, float],
    yr: tuple[float, float, float],
) -> LinePlot:
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = x, y, width, height
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax, _xstep = xr
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, _ystep = yr
    plot.xValueAxis.valueSteps = _steps(xr)
    plot.yValueAxis.valueSteps = _steps(yr)
    plot.xValueAxis.labelTextFormat = lambda v: f"{v:+.0f}" if v else "0"
    plot.yValueAxis.labelTextFormat = "%d"
    _axis_fonts(plot)
    return plot


def _steps(r: tuple[float, float, float]) -> list[float]:
    low, high, step = r
    out, v = [], low
    while v <= high + 1e-9:
        out.append(v)
        v += step
    return out


def _legend(d: Drawing, items: Sequence[tuple[str, colors.Color]], x: float, y: float) -> None:
    for label, colour in items:
        if colour is FLAG:
            d.add(Circle(x + 7, y + 2.5, 3, fillColor=None, strokeColor=FLAG, strokeWidth=1.2))
        else:
            d.add(Line(x, y + 2.5, x + 14, y + 2.5, strokeColor=colour, strokeWidth=1.5))
        d.add(String(x + 18, y, label, fontName=FONT, fontSize=7, fillColor=INK))
        x += 22 + len(label) * 3.9


def vitals_chart(
    points: Sequence[VitalPoint],
    width: float,
    *,
    systolic_limit: int = 160,
    spo2_limit: int = 92,
) -> Drawing | None:
    """Blood pressure and heart rate above, SpO2 below, minutes from the dose across.

    Dashed red lines mark the in-session systolic and SpO2 thresholds; flagged readings
    are ringed in red. Returns None when no reading has a value to plot.
    """
    register_fonts()
    pts = sorted(points, key=lambda p: p.minutes)
    if not any(v is not None for p in pts for v in (p.systolic, p.diastolic, p.heart_rate, p.spo2)):
        return None
    xs = [p.minutes for p in pts]
    lo, hi = min([*xs, 0.0]), max([*xs, 0.0])
    if hi - lo < 30:
        hi = lo + 30
    step = _nice_step(hi - lo)
    # A little room beyond the first and last reading, so no marker sits on an axis.
    xr = (math.floor((lo - 2) / step) * step, math.ceil((hi + 2) / step) * step, step)
    main_vals = [
        v for p in pts for v in (p.systolic, p.diastolic, p.heart_rate) if v is not None
    ] or [60, 120]
    ylo = max(0, math.floor((min(main_vals) - 10) / 20) * 20)
    yhi = math.ceil((max([*main_vals, systolic_limit]) + 10) / 20) * 20
    spo2_vals = [p.spo2 for p in pts if p.spo2 is not None] or [95]
    slo = min(88, math.floor((min(spo2_vals) - 2) / 2) * 2)
    height = 222.0
    d = ChartDrawing(width, height)
    left, right = 34.0, 10.0
    # Stacked panels sharing the x axis: the upper one hides its labels so that nothing
    # collides with the lower panel's title; the x labels sit under the SpO2 panel only.
    top = _plot(left, 102, width - left - right, 104, xr, (ylo, yhi, 20))
    top.xValueAxis.visibleLabels = 0
    sstep = max(2, math.ceil((100 - slo) / 8) * 2)  # at most about four intervals
    slo = 100 - math.ceil((100 - slo) / sstep) * sstep
    bottom = _plot(left, 36, width - left - right, 46, xr, (slo, 100, sstep))
    series = [
        ("systolic", SYSTOLIC, top),
        ("diastolic", DIASTOLIC, top),
        ("heart_rate", HEART, top),
        ("spo2", SPO2, bottom),
    ]
    for plot in (top, bottom):
        lines = [
            [(p.minutes, float(getattr(p, name))) for p in pts if getattr(p, name) is not None]
            for name, _c, owner in series
            if owner is plot
        ]
        colours = [c for name, c, owner in series if owner is plot]
        kept = [(ln, c) for ln, c in zip(lines, colours, strict=True) if ln]
        if not kept:
            plot.data = [[(xr[0], -1e9)]]  # keep the axes; nothing visible
            plot.lines[0].strokeColor = colors.transparent
        else:
            plot.data = [ln for ln, _c in kept]
            for index, (_ln, colour) in enumerate(kept):
                plot.lines[index].strokeColor = colour
                plot.lines[index].strokeWidth = 1.3
        d.add(plot)
        d.add(axis_labels(plot))
        # Markers drawn here, not by LinePlot: it skips a series of a single reading.
        for ln, colour in kept:
            dots = Dots(1.8, fillColor=colour, strokeColor=colour, strokeWidth=0.5)
            dots.centres = [(_sx(plot, mx), _sy(plot, my)) for mx, my in ln]
            d.add(dots)
    # Reference lines: the dose, and the thresholds.
    for plot in (top, bottom):
        x0 = _sx(plot, 0.0)
        d.add(
            Line(
                x0,
                plot.y,
                x0,
                plot.y + plot.height,
                strokeColor=MUTED,
                strokeWidth=0.6,
                strokeDashArray=[1, 2],
            )
        )
    d.add(
        String(
            _sx(top, 0.0) + 2,
            top.y + top.height - 8,
            "dose",
            fontName=FONT,
            fontSize=6.5,
            fillColor=MUTED,
        )
    )
    for plot, limit, label in (
        (top, systolic_limit, f"systolic {systolic_limit}"),
        (bottom, spo2_limit, f"SpO2 {spo2_limit}%"),
    ):
        if plot.yValueAxis.valueMin <= limit <= plot.yValueAxis.valueMax:
            yy = _sy(plot, limit)
            d.add(
                Line(
                    plot.x,
                    yy,
                    plot.x + plot.width,
                    yy,
                    strokeColor=FLAG,
                    strokeWidth=0.6,
                    strokeDashArray=[3, 2],
                )
            )
            d.add(
                String(
                    plot.x + plot.width - 2,
                    yy + 2,
                    label,
                    fontName=FONT,
                    fontSize=6,
                    fillColor=FLAG,
                    textAnchor="end",
                )
            )
    for p in pts:
        for name, _colour, plot in series:
            value = getattr(p, name)
            if name in p.flagged and value is not None:
                d.add(
                    Circle(
                        _sx(plot, p.minutes),
                        _sy(plot, value),
                        4.2,
                        fillColor=None,
                        strokeColor=FLAG,
                        strokeWidth=1.2,
                    )
                )
    d.add(
        String(
            left - 28,
            top.y + top.height + 7,
            "mmHg / bpm",
            fontName=FONT,
            fontSize=6.5,
            fillColor=MUTED,
        )
    )
    d.add(
        String(
            left - 28,
            bottom.y + bottom.height + 4,
            "SpO2 %",
            fontName=FONT,
            fontSize=6.5,
            fillColor=MUTED,
        )
    )
    d.add(
        String(
            left + (width - left - right) / 2,
            15,
            "minutes from the dose",
            fontName=FONT,
            fontSize=6.5,
            fillColor=MUTED,
            textAnchor="middle",
        )
    )
    _legend(
        d,
        [
            ("Systolic", SYSTOLIC),
            ("Diastolic", DIASTOLIC),
            ("Heart rate", HEART),
            ("SpO2", SPO2),
            ("Flagged reading", FLAG),
        ],
        left,
        1,
    )
    return d


# --------------------------------------------------------------------------- measures
BAND_COLOURS = (
    colors.HexColor("#e4f2e7"),
    colors.HexColor("#f1f4dc"),
    colors.HexColor("#fbf0d6"),
    colors.HexColor("#fbe2d2"),
    colors.HexColor("#f7d4d0"),
)


def band_colour(index: int, count: int) -> colors.Color:
    """Green for the lowest band to red for the highest, spread over the palette."""
    if count <= 1:
        return BAND_COLOURS[0]
    pos = round(index * (len(BAND_COLOURS) - 1) / (count - 1))
    return BAND_COLOURS[pos]


def score_ticks(low: int, high: int) -> list[float]:
    """Both ends of the scale and round numbers between them (none crowding an end)."""
    span = high - low
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50) if s >= span / 6), 100)
    ticks = [float(low)]
    value = (low // step + 1) * step
    while value < high:
        if value - low >= step / 2 and high - value >= step / 2:
            ticks.append(float(value))
        value += step
    ticks.append(float(high))
    return ticks


def _date_label(when: datetime, with_year: bool) -> str:
    return wording.chart_day(when, with_year)


def measure_chart(
    points: Sequence[tuple[datetime, int]],
    min_score: int,
    max_score: int,
    bands: Sequence[tuple[int, int, str]],
    width: float,
    height: float = 130.0,
) -> Drawing | None:
    """Scores over time on the instrument's full range, with its severity bands shaded."""
    register_fonts()
    pts = sorted(points, key=lambda p: p[0])
    if not pts or max_score <= min_score:
        return None
    t0 = pts[0][0]
    days = [(when - t0).total_seconds() / 86400.0 for when, _s in pts]
    span = max(days[-1], 1.0)
    pad = span * 0.04 + 0.5
    d = ChartDrawing(width, height)
    left, right, bottom_pad = 30.0, 34.0, 22.0
    plot = LinePlot()
    plot.x, plot.y = left, bottom_pad
    plot.width, plot.height = width - left - right, height - bottom_pad - 8
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = -pad, span + pad
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = min_score, max_score
    plot.yValueAxis.valueSteps = score_ticks(min_score, max_score)
    plot.yValueAxis.labelTextFormat = "%d"
    _axis_fonts(plot)
    plot.yValueAxis.visibleGrid = 0
    # Date ticks at the data points, thinned so that labels never overlap.
    with_year = pts[0][0].year != pts[-1][0].year
    chosen: list[float] = []
    min_gap = 44.0 if with_year else 34.0
    scale = plot.width / (plot.xValueAxis.valueMax - plot.xValueAxis.valueMin)
    for day in days:
        if not chosen or (day - chosen[-1]) * scale >= min_gap:
            chosen.append(day)
    # Prefer showing the latest date: swap it in for the last tick when it fits.
    if len(chosen) > 1 and days[-1] not in chosen and (days[-1] - chosen[-2]) * scale >= min_gap:
        chosen[-1] = days[-1]
    by_day = {day: when for day, (when, _s) in zip(days, pts, strict=True)}
    plot.xValueAxis.valueSteps = chosen
    plot.xValueAxis.labelTextFormat = lambda v: _date_label(by_day.get(v, t0), with_year)
    plot.data = [[(day, float(s)) for day, (_w, s) in zip(days, pts, strict=True)]]
    line = plot.lines[0]
    line.strokeColor = SCORE
    line.strokeWidth = 1.4
    # Severity bands behind the line (inclusive integer bands: boundaries at the halves).
    for index, (lower, upper, _label) in enumerate(bands):
        y0 = _sy(plot, max(min_score, lower - 0.5))
        y1 = _sy(plot, min(max_score, upper + 0.5))
        d.add(
            Rect(
                plot.x,
                y0,
                plot.width,
                y1 - y0,
                fillColor=band_colour(index, len(bands)),
                strokeColor=None,
            )
        )
        if y1 - y0 >= 8:
            d.add(
                String(
                    plot.x + plot.width + 3,
                    (y0 + y1) / 2 - 2.5,
                    f"{lower}-{upper}",
                    fontName=FONT,
                    fontSize=6,
                    fillColor=MUTED,
                )
            )
    d.add(plot)
    d.add(axis_labels(plot))
    dots = Dots(2.2, fillColor=SCORE, strokeColor=SCORE)  # markers (LinePlot skips one point)
    dots.centres = [(_sx(plot, day), _sy(plot, s)) for day, (_w, s) in zip(days, pts, strict=True)]
    d.add(dots)
    last_x = -1e9
    for day, (_w, s) in zip(days, pts, strict=True):
        x = _sx(plot, day)
        if x - last_x >= 14:
            y = _sy(plot, s)
            y = y + 4 if y + 12 <= height else y - 10  # below the point at the very top
            d.add(
                String(
                    x, y, str(s), fontName=FONT, fontSize=6.5, fillColor=INK, textAnchor="middle"
                )
            )
            last_x = x
    return d
