"""``kapcompanion ledger receive|count|report`` through the real entry point, in-process,
against a real vault file: the passphrase only from the environment variable named."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from support import PASSPHRASE

from kapcompanion.cli import main
from kapcompanion.core import ledger as lg
from kapcompanion.services import ledger as svc
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

ENV = "CLINIC_VAULT_KEY"
RECEIVE = [
    "--supplier-name", "Henry Schein",
    "--supplier-address", "135 Duryea Road, Melville, NY 11747",
    "--supplier-dea", "AB1234563",
    "--invoice", "INV-88120",
    "--received-on", "2025-03-03",
    "--quantity", "2",
    "--lot", "A123",
    "--expiry", "2031-06-30",
]  # fmt: skip


@pytest.fixture
def vault_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "clinic.kapv"
    Vault.create(path, PASSPHRASE, {"name": "Dr Test", "clinic": "Harbour Clinic"}).close()
    monkeypatch.setenv(ENV, PASSPHRASE)
    return path


def _run(vault: Path, *args: str) -> int:
    verb, rest = args[0], list(args[1:])
    return main(["ledger", verb, "--vault", str(vault), "--passphrase-env", ENV, *rest])


def _entries(path: Path) -> list[lg.Entry]:
    vault = Vault.open(path, PASSPHRASE, read_only=True)
    try:
        return Repos(vault).ledger.entries()
    finally:
        vault.close()


def test_receive_count_report(
    vault_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(vault_path, "receive", "--product", "ketamine-50x10", *RECEIVE) == 0
    out = capsys.readouterr().out
    assert "Received 2 container(s), lot A123:" in out
    assert "K-0001: 500 mg (10 mL)" in out and "K-0002: 500 mg (10 mL)" in out
    # the product exists now: by id too, and labels of the clinic's own
    assert _run(vault_path, "receive", "--product", "1", *RECEIVE, "--label", "K-2291") != 0
    assert "one label per container" in capsys.readouterr().err
    code = _run(
        vault_path, "receive", "--product", "1", *RECEIVE, "--label", "K-2291", "--label", "K-2292"
    )
    assert code == 0 and "K-2291: 500 mg" in capsys.readouterr().out

    vault = Vault.open(vault_path, PASSPHRASE)
    repos = Repos(vault)
    (k1,) = [s for s in svc.stock(repos) if s.container.label == "K-0001"]
    svc.administer(repos, int(k1.container.id or 0), "37.5", by="Dr Test", patient="Mara Quinn")
    vault.close()

    found = ["--found", "K-0001=462.5~", "--found", "K-0002=500"]
    # a container left out: refused, nothing written
    before = len(_entries(vault_path))
    assert _run(vault_path, "count", "--kind", "daily", *found) == 1
    assert "not counted: K-2291, K-2292" in capsys.readouterr().err
    assert len(_entries(vault_path)) == before
    found += ["--found", "k-2291=500", "--found", "K-2292=499.9"]
    assert _run(vault_path, "count", "--kind", "initial", *found) == 0
    out = capsys.readouterr().out
    assert "Initial inventory saved: 4 container(s) counted" in out
    assert "K-2292: found 499.9 mg, ledger 500 mg (difference -0.1 mg)" in out
    (count,) = [e for e in _entries(vault_path) if e.kind is lg.EntryKind.COUNT]
    lines = {line["label"]: line for line in count.detail["lines"]}
    assert lines["K-0001"]["estimated"] is True and lines["K-0001"]["expected_mg"] == "462.5"
    assert Decimal(lines["K-2292"]["difference_mg"]) == Decimal("-0.1")

    pdf = tmp_path / "ledger.pdf"
    assert _run(vault_path, "report", "--out", str(pdf)) == 0
    assert "not encrypted" in capsys.readouterr().err
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "K-0001" in text and "462.5" in text and "INV-88120" in text
    log = tmp_path / "ledger.csv"
    assert _run(vault_path, "report", "--out", str(log)) == 0
    rows = list(csv.reader(log.read_text(encoding="utf-8-sig").splitlines()))
    assert any("Mara Quinn" in row for row in rows)
    assert (tmp_path / "ledger-inventory.csv").exists()
    assert not list(tmp_path.glob(".*.part"))  # written atomically: no temporary left

    vault = Vault.open(vault_path, PASSPHRASE, read_only=True)
    try:
        actions = [a for (a,) in vault.read("SELECT action FROM audit ORDER BY id")]
        assert vault.check().ok
    finally:
        vault.close()
    assert actions.count("ledger.receive") == 2 and "ledger.count" in actions
    assert actions.count("export.ledger") == 2


def test_refusals_are_one_line_and_write_nothing(
    vault_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(vault_path, "receive", "--product", "7", *RECEIVE) == 1
    err = capsys.readouterr().err
    assert err.startswith("kapcompanion: No product '7'") and "ketamine-50x10" in err
    bad_dea = [a if a != "AB1234563" else "AB1234564" for a in RECEIVE]
    assert _run(vault_path, "receive", "--product", "ketamine-50x10", *bad_dea) == 1
    assert "check digit" in capsys.readouterr().err
    vault = Vault.open(vault_path, PASSPHRASE, read_only=True)
    try:  # not even the product the refused receipt would have added
        assert Repos(vault).ledger.products() == []
    finally:
        vault.close()
    assert _run(vault_path, "count", "--kind", "daily", "--found", "K-9=1") == 1
    assert "No container K-9 in stock" in capsys.readouterr().err
    assert _run(vault_path, "report", "--out", str(tmp_path / "x.txt")) == 1
    assert ".pdf or .csv" in capsys.readouterr().err
    assert _run(vault_path, "count", "--kind", "daily", "--found", "K-0001") == 2  # usage
    assert "LABEL=MG" in capsys.readouterr().err


def test_the_passphrase_comes_only_from_the_named_variable(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ENV)
    assert _run(vault_path, "count", "--kind", "daily") == 1
    assert f"{ENV} is not set or empty" in capsys.readouterr().err
    # no option takes a passphrase, and "--passphrase" is not an abbreviation of --passphrase-env
    with pytest.raises(SystemExit):
        from kapcompanion.cli import build_parser

        build_parser().parse_args(
            ["ledger", "report", "--vault", str(vault_path), "--passphrase", "x", "--out", "a"]
        )
