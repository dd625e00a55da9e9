"""Issue 20 item 4: what was signed is what prints.

A signed session's PDF is rendered from its seal: later edits of drafts are refused, and flags
or entries recorded after signing appear only under "After signing", dated. Real vault, real
reportlab PDFs read back with pypdf.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from support import PASSPHRASE

from kapcompanion.core.models import FlagKind
from kapcompanion.demo import PRACTITIONER, fill_demo
from kapcompanion.export.api import export_session_pdf
from kapcompanion.store import anchors
from kapcompanion.store.errors import RecordLocked
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    # the export's own moment (time, page furniture and anchor) differs from export to export
    keep = [
        line
        for line in text.splitlines()
        if "Exported" not in line
        and "anchor" not in line.lower()
        and "--anchor" not in line
        and not re.match(r"^(Page \d+|\d+ of \d+)", line.strip())
    ]
    return "\n".join(keep)


@pytest.fixture()
def signed(tmp_path: Path) -> tuple[Vault, Repos, int]:
    vault = Vault.create(tmp_path / "clinic.kapv", PASSPHRASE, PRACTITIONER)
    repos = Repos(vault)
    fill_demo(repos, clients=1, seed=11, sessions_per_client=2, events_per_session=4)
    sid = int(vault.read("SELECT id FROM sessions WHERE signed_utc IS NOT NULL")[0][0])
    return vault, repos, sid


def test_a_signed_sessions_pdf_does_not_change_with_later_drafts_and_flags(
    signed: tuple[Vault, Repos, int], tmp_path: Path
) -> None:
    vault, repos, sid = signed
    try:
        before = tmp_path / "before.pdf"
        export_session_pdf(repos, sid, before)
        text_before = pdf_text(before)
        assert "After signing" in text_before

        session = repos.sessions.get(sid)
        debrief = next(
            d
            for d in repos.documents.find("integration", session_id=sid)
            if d.data.get("kind") == "same_day_debrief"
        )
        debrief.data["free_text"] = "EDITED AFTER SIGNING."
        with pytest.raises(RecordLocked):
            repos.documents.save(debrief)
        for flag in repos.flags.active(session.client_id):  # resolve what was open at signing
            repos.flags.resolve(flag.id or 0, "Reviewed with the client; no current risk.")

        middle = tmp_path / "middle.pdf"
        export_session_pdf(repos, sid, middle)
        signed_part = text_before.split("After signing")[0]
        assert pdf_text(middle).split("After signing")[0] == signed_part

        repos.flags.raise_flag(
            session.client_id, FlagKind.SUICIDE_RISK, "phone call", "Disclosed passive ideation"
        )
        after = tmp_path / "after.pdf"
        export_session_pdf(repos, sid, after)
        text_after = pdf_text(after)
        assert text_after.split("After signing")[0] == signed_part
        assert "EDITED AFTER SIGNING." not in text_after
        later = text_after.split("After signing")[1]
        assert "Safety flag raised" in later and "Disclosed passive ideation" in later
        assert "Not yet met at discharge" not in signed_part
        assert vault.check().ok
    finally:
        vault.close()


def test_every_export_prints_and_logs_the_anchor(
    signed: tuple[Vault, Repos, int], tmp_path: Path
) -> None:
    vault, repos, sid = signed
    try:
        head = vault.anchor()
        out = tmp_path / "record.pdf"
        export_session_pdf(repos, sid, out)
        text = "\n".join(p.extract_text() or "" for p in PdfReader(str(out)).pages)
        assert f"Audit anchor at export: {head}" in " ".join(text.split())
        logged = anchors.read_log(vault.path)
        assert logged[-1].why == "export" and str(logged[-1]) == str(head)
        backup = vault.backup_to(tmp_path / "copy.kapbak")
        assert backup.exists()
        assert anchors.read_log(vault.path)[-1].why == "backup"
        detail = vault.read("SELECT detail FROM audit WHERE action = 'vault.backup'")[-1][0]
        assert "anchor " in detail and "Müller" not in detail
    finally:
        vault.close()
    assert anchors.read_log(vault.path)[-1].why == "lock"
