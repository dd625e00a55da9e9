"""The course PDF draws the PCL-5's bands at the clinic's cut-point, as the app does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from kapcompanion.core.models import Client
from kapcompanion.core.settings import PCL5_CUTPOINT
from kapcompanion.export.api import export_course_pdf
from kapcompanion.export.records import gather_course
from kapcompanion.services import measures, settings
from kapcompanion.store.repos import Repos

PASSWORD = "course-summary-7"


def _pcl5(total_of_twos: int) -> dict[int, int | None]:
    """Items 1..n at 2, the rest at 1: total 20 + n."""
    return {n: 2 if n <= total_of_twos else 1 for n in range(1, 21)}


@pytest.mark.parametrize("cutpoint", [31, 33])
def test_the_pcl5_chart_uses_the_clinics_cut_point(
    repos: Repos, tmp_path: Path, cutpoint: int
) -> None:
    if cutpoint != 33:
        settings.set_value(repos.vault, PCL5_CUTPOINT, cutpoint)
    client = repos.clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    cid = client.id or 0
    measures.save_response(
        repos, cid, "pcl5", _pcl5(20), taken_on=datetime(2025, 2, 10, 9, tzinfo=UTC)
    )  # 40
    measures.save_response(
        repos, cid, "pcl5", _pcl5(12), taken_on=datetime(2025, 3, 10, 9, tzinfo=UTC)
    )  # 32
    (series,) = [s for s in gather_course(repos, cid).measures if s.instrument_id == "pcl5"]
    at = [lower for lower, _upper, label in series.bands if "at or above" in label]
    assert at == [cutpoint]
    out = tmp_path / "course.pdf"
    export_course_pdf(repos, cid, out, PASSWORD, tz=UTC)
    reader = PdfReader(out)
    assert reader.decrypt(PASSWORD)
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert f"{cutpoint}-80: probable PTSD: at or above the clinic's cut-point of {cutpoint}" in text
    if cutpoint == 31:
        assert "within the published 31-33 range" not in text
    else:
        assert "31-32: within the published 31-33 range, below the clinic's cut-point of 33" in (
            text
        )
