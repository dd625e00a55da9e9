"""Transfer of care between two vaults: export a client's bundle, import one as a new client.

The import is one user action, so one transaction: every record of the bundle is written
under new ids (``store.idmap`` renumbers the links between them, inside JSON too), every seal
is carried with its original (``store.seals.carried_snapshot``; why: ``export.transfer``), the
carried seals are verified against the rows just written, and one audit row names the source
vault, the bundle's SHA-256 and every record written. Anything wrong (a wrong passphrase, a
flipped byte, a seal that does not verify, a full disk) leaves the target vault exactly as
it was.

A bundle never merges into an existing client: if a client with the same name and date of
birth is already in the vault, the import is refused unless the user asks for a new client
(``as_new``), and the audit row says a same-named client existed.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kapcompanion.export.transfer import (
    Contents,
    TransferError,
    TransferResult,
    export_client_bundle,
    read_bundle,
)
from kapcompanion.store import idmap, seals
from kapcompanion.store.client_rows import TABLES, columns_of, insert_row, next_ids, same_clients
from kapcompanion.store.dbapi import DatabaseError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

__all__ = [
    "BundleSummary",
    "ImportResult",
    "TransferError",
    "TransferResult",
    "describe",
    "export_client",
    "import_client",
    "preview",
]


def export_client(
    vault: Vault,
    client_id: int,
    out: str | os.PathLike[str],
    passphrase: str | None = None,
    progress: Any = None,
) -> TransferResult:
    """Write the client's encrypted transfer bundle (``export.transfer``), audited."""
    return export_client_bundle(Repos(vault), client_id, out, passphrase, progress=progress)


@dataclass(frozen=True)
class BundleSummary:
    """What a bundle holds, for the user to confirm before importing."""

    name: str
    pseudonym: str
    dob: str | None
    counts: dict[str, int]
    source_vault: str
    practitioner: str
    clinic: str
    created_utc: str
    sha256: str
    same_clients: list[int] = field(default_factory=list)
    #: documents by kind (``measure``, ``consent``, ``integration``...), measures among them
    document_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def measures(self) -> int:
        return self.document_kinds.get("measure", 0)


def _summary(contents: Contents, vault: Vault) -> BundleSummary:
    client = contents.client
    source = contents.source
    kinds: dict[str, int] = {}
    for row in contents.records.get("documents", []):
        kind = str(row.get("kind", ""))
        kinds[kind] = kinds.get(kind, 0) + 1
    with vault._lock:
        same = same_clients(vault.conn, str(client.get("name", "")), client.get("dob"))
    return BundleSummary(
        name=str(client.get("name", "")),
        pseudonym=str(client.get("pseudonym", "")),
        dob=client.get("dob"),
        counts=contents.counts(),
        source_vault=str(source.get("vault_id", "")),
        practitioner=str(source.get("practitioner", "")),
        clinic=str(source.get("clinic", "")),
        created_utc=str(contents.payload.get("created_utc", "")),
        sha256=contents.sha256,
        same_clients=same,
        document_kinds=kinds,
    )


def preview(vault: Vault, path: str | os.PathLike[str], passphrase: str) -> BundleSummary:
    """Decrypt and check the bundle, and say what it holds; writes nothing."""
    return _summary(read_bundle(path, passphrase), vault)


@dataclass(frozen=True)
class ImportResult:
    client_id: int
    counts: dict[str, int]
    sha256: str
    source_vault: str
    ids: idmap.IdMap
    same_clients: list[int]


def _who(client: dict[str, Any]) -> str:
    name = str(client.get("name") or client.get("pseudonym") or "this client")
    return f"{name} (born {client['dob']})" if client.get("dob") else name


def import_client(
    vault: Vault,
    path: str | os.PathLike[str],
    passphrase: str,
    *,
    as_new: bool = False,
    now: datetime | None = None,
    expect_sha256: str | None = None,
) -> ImportResult:
    """Bring the bundle's client into ``vault`` as a new client, in one transaction.

    ``expect_sha256``: the digest the user saw in the preview; a bundle file that changed
    since is refused (the user confirmed that file, not this one)."""
    contents = read_bundle(path, passphrase)
    if expect_sha256 is not None and contents.sha256 != expect_sha256:
        raise TransferError(
            "The bundle file changed after it was checked. Nothing was imported; check it "
            "again before importing.",
            "integrity",
        )
    client = contents.client
    source = contents.source
    source_vault = str(source.get("vault_id", ""))
    stamp = (now or datetime.now(UTC)).isoformat(timespec="microseconds")
    if source_vault and source_vault == vault.get_meta("vault_id") and not as_new:
        raise TransferError(
            "This bundle was exported from this same vault. Nothing was imported; to keep a "
            "second copy of the client anyway, import it as a new client.",
            "refused",
        )
    records = contents.records
    try:
        with vault.transaction() as tx:
            same = same_clients(tx, str(client.get("name", "")), client.get("dob"))
            if same and not as_new:
                listed = ", ".join(str(i) for i in same)
                raise TransferError(
                    f"A client named {_who(client)} is already in this vault (client {listed}). "
                    "Nothing was imported: a bundle is never merged into an existing record. "
                    "To bring it in as a separate, new client, import it again as a new client "
                    "(--as-new).",
                    "refused",
                )
            ids: idmap.IdMap = {}
            for table in TABLES:
                rows = records[table]
                fresh = next_ids(tx, table, len(rows))
                ids[table] = {int(r["id"]): new for r, new in zip(rows, fresh, strict=True)}
            find = idmap.lookup_in(ids)
            written: list[tuple[str, int]] = []
            for table in TABLES:
                if table == "seals":
                    continue
                known = columns_of(tx, table)
                for row in records[table]:
                    insert_row(tx, table, idmap.remap_row(table, row, find), known)
                    written.append((table, ids[table][int(row["id"])]))
            origin = {
                "vault": source_vault,
                "bundle_sha256": contents.sha256,
                "transfer": str(uuid.uuid4()),
                "utc": stamp,
            }
            carried: set[int] = set()
            for row in records["seals"]:
                new_id = ids["seals"][int(row["id"])]
                seals.insert_carried(
                    tx,
                    new_id=new_id,
                    row=idmap.remap_row("seals", row, find),
                    original=row,
                    ids=ids,
                    origin=origin,
                )
                carried.add(new_id)
                written.append(("seals", new_id))
            problems = seals.verify(tx, only=carried) if carried else []
            if problems:
                raise TransferError(
                    "The signed records in this bundle do not match their seals "
                    f"({problems[0]}). Nothing was imported.",
                    "integrity",
                )
            new_client = ids["clients"][int(client["id"])]
            counts = contents.counts()
            detail = (
                f"transfer from vault {source_vault or 'unknown'} (client {client['id']} there); "
                f"bundle sha256 {contents.sha256}; "
                + ", ".join(f"{n} {t}" for t, n in counts.items())
            )
            if same:
                detail += f"; imported as a new client beside client {', '.join(map(str, same))}"
            vault.audit(
                "client.import",
                record_type="client",
                record_id=new_client,
                client_id=new_client,
                detail=detail,
                conn=tx,
                records=tuple(written),
            )
    except (KeyError, TypeError, ValueError, DatabaseError) as exc:
        raise TransferError(
            f"The bundle's records do not fit this vault ({exc}). Nothing was imported.",
            "integrity",
        ) from exc
    return ImportResult(
        client_id=new_client,
        counts=counts,
        sha256=contents.sha256,
        source_vault=source_vault,
        ids=ids,
        same_clients=same,
    )


_NAMES = {
    "clients": ("client", "clients"),
    "courses": ("course", "courses"),
    "sessions": ("session", "sessions"),
    "events": ("session event", "session events"),
    "vitals": ("vital-sign reading", "vital-sign readings"),
    "documents": ("document", "documents"),
    "attachments": ("attached file", "attached files"),
    "addenda": ("addendum", "addenda"),
    "flags": ("safety flag", "safety flags"),
    "seals": ("signature seal", "signature seals"),
}


def describe(counts: dict[str, int], skip: tuple[str, ...] = ()) -> str:
    """``1 course, 3 sessions, 33 session events, ...`` (the kinds that are there)."""
    parts = []
    for table, n in counts.items():
        if n and table not in skip:
            one, many = _NAMES.get(table, (table, table))
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts) or "nothing"


def default_bundle_name(client: Any) -> str:
    """A file name that does not carry the client's name (``client-12-2025-03-04.kapx``)."""
    return f"client-{client.id}-{datetime.now(UTC):%Y-%m-%d}.kapx"


def bundle_path(folder: str | os.PathLike[str], client: Any) -> Path:
    return Path(folder) / default_bundle_name(client)
