"""The REMS Patient Monitoring Form of esketamine sessions: read, due, submitted (issue 16).

The record is read from what the session stored (``core.rems``); the date the form was
submitted is the one thing the user adds, kept as a ``rems_form`` document per session with an
audit row, in one transaction. The app sends nothing anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from kapcompanion.core import esketamine as esk
from kapcompanion.core.models import SessionStatus, StoredDocument
from kapcompanion.core.rems import RemsRecord, due_date
from kapcompanion.export.errors import ExportError
from kapcompanion.export.rems_pdf import (
    DOC_KIND,
    esketamine_sessions,
    gather_rems,
    submitted_on,
)
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos


class RemsError(VaultError):
    """A REMS action that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class RemsDue:
    client_id: int
    session_id: int
    session_number: int
    treatment_date: date
    due_on: date

    def words(self, today: date) -> str:
        """'REMS form due by 2026-05-11 (session 3)' or '... overdue since ...'."""
        if today > self.due_on:
            return f"REMS form overdue since {self.due_on} (session {self.session_number})"
        return f"REMS form due by {self.due_on} (session {self.session_number})"


def rems_record(repos: Repos, session_id: int, tz: tzinfo | None = None) -> RemsRecord:
    """The form's fields from the session as recorded (read only)."""
    try:
        return gather_rems(repos, session_id, tz)
    except ExportError as exc:
        raise RemsError(str(exc)) from None


def mark_submitted(repos: Repos, session_id: int, on: date, *, today: date | None = None) -> date:
    """Record the date the form was submitted (one document and its audit row, one
    transaction). The date lies between the treatment and today; a later entry replaces an
    earlier one, and both stay in the vault and the audit trail."""
    session = repos.sessions.get(session_id)
    if not esk.is_esketamine(session.plan):
        raise RemsError("This session is not an esketamine session; it has no REMS form.")
    if session.status is not SessionStatus.ENDED or session.dose_utc is None:
        raise RemsError("The REMS form is submitted after the session has ended.")
    treated = session.dose_utc.astimezone().date()
    today = today or date.today()
    if not treated <= on <= today:
        raise RemsError(
            f"The date submitted lies between the treatment ({treated}) and today ({today})."
        )
    before = submitted_on(repos, session)
    # a new document each time (a signed session's records are sealed; this is added after)
    repos.documents.save(
        StoredDocument(
            kind=DOC_KIND,
            client_id=session.client_id,
            course_id=session.course_id,
            session_id=session.id,
            data={"submitted_on": on.isoformat(), "by": repos.vault.who},
        ),
        audit_action="rems.form_submitted",
        audit_detail=f"session {session.id} submitted on {on}"
        + (f" (was {before})" if before else ""),
    )
    return on


def rems_due(repos: Repos, client_id: int) -> list[RemsDue]:
    """Ended esketamine sessions whose form is not marked submitted, oldest first."""
    out = []
    for s in esketamine_sessions(repos, client_id):
        if s.status is not SessionStatus.ENDED or s.dose_utc is None or s.id is None:
            continue
        if submitted_on(repos, s) is not None:
            continue
        treated = s.dose_utc.astimezone().date()
        out.append(RemsDue(client_id, s.id, s.number, treated, due_date(treated)))
    return out
