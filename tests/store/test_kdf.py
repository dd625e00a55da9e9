"""The suite's cheap key derivation never reaches the product.

The suite lowers SQLCipher's PBKDF2 iteration count for speed (tests/conftest.py and
tests/kdf_boot). These tests make sure that is a property of the test processes only: a vault
made by the real entry point, in a process that was not given the hook, needs SQLCipher 4's
full 256,000 iterations and opens with nothing less; and the count the vault records about
itself says the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlcipher3
from support import PASSPHRASE, ROOT, TEST_KDF_ITER

from kapcompanion.store.dbapi import quote_key

PRODUCTION_ITER = 256000


def _opens_with(path: Path, iterations: int) -> bool:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(f"PRAGMA key = {quote_key(PASSPHRASE)}")
        conn.execute(f"PRAGMA kdf_iter = {iterations}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.close()


def test_a_vault_from_the_real_entry_point_needs_the_full_count(tmp_path: Path) -> None:
    vault = tmp_path / "real.kapv"
    env = {k: v for k, v in os.environ.items() if k != "KAPC_TEST_KDF_ITER"}
    env.update(PYTHONPATH=str(ROOT), KAPCOMPANION_PASSPHRASE=PASSPHRASE)
    done = subprocess.run(
        [sys.executable, "-m", "kapcompanion", "vault", "init", str(vault), "--name", "Dr K"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _opens_with(vault, PRODUCTION_ITER)
    assert not _opens_with(vault, TEST_KDF_ITER)
    conn = sqlcipher3.connect(str(vault))
    conn.execute(f"PRAGMA key = {quote_key(PASSPHRASE)}")
    conn.execute(f"PRAGMA kdf_iter = {PRODUCTION_ITER}")
    recorded = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'kdf'").fetchone()[0])
    conn.close()
    assert recorded["kdf_iter"] == PRODUCTION_ITER


@pytest.mark.skipif(bool(os.environ.get("KAPC_TEST_FULL_KDF")), reason="full KDF asked for")
def test_the_suite_itself_runs_with_the_cheap_count(tmp_path: Path) -> None:
    from kapcompanion.store.vault import Vault

    Vault.create(tmp_path / "cheap.kapv", PASSPHRASE).close()
    assert _opens_with(tmp_path / "cheap.kapv", TEST_KDF_ITER)
    assert not _opens_with(tmp_path / "cheap.kapv", PRODUCTION_ITER)
