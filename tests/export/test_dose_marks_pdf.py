"""Issue 19 on paper: the weight in both units and the "above the usual range" mark, read back
from a real PDF exported from a real vault."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from pypdf import PdfReader
from readiness_support import prepare

from kapcompanion.core.dose import DosePlan, Route, confirmation_question
from kapcompanion.core.models import Client, EventKind
from kapcompanion.core.units import parse_weight
from kapcompanion.export.api import export_session_pdf
from kapcompanion.export.describe import event_text
from kapcompanion.services.session import SessionRunner, plan_session
from kapcompanion.store.repos import Repos

REASON = "Two sessions at 2 mg/kg had no effect; Dr Ames reviewed and agreed."


def test_the_pdf_shows_both_units_and_the_mark(repos: Repos, tmp_path: Path) -> None:
    client = repos.clients.add(Client(name="Ada Stone", pseudonym="Wren"))
    weight = parse_weight("150 lb", "kg")
    plan = DosePlan(
        Route.IM,
        weight.kg,
        2.8,
        lot="LOT-9",
        out_of_range_reason=REASON,
        weight_unit=weight.unit,
        weight_entered=weight.entered,
    )
    question = confirmation_question(plan)
    assert question == "Give 190.4 mg IM (2.8 mg/kg)? This is above the usual range."
    session = plan_session(repos, client.id or 0, plan, confirmation=question)
    prepare(repos, session)
    runner = SessionRunner(repos, session.id or 0)
    runner.start(bell=False)
    runner.give_dose()
    # 190.4 + 20 = 210.4 mg, 3.09 mg/kg: above the 3 mg/kg maximum, so a smaller extra dose
    check = runner.record(
        EventKind.EXTRA_DOSE,
        {
            "total_mg": 10.0,
            "route": "im",
            "reason": REASON,
            "confirmed": "Give an extra 10 mg, 200.4 mg IM (2.95 mg/kg) in this session? "
            "This is above the usual range.",
        },
    )
    assert check.payload["above_usual"] is True
    words = event_text(EventKind.EXTRA_DOSE, check.payload)
    assert "session total 200.4 mg (2.95 mg/kg)" in words and "ABOVE THE USUAL RANGE" in words

    out = tmp_path / "session.pdf"
    export_session_pdf(repos, session.id or 0, out, None, tz=UTC)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "Weight 68.0 kg (150 lb)" in text
    assert f"Above the usual range: confirmed on planning (“{question}”)" in text
    assert "ABOVE THE USUAL RANGE" in text
