"""One call per PDF: gather from the vault, lay out, write atomically, audit.

These are what the CLI and the app's export screen call (off the GUI thread: layout of a
long course takes a moment). The export is audited only after the file is in place; if
the audit entry cannot be written the new file is removed again, so no export exists
that the audit trail does not know about. The audit detail names the protection, never
the file name (which may contain the client's name).
"""

from __future__ import annotations

import contextlib
import io
import os
from datetime import tzinfo
from typing import IO, Any

from reportlab.platypus.doctemplate import LayoutError

from kapcompanion.export.course_pdf import build_course_pdf
from kapcompanion.export.errors import ExportError
from kapcompanion.export.records import ProgressFn, gather_course, gather_session
from kapcompanion.export.session_pdf import build_session_pdf
from kapcompanion.export.writer import ENCRYPTION_NONE, WriteResult, write_pdf
from kapcompanion.store.repos import Repos


def _audit(repos: Repos, result: WriteResult, action: str, **where: Any) -> None:
    detail = "unprotected" if result.encryption == ENCRYPTION_NONE else result.encryption
    try:
        repos.vault.audit(action, detail=detail, **where)
    except BaseException:
        with contextlib.suppress(OSError):
            result.path.unlink()
        raise


def _in_memory(build: Any) -> bytes:
    buffer = io.BytesIO()
    try:
        build(buffer)
    except LayoutError as exc:
        raise ExportError(
            "A record could not be laid out on the page (an element is too large); "
            "nothing was written."
        ) from exc
    return buffer.getvalue()


def session_pdf_bytes(repos: Repos, session_id: int, *, tz: tzinfo | None = None) -> bytes:
    """The session record PDF in memory, unprotected and not audited (the caller, which
    puts it somewhere, audits that)."""
    data = gather_session(repos, session_id, tz=tz)
    return _in_memory(lambda target: build_session_pdf(data, target))


def course_pdf_bytes(repos: Repos, client_id: int, *, tz: tzinfo | None = None) -> bytes:
    """The course summary PDF in memory, unprotected and not audited."""
    data = gather_course(repos, client_id, tz=tz)
    return _in_memory(lambda target: build_course_pdf(data, target))


def consent_pdf_bytes(repos: Repos, doc_id: int, *, tz: tzinfo | None = None) -> bytes:
    """A consent's PDF in memory, unprotected and not audited (refused, as its export is,
    when a signature image no longer matches what was signed)."""
    from kapcompanion.export.consent_pdf import build_consent_pdf, gather_consent

    data = gather_consent(repos, doc_id, tz=tz)
    return _in_memory(lambda target: build_consent_pdf(data, target))


def export_session_pdf(
    repos: Repos,
    session_id: int,
    out: str | os.PathLike[str],
    password: str | None = None,
    *,
    tz: tzinfo | None = None,
) -> WriteResult:
    """Write the session record PDF to ``out`` (protected when ``password`` is given)."""
    data = gather_session(repos, session_id, tz=tz)

    def build(target: IO[bytes], encrypt: Any) -> None:
        build_session_pdf(data, target, encrypt)

    result = write_pdf(build, out, password)
    _audit(
        repos,
        result,
        "export.session_pdf",
        record_type="session",
        record_id=session_id,
        client_id=data.session.client_id,
    )
    return result


def export_course_pdf(
    repos: Repos,
    client_id: int,
    out: str | os.PathLike[str],
    password: str | None = None,
    progress: ProgressFn | None = None,
    *,
    tz: tzinfo | None = None,
) -> WriteResult:
    """Write the course summary PDF for a client; ``progress(fraction, message)`` reports
    from 0.0 to 1.0 (called on the exporting thread)."""
    report = progress or (lambda _f, _m: None)
    report(0.0, "Reading the records")
    data = gather_course(repos, client_id, tz=tz, progress_fn=report)

    def on_page(page: int) -> None:
        report(0.6 + 0.35 * page / (page + 4), f"Laying out page {page}")

    def build(target: IO[bytes], encrypt: Any) -> None:
        build_course_pdf(data, target, encrypt, on_page=on_page)

    report(0.6, "Laying out the pages")
    result = write_pdf(build, out, password)
    _audit(
        repos,
        result,
        "export.course_pdf",
        record_type="client",
        record_id=client_id,
        client_id=client_id,
    )
    report(1.0, "Done")
    return result
