"""PDF figures for bench/run.py: a 3-hour session record and a 50-session course summary, each
against reportlab building a plain document with the same number of pages in the same run."""

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


def _median_time(fn: Any, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


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

    app = _median_time(session)
    pages = len(PdfReader(out).pages)
    base = _median_time(lambda: plain_document(pages))
    yield {
        "name": f"session record PDF ({events} events, {pages} pages)",
        "value": app,
        "unit": "s",
        "baseline": base,
        "target": "<= 3x",
    }
    course = folder / "course.pdf"

    def course_pdf() -> None:
        course.unlink(missing_ok=True)
        export_course_pdf(repos, course_client, course)

    app = _median_time(course_pdf, 2)
    pages = len(PdfReader(course).pages)
    base = _median_time(lambda: plain_document(pages), 2)
    yield {
        "name": f"course summary PDF (50 sessions, {pages} pages)",
        "value": app,
        "unit": "s",
        "baseline": base,
        "target": "<= 3x",
    }
    vault.close()
