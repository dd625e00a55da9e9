"""``kapcompanion export ledger`` through the real entry point: the PDF read back with pypdf
shows the running balance line by line; the CSV log and inventory read back with csv."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from support import PASSPHRASE

from kapcompanion.cli import main
from kapcompanion.core import ledger as lg
from kapcompanion.services import ledger as svc
from kapcompanion.services import members as practice
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Test", "clinic": "Harbour Clinic"})
    repos = Repos(vault)
    product = svc.add_product(
        repos,
        lg.Product("Ketamine HCl injection", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10)),
    )
    assert product.id is not None
    got = svc.receive(
        repos,
        lg.Receipt(
            "Henry Schein", "135 Duryea Road, Melville, NY", "AB1234563", "INV-88120",
            date(2025, 3, 3), product.id, 2, "A123", date(2031, 6, 30), "Dr Test",
        ),
        now=NOW,
    )  # fmt: skip
    k1, k2 = (int(c.id or 0) for c in got.containers)
    svc.administer(repos, k1, "35", by="Dr Test", patient="Mara Quinn", now=NOW)
    sam = practice.add(vault, "Sam Lee", "RN", "nurse")
    practice.set_pin(vault, sam.id, "8642")
    svc.waste(
        repos, k1, "2.5", by="Dr Test", method="drug disposal container",
        reason="Unused remainder in the drawn syringe", witness_id=sam.id,
        witness_pin="8642", now=NOW,
    )  # fmt: skip
    svc.administer(repos, k1, "40", by="Dr Test", patient="Ivo Brandt", now=NOW)
    svc.count(
        repos, lg.CountKind.INITIAL, "Dr Test", {k1: ("420", True), k2: ("500", False)}, now=NOW
    )
    vault.close()
    return path


def test_pdf_shows_the_running_balance_line_by_line(
    vault_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CLINIC_VAULT_PW", PASSPHRASE)
    out = tmp_path / "ledger.pdf"
    code = main(
        ["export", "ledger", "--vault", str(vault_path), "--out", str(out),
         "--passphrase-env", "CLINIC_VAULT_PW"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "2 container(s)" in captured.out and str(out) in captured.out
    assert "not encrypted" in captured.err
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    text = " ".join(text.split())
    for needed in (
        "Controlled-substance ledger",
        "Henry Schein",
        "AB1234563",
        "INV-88120",
        "Mara Quinn",
        "Witness Sam Lee, RN.",
        "Initial inventory",
        "Administered",
        "Harbour Clinic",
    ):
        assert needed in text, needed
    # K-0001: 500 received, -35 (0.7 mL) -> 465, -2.5 -> 462.5, -40 -> 422.5
    at = text.index("Note", text.index("K-0001 ·"))  # the log table after its heading
    for line in (
        "500 mg",
        "-35 (-0.7 mL) 465 mg",
        "-2.5 (-0.05 mL) 462.5 mg",
        "-40 (-0.8 mL) 422.5 mg",
    ):
        at = text.index(line, at) + len(line)  # each line after the one before it
    # the count found 420 against 422.5: the discrepancy is an open item
    assert "explain the difference or report a loss" in text
    vault = Vault.open(vault_path, PASSPHRASE)
    try:
        detail = vault.read("SELECT detail FROM audit WHERE action = 'export.ledger'")
        assert detail and detail[0][0].startswith("pdf;") and "ledger.pdf" not in detail[0][0]
        assert vault.check().ok
    finally:
        vault.close()


def test_csv_log_and_inventory(
    vault_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "ledger.csv"
    code = main(["export", "ledger", "--vault", str(vault_path), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    k1 = [r for r in rows if r["Container"] == "K-0001"]
    assert [r["Balance (mg)"] for r in k1] == ["500", "465", "462.5", "422.5"]
    assert [r["Change (mL)"] for r in k1] == ["10", "-0.7", "-0.05", "-0.8"]
    assert "AB1234563" in k1[0]["Patient or supplier"]
    assert k1[1]["Patient or supplier"] == "Mara Quinn" and k1[1]["By"] == "Dr Test"
    assert "Sam Lee, RN" in k1[2]["Witness, reason or note"]
    count = next(r for r in rows if r["Kind"] == "Count")
    assert (
        "expected 422.5 mg, found 420 mg (estimated), difference -2.5"
        in count["Witness, reason or note"]
    )
    inventory = tmp_path / "ledger-inventory.csv"
    inv = list(csv.DictReader(io.StringIO(inventory.read_text("utf-8-sig"))))
    assert [(r["Container"], r["Balance (mg)"], r["Balance (mL or devices)"]) for r in inv] == [
        ("K-0001", "422.5", "8.45 mL"),
        ("K-0002", "500", "10 mL"),
    ]
    assert inv[1]["Opened (UTC)"] == "unopened"


def test_other_suffixes_are_refused(
    vault_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "ledger.txt"
    code = main(["export", "ledger", "--vault", str(vault_path), "--out", str(out)])
    assert code != 0
    assert ".pdf or .csv" in capsys.readouterr().err
    assert not out.exists()


def test_a_period_report_brings_the_balance_forward(tmp_path: Path) -> None:
    """One product over a period: entries before it are summed into "Balance brought
    forward", later ones are left out, and each line's balance is still the true one."""
    from datetime import timedelta

    from kapcompanion.export.errors import ExportError
    from kapcompanion.export.ledger import BROUGHT_FORWARD, export_ledger, gather

    path = tmp_path / "period.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Test", "clinic": "Harbour Clinic"})
    repos = Repos(vault)
    ketamine = svc.add_product(
        repos,
        lg.Product("Ketamine HCl injection", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10)),
    )
    other = svc.add_product(
        repos,
        lg.Product("Ketamine HCl injection", "ketamine", lg.Form.VIAL, Decimal(100), Decimal(5)),
    )
    assert ketamine.id is not None and other.id is not None
    day1 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)

    def receipt(product_id: int, lot: str) -> lg.Receipt:
        return lg.Receipt(
            "Henry Schein", "135 Duryea Road, Melville, NY", "AB1234563", "INV-1",
            date(2025, 3, 3), product_id, 1, lot, date(2031, 6, 30), "Dr Test",
        )  # fmt: skip

    k1 = int(svc.receive(repos, receipt(ketamine.id, "A1"), now=day1).containers[0].id or 0)
    svc.receive(repos, receipt(other.id, "B2"), now=day1)
    svc.administer(repos, k1, "35", by="Dr Test", patient="Mara Quinn", now=day1)
    late = "Test ledger: the same vial on purpose, to span a period."
    svc.administer(
        repos, k1, "40", by="Dr Test", patient="Ivo Brandt", override_reason=late,
        now=day1 + timedelta(days=10),
    )  # fmt: skip
    svc.administer(
        repos, k1, "20", by="Dr Test", patient="Ana Ruiz", override_reason=late,
        now=day1 + timedelta(days=40),
    )  # fmt: skip
    report = gather(
        repos, tz=UTC, product_id=ketamine.id, since=date(2025, 3, 10), until=date(2025, 3, 31)
    )
    assert [s.product.id for s in report.states] == [ketamine.id]
    lines = report.lines(k1)
    assert [(e.mg if e else None, bal) for e, bal in lines] == [
        (None, Decimal("465")),  # 500 received - 35 on 3 March
        (Decimal("-40"), Decimal("425")),
    ]
    out = tmp_path / "march.pdf"
    export_ledger(
        repos, out, tz=UTC, product_id=ketamine.id, since=date(2025, 3, 10),
        until=date(2025, 3, 31),
    )  # fmt: skip
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(out).pages).split())
    assert "Controlled-substance ledger: Ketamine" in text
    assert f"{BROUGHT_FORWARD} 465 mg" in text and "425 mg" in text
    assert "Ivo Brandt" in text and "Mara Quinn" not in text and "Ana Ruiz" not in text
    with pytest.raises(ExportError, match="ends before it starts"):
        gather(repos, since=date(2025, 4, 1), until=date(2025, 3, 1))
    with pytest.raises(ExportError, match="no product 99"):
        gather(repos, product_id=99)
    vault.close()
