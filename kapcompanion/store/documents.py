"""Documents (screening, intake, checklists, journals, measures), attachments, addenda, flags."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

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


class Documents:
    """Screening, intake, checklists, integration entries, measures, safety plans, plans."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    _SELECT = (
        "SELECT id, kind, client_id, course_id, session_id, status, created_utc,"
        " updated_utc, signed_utc, signed_by, data FROM documents"
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
        )

    def save(
        self, doc: StoredDocument, *, audit_action: str | None = None, audit_detail: str = ""
    ) -> StoredDocument:
        """Insert or update a draft. Signed documents are locked. ``audit_detail`` goes into
        the audit row (an override's reason, author and findings, say)."""
        now = utc_now()
        body = json.dumps(to_jsonable(doc.data), ensure_ascii=False)
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
                doc = replace(doc, id=int(cur.lastrowid), created_utc=now, updated_utc=now)
                action = audit_action or f"{doc.kind}.create"
            else:
                row = tx.execute(
                    "SELECT status, session_id FROM documents WHERE id = ?", (doc.id,)
                ).fetchone()
                if row is None:
                    raise RecordNotFound(f"Record {doc.id} does not exist.")
                if row[0] == DocStatus.SIGNED.value:
                    raise RecordLocked("This record is signed; add an addendum instead.")
                _refuse_if_sealed(tx, row[1], doc.id)
                tx.execute(
                    "UPDATE documents SET data = ?, updated_utc = ?, session_id = ?,"
                    " course_id = ? WHERE id = ?",
                    (body, iso(now), doc.session_id, doc.course_id, doc.id),
                )
                doc = replace(doc, updated_utc=now)
                action = audit_action or f"{doc.kind}.update"
            self.vault.audit(
                action,
                record_type=doc.kind,
                record_id=doc.id,
                client_id=doc.client_id,
                detail=audit_detail,
                conn=tx,
                records=(("documents", int(doc.id or 0)),),
            )
        return doc

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

    def raise_flag(self, client_id: int, kind: FlagKind, source: str, reason: str) -> SafetyFlag:
        existing = [f for f in self.active(client_id) if f.kind is kind]
        if existing:
            return existing[0]
        now = utc_now()
        flag = SafetyFlag(
            client_id=client_id, kind=kind, raised_utc=now, source=source, reason=reason
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
