"""Clients and courses."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from kapcompanion.core.models import (
    Client,
    ClientStatus,
    Course,
)
from kapcompanion.core.search import client_search_text, fold
from kapcompanion.store.dbapi import Connection
from kapcompanion.store.errors import RecordNotFound, VaultError
from kapcompanion.store.rowcodec import _dt, _dump, _load
from kapcompanion.store.vault import Vault, iso, utc_now

T = TypeVar("T")


# --------------------------------------------------------------------------- clients
_CLIENT_COLS = (
    "id",
    "name",
    "pseudonym",
    "dob",
    "status",
    "next_session",
    "created_utc",
    "updated_utc",
)


_client_search = client_search_text


class Clients:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def _row(self, row: tuple[Any, ...]) -> Client:
        cid, name, pseudo, dob, status, nxt, created, updated, data = row
        return _load(
            Client,
            data,
            id=cid,
            name=name,
            pseudonym=pseudo,
            dob=dob,
            status=status,
            next_session=nxt,
            created_utc=created,
            updated_utc=updated,
        )

    _SELECT = (
        "SELECT id, name, pseudonym, dob, status, next_session, created_utc, updated_utc, data"
        " FROM clients"
    )

    def add(self, client: Client) -> Client:
        validate_client(client)
        now = utc_now()
        with self.vault.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO clients (name, pseudonym, dob, status, search, next_session,"
                " created_utc, updated_utc, data) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    client.name.strip(),
                    client.pseudonym.strip(),
                    client.dob.isoformat() if client.dob else None,
                    client.status.value,
                    _client_search(client),
                    _dt(client.next_session),
                    iso(now),
                    iso(now),
                    _dump(client, _CLIENT_COLS),
                ),
            )
            cid = int(cur.lastrowid)
            self.vault.audit(
                "client.create",
                record_type="client",
                record_id=cid,
                client_id=cid,
                conn=tx,
                records=(("clients", cid),),
            )
        return replace(client, id=cid, created_utc=now, updated_utc=now)

    def update(self, client: Client, action: str = "client.update") -> Client:
        if client.id is None:
            raise RecordNotFound("This client has not been saved yet.")
        validate_client(client)
        now = utc_now()
        with self.vault.transaction() as tx:
            cur = tx.execute(
                "UPDATE clients SET name=?, pseudonym=?, dob=?, status=?, search=?, next_session=?,"
                " updated_utc=?, data=? WHERE id=?",
                (
                    client.name.strip(),
                    client.pseudonym.strip(),
                    client.dob.isoformat() if client.dob else None,
                    client.status.value,
                    _client_search(client),
                    _dt(client.next_session),
                    iso(now),
                    _dump(client, _CLIENT_COLS),
                    client.id,
                ),
            )
            if cur.rowcount != 1:
                raise RecordNotFound(f"Client {client.id} does not exist.")
            self.vault.audit(
                action,
                record_type="client",
                record_id=client.id,
                client_id=client.id,
                conn=tx,
                records=(("clients", client.id),),
            )
        return replace(client, updated_utc=now)

    def get(self, client_id: int) -> Client:
        rows = self.vault.read(self._SELECT + " WHERE id = ?", (client_id,))
        if not rows:
            raise RecordNotFound(f"Client {client_id} does not exist.")
        return self._row(rows[0])

    def view(self, client_id: int) -> Client:
        """Read a client's record for display: the view is audited."""
        client = self.get(client_id)
        self.vault.audit(
            "client.view", record_type="client", record_id=client_id, client_id=client_id
        )
        return client

    def search(
        self,
        text: str = "",
        *,
        include_archived: bool = False,
        active_course_only: bool = False,
        sort: str = "name",
        limit: int | None = None,
    ) -> list[Client]:
        sql = self._SELECT
        where: list[str] = []
        args: list[Any] = []
        for word in fold(text).split():
            where.append("search LIKE ? ESCAPE '\\'")
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(f"%{escaped}%")
        if not include_archived:
            where.append("status = 'active'")
        if active_course_only:
            where.append(
                "EXISTS (SELECT 1 FROM courses c WHERE c.client_id = clients.id"
                " AND c.status = 'active')"
            )
        if where:
            sql += " WHERE " + " AND ".join(where)
        if sort == "next_session":
            sql += " ORDER BY next_session IS NULL, next_session, name COLLATE NOCASE"
        else:
            sql += " ORDER BY COALESCE(NULLIF(pseudonym, ''), name) COLLATE NOCASE"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._row(r) for r in self.vault.read(sql, args)]

    def archive(self, client_id: int) -> Client:
        return self.update(
            replace(self.get(client_id), status=ClientStatus.ARCHIVED), action="client.archive"
        )

    def unarchive(self, client_id: int) -> Client:
        return self.update(
            replace(self.get(client_id), status=ClientStatus.ACTIVE), action="client.unarchive"
        )

    def delete(self, client_id: int, *, confirm_name: str) -> None:
        """Delete a client and every record of theirs. Deliberate: the name must be typed."""
        client = self.get(client_id)
        if confirm_name.strip() != client.name.strip():
            raise VaultError("The typed name does not match: nothing was deleted.")
        with self.vault.transaction() as tx:
            tx.execute(
                "DELETE FROM attachments WHERE document_id IN"
                " (SELECT id FROM documents WHERE client_id = ?)",
                (client_id,),
            )
            tx.execute("DELETE FROM clients WHERE id = ?", (client_id,))
            self.vault.audit(
                "client.delete",
                record_type="client",
                record_id=client_id,
                client_id=client_id,
                conn=tx,
                records=(("clients", client_id),),
            )

    def set_next_session(self, client_id: int, when: datetime | None, tx: Connection) -> None:
        tx.execute("UPDATE clients SET next_session = ? WHERE id = ?", (_dt(when), client_id))


def validate_client(client: Client) -> None:
    if not client.name.strip() and not client.pseudonym.strip():
        raise VaultError("A client needs a name or a pseudonym.")
    if len(client.name) > 200 or len(client.pseudonym) > 200:
        raise VaultError("A name or pseudonym can be at most 200 characters.")
    if client.dob is not None:
        today = utc_now().date()
        if client.dob > today:
            raise VaultError("The date of birth is in the future.")
        if today.year - client.dob.year > 120:
            raise VaultError("The date of birth is more than 120 years ago.")
        if today.year - client.dob.year < 18:
            raise VaultError("KAP Companion records adult clients only (date of birth under 18).")


# --------------------------------------------------------------------------- courses
class Courses:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def save(self, course: Course) -> Course:
        now = iso(utc_now())
        data = _dump(course, ("id", "client_id", "indication", "status", "started_on"))
        cols = (
            course.client_id,
            course.indication,
            course.status.value,
            course.started_on.isoformat() if course.started_on else None,
        )
        with self.vault.transaction() as tx:
            if course.id is None:
                cur = tx.execute(
                    "INSERT INTO courses (client_id, indication, status, started_on, created_utc,"
                    " updated_utc, data) VALUES (?,?,?,?,?,?,?)",
                    (*cols, now, now, data),
                )
                course = replace(course, id=int(cur.lastrowid))
                action = "course.create"
            else:
                tx.execute(
                    "UPDATE courses SET client_id=?, indication=?, status=?, started_on=?,"
                    " updated_utc=?, data=? WHERE id=?",
                    (*cols, now, data, course.id),
                )
                action = "course.update"
            self.vault.audit(
                action,
                record_type="course",
                record_id=course.id,
                client_id=course.client_id,
                conn=tx,
                records=(("courses", int(course.id or 0)),),
            )
        return course

    def for_client(self, client_id: int) -> list[Course]:
        rows = self.vault.read(
            "SELECT id, client_id, indication, status, started_on, data FROM courses"
            " WHERE client_id = ? ORDER BY id",
            (client_id,),
        )
        return [
            _load(
                Course, r[5], id=r[0], client_id=r[1], indication=r[2], status=r[3], started_on=r[4]
            )
            for r in rows
        ]

    def get(self, course_id: int) -> Course:
        rows = self.vault.read(
            "SELECT id, client_id, indication, status, started_on, data FROM courses WHERE id = ?",
            (course_id,),
        )
        if not rows:
            raise RecordNotFound(f"Course {course_id} does not exist.")
        r = rows[0]
        return _load(
            Course, r[5], id=r[0], client_id=r[1], indication=r[2], status=r[3], started_on=r[4]
        )
