"""Seals: one hash over everything a signature covers, and a frozen copy of it.

Signing a session seals, in a fixed order, the session row, all its events (corrections
included), its vital readings, and the documents the session record consists of: its
preparation checklist (with the touch agreement and the music plan) and its same-day debrief.
The client's safety flags and screening as they stood at signing are kept with them as
context, so the signed record prints as it was signed. Signing a document seals its row (a
consent also its attachments: the signature images, ``SEALS_ATTACHMENTS``); an
addendum seals itself and names the seal it extends.

The snapshot is stored as canonical JSON and ``hash`` is its SHA-256. ``vault check``
re-derives every seal (:func:`verify`): the snapshot must still hash to the seal, and the
live rows it covers must still be the rows it froze.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kapcompanion.store import idmap
from kapcompanion.store.audit import canonical, row_dict
from kapcompanion.store.dbapi import Connection

DEBRIEF_KIND = "same_day_debrief"
#: A seal carried from another vault (transfer of care): the original seal, unchanged, and the
#: map from the source vault's ids to this vault's (``store.idmap``).
TRANSFERRED = "transferred"
#: The parts of a session snapshot that must stay exactly as signed, in their fixed order.
FROZEN_PARTS: tuple[str, ...] = ("session", "events", "vitals", "documents")
_PART_TABLE = {
    "session": "sessions",
    "events": "events",
    "vitals": "vitals",
    "documents": "documents",
    "document": "documents",
    "addendum": "addenda",
}
#: A covered document may still be signed on its own after the session: its signature
#: columns are not part of what the session's seal freezes (its content is).
SIGNATURE_COLUMNS = frozenset({"status", "signed_utc", "signed_by", "content_hash"})
_PART_NAME = {
    "events": "event",
    "vitals": "vital reading",
    "documents": "document",
    "attachments": "signature image",
}


@dataclass(frozen=True)
class Seal:
    id: int
    client_id: int | None
    record_type: str  # "session" or "document"
    record_id: int
    addendum_id: int | None
    utc: datetime
    signer: str
    extends_id: int | None
    hash: str
    snapshot: dict[str, Any]


def _rows(conn: Connection, table: str, where: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    cur = conn.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id", args)
    columns = [d[0] for d in cur.description]
    return [row_dict(table, columns, r) for r in cur.fetchall()]


def _one(conn: Connection, table: str, row_id: int) -> dict[str, Any] | None:
    rows = _rows(conn, table, "id = ?", (row_id,))
    return rows[0] if rows else None


def covered_documents(conn: Connection, session_id: int) -> list[int]:
    """The documents a session's signature covers: its checklist and same-day debrief."""
    ids: list[int] = []
    for doc_id, kind, data in conn.execute(
        "SELECT id, kind, data FROM documents WHERE session_id = ?"
        " AND kind IN ('checklist', 'integration') ORDER BY id",
        (session_id,),
    ):
        if kind == "checklist":
            ids.append(int(doc_id))
            continue
        try:
            entry_kind = json.loads(data).get("kind")
        except (ValueError, AttributeError):
            entry_kind = None
        if entry_kind == DEBRIEF_KIND:
            ids.append(int(doc_id))
    return ids


def _session_parts(conn: Connection, session_id: int, doc_ids: list[int]) -> dict[str, Any]:
    docs = [d for d in (_one(conn, "documents", i) for i in doc_ids) if d is not None]
    return {
        "session": _one(conn, "sessions", session_id),
        "events": _rows(conn, "events", "session_id = ?", (session_id,)),
        "vitals": _rows(conn, "vitals", "session_id = ?", (session_id,)),
        "documents": docs,
    }


def session_snapshot(conn: Connection, session_id: int) -> dict[str, Any]:
    parts = _session_parts(conn, session_id, covered_documents(conn, session_id))
    client_id = parts["session"]["client_id"] if parts["session"] else None
    context = {
        "flags": _rows(conn, "flags", "client_id = ?", (client_id,)),
        "screening": _rows(conn, "documents", "client_id = ? AND kind = 'screening'", (client_id,)),
    }
    return {"kind": "session", **parts, "context": context}


def _insert(
    conn: Connection,
    *,
    client_id: int | None,
    record_type: str,
    record_id: int,
    addendum_id: int | None,
    utc: str,
    signer: str,
    extends: tuple[int, str] | None,
    snapshot: dict[str, Any],
) -> int:
    text = canonical(snapshot)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    cur = conn.execute(
        "INSERT INTO seals (client_id, record_type, record_id, addendum_id, utc, signer,"
        " extends_id, hash, snapshot) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            client_id,
            record_type,
            record_id,
            addendum_id,
            utc,
            signer,
            extends[0] if extends else None,
            digest,
            text,
        ),
    )
    return int(cur.lastrowid)


def seal_session(conn: Connection, session_id: int, signer: str, utc: str) -> int:
    """Seal a session as it stands in ``conn``'s transaction (after its signature is set)."""
    snapshot = session_snapshot(conn, session_id)
    client_id = snapshot["session"]["client_id"] if snapshot["session"] else None
    return _insert(
        conn,
        client_id=client_id,
        record_type="session",
        record_id=session_id,
        addendum_id=None,
        utc=utc,
        signer=signer,
        extends=None,
        snapshot=snapshot,
    )


def freeze_session(
    conn: Connection, session_id: int, signer: str, utc: str
) -> list[tuple[str, int]]:
    """Seal what the session signature covers; returns the records written (for the audit).

    The covered documents keep their own status (a checklist may still be signed on its
    own), but their content cannot change any more: :func:`covers` tells the store."""
    return [("sessions", session_id), ("seals", seal_session(conn, session_id, signer, utc))]


def covers(conn: Connection, session_id: int, doc_id: int) -> bool:
    """Whether a signed session's seal covers this document (its content is then frozen)."""
    row = conn.execute(
        "SELECT snapshot FROM seals WHERE record_type = 'session' AND record_id = ?"
        " AND addendum_id IS NULL ORDER BY id DESC LIMIT 1",
        (session_id,),
    ).fetchone()
    if row is None:
        return False
    try:
        docs = effective(json.loads(row[0])).get("documents", [])
    except (ValueError, TypeError, KeyError, AttributeError):
        return True  # an unreadable seal locks rather than unlocks
    return any(int(d.get("id", -1)) == doc_id for d in docs)


#: document kinds whose seal also covers their attachments: a signed consent's seal covers
#: its text and stroke data (in the row) and the rendered signature images (attachments)
SEALS_ATTACHMENTS = frozenset({"consent"})


def _attachments(conn: Connection, doc_id: int) -> list[dict[str, Any]]:
    return _rows(conn, "attachments", "document_id = ?", (doc_id,))


def seal_document(conn: Connection, doc_id: int, signer: str, utc: str) -> int:
    row = _one(conn, "documents", doc_id)
    snapshot: dict[str, Any] = {"kind": "document", "document": row}
    if row is not None and row.get("kind") in SEALS_ATTACHMENTS:
        snapshot["attachments"] = _attachments(conn, doc_id)
    return _insert(
        conn,
        client_id=row["client_id"] if row else None,
        record_type="document",
        record_id=doc_id,
        addendum_id=None,
        utc=utc,
        signer=signer,
        extends=None,
        snapshot=snapshot,
    )


def latest(conn: Connection, record_type: str, record_id: int) -> tuple[int, str] | None:
    """(id, hash) of the newest seal of a record (its signature or its latest addendum)."""
    row = conn.execute(
        "SELECT id, hash FROM seals WHERE record_type = ? AND record_id = ? ORDER BY id DESC"
        " LIMIT 1",
        (record_type, record_id),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def seal_addendum(
    conn: Connection, addendum_id: int, record_type: str, record_id: int, utc: str
) -> int:
    """An addendum seals itself, naming (and hashing in) the seal it extends, if any."""
    row = _one(conn, "addenda", addendum_id)
    target = "session" if record_type == "session" else "document"
    extends = latest(conn, target, record_id)
    client_id = None
    if target == "session":
        found = conn.execute("SELECT client_id FROM sessions WHERE id = ?", (record_id,)).fetchone()
    else:
        found = conn.execute(
            "SELECT client_id FROM documents WHERE id = ?", (record_id,)
        ).fetchone()
    if found:
        client_id = found[0]
    snapshot = {
        "kind": "addendum",
        "addendum": row,
        "extends": {"seal": extends[0], "hash": extends[1]} if extends else None,
    }
    return _insert(
        conn,
        client_id=client_id,
        record_type=target,
        record_id=record_id,
        addendum_id=addendum_id,
        utc=utc,
        signer=str(row["author"]) if row else "",
        extends=extends,
        snapshot=snapshot,
    )


# --------------------------------------------------------------------------- carried seals
def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def effective(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The frozen copy in this vault's ids: a carried seal's original, renumbered by its map
    (a seal carried twice is renumbered twice); any other seal as it is."""
    if snapshot.get("kind") != TRANSFERRED:
        return snapshot
    inner = effective(json.loads(snapshot["original"]["snapshot"]))
    ids = idmap.ids_from_json(snapshot.get("ids"))
    return idmap.remap_snapshot(inner, idmap.lookup_in(ids))


def carried_problem(snapshot: dict[str, Any]) -> str:
    """Why a carried seal's original no longer holds ('' when it holds, or is not carried)."""
    while snapshot.get("kind") == TRANSFERRED:
        original = snapshot.get("original") or {}
        text = str(original.get("snapshot", ""))
        if _sha256(text) != original.get("hash"):
            return "the original seal carried from another vault was altered"
        try:
            snapshot = json.loads(text)
        except ValueError:
            return "the original seal carried from another vault cannot be read"
    return ""


def _hash_chain(digest: str, snapshot: dict[str, Any]) -> set[str]:
    """A seal's own hash and, for a carried seal, the hashes it had in earlier vaults."""
    found = {digest}
    while snapshot.get("kind") == TRANSFERRED:
        original = snapshot.get("original") or {}
        found.add(str(original.get("hash", "")))
        try:
            snapshot = json.loads(str(original.get("snapshot", "")))
        except ValueError:
            break
    return found


def carried_snapshot(
    original: dict[str, Any], ids: idmap.IdMap, origin: dict[str, Any]
) -> dict[str, Any]:
    """The frozen copy of a seal carried into this vault: ``original`` is the source vault's
    seal row (as ``row_dict`` gives it, snapshot text and hash unchanged), ``ids`` the full
    old-to-new map of the transfer (only the ids the original uses are kept), ``origin``
    names the source vault and the transfer."""
    used: set[tuple[str, int]] = set()
    idmap.remap_snapshot(effective(json.loads(original["snapshot"])), idmap.lookup_in(ids, used))
    subset: idmap.IdMap = {}
    for table, old in used:
        new = ids.get(table, {}).get(old)
        if new is not None:
            subset.setdefault(table, {})[old] = new
    return {
        "kind": TRANSFERRED,
        "from": origin,
        "original": {k: original[k] for k in sorted(original)},
        "ids": idmap.ids_to_json(subset),
    }


def insert_carried(
    conn: Connection,
    *,
    new_id: int,
    row: dict[str, Any],
    original: dict[str, Any],
    ids: idmap.IdMap,
    origin: dict[str, Any],
) -> int:
    """Write a carried seal with the id the transfer gave it (``row`` already renumbered)."""
    text = canonical(carried_snapshot(original, ids, origin))
    conn.execute(
        "INSERT INTO seals (id, client_id, record_type, record_id, addendum_id, utc, signer,"
        " extends_id, hash, snapshot) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            new_id,
            row["client_id"],
            row["record_type"],
            row["record_id"],
            row["addendum_id"],
            row["utc"],
            row["signer"],
            row["extends_id"],
            _sha256(text),
            text,
        ),
    )
    return new_id


_COLS = (
    "id, client_id, record_type, record_id, addendum_id, utc, signer, extends_id, hash, snapshot"
)


def _seal(row: tuple[Any, ...]) -> Seal:
    return Seal(
        id=int(row[0]),
        client_id=row[1],
        record_type=str(row[2]),
        record_id=int(row[3]),
        addendum_id=row[4],
        utc=datetime.fromisoformat(row[5]),
        signer=str(row[6]),
        extends_id=row[7],
        hash=str(row[8]),
        snapshot=effective(json.loads(row[9])),
    )


def signature_seal(conn: Connection, record_type: str, record_id: int) -> Seal | None:
    """The seal made by the record's signature (not an addendum's)."""
    row = conn.execute(
        f"SELECT {_COLS} FROM seals WHERE record_type = ? AND record_id = ?"
        " AND addendum_id IS NULL ORDER BY id DESC LIMIT 1",
        (record_type, record_id),
    ).fetchone()
    return _seal(row) if row else None


def _when(utc: datetime) -> str:
    return utc.isoformat()[:16].replace("T", " ")


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in SIGNATURE_COLUMNS}


def _compare(label: str, part: str, sealed: Any, live: Any) -> Iterator[str]:
    if isinstance(sealed, list):
        old = {r["id"]: r for r in sealed}
        new = {r["id"]: r for r in live}
        if part == "documents":
            old = {key: _content(v) for key, v in old.items()}
            new = {key: _content(v) for key, v in new.items()}
        name = _PART_NAME.get(part, part)
        for rid in sorted(old.keys() | new.keys()):
            if rid not in new:
                yield f"{label}: {name} {rid} was removed after signing"
            elif rid not in old:
                yield f"{label}: {name} {rid} was added after signing"
            elif canonical(old[rid]) != canonical(new[rid]):
                yield f"{label}: {name} {rid} was changed after signing"
    elif canonical(sealed) != canonical(live):
        what = "its row" if part in ("session", "document") else f"the {part}"
        yield f"{label}: {what} was changed after signing" if live else f"{label}: {what} is gone"


def verify(conn: Connection, only: set[int] | None = None) -> list[str]:
    """Re-derive every seal (or the seals whose ids are in ``only``); one plain line per
    problem. A carried seal (:data:`TRANSFERRED`) must still hash to its original, and its
    original, renumbered, must match the live rows."""
    problems: list[str] = []
    hashes: dict[int, set[str]] = {}
    for row in conn.execute(f"SELECT {_COLS} FROM seals ORDER BY id").fetchall():
        seal_id, text, digest = int(row[0]), str(row[9]), str(row[8])
        hashes[seal_id] = {digest}
        if only is not None and seal_id not in only:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                hashes[seal_id] = _hash_chain(digest, json.loads(text))
            continue
        label = f"seal {seal_id} of {row[2]} {row[3]} (signed {str(row[5])[:16].replace('T', ' ')})"
        if row[4] is not None:
            label = f"seal {seal_id} of addendum {row[4]} to {row[2]} {row[3]}"
        if _sha256(text) != digest:
            problems.append(f"{label}: the sealed copy was altered")
            continue
        try:
            raw = json.loads(text)
            carried = carried_problem(raw)
            if carried:
                problems.append(f"{label}: {carried}")
                continue
            hashes[seal_id] = _hash_chain(digest, raw)
            seal = _seal(row)
        except (ValueError, TypeError, KeyError, AttributeError):
            problems.append(f"{label}: the sealed copy cannot be read")
            continue
        snap = seal.snapshot
        kind = snap.get("kind")
        if kind == "session":
            doc_ids = [int(d["id"]) for d in snap.get("documents", []) if d.get("id") is not None]
            live = _session_parts(conn, seal.record_id, doc_ids)
            for part in FROZEN_PARTS:
                problems.extend(_compare(label, part, snap.get(part), live[part]))
        elif kind == "document":
            problems.extend(
                _compare(
                    label, "document", snap.get("document"), _one(conn, "documents", seal.record_id)
                )
            )
            if "attachments" in snap:
                problems.extend(
                    _compare(
                        label,
                        "attachments",
                        snap["attachments"],
                        _attachments(conn, seal.record_id),
                    )
                )
        elif kind == "addendum":
            sealed = snap.get("addendum") or {}
            problems.extend(
                _compare(
                    label, "addendum", sealed, _one(conn, "addenda", int(seal.addendum_id or 0))
                )
            )
            ext = snap.get("extends")
            if ext is not None and (
                ext.get("seal") is None or ext["hash"] not in hashes.get(int(ext["seal"]), set())
            ):
                problems.append(f"{label}: the seal it extends ({ext['seal']}) no longer matches")
        else:
            problems.append(f"{label}: unknown kind of seal")
    return problems


# --------------------------------------------------------------------------- reading as signed
class _SealedSessions:
    def __init__(self, live: Any, snap: dict[str, Any]) -> None:
        self._live, self._snap = live, snap

    def get(self, session_id: int) -> Any:
        row = self._snap["session"]
        if row is None or int(row["id"]) != session_id:
            return self._live.get(session_id)
        cols = (
            "id",
            "client_id",
            "course_id",
            "number",
            "status",
            "planned_for",
            "started_utc",
            "dose_utc",
            "ended_utc",
            "signed_utc",
            "data",
        )
        return self._live._row(tuple(row[c] for c in cols))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)


class _SealedEvents:
    def __init__(self, live: Any, snap: dict[str, Any]) -> None:
        self._live, self._snap = live, snap

    def for_session(self, session_id: int) -> list[Any]:
        from kapcompanion.core.models import EventKind, SessionEvent

        return [
            SessionEvent(
                id=r["id"],
                session_id=r["session_id"],
                kind=EventKind(r["kind"]),
                utc=datetime.fromisoformat(r["utc"]),
                offset_s=r["offset_s"],
                corrects_id=r["corrects_id"],
                payload=json.loads(r["payload"]),
            )
            for r in self._snap["events"]
            if r["session_id"] == session_id
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)


class _SealedVitals:
    def __init__(self, live: Any, snap: dict[str, Any]) -> None:
        self._live, self._snap = live, snap

    def for_session(self, session_id: int, cls: type[Any]) -> list[tuple[int, Any]]:
        from kapcompanion.core.serial import load

        return [
            (int(r["id"]), load(cls, json.loads(r["data"])))
            for r in self._snap["vitals"]
            if r["session_id"] == session_id
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)


_DOC_COLS = (
    "id",
    "kind",
    "client_id",
    "course_id",
    "session_id",
    "status",
    "created_utc",
    "updated_utc",
    "signed_utc",
    "signed_by",
    "data",
)


class _SealedDocuments:
    def __init__(self, live: Any, snap: dict[str, Any]) -> None:
        self._live, self._snap = live, snap

    def find(
        self,
        kind: str,
        *,
        client_id: int | None = None,
        session_id: int | None = None,
        course_id: int | None = None,
    ) -> list[Any]:
        rows = [*self._snap["documents"], *self._snap["context"]["screening"]]
        out = []
        for r in sorted(rows, key=lambda r: int(r["id"])):
            if r["kind"] != kind:
                continue
            if any(
                want is not None and r[col] != want
                for col, want in (
                    ("client_id", client_id),
                    ("session_id", session_id),
                    ("course_id", course_id),
                )
            ):
                continue
            out.append(self._live._row(tuple(r[c] for c in _DOC_COLS)))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)


class _SealedFlags:
    def __init__(self, live: Any, snap: dict[str, Any]) -> None:
        self._live, self._snap = live, snap

    def _all(self) -> list[Any]:
        cols = ("id", "client_id", "kind", "raised_utc", "source", "resolved_utc", "data")
        return [self._live._row(tuple(r[c] for c in cols)) for r in self._snap["context"]["flags"]]

    def active(self, client_id: int) -> list[Any]:
        return [f for f in self._all() if f.client_id == client_id and f.resolved_utc is None]

    def for_client(self, client_id: int) -> list[Any]:
        return [f for f in self._all() if f.client_id == client_id]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)


class SealedRecords:
    """The repositories as they stood when a session was signed, read from its seal.

    Sessions, events, vitals, the covered documents, the screening and the safety flags come
    from the frozen copy; everything else (the client, courses, addenda) from the vault."""

    def __init__(self, repos: Any, seal: Seal) -> None:
        snap = seal.snapshot
        self.seal = seal
        self._repos = repos
        self.sessions = _SealedSessions(repos.sessions, snap)
        self.events = _SealedEvents(repos.events, snap)
        self.vitals = _SealedVitals(repos.vitals, snap)
        self.documents = _SealedDocuments(repos.documents, snap)
        self.flags = _SealedFlags(repos.flags, snap)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repos, name)
