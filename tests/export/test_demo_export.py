"""Every record of the demo vault (written by the real session runner) exports cleanly."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date
from pathlib import Path

from pypdf import PdfReader
from support import PASSPHRASE

from kapcompanion.export.api import export_course_pdf, export_session_pdf

QPDF = shutil.which("qpdf") or "qpdf"


def test_all_demo_sessions_and_courses_export(tmp_path: Path) -> None:
    from kapcompanion.demo import build_demo_vault
    from kapcompanion.store.repos import Repos

    vault = build_demo_vault(tmp_path / "demo.kapv", PASSPHRASE, clients=2, today=date(2025, 6, 2))
    try:
        repos = Repos(vault)
        written: list[Path] = []
        for client in repos.clients.search(include_archived=True):
            assert client.id is not None
            for session in repos.sessions.for_client(client.id):
                assert session.id is not None
                out = tmp_path / f"session-{session.id}.pdf"
                export_session_pdf(repos, session.id, out, None, tz=UTC)
                written.append(out)
            out = tmp_path / f"course-{client.id}.pdf"
            export_course_pdf(repos, client.id, out, None, tz=UTC)
            written.append(out)
    finally:
        vault.close()
    assert len(written) >= 4
    dosed = 0
    for path in written:
        assert subprocess.run([QPDF, "--check", str(path)], capture_output=True).returncode == 0
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
        # Runner payloads are put in words, not dumped as keys.
        for raw in ("vitals id", "within agreement", "weight kg:", "started utc", "offset s"):
            assert raw not in text, (path.name, raw)
        if path.name.startswith("session") and "Dose given" in text:
            dosed += 1
            assert "0:00:00" in text and "mg/kg" in text
    assert dosed >= 2


def test_a_second_demo_in_the_same_vault_reuses_its_nurse(tmp_path: Path) -> None:
    """The PDF bench fills two demos into one vault; the second must not add the practice's
    nurse again (the services refuse a duplicate member)."""
    from kapcompanion.demo import DEMO_WITNESS, fill_demo
    from kapcompanion.services import members
    from kapcompanion.store.repos import Repos
    from kapcompanion.store.vault import Vault

    vault = Vault.create(tmp_path / "two.kapv", PASSPHRASE, {"name": "Dr Bench"})
    try:
        repos = Repos(vault)
        for seed in (3, 4):
            fill_demo(repos, clients=1, seed=seed, sessions_per_client=3, events_per_session=6)
        nurses = [m for m in members.members(vault) if m.name == DEMO_WITNESS[0]]
        assert len(nurses) == 1
        assert len(repos.sessions.for_client(2)) >= 3  # (the second client is there too)
    finally:
        vault.close()
