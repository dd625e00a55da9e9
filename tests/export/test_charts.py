"""Chart geometry: labels that never overlap, bands that tile the scale, flags ringed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations, pairwise

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Circle, Drawing, Rect, String
from reportlab.pdfbase.pdfmetrics import stringWidth

from kapcompanion.export.charts import VitalPoint, measure_chart, vitals_chart
from kapcompanion.export.pdfkit import FLAG

PHQ9_BANDS = [
    (0, 4, "minimal"),
    (5, 9, "mild"),
    (10, 14, "moderate"),
    (15, 19, "moderately severe"),
    (20, 27, "severe"),
]


def _boxes(d: Drawing) -> list[tuple[float, float, float, float, str]]:
    out = []
    for s in d.contents:
        if isinstance(s, String):
            w = stringWidth(s.text, s.fontName, s.fontSize)
            x0 = {"start": s.x, "middle": s.x - w / 2, "end": s.x - w}[s.textAnchor]
            out.append((x0, s.y, x0 + w, s.y + s.fontSize * 0.8, s.text))
    return out


def _overlapping(d: Drawing) -> list[tuple[str, str]]:
    bad = []
    for a, b in combinations(_boxes(d), 2):
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
            bad.append((a[4], b[4]))
    return bad


def _plot(d: Drawing) -> LinePlot:
    return next(c for c in d.contents if isinstance(c, LinePlot))


def test_measure_chart_thins_crowded_labels() -> None:
    start = datetime(2025, 1, 6, tzinfo=UTC)
    # Weekly forms, then three on consecutive days: the labels would collide.
    points = [(start + timedelta(days=7 * i), 20 - i) for i in range(12)]
    points += [(start + timedelta(days=78 + i), 9 + i) for i in range(3)]
    d = measure_chart(points, 0, 27, PHQ9_BANDS, 480)
    assert d is not None
    assert _overlapping(d) == []
    plot = _plot(d)
    steps = plot.xValueAxis.valueSteps
    scale = plot.width / (plot.xValueAxis.valueMax - plot.xValueAxis.valueMin)
    assert len(steps) >= 4
    assert all((b - a) * scale >= 34 for a, b in pairwise(steps))
    assert plot.yValueAxis.valueMin == 0 and plot.yValueAxis.valueMax == 27


def test_measure_bands_tile_the_scale_in_order() -> None:
    start = datetime(2025, 1, 6, tzinfo=UTC)
    d = measure_chart([(start, 19), (start + timedelta(days=30), 6)], 0, 27, PHQ9_BANDS, 480)
    assert d is not None
    rects = [c for c in d.contents if isinstance(c, Rect)]
    assert len(rects) == len(PHQ9_BANDS)
    plot = _plot(d)
    assert rects[0].y == plot.y
    for lower, upper in pairwise(rects):
        assert abs(lower.y + lower.height - upper.y) < 1e-6
    assert abs(rects[-1].y + rects[-1].height - (plot.y + plot.height)) < 1e-6
    # 15-19 "moderately severe" spans 5 of the 28 points of the 0-27 scale.
    assert abs(rects[3].height - plot.height * 5 / 27) < 1e-6


def test_measure_chart_needs_points() -> None:
    assert measure_chart([], 0, 27, PHQ9_BANDS, 480) is None


def test_vitals_chart_rings_flagged_values_and_labels_do_not_overlap() -> None:
    points = [
        VitalPoint(-10, 128, 82, 72, 98),
        VitalPoint(15, 164, 102, 96, 97, {"systolic", "diastolic"}),
        VitalPoint(30, 138, 88, 84, 91, {"spo2"}),
        VitalPoint(60, 124, 80, 74, 98),
    ]
    d = vitals_chart(points, 490)
    assert d is not None
    assert _overlapping(d) == []
    rings = [c for c in d.contents if isinstance(c, Circle) and c.strokeColor == FLAG]
    assert len(rings) == 3 + 1  # three flagged values and the legend's sample
    plots = [c for c in d.contents if isinstance(c, LinePlot)]
    assert len(plots) == 2
    assert plots[0].xValueAxis.visibleLabels == 0  # shared axis: labels only below
    assert plots[1].yValueAxis.valueMax == 100 and plots[1].yValueAxis.valueMin <= 88


def test_vitals_chart_without_values_is_none() -> None:
    assert vitals_chart([VitalPoint(0)], 490) is None
