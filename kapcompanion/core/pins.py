"""Signing PINs: the rule for a PIN, its salted scrypt hash and the check against it.

Signing asks a person to prove they are at the keyboard. By default the vault's practitioner
uses the vault passphrase; anyone who signs many records a day, and every other practice
member who witnesses or decides in person, sets a shorter PIN of their own. Only a salted
scrypt hash is kept (inside the encrypted vault, so an attacker would first need the
passphrase), never the PIN. Where the hashes live and who may set them:
``services/members.py``. Pure: no storage, no Qt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

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
