"""Table cells as plain strings, broken into lines exactly as their Paragraphs would be.

Laying out a Paragraph per table cell (parsing its markup, breaking its lines, measuring
it again at every split and draw) was most of the time an export took, and most cells are
a few plain words. A reportlab Table draws a string cell line by line in the cell's font,
a leading apart, its first baseline the font size below the top padding: just where a
Paragraph of that style draws its lines (reportlab's ``paraFontSizeHeightOffset``). So a
cell may be a string when the string has the Paragraph's lines and the Paragraph would
have drawn them plainly:

- every character is in the main font (no CJK fallback run, nothing that
  :func:`pdfkit.runs` drops) and the only whitespace is plain spaces, which a Paragraph
  collapses as done here (no newline, tab, no-break or soft hyphen), and there is no
  ``&``, ``<`` or ``>`` (escaped, they make the Paragraph several runs of text);
- the style is left aligned, without indents and hyphenation;
- the lines are found as ``Paragraph.breakLines`` finds them for a single run of text:
  greedy, spaces allowed to shrink by ``spaceShrinkage``, a word longer than a line cut
  where it overflows (``splitLongWords``, as ``_splitWord`` does it).

A break that falls within :data:`TIE` points of the edge is left to reportlab (None), so
rounding can never make the two disagree; tests compare this with reportlab directly.
"""

from __future__ import annotations

from collections import deque

from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth

from kapcompanion.export.pdfkit import FONT, clean, coverage

# Characters a Paragraph breaks words at or treats specially (reportlab's whitespace,
# the no-break space and the soft hyphen), besides the plain space, and those markup()
# escapes (an entity makes the Paragraph several runs of text, broken by other rules).
_NOT_PLAIN = frozenset(
    "&<>\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\xad\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(cp) for cp in range(0x2000, 0x200C))
)
TIE = 0.01  # points


class _Tie(Exception):
    """A width too close to a line's edge to be sure how reportlab breaks it."""


class _Piece(str):
    """Part of a word cut because it is longer than a line (reportlab's ``_SplitWord``)."""


def _plain_words(text: str) -> list[str] | None:
    if not text.isprintable():  # (printable text has nothing for clean() to change)
        text = clean(text)
        if any(ch in _NOT_PLAIN for ch in text):
            return None
    elif "&" in text or "<" in text or ">" in text:
        return None
    if not text.isascii():  # (DejaVu Sans has every printable ASCII character)
        main = coverage(FONT)
        if any(ord(ch) not in main for ch in text):
            return None
    return text.split()  # only plain spaces are left to split at


def _split_word(word: str, used: float, width: float, font: str, size: float) -> list[_Piece]:
    """``word`` cut to fill the line it starts on (``used`` points already) and then
    whole lines; reportlab's ``_splitWord``."""
    pieces: list[_Piece] = []
    piece = ""
    for ch in word:
        char_width = stringWidth(ch, font, size)
        if char_width > width:
            raise _Tie  # a character wider than the column: leave it to reportlab
        new = used + char_width
        if abs(new - width) < TIE:
            raise _Tie
        if new > width:
            pieces.append(_Piece(piece))
            new = char_width
            piece = ""
        piece += ch
        used = new
    pieces.append(_Piece(piece))
    return pieces


def _break(words: list[str], style: ParagraphStyle, width: float) -> list[list[str]]:
    """reportlab's ``Paragraph.breakLines`` for one run of text without hyphenation."""
    font, size = style.fontName, style.fontSize
    space = stringWidth(" ", font, size)
    shrink = style.spaceShrinkage * space
    lines: list[list[str]] = []
    line: list[str] = []
    used = -space
    forced = False  # the line ends after this word (a cut word's first piece)
    queue = deque(words)
    while queue:
        word = queue.popleft()
        piece = isinstance(word, _Piece)
        if piece and not word:
            forced = True
        word_width = stringWidth(word, font, size)
        new = used + space + word_width
        limit = width + shrink * len(line)
        if abs(new - limit) < TIE or abs(word_width - width) < TIE:
            raise _Tie
        if new > limit and not forced and not piece and word_width > width:
            if not style.splitLongWords:
                raise _Tie
            queue.extendleft(reversed(_split_word(word, used + space, width, font, size)))
            forced = True
            continue
        if new <= limit or not line or forced:
            if word:
                line.append(word)
            if forced:
                forced = False
                lines.append(line)
                line, used = [], -space
            else:
                used = new
        else:
            lines.append(line)
            line, used = [word], word_width
    if line:
        lines.append(line)
    return lines


def plain_lines(text: object, style: ParagraphStyle, width: float) -> str | None:
    """The lines ``para(text, style)`` has at ``width`` points, joined by newlines, or
    None when only a Paragraph will do (see the module docstring)."""
    if (
        style.alignment != TA_LEFT
        or style.leftIndent
        or style.rightIndent
        or style.firstLineIndent
        or style.hyphenationLang
        or style.embeddedHyphenation
        or style.uriWasteReduce
    ):
        return None
    words = _plain_words(str(text))
    if not words:
        return None
    line = " ".join(words)
    if stringWidth(line, style.fontName, style.fontSize) <= width - TIE:
        return line  # the common case: all on one line
    try:
        return "\n".join(" ".join(words) for words in _break(words, style, width))
    except _Tie:
        return None
