"""The course summary PDF: sessions, outcome measures with bands, safety flags."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from kapcompanion.export.api import export_course_pdf

Built = Any
PASSWORD = "course-summary-7"

QPDF = shutil.which("qpdf") or "qpdf"


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def course(
    built: Built, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[str], list[tuple[float, str]]]:
    out = tmp_path_factory.mktemp("pdf") / "course.pdf"
    calls: list[tuple[float, str]] = []
    result = export_course_pdf(
        built.repos,
        built.client_id,
        out,
        PASSWORD,
        progress=lambda f, m: calls.append((f, m)),
        tz=UTC,
    )
    assert result.encryption in ("AES-256", "RC4-128")
    reader = PdfReader(out)
    assert reader.decrypt(PASSWORD)
    return out, [p.extract_text() for p in reader.pages], calls


def test_sessions_table(course: Any) -> None:
    text = squash("\n".join(course[1]))
    assert "2 3 March 2025 ended IM 0.75 mg/kg 52.5 mg low ▲ 2 ▲ 2 9/10 Yes" in text
    assert "3 17 March 2025 planned 0 0 No" in text
    assert "Treatment-resistant depression 6 active 17 February 2025 Less rumination." in text


def test_outcome_measure_with_bands_scores_and_progress(course: Any) -> None:
    text = squash("\n".join(course[1]))
    assert "PHQ-9: Patient Health Questionnaire-9" in text
    for band in (
        "0-4: minimal",
        "5-9: mild",
        "10-14: moderate",
        "15-19: moderately severe",
        "20-27: severe",
    ):
        assert band in text
    assert "10 February 2025 baseline 19 moderately severe" in text
    assert "3 March 2025 pre session 12 moderate" in text
    assert "24 March 2025 end of course 6 mild" in text
    assert "a 68% drop" in text  # (19 - 6) / 19, from core.measures.progress
    assert "Response (a drop of 50% or more from baseline): yes." in text


def test_safety_flags_and_their_resolution(course: Any) -> None:
    text = squash("\n".join(course[1]))
    assert "Suicide risk" in text and "PHQ-9 item 9 answered 1 on 10 February" in text
    assert "Safety plan made; no current intent." in text
    assert "by Dr Ana Müller" in text
    assert "Call Lena; crisis line 112." in text
    assert "Outcome Eligible (by override)" in text


def test_pages_numbered_and_notice(course: Any) -> None:
    pages = course[1]
    for index, page in enumerate(pages, start=1):
        assert f"Page {index} of {len(pages)}" in page
        assert "Zoë Ångström · born 3 March 1980 · ID K-0042" in page
        assert "42 CFR part 2 prohibits unauthorized use or disclosure" in squash(page)


def test_progress_reports_rise_to_done(course: Any) -> None:
    fractions = [f for f, _m in course[2]]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert any(m.startswith("Laying out page") for _f, m in course[2])


def test_qpdf_check_with_the_password(course: Any) -> None:
    done = subprocess.run(
        [QPDF, "--check", f"--password={PASSWORD}", str(course[0])],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_export_is_audited_without_the_file_name(course: Any, built: Built) -> None:
    rows = built.vault.read(
        "SELECT record_type, record_id, client_id, detail FROM audit"
        " WHERE action = 'export.course_pdf'"
    )
    assert len(rows) == 1
    record_type, record_id, client_id, detail = rows[0]
    assert (record_type, record_id, client_id) == ("client", built.client_id, built.client_id)
    assert detail in ("AES-256", "RC4-128") and "course.pdf" not in detail
