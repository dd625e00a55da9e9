"""The signing PIN hash (no Qt): salted scrypt, constant-time check, audited changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from support import PASSPHRASE

from kapcompanion.core import pins as sp
from kapcompanion.services import members as ms
from kapcompanion.store.vault import Vault


def test_hash_is_salted_and_verifies() -> None:
    one, two = sp.hash_pin("2468"), sp.hash_pin("2468")
    assert one["scheme"] == "scrypt" and one["salt"] != two["salt"]
    assert one["hash"] != two["hash"]  # the salt changes the hash
    assert "2468" not in json.dumps(one)
    assert sp.verify_pin("2468", one) and sp.verify_pin("2468", two)
    assert not sp.verify_pin("2469", one)
    assert not sp.verify_pin("", one)


def test_known_vector_matches_hashlib_scrypt() -> None:
    import hashlib

    salt = bytes(range(16))
    record = sp.hash_pin("open sesame", salt=salt)
    expected = hashlib.scrypt(b"open sesame", salt=salt, n=2**14, r=8, p=1, dklen=32)
    assert record["hash"] == expected.hex()


@pytest.mark.parametrize(
    "record",
    [
        None,
        "2468",
        {},
        {"scheme": "md5", "hash": "00"},
        {"scheme": "scrypt", "n": 16384, "r": 8, "p": 1, "salt": "zz", "hash": "00"},
        {"scheme": "scrypt", "n": 2**30, "r": 8, "p": 1, "salt": "00", "hash": "00"},
        {"scheme": "scrypt", "n": 16384, "r": 8, "p": 1, "salt": "00", "hash": ""},
    ],
)
def test_malformed_records_match_nothing(record: Any) -> None:
    assert not sp.verify_pin("2468", record)


@pytest.mark.parametrize(
    ("pin", "problem"),
    [("123", "at least 4"), ("1111", "repeated"), (" 2468", "space"), ("x" * 65, "at most")],
)
def test_pin_rules(pin: str, problem: str) -> None:
    assert problem in (sp.pin_problem(pin) or "")
    with pytest.raises(ValueError):
        sp.hash_pin(pin)


def test_set_change_clear_on_a_vault(open_vault: Callable[..., Vault]) -> None:
    vault = open_vault()
    assert not ms.has_signing_pin(vault)
    assert ms.check_signing_credential(vault, PASSPHRASE)
    ms.set_signing_pin(vault, "2468")
    assert ms.has_signing_pin(vault)
    assert ms.check_signing_credential(vault, "2468")
    assert not ms.check_signing_credential(vault, PASSPHRASE)
    ms.set_signing_pin(vault, "1357")
    assert ms.check_signing_credential(vault, "1357")
    assert not ms.check_signing_credential(vault, "2468")
    raw = vault.get_meta(ms.SIGNING_PIN_KEY) or ""
    assert "1357" not in raw and "scrypt" in raw
    ms.clear_signing_pin(vault)
    assert not ms.has_signing_pin(vault) and ms.check_signing_credential(vault, PASSPHRASE)
    actions = [a for (a,) in vault.read("SELECT action FROM audit ORDER BY id")]
    assert actions[-3:] == ["signing_pin.set", "signing_pin.change", "signing_pin.remove"]
    vault.close()
