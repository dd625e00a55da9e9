"""FHIR export with the signed PDFs attached: one DocumentReference per document, the PDF
decoded from the bundle and read back with pypdf, its size and SHA-1 hash checked."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from consent_support import drawn, png_bytes, signature_png
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from support import PASSPHRASE

from kapcompanion.core.models import Client
from kapcompanion.export.errors import ExportError
from kapcompanion.export.fhir_export import build_client_bundle, export_fhir
from kapcompanion.services import consent as svc
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

TODAY = date(2025, 6, 2)
LOINC = "http://loinc.org"
KAP = "kap-informed-consent"

#: the document types, checked by hand (sources in fhir_codes): kind -> LOINC code
EXPECTED_TYPES = {
    "Session record": "28570-0",  # Procedure note
    "Consent": "59284-0",  # Consent Document
    "Course summary": "34133-9",  # Summary of episode note
}


@dataclass
class Demo:
    repos: Any
    client_id: int  # demo client 1, with a countersigned consent added
    consent_id: int
    pending_consent_id: int  # signed by the client, not countersigned
    bare_client_id: int  # no course, no signed session, no consent


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    from kapcompanion.demo import build_demo_vault

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAPCOMPANION_HOME", str(tmp_path_factory.mktemp("home")))
        folder = tmp_path_factory.mktemp("demo")
        vault = build_demo_vault(folder / "demo.kapv", PASSPHRASE, clients=2, today=TODAY)
        repos = Repos(vault)
        client_id = 1
        template = svc.current_template(vault, KAP)
        values = {"route": "sublingual", "band": "low"}
        ids = []
        for who in ("Ada Lovelace", "Ada Lovelace"):
            shown = svc.text_for(repos, client_id, template, values)
            sig = drawn(who)
            doc = svc.sign_by_client(
                repos, client_id, KAP, values, sig, signature_png(sig), shown_text=shown
            )
            assert doc.id is not None
            ids.append(doc.id)
        svc.countersign(repos, ids[0], "Dr Rowan Test")
        bare = repos.clients.add(Client(name="Bare Client", pseudonym="Wren")).id
        assert bare is not None
        yield Demo(repos, client_id, ids[0], ids[1], bare)
        vault.close()


def _documents(bundle: Bundle) -> list[Any]:
    return [
        e.resource
        for e in bundle.entry or []
        if e.resource.get_resource_type() == "DocumentReference"
    ]


def _by_url(bundle: Bundle) -> dict[str, Any]:
    return {str(e.fullUrl): e.resource for e in bundle.entry or []}


def _wire_attachments(text: bytes) -> dict[str, dict[str, Any]]:
    """Each DocumentReference's attachment as it is in the file (id -> JSON object)."""
    out = {}
    for entry in json.loads(text)["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "DocumentReference":
            out[resource["id"]] = resource["content"][0]["attachment"]
    return out


def test_each_signed_document_is_attached_and_reads_back(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "with-documents.json"
    export_fhir(demo.repos, out, [demo.client_id], with_documents=True)
    text = out.read_bytes()
    bundle = Bundle.model_validate_json(text)  # parsed and validated again
    wire = _wire_attachments(text)
    resources = _by_url(bundle)
    patient_url = next(u for u, r in resources.items() if r.get_resource_type() == "Patient")
    encounters = {u for u, r in resources.items() if r.get_resource_type() == "Encounter"}
    episodes = {u for u, r in resources.items() if r.get_resource_type() == "EpisodeOfCare"}
    docs = _documents(bundle)

    signed_sessions = [s for s in demo.repos.sessions.for_client(demo.client_id) if s.signed_utc]
    assert signed_sessions, "the demo signs its oldest session"
    titles = [d.content[0].attachment.title for d in docs]
    assert len(docs) == len(signed_sessions) + 2 + 1, titles  # sessions, 2 consents, course

    for doc in docs:
        assert doc.status == "current"
        assert doc.subject.reference == patient_url
        attachment = doc.content[0].attachment
        assert attachment.contentType == "application/pdf"
        # in the file: base64 data, and the SHA-1 of the PDF bytes in base64 (R4 Attachment)
        pdf = base64.b64decode(wire[doc.id]["data"], validate=True)
        assert pdf.startswith(b"%PDF-")
        assert wire[doc.id]["size"] == len(pdf)
        sha1 = hashlib.sha1(pdf, usedforsecurity=False).digest()
        assert wire[doc.id]["hash"] == base64.b64encode(sha1).decode("ascii")
        # and as fhir.resources reads it back (base64Binary decoded to bytes)
        assert attachment.data == pdf and attachment.hash == sha1 and attachment.size == len(pdf)
        assert attachment.creation is not None and attachment.creation.tzinfo is not None
        reader = PdfReader(io.BytesIO(pdf))
        pdf_text = " ".join(p.extract_text() or "" for p in reader.pages)
        kind = next(k for k in EXPECTED_TYPES if attachment.title.startswith(k))
        coding = doc.type.coding[0]
        assert (coding.system, coding.code) == (LOINC, EXPECTED_TYPES[kind])
        if kind == "Session record":
            assert doc.docStatus == "final"
            assert [r.reference for r in doc.context.encounter] != []
            assert {r.reference for r in doc.context.encounter} <= encounters
            assert "Session record" in pdf_text
        elif kind == "Consent":
            assert "informed consent" in pdf_text.lower()
        else:
            assert {r.reference for r in doc.context.encounter} == episodes
            assert "Course summary" in pdf_text

    # each signed session's record goes to its own encounter
    session_docs = [d for d in docs if d.content[0].attachment.title.startswith("Session")]
    linked = {d.context.encounter[0].reference for d in session_docs}
    assert len(linked) == len(signed_sessions)
    statuses = sorted(
        d.docStatus for d in docs if d.content[0].attachment.title.startswith("Consent")
    )
    assert statuses == ["final", "preliminary"]  # countersigned, and waiting for it


def test_without_the_option_no_pdf_leaves(demo: Demo) -> None:
    counts = build_client_bundle(demo.repos, demo.client_id).counts
    assert "DocumentReference" not in counts


def test_the_audit_says_the_pdfs_went_with_it(demo: Demo, tmp_path: Path) -> None:
    before = len(demo.repos.vault.audit_entries(action="export.fhir"))
    export_fhir(demo.repos, tmp_path / "a.json", [demo.client_id], with_documents=True)
    entries = demo.repos.vault.audit_entries(action="export.fhir")
    assert len(entries) == before + 1
    detail = entries[0].detail  # newest first
    assert "DocumentReference" in detail and "signed PDFs attached" in detail


def test_a_client_with_nothing_signed_gets_no_documents(demo: Demo) -> None:
    counts = build_client_bundle(demo.repos, demo.bare_client_id, with_documents=True).counts
    assert "DocumentReference" not in counts


def test_a_changed_signature_image_stops_the_export(tmp_path: Path) -> None:
    """A consent whose signature image no longer matches what was signed is not attached
    quietly: the export stops with the consent export's message; nothing written or audited."""
    path = tmp_path / "clinic.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Rowan Test", "clinic": "Elm Clinic"})
    repos = Repos(vault)
    cid = repos.clients.add(Client(name="Zoë Ålander", pseudonym="Heron")).id
    assert cid is not None
    template = svc.current_template(vault, KAP)
    values = {"route": "sublingual", "band": "low"}
    sig = drawn("Zoë Ålander")
    svc.sign_by_client(
        repos,
        cid,
        KAP,
        values,
        sig,
        signature_png(sig),
        shown_text=svc.text_for(repos, cid, template, values),
    )
    vault.close()
    raw = sqlcipher3.connect(str(path), isolation_level=None)
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    raw.execute("UPDATE attachments SET content = ?", (png_bytes(600, 200, [(5.0, 5.0)]),))
    raw.close()

    vault = Vault.open(path, PASSPHRASE)
    try:
        out = tmp_path / "never.json"
        with pytest.raises(ExportError, match="no longer matches"):
            export_fhir(Repos(vault), out, [cid], with_documents=True)
        assert not out.exists()
        assert vault.audit_entries(action="export.fhir") == []
        # without the PDFs the record still goes out
        export_fhir(Repos(vault), out, [cid])
        assert out.exists()
    finally:
        vault.close()
