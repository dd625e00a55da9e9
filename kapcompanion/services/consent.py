"""Consent in the treatment room: templates, the client's signature, countersigning, withdrawal.

Clinic templates live inside the vault under ``consent_templates``: ``{"templates": [...]}``
holds every saved version (a version never changes; an edit adds the next number), beside
the shipped defaults in ``resources/consent``. The newest version of an id is the current
one; a consent signed on an older version asks for a new signature.

A consent is a ``consent`` document: the exact text shown, the template id and version, the
values filled in (route, dose band, recipient...), and the client's signature as stroke data
(points with timestamps) with its rendered PNG as an attachment, all inside the vault. A
practice member countersigns, confirming with their own PIN (the vault's practitioner with
their PIN or the vault passphrase), and the countersignature is the ordinary document
signature; a witness, if any, is a second practice member who signs on the pad and confirms
with their own PIN. The signature seals the row and
its attachments (``store.seals``), so a changed stroke or image fails ``vault check``.

Withdrawal is a ``consent_withdrawal`` document, signed when it is recorded; the consent
itself is never changed or deleted. Each function here is one user action and one transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from kapcompanion.core.consent import (
    CONSENT_KIND,
    WITHDRAWAL_KIND,
    ConsentError,
    ConsentRecord,
    ConsentSummary,
    ConsentTemplate,
    PlannedDose,
    Signature,
    SignedConsent,
    Withdrawal,
    record_from_data,
    render,
    revise,
    shipped_templates,
    signature_problem,
    status_of,
    template_from_dict,
    template_to_dict,
    withdrawal_from_data,
)
from kapcompanion.core.dose import DoseBand, Route
from kapcompanion.core.members import Member
from kapcompanion.core.models import StoredDocument
from kapcompanion.core.reasons import reason_problem
from kapcompanion.core.serial import to_jsonable
from kapcompanion.core.settings import PART2_NOTICE
from kapcompanion.services import members as practice
from kapcompanion.store import settings as stored_settings
from kapcompanion.store.errors import RecordLocked, RecordNotFound, VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

TEMPLATES_KEY = "consent_templates"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CLIENT_IMAGE = "client-signature.png"
WITNESS_IMAGE = "witness-signature.png"


# --------------------------------------------------------------------------- templates
def _shipped() -> list[ConsentTemplate]:
    try:
        return shipped_templates()
    except (ConsentError, OSError):  # a broken install still shows the clinic's own
        return []


def saved_templates(vault: Vault) -> list[ConsentTemplate]:
    """Every version the clinic saved (unreadable entries are skipped, never fatal)."""
    raw = vault.get_json(TEMPLATES_KEY, None)
    out: list[ConsentTemplate] = []
    if isinstance(raw, dict):
        for entry in raw.get("templates", []):
            with contextlib.suppress(ConsentError, TypeError, ValueError):
                out.append(template_from_dict(entry))
    return out


def all_templates(vault: Vault) -> list[ConsentTemplate]:
    """Shipped templates, then every saved clinic version."""
    return [*_shipped(), *saved_templates(vault)]


def part2_enabled(vault: Vault) -> bool:
    return bool(stored_settings.read(vault, PART2_NOTICE))


def current_templates(vault: Vault) -> list[ConsentTemplate]:
    """The newest version of each consent the clinic uses (Part 2 ones only where enabled),
    in the shipped order. A clinic version wins over a shipped one of the same number."""
    newest: dict[str, ConsentTemplate] = {}
    for t in all_templates(vault):
        if t.id not in newest or t.version >= newest[t.id].version:
            newest[t.id] = t
    part2 = part2_enabled(vault)
    return [t for t in newest.values() if part2 or not t.part2]


def current_template(vault: Vault, template_id: str) -> ConsentTemplate:
    versions = [t for t in all_templates(vault) if t.id == template_id]
    if not versions:
        raise VaultError(f"There is no consent template {template_id!r}.")
    top = max(t.version for t in versions)
    return [t for t in versions if t.version == top][-1]


def find_template(vault: Vault, template_id: str, version: int) -> ConsentTemplate | None:
    found = [t for t in all_templates(vault) if t.id == template_id and t.version == version]
    return found[-1] if found else None


def edit_template(
    vault: Vault,
    template_id: str,
    *,
    title: str | None = None,
    text: str | None = None,
    required: bool | None = None,
) -> ConsentTemplate:
    """Save the clinic's edit as the next version of ``template_id`` (audited).

    Consents already signed keep the text they were signed with; from now on the status
    check asks for a new signature on this version."""
    base = current_template(vault, template_id)
    try:
        new = revise(base, title=title, text=text, required=required, after=base.version)
    except ConsentError as exc:
        raise VaultError(str(exc)) from exc
    stored = [template_to_dict(t) for t in saved_templates(vault)]
    stored.append(template_to_dict(new))
    with vault.transaction() as tx:
        vault.set_json(TEMPLATES_KEY, {"templates": stored}, tx)
        vault.audit(
            "consent_template.save",
            record_type="consent_template",
            detail=f"{new.ref} (from {base.ref})",
            conn=tx,
        )
    return new


# --------------------------------------------------------------------------- signing
def clinic_name(vault: Vault) -> str:
    return str(vault.practitioner.get("clinic", "")).strip()


def text_for(
    repos: Repos, client_id: int, template: ConsentTemplate, values: dict[str, str]
) -> str:
    """The exact text the client will read: the template with this client's values."""
    client = repos.clients.get(client_id)
    try:
        return render(template, values, client_name=client.name, clinic=clinic_name(repos.vault))
    except ConsentError as exc:
        raise VaultError(str(exc)) from exc


def _running_session(repos: Repos, client_id: int) -> int | None:
    for s in repos.sessions.for_client(client_id):
        if s.running and s.id is not None:
            return s.id
    return None


def _png(content: bytes, who: str) -> bytes:
    if not content.startswith(PNG_MAGIC):
        raise VaultError(f"The image of {who}'s signature is not a PNG; nothing was saved.")
    return content


def sign_by_client(
    repos: Repos,
    client_id: int,
    template_id: str,
    values: dict[str, str],
    signature: Signature,
    png: bytes,
    *,
    shown_text: str,
    session_id: int | None = None,
) -> StoredDocument:
    """The client signs the current version of a consent on the pad: one transaction.

    ``shown_text`` is what the screen showed; if the template changed meanwhile, nothing is
    saved and the screen shows the new text. Refused while one of the client's sessions is
    running: consent is not changed while the client is under the influence."""
    template = current_template(repos.vault, template_id)
    text = text_for(repos, client_id, template, values)
    if text != shown_text:
        raise VaultError(
            "The consent text changed while it was open (a new version was saved). "
            "Show the new text to the client; nothing was signed."
        )
    problem = signature_problem(dataclasses.replace(signature, role="client"))
    if problem:
        raise VaultError(problem)
    running = _running_session(repos, client_id)
    if running is not None:
        raise VaultError(
            "A session is running for this client: consent is not signed while the client is "
            "under the influence. Note the request in the session; the client signs after "
            "discharge."
        )
    image = _png(png, "the client")
    record = ConsentRecord(
        template_id=template.id,
        template_version=template.version,
        title=template.title,
        purpose=template.purpose,
        text=text,
        values={f.key: values.get(f.key, "").strip() for f in template.fields},
        sources=list(template.sources),
        client=dataclasses.replace(
            signature, role="client", image_sha256=hashlib.sha256(image).hexdigest()
        ),
        session_id=session_id,
    )
    course_id = None
    if session_id is not None:
        course_id = repos.sessions.get(session_id).course_id
    doc = StoredDocument(
        kind=CONSENT_KIND,
        client_id=client_id,
        course_id=course_id,
        session_id=session_id,
        data=to_jsonable(record),
    )
    with repos.vault.transaction():
        saved = repos.documents.save(doc, audit_action="consent.client_sign")
        assert saved.id is not None
        repos.documents.attach(saved.id, CLIENT_IMAGE, "image/png", image, None)
    return saved


def _consent(repos: Repos, doc_id: int) -> tuple[StoredDocument, ConsentRecord]:
    doc = repos.documents.get(doc_id)
    if doc.kind != CONSENT_KIND:
        raise RecordNotFound(f"Record {doc_id} is not a consent.")
    return doc, record_from_data(doc.data)


@dataclass(frozen=True)
class Confirmed:
    """A practice member confirmed in person for this consent, as written into the record."""

    member: Member | None  # None: the vault's practitioner through the signing dialog
    name: str
    credential: str
    how: str  # "PIN", "vault passphrase", or "signing dialog"

    @property
    def label(self) -> str:
        return f"{self.name}, {self.credential}" if self.credential else self.name


def _confirm_member(repos: Repos, member_id: int, pin: str, what: str) -> Confirmed:
    """The member, confirmed with their own PIN (the vault's practitioner without a PIN:
    the vault passphrase); :class:`MemberRefused` with nothing written otherwise."""
    member = practice.confirm(repos.vault, member_id, pin, what=what)
    how = "PIN"
    if member.profile and not practice.has_signing_pin(repos.vault):
        how = "vault passphrase"
    return Confirmed(member, member.name, member.credential, how)


def _countersigner(repos: Repos, signer: str, member_id: int | None, pin: str) -> Confirmed:
    if member_id is not None:
        return _confirm_member(repos, member_id, pin, "the countersignature")
    if not signer.strip():
        raise VaultError("Enter your name as it should appear under the consent.")
    # the vault's practitioner, whose passphrase or PIN the signing dialog checked
    profile = practice.profile_member(repos.vault)
    name = " ".join(signer.split())
    credential = profile.credential if name.casefold() == profile.name.casefold() else ""
    return Confirmed(None, name, credential, "signing dialog")


def _detail(counter: Confirmed, witness: Confirmed | None) -> str:
    """The audit detail: who countersigned and witnessed, as written then; never a PIN."""
    fields: dict[str, object] = {
        "countersigned_by": counter.name,
        "credential": counter.credential,
        "member_id": counter.member.id if counter.member else None,
        "confirmed_with": counter.how,
    }
    if witness is not None:
        fields.update(
            witness=witness.name,
            witness_credential=witness.credential,
            witness_member_id=witness.member.id if witness.member else None,
            witness_confirmed_with=witness.how,
        )
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def countersign(
    repos: Repos,
    doc_id: int,
    signer: str = "",
    *,
    member_id: int | None = None,
    pin: str = "",
    witness: Signature | None = None,
    witness_png: bytes | None = None,
    witness_id: int | None = None,
    witness_pin: str = "",
) -> StoredDocument:
    """Countersign a consent, with a witness's signature if there is one: one transaction,
    then the consent is locked and sealed (text, strokes, both images, both signatures).

    Who countersigns is a practice member (``member_id``) confirming with their own PIN
    (the vault's practitioner, member 1, with their PIN or, without one, the vault
    passphrase), so that a second clinician in the room can countersign. Without
    ``member_id`` it is the vault's practitioner under ``signer``, whose passphrase or PIN
    the ordinary signing dialog checked. A witness is a practice member too (``witness_id``,
    ``witness_pin``), other than the one who countersigns, who also signs on the pad. The
    record and the audit detail keep each person's name and credential as they were then,
    never a PIN. A wrong PIN, or any other refusal, raises and writes nothing."""
    doc, record = _consent(repos, doc_id)
    if doc.signed or record.countersigned:
        raise RecordLocked("This consent is already countersigned.")
    if withdrawal_for(repos, doc_id) is not None:
        raise VaultError("This consent was withdrawn; it cannot be countersigned.")
    image: bytes | None = None
    if witness is not None:
        problem = signature_problem(dataclasses.replace(witness, role="witness"))
        if problem:
            raise VaultError(problem)
        image = _png(witness_png or b"", "the witness")
        if witness_id is None:
            raise VaultError(
                "Choose the practice member who witnesses; they confirm with their own PIN."
            )
    counter = _countersigner(repos, signer, member_id, pin)
    seen: Confirmed | None = None
    if witness is not None and witness_id is not None:
        chosen = practice.member(repos.vault, witness_id)
        same = (
            chosen.id == counter.member.id
            if counter.member is not None
            else chosen.name.casefold() == counter.name.casefold()
        )
        if same:
            raise VaultError(
                f"{chosen.name} countersigns; the witness is a second person. "
                "Choose another member as the witness."
            )
        seen = _confirm_member(repos, witness_id, witness_pin, "the witness's signature")
        witness = dataclasses.replace(
            witness,
            name=seen.name,
            role="witness",
            image_sha256=hashlib.sha256(image or b"").hexdigest(),
        )
    updated = dataclasses.replace(
        record,
        witness=witness,
        practitioner=counter.name,
        countersigned_utc=datetime.now(UTC),
        countersigner_credential=counter.credential,
        countersigner_member_id=counter.member.id if counter.member else None,
        countersign_confirmed=counter.how,
        witness_credential=seen.credential if seen else "",
        witness_member_id=seen.member.id if seen and seen.member else None,
    )
    with repos.vault.transaction():
        repos.documents.save(
            dataclasses.replace(doc, data=to_jsonable(updated)),
            audit_action="consent.witness" if witness else "consent.countersign",
            audit_detail=_detail(counter, seen),
        )
        if image is not None:
            repos.documents.attach(doc_id, WITNESS_IMAGE, "image/png", image, None)
        return repos.documents.sign(doc_id, counter.name)


def withdrawal_for(repos: Repos, doc_id: int) -> Withdrawal | None:
    doc = repos.documents.get(doc_id)
    for w in repos.documents.find(WITHDRAWAL_KIND, client_id=doc.client_id):
        with contextlib.suppress(TypeError, ValueError):
            withdrawal = withdrawal_from_data(w.data)
            if withdrawal.consent_id == doc_id:
                return withdrawal
    return None


def withdraw(
    repos: Repos, doc_id: int, reason: str, *, at: datetime | None = None
) -> StoredDocument:
    """Record that the client withdrew this consent: dated, with the reason, signed by the
    practitioner recording it, in one transaction. The consent itself stays as signed."""
    doc, record = _consent(repos, doc_id)
    problem = reason_problem(reason)
    if problem:
        raise VaultError(problem)
    if withdrawal_for(repos, doc_id) is not None:
        raise VaultError("This consent is already withdrawn.")
    when = at or datetime.now(UTC)
    if when.tzinfo is None:
        raise VaultError("The time of the withdrawal needs a time zone.")
    if when < record.client.utc:
        raise VaultError("A consent cannot be withdrawn before it was signed.")
    if when > datetime.now(UTC):
        raise VaultError("The time of the withdrawal cannot be in the future.")
    assert doc.client_id is not None
    running = _running_session(repos, doc.client_id)
    who = repos.vault.who or "the practitioner"
    withdrawal = Withdrawal(
        consent_id=doc_id,
        template_id=record.template_id,
        template_version=record.template_version,
        reason=" ".join(reason.split()),
        withdrawn_utc=when,
        recorded_by=who,
        during_session_id=running,
    )
    new = StoredDocument(
        kind=WITHDRAWAL_KIND,
        client_id=doc.client_id,
        course_id=doc.course_id,
        session_id=running,
        data=to_jsonable(withdrawal),
    )
    with repos.vault.transaction():
        saved = repos.documents.save(new, audit_action="consent.withdraw")
        assert saved.id is not None
        return repos.documents.sign(saved.id, who)


# --------------------------------------------------------------------------- reading
@dataclass
class ConsentView:
    """One consent for the screen and the PDF: the record, its state, its images."""

    document: StoredDocument
    record: ConsentRecord
    withdrawal: Withdrawal | None
    client_png: bytes | None
    witness_png: bytes | None


def signed_consents(repos: Repos, client_id: int) -> list[SignedConsent]:
    withdrawals: dict[int, Withdrawal] = {}
    for w in repos.documents.find(WITHDRAWAL_KIND, client_id=client_id):
        with contextlib.suppress(TypeError, ValueError):
            item = withdrawal_from_data(w.data)
            withdrawals.setdefault(item.consent_id, item)
    out: list[SignedConsent] = []
    for doc in repos.documents.find(CONSENT_KIND, client_id=client_id):
        assert doc.id is not None
        with contextlib.suppress(TypeError, ValueError):
            out.append(SignedConsent(doc.id, record_from_data(doc.data), withdrawals.get(doc.id)))
    return out


def consent_view(repos: Repos, doc_id: int) -> ConsentView:
    doc, record = _consent(repos, doc_id)
    images = {name: aid for aid, name, _mime, _thumb in repos.documents.attachments(doc_id)}
    client = (
        repos.documents.attachment_content(images[CLIENT_IMAGE]) if CLIENT_IMAGE in images else None
    )
    witness = (
        repos.documents.attachment_content(images[WITNESS_IMAGE])
        if WITNESS_IMAGE in images
        else None
    )
    return ConsentView(doc, record, withdrawal_for(repos, doc_id), client, witness)


def planned_dose(repos: Repos, session_id: int) -> PlannedDose:
    """The route and dose band the session plans (either may be unknown)."""
    plan = repos.sessions.get(session_id).plan or {}
    route: Route | None = None
    band: DoseBand | None = None
    with contextlib.suppress(ValueError, TypeError):
        route = Route(str(plan.get("route")))
    with contextlib.suppress(ValueError, TypeError):
        band = DoseBand(str(plan.get("band")))
    return PlannedDose(route, band)


def consent_status(repos: Repos, client_id: int, session_id: int | None = None) -> ConsentSummary:
    """Which consents the clinic asks for are signed and current for this client.

    A consent is current when the client signed and the practitioner countersigned the
    template's current version and it was not withdrawn; with ``session_id``, the KAP consent
    must also cover that session's planned route and dose band. ``ConsentSummary.ready`` is
    what the readiness gate asks."""
    signed = signed_consents(repos, client_id)
    planned = planned_dose(repos, session_id) if session_id is not None else None
    return ConsentSummary(
        tuple(status_of(t, signed, planned) for t in current_templates(repos.vault))
    )
