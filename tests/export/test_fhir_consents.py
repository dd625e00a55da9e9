"""A FHIR Consent for each signed consent document, from a real vault file: the bundle is
parsed back with ``fhir.resources`` and each Consent's status, dates, codes, countersignature
and source are checked against the vault's own records, the withdrawn case included."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from consent_support import add_member, drawn, signature_png
from fhir.resources.R4B.bundle import Bundle
from support import PASSPHRASE

from kapcompanion.core.models import Client
from kapcompanion.core.settings import PART2_NOTICE
from kapcompanion.export import fhir_codes as fc
from kapcompanion.export.fhir_export import build_client_bundle
from kapcompanion.services import consent as svc
from kapcompanion.services.settings import set_value
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

KAP = "kap-informed-consent"
MUSIC = "music-recording"
PART2 = "part2-disclosure"
VALUES = {
    KAP: {"route": "im", "band": "moderate"},
    MUSIC: {"music": "no music, please", "recording": "no recording of any kind"},
    PART2: {
        "recipient": "Dr Ana Ruiz, primary care, Elm Street Practice",
        "purpose": "coordination of care",
        "information": "dates of sessions and doses given",
        "expires": "one year from signing",
    },
}
#: checked by hand against FHIR R4's consent-scope value set and LOINC (see fhir_codes)
SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
EXPECTED_SCOPE = {
    KAP: (SCOPE, "treatment"),
    MUSIC: (SCOPE, "treatment"),
    PART2: (SCOPE, "patient-privacy"),
}
EXPECTED_CATEGORY = ("http://loinc.org", "59284-0")
EXPECTED_PART2_RULE = ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "42CFRPart2")


@dataclass
class Made:
    path: Path
    client_id: int
    ids: dict[str, int]  # template id -> consent document id
    lee: int


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    """A clinic vault on disk: the KAP consent countersigned by a second clinician (Priya
    Lee, MD, with her PIN) and witnessed by the vault's practitioner; music and recording
    countersigned by the vault's practitioner (passphrase) and then withdrawn; the Part 2
    consent signed by the client and not yet countersigned."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAPCOMPANION_HOME", str(tmp_path_factory.mktemp("home")))
        path = tmp_path_factory.mktemp("vault") / "clinic.kapv"
        vault = Vault.create(
            path,
            PASSPHRASE,
            {"name": "Dr Rowan Test", "credentials": "PsyD", "clinic": "Elm Clinic"},
        )
        repos = Repos(vault)
        set_value(vault, PART2_NOTICE, True)
        lee = add_member(vault, "Priya Lee", "MD", "7391", role="prescriber")
        cid = repos.clients.add(Client(name="Ada Lovelace", pseudonym="Heron")).id
        assert cid is not None
        ids: dict[str, int] = {}
        for tid in (KAP, MUSIC, PART2):
            template = svc.current_template(vault, tid)
            shown = svc.text_for(repos, cid, template, VALUES[tid])
            sig = drawn("Ada Lovelace")
            doc = svc.sign_by_client(
                repos, cid, tid, VALUES[tid], sig, signature_png(sig), shown_text=shown
            )
            assert doc.id is not None
            ids[tid] = doc.id
        w = drawn("Dr Rowan Test", "witness", points=30)
        svc.countersign(
            repos,
            ids[KAP],
            member_id=lee,
            pin="7391",
            witness=w,
            witness_png=signature_png(w),
            witness_id=1,
            witness_pin=PASSPHRASE,
        )
        svc.countersign(repos, ids[MUSIC], member_id=1, pin=PASSPHRASE)
        svc.withdraw(repos, ids[MUSIC], "The client would rather not be recorded at all now.")
        vault.close()
        yield Made(path, cid, ids, lee)


def _bundle(made: Made, *, with_documents: bool = False) -> tuple[Bundle, Repos]:
    vault = Vault.open(made.path, PASSPHRASE)
    repos = Repos(vault)
    built = build_client_bundle(repos, made.client_id, with_documents=with_documents)
    # parsed back from the JSON that would be written, as a receiving system reads it
    return Bundle.model_validate_json(built.json()), repos


def _consents(bundle: Bundle) -> dict[str, Any]:
    """The document consents by template id (from their policy uri)."""
    out = {}
    for e in bundle.entry or []:
        r: Any = e.resource  # fhir.resources types every element Optional
        if r.get_resource_type() == "Consent" and r.policy:
            template_id = str(r.policy[0].uri).split("/")[-2]
            out[template_id] = r
    return out


def _urls(bundle: Bundle) -> dict[str, Any]:
    return {str(e.fullUrl): e.resource for e in bundle.entry or []}


def _at(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def test_each_signed_consent_is_a_consent_with_its_status_and_dates(made: Made) -> None:
    bundle, repos = _bundle(made)
    try:
        consents = _consents(bundle)
        assert set(consents) == {KAP, MUSIC, PART2}
        urls = _urls(bundle)
        records = {tid: svc.consent_view(repos, doc_id) for tid, doc_id in made.ids.items()}
        for tid, consent in consents.items():
            view = records[tid]
            assert _at(consent.dateTime) == view.record.client.utc  # when the client signed
            assert (consent.scope.coding[0].system, consent.scope.coding[0].code) == (
                EXPECTED_SCOPE[tid]
            )
            cat = consent.category[0].coding[0]
            assert (cat.system, cat.code) == EXPECTED_CATEGORY
            assert consent.category[0].text == view.record.title
            patient = urls[consent.patient.reference]
            assert patient.get_resource_type() == "Patient"
            assert [p.reference for p in consent.performer] == [consent.patient.reference]
            org = urls[consent.organization[0].reference]
            assert org.get_resource_type() == "Organization" and org.name == "Elm Clinic"
            assert str(consent.policy[0].uri) == (
                f"{fc.LOCAL_CONSENT_TEMPLATE}/{tid}/{view.record.template_version}"
            )
            assert consent.provision.type == "permit"
            assert _at(consent.provision.period.start) == view.record.client.utc
            # no PDFs asked for: the source is a title only, never the text or a signature
            assert consent.sourceReference is None
            assert consent.sourceAttachment.title == (
                f"{view.record.title} (version {view.record.template_version})"
            )
            assert consent.sourceAttachment.data is None

        kap = consents[KAP]
        assert kap.status == "active" and kap.provision.period.end is None
        (check,) = kap.verification
        assert check.verified is True
        assert check.verifiedWith.display == "Countersigned by Priya Lee, MD"
        assert check.verifiedWith.reference is None  # R4: Patient or RelatedPerson only
        assert _at(check.verificationDate) == records[KAP].record.countersigned_utc
        assert kap.policyRule is None

        music = consents[MUSIC]
        withdrawal = records[MUSIC].withdrawal
        assert withdrawal is not None
        assert music.status == "inactive"
        assert _at(music.provision.period.end) == withdrawal.withdrawn_utc
        assert music.verification[0].verifiedWith.display == "Countersigned by Dr Rowan Test, PsyD"

        part2 = consents[PART2]
        assert part2.status == "proposed" and part2.verification is None
        rule = part2.policyRule.coding[0]
        assert (rule.system, rule.code) == EXPECTED_PART2_RULE
    finally:
        repos.vault.close()


def test_with_the_pdfs_each_consent_points_at_its_document_reference(made: Made) -> None:
    bundle, repos = _bundle(made, with_documents=True)
    try:
        urls = _urls(bundle)
        consents = _consents(bundle)
        assert set(consents) == {KAP, MUSIC, PART2}
        targets = set()
        for tid, consent in consents.items():
            assert consent.sourceAttachment is None
            target = urls[consent.sourceReference.reference]
            assert target.get_resource_type() == "DocumentReference"
            assert target.type.coding[0].code == "59284-0"
            title = svc.consent_view(repos, made.ids[tid]).record.title
            assert title in target.description
            targets.add(consent.sourceReference.reference)
        assert len(targets) == 3
    finally:
        repos.vault.close()


def test_a_vault_without_signed_consents_has_no_document_consent(tmp_path: Path) -> None:
    vault = Vault.create(tmp_path / "v.kapv", PASSPHRASE, {"name": "Dr Test", "clinic": "C"})
    try:
        repos = Repos(vault)
        cid = repos.clients.add(Client(name="Bare Client")).id
        assert cid is not None
        bundle = build_client_bundle(repos, cid).bundle
        assert _consents(bundle) == {}
    finally:
        vault.close()
