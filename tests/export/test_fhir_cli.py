"""``kapcompanion export fhir`` through the real command-line entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from support import PASSPHRASE

from kapcompanion.cli import main
from kapcompanion.store.vault import Vault

Built = Any


@pytest.fixture(scope="module")
def built(built: Built) -> Built:
    """The command audits the export, so it takes the vault's writer lock: the fixture's own
    connection steps aside, as the app would have to."""
    built.vault.close()
    return built


def _fhir_audits(built: Built) -> list[tuple[str, Any]]:
    vault = Vault.open(built.path, PASSPHRASE, read_only=True)
    try:
        return [
            (str(d), cid)
            for d, cid in vault.read(
                "SELECT detail, client_id FROM audit WHERE action = 'export.fhir' ORDER BY id"
            )
        ]
    finally:
        vault.close()


def test_one_client_with_the_passphrase_from_the_named_variable(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CLINIC_VAULT_PW", PASSPHRASE)
    before = len(_fhir_audits(built))
    out = tmp_path / "zoe.json"
    code = main(
        [
            "export", "fhir", "--vault", str(built.path), "--client", str(built.client_id),
            "--out", str(out), "--passphrase-env", "CLINIC_VAULT_PW",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"written to {out}" in captured.out and "1 Patient" in captured.out
    assert "not encrypted" in captured.err
    bundle = Bundle.model_validate_json(out.read_bytes())
    patient = next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "Patient")
    assert patient.name[0].text == built.CLIENT_NAME
    audits = _fhir_audits(built)[before:]
    assert len(audits) == 1
    detail, client_id = audits[0]
    assert client_id == built.client_id
    assert "1 client(s)" in detail and "Observation" in detail
    assert built.CLIENT_NAME not in detail


def test_all_clients(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "all.json"
    code = main(["export", "fhir", "--vault", str(built.path), "--all", "--out", str(out)])
    assert code == 0
    outer = Bundle.model_validate_json(out.read_bytes())
    assert [e.resource.get_resource_type() for e in outer.entry] == ["Bundle"]


def test_unset_variable_writes_nothing(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("NOT_SET_HERE", raising=False)
    out = tmp_path / "x.json"
    code = main(
        [
            "export", "fhir", "--vault", str(built.path), "--client", "1",
            "--out", str(out), "--passphrase-env", "NOT_SET_HERE",
        ]
    )  # fmt: skip
    assert code == 1
    assert "NOT_SET_HERE is not set" in capsys.readouterr().err
    assert not out.exists()


def test_wrong_passphrase_and_unknown_client(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "x.json"
    monkeypatch.setenv("PW", "not the passphrase")
    args = ["export", "fhir", "--vault", str(built.path), "--out", str(out)]
    assert main([*args, "--client", "1", "--passphrase-env", "PW"]) == 2
    monkeypatch.setenv("PW", PASSPHRASE)
    assert main([*args, "--client", "999", "--passphrase-env", "PW"]) != 0
    err = capsys.readouterr().err
    assert "999" in err and "Traceback" not in err
    assert not out.exists()


def test_client_and_all_are_exclusive(built: Built, tmp_path: Path) -> None:
    args = ["export", "fhir", "--vault", str(built.path), "--client", "1", "--all", "--out", "x"]
    assert main(args) == 2


def test_with_documents_attaches_the_signed_session_record(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from pypdf import PdfReader

    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "docs.json"
    args = ["export", "fhir", "--vault", str(built.path), "--client", str(built.client_id)]
    assert main([*args, "--out", str(out), "--with-documents"]) == 0
    bundle = Bundle.model_validate_json(out.read_bytes())
    docs = [
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "DocumentReference"
    ]
    titles = sorted(d.content[0].attachment.title for d in docs)
    assert "Course summary" in titles
    assert any(t.startswith("Session record") for t in titles)
    session_doc = next(d for d in docs if d.content[0].attachment.title.startswith("Session"))
    pdf = session_doc.content[0].attachment.data
    assert pdf.startswith(b"%PDF-")
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    assert built.DEBRIEF[:20] in text
    assert "signed PDFs attached" in _fhir_audits(built)[-1][0]
    # without the flag, none
    plain = tmp_path / "plain.json"
    assert main([*args, "--out", str(plain)]) == 0
    assert b"DocumentReference" not in plain.read_bytes()
