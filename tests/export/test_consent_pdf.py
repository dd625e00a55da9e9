"""The consent PDF from a real vault, read back with pypdf: the exact text, template id and
version, signers and times, one image per signature; a changed image refuses to print."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import sqlcipher3
from consent_support import add_member, drawn, png_bytes, signature_png
from pypdf import PdfReader
from support import PASSPHRASE

from kapcompanion.core.models import Client
from kapcompanion.export.consent_pdf import export_consent_pdf
from kapcompanion.export.errors import ExportError
from kapcompanion.services import consent as svc
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

KAP = "kap-informed-consent"
VALUES = {"route": "sublingual", "band": "low"}


def make(tmp_path: Path, *, witness: bool = True, by_second: bool = False) -> tuple[Path, int]:
    """A consent signed by the client and countersigned by the vault's practitioner (member
    1, with the vault passphrase) or, ``by_second``, by a second clinician with their PIN;
    the witness is a practice member (Sam Reed, RN)."""
    path = tmp_path / "clinic.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Rowan Test", "clinic": "Elm Clinic"})
    repos = Repos(vault)
    cid = repos.clients.add(Client(name="Zoë Ålander", pseudonym="Heron")).id
    assert cid is not None
    template = svc.current_template(vault, KAP)
    shown = svc.text_for(repos, cid, template, VALUES)
    sig = drawn("Zoë Ålander")
    doc = svc.sign_by_client(repos, cid, KAP, VALUES, sig, signature_png(sig), shown_text=shown)
    assert doc.id is not None
    w = drawn("Sam Reed", "witness", points=30) if witness else None
    sam = add_member(vault, "Sam Reed", "RN", "4826")
    lee = add_member(vault, "Priya Lee", "MD", "7391", role="prescriber")
    svc.countersign(
        repos,
        doc.id,
        member_id=lee if by_second else 1,
        pin="7391" if by_second else PASSPHRASE,
        witness=w,
        witness_png=signature_png(w) if w else None,
        witness_id=sam if w else None,
        witness_pin="4826",
    )
    vault.close()
    return path, doc.id


def text_of(pdf: Path) -> str:
    return " ".join((p.extract_text() or "") for p in PdfReader(str(pdf)).pages)


def test_the_pdf_holds_the_text_the_signers_and_one_image_per_signature(tmp_path: Path) -> None:
    path, doc_id = make(tmp_path)
    vault = Vault.open(path, PASSPHRASE)
    repos = Repos(vault)
    record = svc.consent_view(repos, doc_id).record
    out = tmp_path / "consent.pdf"
    result = export_consent_pdf(repos, doc_id, out)
    assert result.path == out
    assert vault.audit_entries(action="export.consent_pdf")
    vault.close()
    reader = PdfReader(str(out))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    for needed in (
        "Informed consent to ketamine-assisted psychotherapy",
        "kap-informed-consent, version 1",
        "Route for your sessions: Sublingual or lozenge.",
        "Withdrawing consent once a dose is given",
        "Zoë Ålander",
        "Sam Reed",
        "Countersigned by Dr Rowan Test",
        "Elm Clinic",
    ):
        assert needed in text, needed
    last_paragraph = record.text.split("\n\n")[-2]
    assert " ".join(last_paragraph.split()[:12]) in text
    images = [img for page in reader.pages for img in page.images]
    assert len(images) == 2  # the client's and the witness's
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        subprocess.run([pdftoppm, "-r", "50", "-png", str(out), str(tmp_path / "page")], check=True)
        assert list(tmp_path.glob("page*.png"))


def test_a_withdrawn_consent_prints_the_withdrawal(tmp_path: Path) -> None:
    path, doc_id = make(tmp_path, witness=False)
    vault = Vault.open(path, PASSPHRASE)
    repos = Repos(vault)
    svc.withdraw(repos, doc_id, "The client chose to stop the course after the second session.")
    out = tmp_path / "withdrawn.pdf"
    export_consent_pdf(repos, doc_id, out)
    vault.close()
    text = " ".join(text_of(out).split())
    assert "Consent withdrawn" in text and "stop the course after the second session" in text
    assert len([i for p in PdfReader(str(out)).pages for i in p.images]) == 1


def test_a_changed_signature_image_is_not_printed(tmp_path: Path) -> None:
    path, doc_id = make(tmp_path, witness=False)
    raw = sqlcipher3.connect(str(path), isolation_level=None)
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    forged = png_bytes(600, 200, [(10.0 * i, 100.0) for i in range(60)])
    raw.execute("UPDATE attachments SET content = ?", (forged,))
    raw.close()
    vault = Vault.open(path, PASSPHRASE)
    with pytest.raises(ExportError, match="no longer matches"):
        export_consent_pdf(Repos(vault), doc_id, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
    vault.close()


def test_the_pdf_names_the_second_clinician_who_countersigned_with_credential(
    tmp_path: Path,
) -> None:
    path, doc_id = make(tmp_path, by_second=True)
    vault = Vault.open(path, PASSPHRASE)
    out = tmp_path / "by-second.pdf"
    export_consent_pdf(Repos(vault), doc_id, out)
    vault.close()
    text = " ".join(text_of(out).split())
    assert "Countersigned by: Priya Lee, MD" in text  # the facts at the top
    assert "Countersigned by Priya Lee, MD on" in text
    assert "confirmed with their own signing PIN" in text
    assert "Witness Sam Reed, RN Practice member, confirmed with their own PIN" in text
    assert "Countersigned by Dr Rowan Test" not in text  # not the vault's practitioner
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        subprocess.run([pdftoppm, "-r", "60", "-png", str(out), str(tmp_path / "p")], check=True)
        assert list(tmp_path.glob("p*.png"))
