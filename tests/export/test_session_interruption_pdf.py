"""An interruption, an acknowledged alert, a dose after a flagged reading and an unscored
Aldrete reach the PDF in words (issues 19 and 20), from a session run on a real vault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from readiness_support import prepare
from support import PASSPHRASE, FakeTime

from kapcompanion.core.discharge import Discharge
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client
from kapcompanion.core.vitals import VitalReading
from kapcompanion.export.api import export_session_pdf
from kapcompanion.services import session as session_service
from kapcompanion.services.session import SessionRunner, plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


def test_the_pdf_tells_what_happened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repos = Repos(Vault.create(tmp_path / "pdf.kapv", PASSPHRASE, {"name": "Dr Test"}))
    client = repos.clients.add(Client(name="Ada North", pseudonym="Wren"))
    assert client.id is not None
    session = plan_session(repos, client.id, DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5))
    sid = session.id
    assert sid is not None
    prepare(repos, session)
    t = FakeTime(datetime(2026, 6, 2, 9, 0, tzinfo=UTC), 10.0)
    run = SessionRunner(repos, sid, now_utc=t.now, monotonic=t.monotonic)
    run.start()
    run.record_vitals(VitalReading(150, 95, 80, 98, t.now()))
    run.give_dose(flagged_reading_reason="Rechecked after rest; the prescriber agreed to go on.")
    run.acknowledge_alert("Rested ten minutes; prescriber informed before the dose.")
    t.advance(600)
    run.heartbeat()
    beat = t.now()
    # a kill, and a new start 4 minutes later in another process
    monkeypatch.setattr(session_service, "RUN_ID", "after-the-kill")
    t.advance(240)
    resumed = SessionRunner(repos, sid, now_utc=t.now, monotonic=t.monotonic)
    assert resumed.resume() is not None
    t.advance(3 * 3600)
    resumed.end(
        Discharge(
            True,
            True,
            True,
            True,
            True,
            escort_name="Sam Rivers",
            aldrete_not_scored=True,
            aldrete_not_scored_reason="Low-dose session without medical staff, per protocol.",
        ),
        "Calm.",
    )
    out = tmp_path / "session.pdf"
    export_session_pdf(repos, sid, out, tz=UTC)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    last, back = beat.astimezone(), (beat + timedelta(seconds=240)).astimezone()
    assert (
        f"The app stopped unexpectedly; last sign of life {last:%H:%M:%S}; "
        f"resumed {back:%H:%M:%S}." in text
    )
    assert "Given after a flagged reading" in text and "the prescriber agreed" in text
    assert "Vitals alert acknowledged" in text and "prescriber informed" in text
    assert "Not scored for this session. Reason: Low-dose session without medical staff" in text
    repos.vault.close()
