"""CSV that a spreadsheet opens as data, never as formulas, written atomically.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken as a
formula by Excel, LibreOffice and Google Sheets (CSV injection, OWASP). Audit details and
client-entered text can start that way, so every text cell that does is prefixed with a
single quote, which the spreadsheets show as text. Numbers are written as they are (they
cannot carry a formula). Every cell is quoted, and the file starts with a UTF-8 byte order
mark so spreadsheets read accented names correctly.

The file is written with :func:`kapcompanion.fileio.atomic_write_bytes`, so a crash leaves
the old file or the new one, never half of one. No Qt here.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from kapcompanion.export.errors import ExportError
from kapcompanion.fileio import atomic_write_bytes

#: the characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The text of one cell, quoted with ``'`` when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """The whole CSV as text (every cell neutralised and quoted; lines end in CRLF)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def write_csv(
    path: str | os.PathLike[str],
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
) -> Path:
    """Write the CSV to ``path`` atomically; :class:`ExportError` for what the user can fix."""
    out = Path(path)
    if out.is_dir():
        raise ExportError(f"{out} is a folder; choose a file name ending in .csv.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.")
    data = csv_text(header, rows).encode("utf-8-sig")
    try:
        atomic_write_bytes(out, data)
    except OSError as exc:
        raise ExportError(f"Could not write {out.name}: {exc.strerror or exc}.") from exc
    return out
