"""Tables for records: label/value tables and grids with flagged cells.

Cells hold user text of any length, but a table row that must be split across pages is
re-measured from the start at every split (quadratic in its length: a 20,000-character
note in one cell takes tens of seconds, 100 KB minutes). So a cell keeps at most
:data:`CELL_LIMIT` characters; the rest of that row's text continues in ordinary
paragraphs right under the row, and the table resumes (header repeated) after them.
Reading order and every character are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

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

CELL_LIMIT = 1500

#: Text in styles, e.g. the event text and then its correction in bold.
Rich: TypeAlias = list[tuple[str, ParagraphStyle]]
Cell: TypeAlias = str | Rich | Flowable | None

_PADDING: list[tuple[Any, ...]] = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
]


def _bounded(value: Cell, style: ParagraphStyle) -> tuple[Any, list[tuple[str, ParagraphStyle]]]:
    """The cell's content (at most CELL_LIMIT characters) and the pieces that overflow."""
    if value is None:
        return para("", style), []
    if isinstance(value, Flowable):
        return value, []
    parts: Rich = [(value, style)] if isinstance(value, str) else value
    pieces = [(piece, st) for text, st in parts for piece in chunks(text)]
    if not pieces:
        return para("", style), []
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
    return (kept[0] if len(kept) == 1 else kept), overflow


def _continuation(label: str, pieces: list[tuple[str, ParagraphStyle]]) -> list[Flowable]:
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
    data: list[list[Any]] = []
    overflows: list[list[Flowable]] = []
    for label, value in rows or [("", "")]:
        cell, extra = _bounded(value, st.cell)
        data.append([para(label, st.cell_bold), cell])
        overflows.append(_continuation(label, extra) if extra else [])

    def make(part: list[list[Any]], _start: int) -> Table:
        table = Table(
            part,
            colWidths=[label_width, width - label_width],
            splitInRow=1,
            hAlign="LEFT",
            spaceAfter=5,
        )
        table.setStyle(TableStyle([*_PADDING, ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE)]))
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
    head = [para(h, st.cell_head) for h in header]
    data: list[list[Any]] = []
    overflows: list[list[Flowable]] = []
    for r, row in enumerate(rows):
        line: list[Any] = []
        extra: list[Flowable] = []
        for c, value in enumerate(row):
            if (r, c) in marks and isinstance(value, str):
                cell, more = _bounded(f"{FLAG_MARK} {value}", st.cell_flag)
            else:
                cell, more = _bounded(value, st.cell_bold if c in bold else st.cell)
            line.append(cell)
            if more:
                label = header[c] if c < len(header) and header[c] else "Text"
                extra += _continuation(label, more)
        data.append(line)
        overflows.append(extra)

    def make(part: list[list[Any]], start: int) -> Table:
        commands: list[tuple[Any, ...]] = [
            *_PADDING,
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
        table = Table(
            [head, *part],
            colWidths=list(widths),
            repeatRows=1,
            splitInRow=1,
            hAlign="LEFT",
            spaceAfter=5,
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
    data = [[para(label, st.cell_bold), para(value, st.cell)] for label, value in rows]
    heights: list[float | None] = [None] * len(data)
    for index in tall:
        heights[index] = tall_height
    table = Table(
        data, colWidths=[label_width, width - label_width], rowHeights=heights, hAlign="LEFT"
    )
    commands: list[tuple[Any, ...]] = [*_PADDING, ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE)]
    for index in tall:
        commands.append(("VALIGN", (0, index), (-1, index), "BOTTOM"))
    table.setStyle(TableStyle(commands))
    return table
