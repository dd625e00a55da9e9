"""The exporter's quicker ways of writing PDF operators write what reportlab writes.

Table text (``pdftext.TextWriter``), the record canvas (``pdfkit.FastCanvas``: rules,
rectangles, widths, colours, transforms, chart strings) and the charts' axis labels
(``charts.axis_labels``) replace reportlab calls that were most of an export's time. Each
is held here to the reportlab call it replaces: the same operators, token for token, or
for the axis labels the same text at the same place as LinePlot's own Labels.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.graphics import renderPDF
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Group, String, UserNode
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from kapcompanion.export import pdfkit as pk
from kapcompanion.export.charts import (
    TextRun,
    VitalPoint,
    axis_labels,
    measure_chart,
    vitals_chart,
)
from kapcompanion.export.pdftext import TextWriter

PDFTOPPM = shutil.which("pdftoppm") or "pdftoppm"

# Characters a cell may hold: ASCII with the three PDF string escapes, Latin-1 (escaped as
# octal), Greek and Cyrillic (beyond the first 256 codes a subset holds), a no-break space
# (read as a space by reportlab), a CJK ideograph (no glyph in DejaVu Sans).
ALPHABET = "aZ09 ()\\/%<>&éÿœΔημДм\u00a0王▲"


def _both() -> tuple[Canvas, Canvas]:
    pk.register_fonts()
    return Canvas(io.BytesIO()), pk.FastCanvas(io.BytesIO())


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.lists(st.text(alphabet=ALPHABET, max_size=30), min_size=1, max_size=3),
            st.sampled_from([pk.FONT, pk.FONT_BOLD]),
            st.sampled_from([8.5, 7.5]),
            st.floats(min_value=-50, max_value=600, allow_nan=False),
            st.floats(min_value=-50, max_value=900, allow_nan=False),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_text_writer_writes_what_textline_writes(cells: list[Any]) -> None:
    plain, fast = _both()
    ref, new = plain.beginText(), fast.beginText()
    writer = TextWriter(new)
    for lines, font, size, x, y in cells:
        for text in (ref, new):
            text.setFont(font, size, size * 1.25)
        writer.fill(pk.INK)
        ref.setFillColor(pk.INK)
        ref.setTextOrigin(x, y)
        for line in lines:
            ref.textLine(line)
        writer.lines(x, y, lines)
    assert new._code == ref._code
    assert (new._x, new._y, new._curSubset) == (ref._x, ref._y, ref._curSubset)


def test_text_writer_learns_new_characters_in_the_documents_order() -> None:
    """Two documents assign codes in the order they meet characters; each writer uses its
    own document's codes (a code learnt in one must not leak into the other)."""
    first, second = pk.FastCanvas(io.BytesIO()), pk.FastCanvas(io.BytesIO())
    pk.register_fonts()
    for canvas, text in ((first, "zyx"), (second, "xyz")):
        t = canvas.beginText()
        t.setFont(pk.FONT, 8)
        TextWriter(t).lines(0, 0, [text, "xyz"])
        reference = Canvas(io.BytesIO()).beginText()
        reference.setFont(pk.FONT, 8)
        reference.setTextOrigin(0, 0)
        reference.textLine(text)
        reference.textLine("xyz")
        assert t._code == reference._code


def test_text_writer_past_the_first_subset() -> None:
    """A font subset holds 256 codes; text with more characters uses the next subset, whose
    font the writer switches to and back from as reportlab does."""
    many = [chr(cp) for cp in (*range(0x100, 0x180), *range(0x410, 0x450), *range(0x391, 0x3A2))]
    many += [chr(cp) for cp in range(0x21, 0x7F)]
    assert len(many) > 256
    lines = ["".join(many[i : i + 23]) for i in range(0, len(many), 23)]
    lines += ["plain ascii", lines[-1], "Ā ascii ѐ", lines[0]]
    plain, fast = _both()
    ref, new = plain.beginText(), fast.beginText()
    for text in (ref, new):
        text.setFont(pk.FONT, 8)
    for _round in range(2):  # the second time every character is known
        ref.setTextOrigin(10, 700)
        for line in lines:
            ref.textLine(line)
        TextWriter(new).lines(10, 700, lines)
    assert any("+1 8 Tf" in code for code in new._code)  # (subset 1 of the font)
    assert new._code == ref._code


def _operations(canvas: Canvas) -> list[Any]:
    canvas.setFont(pk.FONT, 7)
    canvas.line(1.25, 2, 300.3333333, 2.5e-8)
    canvas.rect(10, 20.125, 30.5, -4.75, stroke=0, fill=1)
    canvas.rect(0, 0, 1, 1)
    canvas.setLineWidth(0.25)
    canvas.setFillColor(pk.STRIPE)
    canvas.setStrokeColor(pk.RULE)
    canvas.setFillColor(colors.Color(0.2, 0.4, 0.6, alpha=0.5))
    canvas.setFillColor(colors.CMYKColor(0.1, 0.2, 0.3, 0.4))
    canvas.setStrokeColor(colors.transparent)
    canvas.setFillColor("red")
    canvas.saveState()
    canvas.translate(12.5, 700.125)
    canvas.translate(1, 2)  # merged into the previous cm, as reportlab does
    canvas.transform(0.5, 0, 0, 0.5, 3, 4)
    canvas.drawString(5.5, 6.75, "Zoë (3) \\ Δ")
    canvas.restoreState()
    canvas.saveState()
    canvas.scale(2, 2)
    canvas.drawString(1, 1, "wide", charSpace=1)
    canvas.setFont("Helvetica", 9)
    canvas.drawString(1, 1, "Type 1")
    canvas.restoreState()
    return [*canvas._code, canvas._currentMatrix, canvas._lineWidth]


def test_record_canvas_writes_what_a_canvas_writes() -> None:
    plain, fast = _both()
    assert _operations(fast) == _operations(plain)


def _strings(node: Any, matrix: tuple[float, ...] = (1, 0, 0, 1, 0, 0)) -> list[Any]:
    """Every String under ``node`` at its place on the page (walking group transforms)."""
    out = []
    if isinstance(node, UserNode):  # a widget such as a Label: what it draws
        return _strings(node.provideNode(), matrix)
    if isinstance(node, Group):
        a, b, c, d, e, f = matrix
        a2, b2, c2, d2, e2, f2 = node.transform
        inner = (
            a * a2 + c * b2,
            b * a2 + d * b2,
            a * c2 + c * d2,
            b * c2 + d * d2,
            a * e2 + c * f2 + e,
            b * e2 + d * f2 + f,
        )
        for child in node.contents:
            out += _strings(child, inner)
    elif isinstance(node, String):
        assert node.textAnchor == "start"
        a, b, c, d, e, f = matrix
        out.append((a * node.x + c * node.y + e, b * node.x + d * node.y + f, node.text))
    return out


def _check_labels(plot: LinePlot) -> None:
    plot.xValueAxis.visibleLabels = plot.yValueAxis.visibleLabels = 1
    theirs = _strings(plot.draw())  # (drawing changes none of what axis_labels reads)
    ours = axis_labels(plot).items
    assert len(theirs) == len(ours) > 4
    for (x1, y1, t1), (x2, y2, t2) in zip(sorted(theirs), sorted(ours), strict=True):
        assert t1 == t2
        assert abs(x1 - x2) < 1e-9 and abs(y1 - y2) < 1e-9
    assert plot.xValueAxis.visibleLabels == plot.yValueAxis.visibleLabels == 0


def test_axis_labels_sit_where_lineplot_puts_its_labels() -> None:
    start = datetime(2025, 1, 6, tzinfo=UTC)
    points = [(start + timedelta(days=9 * i), (i * 7) % 28) for i in range(14)]
    bands = [(0, 4, "minimal"), (5, 9, "mild"), (10, 27, "more")]
    measure = measure_chart(points, 0, 27, bands, 480)
    vitals = vitals_chart(
        [VitalPoint(-10, 128, 82, 72, 98), VitalPoint(95, 171, 99, 64, 90, {"spo2"})], 490
    )
    assert measure is not None and vitals is not None
    plots = [c for d in (measure, vitals) for c in d.contents if isinstance(c, LinePlot)]
    assert len(plots) == 3
    for plot in plots:
        _check_labels(plot)


def _charts() -> list[Any]:
    start = datetime(2025, 1, 6, tzinfo=UTC)
    points = [(start + timedelta(days=4 * i), (i * 5) % 28) for i in range(40)]
    bands = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 27, "severe")]
    vitals = [
        VitalPoint(m, 120 + m % 50, 80 + m % 20, 70 + m % 30, 99 - m % 9, {"spo2"} if m else set())
        for m in range(-15, 200, 12)
    ]
    charts = [measure_chart(points, 0, 27, bands, 480), vitals_chart(vitals, 490)]
    assert all(c is not None for c in charts)
    return charts


def _chart_page(path: Path, fast: bool) -> tuple[bytes, str]:
    """The two charts on a page: as exported, or as reportlab alone draws them (a plain
    canvas, LinePlot's own axis labels, every String its own node)."""
    pdf = path / f"{'fast' if fast else 'plain'}.pdf"
    canvas = (pk.FastCanvas if fast else Canvas)(str(pdf))
    with pk.lean_reportlab():
        y = 800.0
        for chart in _charts():
            y -= chart.height + 30
            if fast:
                chart.drawOn(canvas, 40, y)
                continue
            plots = [c for c in chart.contents if isinstance(c, LinePlot)]
            for index, plot in enumerate(plots):
                plot.yValueAxis.visibleLabels = 1
                plot.xValueAxis.visibleLabels = int(index == len(plots) - 1)  # (shared x)
            chart.contents = [c for c in chart.contents if not isinstance(c, TextRun)]
            renderPDF.draw(chart, canvas, 40, y)
        canvas.save()
    subprocess.run([PDFTOPPM, "-r", "100", "-gray", str(pdf), str(path / pdf.stem)], check=True)
    pixels = b"".join(p.read_bytes() for p in sorted(path.glob(f"{pdf.stem}-*.pgm")))
    return pixels, "".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_charts_look_as_reportlab_alone_draws_them(tmp_path: Path) -> None:
    fast, plain = _chart_page(tmp_path, True), _chart_page(tmp_path, False)
    assert "minutes from the dose" in plain[1] and "Jan" in plain[1]
    assert fast[1] == plain[1]
    assert fast[0] == plain[0]
