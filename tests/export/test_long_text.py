"""Long and hostile text: it wraps and splits across pages, or fails with an ExportError."""

from __future__ import annotations

import dataclasses
import random
import tempfile
from datetime import UTC
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from kapcompanion.export.errors import ExportError
from kapcompanion.export.pdfkit import chunks, markup
from kapcompanion.export.records import SessionRecordData, gather_session
from kapcompanion.export.session_pdf import build_session_pdf
from kapcompanion.export.timeline import TimelineEntry
from kapcompanion.export.writer import write_pdf

Built = Any


@pytest.fixture(scope="module")
def data(built: Built) -> SessionRecordData:
    return gather_session(built.repos, built.session_id, tz=UTC)


def _with_notes(data: SessionRecordData, text: str, everywhere: bool = True) -> SessionRecordData:
    """The record with ``text`` as the debrief and a timeline note (long text in paragraphs
    and in a table cell) and, ``everywhere``, an integration text and an addendum too."""
    entry = TimelineEntry(data.timeline[-1].utc, 7800.0, "note", "Note", text)
    data = dataclasses.replace(data, debrief=text, timeline=[*data.timeline, entry])
    if not everywhere:
        return data
    notes = [dataclasses.replace(data.integration[0], free_text=text)]
    addenda = [dataclasses.replace(data.addenda[0], text=text)]
    return dataclasses.replace(data, integration=notes, addenda=addenda)


def _export(data: SessionRecordData, out: Path) -> list[str]:
    def build(target: IO[bytes], encrypt: Any) -> None:
        build_session_pdf(data, target, encrypt)

    write_pdf(build, out, None)
    return [p.extract_text() for p in PdfReader(out).pages]


def _words(n_chars: int, seed: int) -> str:
    rng = random.Random(seed)
    vocab = ["calm", "breath", "Zoë", "Дмитрий", "王小明", "warmth", "shoulders", "light"]
    out: list[str] = []
    size = 0
    while size < n_chars:
        word = rng.choice(vocab)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:n_chars]


def test_a_20000_character_note_exports_whole(data: SessionRecordData, tmp_path: Path) -> None:
    text = _words(20_000, 1) + " END-OF-NOTE"
    assert len(text) > 20_000
    pages = _export(_with_notes(data, text), tmp_path / "long.pdf")
    joined = " ".join(" ".join(pages).split())
    assert joined.count("END-OF-NOTE") == 4  # debrief, timeline cell, integration, addendum
    assert len(pages) >= 12
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_one_20000_character_word_exports(data: SessionRecordData, tmp_path: Path) -> None:
    pages = _export(_with_notes(data, "x" * 20_000), tmp_path / "word.pdf")
    assert sum(p.count("x") for p in pages) >= 4 * 20_000


def test_chunks_bound_paragraph_size_and_keep_every_character() -> None:
    text = _words(50_000, 2) + "\n\n" + "y" * 4000
    pieces = chunks(text)
    assert all(len(p) <= 1500 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "").replace("\n", "")


def test_markup_escapes_and_switches_font_for_cjk() -> None:
    assert markup("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert markup("Zoë 王小明!") == 'Zoë <font name="KapFallback">王小明</font>!'
    assert markup("a\x00b\x1bc\ud800d\nＥ") == 'abcd<br/><font name="KapFallback">Ｅ</font>'


@pytest.mark.slow  # lays out a PDF of up to 100 kB text several times
def test_any_text_up_to_100kb_exports_or_fails_cleanly(
    data: SessionRecordData, tmp_path: Path
) -> None:
    # Hypothesis starts from small examples; repeating a generated piece reaches 100 KB
    # with every kind of character in it (controls, surrogates excluded by Hypothesis,
    # combining marks, CJK, emoji, markup characters).
    @settings(
        max_examples=3,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(piece=st.text(min_size=20, max_size=400), repeat=st.integers(250, 5000))
    @example(piece="Zoë <b>&amp; 王小明\x00\u200b e\u0301 \U0001f600\n", repeat=5000)
    def check(piece: str, repeat: int) -> None:
        text = (piece * repeat)[:100_000]
        assert len(text) >= 5000
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        out = folder / "any.pdf"
        try:
            pages = _export(_with_notes(data, text, everywhere=False), out)
        except ExportError:
            assert list(folder.iterdir()) == []  # nothing half-written is left behind
        else:
            assert pages and f"Page 1 of {len(pages)}" in pages[0]
            assert list(folder.iterdir()) == [out]

    check()
