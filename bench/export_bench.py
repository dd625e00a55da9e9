"""PDF figures for bench/run.py: a 3-hour session record and a 50-session course summary, each
against reportlab building a plain document with the same number of pages in the same run.

Two figures each: the whole export (gather, lay out, write atomically with fsync, note the
anchor, audit) and the layout alone (gather and lay out into memory, as the plain document is
built), so a regression can be told apart: CPU work in our code, or waits on the disk."""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

from kapcompanion.demo import fill_demo
from kapcompanion.export.api import export_course_pdf, export_session_pdf
from kapcompanion.export.course_pdf import build_course_pdf
from kapcompanion.export.records import gather_course, gather_session
from kapcompanion.export.session_pdf import build_session_pdf
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

LOREM = "The client rested with eyes closed; breathing slow and even. " * 12


def plain_document(pages: int) -> None:
    styles = getSampleStyleSheet()
    story: list[Any] = []
    for page in range(pages):
        story += [Paragraph(f"Page {page + 1}", styles["Heading1"])]
        story += [Paragraph(LOREM, styles["BodyText"]) for _ in range(6)]
        story.append(PageBreak())
    SimpleDocTemplate(io.BytesIO(), pagesize=A4).build(story)


def _median_time(fn: Any, repeat: int = 5, clock: Any = time.perf_counter) -> float:
    fn()  # warm: fonts, styles and imports load once per process
    samples = []
    for _ in range(repeat):
        t = clock()
        fn()
        samples.append(clock() - t)
    return statistics.median(samples)


def _median_cpu(fn: Any, repeat: int = 5) -> float:
    """CPU time of this thread: steadier than the wall clock on a shared machine, and what
    the layout figures are about (they wait for no disk)."""
    return _median_time(fn, repeat, time.thread_time)


def run(passphrase: str) -> Iterator[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="kap-bench-pdf-"))
    vault = Vault.create(folder / "pdf.kapv", passphrase, {"name": "Dr Bench"})
    repos = Repos(vault)
    fill_demo(repos, clients=1, seed=3, sessions_per_client=1, events_per_session=200)
    fill_demo(repos, clients=1, seed=4, sessions_per_client=50, events_per_session=12)
    long_session = int(vault.read("SELECT min(id) FROM sessions")[0][0])
    course_client = int(vault.read("SELECT max(id) FROM clients")[0][0])
    events = vault.read("SELECT count(*) FROM events WHERE session_id = ?", (long_session,))[0][0]
    out = folder / "session.pdf"

    def session() -> None:
        out.unlink(missing_ok=True)
        export_session_pdf(repos, long_session, out)

    def session_layout() -> None:
        build_session_pdf(gather_session(repos, long_session), io.BytesIO())

    app = _median_time(session)
    pages = len(PdfReader(out).pages)
    base = _median_time(lambda: plain_document(pages))
    layout = _median_cpu(session_layout)
    base2 = _median_cpu(lambda: plain_document(pages))
    yield {
        "name": f"session record PDF ({events} events, {pages} pages)",
        "value": app,
        "unit": "s",
        "baseline": base,
        "target": "<= 2x",
        "key": "pdf.session",
    }
    yield {
        "name": "session record PDF, layout in memory (CPU)",
        "value": layout,
        "unit": "s",
        "baseline": base2,
        "target": "report",
        "key": "pdf.session.layout",
    }
    course = folder / "course.pdf"

    def course_pdf() -> None:
        course.unlink(missing_ok=True)
        export_course_pdf(repos, course_client, course)

    def course_layout() -> None:
        build_course_pdf(gather_course(repos, course_client), io.BytesIO())

    app = _median_time(course_pdf)
    pages = len(PdfReader(course).pages)
    base = _median_time(lambda: plain_document(pages))
    layout = _median_cpu(course_layout)
    base2 = _median_cpu(lambda: plain_document(pages))
    yield {
        "name": f"course summary PDF (50 sessions, {pages} pages)",
        "value": app,
        "unit": "s",
        "baseline": base,
        "target": "<= 2x",
        "key": "pdf.course",
    }
    yield {
        "name": "course summary PDF, layout in memory (CPU)",
        "value": layout,
        "unit": "s",
        "baseline": base2,
        "target": "report",
        "key": "pdf.course.layout",
    }
    vault.close()
