"""Tables for records: label/value tables and grids with flagged cells.

Cells hold user text of any length, but a table row that must be split across pages is
re-measured from the start at every split (quadratic in its length: a 20,000-character
note in one cell takes tens of seconds, 100 KB minutes). So a cell keeps at most
:data:`CELL_LIMIT` characters; the rest of that row's text continues in ordinary
paragraphs right under the row, and the table resumes (header repeated) after them.
Reading order and every character are kept.

Most cells are a few plain words. Such a cell is a string, broken into lines as its
Paragraph would be and drawn in its style's font (:func:`plain.plain_lines` says when
that looks exactly like the Paragraph), because laying out a Paragraph per cell was most
of the time an export took.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, TypeAlias

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle
from reportlab.platypus.tables import CellStyle

from kapcompanion.export.pdfkit import (
    ACCENT,
    FLAG_BG,
    FLAG_MARK,
    HEAD_BG,
    RULE,
    STRIPE,
    chunks,
    para,
    styles,
)
from kapcompanion.export.pdftext import TextWriter
from kapcompanion.export.plain import plain_lines

CELL_LIMIT = 1500
_CHUNK = 1500  # the size of the paragraphs long text is cut into

#: Text in styles, e.g. the event text and then its correction in bold.
Rich: TypeAlias = list[tuple[str, ParagraphStyle]]
Cell: TypeAlias = str | Rich | Flowable | None
#: How a cell is drawn: in this style when it is a plain string, None for flowables.
Font: TypeAlias = ParagraphStyle | None
Overflow: TypeAlias = list[tuple[str, ParagraphStyle]]


class Plain(str):
    """A cell's text as the lines it is drawn in, remembering the text and style its
    Paragraph is made from."""

    source: str
    style: ParagraphStyle

    def paragraph(self) -> Flowable:
        return para(self.source, self.style)


@lru_cache(maxsize=4096)  # the same few words fill many cells: "ended", "No", units, dates
def _plain(source: str, style: ParagraphStyle, width: float) -> Plain | None:
    """``source`` as a string cell ``width`` points wide, or None (then a Paragraph).
    A Plain is never changed once made, so equal cells share one."""
    lines = plain_lines(source, style, width) if source else ""
    if lines is None:
        return None
    cell = Plain(lines)
    cell.source, cell.style = source, style
    return cell


class RecordTable(Table):  # type: ignore[misc]  # reportlab has no type hints
    """A Table that draws its string cells cheaply and splits rows as with Paragraphs.

    Drawing: consecutive string cells go into one PDF text object (reportlab makes one
    per cell, and measures each string it draws), at the positions and in the order
    reportlab draws them, so the page and the text order stay as they were.

    Splitting: before a row is split across pages its string cells become their
    Paragraphs again. reportlab splits a string cell by other rules than a Paragraph
    (line height 1.2 x font size, no widow and orphan control), and the page must break
    just where it did when every cell was a Paragraph. Only the row being split changes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: list[tuple[Plain, float, float]] = []

    def _splitRows(self, availHeight: float, doInRowSplit: int = 0) -> Any:
        if doInRowSplit:  # the row reportlab is about to split, found as it finds it
            n = self._getFirstPossibleSplitRowPosition(availHeight, ignoreSpans=doInRowSplit)
            head = self.repeatRows
            head = head if isinstance(head, int) else max(head) + 1  # (it splits no header)
            row = self._cellvalues[n] if head <= n < len(self._cellvalues) else []
            for c, value in enumerate(row):
                if isinstance(value, Plain):
                    row[c] = self._cellListProcess(value.paragraph(), self._colWidths[c], None)
        return super()._splitRows(availHeight, doInRowSplit)

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: Any, size: Any) -> None:
        if not isinstance(cellval, Plain):
            self._draw_pending()
            super()._drawCell(cellval, cellstyle, pos, size)
        elif cellstyle.alignment != "LEFT" or cellstyle.valign not in ("TOP", "BOTTOM"):
            self._draw_pending()  # (no table here aligns so; its Paragraph then)
            cell = self._cellListProcess(cellval.paragraph(), size[0], None)
            super()._drawCell(cell, cellstyle, pos, size)
        elif cellval:  # the first baseline where Table._drawCell and a Paragraph put it
            style = cellval.style
            x = pos[0] + cellstyle.leftPadding
            if cellstyle.valign == "TOP":
                y = pos[1] + size[1] - cellstyle.topPadding - style.fontSize
            else:
                lines = cellval.count("\n") + 1
                y = pos[1] + cellstyle.bottomPadding + lines * style.leading - style.fontSize
            self._pending.append((cellval, x, y))

    def _drawLines(self) -> None:
        self._draw_pending()
        super()._drawLines()

    def _draw_pending(self) -> None:
        """The string cells met since the last flowable cell, in one text object, each
        in its Paragraph style's font and colour."""
        if not self._pending:
            return
        text = self.canv.beginText()
        writer = TextWriter(text)
        font: tuple[str, float, float] | None = None
        colour = None
        for cell, x, y in self._pending:
            style = cell.style
            if (style.fontName, style.fontSize, style.leading) != font:
                font = (style.fontName, style.fontSize, style.leading)
                text.setFont(*font)  # (the text leading moves each line down by the next)
            if style.textColor is not colour:
                colour = style.textColor
                writer.fill(colour)
            writer.lines(x, y, cell.split("\n"))  # = text.setTextOrigin(x, y), textLine...
        self.canv.drawText(text)
        self._pending = []


_PAD_X = 3


def _cell_styles(
    fonts: Sequence[Sequence[Font]], bottom_rows: Iterable[int] = ()
) -> list[list[CellStyle]]:
    """The cell styles of a table: text at the top, 3 pt either side, 2.5 above, 3 below,
    and each string cell's leading (from which the Table works out the row's height; the
    cells draw themselves in their own style).

    Cells that look alike share one CellStyle: setting these through TableStyle commands
    touched every cell's own style seven times, a noticeable part of building a table.
    (reportlab changes a shared style in place only when it splits a row of a cell
    aligned to the MIDDLE, which no table here is.)"""
    base = CellStyle("kap-cell")
    base.valign = "TOP"
    base.topPadding, base.bottomPadding = 2.5, 3
    base.leftPadding = base.rightPadding = _PAD_X
    base.leading = styles().cell.leading
    bottom = base.copy()
    bottom.valign = "BOTTOM"
    low = set(bottom_rows)
    out: list[list[CellStyle]] = []
    for r, row in enumerate(fonts):
        row_style = bottom if r in low else base
        cells = []
        for font in row:
            cell = row_style
            if font is not None and font.leading != base.leading:
                cell = row_style.copy()
                cell.leading = font.leading
            cells.append(cell)
        out.append(cells)
    return out


def _row_heights(
    rows: Sequence[Sequence[Any]], cell_styles: Sequence[Sequence[CellStyle]]
) -> list[float | None]:
    """The height of each row whose cells are all strings, worked out as the Table would
    (lines x leading + padding); None for rows it must measure. Measuring a long table
    again at every page it runs onto was a noticeable part of the layout."""
    heights: list[float | None] = []
    for row, row_styles in zip(rows, cell_styles, strict=True):
        height: float | None = 0
        for value, style in zip(row, row_styles, strict=True):
            if not isinstance(value, Plain):
                height = None
                break
            t = style.leading * (value.count("\n") + 1)
            t += style.bottomPadding + style.topPadding
            height = max(height, t)
        heights.append(height)
    return heights


def _bounded(value: Cell, style: ParagraphStyle, width: float) -> tuple[Any, Font, Overflow]:
    """The cell's content (at most CELL_LIMIT characters), its font and the pieces that
    overflow. ``width`` is the column's width for text (padding taken off)."""
    if value is None:
        return _plain("", style, width), style, []
    if isinstance(value, Flowable):
        return value, None, []
    if isinstance(value, str) and len(value) <= _CHUNK and value.isprintable():
        pieces = [(value, style)] if value.strip() else []  # what chunks() would give
    else:
        parts: Rich = [(value, style)] if isinstance(value, str) else value
        pieces = [(piece, st) for text, st in parts for piece in chunks(text, _CHUNK)]
    if not pieces:
        return _plain("", style, width), style, []
    if len(pieces) == 1:
        cell = _plain(pieces[0][0], pieces[0][1], width)
        if cell is not None:
            return cell, pieces[0][1], []
    kept: list[Flowable] = []
    size = 0
    for piece, st in pieces:
        if kept and size + len(piece) > CELL_LIMIT:
            break
        kept.append(para(piece, st))
        size += len(piece)
    overflow = pieces[len(kept) :]
    if overflow:
        kept.append(para("(continued below the table)", styles().small))
    return (kept[0] if len(kept) == 1 else kept), None, overflow


def _label(text: str, style: ParagraphStyle, width: float) -> tuple[Any, Font, Overflow]:
    """A label or column heading: all of it in one cell, as a Paragraph unless it fits."""
    cell = _plain(text, style, width)
    return (cell, style, []) if cell is not None else (para(text, style), None, [])


def _row(
    cells: Sequence[tuple[Any, Font, Overflow]],
) -> tuple[list[Any], list[Font], list[Overflow]]:
    """A table row from its cells, each as (content, font, overflow).

    An empty cell is an empty string, which the Table counts as one line high: never
    taller than a plain-string neighbour, but a row without one keeps the empty
    Paragraphs (no height) it always had, so every row keeps its height."""
    values = [cell for cell, _f, _o in cells]
    fonts = [font for _c, font, _o in cells]
    if not any(isinstance(v, str) and v for v in values):
        for index, (value, font) in enumerate(zip(values, fonts, strict=True)):
            if value == "" and font is not None:
                values[index], fonts[index] = para("", font), None
    return values, fonts, [more for _c, _f, more in cells]


def _continuation(label: str, pieces: Overflow) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [para(f"{label}, continued:", st.small)]
    for piece, style in pieces:
        cont = ParagraphStyle(f"{style.name}-cont", parent=style, leftIndent=14, spaceAfter=2)
        out.append(para(piece, cont))
    return out


def _segments(
    rows: list[list[Any]],
    overflows: list[list[Flowable]],
    make: Any,
) -> list[Flowable]:
    """Tables of consecutive rows, broken after each row whose text overflowed."""
    out: list[Flowable] = []
    start = 0
    for index, extra in enumerate(overflows):
        if extra:
            out.append(make(rows[start : index + 1], start))
            out.extend(extra)
            start = index + 1
    if start < len(rows):
        out.append(make(rows[start:], start))
    return out


def kv_table(
    rows: Sequence[tuple[str, Cell]], width: float, label_width: float = 44 * mm
) -> list[Flowable]:
    """Label and value pairs, labels bold; long values continue under the table."""
    st = styles()
    widths = [label_width, width - label_width]
    data: list[list[Any]] = []
    fonts: list[list[Font]] = []
    overflows: list[list[Flowable]] = []
    for label, value in rows or [("", "")]:
        values, row_fonts, more = _row(
            [
                _label(label, st.cell_bold, widths[0] - 2 * _PAD_X),
                _bounded(value, st.cell, widths[1] - 2 * _PAD_X),
            ]
        )
        data.append(values)
        fonts.append(row_fonts)
        overflows.append(_continuation(label, more[1]) if more[1] else [])

    def make(part: list[list[Any]], start: int) -> Table:
        cell_styles = _cell_styles(fonts[start : start + len(part)])
        table = RecordTable(
            part,
            colWidths=widths,
            rowHeights=_row_heights(part, cell_styles),
            splitInRow=1,
            hAlign="LEFT",
            spaceAfter=5,
            cellStyles=cell_styles,
        )
        table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE)]))
        return table

    return _segments(data, overflows, make)


def grid(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    widths: Sequence[float],
    *,
    flagged: Iterable[tuple[int, int]] = (),
    bold_cols: Iterable[int] = (),
    empty: str = "None recorded.",
) -> list[Flowable]:
    """A table with a repeated header row, zebra stripes and flagged cells marked.

    ``flagged`` holds (row, column) indexes into ``rows``: those cells are drawn bold red
    on a light red ground and prefixed with a mark, so a flag survives black-and-white
    printing and text extraction.
    """
    st = styles()
    if not rows:
        return [para(empty, st.muted)]
    marks = set(flagged)
    bold = set(bold_cols)
    inner = [w - 2 * _PAD_X for w in widths]
    header = [*header, *[""] * (len(inner) - len(header))]  # (a Table pads short rows)
    head, head_fonts, _none = _row(
        [_label(h, st.cell_head, w) for h, w in zip(header, inner, strict=False)]
    )
    data: list[list[Any]] = []
    fonts: list[list[Font]] = []
    overflows: list[list[Flowable]] = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            if (r, c) in marks and isinstance(value, str):
                cells.append(_bounded(f"{FLAG_MARK} {value}", st.cell_flag, inner[c]))
            else:
                cells.append(_bounded(value, st.cell_bold if c in bold else st.cell, inner[c]))
        values, row_fonts, more = _row(cells)
        extra: list[Flowable] = []
        for c, pieces in enumerate(more):
            if pieces:
                label = header[c] if c < len(header) and header[c] else "Text"
                extra += _continuation(label, pieces)
        data.append(values)
        fonts.append(row_fonts)
        overflows.append(extra)

    def make(part: list[list[Any]], start: int) -> Table:
        commands: list[tuple[Any, ...]] = [
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, ACCENT),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ]
        for offset in range(len(part)):
            if (start + offset) % 2 == 1:
                commands.append(("BACKGROUND", (0, offset + 1), (-1, offset + 1), STRIPE))
        for r, c in marks:
            if start <= r < start + len(part):
                commands.append(("BACKGROUND", (c, r - start + 1), (c, r - start + 1), FLAG_BG))
        rows = [head, *part]
        cell_styles = _cell_styles([head_fonts, *fonts[start : start + len(part)]])
        table = RecordTable(
            rows,
            colWidths=list(widths),
            rowHeights=_row_heights(rows, cell_styles),
            repeatRows=1,
            splitInRow=1,
            hAlign="LEFT",
            spaceAfter=5,
            cellStyles=cell_styles,
        )
        table.setStyle(TableStyle(commands))
        return table

    return _segments(data, overflows, make)


def signature_table(
    rows: Sequence[tuple[str, str]],
    width: float,
    label_width: float,
    tall: Iterable[int],
    tall_height: float,
) -> Table:
    """Label/value rows where the ``tall`` rows leave room for a handwritten entry."""
    st = styles()
    inner = [label_width - 2 * _PAD_X, width - label_width - 2 * _PAD_X]
    data, fonts = [], []
    for label, value in rows:
        values, row_fonts, _none = _row(
            [_label(label, st.cell_bold, inner[0]), _label(value, st.cell, inner[1])]
        )
        data.append(values)
        fonts.append(row_fonts)
    tall = list(tall)
    heights: list[float | None] = [None] * len(data)
    for index in tall:
        heights[index] = tall_height
    table = RecordTable(
        data,
        colWidths=[label_width, width - label_width],
        rowHeights=heights,
        hAlign="LEFT",
        cellStyles=_cell_styles(fonts, bottom_rows=tall),
    )
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE)]))
    return table
