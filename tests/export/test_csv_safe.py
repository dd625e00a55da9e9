"""Formula-safe CSV: cells a spreadsheet would run are quoted; files are written atomically."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kapcompanion.export.csv_safe import csv_text, neutralise, write_csv
from kapcompanion.export.errors import ExportError

DANGEROUS = [
    '=HYPERLINK("http://evil.invalid","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_starts_are_quoted(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("client.view", "client.view"),
        ("a=b", "a=b"),  # only the first character matters
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (-3, "-3"),  # a number cannot carry a formula
        (2.5, "2.5"),
        ("Zoë Ångström", "Zoë Ångström"),
    ],
)
def test_harmless_cells_are_kept(value: object, shown: str) -> None:
    assert neutralise(value) == shown


def test_csv_reads_back_as_text(tmp_path: Path) -> None:
    rows = [[1, "=cmd|' /C calc'!A0", "line one\nline two", 'say "hi"'], [2, "-1", "@x", "ok"]]
    text = csv_text(["id", "detail", "note", "quote"], rows)
    back = list(csv.reader(io.StringIO(text)))
    assert back[0] == ["id", "detail", "note", "quote"]
    assert back[1] == ["1", "'=cmd|' /C calc'!A0", "line one\nline two", 'say "hi"']
    assert back[2] == ["2", "'-1", "'@x", "ok"]
    assert text.startswith('"id"') and text.endswith("\r\n")


def test_write_csv_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    target.write_text("old content")
    assert write_csv(target, ["a"], [["=1"], ["Δημήτρης"]]) == target
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read the accents right
    with target.open(encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f)) == [["a"], ["'=1"], ["Δημήτρης"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.csv"]  # no temporary left


def test_write_csv_refuses_plainly(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        write_csv(tmp_path / "missing" / "a.csv", ["a"], [])
    with pytest.raises(ExportError, match="is a folder"):
        write_csv(tmp_path, ["a"], [])
