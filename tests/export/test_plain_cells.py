"""Table cells drawn as plain strings look exactly like the Paragraphs they replace.

The exporter draws most table cells as strings it breaks into lines itself (a Paragraph
per cell was most of an export's time). These tests hold that to reportlab: the lines
are the ones ``Paragraph.breakLines`` finds, and a document laid out with string cells
renders to the same pixels and text as the same document with a Paragraph in every cell,
also when a table row is split across two pages.
"""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Spacer

from kapcompanion.export import pdfkit as pk
from kapcompanion.export import tables as tb
from kapcompanion.export.plain import plain_lines

PDFTOPPM = shutil.which("pdftoppm") or "pdftoppm"
WORDS = [
    "a",
    "mg/kg",
    "0.75",
    "moderate",
    "treatment_resistant_depression",
    "Zoë",
    "Δημήτρης",
    "Дмитрий",
    "W" * 24,
    "x" * 70,
    "(continued)",
    "▲",
    "e\u0301",
    "2026,",
    "1234567890",
]


def _reportlab_lines(text: str, style: Any, width: float) -> str:
    p = Paragraph(pk.markup(text), style)
    p.wrap(width, 100_000)
    assert p.blPara.kind == 0  # one run of text, as plain_lines assumes
    return "\n".join(" ".join(words) for _extra, words in p.blPara.lines)


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=14),
    which=st.sampled_from(["cell", "cell_bold", "cell_flag", "cell_head", "small", "body"]),
    width=st.floats(8, 320),
)
def test_lines_are_the_ones_reportlab_breaks(words: list[str], which: str, width: float) -> None:
    style = getattr(pk.styles(), which)
    text = " ".join(words)
    got = plain_lines(text, style, width)
    if got is not None:
        assert got == _reportlab_lines(text, style, width)


def test_common_cells_are_plain_and_long_words_are_cut_as_reportlab_cuts_them() -> None:
    st_ = pk.styles()
    assert plain_lines("ended", st_.cell, 40) == "ended"
    assert plain_lines("  two   spaces ", st_.cell, 100) == "two spaces"
    assert plain_lines("tab\there", st_.cell, 100) == _reportlab_lines("tab\there", st_.cell, 100)
    date = plain_lines("2 November 2026", st_.cell, 60)
    assert date == _reportlab_lines("2 November 2026", st_.cell, 60) and "\n" in date
    cut = plain_lines("moderate", st_.cell, 28.6)
    assert cut == _reportlab_lines("moderate", st_.cell, 28.6) == "moder\nate"


def test_spaces_shrink_to_fit_a_line_as_reportlab_lets_them() -> None:
    style = pk.styles().cell
    text = "calm breath warmth light shoulders"
    full = stringWidth(text, style.fontName, style.fontSize)
    space = stringWidth(" ", style.fontName, style.fontSize)
    width = full - 2 * style.spaceShrinkage * space  # too narrow but for the shrinking
    assert plain_lines(text, style, width) == _reportlab_lines(text, style, width) == text


@pytest.mark.parametrize(
    "text",
    ["王小明", "line\nbreak", "no\xa0break", "soft\xadhyphen", "zero\u200bwidth", "a & b", "<b>"],
)
def test_text_a_paragraph_treats_specially_stays_a_paragraph(text: str) -> None:
    assert plain_lines(text, pk.styles().cell, 300) is None
    assert plain_lines("", pk.styles().cell, 300) is None


# --------------------------------------------------------------------------- documents
def _story(width: float) -> list[Flowable]:
    st_ = pk.styles()
    rows = [
        [str(i), f"{i + 1} November 2026", "moderate", "0.75 mg/kg", f"Note {i} " * (i % 9)]
        for i in range(45)
    ]
    rows[3][4] = "王小明 said hello"  # CJK: a Paragraph with the fallback font
    rows[5][4] = "x" * 2000  # longer than a cell holds: continues under the table
    rows[7][2] = ""
    story: list[Flowable] = [pk.h1("Grid")]
    story += tb.grid(
        ["#", "Date", "Band", "Dose", "Notes"],
        rows,
        [w * width for w in (0.05, 0.15, 0.07, 0.11, 0.62)],
        flagged=[(1, 2), (4, 3)],
        bold_cols=[0],
    )
    # A label/value table that starts at the foot of a page, with a row too tall for the
    # room left: reportlab splits that row across the two pages.
    story.append(Spacer(1, 215 * mm))
    story += tb.kv_table(
        [("Summary", "calm breath warmth " * 60), ("", "empty label"), ("Empty value", "")],
        width,
    )
    story.append(
        tb.signature_table(
            [("Practitioner", "Dr Ana Müller"), ("Signature", ""), ("Date", "")],
            width * 0.7,
            35 * mm,
            tall=(1, 2),
            tall_height=11 * mm,
        )
    )
    story.append(Paragraph("End.", st_.body))
    return story


def _render(tmp: Path, name: str) -> tuple[list[bytes], list[str]]:
    furniture = pk.PageFurniture("Test record", "Zoë · ID 7", "Clinic", "Exported now", True)
    buffer = BytesIO()
    doc = pk.RecordDoc(buffer, furniture)
    doc.build_story(_story(doc.content_width))
    pdf = tmp / f"{name}.pdf"
    pdf.write_bytes(buffer.getvalue())
    subprocess.run([PDFTOPPM, "-r", "50", "-gray", str(pdf), str(tmp / name)], check=True)
    pages = [p.read_bytes() for p in sorted(tmp.glob(f"{name}-*.pgm"))]
    # (pypdf's guesses at spacing depend on how text is positioned, not on what it says)
    return pages, [" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages]


def test_plain_cells_render_like_paragraph_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    split_rows: list[int] = []
    split = tb.RecordTable._splitRows

    def spy(self: Any, availHeight: float, doInRowSplit: int = 0) -> Any:
        if doInRowSplit:
            split_rows.append(1)
        return split(self, availHeight, doInRowSplit)

    monkeypatch.setattr(tb.RecordTable, "_splitRows", spy)
    fast = _render(tmp_path, "fast")
    assert split_rows  # the tall row was split inside the row
    monkeypatch.setattr(tb, "_plain", lambda *_a: None)  # every cell a Paragraph
    slow = _render(tmp_path, "slow")
    assert len(fast[0]) >= 3
    assert fast[1] == slow[1]
    assert fast[0] == slow[0]


def test_reportlab_settings_are_restored_after_a_build() -> None:
    before = rl_config.useA85, rl_config.shapeChecking
    buffer = BytesIO()
    furniture = pk.PageFurniture("Test record", "Zoë", "Clinic", "Exported now", False)
    pk.RecordDoc(buffer, furniture).build_story([Paragraph("Text.", pk.styles().body)])
    assert (rl_config.useA85, rl_config.shapeChecking) == before
    assert b"/FlateDecode" in buffer.getvalue()
    assert b"ASCII85Decode" not in buffer.getvalue()  # page streams are binary
    with pk.lean_reportlab():
        assert (rl_config.useA85, rl_config.shapeChecking) == (0, 0)
    assert (rl_config.useA85, rl_config.shapeChecking) == before
