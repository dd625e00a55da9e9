"""The PDF of a signed consent: the exact text, the signature images, who signed and when.

What was signed is what prints: for a countersigned consent the text, values and
signatures come from its seal (``store.seals``), and each signature image must still hash
to the value recorded when it was drawn, or nothing is written. The page shows the
template id and version, the client's drawn signature with the typed name and the time,
the witness's if there was one (name and credential), the countersignature (the practice
member's name and credential as they were then, and how they were confirmed), and a withdrawal
(date, reason, who recorded it) when the consent was withdrawn.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from dataclasses import dataclass
from datetime import tzinfo
from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, Spacer, Table, TableStyle

from kapcompanion.core.consent import (
    CONSENT_KIND,
    WITHDRAWAL_KIND,
    ConsentRecord,
    Signature,
    Withdrawal,
    record_from_data,
    text_blocks,
    withdrawal_from_data,
)
from kapcompanion.export import pdfkit as pk
from kapcompanion.export.describe import fmt_date, fmt_datetime, tz_label
from kapcompanion.export.errors import ExportError
from kapcompanion.export.records import RecordHeader, _header
from kapcompanion.export.session_pdf import furniture
from kapcompanion.export.writer import ENCRYPTION_NONE, WriteResult, write_pdf
from kapcompanion.store import seals
from kapcompanion.store.repos import Repos

CLIENT_IMAGE = "client-signature.png"
WITNESS_IMAGE = "witness-signature.png"
IMAGE_WIDTH = 70 * mm


@dataclass
class ConsentPdfData:
    header: RecordHeader
    document_id: int
    record: ConsentRecord
    signed_by: str
    withdrawal: Withdrawal | None
    client_png: bytes | None
    witness_png: bytes | None
    seal_hash: str = ""


def _sealed_data(repos: Repos, doc_id: int) -> tuple[dict[str, Any] | None, str]:
    with repos.vault._lock:
        seal = seals.signature_seal(repos.vault.conn, "document", doc_id)
    if seal is None:
        return None, ""
    row = seal.snapshot.get("document") or {}
    data = row.get("data")
    return (json.loads(data) if isinstance(data, str) else None), seal.hash


def _image(repos: Repos, doc_id: int, name: str, signature: Signature | None) -> bytes | None:
    if signature is None:
        return None
    found = [aid for aid, n, _m, _t in repos.documents.attachments(doc_id) if n == name]
    if not found:
        raise ExportError(
            f"The {signature.role}'s signature image is missing; nothing was written."
        )
    content = bytes(repos.documents.attachment_content(found[-1]))
    if signature.image_sha256 and hashlib.sha256(content).hexdigest() != signature.image_sha256:
        raise ExportError(
            f"The {signature.role}'s signature image no longer matches what was signed "
            "(run Vault > Check); nothing was written."
        )
    return content


def gather_consent(repos: Repos, doc_id: int, *, tz: tzinfo | None = None) -> ConsentPdfData:
    doc = repos.documents.get(doc_id)
    if doc.kind != CONSENT_KIND or doc.client_id is None:
        raise ExportError(f"Record {doc_id} is not a consent.")
    sealed, seal_hash = _sealed_data(repos, doc_id)
    record = record_from_data(sealed if sealed is not None else doc.data)
    withdrawal = None
    for w in repos.documents.find(WITHDRAWAL_KIND, client_id=doc.client_id):
        with contextlib.suppress(TypeError, ValueError):
            item = withdrawal_from_data(w.data)
            if item.consent_id == doc_id:
                withdrawal = item
                break
    return ConsentPdfData(
        header=_header(repos, doc.client_id, tz),
        document_id=doc_id,
        record=record,
        signed_by=doc.signed_by,
        withdrawal=withdrawal,
        client_png=_image(repos, doc_id, CLIENT_IMAGE, record.client),
        witness_png=_image(repos, doc_id, WITNESS_IMAGE, record.witness),
        seal_hash=seal_hash,
    )


#: how the countersigner was confirmed (ConsentRecord.countersign_confirmed), as the PDF says it
CONFIRMED = {
    "PIN": "confirmed with their own signing PIN",
    "vault passphrase": "confirmed with the vault passphrase",
    "": "with their signing passphrase or PIN",  # records from before practice members
    "signing dialog": "with their signing passphrase or PIN",
}


def _when(data: ConsentPdfData, when: Any) -> str:
    return f"{fmt_datetime(when, data.header.tz)} {tz_label(data.header.tz, when)}".strip()


def _signature_block(
    data: ConsentPdfData, sig: Signature, png: bytes | None, role: str
) -> Flowable:
    st = pk.styles()
    cells: list[Any] = []
    if png is not None:
        scale = IMAGE_WIDTH / max(sig.width, 1)
        cells.append(Image(io.BytesIO(png), width=IMAGE_WIDTH, height=sig.height * scale))
    else:
        cells.append(pk.para("(no image)", st.muted))
    who = data.record.witnessed_by if sig.role == "witness" else sig.name
    member = ""
    if sig.role == "witness" and data.record.witness_member_id is not None:
        member = "Practice member, confirmed with their own PIN<br/>"
    facts = pk.raw_para(
        f"<b>{pk.markup(role)}</b><br/>{pk.markup(who)}<br/>{member}"
        f"Signed on screen {pk.markup(_when(data, sig.utc))}<br/>"
        f"{sig.point_count} pen points in {len(sig.strokes)} "
        f"{'stroke' if len(sig.strokes) == 1 else 'strokes'}",
        st.body,
    )
    table = Table([[cells[0], facts]], colWidths=[IMAGE_WIDTH + 6 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (0, 0), (0, 0), 0.5, pk.RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return KeepTogether([table, Spacer(1, 4 * mm)])


def story(data: ConsentPdfData) -> list[Flowable]:
    st = pk.styles()
    rec = data.record
    client = data.header.client
    out: list[Flowable] = [pk.para(rec.title, st.title)]
    facts = [
        ("Client", client.name or client.pseudonym),
        ("Date of birth", fmt_date(client.dob) if client.dob else ""),
        ("Consent document", f"{rec.template_id}, version {rec.template_version}"),
        ("Record", f"consent {data.document_id}"),
        ("Countersigned by", rec.countersigned_by if rec.countersigned else ""),
    ]
    lines = "<br/>".join(f"<b>{pk.markup(k)}:</b> {pk.markup(v)}" for k, v in facts if v)
    out.append(pk.raw_para(lines, st.body))
    if data.withdrawal is not None:
        w = data.withdrawal
        during = f" during session record {w.during_session_id}" if w.during_session_id else ""
        out.append(
            pk.raw_para(
                f"<b>Consent withdrawn</b> on {pk.markup(_when(data, w.withdrawn_utc))}{during}, "
                f"recorded by {pk.markup(w.recorded_by)}. Reason: {pk.markup(w.reason)}",
                st.notice,
            )
        )
    elif not rec.countersigned:
        out.append(
            pk.para("Signed by the client; not yet countersigned by the practitioner.", st.notice)
        )
    out.append(pk.h1("The text the client read and signed"))
    for index, (heading, block) in enumerate(text_blocks(rec.text)):
        if index == 0:
            continue  # the title, already at the top
        if heading:
            out.append(pk.h2(block))
        else:
            out.extend(pk.text_flowables(block))
    out.append(pk.h1("Signatures"))
    out.append(_signature_block(data, rec.client, data.client_png, "Client"))
    if rec.witness is not None:
        out.append(_signature_block(data, rec.witness, data.witness_png, "Witness"))
    if rec.countersigned and rec.countersigned_utc is not None:
        out.append(
            pk.raw_para(
                f"<b>Countersigned</b> by {pk.markup(rec.countersigned_by)} on "
                f"{pk.markup(_when(data, rec.countersigned_utc))}, "
                f"{CONFIRMED.get(rec.countersign_confirmed, CONFIRMED[''])}. "
                "The signed consent is locked; its seal covers this text, "
                "the stroke data and the signature images."
                + (f" Seal {pk.markup(data.seal_hash[:16])}." if data.seal_hash else ""),
                st.body,
            )
        )
    if rec.sources:
        out.append(pk.h2("Sources"))
        out.extend(pk.para(s, st.small) for s in rec.sources)
    return out


def build_consent_pdf(data: ConsentPdfData, target: IO[bytes], _encrypt: Any = None) -> None:
    doc = pk.RecordDoc(target, furniture(data.header, "Consent"))
    doc.build_story(story(data))


def export_consent_pdf(
    repos: Repos,
    doc_id: int,
    out: str | os.PathLike[str],
    password: str | None = None,
    *,
    tz: tzinfo | None = None,
) -> WriteResult:
    """Write the consent PDF (atomically), then audit ``export.consent_pdf``."""
    data = gather_consent(repos, doc_id, tz=tz)

    def build(target: IO[bytes], encrypt: Any) -> None:
        build_consent_pdf(data, target, encrypt)

    result = write_pdf(build, out, password)
    detail = "unprotected" if result.encryption == ENCRYPTION_NONE else result.encryption
    try:
        repos.vault.audit(
            "export.consent_pdf",
            detail=detail,
            record_type=CONSENT_KIND,
            record_id=doc_id,
            client_id=data.header.client.id,
        )
    except BaseException:
        with contextlib.suppress(OSError):
            result.path.unlink()
        raise
    return result
