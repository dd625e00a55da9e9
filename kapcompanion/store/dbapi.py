"""The one place that imports sqlcipher3 (typed loosely: it ships no stubs)."""

from __future__ import annotations

from typing import Any

import sqlcipher3

Connection = Any
DatabaseError: type[Exception] = sqlcipher3.DatabaseError
OperationalError: type[Exception] = sqlcipher3.OperationalError
IntegrityError: type[Exception] = sqlcipher3.IntegrityError


def connect(path: str) -> Connection:
    """A connection with autocommit semantics: transactions are opened explicitly."""
    conn = sqlcipher3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    # SQLCipher logs decryption failures to stderr; the vault reports them as typed errors.
    conn.execute("PRAGMA cipher_log_level = NONE")
    return conn


def quote_key(passphrase: str) -> str:
    """The passphrase as an SQL string literal for ``PRAGMA key`` (PRAGMA cannot bind)."""
    if "\x00" in passphrase:
        raise ValueError("A passphrase cannot contain a NUL character.")
    return "'" + passphrase.replace("'", "''") + "'"


def cipher_version() -> str:
    """The SQLCipher library's version, or "" when the build has no cipher (a broken install)."""
    conn = sqlcipher3.connect(":memory:")
    try:
        row = conn.execute("PRAGMA cipher_version").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row and row[0] else ""
