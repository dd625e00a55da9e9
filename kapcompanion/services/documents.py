"""Saving what editors autosave without ever overwriting a newer version (issue 20 item 2).

Every document carries a revision (``StoredDocument.revision``, raised by one on each save);
a draft kept in the vault's meta carries one beside it (meta ``revision.<key>``). An editor
remembers the revision it loaded and passes it to :func:`save` / :func:`save_draft`. When the
stored revision is newer (another editor of the same record, an import, a script), the save is
refused with :class:`StaleRevision`: the refused content and the stored content it met are kept
together as a conflict (audited ``document.conflict`` / ``draft.conflict`` with both revisions),
so nothing is lost, and the editor keeps its text until someone chooses:

- :func:`keep_mine`: the refused content becomes the next revision (the one it replaces stays in
  the conflict record);
- :func:`keep_theirs`: the stored version stays (the refused content stays in the conflict);
- :func:`keep_both`: one document holding both: text that differs is kept twice, the stored text
  first, then a divider line naming both times, then the refused text; lists keep the items of
  both; any other answer that differs (a checkbox, a number) takes the refused one, and the
  stored one stays in the conflict record.

Each choice is one transaction: the conflict marked settled, the document saved, and their audit
rows (``document.conflict_resolved`` with the choice and the revisions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from kapcompanion.core import wording
from kapcompanion.core.models import StoredDocument
from kapcompanion.core.serial import to_jsonable
from kapcompanion.store.documents import Conflict, StaleRevision
from kapcompanion.store.errors import RecordNotFound, VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import utc_now

__all__ = [
    "Choice",
    "Conflict",
    "Draft",
    "StaleRevision",
    "attach",
    "attachment_content",
    "attachments",
    "clear_draft",
    "find",
    "get",
    "keep_both",
    "keep_mine",
    "keep_theirs",
    "load_draft",
    "merge_both",
    "open_conflicts",
    "resolve",
    "save",
    "save_draft",
]

Choice = Literal["mine", "theirs", "both"]
CHOICES: tuple[Choice, ...] = ("mine", "theirs", "both")


def save(
    repos: Repos,
    doc: StoredDocument,
    loaded_revision: int | None,
    *,
    audit_action: str | None = None,
    audit_detail: str = "",
) -> StoredDocument:
    """Save an editor's document; ``loaded_revision``: the revision the editor loaded (or last
    saved). A new document (no id) needs none. Raises :class:`StaleRevision` (the conflict
    kept) when the stored document is newer."""
    expected = None if doc.id is None else loaded_revision
    return repos.documents.save(
        doc, audit_action=audit_action, audit_detail=audit_detail, expected_revision=expected
    )


def open_conflicts(repos: Repos, document_id: int) -> list[Conflict]:
    """Conflicts of a document still waiting for a choice, oldest first."""
    return [c for c in repos.documents.conflicts(document_id=document_id) if c.resolved_utc is None]


# --------------------------------------------------------------------------- merging
def _when(at: datetime) -> str:
    return wording.time_of_day(at.astimezone())


def divider(theirs_at: datetime | None, mine_at: datetime) -> str:
    """The line between the two texts of :func:`keep_both`."""
    above = f"saved at {_when(theirs_at)}" if theirs_at is not None else "saved first"
    return (
        f"\u2500\u2500\u2500 both versions kept: above, the version {above}; "
        f"below, the version written at {_when(mine_at)} \u2500\u2500\u2500"
    )


def merge_both(theirs: Any, mine: Any, line: str) -> Any:
    """``theirs`` and ``mine`` in one value, losing no text of either (see the module's
    docstring). ``line``: the divider between two texts."""
    if theirs == mine:
        return mine
    if isinstance(theirs, str) and isinstance(mine, str):
        if not theirs.strip() or theirs in mine:
            return mine
        if not mine.strip() or mine in theirs:
            return theirs
        return f"{theirs.rstrip()}\n\n{line}\n\n{mine.lstrip()}"
    if isinstance(theirs, dict) and isinstance(mine, dict):
        keys = list(theirs) + [k for k in mine if k not in theirs]
        return {
            k: (
                merge_both(theirs[k], mine[k], line)
                if k in theirs and k in mine
                else (mine[k] if k in mine else theirs[k])
            )
            for k in keys
        }
    if isinstance(theirs, list) and isinstance(mine, list):
        return list(theirs) + [item for item in mine if item not in theirs]
    return mine


# --------------------------------------------------------------------------- choosing
def _detail(conflict: Conflict, choice: Choice, **more: Any) -> str:
    fields = {
        "conflict": conflict.id,
        "choice": choice,
        "mine_based_on_revision": conflict.mine_revision,
        "stored_revision": conflict.theirs_revision,
        **more,
    }
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def resolve(
    repos: Repos, conflict_id: int, choice: Choice, *, mine: Any = None
) -> StoredDocument | None:
    """Settle a kept conflict with ``choice``: one transaction with its audit rows. Returns the
    document as it now stands (None for a draft conflict: read it with :func:`load_draft`).

    ``mine``: the editor's content now (it kept its text while the choice waited, and may have
    been typed on); None means the refused content as kept. When it differs from the refused
    content it is kept in the conflict record too (``mine_at_choice``).

    When the record changed yet again since the conflict, nothing changes (the conflict stays
    open) and :class:`StaleRevision` says so."""
    if choice not in CHOICES:
        raise VaultError(f"Unknown choice {choice!r}: keep mine, keep theirs or keep both.")
    conflict = repos.documents.conflict(conflict_id)
    if conflict.resolved_utc is not None:
        raise VaultError("This conflict was already settled; nothing was changed.")
    if conflict.draft_key is not None:
        _resolve_draft(repos, conflict, choice, mine)
        return None
    try:
        current = repos.documents.get(int(conflict.document_id or 0))
    except RecordNotFound:
        raise VaultError(
            "The record this conflict belongs to was deleted; both versions stay in the "
            "conflict record."
        ) from None
    if current.revision != conflict.theirs_revision:
        raise StaleRevision(current, conflict.theirs_revision, conflict)
    own = conflict.mine if mine is None else to_jsonable(mine)
    data: dict[str, Any] | None
    if choice == "mine":
        data = dict(own)
    elif choice == "both":
        data = merge_both(conflict.theirs, own, divider(current.updated_utc, utc_now()))
    else:
        data = None
    vault = repos.vault
    with vault.transaction() as tx:
        settled = repos.documents.mark_resolved(tx, conflict.id, choice, own)
        result = current
        if data is not None:
            result = repos.documents.save(
                replace(current, data=data),
                expected_revision=conflict.theirs_revision,
                audit_action=f"{current.kind}.update",
                audit_detail=_detail(settled, choice),
            )
        vault.audit(
            "document.conflict_resolved",
            record_type=current.kind,
            record_id=current.id,
            client_id=current.client_id,
            detail=_detail(settled, choice, revision=result.revision),
            conn=tx,
            records=(("conflicts", settled.id),),
        )
    return result


def keep_mine(repos: Repos, conflict_id: int, *, mine: Any = None) -> StoredDocument | None:
    return resolve(repos, conflict_id, "mine", mine=mine)


def keep_theirs(repos: Repos, conflict_id: int, *, mine: Any = None) -> StoredDocument | None:
    return resolve(repos, conflict_id, "theirs", mine=mine)


def keep_both(repos: Repos, conflict_id: int, *, mine: Any = None) -> StoredDocument | None:
    return resolve(repos, conflict_id, "both", mine=mine)


# --------------------------------------------------------------------------- drafts in meta
@dataclass(frozen=True)
class Draft:
    """A draft kept in meta and the revision it was read at (0: never saved)."""

    value: Any
    revision: int


def _revision_key(key: str) -> str:
    return f"revision.{key}"


def _stored_revision(raw: object) -> tuple[int, datetime | None]:
    """A draft's revision and when it was saved, as kept in meta (``N`` or ``N@iso time``)."""
    if raw is None:
        return 0, None
    number, _at, when = str(raw).partition("@")
    try:
        return int(number), datetime.fromisoformat(when) if when else None
    except ValueError:
        return 0, None


def load_draft(repos: Repos, key: str) -> Draft:
    vault = repos.vault
    return Draft(vault.get_json(key), _stored_revision(vault.get_meta(_revision_key(key)))[0])


def save_draft(
    repos: Repos, key: str, value: Any, loaded_revision: int, *, client_id: int | None = None
) -> int:
    """Save a draft kept in meta (None removes it) when nobody saved it since
    ``loaded_revision``; returns the new revision. Otherwise the refused value is kept as a
    conflict with the stored one (audited ``draft.conflict``) and :class:`StaleRevision` is
    raised, with ``current`` None."""
    vault = repos.vault
    stale: StaleRevision | None = None
    with vault.transaction() as tx:
        # read inside the transaction (the same connection): nobody writes in between
        stored, saved_at = _stored_revision(vault.get_meta(_revision_key(key)))
        if stored != loaded_revision:
            conflict = repos.documents.keep_draft_conflict(
                tx,
                key=key,
                client_id=client_id,
                mine=value,
                theirs=vault.get_json(key),
                expected_revision=loaded_revision,
                stored_revision=stored,
            )
            stale = StaleRevision(None, loaded_revision, conflict, saved_at)
        else:
            vault.set_json(key, value, tx)
            vault.set_meta(_revision_key(key), f"{stored + 1}@{utc_now().isoformat()}", tx)
    if stale is not None:
        raise stale
    return stored + 1


def _resolve_draft(repos: Repos, conflict: Conflict, choice: Choice, mine: Any) -> None:
    key = str(conflict.draft_key)
    vault = repos.vault
    with vault.transaction() as tx:
        stored, saved_at = _stored_revision(vault.get_meta(_revision_key(key)))
        if stored != conflict.theirs_revision:
            raise StaleRevision(None, conflict.theirs_revision, conflict)
        own = conflict.mine if mine is None else mine
        settled = repos.documents.mark_resolved(tx, conflict.id, choice, own)
        revision = stored
        if choice != "theirs":
            value = (
                own
                if choice == "mine"
                else merge_both(conflict.theirs, own, divider(saved_at, utc_now()))
            )
            vault.set_json(key, value, tx)
            revision = stored + 1
            vault.set_meta(_revision_key(key), f"{revision}@{utc_now().isoformat()}", tx)
        vault.audit(
            "draft.conflict_resolved",
            record_type="draft",
            client_id=conflict.client_id,
            detail=_detail(settled, choice, draft=key, revision=revision),
            conn=tx,
            records=(("conflicts", settled.id),),
        )


def clear_draft(repos: Repos, key: str) -> int:
    """Remove a draft kept in meta whatever its revision (the action it was written for has
    just stored it elsewhere, in the caller's transaction); the revision is raised, so an
    editor still holding the draft is refused and keeps its text as a conflict."""
    vault = repos.vault
    with vault.transaction() as tx:
        stored, _saved_at = _stored_revision(vault.get_meta(_revision_key(key)))
        vault.set_json(key, None, tx)
        vault.set_meta(_revision_key(key), f"{stored + 1}@{utc_now().isoformat()}", tx)
    return stored + 1


# ------------------------------------------------------------------ reading, attachments
def get(repos: Repos, doc_id: int) -> StoredDocument:
    """One stored document as it is now; :class:`RecordNotFound` when there is none."""
    return repos.documents.get(doc_id)


def find(
    repos: Repos, kind: str, *, client_id: int | None = None, session_id: int | None = None
) -> list[StoredDocument]:
    """The documents of one kind for a client or a session, oldest first."""
    return repos.documents.find(kind, client_id=client_id, session_id=session_id)


def attachments(repos: Repos, doc_id: int) -> list[tuple[int, str, str, bytes | None]]:
    """(id, name, mime type, thumbnail) of each file attached to a document, in order."""
    return repos.documents.attachments(doc_id)


def attachment_content(repos: Repos, attachment_id: int) -> bytes:
    """The bytes of one attached file."""
    return repos.documents.attachment_content(attachment_id)


def attach(
    repos: Repos, doc_id: int, name: str, mime: str, content: bytes, thumbnail: bytes | None
) -> int:
    """Attach a file to an unsigned document in one transaction with its
    ``attachment.create`` audit row; :class:`RecordLocked` for a signed one. Returns its id."""
    with repos.vault.transaction():
        return repos.documents.attach(doc_id, name, mime, content, thumbnail)
