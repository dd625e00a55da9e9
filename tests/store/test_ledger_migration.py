"""Schema v4 (the controlled-substance ledger) on real files: a v3 vault migrates, is backed up
first, gains the append-only ledger tables, passes ``vault check`` and takes ledger entries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlcipher3
from old_schema import downgrade
from support import PASSPHRASE

from kapcompanion.core import ledger as lg
from kapcompanion.demo import PRACTITIONER, fill_demo
from kapcompanion.services import ledger as svc
from kapcompanion.store import schema
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


def test_a_v3_vault_migrates_to_the_ledger_schema(tmp_path: Path) -> None:
    path = tmp_path / "old.kapv"
    old = Vault.create(path, PASSPHRASE, PRACTITIONER)  # a vault as the v3 app wrote it
    # that app had no ledger: its doses drew from nothing
    fill_demo(
        Repos(old), clients=1, seed=3, sessions_per_client=2, events_per_session=3, ledger=False
    )
    old.close()
    downgrade(path, 3)
    raw = sqlcipher3.connect(str(path))
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 3
    assert not raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'ledger_entries'").fetchone()
    audit_rows = raw.execute("SELECT count(*) FROM audit").fetchone()[0]
    raw.close()

    vault = Vault.open(path, PASSPHRASE, backup_dir=tmp_path / "backups")
    try:
        assert vault.read("PRAGMA user_version")[0][0] == schema.SCHEMA_VERSION >= 4
        names = {r[0] for r in vault.read("SELECT name FROM sqlite_master")}
        assert set(schema.LEDGER_TABLES) <= names
        assert {f"{t}_no_{v}" for t in schema.LEDGER_TABLES for v in ("update", "delete")} <= names
        migrated = vault.read("SELECT action FROM audit WHERE id > ? ORDER BY id", (audit_rows,))
        # the backup first, then the steps; no baseline rows: the new tables are empty
        steps = [(f"vault.migrate.v{n}",) for n in range(4, schema.SCHEMA_VERSION + 1)]
        assert migrated == [("vault.backup",), *steps]
        assert vault.check().ok, vault.check().lines()
        repos = Repos(vault)
        product = svc.add_product(
            repos, lg.Product("Ketamine", "ketamine", lg.Form.VIAL, Decimal(100), Decimal(5))
        )
        assert product.id is not None
        now = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
        got = svc.receive(
            repos,
            lg.Receipt(
                "Cardinal Health",
                "7000 Cardinal Pl, Dublin, OH",
                "AB1234563",
                "PO-1",
                date(2025, 3, 4),
                product.id,
                1,
                "L9",
                date(2031, 1, 1),
                "Dr Test",
            ),
            now=now,
        )
        cid = got.containers[0].id
        assert cid is not None
        svc.administer(repos, cid, "50", by="Dr Test", patient="A Client", now=now)
        assert svc.container_state(repos, cid, now).balance_ml == Decimal("4.50")
        assert vault.check().ok
    finally:
        vault.close()
    assert list((tmp_path / "backups").glob(f"old-before-v{schema.SCHEMA_VERSION}-*.kapbak"))
