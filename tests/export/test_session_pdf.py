"""The session record PDF, exported from a real vault and read back with pypdf."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from kapcompanion.core.models import Client, DosingSession
from kapcompanion.core.touch import describe
from kapcompanion.export.api import export_session_pdf
from kapcompanion.export.pdfkit import PART2_SHORT, PART2_STATEMENT

Built = Any  # the conftest's Built (conftest modules are not importable by name)

QPDF = shutil.which("qpdf") or "qpdf"


def squash(text: str) -> str:
    """Whitespace-insensitive text (PDF extraction breaks lines where the layout did)."""
    return " ".join(text.split())


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


@dataclass
class Exported:
    path: Path
    pages: list[str]

    @property
    def text(self) -> str:
        return squash("\n".join(self.pages))


@pytest.fixture(scope="module")
def exported(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    out = tmp_path_factory.mktemp("pdf") / "session.pdf"
    result = export_session_pdf(built.repos, built.session_id, out, None, tz=UTC)
    assert result.path == out and result.encryption == "none"
    return Exported(out, pdf_pages(out))


def test_every_section_is_present_in_order(exported: Exported) -> None:
    sections = [
        "Screening",
        "Preparation",
        "Dose",
        "Vital signs",
        "Phases and music",
        "Event timeline",
        "Discharge",
        "Debrief",
        "Integration",
        "Signature",
        "After signing",  # the session is signed: its addenda are listed after it
    ]
    # The headings are the PDF's outline (bookmarks), in reading order.
    outline = [o.title for o in PdfReader(exported.path).outline if not isinstance(o, list)]
    assert outline == sections
    assert exported.text.startswith("Harbour Clinic")
    assert "KAP session record Session 2 of 6 · 3 March 2025" in exported.text


def test_identity_practitioner_and_session(exported: Exported, built: Built) -> None:
    text = exported.text
    for expected in (
        built.CLIENT_NAME,
        "Date of birth 3 March 1980",
        "Client identifier K-0042",
        "Dr Ana Müller, MD, psychiatrist (licence MD-12345)",
        "Harbour Clinic",
        "Session 2 of 6",
        "Treatment-resistant depression",
        "started 09:15, dose 09:30, ended 11:40 (UTC+00:00)",
    ):
        assert expected in text, expected
    # The client is named on every page, as on a paper chart.
    assert all("Zoë Ångström · born 3 March 1980 · ID K-0042" in p for p in exported.pages)


def test_screening_outcome_and_override(exported: Exported) -> None:
    text = exported.text
    assert "Outcome Eligible (by override)" in text
    assert "Agreed to abstain for the course. (by Dr Ana Müller on 11 February 2025 10:00)" in text
    assert "Active substance use ▲ yes Wine twice a week" in text


def test_checklist_touch_agreement_and_intention_quoted_in_full(
    exported: Exported, built: Built
) -> None:
    text = exported.text
    assert squash(describe(built.touch)) in text
    assert built.INTENTION in text
    assert "Stop signal Done Raising the left hand" in text
    assert "Escort home (name and phone) Done Lena Ångström, +46 70 123" in text
    assert "Planned rescue medication ▲ Not done" in text
    assert "Likes: Ambient. Avoid: Choral music. Volume 40 of 100." in text


def test_dose_plan_and_what_was_given_with_units(exported: Exported) -> None:
    text = exported.text
    assert (
        "Route: Intramuscular (IM). Weight 70.0 kg (154.3 lb). Planned 0.75 mg/kg = 52.5 mg."
        in text
    )
    assert re.search(
        r"Planned Intramuscular \(IM\) 0\.75 mg/kg 52\.5 mg weight 70 kg; lot LOT-7781", text
    )
    assert re.search(
        r"Given Intramuscular \(IM\) 0\.75 mg/kg 52\.5 mg 09:30 \+0:00:00 Deltoid", text
    )


def test_vitals_exact_values_and_flags(exported: Exported) -> None:
    text = exported.text
    assert "-0:10:00 09:20 128/82 72 98 Before dosing." in text
    assert "+0:15:00 09:45 ▲ 164/102 96 97 Systolic 164 mmHg (flag at 160 or more)." in text
    assert "+0:30:00 10:00 138/88 84 ▲ 91 SpO2 91% is low (flag below 92%)." in text
    assert "+1:00:00 10:30 124/80 74 98" in text
    assert "▲ 128/82" not in text and "▲ 124/80" not in text


def test_timeline_offsets_events_and_corrections(exported: Exported, built: Built) -> None:
    text = exported.text
    for expected in (
        "-0:15:00 09:15 Session started Opening ritual",
        "+0:25:00 09:55 Touch offered Offered a hand on the shoulder. Asked first",
        "+0:40:00 10:10 ▲ Nausea or vomiting Brief nausea, settled",
        "+0:41:00 10:11 Medication given Ondansetron 4 mg sublingual",
        "+0:42:00 10:12 ▲ Adverse event Severity: mild. Vomited once",
        "+1:10:00 10:40 Therapist observation Breathing slow and even",
    ):
        assert expected in text, expected
    # The original stays; the correction, its time and its reason follow it.
    assert (
        "+0:22:30 09:52 Client's words “It is cold in here.” Corrected 3 March 2025 11:00: “"
        + built.CLIENT_WORDS
        + "” Reason: Misheard at the time"
    ) in text
    assert "Music started" not in text  # tracks are listed per phase instead


def test_music_listed_under_the_phase_it_played_in(exported: Exported) -> None:
    text = exported.text
    for phase, clock, times, title, artist in (
        ("Arrival and opening", "-0:10:00", "09:20 to 09:28", "Harbour Light", "Ambient Ensemble"),
        ("Onset", "+0:01:00", "09:31 to 09:39", "Tidal Drift", "Ambient Ensemble"),
        ("Peak", "+0:10:00", "09:40 to 09:48", "Slow Horizon", "Mira Solano"),
        ("Return", "+0:55:00", "10:25 to 10:33", "Homeward", "Mira Solano"),
    ):
        assert f"{phase} {clock} {times} {title} {artist}" in text
    assert "Peak 45 min +0:05:00 to +1:00:00 extended by 10 min at +0:30:00" in text


def test_discharge_and_aldrete(exported: Exported) -> None:
    text = exported.text
    assert "Escort present Yes (Lena Ångström)" in text
    assert "Consciousness ▲ 1 Arousable on calling" in text
    assert "Total: 9 of 10 (meets the discharge rule of 9 or more)." in text
    assert "Discharged at 3 March 2025 11:40" in text


def test_debrief_integration_signatures_and_addenda(exported: Exported, built: Built) -> None:
    text = exported.text
    assert built.DEBRIEF in text
    assert built.INTEGRATION_ANSWER in text
    assert "Was there tension that softened or something that felt released?" in text
    assert "Mood: 6 of 10" in text
    assert "Session record: signed electronically by Dr Ana Müller on" in text
    assert "Screening: signed electronically by Dr Ana Müller" in text
    assert "Entry: NOT SIGNED (draft record)." in text
    assert re.search(r"Dr Ana Müller · Session record " + re.escape(built.ADDENDUM), text)


def test_unicode_names_survive_extraction(exported: Exported) -> None:
    for name in ("Zoë Ångström", "Δημήτρης", "Дмитрий", "王小明"):
        assert name in exported.text


def test_page_n_of_m_on_every_page(exported: Exported) -> None:
    n = len(exported.pages)
    assert n >= 3
    for index, page in enumerate(exported.pages, start=1):
        assert f"Page {index} of {n}" in page


def test_part2_notice_in_full_on_page_one_and_short_in_every_footer(exported: Exported) -> None:
    assert squash(PART2_STATEMENT) in squash(exported.pages[0])
    assert all(PART2_SHORT in squash(p) for p in exported.pages)
    assert all("CONFIDENTIAL health record" in p for p in exported.pages)


def test_qpdf_check_passes(exported: Exported) -> None:
    done = subprocess.run([QPDF, "--check", str(exported.path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cjk_client_with_an_empty_session_and_no_part2(repos: Any, tmp_path: Path) -> None:
    client = repos.clients.add(Client(name="王小明", identifier="C-7"))
    session = repos.sessions.save(DosingSession(client_id=client.id, number=1))
    out = tmp_path / "empty.pdf"
    export_session_pdf(repos, session.id, out, None, tz=UTC)
    pages = pdf_pages(out)
    text = squash("\n".join(pages))
    assert all("王小明 · ID C-7" in p for p in pages)
    for expected in (
        "No screening is recorded for this client.",
        "No preparation checklist is recorded for this session.",
        "No dose plan or dose recorded.",
        "No vital signs recorded.",
        "No events recorded.",
        "Session record: NOT SIGNED (draft record).",
        "The session had not ended when this record was exported.",
    ):
        assert expected in text, expected
    assert PART2_SHORT not in text and "42 CFR" not in text
    rows = repos.vault.read(
        "SELECT record_type, record_id, client_id, detail FROM audit"
        " WHERE action = 'export.session_pdf'"
    )
    assert rows == [("session", session.id, client.id, "unprotected")]
    assert subprocess.run([QPDF, "--check", str(out)], capture_output=True).returncode == 0


def test_footer_keeps_the_anchor_and_the_last_page_is_not_the_anchor_alone(
    exported: Exported,
) -> None:
    """Issue 22: the footer read "audit ancho…"; the last page held only the anchor line,
    worded with a backticked shell command."""
    from datetime import datetime

    from reportlab.platypus import KeepTogether, Paragraph

    from kapcompanion.core.models import Practitioner
    from kapcompanion.export import pdfkit as pk
    from kapcompanion.export.parts import RecordHeader
    from kapcompanion.export.session_pdf import end_with_anchor, furniture

    digest = "9b171f069702012df0d226d50116f93f14c2efaff8e5e67dd7ba514c97f73541"
    header = RecordHeader(
        practitioner=Practitioner(name="Dr Alexandra Montgomery-Featherstonehaugh (DEMO)"),
        client=Client(name="Ada Example"),
        generated_utc=datetime(2026, 12, 3, 13, 32, tzinfo=UTC),
        tz=UTC,
        anchor=f"1825:{digest}",
    )
    generated = furniture(header, "Session record").generated
    assert generated.endswith(f"audit anchor 1825:{digest[:12]}"), generated
    room = pk.PAGE_SIZES["a4"][0] - 2 * pk.MARGIN_X - 75
    assert pk.text_width(generated, 7.5) <= room  # drawn whole: fit() cuts nothing
    assert pk.fit(generated, room, 7.5) == generated

    styles = pk.styles()
    story = [pk.para(f"line {n}", styles.body) for n in range(3)]
    ended = end_with_anchor(list(story), header)
    assert ended[0] is story[0] and isinstance(ended[-1], KeepTogether)
    kept = ended[-1]._content
    assert kept[:2] == story[1:]  # the anchor travels with the last lines before it
    anchor = [f for f in kept if isinstance(f, Paragraph) and "Audit anchor" in f.getPlainText()]
    assert anchor and "`" not in anchor[0].getPlainText()

    # and in the exported record: the footer's anchor is whole on every page
    assert all("…" not in line for p in exported.pages for line in p.splitlines()
               if line.startswith("Exported"))  # fmt: skip
