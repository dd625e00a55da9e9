"""One vault = one SQLCipher 4 file. This module owns its connection and its life cycle.

Key derivation is SQLCipher 4's own PBKDF2-HMAC-SHA512 with its default iteration count
(recorded in ``meta`` as ``kdf``). Every write goes through :meth:`Vault.transaction`; the
connection runs in WAL mode with ``synchronous=FULL``, so a commit that returned is on disk.

One writer per vault: opening for writing takes the OS lock beside the vault (``store.lock``)
and holds it until :meth:`Vault.close`; a second opener gets :class:`VaultInUse` naming the
holder, and may open read-only instead (no lock, every write refused with a plain message).
A full disk, read-only media or a missing permission is reported as what it is.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kapcompanion import __version__
from kapcompanion.store import anchors, seals
from kapcompanion.store import audit as audit_trail
from kapcompanion.store import lock as writer_lock
from kapcompanion.store.dbapi import Connection, DatabaseError, OperationalError, connect, quote_key
from kapcompanion.store.errors import (
    PassphraseTooWeak,
    VaultClosed,
    VaultDamaged,
    VaultError,
    VaultExists,
    VaultNotFound,
    VaultReadOnly,
    VaultTooNew,
    WrongPassphraseOrDamaged,
)
from kapcompanion.store.files import (
    disk_full,
    environment_fault,
    fsync_dir,
    fsync_file,
    private_temp_beside,
    publish_new,
    replace_atomically,
)
from kapcompanion.store.schema import MIGRATIONS, SCHEMA_VERSION

MIN_PASSPHRASE_LENGTH = 10
KDF = {"scheme": "sqlcipher4-pbkdf2-hmac-sha512", "kdf_iter": 256000, "compatibility": 4}
BACKUP_SUFFIX = ".kapbak"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise PassphraseTooWeak(
            f"The passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters long "
            f"(it has {len(passphrase)})."
        )
    if "\x00" in passphrase:
        raise PassphraseTooWeak("The passphrase cannot contain a NUL character.")


def _is_disk_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "full" in text or "no space" in text


NOT_OPENED = "the vault was not opened (it was not changed)."
READ_ONLY = (
    "This vault is open read-only (another copy of KAP Companion may be writing to it): "
    "nothing was changed. Close the other copy and open the vault again to make changes."
)


def _keyed(path: Path, passphrase: str) -> Connection:
    """Connect and key; a read right after keying tells a wrong key at once.

    SQLite cannot read a WAL vault without room for its ``-shm`` file, so a full disk (or a
    folder it may not write in) fails here too: that is said as what it is, not as a wrong
    passphrase."""
    try:
        conn = connect(str(path))
    except DatabaseError as exc:
        raise environment_fault(path.parent, exc, NOT_OPENED) or WrongPassphraseOrDamaged() from exc
    try:
        conn.execute(f"PRAGMA key = {quote_key(passphrase)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseError as exc:
        conn.close()
        if "not a database" not in str(exc):
            fault = environment_fault(path.parent, exc, NOT_OPENED)
            if fault is not None:
                raise fault from exc
        raise WrongPassphraseOrDamaged() from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _apply_pragmas(conn: Connection, *, read_only: bool = False) -> None:
    conn.execute("PRAGMA cipher_memory_security = ON")
    if read_only:  # the writer sets the journal mode; a reader changes nothing
        conn.execute("PRAGMA query_only = ON")
    else:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise VaultError(f"The vault could not switch to write-ahead logging (got {mode}).")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")


def _connect_checked(path: Path, passphrase: str, *, read_only: bool) -> tuple[Connection, int]:
    """A keyed connection to a vault of ours that this app can read, and its schema version."""
    conn = _keyed(path, passphrase)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if version == 0 or not has_meta:
            raise VaultDamaged(
                f"{path.name} is an encrypted database but not a KAP Companion vault."
            )
        if version > SCHEMA_VERSION:
            raise VaultTooNew(
                f"This vault was written by a newer KAP Companion (schema {version}; "
                f"this app understands up to {SCHEMA_VERSION}). Update the app to open it; "
                "the vault was not changed."
            )
        _apply_pragmas(conn, read_only=read_only)
    except DatabaseError as exc:
        conn.close()
        raise environment_fault(path.parent, exc, NOT_OPENED) or WrongPassphraseOrDamaged() from exc
    except BaseException:
        conn.close()
        raise
    return conn, version


#: the steps of ``Vault.check``, in order, as its ``progress`` callback names them
CHECK_STEPS = ("audit trail", "records", "seals", "encryption pages and structure")
#: ``progress(step, done, total)``: see :meth:`Vault.check`
CheckProgress = Callable[[str, int, int], None]


@dataclass
class CheckReport:
    schema_version: int
    cipher_problems: list[str] = field(default_factory=list)
    sqlite_problems: list[str] = field(default_factory=list)
    audit_rows: int = 0
    audit_problem: str = ""
    audit_first_broken: int | None = None
    content_problems: list[str] = field(default_factory=list)
    seal_problems: list[str] = field(default_factory=list)
    seals: int = 0
    anchors_checked: int = 0
    anchor_problem: str = ""

    @property
    def ok(self) -> bool:
        return not (
            self.cipher_problems
            or self.sqlite_problems
            or self.audit_problem
            or self.content_problems
            or self.seal_problems
            or self.anchor_problem
        ) and (self.schema_version == SCHEMA_VERSION)

    def problems(self) -> list[str]:
        """Only what is wrong, one line each (empty when the check passed)."""
        out: list[str] = []
        if self.schema_version != SCHEMA_VERSION:
            out.append(f"schema version {self.schema_version} (this app: {SCHEMA_VERSION})")
        if self.cipher_problems:
            out.append(f"{len(self.cipher_problems)} damaged encryption page(s)")
        if self.sqlite_problems:
            out.append("database structure: " + "; ".join(self.sqlite_problems[:3]))
        if self.audit_problem:
            out.append(
                f"audit trail broken at entry {self.audit_first_broken}: {self.audit_problem}"
            )
        out.extend(self.content_problems)
        out.extend(self.seal_problems)
        if self.anchor_problem:
            out.append(f"anchor failed: {self.anchor_problem}")
        return out

    def lines(self) -> list[str]:
        out = [f"schema version {self.schema_version} (this app: {SCHEMA_VERSION})"]
        out.append(
            "encryption pages: ok"
            if not self.cipher_problems
            else f"encryption pages: {len(self.cipher_problems)} damaged: "
            + "; ".join(self.cipher_problems[:5])
        )
        out.append(
            "database structure: ok"
            if not self.sqlite_problems
            else "database structure: " + "; ".join(self.sqlite_problems[:5])
        )
        out.append(
            f"audit trail: {self.audit_rows} entries, chain intact"
            if not self.audit_problem
            else f"audit trail: BROKEN at entry {self.audit_first_broken}: {self.audit_problem}"
        )
        if self.schema_version >= 3:
            out.append(
                "records: every record matches the audit trail"
                if not self.content_problems
                else f"records: {len(self.content_problems)} differ from the audit trail"
            )
            out.extend(f"  {line}" for line in self.content_problems[:50])
            if len(self.content_problems) > 50:
                out.append(f"  ... and {len(self.content_problems) - 50} more")
            out.append(
                f"signed records: {self.seals} seals, all intact"
                if not self.seal_problems
                else f"signed records: {len(self.seal_problems)} problems"
            )
            out.extend(f"  {line}" for line in self.seal_problems[:50])
        out.append(
            f"anchors: {self.anchors_checked} checked, all hold"
            if not self.anchor_problem
            else f"anchors: FAILED: {self.anchor_problem}"
        )
        return out


class Vault:
    """An unlocked vault. Thread-safe through one lock; the GUI and workers share it."""

    def __init__(
        self,
        path: Path,
        conn: Connection,
        passphrase: str,
        *,
        read_only: bool = False,
        writer: writer_lock.HeldFile | None = None,
    ) -> None:
        self.path = path
        self._conn: Connection | None = conn
        self._passphrase: str | None = passphrase
        self._lock = threading.RLock()
        self._in_tx = 0
        #: opened without the writer lock: every write is refused (``VaultReadOnly``)
        self.read_only = read_only
        self._writer = writer
        #: the audit chain's head, kept between appends (forgotten on any rollback)
        self._chain = audit_trail.ChainHead()
        row = conn.execute("SELECT value FROM meta WHERE key = 'practitioner'").fetchone()
        self.practitioner: dict[str, Any] = json.loads(row[0]) if row else {}

    # ----------------------------------------------------------------- life cycle
    @classmethod
    def create(
        cls, path: Path, passphrase: str, practitioner: dict[str, Any] | None = None
    ) -> Vault:
        """Create a new vault at ``path``; refuses to touch anything that already exists."""
        check_passphrase(passphrase)
        path = Path(path)
        if path.exists() or path.is_symlink():
            raise VaultExists(
                f"There is already a file at {path}; a new vault is never written over it."
            )
        not_created = "the vault was not created."
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer_lock.remove_orphans(path.parent)
            tmp, held = private_temp_beside(path, "creating")
        except OSError as exc:
            raise environment_fault(path.parent, exc, not_created) or VaultError(
                f"The vault could not be created in {path.parent}: {exc.strerror or exc}."
            ) from exc
        try:
            conn = connect(str(tmp))
        except BaseException:
            held.release()
            tmp.unlink()
            raise
        try:
            conn.execute(f"PRAGMA key = {quote_key(passphrase)}")
            _apply_pragmas(conn)
            now = iso(utc_now())
            conn.execute("BEGIN IMMEDIATE")
            for migration in MIGRATIONS:
                migration(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            meta = {
                "vault_id": str(uuid.uuid4()),
                "created_utc": now,
                "created_by_app": __version__,
                "kdf": json.dumps(KDF),
                "practitioner": json.dumps(practitioner or {}, ensure_ascii=False),
            }
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            audit_trail.append(
                conn,
                utc=now,
                who=str((practitioner or {}).get("name", "")),
                action="vault.create",
                record_type="vault",
            )
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = DELETE")  # fold the WAL in before publishing
            conn.close()
            os.chmod(tmp, 0o600)
            publish_new(tmp, path)
        except FileExistsError:
            tmp.unlink()
            raise VaultExists(f"There is already a file at {path}.") from None
        except BaseException as exc:
            conn.close()
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            if isinstance(exc, DatabaseError | OSError):
                fault = environment_fault(path.parent, exc, not_created)
                if fault is not None:
                    raise fault from exc
            raise
        finally:
            held.release()
        return cls.open(path, passphrase)

    @classmethod
    def open(
        cls,
        path: Path,
        passphrase: str,
        backup_dir: Path | None = None,
        *,
        read_only: bool = False,
    ) -> Vault:
        """Unlock an existing vault. Nothing is written unless the key is right and it is ours.

        For writing (the default) this process must get the vault's writer lock, else
        :class:`VaultInUse` says who has it. ``read_only`` takes no lock and refuses writes."""
        path = Path(path)
        if not path.is_file():
            raise VaultNotFound(f"No vault file at {path}.")
        if path.stat().st_size == 0:
            raise VaultDamaged(f"{path.name} is empty: it is not a KAP Companion vault.")
        writer: writer_lock.HeldFile | None = None
        if not read_only:
            try:
                writer = writer_lock.acquire_vault_lock(path)
            except OSError as exc:
                raise environment_fault(path.parent, exc, NOT_OPENED) or VaultError(
                    f"The vault's lock file could not be made beside it: {exc.strerror or exc}."
                ) from exc
        try:
            vault = cls._open_locked(path, passphrase, backup_dir, read_only, writer)
        except BaseException:
            if writer is not None:
                writer.release()
            raise
        return vault

    @classmethod
    def _open_locked(
        cls,
        path: Path,
        passphrase: str,
        backup_dir: Path | None,
        read_only: bool,
        writer: writer_lock.HeldFile | None,
    ) -> Vault:
        conn, version = _connect_checked(path, passphrase, read_only=read_only)
        try:
            vault = cls(path, conn, passphrase, read_only=read_only, writer=writer)
        except DatabaseError as exc:
            conn.close()
            raise VaultDamaged(
                f"{path.name} opened with this passphrase but is damaged ({exc}). "
                "Restore the latest backup; the damaged file was not changed."
            ) from exc
        if read_only:
            if version < SCHEMA_VERSION:
                vault._conn = None
                conn.close()
                raise VaultReadOnly(
                    "This vault needs a one-time update before this version of KAP Companion "
                    "can read it, and it is open read-only: open it for writing once."
                )
            return vault
        _remove_stale_temporaries(path)
        if version < SCHEMA_VERSION:
            vault._migrate(version, backup_dir or path.parent)
        vault._record_read_only_views()
        return vault

    def _record_read_only_views(self) -> None:
        """Views made read-only while another copy wrote: into the trail, then forget them."""
        notes = _views_path(self.path)
        try:
            lines = notes.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        except OSError:
            return  # kept for the next open; never a reason not to open
        with self.transaction() as tx:
            for line in lines:
                try:
                    view = json.loads(line)
                    audit_trail.append(
                        tx,
                        utc=str(view["utc"]),
                        who=str(view.get("who", "")),
                        action=str(view["action"]),
                        record_type=str(view.get("record_type", "")),
                        record_id=view.get("record_id"),
                        client_id=view.get("client_id"),
                        detail="viewed read-only (recorded at the next writing open)",
                    )
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a kill
        with contextlib.suppress(OSError):
            notes.unlink()

    def _migrate(self, version: int, backup_dir: Path) -> None:
        stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
        backup_dir.mkdir(parents=True, exist_ok=True)
        self.backup_to(
            backup_dir / f"{self.path.stem}-before-v{SCHEMA_VERSION}-{stamp}{BACKUP_SUFFIX}"
        )
        for step in range(version, SCHEMA_VERSION):
            with self.transaction() as conn:
                MIGRATIONS[step](conn)
                conn.execute(f"PRAGMA user_version = {step + 1}")
                self.audit(f"vault.migrate.v{step + 1}", record_type="vault", conn=conn)

    def close(self) -> None:
        """Close the connection and drop the passphrase from this object."""
        with self._lock:
            if self._conn is not None:
                if not self.read_only:
                    self.record_anchor("lock")
                    with contextlib.suppress(DatabaseError):
                        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._conn.close()
            self._conn = None
            self._passphrase = None
            if self._writer is not None:  # after the connection: the next writer finds it shut
                self._writer.release()
                self._writer = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise VaultClosed("The vault is locked.")
        return self._conn

    @property
    def who(self) -> str:
        return str(self.practitioner.get("name", ""))

    def verify_passphrase(self, candidate: str) -> bool:
        """For signing: the practitioner re-enters the vault passphrase."""
        if self._passphrase is None:
            return False
        return hmac.compare_digest(candidate.encode("utf-8"), self._passphrase.encode("utf-8"))

    # ----------------------------------------------------------------- transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction; nested use joins the outer one. Commit returns after fsync."""
        with self._lock:
            conn = self.conn
            if self.read_only:
                raise VaultReadOnly(READ_ONLY)
            if self._in_tx:
                self._in_tx += 1
                try:
                    yield conn
                finally:
                    self._in_tx -= 1
                return
            not_saved = "the last change was not saved."
            try:
                conn.execute("BEGIN IMMEDIATE")
            except OperationalError as exc:
                raise environment_fault(self.path.parent, exc, not_saved) or VaultError(
                    f"The vault is busy or read-only: {exc}"
                ) from exc
            self._in_tx = 1
            try:
                yield conn
            except BaseException as exc:
                self._in_tx = 0
                self._chain.forget()
                with contextlib.suppress(DatabaseError):
                    conn.execute("ROLLBACK")
                if isinstance(exc, DatabaseError) and _is_disk_full(exc):
                    raise disk_full(self.path.parent, not_saved) from exc
                raise
            self._in_tx = 0
            try:
                conn.execute("COMMIT")
            except DatabaseError as exc:
                self._chain.forget()
                with contextlib.suppress(DatabaseError):
                    conn.execute("ROLLBACK")
                raise environment_fault(self.path.parent, exc, not_saved) or VaultError(
                    f"The change could not be saved: {exc}"
                ) from exc

    def read(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self.conn.execute(sql, args).fetchall())
            except DatabaseError as exc:
                if "not a database" in str(exc) or "malformed" in str(exc):
                    raise VaultDamaged(f"The vault file is damaged: {exc}") from exc
                raise

    def audit(
        self,
        action: str,
        *,
        record_type: str = "",
        record_id: int | None = None,
        client_id: int | None = None,
        detail: str = "",
        conn: Connection | None = None,
        records: tuple[tuple[str, int], ...] = (),
        known: dict[tuple[str, int], str] | None = None,
    ) -> int:
        """Append to the audit trail, inside ``conn``'s transaction or in a new one.

        ``records``: the (table, id) of each record this change wrote or deleted; the row
        carries their content hashes as committed (``store.audit``); ``known`` holds those
        worked out before the transaction (``audit.plan``). The chain head is kept in memory
        between appends (read again after any rollback or failed commit).

        Read-only, a view (``*.view``) cannot enter the trail now: it is noted beside the vault
        (ids and time only) and written into the trail by the next writing open."""
        if self.read_only and conn is None and action.endswith(".view"):
            _note_read_only_view(self.path, action, record_type, record_id, client_id, self.who)
            return 0
        if conn is not None:
            return audit_trail.append(
                conn,
                utc=iso(utc_now()),
                who=self.who,
                action=action,
                record_type=record_type,
                record_id=record_id,
                client_id=client_id,
                detail=detail,
                records=records,
                known=known,
                chain=self._chain if conn is self._conn else None,
            )
        with self.transaction() as tx:
            return self.audit(
                action,
                record_type=record_type,
                record_id=record_id,
                client_id=client_id,
                detail=detail,
                conn=tx,
                records=records,
                known=known,
            )

    def audit_entries(self, **filters: Any) -> list[audit_trail.AuditRow]:
        """Audit rows newest first (filters as :func:`store.audit.query`), under the vault lock."""
        with self._lock:
            return audit_trail.query(self.conn, **filters)

    def audit_actions(self) -> list[str]:
        """Every action name in the audit trail, sorted (for a filter)."""
        with self._lock:
            return audit_trail.actions(self.conn)

    def verify_audit(self) -> audit_trail.ChainReport:
        """Walk the hash chain under the vault lock (the GUI and workers share the connection)."""
        with self._lock:
            return audit_trail.verify_chain(self.conn)

    # ----------------------------------------------------------------- meta
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self.read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else default

    def set_meta(self, key: str, value: str, conn: Connection | None = None) -> None:
        if conn is None:
            with self.transaction() as tx:
                self.set_meta(key, value, tx)
            return
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def get_json(self, key: str, default: Any = None) -> Any:
        raw = self.get_meta(key)
        return json.loads(raw) if raw is not None else default

    def set_json(self, key: str, value: Any, conn: Connection | None = None) -> None:
        self.set_meta(key, json.dumps(value, ensure_ascii=False), conn)

    def set_practitioner(self, practitioner: dict[str, Any]) -> None:
        with self.transaction() as tx:
            self.set_json("practitioner", practitioner, tx)
            self.practitioner = dict(practitioner)
            self.audit("practitioner.update", record_type="practitioner", conn=tx)

    # ----------------------------------------------------------------- backup, rekey, check
    def _export(self, target: Path, passphrase: str) -> None:
        """Copy the whole vault into a new encrypted file (``sqlcipher_export``)."""
        not_written = "the copy was not written."
        with self._lock:
            conn = self.conn
            try:
                if not self.read_only:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                conn.execute("ATTACH DATABASE ? AS export KEY ?", (str(target), passphrase))
            except DatabaseError as exc:
                fault = environment_fault(self.path.parent, exc, not_written)
                fault = fault or environment_fault(target.parent, exc, not_written)
                if fault is None:
                    raise
                raise fault from exc
            try:
                if self.read_only:  # the export writes through the main connection's pragma
                    conn.execute("PRAGMA query_only = OFF")
                conn.execute("SELECT sqlcipher_export('export')")
                version = int(conn.execute("PRAGMA main.user_version").fetchone()[0])
                conn.execute(f"PRAGMA export.user_version = {version}")
            except DatabaseError as exc:
                if _is_disk_full(exc):
                    raise disk_full(target.parent, not_written) from exc
                raise
            finally:
                if self.read_only:
                    conn.execute("PRAGMA query_only = ON")
                conn.execute("DETACH DATABASE export")
        fsync_file(target)

    def backup_to(self, dest: Path) -> Path:
        """Write an encrypted copy (same passphrase) to ``dest``, atomically; never overwrites."""
        dest = Path(dest)
        if dest.exists():
            raise VaultExists(f"There is already a file at {dest}.")
        if not dest.parent.is_dir():
            raise VaultError(f"The folder {dest.parent} does not exist; nothing was written.")
        if self.read_only:
            raise VaultReadOnly(READ_ONLY)
        not_written = "the backup was not written."
        writer_lock.remove_orphans(dest.parent)
        anchor = self.anchor()
        try:
            # 0600 from the start (encrypted, but only the practitioner's account needs it),
            # and locked while it is written: a partial nobody holds is a killed backup's
            tmp, held = private_temp_beside(dest, "partial")
        except OSError as exc:
            raise environment_fault(dest.parent, exc, not_written) or VaultError(
                f"The backup could not be written in {dest.parent}: {exc.strerror or exc}."
            ) from exc
        try:
            self._export(tmp, self._passphrase_or_fail())
            publish_new(tmp, dest)
        except FileExistsError:
            raise VaultExists(f"There is already a file at {dest}.") from None
        except OSError as exc:
            raise environment_fault(dest.parent, exc, not_written) or VaultError(
                f"The backup could not be written: {exc.strerror or exc}."
            ) from exc
        finally:
            for leftover in (tmp, Path(f"{tmp}-journal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            held.release()
        # the backup holds the chain up to ``anchor``: the log and the trail both say so
        self.audit("vault.backup", record_type="vault", detail=f"{dest.name}; anchor {anchor}")
        self.record_anchor("backup", anchor)
        return dest

    def auto_backup(self, folder: Path, keep: int = 10) -> Path:
        """A timestamped backup in ``folder``; only the newest ``keep`` of this vault stay."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
        made = self.backup_to(folder / f"{self.path.stem}-{stamp}{BACKUP_SUFFIX}")
        mine = sorted(folder.glob(f"{self.path.stem}-2*{BACKUP_SUFFIX}"))
        for old in mine[: max(0, len(mine) - max(1, keep))]:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
        return made

    def rekey(self, new_passphrase: str) -> None:
        """Change the passphrase. A crash at any moment leaves exactly one working passphrase.

        The vault is exported to a new file under the new key, the old file's WAL is folded in,
        and the new file is renamed over the old one in one atomic step.
        """
        check_passphrase(new_passphrase)
        if self.read_only:
            raise VaultReadOnly(READ_ONLY)
        not_changed = "the passphrase was not changed."
        with self._lock:
            try:
                tmp, held = private_temp_beside(self.path, "rekey")
            except OSError as exc:
                raise environment_fault(self.path.parent, exc, not_changed) or VaultError(
                    f"The passphrase could not be changed: {exc.strerror or exc}."
                ) from exc
            try:
                self.audit("vault.rekey", record_type="vault")
                self._export(tmp, new_passphrase)
                probe = _keyed(tmp, new_passphrase)
                probe.close()
                conn = self.conn
                conn.execute("PRAGMA journal_mode = DELETE")
                conn.close()
                self._conn = None
                replace_atomically(tmp, self.path)
            except (DatabaseError, OSError) as exc:
                fault = environment_fault(self.path.parent, exc, not_changed)
                if fault is None:
                    raise
                raise fault from exc
            finally:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                held.release()
            # the writer lock stays with this object throughout: nobody slips in between
            conn, _version = _connect_checked(self.path, new_passphrase, read_only=False)
            self._conn, self._passphrase = conn, new_passphrase

    # ----------------------------------------------------------------- anchors
    def anchor(self) -> anchors.Anchor | None:
        """The chain head as an anchor (row id and hash; no client data)."""
        with self._lock:
            found = audit_trail.head(self.conn)
        return anchors.Anchor(*found) if found else None

    def record_anchor(
        self, why: str, anchor: anchors.Anchor | None = None
    ) -> anchors.Anchor | None:
        """Append the anchor (now, unless given) to the log beside the vault; never fails the
        caller (a read-only folder loses the log line, not the user's work)."""
        try:
            anchor = anchor or self.anchor()
            if anchor is not None:
                anchors.append(self.path, anchor, why)
        except (OSError, DatabaseError, VaultClosed):
            return None
        return anchor

    def check(
        self,
        given: list[anchors.Anchor] | tuple[anchors.Anchor, ...] = (),
        progress: CheckProgress | None = None,
    ) -> CheckReport:
        """Encryption pages, structure, the audit chain, every record against the trail, every
        seal, and every anchor (``given`` ones and those of the log beside the vault).

        ``progress(step, done, total)`` names each step as it starts (done 0) and reports the
        long walks as they go (audit entries, records); it runs on the checking thread."""

        def step(name: str) -> audit_trail.Progress:
            def report_step(done: int, total: int) -> None:
                if progress is not None:
                    progress(name, done, total)

            return report_step

        with self._lock:
            conn = self.conn
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            report = CheckReport(schema_version=version)
            known = [*given, *anchors.read_log(self.path)]
            pages = _PageChecks(self.path, self._passphrase_or_fail())
            try:
                return self._check_trail(conn, report, known, step)
            finally:
                step(CHECK_STEPS[3])(0, 1)
                report.cipher_problems, report.sqlite_problems = pages.result(conn)
                step(CHECK_STEPS[3])(1, 1)

    def _check_trail(
        self,
        conn: Connection,
        report: CheckReport,
        known: list[anchors.Anchor],
        step: Callable[[str], audit_trail.Progress],
    ) -> CheckReport:
        """The audit chain, records, seals and anchors (``check``; the lock is held)."""
        version = report.schema_version
        recorded = audit_trail.Recorded()
        try:
            chain = audit_trail.verify_chain(
                conn, recorded, keep=[a.row for a in known], progress=step(CHECK_STEPS[0])
            )
            report.audit_rows = chain.rows
            report.audit_problem = chain.problem
            report.audit_first_broken = chain.first_broken_id
        except DatabaseError as exc:
            report.audit_problem = str(exc)
            return report
        report.anchors_checked = len({(a.row, a.hash) for a in known})
        for a in sorted(known, key=lambda a: a.row):
            if chain.first_broken_id is not None and a.row >= chain.first_broken_id:
                report.anchor_problem = (
                    f"anchor {a} cannot be verified: the trail is broken before it"
                )
                break
            if a.row > chain.rows:
                report.anchor_problem = (
                    f"anchor {a}{_noted(a)} fails: the trail now ends at entry {chain.rows}"
                    " (entries after it were removed)"
                )
                break
            if chain.hashes.get(a.row) != a.hash:
                report.anchor_problem = (
                    f"anchor {a}{_noted(a)} fails: entry {a.row} is no longer the one"
                    " anchored (the trail up to it was rewritten)"
                )
                break
        if version >= 3 and chain.ok:
            try:
                report.content_problems = audit_trail.verify_contents(
                    conn, recorded, progress=step(CHECK_STEPS[1])
                )
                del recorded  # the packed trail of a large vault: free it before the seals
                step(CHECK_STEPS[2])(0, 1)
                report.seal_problems = seals.verify(conn)
                report.seals = int(conn.execute("SELECT count(*) FROM seals").fetchone()[0])
            except DatabaseError as exc:
                report.content_problems = [str(exc)]
        return report

    def stats(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for table in (
            "clients",
            "courses",
            "sessions",
            "events",
            "vitals",
            "attachments",
            "addenda",
            "flags",
            "audit",
        ):
            counts[table] = int(self.read(f"SELECT count(*) FROM {table}")[0][0])
        for kind, n in self.read(
            "SELECT kind, count(*) FROM documents GROUP BY kind ORDER BY kind"
        ):
            counts[f"documents.{kind}"] = int(n)
        size = self.path.stat().st_size
        wal = Path(f"{self.path}-wal")
        return {
            "path": str(self.path),
            "schema_version": int(self.read("PRAGMA user_version")[0][0]),
            "file_size_bytes": size + (wal.stat().st_size if wal.exists() else 0),
            "counts": counts,
        }

    def open_reader(self) -> Vault:
        """A second, read-only connection to this vault (no writer lock, no migration), for a
        long read such as the whole-vault check, so this connection stays free meanwhile."""
        return Vault.open(self.path, self._passphrase_or_fail(), read_only=True)

    def _passphrase_or_fail(self) -> str:
        if self._passphrase is None:
            raise VaultClosed("The vault is locked.")
        return self._passphrase


def _views_path(vault: Path) -> Path:
    return vault.with_name(vault.name + ".read-only-views")


def _note_read_only_view(
    vault: Path,
    action: str,
    record_type: str,
    record_id: int | None,
    client_id: int | None,
    who: str,
) -> None:
    """One line (ids and time, no client data) appended beside the vault, 0600."""
    line = json.dumps(
        {
            "utc": iso(utc_now()),
            "who": who,
            "action": action,
            "record_type": record_type,
            "record_id": record_id,
            "client_id": client_id,
        }
    )
    try:
        fd = os.open(_views_path(vault), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise VaultReadOnly(
            "This vault is open read-only and the view could not be noted for the audit trail "
            f"({exc.strerror or exc}): the record is not shown."
        ) from exc
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def _page_checks(conn: Connection) -> tuple[list[str], list[str]]:
    """SQLCipher's page check (every page's HMAC) and SQLite's structure check."""
    try:
        cipher = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
    except DatabaseError as exc:
        cipher = [str(exc)]
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
        structure = [] if rows == ["ok"] else rows
    except DatabaseError as exc:
        structure = [str(exc)]
    return cipher, structure


class _PageChecks:
    """The page-level checks on a read-only connection of their own, on a thread, while the
    vault's connection walks the trail: both are mostly SQLite's work without the GIL, so two
    cores do them side by side (about 7 s less on the clinic-scale vault). If that connection
    cannot be opened, :meth:`result` runs them on the vault's own connection instead."""

    def __init__(self, path: Path, passphrase: str) -> None:
        self._found: tuple[list[str], list[str]] | None = None
        self._thread = threading.Thread(
            target=self._run, args=(path, passphrase), name="vault-check-pages", daemon=True
        )
        self._thread.start()

    def _run(self, path: Path, passphrase: str) -> None:
        try:
            conn = _keyed(path, passphrase)
        except (VaultError, DatabaseError, OSError):
            return
        try:
            conn.execute("PRAGMA query_only = ON")
            self._found = _page_checks(conn)
        except DatabaseError:
            return
        finally:
            conn.close()

    def result(self, conn: Connection) -> tuple[list[str], list[str]]:
        self._thread.join()
        return self._found if self._found is not None else _page_checks(conn)


def _noted(anchor: anchors.Anchor) -> str:
    if anchor.utc:
        return f" (noted {anchor.utc}{', ' + anchor.why if anchor.why else ''})"
    return ""


def _remove_stale_temporaries(path: Path) -> None:
    """Leftovers of an interrupted create, backup or rekey are encrypted junk: remove them.

    Called with the vault's writer lock held, so no other process is rekeying this vault; a
    temporary still locked by a live writer is left alone (``store.lock.remove_orphans``)."""
    writer_lock.remove_orphans(path.parent, (f".{path.name}.rekey-*", *writer_lock.ORPHAN_PATTERNS))


def verify_backup(backup: Path, passphrase: str) -> CheckReport:
    """Open a backup read-only and check it completely without changing a byte of it."""
    if not backup.is_file():
        raise VaultNotFound(f"No backup file at {backup}.")
    conn = _keyed(backup, passphrase)
    try:
        conn.execute("PRAGMA query_only = ON")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise VaultTooNew(f"{backup.name} was written by a newer version of KAP Companion.")
        if version == 0:
            raise VaultDamaged(f"{backup.name} is not a KAP Companion vault or backup.")
        report = CheckReport(schema_version=version)
        report.cipher_problems = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        report.sqlite_problems = [] if rows == ["ok"] else rows
        chain = audit_trail.verify_chain(conn)
        report.audit_rows, report.audit_problem = chain.rows, chain.problem
        report.audit_first_broken = chain.first_broken_id
        if version < SCHEMA_VERSION:  # older backups are fine: they migrate when opened
            report.schema_version = SCHEMA_VERSION
        return report
    except DatabaseError as exc:
        raise VaultDamaged(f"{backup.name} is damaged: {exc}") from exc
    finally:
        conn.close()


def restore(backup: Path, target: Path, passphrase: str) -> Path | None:
    """Replace ``target`` with a verified copy of ``backup``; the replaced vault is kept aside.

    Returns where the replaced vault now lives (None if there was none). The vault at
    ``target`` must be closed (its writer lock is taken: :class:`VaultInUse` if it is open
    anywhere). The restored vault opens with the backup's passphrase.
    """
    report = verify_backup(backup, passphrase)
    if not report.ok:
        raise VaultDamaged(f"{backup.name} failed its check: " + " / ".join(report.lines()[1:]))
    target.parent.mkdir(parents=True, exist_ok=True)
    writer = writer_lock.acquire_vault_lock(target)
    try:
        kept = _replace_with(backup, target)
        restored = Vault._open_locked(target, passphrase, None, False, writer)
    except BaseException:
        writer.release()
        raise
    try:
        restored.audit("vault.restore", record_type="vault", detail=backup.name)
    finally:
        restored.close()
    return kept


def _replace_with(backup: Path, target: Path) -> Path | None:
    tmp, held = private_temp_beside(target, "restoring")
    try:
        with open(backup, "rb") as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        kept: Path | None = None
        if target.exists():
            stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
            kept = target.with_name(f"{target.name}.replaced-{stamp}")
            # the anchor log describes the replaced trail: it goes with it (a restored
            # backup's trail may end before the replaced vault's anchors)
            for suffix in ("-wal", "-shm", ".anchors"):
                side = Path(f"{target}{suffix}")
                if side.exists():
                    os.replace(side, Path(f"{kept}{suffix}"))
            os.replace(target, kept)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        held.release()
    return kept


def latest_backup(folder: Path, vault_path: Path) -> Path | None:
    found = sorted(folder.glob(f"{vault_path.stem}-*{BACKUP_SUFFIX}"))
    return found[-1] if found else None
