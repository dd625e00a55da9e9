"""Shared PDF furniture: fonts with per-run fallback, safe markup, styles, tables, pages.

Every piece of user text reaches reportlab through :func:`markup` (or
:func:`text_flowables` for long text): it is cleaned of characters a PDF cannot carry,
escaped for the Paragraph mini-language and split into runs by font coverage, so a name
such as "王小明" is drawn with the CJK fallback font while "Zoë", "Δημήτρης" and "Дмитрий"
use DejaVu Sans. Long text becomes several paragraphs of bounded size so reportlab can
split it across pages (one 100 KB paragraph would be slow and could not break cleanly).

Pages get a header naming the client on every page (as paper charts do), a
confidentiality footer (with the 42 CFR part 2 statement when the clinic enables it) and
"Page N of M", drawn by a canvas that holds every page until the total is known.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.pdfgen.canvas import PATH_OPS, Canvas
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
)

from kapcompanion.export.errors import ExportError
from kapcompanion.export.pdftext import TextWriter, number, rgb
from kapcompanion.paths import resource

FONT = "KapSans"
FONT_BOLD = "KapSans-Bold"
FONT_ITALIC = "KapSans-Oblique"
FONT_CJK = "KapFallback"  # Droid Sans Fallback: CJK ideographs, kana, hangul
_FONT_FILES = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
    FONT_CJK: "DroidSansFallbackFull.ttf",
}

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#2f5d62")
RULE = colors.HexColor("#cbd2d9")
STRIPE = colors.HexColor("#f4f6f8")
HEAD_BG = colors.HexColor("#e3eaec")
FLAG = colors.HexColor("#b42318")
FLAG_BG = colors.HexColor("#fdecea")
FLAG_MARK = "▲"  # marks a flagged value in tables (DejaVu Sans has it)

PAGE_SIZES = {"a4": A4, "letter": LETTER}
MARGIN_X = 18 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 26 * mm

#: 42 CFR 2.32(a)(1), "Statement 1", as amended by the 2024 final rule (89 FR 12472).
PART2_STATEMENT = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, "
    "or testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR "
    "2.64 or 2.65. In addition, the Federal rules prohibit you from making any other use or "
    "disclosure of this record unless at least one of the following applies: (i) Further "
    "use or disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed in this record or as otherwise permitted by 42 CFR part "
    "2. (ii) You are a covered entity or business associate and have received the record "
    "for treatment, payment, or health care operations, or (iii) You have received the "
    "record from a covered entity or business associate as permitted by 45 CFR part 164, "
    "subparts A and E. A general authorization for the release of medical or other "
    "information is NOT sufficient to meet the required elements of written consent to "
    "further use or redisclose the record (see 42 CFR 2.31)."
)
#: 42 CFR 2.32(a)(2), "Statement 2": the short form, printed in every page footer.
PART2_SHORT = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
CONFIDENTIAL = (
    "CONFIDENTIAL health record: contains protected health information. Do not copy or "
    "disclose it without the client's written authorisation or as the law requires."
)


# --------------------------------------------------------------------------- fonts
@cache
def register_fonts() -> None:
    """Register the bundled fonts once; a missing file is an :class:`ExportError`."""
    for name, filename in _FONT_FILES.items():
        path = resource("fonts", filename)
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except (OSError, TTFError) as exc:
            raise ExportError(
                f"The bundled font {filename} is missing or damaged; reinstall KAP Companion."
            ) from exc
    for family, bold, italic in ((FONT, FONT_BOLD, FONT_ITALIC), (FONT_CJK, FONT_CJK, FONT_CJK)):
        addMapping(family, 0, 0, family)
        addMapping(family, 1, 0, bold)
        addMapping(family, 0, 1, italic)
        addMapping(family, 1, 1, bold)


@cache
def coverage(font_name: str) -> frozenset[int]:
    register_fonts()
    face = pdfmetrics.getFont(font_name).face
    return frozenset(cp for cp, glyph in face.charToGlyph.items() if glyph)


# Characters a PDF text string cannot carry usefully: C0/C1 controls (but tab and newline),
# lone surrogates and the BMP non-characters.
_DROP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_INVISIBLE = {"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"}


def clean(text: str) -> str:
    """Text that reportlab can lay out: newlines normalised, controls removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n\n").replace("\t", "    ")
    return _DROP.sub("", text)


def runs(text: str) -> list[tuple[str, str]]:
    """Split cleaned text into (font name, run) by glyph coverage.

    DejaVu Sans first, then the CJK fallback; a character neither covers stays with DejaVu
    (it shows as an empty box, so the reader sees that something was there) unless it is
    invisible anyway (format characters, unassigned code points), which are dropped.
    """
    main, fallback = coverage(FONT), coverage(FONT_CJK)
    out: list[tuple[str, str]] = []
    current = FONT
    buf: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp in main or ch == "\n":
            font = FONT
        elif cp in fallback:
            font = FONT_CJK
        elif unicodedata.category(ch) in _INVISIBLE:
            continue
        else:
            font = FONT
        if font != current and buf:
            out.append((current, "".join(buf)))
            buf = []
        current = font
        buf.append(ch)
    if buf:
        out.append((current, "".join(buf)))
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markup(text: object) -> str:
    """User text as safe Paragraph markup with per-run font switching and line breaks."""
    parts: list[str] = []
    for font, run in runs(clean(str(text))):
        escaped = _escape(run).replace("\n", "<br/>")
        parts.append(f'<font name="{FONT_CJK}">{escaped}</font>' if font == FONT_CJK else escaped)
    return "".join(parts)


def chunks(text: str, limit: int = 1500) -> list[str]:
    """Split text at blank lines, and long blocks near ``limit`` characters at a space or
    line break (anywhere if a block has none), so each piece is a modest paragraph."""
    pieces: list[str] = []
    for block in re.split(r"\n[ \t]*\n", clean(text)):
        block = block.strip("\n")
        while len(block) > limit:
            cut = max(block.rfind(" ", limit // 2, limit), block.rfind("\n", limit // 2, limit))
            if cut <= 0:
                cut = limit
            pieces.append(block[:cut])
            block = block[cut:].lstrip(" \n")
        if block.strip():
            pieces.append(block)
    return pieces


# --------------------------------------------------------------------------- styles
@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    muted: ParagraphStyle
    quote: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_flag: ParagraphStyle
    cell_head: ParagraphStyle
    small: ParagraphStyle
    notice: ParagraphStyle
    header: ParagraphStyle
    header_right: ParagraphStyle


@cache
def styles() -> Styles:
    register_fonts()
    base = ParagraphStyle(
        "kap-body",
        fontName=FONT,
        fontSize=9.5,
        leading=13,
        textColor=INK,
        spaceAfter=4,
        splitLongWords=1,
    )

    def derive(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(f"kap-{name}", parent=base, **kw)

    cell = derive("cell", fontSize=8.5, leading=10.5, spaceAfter=0)
    return Styles(
        title=derive("title", fontName=FONT_BOLD, fontSize=17, leading=21, spaceAfter=2),
        h1=derive(
            "h1",
            fontName=FONT_BOLD,
            fontSize=12.5,
            leading=16,
            textColor=ACCENT,
            spaceBefore=12,
            spaceAfter=5,
            keepWithNext=1,
        ),
        h2=derive("h2", fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=7, keepWithNext=1),
        body=base,
        muted=derive("muted", textColor=MUTED, fontSize=8.5, leading=11),
        quote=derive(
            "quote",
            leftIndent=10,
            rightIndent=6,
            borderPadding=(4, 6, 4, 6),
            backColor=STRIPE,
            spaceBefore=3,
            spaceAfter=7,
        ),
        cell=cell,
        cell_bold=ParagraphStyle("kap-cell-bold", parent=cell, fontName=FONT_BOLD),
        cell_flag=ParagraphStyle("kap-cell-flag", parent=cell, fontName=FONT_BOLD, textColor=FLAG),
        cell_head=ParagraphStyle("kap-cell-head", parent=cell, fontName=FONT_BOLD, textColor=INK),
        small=derive("small", fontSize=7.5, leading=9.5, textColor=MUTED, spaceAfter=0),
        notice=derive(
            "notice",
            fontSize=7.5,
            leading=9.5,
            borderColor=FLAG,
            borderWidth=0.6,
            borderPadding=5,
            spaceBefore=6,
            spaceAfter=10,
        ),
        header=derive("header", fontSize=7.5, leading=9.5, textColor=MUTED, spaceAfter=0),
        header_right=derive(
            "header-right", fontSize=7.5, leading=9.5, textColor=MUTED, alignment=TA_RIGHT
        ),
    )


def para(text: object, style: ParagraphStyle | None = None) -> Paragraph:
    """One paragraph of user text (short text: names, values, labels)."""
    return Paragraph(markup(text), style or styles().body)


def raw_para(marked_up: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph of markup we wrote ourselves (values inside already passed markup())."""
    return Paragraph(marked_up, style or styles().body)


def text_flowables(
    text: str, style: ParagraphStyle | None = None, empty: str = "None recorded."
) -> list[Flowable]:
    """Any length of user text as paragraphs that split across pages."""
    pieces = chunks(text)
    if not pieces:
        return [para(empty, styles().muted)]
    return [para(piece, style) for piece in pieces]


class Heading(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A section heading that also becomes an entry in the PDF outline (bookmarks)."""

    def __init__(self, text: str, style: ParagraphStyle, level: int = 0) -> None:
        super().__init__(markup(text), style)
        self.outline_title = clean(text).replace("\n", " ")
        self.outline_level = level


def h1(text: str) -> Heading:
    return Heading(text, styles().h1, 0)


def h2(text: str) -> Heading:
    return Heading(text, styles().h2, 1)


# --------------------------------------------------------------------------- pages
@dataclass(frozen=True)
class PageFurniture:
    """What every page shows besides the content."""

    title: str  # "Session record"
    subject: str  # who the record is about: name, date of birth, identifier
    clinic: str  # clinic and practitioner
    generated: str  # "Exported 3 March 2025 14:05 (UTC+01:00) by ..."
    part2: bool
    page_size: tuple[float, float] = A4


def generated_line(when: str, who: str, anchor: str, page_size: tuple[float, float]) -> str:
    """The footer's "Exported ... by ... with KAP Companion · audit anchor N:HASH" line for
    one line of the page: the anchor is never the part cut off, so the longer wordings give
    way first (``anchor`` is ``N:HASH`` or "")."""
    tail = ""
    if anchor and ":" in anchor:
        row, digest = anchor.split(":", 1)
        tail = f" · audit anchor {row}:{digest[:12]}"
    room = page_size[0] - 2 * MARGIN_X - 75
    candidates = [
        f"Exported {when} by {who} with KAP Companion{tail}" if who else "",
        f"Exported {when} by {who}{tail}" if who else "",
        f"Exported {when} with KAP Companion{tail}",
        f"Exported {when}{tail}",
    ]
    fitting = [c for c in candidates if c and text_width(c, 7.5) <= room]
    return fitting[0] if fitting else candidates[-1]


def header_subject_width(page_size: tuple[float, float]) -> float:
    """Points available for the one-line subject (who the record is about) in the header."""
    return float((page_size[0] - 2 * MARGIN_X) * 0.55 - 4)


def footer_text(furniture: PageFurniture) -> str:
    text = CONFIDENTIAL
    if furniture.part2:
        text += " " + PART2_SHORT
    return text


class _Furniture:
    """The header and footer, drawn once per document into a PDF form that every page
    shows (they are the same on each; only "Page N of M" differs, and the canvas adds
    that). Laying out and drawing four paragraphs per page took a tenth of an export."""

    FORM = "kap-page-furniture"

    def __init__(self, furniture: PageFurniture) -> None:
        self.furniture = furniture
        self.defined = False

    def _draw(self, canv: Canvas) -> None:
        st = styles()
        furniture = self.furniture
        width, height = furniture.page_size
        inner = width - 2 * MARGIN_X
        top = height - 10 * mm
        left_w = inner - header_subject_width(furniture.page_size) - 4
        line_y = MARGIN_BOTTOM - 5 * mm
        # Header and footer lines are cut short so they never run into the page body; the
        # full text is in the record itself.
        clinic = "<b>" + markup(fit(furniture.clinic, 1.8 * left_w, 7.5, FONT_BOLD)) + "</b>"
        subject = markup(fit(furniture.subject, inner - left_w - 4, 7.5))
        right = f"<b>{markup(furniture.title)}</b><br/>{subject}"
        generated = markup(fit(furniture.generated, inner - 75, 7.5))
        canv.saveState()
        _draw_para(canv, clinic, st.header, MARGIN_X, top, left_w)
        _draw_para(canv, right, st.header_right, MARGIN_X + left_w, top, inner - left_w)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(
            MARGIN_X, height - MARGIN_TOP + 5 * mm, width - MARGIN_X, height - MARGIN_TOP + 5 * mm
        )
        canv.line(MARGIN_X, line_y, width - MARGIN_X, line_y)
        _draw_para(canv, markup(footer_text(furniture)), st.small, MARGIN_X, line_y - 2, inner)
        _draw_para(canv, generated, st.small, MARGIN_X, 8 * mm + 7.5, inner - 70)
        canv.restoreState()

    def draw(self, canv: Canvas) -> None:
        if not self.defined:
            canv.beginForm(self.FORM)
            self._draw(canv)
            canv.endForm()
            self.defined = True
        canv.doForm(self.FORM)


def _draw_para(
    canv: Canvas, marked: str, style: ParagraphStyle, x: float, y: float, w: float
) -> None:
    """Draw markup with its top at ``y``."""
    p = Paragraph(marked, style)
    _w, h = p.wrapOn(canv, w, 1000)
    p.drawOn(canv, x, y - h)


def text_width(text: str, size: float, font: str = FONT) -> float:
    """Width in points of plain text drawn with per-run font fallback."""
    total = 0.0
    for run_font, run in runs(text):
        name = font if run_font == FONT else run_font
        total += pdfmetrics.stringWidth(run, name, size)
    return total


def fit(text: str, width: float, size: float, font: str = FONT) -> str:
    """``text`` on one line of ``width`` points, cut with an ellipsis when longer."""
    text = " ".join(clean(text).split())
    if text_width(text, size, font) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if text_width(text[:mid].rstrip() + "…", size, font) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + "…"


class FastCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """A canvas that writes the operators tables and charts use most (rules, cell
    backgrounds, line widths, colours) as reportlab's does, with each number formatted once
    per distinct value: reportlab's pure-Python ``fp_str`` was the largest single cost of
    drawing a long table. The page streams are byte for byte those of a plain Canvas
    (tests compare them)."""

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self._code.append(f"n {number(x1)} {number(y1)} m {number(x2)} {number(y2)} l S")

    def rect(
        self, x: float, y: float, width: float, height: float, stroke: int = 1, fill: int = 0
    ) -> None:
        self._code.append(
            f"n {number(x)} {number(y)} {number(width)} {number(height)} re "
            + PATH_OPS[stroke, fill, self._fillMode]
        )

    def setLineWidth(self, width: float) -> None:
        self._lineWidth = width
        self._code.append(f"{number(width)} w")

    def drawString(
        self,
        x: float,
        y: float,
        text: str,
        mode: Any = None,
        charSpace: float = 0,
        direction: Any = None,
        wordSpace: Any = None,
        shaping: bool = False,
    ) -> None:
        """As Canvas.drawString (chart labels): one line in the current font."""
        if (
            mode is not None
            or charSpace
            or wordSpace
            or direction is not None
            or shaping
            or type(text) is not str
            or not pdfmetrics.getFont(self._fontname)._dynamicFont
        ):
            super().drawString(x, y, text, mode, charSpace, direction, wordSpace, shaping)
            return
        t = PDFTextObject(self)
        t._code = ["BT"]  # (the origin is written by the writer)
        TextWriter(t).lines(x, y, [text])
        self.drawText(t)

    def transform(self, a: float, b: float, c: float, d: float, e: float, f: float) -> None:
        if self._code and self._code[-1][-3:] == " cm":  # (reportlab merges the two)
            super().transform(a, b, c, d, e, f)
            return
        if rl_canvas.ENABLE_TRACKING:
            a0, b0, c0, d0, e0, f0 = self._currentMatrix  # type: ignore[has-type]
            self._currentMatrix = (
                a0 * a + c0 * b,
                b0 * a + d0 * b,
                a0 * c + c0 * d,
                b0 * c + d0 * d,
                a0 * e + c0 * f + e0,
                b0 * e + d0 * f + f0,
            )
        n = number
        self._code.append(f"{n(a)} {n(b)} {n(c)} {n(d)} {n(e)} {n(f)} cm")

    def setFillColor(self, aColor: Any, alpha: Any = None) -> None:
        if type(aColor) is not colors.Color or alpha is not None or self._enforceColorSpace:
            super().setFillColor(aColor, alpha)
            return
        self._fillColorObj = aColor
        self._code.append(rgb(aColor) + " rg")
        if aColor.alpha is not None:
            self.setFillAlpha(aColor.alpha)

    def setStrokeColor(self, aColor: Any, alpha: Any = None) -> None:
        if type(aColor) is not colors.Color or alpha is not None or self._enforceColorSpace:
            super().setStrokeColor(aColor, alpha)
            return
        self._strokeColorObj = aColor
        self._code.append(rgb(aColor) + " RG")
        if aColor.alpha is not None:
            self.setStrokeAlpha(aColor.alpha)


def numbered_canvas(furniture: PageFurniture) -> type[Canvas]:
    """A canvas class that holds each page until the end, then writes "Page N of M"."""

    class NumberedCanvas(FastCanvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self.setFont(FONT, 7.5)
                self.setFillColor(INK)
                width = furniture.page_size[0]
                self.drawRightString(
                    width - MARGIN_X, 8 * mm, f"Page {self._pageNumber} of {total}"
                )
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


_SETTINGS = threading.RLock()


@contextmanager
def lean_reportlab() -> Iterator[None]:
    """Two reportlab settings that cost time and change nothing on the page, turned off
    while a record is built and saved:

    - ``useA85``: reportlab also encodes every page stream as ASCII85 text, in pure
      Python unless its optional C accelerator is installed (a tenth of an export).
      Binary (Flate) streams are standard PDF and smaller.
    - ``shapeChecking``: validates every attribute set on a chart shape, a help while
      writing chart code (tests/export/test_charts.py draws the charts with it on).

    The settings are global, so they are changed under a lock and restored after."""
    with _SETTINGS:
        saved = rl_config.useA85, rl_config.shapeChecking
        rl_config.useA85, rl_config.shapeChecking = 0, 0
        try:
            yield
        finally:
            rl_config.useA85, rl_config.shapeChecking = saved


class RecordDoc(BaseDocTemplate):  # type: ignore[misc]
    """One frame per page with the header and footer; headings become outline entries."""

    def __init__(self, target: Any, furniture: PageFurniture, **kwargs: Any) -> None:
        register_fonts()
        self.furniture = furniture
        width, height = furniture.page_size
        super().__init__(
            target,
            pagesize=furniture.page_size,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=furniture.title,
            author="KAP Companion",
            creator="KAP Companion",
            **kwargs,
        )
        frame = Frame(
            MARGIN_X,
            MARGIN_BOTTOM,
            width - 2 * MARGIN_X,
            height - MARGIN_TOP - MARGIN_BOTTOM,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates(
            [
                PageTemplate(
                    id="page", frames=[frame], onPage=self._on_page, pagesize=furniture.page_size
                )
            ]
        )
        self._outline_count = 0
        self._outline_level = -1
        self._furniture: _Furniture | None = None

    @property
    def content_width(self) -> float:
        return float(self.furniture.page_size[0] - 2 * MARGIN_X)

    def _on_page(self, canv: Canvas, _doc: Any) -> None:
        if self._furniture is None:
            self._furniture = _Furniture(self.furniture)
        self._furniture.draw(canv)

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Heading):
            # An outline level may only go one deeper than the one before it.
            level = min(flowable.outline_level, self._outline_level + 1)
            self._outline_level = level
            self._outline_count += 1
            key = f"h{self._outline_count}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.outline_title[:120], key, level=level, closed=False)

    def build_story(
        self, story: list[Flowable], on_page: Callable[[int], None] | None = None
    ) -> None:
        if on_page is not None:
            self._page_callback = on_page
        with lean_reportlab():
            self.build(story, canvasmaker=numbered_canvas(self.furniture))

    def handle_pageEnd(self) -> None:
        callback = getattr(self, "_page_callback", None)
        if callback is not None:
            callback(self.page)
        super().handle_pageEnd()
