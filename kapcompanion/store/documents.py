"""Documents (screening, intake, checklists, journals, measures), attachments, addenda, flags."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from kapcompanion.core import wording
from kapcompanion.core.models import (
    SIGNABLE_KINDS,
    Addendum,
    DocStatus,
    FlagKind,
    SafetyFlag,
    StoredDocument,
)
from kapcompanion.core.serial import to_jsonable
from kapcompanion.store import seals
from kapcompanion.store.dbapi import Connection
from kapcompanion.store.errors import RecordLocked, RecordNotFound, VaultError
from kapcompanion.store.rowcodec import _dt, _dump, _load
from kapcompanion.store.vault import Vault, iso, utc_now

T = TypeVar("T")


# --------------------------------------------------------------------------- documents
def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _refuse_if_sealed(tx: Connection, session_id: int | None, doc_id: int) -> None:
    """A draft that a signed session record covers (its checklist, its same-day debrief)
    cannot change any more: what was signed is what prints."""
    if session_id is not None and seals.covers(tx, session_id, doc_id):
        raise RecordLocked(
            "This note is part of a signed session record and cannot change; add an addendum "
            "to the session instead."
        )


@dataclass(frozen=True)
class Conflict:
    """A save refused because it was based on an older revision, kept with what it met.

    ``mine``: the refused content; ``theirs``: the stored content at that moment. A document
    conflict has ``document_id``; a draft kept in meta has ``draft_key``."""

    id: int
    client_id: int | None
    document_id: int | None
    draft_key: str | None
    kind: str
    created_utc: datetime
    who: str
    mine_revision: int
    theirs_revision: int
    resolved_utc: datetime | None
    resolution: str
    mine: Any
    theirs: Any


class StaleRevision(VaultError):
    """A save based on an older revision than the stored one; nothing was overwritten.

    ``current``: the stored version (a document, or for a draft None); ``conflict``: the kept
    refused content (None only when the caller's outer transaction will drop it)."""

    def __init__(
        self,
        current: StoredDocument | None,
        expected: int,
        conflict: Conflict | None,
        changed_at: datetime | None = None,
    ) -> None:
        when = changed_at or (conflict.created_utc if conflict is not None else utc_now())
        saved = current.updated_utc if current is not None and current.updated_utc else when
        #: when the stored version was saved
        self.changed_at = saved
        super().__init__(
            f"Changed elsewhere at {wording.time_of_day(saved.astimezone())}: this copy was based "
            "on an older version. Both versions are kept; choose which to keep."
        )
        self.current = current
        self.expected = expected
        self.conflict = conflict


class Documents:
    """Screening, intake, checklists, integration entries, measures, safety plans, plans."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    _SELECT = (
        "SELECT id, kind, client_id, course_id, session_id, status, created_utc,"
        " updated_utc, signed_utc, signed_by, data, revision FROM documents"
    )

    def _row(self, r: tuple[Any, ...]) -> StoredDocument:
        return StoredDocument(
            id=r[0],
            kind=r[1],
            client_id=r[2],
            course_id=r[3],
            session_id=r[4],
            status=DocStatus(r[5]),
            created_utc=datetime.fromisoformat(r[6]),
            updated_utc=datetime.fromisoformat(r[7]),
            signed_utc=datetime.fromisoformat(r[8]) if r[8] else None,
            signed_by=r[9] or "",
            data=json.loads(r[10]),
            revision=int(r[11]) if len(r) > 11 else 0,  # a sealed copy has none
        )

    def save(
        self,
        doc: StoredDocument,
        *,
        audit_action: str | None = None,
        audit_detail: str = "",
        expected_revision: int | None = None,
        at: datetime | None = None,
    ) -> StoredDocument:
        """Insert or update a draft. Signed documents are locked. ``audit_detail`` goes into
        the audit row (an override's reason, author and findings, say).

        ``expected_revision``: the revision the editor loaded (None: not checked, for callers
        that just read the document in the same action). When the stored revision differs
        (another editor, an import or a script saved meanwhile), nothing is overwritten: the
        refused content is kept as a conflict with the stored content it met (audited
        ``document.conflict``, naming both revisions), and :class:`StaleRevision` carries the
        stored version and the conflict. Call it outside any outer transaction, or the
        caller's rollback drops the kept conflict with everything else.

        ``at``: when the record was written (default now); the demo dates its fictional intake
        forms before the client's first session with it."""
        now = at or utc_now()
        body = json.dumps(to_jsonable(doc.data), ensure_ascii=False)
        stale: StaleRevision | None = None
        with self.vault.transaction() as tx:
            if doc.id is None:
                cur = tx.execute(
                    "INSERT INTO documents (kind, client_id, course_id, session_id, status,"
                    " created_utc, updated_utc, data) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        doc.kind,
                        doc.client_id,
                        doc.course_id,
                        doc.session_id,
                        DocStatus.DRAFT.value,
                        iso(now),
                        iso(now),
                        body,
                    ),
                )
                doc = replace(
                    doc, id=int(cur.lastrowid), created_utc=now, updated_utc=now, revision=1
                )
                action = audit_action or f"{doc.kind}.create"
            else:
                row = tx.execute(
                    "SELECT status, session_id, revision FROM documents WHERE id = ?", (doc.id,)
                ).fetchone()
                if row is None:
                    raise RecordNotFound(f"Record {doc.id} does not exist.")
                if row[0] == DocStatus.SIGNED.value:
                    raise RecordLocked("This record is signed; add an addendum instead.")
                _refuse_if_sealed(tx, row[1], doc.id)
                if expected_revision is not None and int(row[2]) != expected_revision:
                    stale = self._keep_conflict(tx, doc, expected_revision)
                else:
                    revision = int(row[2]) + 1
                    tx.execute(
                        "UPDATE documents SET data = ?, updated_utc = ?, session_id = ?,"
                        " course_id = ?, revision = ? WHERE id = ?",
                        (body, iso(now), doc.session_id, doc.course_id, revision, doc.id),
                    )
                    doc = replace(doc, updated_utc=now, revision=revision)
                    action = audit_action or f"{doc.kind}.update"
            if stale is None:
                self.vault.audit(
                    action,
                    record_type=doc.kind,
                    record_id=doc.id,
                    client_id=doc.client_id,
                    detail=audit_detail,
                    conn=tx,
                    records=(("documents", int(doc.id or 0)),),
                )
        if stale is not None:
            raise stale
        return doc

    # ----------------------------------------------------------------- conflicts
    def _keep_conflict(
        self, tx: Connection, mine: StoredDocument, expected_revision: int
    ) -> StaleRevision:
        """Keep the refused content beside the stored content it met (one conflict row and its
        ``document.conflict`` audit row, in ``tx``)."""
        theirs = self._row_in(tx, int(mine.id or 0))
        data = {"mine": to_jsonable(mine.data), "theirs": theirs.data}
        cur = tx.execute(
            "INSERT INTO conflicts (client_id, document_id, draft_key, kind, created_utc, who,"
            " mine_revision, theirs_revision, data) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                theirs.client_id,
                theirs.id,
                None,
                theirs.kind,
                iso(utc_now()),
                self.vault.who,
                expected_revision,
                theirs.revision,
                json.dumps(data, ensure_ascii=False),
            ),
        )
        conflict_id = int(cur.lastrowid)
        self.vault.audit(
            "document.conflict",
            record_type=theirs.kind,
            record_id=theirs.id,
            client_id=theirs.client_id,
            detail=json.dumps(
                {
                    "conflict": conflict_id,
                    "document": theirs.id,
                    "mine_based_on_revision": expected_revision,
                    "stored_revision": theirs.revision,
                },
                sort_keys=True,
            ),
            conn=tx,
            records=(("conflicts", conflict_id),),
        )
        return StaleRevision(theirs, expected_revision, self._conflict_in(tx, conflict_id))

    def _row_in(self, tx: Connection, doc_id: int) -> StoredDocument:
        row = tx.execute(self._SELECT + " WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise RecordNotFound(f"Record {doc_id} does not exist.")
        return self._row(tuple(row))

    _CONFLICT_SELECT = (
        "SELECT id, client_id, document_id, draft_key, kind, created_utc, who, mine_revision,"
        " theirs_revision, resolved_utc, resolution, data FROM conflicts"
    )

    @staticmethod
    def _conflict_row(r: tuple[Any, ...]) -> Conflict:
        data = json.loads(r[11])
        return Conflict(
            id=int(r[0]),
            client_id=r[1],
            document_id=r[2],
            draft_key=r[3],
            kind=str(r[4]),
            created_utc=datetime.fromisoformat(r[5]),
            who=str(r[6]),
            mine_revision=int(r[7]),
            theirs_revision=int(r[8]),
            resolved_utc=datetime.fromisoformat(r[9]) if r[9] else None,
            resolution=r[10] or "",
            mine=data.get("mine"),
            theirs=data.get("theirs"),
        )

    def _conflict_in(self, tx: Connection, conflict_id: int) -> Conflict:
        row = tx.execute(self._CONFLICT_SELECT + " WHERE id = ?", (conflict_id,)).fetchone()
        if row is None:
            raise RecordNotFound(f"Conflict {conflict_id} does not exist.")
        return self._conflict_row(tuple(row))

    def conflict(self, conflict_id: int) -> Conflict:
        rows = self.vault.read(self._CONFLICT_SELECT + " WHERE id = ?", (conflict_id,))
        if not rows:
            raise RecordNotFound(f"Conflict {conflict_id} does not exist.")
        return self._conflict_row(rows[0])

    def conflicts(
        self, *, document_id: int | None = None, draft_key: str | None = None
    ) -> list[Conflict]:
        """Kept conflicts of a document (or of a draft in meta), oldest first."""
        if draft_key is not None:
            rows = self.vault.read(
                self._CONFLICT_SELECT + " WHERE draft_key = ? ORDER BY id", (draft_key,)
            )
        else:
            rows = self.vault.read(
                self._CONFLICT_SELECT + " WHERE document_id = ? ORDER BY id", (document_id,)
            )
        return [self._conflict_row(r) for r in rows]

    def keep_draft_conflict(
        self,
        tx: Connection,
        *,
        key: str,
        client_id: int | None,
        mine: Any,
        theirs: Any,
        expected_revision: int,
        stored_revision: int,
    ) -> Conflict:
        """A refused draft (kept in meta) beside the stored draft it met, audited
        ``draft.conflict`` in ``tx``."""
        cur = tx.execute(
            "INSERT INTO conflicts (client_id, document_id, draft_key, kind, created_utc, who,"
            " mine_revision, theirs_revision, data) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                client_id,
                None,
                key,
                "draft",
                iso(utc_now()),
                self.vault.who,
                expected_revision,
                stored_revision,
                json.dumps({"mine": mine, "theirs": theirs}, ensure_ascii=False),
            ),
        )
        conflict_id = int(cur.lastrowid)
        self.vault.audit(
            "draft.conflict",
            record_type="draft",
            client_id=client_id,
            detail=json.dumps(
                {
                    "conflict": conflict_id,
                    "draft": key,
                    "mine_based_on_revision": expected_revision,
                    "stored_revision": stored_revision,
                },
                sort_keys=True,
            ),
            conn=tx,
            records=(("conflicts", conflict_id),),
        )
        return self._conflict_in(tx, conflict_id)

    def mark_resolved(
        self, tx: Connection, conflict_id: int, resolution: str, mine_at_choice: Any = None
    ) -> Conflict:
        """Record the choice on the conflict (the caller writes the audit row in ``tx``).
        ``mine_at_choice``: the editor's content when the choice was made, kept beside the
        refused content when it differs (typing went on while the choice waited)."""
        row = tx.execute(
            "SELECT data FROM conflicts WHERE id = ? AND resolved_utc IS NULL", (conflict_id,)
        ).fetchone()
        if row is None:
            raise VaultError("This conflict was already settled; nothing was changed.")
        data = json.loads(row[0])
        if mine_at_choice is not None and mine_at_choice != data.get("mine"):
            data["mine_at_choice"] = mine_at_choice
        tx.execute(
            "UPDATE conflicts SET resolved_utc = ?, resolution = ?, data = ? WHERE id = ?",
            (iso(utc_now()), resolution, json.dumps(data, ensure_ascii=False), conflict_id),
        )
        return self._conflict_in(tx, conflict_id)

    def get(self, doc_id: int) -> StoredDocument:
        rows = self.vault.read(self._SELECT + " WHERE id = ?", (doc_id,))
        if not rows:
            raise RecordNotFound(f"Record {doc_id} does not exist.")
        return self._row(rows[0])

    def find(
        self,
        kind: str,
        *,
        client_id: int | None = None,
        session_id: int | None = None,
        course_id: int | None = None,
    ) -> list[StoredDocument]:
        sql = self._SELECT + " WHERE kind = ?"
        args: list[Any] = [kind]
        for col, value in (
            ("client_id", client_id),
            ("session_id", session_id),
            ("course_id", course_id),
        ):
            if value is not None:
                sql += f" AND {col} = ?"
                args.append(value)
        return [self._row(r) for r in self.vault.read(sql + " ORDER BY id", args)]

    def kinds(self, client_id: int) -> list[str]:
        """The kinds of document the client has, alphabetically."""
        rows = self.vault.read(
            "SELECT DISTINCT kind FROM documents WHERE client_id = ? ORDER BY kind", (client_id,)
        )
        return [str(r[0]) for r in rows]

    def unsigned(
        self, client_id: int, kinds: tuple[str, ...] = SIGNABLE_KINDS
    ) -> list[StoredDocument]:
        """Notes of this client still waiting for a signature, oldest first."""
        marks = ",".join("?" * len(kinds))
        return [
            self._row(r)
            for r in self.vault.read(
                self._SELECT + f" WHERE client_id = ? AND status = 'draft' AND kind IN ({marks})"
                " ORDER BY created_utc",
                (client_id, *kinds),
            )
        ]

    def sign(self, doc_id: int, signer: str) -> StoredDocument:
        doc = self.get(doc_id)
        if doc.signed:
            raise RecordLocked("This record is already signed.")
        now = utc_now()
        with self.vault.transaction() as tx:
            tx.execute(
                "UPDATE documents SET status = 'signed', signed_utc = ?, signed_by = ?,"
                " content_hash = ? WHERE id = ?",
                (iso(now), signer, content_hash(doc.data), doc_id),
            )
            seal_id = seals.seal_document(tx, doc_id, signer, iso(now))
            self.vault.audit(
                f"{doc.kind}.sign",
                record_type=doc.kind,
                record_id=doc_id,
                client_id=doc.client_id,
                detail=signer,
                conn=tx,
                records=(("documents", doc_id), ("seals", seal_id)),
            )
        return replace(doc, status=DocStatus.SIGNED, signed_utc=now, signed_by=signer)

    def delete_draft(self, doc_id: int) -> None:
        doc = self.get(doc_id)
        if doc.signed:
            raise RecordLocked("A signed record cannot be deleted.")
        with self.vault.transaction() as tx:
            _refuse_if_sealed(tx, doc.session_id, doc_id)
            gone = [
                ("attachments", int(r[0]))
                for r in tx.execute("SELECT id FROM attachments WHERE document_id = ?", (doc_id,))
            ]
            tx.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            self.vault.audit(
                f"{doc.kind}.delete",
                record_type=doc.kind,
                record_id=doc_id,
                client_id=doc.client_id,
                conn=tx,
                records=(("documents", doc_id), *gone),
            )

    # attachments: stored encrypted inside the vault, never on disk in plaintext
    def attach(
        self, doc_id: int, name: str, mime: str, content: bytes, thumbnail: bytes | None
    ) -> int:
        doc = self.get(doc_id)
        if doc.signed:
            raise RecordLocked("This record is signed; attach to an addendum instead.")
        with self.vault.transaction() as tx:
            _refuse_if_sealed(tx, doc.session_id, doc_id)
            cur = tx.execute(
                "INSERT INTO attachments (document_id, name, mime, created_utc, content, thumbnail)"
                " VALUES (?,?,?,?,?,?)",
                (doc_id, name, mime, iso(utc_now()), content, thumbnail),
            )
            aid = int(cur.lastrowid)
            self.vault.audit(
                "attachment.create",
                record_type="attachment",
                record_id=aid,
                client_id=doc.client_id,
                conn=tx,
                records=(("attachments", aid),),
            )
        return aid

    def attachments(self, doc_id: int) -> list[tuple[int, str, str, bytes | None]]:
        rows = self.vault.read(
            "SELECT id, name, mime, thumbnail FROM attachments WHERE document_id = ? ORDER BY id",
            (doc_id,),
        )
        return [(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]

    def attachment_content(self, attachment_id: int) -> bytes:
        rows = self.vault.read("SELECT content FROM attachments WHERE id = ?", (attachment_id,))
        if not rows:
            raise RecordNotFound(f"Attachment {attachment_id} does not exist.")
        return bytes(rows[0][0])


# --------------------------------------------------------------------------- addenda, flags
class Addenda:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def add(
        self, record_type: str, record_id: int, text: str, client_id: int | None = None
    ) -> Addendum:
        if not text.strip():
            raise VaultError("An addendum cannot be empty.")
        now = utc_now()
        with self.vault.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO addenda (record_type, record_id, author, utc, text)"
                " VALUES (?,?,?,?,?)",
                (record_type, record_id, self.vault.who, iso(now), text),
            )
            aid = int(cur.lastrowid)
            seal_id = seals.seal_addendum(tx, aid, record_type, record_id, iso(now))
            self.vault.audit(
                "addendum.create",
                record_type=record_type,
                record_id=record_id,
                client_id=client_id,
                detail=f"addendum {aid}",
                conn=tx,
                records=(("addenda", aid), ("seals", seal_id)),
            )
        return Addendum(record_type, record_id, self.vault.who, now, text, aid)

    def for_record(self, record_type: str, record_id: int) -> list[Addendum]:
        rows = self.vault.read(
            "SELECT id, record_type, record_id, author, utc, text FROM addenda"
            " WHERE record_type = ? AND record_id = ? ORDER BY id",
            (record_type, record_id),
        )
        return [Addendum(r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5], r[0]) for r in rows]


class Flags:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def raise_flag(
        self,
        client_id: int,
        kind: FlagKind,
        source: str,
        reason: str,
        source_document_id: int | None = None,
    ) -> SafetyFlag:
        existing = [f for f in self.active(client_id) if f.kind is kind]
        if existing:
            return existing[0]
        now = utc_now()
        flag = SafetyFlag(
            client_id=client_id,
            kind=kind,
            raised_utc=now,
            source=source,
            reason=reason,
            source_document_id=source_document_id,
        )
        with self.vault.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO flags (client_id, kind, raised_utc, source, data) VALUES (?,?,?,?,?)",
                (
                    client_id,
                    kind.value,
                    iso(now),
                    source,
                    _dump(
                        flag, ("id", "client_id", "kind", "raised_utc", "source", "resolved_utc")
                    ),
                ),
            )
            flag = replace(flag, id=int(cur.lastrowid))
            self.vault.audit(
                "flag.raise",
                record_type="flag",
                record_id=flag.id,
                client_id=client_id,
                detail=kind.value,
                conn=tx,
                records=(("flags", int(flag.id or 0)),),
            )
        return flag

    def resolve(self, flag_id: int, note: str) -> SafetyFlag:
        if not note.strip():
            raise VaultError("Resolving a safety flag needs a note.")
        flag = self.get(flag_id)
        flag = replace(
            flag, resolved_utc=utc_now(), resolved_by=self.vault.who, resolution_note=note.strip()
        )
        with self.vault.transaction() as tx:
            tx.execute(
                "UPDATE flags SET resolved_utc = ?, data = ? WHERE id = ?",
                (
                    _dt(flag.resolved_utc),
                    _dump(
                        flag, ("id", "client_id", "kind", "raised_utc", "source", "resolved_utc")
                    ),
                    flag_id,
                ),
            )
            self.vault.audit(
                "flag.resolve",
                record_type="flag",
                record_id=flag_id,
                client_id=flag.client_id,
                detail=flag.kind.value,
                conn=tx,
                records=(("flags", flag_id),),
            )
        return flag

    _SELECT = "SELECT id, client_id, kind, raised_utc, source, resolved_utc, data FROM flags"

    def _row(self, r: tuple[Any, ...]) -> SafetyFlag:
        return _load(
            SafetyFlag,
            r[6],
            id=r[0],
            client_id=r[1],
            kind=r[2],
            raised_utc=r[3],
            source=r[4],
            resolved_utc=r[5],
        )

    def get(self, flag_id: int) -> SafetyFlag:
        rows = self.vault.read(self._SELECT + " WHERE id = ?", (flag_id,))
        if not rows:
            raise RecordNotFound(f"Flag {flag_id} does not exist.")
        return self._row(rows[0])

    def active(self, client_id: int) -> list[SafetyFlag]:
        return [
            self._row(r)
            for r in self.vault.read(
                self._SELECT + " WHERE client_id = ? AND resolved_utc IS NULL ORDER BY id",
                (client_id,),
            )
        ]

    def for_client(self, client_id: int) -> list[SafetyFlag]:
        return [
            self._row(r)
            for r in self.vault.read(
                self._SELECT + " WHERE client_id = ? ORDER BY id", (client_id,)
            )
        ]
