"""The session record PDF says, per dose, what the controlled-substance ledger booked: "35 mg
from vial K-0001 (lot A123), 5 mg wasted, witnessed by Sam Lee, RN". Real vault, real
session, the PDF read back with pypdf (and rendered with pdftoppm for a person to look at)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader
from readiness_support import prepare

from kapcompanion.core import ledger as lg
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, EventKind
from kapcompanion.export.api import export_session_pdf
from kapcompanion.services import ledger as svc
from kapcompanion.services import members as practice
from kapcompanion.services.session import SessionRunner, plan_session
from kapcompanion.store.repos import Repos

VIAL = lg.Product("Ketamine HCl injection", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10))
SHOTS = Path("/tmp/members-shots")
REMAINDER = "Remainder in the drawn syringe was not given."


def _session_with_draws(repos: Repos) -> tuple[int, int, int]:
    product = svc.add_product(repos, VIAL)
    got = svc.receive(
        repos,
        lg.Receipt(
            "Henry Schein", "135 Duryea Road, Melville, NY 11747", "AB1234563", "INV-88120",
            datetime.now(UTC).date() - timedelta(days=1), int(product.id or 0), 2, "A123",
            date(2099, 6, 30), "Dr Test", labels=("K-2291", "K-2292"),
        ),
    )  # fmt: skip
    k1, k2 = (int(c.id or 0) for c in got.containers)
    client = repos.clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    session = plan_session(repos, client.id or 0, DosePlan(Route.IM, 70, 0.5, lot="A123"))
    prepare(repos, session)
    runner = SessionRunner(repos, session.id or 0)
    runner.start(bell=False)
    runner.give_dose(container_id=k1)  # 35 mg
    sam = practice.add(repos.vault, "Sam Lee", "RN", "nurse")
    practice.set_pin(repos.vault, sam.id, "8642")
    svc.waste(
        repos, k1, "5", by="Dr Test", method="drug disposal container", reason=REMAINDER,
        witness_id=sam.id, witness_pin="8642", session_id=runner.id,
    )  # fmt: skip
    runner.record(EventKind.EXTRA_DOSE, {"total_mg": 12.5, "container_id": k2})
    svc.waste(
        repos, k2, "2.5", by="Dr Test", method="drug disposal container", reason=REMAINDER,
        session_id=runner.id,
    )  # fmt: skip
    return runner.id, sam.id, k2


def test_the_session_pdf_names_each_draw_its_waste_and_witness(
    repos: Repos, tmp_path: Path
) -> None:
    session_id, sam_id, k2 = _session_with_draws(repos)
    out = tmp_path / "session.pdf"
    export_session_pdf(repos, session_id, out)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out).pages)
    assert "Controlled-substance ledger" in text
    assert "35 mg from vial K-2291 (lot A123), 5 mg wasted, witnessed by Sam Lee, RN" in text, text
    assert "12.5 mg from vial K-2292 (lot A123), 2.5 mg wasted, awaiting witness" in text

    # Sam witnesses the second waste later and then leaves the practice: the record keeps
    # her name, from the entries
    (waiting,) = svc.awaiting_witness(repos)
    svc.witness_waste(repos, int(waiting.id or 0), witness_id=sam_id, pin="8642")
    practice.remove(repos.vault, sam_id)
    export_session_pdf(repos, session_id, out)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out).pages)
    assert "12.5 mg from vial K-2292 (lot A123), 2.5 mg wasted, witnessed by Sam Lee, RN" in text
    assert "awaiting witness" not in text
    assert svc.container_state(repos, k2).balance_mg == Decimal(485)

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is not None:  # for a person to look at; the assertions above are the test
        SHOTS.mkdir(exist_ok=True)
        reader = PdfReader(out)
        page = next(
            i
            for i, p in enumerate(reader.pages, 1)
            if "Controlled-substance ledger" in (p.extract_text() or "")
        )
        subprocess.run(
            [pdftoppm, "-png", "-r", "80", "-f", str(page), "-l", str(page), str(out),
             str(SHOTS / "session-ledger")],
            check=True,
        )  # fmt: skip
        assert list(SHOTS.glob("session-ledger*.png"))


def test_a_session_without_draws_has_no_ledger_block(repos: Repos, tmp_path: Path) -> None:
    client = repos.clients.add(Client(name="Ivo Brandt", pseudonym="Wren"))
    session = plan_session(repos, client.id or 0, DosePlan(Route.IM, 70, 0.5))
    out = tmp_path / "s.pdf"
    export_session_pdf(repos, session.id or 0, out)
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    assert not re.search(r"Controlled-substance\s+ledger", text)


def test_session_lines_join_waste_and_correction_to_their_draw() -> None:
    now = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)
    vial = lg.Container(1, "K-1", "A1", date(2030, 1, 1), 0, id=7)
    spray = lg.Product("Esketamine (Spravato)", "esketamine", lg.Form.NASAL_DEVICE, Decimal(28))
    device = lg.Container(2, "E-1", "S9", date(2030, 1, 1), 0, id=8)

    def e(kind: lg.EntryKind, cid: int, mg: str, eid: int, **kw: object) -> lg.Entry:
        return lg.Entry(kind, now, "Dr Test", cid, Decimal(mg), 5, id=eid, **kw)  # type: ignore[arg-type]

    entries = [
        e(lg.EntryKind.ADMINISTER, 7, "-35", 1),
        e(lg.EntryKind.CORRECTION, 7, "2", 2, refers_id=1, detail={"reason": "Drew 33 mg."}),
        e(lg.EntryKind.WASTE, 7, "-0.5", 3, detail={"witness": "", "witness_credential": ""}),
        e(lg.EntryKind.WASTE, 8, "-28", 4, detail={"witness": "Ana Ruiz",
                                                   "witness_credential": "MD"}),
    ]  # fmt: skip
    lines = lg.session_lines(entries, {7: (vial, VIAL), 8: (device, spray)}, {})
    assert lines == [
        "35 mg from vial K-1 (lot A1), corrected by +2 mg: Drew 33 mg., 0.5 mg wasted, "
        "awaiting witness",
        "28 mg wasted, witnessed by Ana Ruiz, MD (from device E-1 (lot S9))",
    ]
