"""The REMS Patient Monitoring Form worksheet of one esketamine session: PDF or CSV (issue 16).

The fields of the Spravato REMS Patient Monitoring Form, in its order, filled from what the
session recorded (``core.rems``): laid out field by field for transcription into the REMS
portal or for fax. A field the session did not record is left blank and listed under "Not
recorded in the session". The app sends nothing anywhere. The CSV has the same rows
(section, field, value). Either export is audited (``export.rems_pdf``, ``export.rems_csv``);
the detail names the protection, never the file name.
"""

from __future__ import annotations

import contextlib
import os
from datetime import date, tzinfo
from pathlib import Path
from typing import IO, Any

from reportlab.platypus import Flowable, Spacer

from kapcompanion.core import esketamine as esk
from kapcompanion.core.intake import Intake, medication_flags
from kapcompanion.core.models import DosingSession, Practitioner, StoredDocument
from kapcompanion.core.rems import RemsRecord, build_rems_record, record_rows
from kapcompanion.core.serial import load
from kapcompanion.core.vitals import VitalReading
from kapcompanion.export import pdfkit as pk
from kapcompanion.export import tables as tb
from kapcompanion.export.csv_safe import write_csv
from kapcompanion.export.errors import ExportError
from kapcompanion.export.records import RecordHeader, _header
from kapcompanion.export.session_pdf import furniture, title_block
from kapcompanion.export.writer import ENCRYPTION_NONE, WriteResult, write_pdf
from kapcompanion.store.repos import Repos

TITLE = "REMS Patient Monitoring Form"
#: the document that records the date the form was submitted (``services.rems``)
DOC_KIND = "rems_form"
CSV_HEADER = ("Section", "Field", "Value")


def _submission(repos: Repos, session: DosingSession) -> StoredDocument | None:
    docs = repos.documents.find(DOC_KIND, session_id=session.id)
    return docs[-1] if docs else None


def submitted_on(repos: Repos, session: DosingSession) -> date | None:
    doc = _submission(repos, session)
    value = doc.data.get("submitted_on") if doc else None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _medications(repos: Repos, client_id: int) -> list[tuple[str, list[str]]] | None:
    docs = repos.documents.find("intake", client_id=client_id)
    if not docs:
        return None
    intake = load(Intake, docs[-1].data)
    flags = medication_flags(intake.medications)
    return [(m.name, flags.get(m.name, [])) for m in intake.medications]


def esketamine_sessions(repos: Repos, client_id: int) -> list[DosingSession]:
    return [s for s in repos.sessions.for_client(client_id) if esk.is_esketamine(s.plan)]


def gather_rems(repos: Repos, session_id: int, tz: tzinfo | None = None) -> RemsRecord:
    """The form's fields from the session as recorded (read only)."""
    session = repos.sessions.get(session_id)
    if not esk.is_esketamine(session.plan):
        raise ExportError("This session is not an esketamine session; it has no REMS form.")
    client = repos.clients.get(session.client_id)
    earlier = [
        s
        for s in esketamine_sessions(repos, session.client_id)
        if s.id != session.id
        and s.dose_utc is not None
        and (session.dose_utc is None or s.dose_utc < session.dose_utc)
    ]
    return build_rems_record(
        session=session,
        client=client,
        events=repos.events.for_session(session_id),
        vitals=[r for _vid, r in repos.vitals.for_session(session_id, VitalReading)],
        medications=_medications(repos, session.client_id),
        practitioner=load(Practitioner, repos.vault.practitioner),
        first_treatment=not earlier,
        submitted_on=submitted_on(repos, session),
        tz=tz,
    )


def rems_story(record: RemsRecord, header: RecordHeader, width: float) -> list[Flowable]:
    st = pk.styles()
    subtitle = (
        f"Esketamine (Spravato) treatment session of {record.treatment_date or 'no date'}: the "
        "fields of the Spravato REMS Patient Monitoring Form as this session recorded them, "
        "for transcription or fax. KAP Companion sends nothing anywhere."
    )
    story: list[Flowable] = title_block(header, TITLE, subtitle)
    due = f"Due by {record.due_on}" if record.due_on else "Due date unknown (no first device)"
    state = f"submitted on {record.submitted_on}" if record.submitted_on else "not yet submitted"
    story.append(pk.para(f"{due} (within 7 days of the treatment session); {state}.", st.body))
    story.append(Spacer(1, 4))
    section = ""
    rows: list[tuple[str, tb.Cell]] = []

    def flush() -> None:
        if rows:
            story.append(pk.h2(section))
            story.extend(tb.kv_table(rows, width, label_width=width * 0.42))

    for where, label, value in record_rows(record, header.tz):
        if where != section:
            flush()
            section, rows = where, []
        rows.append((label, value or "—"))
    flush()
    story.append(pk.h2("Not recorded in the session"))
    if record.missing:
        story.extend(pk.para(f"• {m.capitalize()}.", st.body) for m in record.missing)
    else:
        story.append(pk.para("Nothing: every field above comes from the session.", st.body))
    story.append(
        pk.para(
            "Sex is not kept by KAP Companion: write it on the form. Medications come from the "
            "intake's medication list; confirm them with the patient.",
            st.muted,
        )
    )
    return story


def build_rems_pdf(
    record: RemsRecord, header: RecordHeader, target: IO[bytes], encrypt: Any = None
) -> None:
    doc = pk.RecordDoc(target, furniture(header, TITLE), encrypt=encrypt)
    with pk.lean_reportlab():
        doc.build_story(rems_story(record, header, doc.content_width))


def _gather(repos: Repos, session_id: int, tz: tzinfo | None) -> tuple[RemsRecord, RecordHeader]:
    record = gather_rems(repos, session_id, tz)
    session = repos.sessions.get(session_id)
    return record, _header(repos, session.client_id, tz)


def _audit(repos: Repos, path: Path, action: str, detail: str, session_id: int) -> None:
    client_id = repos.sessions.get(session_id).client_id
    try:
        repos.vault.audit(
            action, record_type="session", record_id=session_id, client_id=client_id, detail=detail
        )
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise


def export_rems_pdf(
    repos: Repos,
    session_id: int,
    out: str | os.PathLike[str],
    password: str | None = None,
    *,
    tz: tzinfo | None = None,
) -> WriteResult:
    """Write the REMS form worksheet PDF (protected when ``password`` is given), audited."""
    record, header = _gather(repos, session_id, tz)

    def build(target: IO[bytes], encrypt: Any) -> None:
        build_rems_pdf(record, header, target, encrypt)

    result = write_pdf(build, out, password)
    detail = "unprotected" if result.encryption == ENCRYPTION_NONE else result.encryption
    _audit(repos, result.path, "export.rems_pdf", detail, session_id)
    return result


def export_rems_csv(
    repos: Repos, session_id: int, out: str | os.PathLike[str], *, tz: tzinfo | None = None
) -> Path:
    """Write the same fields as CSV rows (section, field, value), audited. Not encrypted."""
    record, header = _gather(repos, session_id, tz)
    path = write_csv(out, CSV_HEADER, record_rows(record, header.tz))
    _audit(repos, path, "export.rems_csv", "unprotected CSV", session_id)
    return path
