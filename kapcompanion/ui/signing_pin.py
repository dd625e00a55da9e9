"""The optional signing PIN: a salted scrypt hash in the vault's ``signing_pin`` setting.

Signing asks the practitioner to prove they are at the keyboard. By default that is the
vault passphrase; a practitioner who signs many records a day may set a shorter PIN. Only
a salted scrypt hash is kept (inside the encrypted vault, so an attacker would first need
the passphrase), never the PIN. Setting, changing and removing the PIN is audited; the PIN
itself never is. No Qt here, so it is tested without a display.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from kapcompanion.store.vault import Vault

KEY = "signing_pin"
MIN_LENGTH = 4
MAX_LENGTH = 64
SCHEME = "scrypt"
#: scrypt cost: about 30 ms here; the hash sits inside the encrypted vault
N, R, P, DKLEN = 2**14, 8, 1, 32


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be a signing PIN, in one sentence, or None."""
    if len(pin) < MIN_LENGTH:
        return f"The PIN needs at least {MIN_LENGTH} characters."
    if len(pin) > MAX_LENGTH:
        return f"The PIN can have at most {MAX_LENGTH} characters."
    if pin != pin.strip():
        return "The PIN cannot start or end with a space."
    if len(set(pin)) == 1:
        return "The PIN cannot be one character repeated."
    return None


def _derive(pin: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=64 * 1024 * 1024
    )


def hash_pin(pin: str, salt: bytes | None = None) -> dict[str, Any]:
    """The record kept in the vault: scheme, cost, salt and hash (hex); never the PIN."""
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = _derive(pin, salt, N, R, P, DKLEN)
    return {
        "scheme": SCHEME,
        "n": N,
        "r": R,
        "p": P,
        "salt": salt.hex(),
        "hash": digest.hex(),
    }


def verify_pin(pin: str, record: Any) -> bool:
    """Whether ``pin`` matches ``record``; a malformed record matches nothing."""
    if not isinstance(record, dict) or record.get("scheme") != SCHEME:
        return False
    try:
        n, r, p = int(record["n"]), int(record["r"]), int(record["p"])
        salt = bytes.fromhex(str(record["salt"]))
        expected = bytes.fromhex(str(record["hash"]))
        if not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16 and expected):
            return False
        actual = _derive(pin, salt, n, r, p, len(expected))
    except (KeyError, TypeError, ValueError):
        return False
    return hmac.compare_digest(actual, expected)


def stored_pin(vault: Vault) -> dict[str, Any] | None:
    record = vault.get_json(KEY)
    return record if isinstance(record, dict) and record.get("hash") else None


def has_pin(vault: Vault) -> bool:
    return stored_pin(vault) is not None


def set_pin(vault: Vault, pin: str) -> None:
    """Store the hash of a new PIN (audited as set or change in the same transaction)."""
    record = hash_pin(pin)
    action = "signing_pin.change" if has_pin(vault) else "signing_pin.set"
    with vault.transaction() as tx:
        vault.set_json(KEY, record, tx)
        vault.audit(action, record_type="practitioner", conn=tx)


def clear_pin(vault: Vault) -> None:
    """Go back to signing with the vault passphrase (audited)."""
    with vault.transaction() as tx:
        vault.set_json(KEY, None, tx)
        vault.audit("signing_pin.remove", record_type="practitioner", conn=tx)


def check_credential(vault: Vault, candidate: str) -> bool:
    """The signing check: the PIN when one is set, otherwise the vault passphrase."""
    record = stored_pin(vault)
    if record is not None:
        return verify_pin(candidate, record)
    return vault.verify_passphrase(candidate)
