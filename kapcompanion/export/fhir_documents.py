"""The client's PDFs inside the FHIR bundle: one ``DocumentReference`` per document, on request.

Which documents: every signed session record, every consent (signed by the client; "final"
once countersigned, "preliminary" until then) and the course summary when the client has a
course. Each PDF is laid out in memory by the same gather/build functions the PDF exports
use (``export.api``), unprotected (the FHIR file as a whole is what must be kept safe), and
never touches the disk here.

Each DocumentReference (FHIR R4, http://hl7.org/fhir/R4/documentreference.html) has status
``current``, a LOINC document type (codes and sources in ``fhir_codes``), the Patient as
subject, the practitioner as author, the clinic as custodian, and for a session record its
Encounter (for the course summary its EpisodeOfCare(s)) in ``context.encounter``. The
attachment carries ``contentType`` application/pdf, the PDF as base64 ``data``, its
``size`` in bytes and its ``hash``: the SHA-1 of the bytes, base64-encoded, as R4's
Attachment.hash defines it (http://hl7.org/fhir/R4/datatypes.html#Attachment).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.documentreference import (
    DocumentReference,
    DocumentReferenceContent,
    DocumentReferenceContext,
)
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference

from kapcompanion.core.consent import CONSENT_KIND, record_from_data
from kapcompanion.export import fhir_codes as fc
from kapcompanion.store.repos import Repos

PDF = "application/pdf"


@dataclass(frozen=True)
class DocumentSource:
    """A PDF the bundle can carry: what it is, which record, and when its content was made."""

    kind: str  # "session", "consent" or "course"
    record_id: int
    title: str
    created: datetime | None  # signed (session), signed by the client (consent); None: now
    final: bool | None  # docStatus: True final, False preliminary, None not stated
    session_id: int | None = None

    @property
    def code(self) -> fc.Code:
        return fc.DOCUMENT_TYPES[self.kind]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def document_sources(repos: Repos, client_id: int) -> list[DocumentSource]:
    """What :func:`document_references` would attach for the client (cheap: nothing is laid
    out), in a stable order: consents, signed session records, the course summary."""
    out: list[DocumentSource] = []
    for doc in repos.documents.find(CONSENT_KIND, client_id=client_id):
        if doc.id is None:
            continue
        try:
            record = record_from_data(doc.data)
        except (TypeError, ValueError, KeyError):
            continue  # not a readable consent: the consent export would refuse it too
        out.append(
            DocumentSource(
                "consent",
                doc.id,
                f"Consent: {record.title}, version {record.template_version}",
                record.client.utc,
                record.countersigned,
            )
        )
    for s in repos.sessions.for_client(client_id):
        if s.signed_utc is None or s.id is None:
            continue
        out.append(
            DocumentSource(
                "session",
                s.id,
                f"Session record, dosing session {s.number}",
                s.signed_utc,
                True,
                session_id=s.id,
            )
        )
    if repos.courses.for_client(client_id):
        out.append(DocumentSource("course", client_id, "Course summary", None, None))
    return out


def render_pdf(repos: Repos, source: DocumentSource, tz: tzinfo | None = None) -> bytes:
    """The PDF of ``source`` as bytes, laid out exactly as its PDF export lays it out."""
    from kapcompanion.export import api

    if source.kind == "session":
        return api.session_pdf_bytes(repos, source.record_id, tz=tz)
    if source.kind == "consent":
        return api.consent_pdf_bytes(repos, source.record_id, tz=tz)
    return api.course_pdf_bytes(repos, source.record_id, tz=tz)


def sha1_base64(data: bytes) -> bytes:
    """Attachment.hash as FHIR R4 defines it: SHA-1 of the bytes, base64-encoded."""
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest())


def document_reference(
    resource_id: str,
    source: DocumentSource,
    pdf: bytes,
    *,
    patient: Reference,
    now: datetime,
    author: Reference | None = None,
    custodian: Reference | None = None,
    encounters: list[Reference] | None = None,
    period: Period | None = None,
) -> DocumentReference:
    code = source.code
    created = _aware(source.created) if source.created is not None else now
    doc_status = None if source.final is None else ("final" if source.final else "preliminary")
    context = None
    if encounters or period is not None:
        context = DocumentReferenceContext(encounter=encounters or None, period=period)
    return DocumentReference(
        id=resource_id,
        status="current",
        docStatus=doc_status,
        type=CodeableConcept(
            coding=[Coding(system=code.system, code=code.code, display=code.display)],
            text=source.title,
        ),
        subject=patient,
        date=now,
        author=[author] if author is not None else None,
        custodian=custodian,
        description=source.title,
        content=[
            DocumentReferenceContent(
                attachment=Attachment(
                    contentType=PDF,
                    data=base64.b64encode(pdf),
                    size=len(pdf),
                    hash=sha1_base64(pdf),
                    title=source.title,
                    creation=created,
                )
            )
        ],
        context=context,
    )


__all__ = [
    "DocumentSource",
    "document_reference",
    "document_sources",
    "render_pdf",
    "sha1_base64",
]
