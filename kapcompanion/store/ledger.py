"""The controlled-substance ledger's records: products, containers and entries (schema v4).

The tables are append-only (triggers refuse UPDATE and DELETE; see ``store.schema._to_v4``).
Every write is audited in its transaction with the content hash of each row it wrote, so
``vault check`` finds a changed balance. Amounts are stored as decimal text, exactly as
``core.ledger`` computed them. The rules (what may be written) are ``core.ledger`` and
``services.ledger``; this module only owns the SQL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kapcompanion.core.ledger import (
    Container,
    Entry,
    EntryKind,
    Form,
    Product,
    changes_balance,
    dec,
    text,
)
from kapcompanion.store.dbapi import Connection
from kapcompanion.store.errors import RecordNotFound
from kapcompanion.store.vault import Vault, iso, utc_now

_ENTRY_COLS = "id, kind, utc, who, container_id, mg, session_id, refers_id, data"
_CONTAINER_COLS = "id, product_id, label, lot, expiry, receipt_id"
_PRODUCT_COLS = "id, name, substance, form, strength_mg, container_ml, schedule"
_BALANCE_KINDS = tuple(k.value for k in EntryKind if changes_balance(k))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _entry(row: Sequence[Any]) -> Entry:
    return Entry(
        id=int(row[0]),
        kind=EntryKind(row[1]),
        utc=datetime.fromisoformat(row[2]),
        who=str(row[3]),
        container_id=row[4],
        mg=dec(row[5]),
        session_id=row[6],
        refers_id=row[7],
        detail=json.loads(row[8]),
    )


def _container(row: Sequence[Any]) -> Container:
    return Container(
        id=int(row[0]),
        product_id=int(row[1]),
        label=str(row[2]),
        lot=str(row[3]),
        expiry=date.fromisoformat(row[4]),
        receipt_id=int(row[5]),
    )


def _product(row: Sequence[Any]) -> Product:
    return Product(
        id=int(row[0]),
        name=str(row[1]),
        substance=str(row[2]),
        form=Form(row[3]),
        strength_mg=dec(row[4]),
        container_ml=dec(row[5]) if row[5] is not None else None,
        schedule=str(row[6]),
    )


class Ledger:
    """The ledger's repository. Writes take ``action`` and ``detail`` for their audit row."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    # ------------------------------------------------------------------ writes
    def add_product(self, product: Product) -> Product:
        with self.vault.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO ledger_products (name, substance, form, strength_mg, container_ml,"
                " schedule, created_utc) VALUES (?,?,?,?,?,?,?)",
                (
                    product.name.strip(),
                    product.substance,
                    product.form.value,
                    text(product.strength_mg),
                    text(product.container_ml) if product.container_ml is not None else None,
                    product.schedule,
                    iso(utc_now()),
                ),
            )
            pid = int(cur.lastrowid)
            stored = replace(product, id=pid)
            self.vault.audit(
                "ledger.product.add",
                record_type="ledger_product",
                record_id=pid,
                detail=stored.label,
                conn=tx,
                records=(("ledger_products", pid),),
            )
        return stored

    def _insert_entry(self, tx: Connection, entry: Entry) -> Entry:
        cur = tx.execute(
            "INSERT INTO ledger_entries (kind, utc, who, container_id, mg, session_id,"
            " refers_id, data) VALUES (?,?,?,?,?,?,?,?)",
            (
                entry.kind.value,
                iso(entry.utc),
                entry.who,
                entry.container_id,
                text(entry.mg),
                entry.session_id,
                entry.refers_id,
                _json(entry.detail),
            ),
        )
        return replace(entry, id=int(cur.lastrowid))

    def append(
        self, entries: Sequence[Entry], action: str, detail: str = "", record_id: int | None = None
    ) -> list[Entry]:
        """Insert ``entries`` and one audit row naming each (and its content hash)."""
        with self.vault.transaction() as tx:
            stored = [self._insert_entry(tx, e) for e in entries]
            self.vault.audit(
                action,
                record_type="ledger_entry",
                record_id=record_id if record_id is not None else stored[0].id,
                detail=detail,
                conn=tx,
                records=tuple(("ledger_entries", int(e.id or 0)) for e in stored),
            )
        return stored

    def receive(
        self, receipt: Entry, containers: Sequence[Container], amount_mg: Decimal, detail: str
    ) -> tuple[Entry, list[Container], list[Entry]]:
        """The receipt entry, its containers and one RECEIVE entry per container, one audit row."""
        with self.vault.transaction() as tx:
            head = self._insert_entry(tx, receipt)
            assert head.id is not None
            made: list[Container] = []
            lines: list[Entry] = []
            now = iso(utc_now())
            for c in containers:
                cur = tx.execute(
                    "INSERT INTO ledger_containers (product_id, label, lot, expiry, receipt_id,"
                    " created_utc) VALUES (?,?,?,?,?,?)",
                    (c.product_id, c.label, c.lot, c.expiry.isoformat(), head.id, now),
                )
                stored = replace(c, id=int(cur.lastrowid), receipt_id=head.id)
                made.append(stored)
                lines.append(
                    self._insert_entry(
                        tx,
                        Entry(
                            kind=EntryKind.RECEIVE,
                            utc=receipt.utc,
                            who=receipt.who,
                            container_id=stored.id,
                            mg=amount_mg,
                            refers_id=head.id,
                        ),
                    )
                )
            records = [("ledger_entries", head.id)]
            records += [("ledger_containers", int(c.id or 0)) for c in made]
            records += [("ledger_entries", int(e.id or 0)) for e in lines]
            self.vault.audit(
                "ledger.receive",
                record_type="ledger_entry",
                record_id=head.id,
                detail=detail,
                conn=tx,
                records=tuple(records),
            )
        return head, made, lines

    # ------------------------------------------------------------------ reads
    def products(self) -> list[Product]:
        rows = self.vault.read(f"SELECT {_PRODUCT_COLS} FROM ledger_products ORDER BY id")
        return [_product(r) for r in rows]

    def product(self, product_id: int) -> Product:
        rows = self.vault.read(
            f"SELECT {_PRODUCT_COLS} FROM ledger_products WHERE id = ?", (product_id,)
        )
        if not rows:
            raise RecordNotFound(f"There is no ledger product {product_id}.")
        return _product(rows[0])

    def containers(self, product_id: int | None = None) -> list[Container]:
        sql = f"SELECT {_CONTAINER_COLS} FROM ledger_containers"
        args: tuple[Any, ...] = ()
        if product_id is not None:
            sql += " WHERE product_id = ?"
            args = (product_id,)
        return [_container(r) for r in self.vault.read(sql + " ORDER BY id", args)]

    def container(self, container_id: int) -> Container:
        rows = self.vault.read(
            f"SELECT {_CONTAINER_COLS} FROM ledger_containers WHERE id = ?", (container_id,)
        )
        if not rows:
            raise RecordNotFound(f"There is no container {container_id} in the ledger.")
        return _container(rows[0])

    def label_taken(self, label: str) -> bool:
        rows = self.vault.read(
            "SELECT 1 FROM ledger_containers WHERE lower(label) = lower(?)", (label.strip(),)
        )
        return bool(rows)

    def entry(self, entry_id: int) -> Entry:
        rows = self.vault.read(
            f"SELECT {_ENTRY_COLS} FROM ledger_entries WHERE id = ?", (entry_id,)
        )
        if not rows:
            raise RecordNotFound(f"There is no ledger entry {entry_id}.")
        return _entry(rows[0])

    def entries(
        self,
        *,
        container_id: int | None = None,
        kinds: Sequence[EntryKind] = (),
        session_id: int | None = None,
        refers_id: int | None = None,
    ) -> list[Entry]:
        """Entries oldest first, filtered."""
        where: list[str] = []
        args: list[Any] = []
        if container_id is not None:
            where.append("container_id = ?")
            args.append(container_id)
        if kinds:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            args.extend(k.value for k in kinds)
        if session_id is not None:
            where.append("session_id = ?")
            args.append(session_id)
        if refers_id is not None:
            where.append("refers_id = ?")
            args.append(refers_id)
        sql = f"SELECT {_ENTRY_COLS} FROM ledger_entries"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_entry(r) for r in self.vault.read(sql + " ORDER BY id", args)]

    def entries_by_container(self) -> dict[int, list[Entry]]:
        """Every container's entries, oldest first (one query for the stock view)."""
        out: dict[int, list[Entry]] = {}
        for row in self.vault.read(
            f"SELECT {_ENTRY_COLS} FROM ledger_entries WHERE container_id IS NOT NULL"
            " ORDER BY container_id, id"
        ):
            e = _entry(row)
            out.setdefault(int(row[4]), []).append(e)
        return out

    def balance(self, container_id: int) -> Decimal:
        """The container's balance now (inside a transaction: as that transaction sees it)."""
        rows = self.vault.read(
            "SELECT mg FROM ledger_entries WHERE container_id = ?"
            f" AND kind IN ({','.join('?' * len(_BALANCE_KINDS))})",
            (container_id, *_BALANCE_KINDS),
        )
        total = Decimal(0)
        for (mg,) in rows:
            total += dec(mg)
        return total
