"""Dosing sessions, their events and vitals. Every add returns after its commit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from kapcompanion.core.models import (
    DosingSession,
    EventKind,
    SessionEvent,
    SessionStatus,
)
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.store import audit, seals
from kapcompanion.store.dbapi import Connection
from kapcompanion.store.errors import RecordLocked, RecordNotFound, VaultError
from kapcompanion.store.rowcodec import _dt, _dump, _load
from kapcompanion.store.vault import Vault, iso, utc_now

T = TypeVar("T")


def _columns(vault: Vault, table: str) -> tuple[tuple[str, str], ...]:
    """A table's (name, declared type) in order: what ``audit.plan`` needs (read once)."""
    return tuple((str(r[1]), str(r[2])) for r in vault.read(f"PRAGMA table_info({table})"))


def _client_of(tx: Connection, session_id: int) -> int | None:
    """The session's client (the audit row names it, so deleting the client explains it)."""
    row = tx.execute("SELECT client_id FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return int(row[0]) if row else None


# --------------------------------------------------------------------------- sessions
_SESSION_COLS = (
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
)


class Sessions:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    _SELECT = "SELECT " + ", ".join(_SESSION_COLS) + ", data FROM sessions"

    def _row(self, row: tuple[Any, ...]) -> DosingSession:
        return _load(DosingSession, row[-1], **dict(zip(_SESSION_COLS, row[:-1], strict=True)))

    def save(self, s: DosingSession, action: str | None = None) -> DosingSession:
        """Insert or update; a signed session record is locked."""
        now = iso(utc_now())
        values = (
            s.client_id,
            s.course_id,
            s.number,
            s.status.value,
            _dt(s.planned_for),
            _dt(s.started_utc),
            _dt(s.dose_utc),
            _dt(s.ended_utc),
            _dt(s.signed_utc),
        )
        data = _dump(s, _SESSION_COLS)
        with self.vault.transaction() as tx:
            if s.id is None:
                cur = tx.execute(
                    "INSERT INTO sessions (client_id, course_id, number, status, planned_for,"
                    " started_utc, dose_utc, ended_utc, signed_utc, created_utc, updated_utc, data)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*values, now, now, data),
                )
                s = replace(s, id=int(cur.lastrowid))
                act = action or "session.create"
            else:
                row = tx.execute("SELECT signed_utc FROM sessions WHERE id = ?", (s.id,)).fetchone()
                if row is None:
                    raise RecordNotFound(f"Session {s.id} does not exist.")
                if row[0] is not None:
                    raise RecordLocked("This session record is signed; add an addendum instead.")
                tx.execute(
                    "UPDATE sessions SET client_id=?, course_id=?, number=?, status=?,"
                    " planned_for=?, started_utc=?, dose_utc=?, ended_utc=?, signed_utc=?,"
                    " updated_utc=?, data=?"
                    " WHERE id = ?",
                    (*values, now, data, s.id),
                )
                act = action or "session.update"
            self._refresh_next(tx, s.client_id)
            self.vault.audit(
                act,
                record_type="session",
                record_id=s.id,
                client_id=s.client_id,
                conn=tx,
                records=(("sessions", int(s.id or 0)),),
            )
        return s

    def _refresh_next(self, tx: Connection, client_id: int) -> None:
        tx.execute(
            "UPDATE clients SET next_session = (SELECT min(planned_for) FROM sessions"
            " WHERE client_id = ? AND status = 'planned' AND planned_for IS NOT NULL)"
            " WHERE id = ?",
            (client_id, client_id),
        )

    def get(self, session_id: int) -> DosingSession:
        rows = self.vault.read(self._SELECT + " WHERE id = ?", (session_id,))
        if not rows:
            raise RecordNotFound(f"Session {session_id} does not exist.")
        return self._row(rows[0])

    def for_client(self, client_id: int) -> list[DosingSession]:
        rows = self.vault.read(
            self._SELECT + " WHERE client_id = ? ORDER BY number, id", (client_id,)
        )
        return [self._row(r) for r in rows]

    def ids(self) -> list[int]:
        """Every session's id, oldest first."""
        return [int(r[0]) for r in self.vault.read("SELECT id FROM sessions ORDER BY id")]

    def flag_and_alert_counts(
        self, client_id: int, alert_kinds: list[str]
    ) -> dict[int, tuple[int, int]]:
        """Per session of the client: (flagged readings, events of ``alert_kinds``), counted
        in SQL so a course summary need not load every event and reading."""
        sessions = "SELECT id FROM sessions WHERE client_id = ?"
        flagged = self.vault.read(
            f"SELECT session_id, count(*) FROM vitals WHERE session_id IN ({sessions})"
            " AND flagged != 0 GROUP BY session_id",
            (client_id,),
        )
        marks = ", ".join("?" * len(alert_kinds)) or "NULL"
        alerts = self.vault.read(
            f"SELECT session_id, count(*) FROM events WHERE session_id IN ({sessions})"
            f" AND kind IN ({marks}) GROUP BY session_id",
            (client_id, *alert_kinds),
        )
        counts: dict[int, tuple[int, int]] = {}
        for session_id, n in flagged:
            counts[int(session_id)] = (int(n), 0)
        for session_id, n in alerts:
            counts[int(session_id)] = (counts.get(int(session_id), (0, 0))[0], int(n))
        return counts

    def signer(self, session_id: int) -> str:
        """Who signed the session: the name its signature seal carries (a session signed in
        another vault too), else its last ``session.sign`` audit row (detail, else who) for
        one signed before seals named their signer; "" when there is neither."""
        with self.vault._lock:
            seal = seals.signature_seal(self.vault.conn, "session", session_id)
        if seal is not None and seal.signer:
            return seal.signer
        rows = self.vault.read(
            "SELECT detail, who FROM audit WHERE action = 'session.sign'"
            " AND record_type = 'session' AND record_id = ? ORDER BY id DESC LIMIT 1",
            (session_id,),
        )
        return str(rows[0][0] or rows[0][1] or "") if rows else ""

    def running(self) -> list[DosingSession]:
        """Sessions started but not ended: after a crash the app returns straight into one."""
        rows = self.vault.read(
            self._SELECT + " WHERE status IN (?, ?) ORDER BY started_utc",
            (SessionStatus.STARTED.value, SessionStatus.DOSED.value),
        )
        return [self._row(r) for r in rows]

    def sign(self, session_id: int, signer: str) -> DosingSession:
        s = self.get(session_id)
        if s.status is not SessionStatus.ENDED:
            raise VaultError("Only an ended session can be signed.")
        if s.signed_utc is not None:
            raise RecordLocked("This session record is already signed.")
        now = utc_now()
        with self.vault.transaction() as tx:
            tx.execute("UPDATE sessions SET signed_utc = ? WHERE id = ?", (iso(now), session_id))
            written = seals.freeze_session(tx, session_id, signer, iso(now))
            self.vault.audit(
                "session.sign",
                record_type="session",
                record_id=session_id,
                client_id=s.client_id,
                detail=signer,
                conn=tx,
                records=tuple(written),
            )
        return replace(s, signed_utc=now)


# --------------------------------------------------------------------------- events, vitals
class Events:
    """Session events. ``add`` returns only after the commit is on disk."""

    _INSERT = (
        "INSERT INTO events (session_id, kind, utc, offset_s, corrects_id, payload)"
        " VALUES (?,?,?,?,?,?)"
    )

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._columns: tuple[tuple[str, str], ...] | None = None

    def add(self, event: SessionEvent, client_id: int | None = None) -> SessionEvent:
        # everything that needs no id is worked out before the write lock is taken: the
        # payload's JSON, the record's canonical JSON for its content hash, the action
        values = {
            "session_id": event.session_id,
            "kind": event.kind.value,
            "utc": iso(event.utc),
            "offset_s": event.offset_s,
            "corrects_id": event.corrects_id,
            "payload": json.dumps(to_jsonable(event.payload), ensure_ascii=False),
        }
        if self._columns is None:
            self._columns = _columns(self.vault, "events")
        planned = audit.plan("events", self._columns, values)
        action = f"event.{event.kind.value}"
        with self.vault.transaction() as tx:
            event_id = int(tx.execute(self._INSERT, tuple(values.values())).lastrowid)
            if client_id is None:
                client_id = _client_of(tx, event.session_id)
            self.vault.audit(
                action,
                record_type="event",
                record_id=event_id,
                client_id=client_id,
                conn=tx,
                records=(("events", event_id),),
                known={("events", event_id): planned.digest(event_id)} if planned else None,
            )
        return replace(event, id=event_id)

    def correct(
        self,
        original: SessionEvent,
        payload: dict[str, Any],
        reason: str,
        utc: datetime,
        client_id: int | None = None,
    ) -> SessionEvent:
        """Record a correction that points at (and keeps) the original event."""
        if not reason.strip():
            raise VaultError("A correction needs a reason.")
        body = {"reason": reason.strip(), "kind": original.kind.value, "payload": payload}
        return self.add(
            SessionEvent(
                session_id=original.session_id,
                kind=EventKind.CORRECTION,
                utc=utc,
                offset_s=original.offset_s,
                payload=body,
                corrects_id=original.id,
            ),
            client_id,
        )

    def for_session(self, session_id: int) -> list[SessionEvent]:
        rows = self.vault.read(
            "SELECT id, session_id, kind, utc, offset_s, corrects_id, payload FROM events"
            " WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [
            SessionEvent(
                id=r[0],
                session_id=r[1],
                kind=EventKind(r[2]),
                utc=datetime.fromisoformat(r[3]),
                offset_s=r[4],
                corrects_id=r[5],
                payload=json.loads(r[6]),
            )
            for r in rows
        ]


class Vitals:
    """Vital readings as data (``core.vitals.VitalReading`` through ``core.serial``)."""

    _INSERT = "INSERT INTO vitals (session_id, utc, offset_s, flagged, data) VALUES (?,?,?,?,?)"

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._columns: tuple[tuple[str, str], ...] | None = None

    def add(self, session_id: int, reading: Any, client_id: int | None = None) -> int:
        data = to_jsonable(reading)
        flagged = bool(data.get("flags"))
        values = {
            "session_id": session_id,
            "utc": data.get("taken_utc") or iso(utc_now()),
            "offset_s": data.get("offset_s"),
            "flagged": int(flagged),
            "data": json.dumps(data, ensure_ascii=False),
        }
        if self._columns is None:
            self._columns = _columns(self.vault, "vitals")
        planned = audit.plan("vitals", self._columns, values)
        with self.vault.transaction() as tx:
            vid = int(tx.execute(self._INSERT, tuple(values.values())).lastrowid)
            if client_id is None:
                client_id = _client_of(tx, session_id)
            self.vault.audit(
                "vitals.record",
                record_type="vitals",
                record_id=vid,
                client_id=client_id,
                detail="flagged" if flagged else "",
                conn=tx,
                records=(("vitals", vid),),
                known={("vitals", vid): planned.digest(vid)} if planned else None,
            )
        return vid

    def for_session(self, session_id: int, cls: type[T]) -> list[tuple[int, T]]:
        rows = self.vault.read(
            "SELECT id, data FROM vitals WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [(int(r[0]), load(cls, json.loads(r[1]))) for r in rows]
