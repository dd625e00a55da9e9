"""A client's record as a FHIR R4 ``Bundle`` of type ``collection``, built with ``fhir.resources``.

Which models: ``fhir.resources`` 8.x (pydantic 2, the version our venv can hold) makes FHIR R5
its default; FHIR R4 (4.0.1) itself is the default only in the 6.x releases, which need
pydantic 1 (end of life, and at odds with any later pydantic 2 user in the same venv). We use
the package's ``fhir.resources.R4B`` models (FHIR 4.3.0). HL7 made R4B a technical correction
of R4 confined to a few modules (medication definition, evidence, subscriptions); every
resource written here (Patient, Practitioner, Organization, Consent, EpisodeOfCare,
Encounter, MedicationAdministration, Observation, QuestionnaireResponse, DocumentReference,
Provenance, Bundle) has the same elements, names and cardinalities in R4 and R4B, so what
we write reads as R4 (https://hl7.org/fhir/R4B/r4b-explanation.html). Each resource is built
as a model and the whole bundle is validated by parsing its JSON back through the models
before it is written.

What goes in, for one client: Patient (name, date of birth, record number, telecom,
pronouns through the HL7 ``individual-pronouns`` extension), Practitioner and Organization
from the vault's profile, a Consent for each distinct touch agreement and for each consent
document the client signed (status, dates, countersignature, withdrawal), an EpisodeOfCare per
course, an Encounter per dosing session, a MedicationAdministration per dose and extra dose
(RxNorm, SNOMED CT route, dose in mg, lot in a note; a later correction of a dose event is
applied and noted), Observations for vital signs (LOINC, UCUM), a QuestionnaireResponse and
a total-score Observation per measure, on request a DocumentReference carrying each signed
PDF (``fhir_documents``), and a Provenance naming this app, the practitioner
and the audit trail's head at export. Codes: ``fhir_codes``. Identifiers are UUIDs derived
from the record's ids, so exporting the same record twice gives the same ``fullUrl``s.

Reads through the repositories only (export -> store, core); no Qt. ``export_fhir`` writes
the file atomically and audits what was included.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.consent import (
    Consent,
    ConsentPolicy,
    ConsentProvision,
    ConsentVerification,
)
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.domainresource import DomainResource
from fhir.resources.R4B.encounter import Encounter, EncounterParticipant
from fhir.resources.R4B.episodeofcare import EpisodeOfCare
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medicationadministration import (
    MedicationAdministration,
    MedicationAdministrationDosage,
    MedicationAdministrationPerformer,
)
from fhir.resources.R4B.observation import Observation, ObservationComponent
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.practitioner import Practitioner, PractitionerQualification
from fhir.resources.R4B.provenance import Provenance, ProvenanceAgent, ProvenanceEntity
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference
from pydantic import ValidationError

from kapcompanion import __version__
from kapcompanion.core.checklist import Checklist
from kapcompanion.core.consent import (
    CONSENT_KIND,
    WITHDRAWAL_KIND,
    ConsentPurpose,
    Withdrawal,
    record_from_data,
    withdrawal_from_data,
)
from kapcompanion.core.dose import DosePlan, Route, complete_plan
from kapcompanion.core.intake import indication_label
from kapcompanion.core.measures import MeasureResponse, instrument
from kapcompanion.core.models import (
    Client,
    Course,
    CourseStatus,
    DosingSession,
    EventKind,
    SessionEvent,
    SessionStatus,
    stored_id,
)
from kapcompanion.core.models import Practitioner as PractitionerRecord
from kapcompanion.core.serial import load
from kapcompanion.core.touch import TouchAgreement, describe
from kapcompanion.core.vitals import VitalReading
from kapcompanion.export import fhir_codes as fc
from kapcompanion.export.atomic import audit_export, write_bytes_atomic
from kapcompanion.export.errors import ExportError
from kapcompanion.store.repos import Repos

T = TypeVar("T")
APP_NAME = "KAP Companion"
ProgressFn = Callable[[float, str], None]


# --------------------------------------------------------------------------- small helpers
def _load(cls: type[T], data: Any) -> T | None:
    if not isinstance(data, dict) or not data:
        return None
    try:
        return load(cls, data)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _coding(code: fc.Code) -> Coding:
    return Coding(system=code.system, code=code.code, display=code.display)


def _concept(*codes: fc.Code, text: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=[_coding(c) for c in codes], text=text)


def _quantity(value: float | int, unit: fc.Unit) -> Quantity:
    return Quantity(value=Decimal(str(value)), unit=unit.unit, system=fc.UCUM, code=unit.code)


def _ref(resource: DomainResource, display: str | None = None) -> Reference:
    return Reference(reference=f"urn:uuid:{resource.id}", display=display)


def _aware(when: datetime) -> datetime:
    """FHIR dateTimes with a time carry a zone; stored times are UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- the bundle
@dataclass
class ClientBundle:
    """One client's bundle and what it holds (resource type -> count), for the audit."""

    client_id: int
    bundle: Bundle
    counts: dict[str, int] = field(default_factory=dict)

    def json(self) -> str:
        return str(self.bundle.model_dump_json(exclude_none=True, indent=2))


class _Builder:
    def __init__(self, repos: Repos, client: Client, anchor: str, now: datetime) -> None:
        self.repos = repos
        self.client = client
        self.anchor = anchor
        self.now = now
        created = client.created_utc.isoformat() if client.created_utc else ""
        self.ns = uuid.uuid5(uuid.NAMESPACE_URL, f"{fc.LOCAL_BASE}/client/{client.id}/{created}")
        self.entries: list[DomainResource] = []

    def uid(self, *key: object) -> str:
        return str(uuid.uuid5(self.ns, "/".join(str(k) for k in key)))

    def add(self, resource: DomainResource) -> DomainResource:
        self.entries.append(resource)
        return resource

    # ---------------------------------------------------------------- who
    def patient(self) -> Patient:
        c = self.client
        telecom = [
            ContactPoint(system=system, value=value.strip())
            for system, value in (("phone", c.phone), ("email", c.email))
            if value.strip()
        ]
        extension = None
        if c.pronouns.strip():
            # the pronouns as the client gave them; no code guessed
            extension = [
                Extension(
                    url=fc.PRONOUNS_EXTENSION,
                    extension=[
                        Extension(
                            url="value", valueCodeableConcept=CodeableConcept(text=c.pronouns)
                        )
                    ],
                )
            ]
        patient = Patient(
            id=self.uid("Patient", c.id),
            identifier=[Identifier(system=fc.LOCAL_CLIENT_ID, value=c.identifier.strip())]
            if c.identifier.strip()
            else None,
            name=[HumanName(use="official", text=c.name.strip())] if c.name.strip() else None,
            birthDate=c.dob,
            telecom=telecom or None,
            active=c.status.value == "active",
            extension=extension,
        )
        self.add(patient)
        return patient

    def practitioner(self) -> tuple[Practitioner | None, Organization | None]:
        record = _load(PractitionerRecord, self.repos.vault.practitioner) or PractitionerRecord()
        org = None
        if record.clinic.strip():
            org = Organization(id=self.uid("Organization"), name=record.clinic.strip(), active=True)
            self.add(org)
        if not record.name.strip():
            return None, org
        telecom = [
            ContactPoint(system=system, value=value.strip())
            for system, value in (("phone", record.phone), ("email", record.email))
            if value.strip()
        ]
        qualification = None
        if record.credentials.strip():
            qualification = [
                PractitionerQualification(
                    code=CodeableConcept(text=record.credentials.strip()),
                    identifier=[Identifier(system=fc.LOCAL_LICENCE, value=record.licence_number)]
                    if record.licence_number.strip()
                    else None,
                )
            ]
        practitioner = Practitioner(
            id=self.uid("Practitioner"),
            name=[HumanName(text=record.name.strip())],
            telecom=telecom or None,
            qualification=qualification,
            active=True,
        )
        self.add(practitioner)
        return practitioner, org


_EPISODE_STATUS = {
    CourseStatus.PLANNED: "planned",
    CourseStatus.ACTIVE: "active",
    CourseStatus.COMPLETED: "finished",
    CourseStatus.STOPPED: "cancelled",
}
_ENCOUNTER_STATUS = {
    SessionStatus.PLANNED: "planned",
    SessionStatus.STARTED: "in-progress",
    SessionStatus.DOSED: "in-progress",
    SessionStatus.ENDED: "finished",
}


@dataclass
class _Dose:
    kind: str  # "dose" or "extra dose"
    when: datetime
    route: Route | None
    total_mg: float | None
    mg_per_kg: float | None
    lot: str
    drug: str
    note: str
    key: tuple[str, int | None]


def _route(value: Any, default: Route | None) -> Route | None:
    if value in (None, ""):
        return default
    try:
        return Route(str(value))
    except ValueError:
        return default


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _doses(session: DosingSession, events: list[SessionEvent]) -> list[_Dose]:
    """Every dose given in the session, with later corrections of its event applied."""
    plan = _load(DosePlan, session.plan)
    if plan is not None:
        with contextlib.suppress(TypeError, ValueError):
            plan = complete_plan(plan)
    corrections: dict[int, SessionEvent] = {}
    for e in events:
        if e.kind is EventKind.CORRECTION and e.corrects_id is not None:
            corrections[e.corrects_id] = e  # the latest wins (events come in id order)
    out: list[_Dose] = []
    given = [e for e in events if e.kind in (EventKind.DOSE_GIVEN, EventKind.EXTRA_DOSE)]
    if session.dose_utc is not None and not any(e.kind is EventKind.DOSE_GIVEN for e in given):
        out.append(
            _Dose(
                "dose",
                session.dose_utc,
                plan.route if plan else None,
                plan.total_mg if plan else None,
                plan.mg_per_kg if plan else None,
                plan.lot if plan else "",
                str(session.plan.get("drug", "")),
                "",
                ("dose", session.id),
            )
        )
    for e in given:
        payload = dict(e.payload)
        note = ""
        fix = corrections.get(e.id or -1)
        if fix is not None and isinstance(fix.payload.get("payload"), dict):
            payload.update(fix.payload["payload"])
            note = f"Corrected on {fix.utc:%Y-%m-%d}: {fix.payload.get('reason', '')}".strip()
        total = _number(payload.get("total_mg", payload.get("mg")))
        per_kg = _number(payload.get("mg_per_kg"))
        is_main = e.kind is EventKind.DOSE_GIVEN
        if is_main and plan is not None:
            total = plan.total_mg if total is None else total
            per_kg = plan.mg_per_kg if per_kg is None else per_kg
        text = "; ".join(str(payload[k]) for k in ("text", "note", "reason") if payload.get(k))
        out.append(
            _Dose(
                "dose" if is_main else "extra dose",
                session.dose_utc if is_main and session.dose_utc is not None else e.utc,
                _route(payload.get("route"), plan.route if plan else None),
                total,
                per_kg,
                str(payload.get("lot") or (plan.lot if plan and is_main else "") or ""),
                str(payload.get("drug") or session.plan.get("drug", "")),
                "; ".join(x for x in (text, note) if x),
                ("event", e.id),
            )
        )
    return out


def _touch_agreements(repos: Repos, client_id: int) -> list[TouchAgreement]:
    """The client's touch agreements as recorded on the checklists, each once, oldest first."""
    seen: dict[str, TouchAgreement] = {}
    for doc in repos.documents.find("checklist", client_id=client_id):
        checklist = _load(Checklist, doc.data)
        if checklist is None or checklist.touch is None:
            continue
        agreement = checklist.touch
        key = json.dumps(doc.data.get("touch"), sort_keys=True, default=str)
        seen.setdefault(key, agreement)
    return sorted(seen.values(), key=lambda a: a.agreed_on)


def _withdrawals(repos: Repos, client_id: int) -> dict[int, Withdrawal]:
    """Each withdrawn consent's withdrawal (consent document id -> the first recorded)."""
    out: dict[int, Withdrawal] = {}
    for doc in repos.documents.find(WITHDRAWAL_KIND, client_id=client_id):
        with contextlib.suppress(TypeError, ValueError, KeyError):
            w = withdrawal_from_data(doc.data)
            out.setdefault(w.consent_id, w)
    return out


def _signed_consents(
    b: _Builder, p_ref: Reference, org_ref: Reference | None, with_documents: bool
) -> list[Consent]:
    """A Consent for each consent document the client signed (FHIR R4 Consent,
    http://hl7.org/fhir/R4/consent.html; codes and sources in ``fhir_codes``).

    ``status`` is active once countersigned, proposed while it waits for the
    countersignature ("not yet agreed to by all parties"), inactive once withdrawn, with the
    withdrawal time as the end of ``provision.period``. ``dateTime`` is when the client
    signed; ``performer`` the Patient (who agrees); ``organization`` the clinic. The
    countersignature is the ``verification``: verified, when, and who countersigned with
    their credential as it was then. R4 types ``verifiedWith`` as Patient or RelatedPerson
    only (R5 added ``verifiedBy`` for a practitioner), so the countersigner is named by the
    reference's display alone, with no reference to a resource of the wrong type. The
    source is the signed PDF's DocumentReference when the PDFs are attached, else an
    attachment with the title only (the text and signatures stay in the PDF). The template
    id and version go in ``policy.uri`` (no standard extension exists for a form version)."""
    client_id = b.client.id or 0
    withdrawals = _withdrawals(b.repos, client_id)
    out: list[Consent] = []
    for doc in b.repos.documents.find(CONSENT_KIND, client_id=client_id):
        if doc.id is None:
            continue
        try:
            record = record_from_data(doc.data)
        except (TypeError, ValueError, KeyError):
            continue  # unreadable: the consent PDF export would refuse it too
        withdrawal = withdrawals.get(doc.id)
        signed = _aware(record.client.utc)
        if withdrawal is not None:
            status = "inactive"
        elif record.countersigned:
            status = "active"
        else:
            status = "proposed"
        part2 = record.purpose is ConsentPurpose.PART2
        verification = None
        if record.countersigned and record.countersigned_utc is not None:
            verification = [
                ConsentVerification(
                    verified=True,
                    verifiedWith=Reference(display=f"Countersigned by {record.countersigned_by}"),
                    verificationDate=_aware(record.countersigned_utc),
                )
            ]
        title = f"{record.title} (version {record.template_version})"
        source: dict[str, Any]
        if with_documents:
            source = {
                "sourceReference": Reference(
                    reference=f"urn:uuid:{b.uid('DocumentReference', 'consent', doc.id)}",
                    display=title,
                )
            }
        else:
            source = {"sourceAttachment": Attachment(title=title, creation=signed)}
        end = _aware(withdrawal.withdrawn_utc) if withdrawal is not None else None
        out.append(
            Consent(
                id=b.uid("Consent", "document", doc.id),
                status=status,
                scope=_concept(fc.CONSENT_PRIVACY if part2 else fc.CONSENT_TREATMENT),
                category=[_concept(fc.CONSENT_DOCUMENT, text=record.title)],
                patient=p_ref,
                dateTime=signed,
                performer=[p_ref],
                organization=[org_ref] if org_ref else None,
                policy=[
                    ConsentPolicy(
                        uri=f"{fc.LOCAL_CONSENT_TEMPLATE}/{record.template_id}/"
                        f"{record.template_version}"
                    )
                ],
                policyRule=_concept(fc.PART2_POLICY) if part2 else None,
                verification=verification,
                provision=ConsentProvision(type="permit", period=Period(start=signed, end=end)),
                **source,
            )
        )
    return out


def build_client_bundle(
    repos: Repos,
    client_id: int,
    *,
    anchor: str = "",
    now: datetime | None = None,
    with_documents: bool = False,
    progress: ProgressFn | None = None,
) -> ClientBundle:
    """The client's record as a validated FHIR Bundle (raises the store's RecordNotFound).

    ``with_documents`` adds a DocumentReference per signed PDF (``fhir_documents``), each
    laid out in memory; ``progress(fraction, message)`` reports while they are."""
    client: Client = repos.clients.get(client_id)
    b = _Builder(repos, client, anchor, now or datetime.now(UTC))
    patient = b.patient()
    me, org = b.practitioner()
    p_ref = _ref(patient)
    me_ref = _ref(me) if me is not None else None
    org_ref = _ref(org) if org is not None else None

    for n, agreement in enumerate(_touch_agreements(repos, client_id)):
        text = describe(agreement)
        b.add(
            Consent(
                id=b.uid("Consent", "touch", n),
                status="inactive" if agreement.withdrawn else "active",
                scope=_concept(fc.CONSENT_TREATMENT),
                category=[_concept(fc.CONSENT_DOCUMENT, text="Touch agreement")],
                patient=p_ref,
                dateTime=datetime.combine(agreement.agreed_on, datetime.min.time(), UTC),
                performer=[p_ref],
                organization=[org_ref] if org_ref else None,
                policyRule=CodeableConcept(
                    text="Touch during dosing sessions, as agreed with the client"
                ),
                sourceAttachment=Attachment(
                    contentType="text/plain; charset=utf-8",
                    title="Touch agreement",
                    data=base64.b64encode(text.encode("utf-8")),
                    creation=datetime.combine(agreement.agreed_on, datetime.min.time(), UTC),
                ),
                provision=ConsentProvision(
                    type="permit" if not agreement.no_touch else "deny",
                    period=Period(end=_aware(agreement.withdrawn_at))
                    if agreement.withdrawn_at
                    else None,
                ),
            )
        )

    for consent in _signed_consents(b, p_ref, org_ref, with_documents):
        b.add(consent)

    episodes: dict[int, EpisodeOfCare] = {}
    for course in repos.courses.for_client(client_id):
        episode = _episode(b, course, p_ref, org_ref, me_ref)
        b.add(episode)
        episodes[stored_id(course)] = episode

    encounters: dict[int, Encounter] = {}
    for session in repos.sessions.for_client(client_id):
        enc = _encounter(b, session, p_ref, me_ref, org_ref, episodes)
        b.add(enc)
        encounters[stored_id(session)] = enc
        enc_ref = _ref(enc)
        events = repos.events.for_session(stored_id(session))
        for dose in _doses(session, events):
            b.add(_administration(b, dose, p_ref, enc_ref, me_ref))
        for vid, reading in repos.vitals.for_session(stored_id(session), VitalReading):
            for obs in _vital_observations(b, vid, reading, p_ref, enc_ref, me_ref):
                b.add(obs)

    for doc in repos.documents.find("measure", client_id=client_id):
        response = _load(MeasureResponse, doc.data)
        if response is None:
            continue
        taken_in = (
            _ref(encounters[response.session_id]) if response.session_id in encounters else None
        )
        qr = _questionnaire_response(b, doc.id, response, p_ref, taken_in)
        b.add(qr)
        score = _score_observation(b, doc.id, response, p_ref, taken_in, _ref(qr))
        if score is not None:
            b.add(score)

    if with_documents:
        _add_documents(b, p_ref, me_ref, org_ref, encounters, episodes, progress)

    targets = [_ref(r) for r in b.entries]
    agents = [
        ProvenanceAgent(
            type=_concept(fc.AGENT_ASSEMBLER),
            who=Reference(display=f"{APP_NAME} {__version__}"),
        )
    ]
    if me_ref is not None:
        agents.append(ProvenanceAgent(type=_concept(fc.AGENT_AUTHOR), who=me_ref))
    entity = None
    if anchor:
        entity = [
            ProvenanceEntity(
                role="source",
                what=Reference(
                    identifier=Identifier(system=fc.LOCAL_AUDIT_ANCHOR, value=anchor),
                    display="The vault's audit trail head at export (row:hash)",
                ),
            )
        ]
    b.add(
        Provenance(
            id=b.uid("Provenance", b.now.isoformat()),
            target=targets,
            recorded=b.now,
            agent=agents,
            entity=entity,
        )
    )
    bundle = Bundle(
        id=b.uid("Bundle", b.now.isoformat()),
        identifier=Identifier(system="urn:ietf:rfc:3986", value=f"urn:uuid:{b.uid('Bundle')}"),
        type="collection",
        timestamp=b.now,
        entry=[BundleEntry(fullUrl=f"urn:uuid:{r.id}", resource=r) for r in b.entries],
    )
    counts: dict[str, int] = {}
    for r in b.entries:
        name = str(r.get_resource_type())
        counts[name] = counts.get(name, 0) + 1
    validate_bundle_json(bundle.model_dump_json(exclude_none=True))
    return ClientBundle(client_id, bundle, counts)


def _add_documents(
    b: _Builder,
    p_ref: Reference,
    me_ref: Reference | None,
    org_ref: Reference | None,
    encounters: dict[int, Encounter],
    episodes: dict[int, EpisodeOfCare],
    progress: ProgressFn | None,
) -> None:
    from kapcompanion.export import fhir_documents as fd

    report = progress or (lambda _f, _m: None)
    sources = fd.document_sources(b.repos, b.client.id or 0)
    for n, source in enumerate(sources):
        report(n / max(len(sources), 1), f"Laying out {source.title.lower()}")
        pdf = fd.render_pdf(b.repos, source)
        linked: list[Reference] = []
        period = None
        if source.session_id is not None and source.session_id in encounters:
            enc = encounters[source.session_id]
            linked, period = [_ref(enc)], enc.period
        elif source.kind == "course":
            linked = [_ref(e) for e in episodes.values()]
        b.add(
            fd.document_reference(
                b.uid("DocumentReference", source.kind, source.record_id),
                source,
                pdf,
                patient=p_ref,
                now=b.now,
                author=me_ref,
                custodian=org_ref,
                encounters=linked,
                period=period,
            )
        )
    report(1.0, "Documents laid out")


def _episode(
    b: _Builder,
    course: Course,
    p_ref: Reference,
    org_ref: Reference | None,
    me_ref: Reference | None,
) -> EpisodeOfCare:
    start = course.started_on
    end = (
        course.ended_on if course.status in (CourseStatus.COMPLETED, CourseStatus.STOPPED) else None
    )
    return EpisodeOfCare(
        id=b.uid("EpisodeOfCare", course.id),
        status=_EPISODE_STATUS.get(course.status, "active"),
        type=[
            CodeableConcept(
                text=f"Ketamine-assisted psychotherapy course: "
                f"{indication_label(course.indication) or 'indication not recorded'}"
            )
        ],
        patient=p_ref,
        managingOrganization=org_ref,
        careManager=me_ref,
        period=Period(start=_day(start), end=_day(end)) if start or end else None,
    )


def _day(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, datetime.min.time(), UTC)


def _encounter(
    b: _Builder,
    s: DosingSession,
    p_ref: Reference,
    me_ref: Reference | None,
    org_ref: Reference | None,
    episodes: dict[int, EpisodeOfCare],
) -> Encounter:
    start = s.started_utc or s.dose_utc or s.planned_for
    period = None
    if start is not None:
        period = Period(start=_aware(start), end=_aware(s.ended_utc) if s.ended_utc else None)
    episode = episodes.get(s.course_id) if s.course_id is not None else None
    # ``class`` is a Python keyword: the model calls the element ``class_fhir``
    cls: dict[str, Any] = {"class_fhir": _coding(fc.AMBULATORY)}
    return Encounter(
        **cls,
        id=b.uid("Encounter", s.id),
        status=_ENCOUNTER_STATUS.get(s.status, "unknown"),
        type=[CodeableConcept(text=f"Ketamine-assisted psychotherapy dosing session {s.number}")],
        subject=p_ref,
        episodeOfCare=[_ref(episode)] if episode is not None else None,
        participant=[EncounterParticipant(individual=me_ref)] if me_ref is not None else None,
        serviceProvider=org_ref,
        period=period,
    )


def _administration(
    b: _Builder, dose: _Dose, p_ref: Reference, enc_ref: Reference, me_ref: Reference | None
) -> MedicationAdministration:
    drug = fc.medication_code(dose.drug)
    parts = [dose.kind.capitalize()]
    if dose.mg_per_kg is not None:
        parts.append(f"{dose.mg_per_kg:g} mg/kg")
    if dose.route is not None:
        parts.append(dose.route.label)
    notes = []
    if dose.lot:
        notes.append(Annotation(text=f"Lot {dose.lot}"))
    if dose.note:
        notes.append(Annotation(text=dose.note))
    return MedicationAdministration(
        id=b.uid("MedicationAdministration", dose.key[0], dose.key[1]),
        status="completed",
        category=CodeableConcept(text=dose.kind),
        medicationCodeableConcept=_concept(drug, text=drug.display),
        subject=p_ref,
        context=enc_ref,
        effectiveDateTime=_aware(dose.when),
        performer=[MedicationAdministrationPerformer(actor=me_ref)] if me_ref else None,
        dosage=MedicationAdministrationDosage(
            text=", ".join(parts),
            route=_concept(fc.ROUTES[dose.route]) if dose.route is not None else None,
            dose=_quantity(dose.total_mg, fc.MG) if dose.total_mg is not None else None,
        ),
        note=notes or None,
    )


def _vital_observations(
    b: _Builder,
    vid: int,
    r: VitalReading,
    p_ref: Reference,
    enc_ref: Reference,
    me_ref: Reference | None,
) -> list[Observation]:
    when = _aware(r.taken_utc)
    notes = [Annotation(text=t) for t in (*r.flags, r.note) if t and str(t).strip()]
    if r.pre_dose:
        notes.insert(0, Annotation(text="Before the dose"))
    common: dict[str, Any] = {
        "status": "final",
        "category": [_concept(fc.VITALS_CATEGORY)],
        "subject": p_ref,
        "encounter": enc_ref,
        "effectiveDateTime": when,
        "performer": [me_ref] if me_ref else None,
        "note": notes or None,
    }
    out: list[Observation] = []
    if r.systolic is not None or r.diastolic is not None:
        components = [
            ObservationComponent(code=_concept(code), valueQuantity=_quantity(value, fc.MM_HG))
            for code, value in ((fc.SYSTOLIC, r.systolic), (fc.DIASTOLIC, r.diastolic))
            if value is not None
        ]
        out.append(
            Observation(
                id=b.uid("Observation", "bp", vid),
                code=_concept(fc.BP_PANEL, text="Blood pressure"),
                component=components,
                **common,
            )
        )
    if r.heart_rate is not None:
        out.append(
            Observation(
                id=b.uid("Observation", "hr", vid),
                code=_concept(fc.HEART_RATE, text="Heart rate"),
                valueQuantity=_quantity(r.heart_rate, fc.PER_MIN),
                **common,
            )
        )
    if r.spo2 is not None:
        out.append(
            Observation(
                id=b.uid("Observation", "spo2", vid),
                code=_concept(fc.SPO2_PULSE_OX, fc.SPO2, text="SpO2"),
                valueQuantity=_quantity(r.spo2, fc.PERCENT),
                **common,
            )
        )
    return out


def _questionnaire_response(
    b: _Builder,
    doc_id: int | None,
    response: MeasureResponse,
    p_ref: Reference,
    enc_ref: Reference | None,
) -> QuestionnaireResponse:
    texts: dict[int, str] = {}
    with contextlib.suppress(KeyError, ValueError, OSError):
        texts = {i.number: i.text for i in instrument(response.instrument_id).items}
    items = [
        QuestionnaireResponseItem(
            linkId=str(number),
            text=texts.get(number),
            answer=[QuestionnaireResponseItemAnswer(valueInteger=value)]
            if value is not None
            else None,
        )
        for number, value in sorted(response.answers.items())
    ]
    items += [
        QuestionnaireResponseItem(
            linkId=qid,
            answer=[QuestionnaireResponseItemAnswer(valueInteger=value)]
            if value is not None
            else None,
        )
        for qid, value in sorted(response.extra_answers.items())
    ]
    return QuestionnaireResponse(
        id=b.uid("QuestionnaireResponse", doc_id),
        questionnaire=fc.measure_codes(response.instrument_id).questionnaire,
        status="completed",
        subject=p_ref,
        encounter=enc_ref,
        authored=_aware(response.taken_on),
        source=p_ref,
        item=items or None,
    )


def _score_observation(
    b: _Builder,
    doc_id: int | None,
    response: MeasureResponse,
    p_ref: Reference,
    enc_ref: Reference | None,
    qr_ref: Reference,
) -> Observation | None:
    if response.score is None:
        return None
    codes = fc.measure_codes(response.instrument_id)
    notes = [Annotation(text=f) for f in response.flags]
    if response.incomplete_reason:
        notes.append(Annotation(text=f"Incomplete, prorated: {response.incomplete_reason}"))
    notes.append(Annotation(text=f"Context: {response.context.value.replace('_', ' ')}"))
    return Observation(
        id=b.uid("Observation", "score", doc_id),
        status="final",
        category=[_concept(fc.SURVEY_CATEGORY)],
        code=_concept(codes.total),
        subject=p_ref,
        encounter=enc_ref,
        effectiveDateTime=_aware(response.taken_on),
        valueInteger=response.score,
        interpretation=[CodeableConcept(text=response.band)] if response.band else None,
        derivedFrom=[qr_ref],
        note=notes or None,
    )


# --------------------------------------------------------------------------- validation
def validate_bundle_json(text: str | bytes) -> Bundle:
    """Parse JSON through the R4B models: every resource is checked (structure, cardinality,
    primitive formats); raises :class:`ExportError` with the first problems named."""
    try:
        return Bundle.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise ExportError(f"The FHIR bundle did not validate ({problems}).") from exc


# --------------------------------------------------------------------------- writing
@dataclass(frozen=True)
class FhirResult:
    path: Path
    clients: int
    counts: dict[str, int]
    size: int


def _anchor(vault: Any) -> str:
    with contextlib.suppress(Exception):
        anchor = vault.record_anchor("FHIR export")
        if anchor is not None:
            return str(anchor)
    return ""


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))


def export_fhir(
    repos: Repos,
    out: str | os.PathLike[str],
    client_ids: Iterable[int] | None = None,
    *,
    progress: ProgressFn | None = None,
    now: datetime | None = None,
    with_documents: bool = False,
) -> FhirResult:
    """Write one client's bundle (``client_ids`` of one), or, for several or all clients
    (``None``: every client in the vault, archived too), a ``collection`` Bundle whose
    entries are one Bundle per client. Written atomically, then audited with what it holds
    (resource counts; never a file name, which may carry a client's name).
    ``with_documents`` attaches the signed PDFs as DocumentReferences (``fhir_documents``)."""
    report = progress or (lambda _f, _m: None)
    ids = (
        [c.id for c in repos.clients.search(include_archived=True) if c.id is not None]
        if client_ids is None
        else list(client_ids)
    )
    if not ids:
        raise ExportError("There are no clients to export.")
    stamp = now or datetime.now(UTC)
    anchor = _anchor(repos.vault)
    bundles: list[ClientBundle] = []
    for n, cid in enumerate(ids):
        base, step = 0.9 * n / len(ids), 0.9 / len(ids)
        head = f"Building the record of client {n + 1} of {len(ids)}"
        report(base, head)

        def sub(
            fraction: float, message: str, base: float = base, step: float = step, head: str = head
        ) -> None:
            report(base + step * fraction, f"{head}: {message}")

        bundles.append(
            build_client_bundle(
                repos,
                cid,
                anchor=anchor,
                now=stamp,
                with_documents=with_documents,
                progress=sub,
            )
        )
    counts: dict[str, int] = {}
    for cb in bundles:
        for name, k in cb.counts.items():
            counts[name] = counts.get(name, 0) + k
    if client_ids is not None and len(ids) == 1:
        text = bundles[0].json()
    else:
        outer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{fc.LOCAL_BASE}/vault/{stamp.isoformat()}"))
        outer = Bundle(
            id=outer_id,
            type="collection",
            timestamp=stamp,
            entry=[
                BundleEntry(fullUrl=f"urn:uuid:{cb.bundle.id}", resource=cb.bundle)
                for cb in bundles
            ],
        )
        text = str(outer.model_dump_json(exclude_none=True, indent=2))
        validate_bundle_json(text)
    report(0.92, "Writing the file")
    path = write_bytes_atomic(out, text.encode("utf-8"), suffix=".json")
    detail = f"FHIR R4 JSON, {len(ids)} client(s): {_summary(counts)}"
    if with_documents:
        detail += " (signed PDFs attached)"
    if anchor:
        detail += f"; anchor {anchor}"
    try:
        audit_export(repos, "export.fhir", ids, detail)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    report(1.0, "Done")
    return FhirResult(path=path, clients=len(ids), counts=counts, size=path.stat().st_size)


__all__ = [
    "ClientBundle",
    "FhirResult",
    "build_client_bundle",
    "export_fhir",
    "validate_bundle_json",
]
