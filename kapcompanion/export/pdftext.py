"""Lines of table text written into a reportlab text object without its per-line costs.

``PDFTextObject.textLine`` looks every character of every line up in the font's subset
table (``TTFont.splitString``, pure Python), escapes the bytes one by one and formats the
position of each cell with the general ``fp_str``: most of the time a long table took to
draw. Here a line whose characters the document's font subset 0 already holds is
encoded and escaped with one ``str.translate``; any other line goes through
``splitString`` as before (which assigns its new characters their codes, learnt here for
the next line). Positions are formatted by ``fp_str`` once per distinct value. The
operators written are the ones ``setTextOrigin`` and ``textLine`` write, token for token
(tests compare the two).
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfmetrics


class _Subset0:
    """The characters of one document's font that subset 0 holds, and their escaped
    codes as a ``str.translate`` table."""

    __slots__ = ("known", "table")

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.table: dict[int, str] = {}


#: per font state (one per font and document; reportlab keeps it while the document lives)
_SUBSETS: WeakKeyDictionary[Any, _Subset0] = WeakKeyDictionary()
_NUMBERS: dict[float, str] = {}


def number(value: float) -> str:
    """``fp_str(value)``, remembered (cell positions repeat down a column and across)."""
    text = _NUMBERS.get(value)
    if text is None:
        if len(_NUMBERS) > 20_000:
            _NUMBERS.clear()
        text = _NUMBERS[value] = fp_str(value)
    return text


_RGB: dict[tuple[float, float, float], str] = {}


def rgb(colour: Any) -> str:
    """``fp_str`` of the colour's red, green and blue, remembered."""
    key = (colour.red, colour.green, colour.blue)
    text = _RGB.get(key)
    if text is None:
        if len(_RGB) > 1000:
            _RGB.clear()
        text = _RGB[key] = fp_str(key)
    return text


def _subset0(font: Any, doc: Any) -> _Subset0 | None:
    state = font.state.get(doc)
    return _SUBSETS.get(state) if state is not None else None


def pieces(font: Any, doc: Any, text: str, fast: _Subset0 | None = None) -> list[tuple[int, str]]:
    """``text`` as (subset, escaped PDF string) runs: ``splitString`` then ``escapePDF``."""
    if fast is None:
        fast = _subset0(font, doc)
    if fast is not None and fast.known.issuperset(text):
        return [(0, text.translate(fast.table))] if text else []
    runs = font.splitString(text, doc)
    state = font.state[doc]
    fast = _SUBSETS.get(state)
    if fast is None:
        fast = _SUBSETS[state] = _Subset0()
    assignments = state.assignments
    for ch in set(text) - fast.known:
        code = assignments.get(ord(ch))
        # (a no-break space is never assigned: splitString reads it as a space)
        if code is not None and code < 256:
            fast.known.add(ch)
            fast.table[ord(ch)] = escapePDF(bytes((code,)))
    return [(subset, escapePDF(chunk)) for subset, chunk in runs]


class TextWriter:
    """Writes into one ``PDFTextObject`` what ``setTextOrigin(x, y)`` followed by
    ``textLine`` for each line would, in its current font (set with ``setFont``, which
    this reads back) and colour."""

    def __init__(self, text: Any) -> None:
        self.text = text
        self.canvas = text._canvas
        if not self.canvas.bottomup:  # (reportlab's canvases here are bottom-up)
            raise ValueError("TextWriter writes for a bottom-up canvas only")
        self.doc = text._doc
        self._font_key: tuple[str, float, float] | None = None
        self._font: Any = None
        self._fast: _Subset0 | None = None
        self._tmpl = ""

    def fill(self, colour: Any) -> None:
        """``setFillColor(colour)`` on the text object."""
        text = self.text
        if type(colour) is not Color or text._enforceColorSpace:
            text.setFillColor(colour)
            return
        text._fillColorObj = colour
        text._code.append(rgb(colour) + " rg")
        if colour.alpha is not None:
            text.setFillAlpha(colour.alpha)

    def lines(self, x: float, y: float, lines: list[str]) -> None:
        text = self.text
        key = (text._fontname, text._fontsize, text._leading)
        if key != self._font_key:
            self._font_key = key
            self._font = pdfmetrics.getFont(text._fontname)
            if not self._font._dynamicFont:
                raise ValueError("TextWriter writes TrueType fonts only")
            self._fast = None
            self._tmpl = f"{number(text._fontsize)} Tf {number(text._leading)} TL"
        font, doc, fast = self._font, self.doc, self._fast
        code = text._code
        code.append(f"1 0 0 1 {number(x)} {number(y)} Tm")
        subset = text._curSubset
        for line in lines:
            if fast is not None and subset == 0 and fast.known.issuperset(line):
                code.append(f"({line.translate(fast.table)}) Tj T*" if line else " T*")
                continue
            parts = []
            for part, escaped in pieces(font, doc, line, fast):
                if part != subset:
                    parts.append(f"{font.getSubsetInternalName(part, doc)} {self._tmpl}")
                    subset = part
                parts.append(f"({escaped}) Tj")
            code.append(" ".join(parts) + " T*")
            if fast is None:
                fast = self._fast = _subset0(font, doc)
        text._curSubset = subset
        # (the cursor as textLine leaves it; nothing here reads it, reportlab might)
        for _line in lines:
            y -= text._leading
        text._x0 = text._x = x
        text._y0 = text._y = y
