"""Consent services on real vault files: templates kept with every version, the client's
signature, countersigning with a witness, withdrawal, the status the readiness gate asks,
and the seal that covers the strokes and the images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlcipher3
from consent_support import add_member, drawn, png_bytes
from support import PASSPHRASE

from kapcompanion.core.consent import ConsentState, editable_text, record_from_data
from kapcompanion.core.dose import DoseBand, DosePlan, Route
from kapcompanion.core.models import Client, DocStatus
from kapcompanion.core.settings import PART2_NOTICE
from kapcompanion.services import consent as svc
from kapcompanion.services import members as practice
from kapcompanion.services.session import plan_session
from kapcompanion.services.settings import set_value
from kapcompanion.store.errors import RecordLocked, VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

KAP = "kap-informed-consent"
KAP_VALUES = {"route": "im", "band": "moderate"}
TOUCH_VALUES = {
    "welcome": "a hand on the shoulder",
    "ask_first": "yes, ask me every time",
    "if_distressed": "words only",
}
MUSIC_VALUES = {
    "music": "yes, play music during my sessions",
    "recording": "no recording of any kind",
}


@pytest.fixture
def client_id(repos: Repos) -> int:
    cid = repos.clients.add(Client(name="Ada Lovelace", pseudonym="Heron")).id
    assert cid is not None
    return cid


def sign(
    repos: Repos,
    cid: int,
    template_id: str = KAP,
    values: dict[str, str] | None = None,
    session_id: int | None = None,
) -> int:
    values = KAP_VALUES if values is None else values
    template = svc.current_template(repos.vault, template_id)
    shown = svc.text_for(repos, cid, template, values)
    doc = svc.sign_by_client(
        repos,
        cid,
        template_id,
        values,
        drawn(),
        png_bytes(),
        shown_text=shown,
        session_id=session_id,
    )
    assert doc.id is not None
    return doc.id


def sign_all(repos: Repos, cid: int) -> dict[str, int]:
    values = {KAP: KAP_VALUES, "touch-agreement": TOUCH_VALUES, "music-recording": MUSIC_VALUES}
    out = {}
    for tid, vals in values.items():
        doc_id = sign(repos, cid, tid, vals)
        svc.countersign(repos, doc_id, "Dr Test")
        out[tid] = doc_id
    return out


def test_an_edit_is_a_new_version_in_the_vault_and_a_signed_consent_keeps_its_text(
    vault: Vault, repos: Repos, client_id: int
) -> None:
    doc_id = sign(repos, client_id)
    svc.countersign(repos, doc_id, "Dr Test")
    old_text = record_from_data(repos.documents.get(doc_id).data).text
    base = svc.current_template(vault, KAP)
    edited = svc.edit_template(
        vault, KAP, text=editable_text(base) + "\n\nWe ask you to stay for the whole session."
    )
    assert edited.version == base.version + 1
    assert svc.current_template(vault, KAP).version == edited.version
    assert svc.find_template(vault, KAP, base.version) == base  # the old version is kept
    assert vault.audit_entries(action="consent_template.save")
    record = record_from_data(repos.documents.get(doc_id).data)
    assert record.text == old_text and record.template_version == base.version
    assert "stay for the whole session" not in record.text
    status = svc.consent_status(repos, client_id)
    kap = next(s for s in status.statuses if s.template_id == KAP)
    assert kap.state is ConsentState.OUTDATED and not status.ready
    with pytest.raises(VaultError, match="Nothing was changed"):
        svc.edit_template(vault, KAP, text=editable_text(edited))


def test_client_sign_countersign_with_witness_locks_and_seals(
    vault: Vault, repos: Repos, client_id: int
) -> None:
    doc_id = sign(repos, client_id)
    doc = repos.documents.get(doc_id)
    assert doc.status is DocStatus.DRAFT
    record = record_from_data(doc.data)
    assert (record.template_id, record.template_version) == (KAP, 1)
    assert record.client.strokes[0].points[3][2] == 48  # milliseconds kept
    assert "Intramuscular (IM)" in record.text
    state = {s.template_id: s.state for s in svc.consent_status(repos, client_id).statuses}
    assert state[KAP] is ConsentState.AWAITING_COUNTERSIGNATURE

    with pytest.raises(VaultError, match="Type the name of the witness"):
        svc.countersign(repos, doc_id, "Dr Test", witness=drawn(name=""), witness_png=png_bytes())
    assert not repos.documents.get(doc_id).signed  # the refused action changed nothing

    sam = add_member(vault, "Sam Reed", "RN", "4826")
    signed = svc.countersign(
        repos,
        doc_id,
        "Dr Test",
        witness=drawn(name="Sam Reed", role="witness"),
        witness_png=png_bytes(6, 3),
        witness_id=sam,
        witness_pin="4826",
    )
    assert signed.signed and signed.signed_by == "Dr Test"
    view = svc.consent_view(repos, doc_id)
    assert view.client_png == png_bytes() and view.witness_png == png_bytes(6, 3)
    assert view.record.witness is not None and view.record.witness.name == "Sam Reed"
    assert view.record.practitioner == "Dr Test" and view.record.countersigned
    with pytest.raises(RecordLocked):
        svc.countersign(repos, doc_id, "Dr Test")
    with pytest.raises(RecordLocked):
        repos.documents.save(view.document)
    actions = [e.action for e in vault.audit_entries(client_id=client_id)]
    assert {"consent.client_sign", "consent.witness", "consent.sign"} <= set(actions)
    assert vault.check().ok


def test_refusals_change_nothing(vault: Vault, repos: Repos, client_id: int) -> None:
    template = svc.current_template(vault, KAP)
    shown = svc.text_for(repos, client_id, template, KAP_VALUES)
    before = len(vault.audit_entries())
    with pytest.raises(VaultError, match="pad is empty"):
        svc.sign_by_client(
            repos, client_id, KAP, KAP_VALUES, drawn(points=2), png_bytes(), shown_text=shown
        )
    with pytest.raises(VaultError, match="text changed"):
        svc.sign_by_client(
            repos, client_id, KAP, KAP_VALUES, drawn(), png_bytes(), shown_text=shown + " "
        )
    with pytest.raises(VaultError, match="not a PNG"):
        svc.sign_by_client(repos, client_id, KAP, KAP_VALUES, drawn(), b"GIF89a", shown_text=shown)
    with pytest.raises(VaultError, match="Highest dose band"):
        svc.text_for(repos, client_id, template, {"route": "im"})
    assert len(vault.audit_entries()) == before
    assert repos.documents.find("consent", client_id=client_id) == []


def test_withdrawal_is_recorded_never_a_deletion(
    vault: Vault, repos: Repos, client_id: int
) -> None:
    ids = sign_all(repos, client_id)
    assert svc.consent_status(repos, client_id).ready
    with pytest.raises(VaultError, match="too short"):
        svc.withdraw(repos, ids[KAP], "no")
    record = svc.withdraw(repos, ids[KAP], "The client decided not to continue with the course.")
    assert record.signed and record.kind == "consent_withdrawal"
    view = svc.consent_view(repos, ids[KAP])
    assert view.document.signed and view.withdrawal is not None  # the consent is still there
    assert view.withdrawal.reason.startswith("The client decided")
    summary = svc.consent_status(repos, client_id)
    kap = next(s for s in summary.statuses if s.template_id == KAP)
    assert kap.state is ConsentState.WITHDRAWN and kap.withdrawn_utc is not None
    assert not summary.ready and "withdrawn on" in summary.describe()
    with pytest.raises(VaultError, match="already withdrawn"):
        svc.withdraw(repos, ids[KAP], "The client decided not to continue with the course.")
    assert [e.action for e in vault.audit_entries(action="consent.withdraw")]
    # a new consent after the withdrawal is current again
    svc.countersign(repos, sign(repos, client_id), "Dr Test")
    assert svc.consent_status(repos, client_id).ready
    assert vault.check().ok


def test_status_for_a_session_follows_its_route_and_band(repos: Repos, client_id: int) -> None:
    sign_all(repos, client_id)
    im = plan_session(repos, client_id, DosePlan(Route.IM, 70.0, mg_per_kg=0.5, band=DoseBand.LOW))
    assert im.id is not None
    assert svc.consent_status(repos, client_id, im.id).ready
    sl = plan_session(repos, client_id, DosePlan(Route.SUBLINGUAL, 70.0, total_mg=200.0))
    assert sl.id is not None
    summary = svc.consent_status(repos, client_id, sl.id)
    assert not summary.ready
    assert summary.missing[0].state is ConsentState.ROUTE_CHANGED
    assert "signed for Intramuscular (IM), planned Sublingual or lozenge" in summary.describe()
    high = plan_session(
        repos, client_id, DosePlan(Route.IM, 70.0, mg_per_kg=1.0, band=DoseBand.HIGH)
    )
    assert high.id is not None
    assert svc.consent_status(repos, client_id, high.id).missing[0].state is (
        ConsentState.HIGHER_BAND
    )


def test_the_part2_consent_is_offered_only_where_the_clinic_enables_it(
    vault: Vault, repos: Repos
) -> None:
    ids = [t.id for t in svc.current_templates(vault)]
    assert "part2-disclosure" not in ids
    set_value(vault, PART2_NOTICE, True)
    assert "part2-disclosure" in [t.id for t in svc.current_templates(vault)]


def test_seal_covers_strokes_and_images(tmp_path: Path) -> None:
    path = tmp_path / "clinic.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Test", "clinic": "Elm Clinic"})
    repos = Repos(vault)
    cid = repos.clients.add(Client(name="Ada Lovelace")).id
    assert cid is not None
    doc_id = sign(repos, cid)
    svc.countersign(
        repos,
        doc_id,
        "Dr Test",
        witness=drawn("Sam Reed", "witness"),
        witness_png=png_bytes(6, 3),
        witness_id=add_member(vault, "Sam Reed", "RN", "4826"),
        witness_pin="4826",
    )
    assert vault.check().ok
    vault.close()

    raw = sqlcipher3.connect(str(path), isolation_level=None)
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    data = json.loads(
        raw.execute("SELECT data FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
    )
    x, y, t, p = data["client"]["strokes"][0]["points"][5]
    data["client"]["strokes"][0]["points"][5] = [x + 40.0, y, t, p]
    raw.execute("UPDATE documents SET data = ? WHERE id = ?", (json.dumps(data), doc_id))
    raw.close()
    vault = Vault.open(path, PASSPHRASE)
    report = vault.check()
    assert not report.ok
    assert any(
        f"document {doc_id} " in line and "its row was changed after signing" in line
        for line in report.seal_problems
    ), report.seal_problems
    vault.close()


def test_seal_covers_the_signature_image(tmp_path: Path) -> None:
    path = tmp_path / "clinic.kapv"
    vault = Vault.create(path, PASSPHRASE, {"name": "Dr Test"})
    repos = Repos(vault)
    cid = repos.clients.add(Client(name="Ada Lovelace")).id
    assert cid is not None
    doc_id = sign(repos, cid)
    svc.countersign(repos, doc_id, "Dr Test")
    vault.close()
    raw = sqlcipher3.connect(str(path), isolation_level=None)
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    raw.execute(
        "UPDATE attachments SET content = ? WHERE document_id = ?", (png_bytes(9, 9), doc_id)
    )
    raw.close()
    vault = Vault.open(path, PASSPHRASE)
    problems = vault.check().seal_problems
    assert any("signature image" in line and "changed after signing" in line for line in problems)
    vault.close()


def test_a_session_starts_only_with_current_consent(repos: Repos, client_id: int) -> None:
    from readiness_support import prepare

    from kapcompanion.services.preparation import ReadinessRefused
    from kapcompanion.services.session import SessionRunner

    ids = sign_all(repos, client_id)
    plan = DosePlan(Route.IM, 70.0, mg_per_kg=0.5, band=DoseBand.MODERATE)
    # a new route after the consent: re-consent first, whatever the checklist says
    sublingual = plan_session(repos, client_id, DosePlan(Route.SUBLINGUAL, 70.0, total_mg=200.0))
    prepare(repos, sublingual)
    assert sublingual.id is not None
    with pytest.raises(ReadinessRefused, match="signed for Intramuscular"):
        SessionRunner(repos, sublingual.id).start(bell=False)
    # withdrawn: refused, and an override reason does not help
    svc.withdraw(repos, ids[KAP], "The client wants to think it over before going on.")
    session = plan_session(repos, client_id, plan)
    prepare(repos, session)
    assert session.id is not None
    runner = SessionRunner(repos, session.id)
    with pytest.raises(ReadinessRefused, match="withdrawn on"):
        runner.start(bell=False, readiness_override="The client confirmed consent verbally today.")
    assert repos.sessions.get(session.id).started_utc is None
    # signed again: the session starts
    svc.countersign(repos, sign(repos, client_id), "Dr Test")
    runner.start(bell=False)
    assert repos.sessions.get(session.id).started_utc is not None


def _state(vault: Vault, doc_id: int) -> tuple[int, str, list[str]]:
    """What a refused countersignature must leave as it was: the audit length, the stored
    consent and its attachments."""
    repos = Repos(vault)
    doc = repos.documents.get(doc_id)
    names = [name for _a, name, _m, _t in repos.documents.attachments(doc_id)]
    return len(vault.audit_entries()), json.dumps(doc.data, sort_keys=True), names


def test_a_second_clinician_countersigns_with_their_own_pin(
    vault: Vault, repos: Repos, client_id: int
) -> None:
    lee = add_member(vault, "Priya Lee", "MD", "7391", role="prescriber")
    sam = add_member(vault, "Sam Reed", "RN", "4826")
    doc_id = sign(repos, client_id)
    before = _state(vault, doc_id)
    # a wrong PIN, an unknown member, no member, the countersigner as witness: refused, nothing
    with pytest.raises(VaultError, match="not Priya Lee's PIN; nothing was recorded"):
        svc.countersign(repos, doc_id, member_id=lee, pin="7390")
    with pytest.raises(VaultError, match="not Sam Reed's PIN"):
        svc.countersign(
            repos,
            doc_id,
            member_id=lee,
            pin="7391",
            witness=drawn("Sam Reed", "witness"),
            witness_png=png_bytes(6, 3),
            witness_id=sam,
            witness_pin="7391",
        )
    with pytest.raises(VaultError, match="Priya Lee countersigns; the witness is a second"):
        svc.countersign(
            repos,
            doc_id,
            member_id=lee,
            pin="7391",
            witness=drawn("Priya Lee", "witness"),
            witness_png=png_bytes(6, 3),
            witness_id=lee,
            witness_pin="7391",
        )
    with pytest.raises(VaultError, match="Choose the practice member who witnesses"):
        svc.countersign(
            repos,
            doc_id,
            member_id=lee,
            pin="7391",
            witness=drawn("Sam Reed", "witness"),
            witness_png=png_bytes(6, 3),
        )
    with pytest.raises(VaultError, match="no practice member 99"):
        svc.countersign(repos, doc_id, member_id=99, pin="7391")
    assert _state(vault, doc_id) == before
    assert not repos.documents.get(doc_id).signed

    signed = svc.countersign(
        repos,
        doc_id,
        member_id=lee,
        pin="7391",
        witness=drawn("typed differently", "witness"),
        witness_png=png_bytes(6, 3),
        witness_id=sam,
        witness_pin="4826",
    )
    assert signed.signed and signed.signed_by == "Priya Lee"
    record = svc.consent_view(repos, doc_id).record
    assert record.practitioner == "Priya Lee" and record.countersigner_credential == "MD"
    assert record.countersigned_by == "Priya Lee, MD"
    assert (record.countersigner_member_id, record.countersign_confirmed) == (lee, "PIN")
    assert record.witness is not None and record.witness.name == "Sam Reed"  # the member's name
    assert record.witnessed_by == "Sam Reed, RN" and record.witness_member_id == sam
    (row,) = vault.audit_entries(action="consent.witness")
    detail = json.loads(row.detail)
    assert detail["countersigned_by"] == "Priya Lee" and detail["credential"] == "MD"
    assert detail["witness"] == "Sam Reed" and detail["witness_credential"] == "RN"
    assert detail["member_id"] == lee and detail["witness_member_id"] == sam
    assert "7391" not in row.detail and "4826" not in row.detail
    assert "7391" not in json.dumps(repos.documents.get(doc_id).data)
    state = {s.template_id: s.state for s in svc.consent_status(repos, client_id).statuses}
    assert state[KAP] is ConsentState.CURRENT
    assert vault.check().ok


def test_the_vaults_practitioner_countersigns_with_the_passphrase_or_their_pin(
    vault: Vault, repos: Repos, client_id: int
) -> None:
    first = sign(repos, client_id)
    before = _state(vault, first)
    with pytest.raises(VaultError, match="not the vault passphrase"):
        svc.countersign(repos, first, member_id=1, pin="wrong passphrase")
    assert _state(vault, first) == before
    svc.countersign(repos, first, member_id=1, pin=PASSPHRASE)
    record = svc.consent_view(repos, first).record
    assert record.practitioner == "Dr Test" and record.countersign_confirmed == "vault passphrase"
    assert record.countersigner_member_id == 1
    # with a signing PIN set, the PIN is what confirms them
    practice.set_signing_pin(vault, "2468")
    second = sign(repos, client_id, "music-recording", MUSIC_VALUES)
    with pytest.raises(VaultError, match="not Dr Test's PIN"):
        svc.countersign(repos, second, member_id=1, pin="2469")
    svc.countersign(repos, second, member_id=1, pin="2468")
    assert svc.consent_view(repos, second).record.countersign_confirmed == "PIN"
    # a member removed from the practice no longer countersigns
    gone = add_member(vault, "Alex Moss", "LCSW", "1357", role="therapist")
    practice.remove(vault, gone)
    third = sign(repos, client_id, "touch-agreement", TOUCH_VALUES)
    with pytest.raises(VaultError, match="no longer a practice member"):
        svc.countersign(repos, third, member_id=gone, pin="1357")
    assert not repos.documents.get(third).signed
