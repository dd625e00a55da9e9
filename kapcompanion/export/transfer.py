"""Transfer of care: one client's whole record as an encrypted bundle (``.kapx``).

What the bundle holds. A JSON document with the client's FHIR R4 bundle (``fhir_export``, for
any other system) and our native records, row for row as the source vault stores them: the
client, courses, sessions, events, vital readings, documents (screening, intake, checklists,
integration notes, measures, plans, safety plans ...), attachments with their files, addenda,
safety flags and seals, so nothing is lost between two copies of this app. It is compressed
(zlib) and encrypted.

The file. ``KAPX`` and a format version, then the key derivation (scrypt, its cost N = 2^17,
r = 8, p = 1 written in the header so it can grow), a random 16-byte salt, a random 12-byte
nonce and a 16-byte passphrase check, then the AES-256-GCM ciphertext. The whole header is
the GCM associated data, so every byte of the file is authenticated: a flipped byte anywhere
fails the tag. scrypt yields 64 bytes: the first 32 are the AES key, the next 16 are the
passphrase check stored in the header. That check tells a wrong passphrase ("the passphrase is
not right") from a file changed after it was written ("failed its integrity check"); it gives
an attacker nothing a trial decryption would not (both cost one scrypt).

The passphrase is used once. It comes from an environment variable (never the command line,
where other users can read it) or, if none is given, is drawn here from the word list
(``core.passwords``, about 66 bits in six words) and shown once.

Seals. A signed session's seal hashes a frozen copy of its rows, and those rows carry their
ids (session, events, vitals, documents). The target vault gives every record a new id, so
the frozen copy cannot hash the same and match renumbered rows at once. We keep the original
seal byte for byte (its frozen copy and hash) inside a carried seal in the target vault,
together with the map from the source's ids to the target's that the copy uses
(``store.seals.carried_snapshot``). ``vault check`` in the target re-hashes the original (it
must still give the hash the source vault signed), renumbers it with the one rule of
``store.idmap``, and compares it with the live rows, as for any seal. The alternatives were
worse: re-sealing the renumbered rows would make the signature the importer's, not the
signer's; keeping the old ids is impossible in a vault that already uses them. The export
refuses a client whose seals do not verify in the source vault: a broken record is not
passed on as a sound one.

Writing: atomically through ``kapcompanion.fileio``; then the export is audited in the source
vault (what was included, the bundle's SHA-256, the audit anchor; never the file name, which
may carry a client's name). Reading and the import itself: ``services.transfer``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kapcompanion import __version__
from kapcompanion.core.passwords import one_time_passphrase
from kapcompanion.export.atomic import write_bytes_atomic
from kapcompanion.export.errors import ExportError
from kapcompanion.export.fhir_export import build_client_bundle, validate_bundle_json
from kapcompanion.store import seals
from kapcompanion.store.client_rows import TABLES, client_rows
from kapcompanion.store.repos import Repos
from kapcompanion.store.schema import SCHEMA_VERSION

MAGIC = b"KAPX"
FORMAT_VERSION = 1
KDF_SCRYPT = 1
#: scrypt cost: N = 2**SCRYPT_LOG2_N (2^17, r 8, p 1: OWASP's recommendation for scrypt)
SCRYPT_LOG2_N = 17
SCRYPT_R = 8
SCRYPT_P = 1
#: magic, version, kdf, log2 N, r, p, salt, nonce, passphrase check
_HEADER = struct.Struct(">4sBBBBB16s12s16s")
HEADER_SIZE = _HEADER.size
PAYLOAD_FORMAT = "kapcompanion-transfer"
MIN_PASSPHRASE = 10
MAX_PAYLOAD = 2 << 30  # 2 GiB of JSON at most: a bundle that inflates past it is refused
ProgressFn = Callable[[float, str], None]


class TransferError(ExportError):
    """A transfer problem the user can act on; ``kind`` tells the command line its exit code:
    ``passphrase`` (2), ``integrity`` (3), ``refused`` or ``error`` (1)."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


# --------------------------------------------------------------------------- the container
def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise TransferError(
            f"The bundle passphrase must be at least {MIN_PASSPHRASE} characters long "
            f"(it has {len(passphrase)}); nothing was written.",
            "passphrase",
        )


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    raw = Scrypt(salt=salt, length=64, n=1 << log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return raw[:32], raw[32:48]


def encrypt(plaintext: bytes, passphrase: str) -> bytes:
    """The ``.kapx`` bytes for ``plaintext`` (module docstring: the file)."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key, check = _derive(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    header = _HEADER.pack(
        MAGIC, FORMAT_VERSION, KDF_SCRYPT, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, salt, nonce, check
    )
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


def decrypt(data: bytes, passphrase: str) -> bytes:
    """The plaintext of a ``.kapx`` file, or a :class:`TransferError` saying what is wrong."""
    if len(data) < HEADER_SIZE + 16 or data[:4] != MAGIC:
        raise TransferError(
            "This file is not a KAP Companion transfer bundle (.kapx); nothing was imported.",
            "integrity",
        )
    _magic, version, kdf, log2_n, r, p, salt, nonce, check = _HEADER.unpack_from(data)
    if version > FORMAT_VERSION:
        raise TransferError(
            "This bundle was written by a newer KAP Companion; update the app to import it. "
            "Nothing was imported.",
            "refused",
        )
    if (
        version != FORMAT_VERSION
        or kdf != KDF_SCRYPT
        or not (14 <= log2_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4)
    ):
        raise TransferError(
            "The bundle failed its integrity check: its header is damaged. Nothing was imported.",
            "integrity",
        )
    key, expected = _derive(passphrase, salt, log2_n, r, p)
    if not secrets.compare_digest(expected, check):
        raise TransferError(
            "The bundle passphrase is not right for this file (or the file's first bytes are "
            "damaged). Nothing was imported.",
            "passphrase",
        )
    try:
        return AESGCM(key).decrypt(nonce, data[HEADER_SIZE:], data[:HEADER_SIZE])
    except InvalidTag:
        raise TransferError(
            "The bundle failed its integrity check: it was changed or damaged after it was "
            "written. Nothing was imported; ask the sender for a fresh copy.",
            "integrity",
        ) from None


def _bytes_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"cannot store {type(value).__name__} in a bundle")


def _bytes_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and isinstance(obj.get("$bytes"), str):
        return base64.b64decode(obj["$bytes"], validate=True)
    return obj


def pack(payload: dict[str, Any]) -> bytes:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_bytes_default)
    return zlib.compress(text.encode("utf-8"), 6)


def unpack(blob: bytes) -> dict[str, Any]:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(blob, MAX_PAYLOAD)
        if inflater.unconsumed_tail or not inflater.eof:
            raise TransferError("The bundle is too large or incomplete; nothing was imported.")
        payload = json.loads(raw.decode("utf-8"), object_hook=_bytes_hook)
    except (zlib.error, UnicodeDecodeError, ValueError) as exc:
        raise TransferError(
            f"The bundle's contents cannot be read ({exc}); nothing was imported.", "integrity"
        ) from exc
    if not isinstance(payload, dict):
        raise TransferError("The bundle's contents cannot be read; nothing was imported.")
    return payload


# --------------------------------------------------------------------------- what goes in
@dataclass(frozen=True)
class TransferResult:
    path: Path
    passphrase: str
    generated: bool  # True: drawn here, to be shown once
    counts: dict[str, int]
    fhir_counts: dict[str, int]
    sha256: str
    size: int
    words: int = 0


@dataclass
class Contents:
    """A decrypted bundle, checked for shape (``read_bundle``)."""

    payload: dict[str, Any]
    sha256: str
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def source(self) -> dict[str, Any]:
        source = self.payload.get("source")
        return source if isinstance(source, dict) else {}

    @property
    def client(self) -> dict[str, Any]:
        return self.records["clients"][0]

    def counts(self) -> dict[str, int]:
        return {t: len(rows) for t, rows in self.records.items() if rows}


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items() if n) or "nothing"


def build_payload(
    repos: Repos, client_id: int, *, anchor: str = "", now: datetime | None = None
) -> tuple[dict[str, Any], dict[str, int], dict[str, int]]:
    """The bundle's JSON document, the native counts and the FHIR resource counts."""
    vault = repos.vault
    stamp = now or datetime.now(UTC)
    with vault._lock:  # one consistent read of the client's rows
        conn = vault.conn
        rows = client_rows(conn, client_id)
        if not rows["clients"]:
            raise TransferError(f"There is no client {client_id} in this vault.")
        seal_ids = {int(r["id"]) for r in rows["seals"]}
        problems = seals.verify(conn, only=seal_ids) if seal_ids else []
        vault_id = vault.get_meta("vault_id") or ""
    if problems:
        raise TransferError(
            "This client's signed records do not match their seals "
            f"({problems[0]}); run `vault check` first. Nothing was exported."
        )
    fhir = build_client_bundle(repos, client_id, anchor=anchor, now=stamp)
    counts = {t: len(rows[t]) for t in TABLES}
    practitioner = vault.practitioner if isinstance(vault.practitioner, dict) else {}
    payload = {
        "format": PAYLOAD_FORMAT,
        "version": FORMAT_VERSION,
        "schema": SCHEMA_VERSION,
        "app": __version__,
        "created_utc": stamp.isoformat(),
        "source": {
            "vault_id": vault_id,
            "client_id": client_id,
            "practitioner": str(practitioner.get("name", "")),
            "clinic": str(practitioner.get("clinic", "")),
            "anchor": anchor,
        },
        "counts": counts,
        "records": rows,
        "fhir": json.loads(fhir.json()),
    }
    return payload, counts, dict(fhir.counts)


def _anchor(vault: Any) -> str:
    with contextlib.suppress(Exception):
        anchor = vault.record_anchor("transfer export")
        if anchor is not None:
            return str(anchor)
    return ""


def export_client_bundle(
    repos: Repos,
    client_id: int,
    out: str | os.PathLike[str],
    passphrase: str | None = None,
    *,
    progress: ProgressFn | None = None,
    now: datetime | None = None,
) -> TransferResult:
    """Write the client's encrypted bundle to ``out`` and audit the export in the vault."""
    report = progress or (lambda _f, _m: None)
    generated = passphrase is None
    secret = one_time_passphrase() if passphrase is None else passphrase
    check_passphrase(secret)
    target = Path(out)
    if target.exists():
        raise TransferError(f"There is already a file at {target}; choose a new name.")
    report(0.05, "Reading the client's record")
    anchor = _anchor(repos.vault)
    payload, counts, fhir_counts = build_payload(repos, client_id, anchor=anchor, now=now)
    report(0.5, "Encrypting")
    data = encrypt(pack(payload), secret)
    digest = hashlib.sha256(data).hexdigest()
    report(0.85, "Writing the file")
    path = write_bytes_atomic(target, data, suffix=".kapx")
    detail = (
        f"transfer bundle: {_summary(counts)}; FHIR: {_summary(fhir_counts)}; "
        f"sha256 {digest}; passphrase {'generated' if generated else 'given'}"
    )
    if anchor:
        detail += f"; anchor {anchor}"
    try:
        repos.vault.audit(
            "export.transfer",
            record_type="client",
            record_id=client_id,
            client_id=client_id,
            detail=detail,
        )
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    report(1.0, "Done")
    return TransferResult(
        path=path,
        passphrase=secret,
        generated=generated,
        counts=counts,
        fhir_counts=fhir_counts,
        sha256=digest,
        size=len(data),
        words=len(secret.split("-")) if generated else 0,
    )


# --------------------------------------------------------------------------- reading
def _shape_problem(payload: dict[str, Any]) -> str:
    if payload.get("format") != PAYLOAD_FORMAT:
        return "it is not a client transfer"
    records = payload.get("records")
    if not isinstance(records, dict) or set(records) - set(TABLES):
        return "its records are not in the expected tables"
    for table, rows in records.items():
        if not isinstance(rows, list) or not all(
            isinstance(r, dict) and isinstance(r.get("id"), int) for r in rows
        ):
            return f"its {table} are not rows"
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            return f"its {table} repeat an id"
    if len(records.get("clients", [])) != 1:
        return "it does not hold exactly one client"
    counts = payload.get("counts")
    if isinstance(counts, dict) and any(
        int(counts.get(t, 0)) != len(records.get(t, [])) for t in TABLES
    ):
        return "its record counts do not match its contents"
    return ""


def read_bundle(path: str | os.PathLike[str], passphrase: str) -> Contents:
    """Decrypt and check a bundle; nothing is written anywhere."""
    source = Path(path)
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise TransferError(f"No bundle file at {source}.") from None
    except OSError as exc:
        raise TransferError(f"Could not read {source.name}: {exc.strerror or exc}.") from exc
    payload = unpack(decrypt(data, passphrase))
    if (
        int(payload.get("version", 0) or 0) > FORMAT_VERSION
        or int(payload.get("schema", 0) or 0) > SCHEMA_VERSION
    ):
        raise TransferError(
            "This bundle was written by a newer KAP Companion; update the app to import it. "
            "Nothing was imported.",
            "refused",
        )
    problem = _shape_problem(payload)
    if problem:
        raise TransferError(
            f"The bundle failed its integrity check: {problem}. Nothing was imported.",
            "integrity",
        )
    fhir = payload.get("fhir")
    if fhir is not None:
        try:
            validate_bundle_json(json.dumps(fhir))
        except ExportError as exc:
            raise TransferError(f"{exc} Nothing was imported.", "integrity") from exc
    records = {t: list(payload["records"].get(t, [])) for t in TABLES}
    return Contents(payload=payload, sha256=hashlib.sha256(data).hexdigest(), records=records)


__all__ = [
    "Contents",
    "TransferError",
    "TransferResult",
    "decrypt",
    "encrypt",
    "export_client_bundle",
    "read_bundle",
]
