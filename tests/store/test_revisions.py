"""Revisions of documents and kept conflicts (schema v5, issue 20 item 2) on real vault files.

Two editors load the same intake; one saves, the other's autosave (based on the older revision)
is refused: the stored note stays, the refused text is kept as a conflict with both revisions,
the audit trail says so, and ``vault check`` finds everything in order after a reopen."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlcipher3
from old_schema import downgrade
from support import PASSPHRASE

from kapcompanion.core.models import Client, StoredDocument
from kapcompanion.demo import PRACTITIONER, fill_demo
from kapcompanion.store import schema
from kapcompanion.store.documents import StaleRevision
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


def _client(repos: Repos) -> int:
    client = repos.clients.add(Client(name="Ada Example", dob=date(1980, 1, 2)))
    assert client.id is not None
    return client.id


def test_every_save_raises_the_revision(repos: Repos) -> None:
    cid = _client(repos)
    doc = repos.documents.save(StoredDocument(kind="intake", client_id=cid, data={"notes": ""}))
    assert doc.revision == 1 and repos.documents.get(doc.id or 0).revision == 1
    doc = repos.documents.save(replace(doc, data={"notes": "a"}), expected_revision=1)
    doc = repos.documents.save(replace(doc, data={"notes": "ab"}), expected_revision=2)
    assert doc.revision == 3 == repos.documents.get(doc.id or 0).revision
    # a caller that does not say what it loaded is not checked (and still counts)
    doc = repos.documents.save(replace(doc, data={"notes": "abc"}))
    assert doc.revision == 4


def test_a_stale_autosave_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "clinic.kapv"
    vault = Vault.create(path, PASSPHRASE, PRACTITIONER)
    repos = Repos(vault)
    cid = _client(repos)
    first = repos.documents.save(StoredDocument(kind="intake", client_id=cid, data={"notes": ""}))
    # two editors load revision 1
    mine = repos.documents.get(first.id or 0)
    theirs = repos.documents.get(first.id or 0)
    saved = repos.documents.save(
        replace(theirs, data={"notes": "client prefers morning sessions"}),
        expected_revision=theirs.revision,
    )
    assert saved.revision == 2
    with pytest.raises(StaleRevision) as refused:
        repos.documents.save(
            replace(mine, data={"notes": "stale text from the other window"}),
            expected_revision=mine.revision,
        )
    exc = refused.value
    assert exc.current is not None and exc.current.revision == 2
    assert exc.current.data == {"notes": "client prefers morning sessions"}
    assert exc.conflict is not None and exc.expected == 1
    assert "Changed elsewhere at" in exc.message
    vault.close()

    vault = Vault.open(path, PASSPHRASE)  # all of it was committed to the file
    try:
        repos = Repos(vault)
        stored = repos.documents.get(first.id or 0)
        assert stored.data == {"notes": "client prefers morning sessions"} and stored.revision == 2
        [kept] = repos.documents.conflicts(document_id=first.id)
        assert kept.mine == {"notes": "stale text from the other window"}
        assert kept.theirs == {"notes": "client prefers morning sessions"}
        assert (kept.mine_revision, kept.theirs_revision) == (1, 2)
        assert kept.resolved_utc is None and kept.who == PRACTITIONER["name"]
        [row] = vault.audit_entries(action="document.conflict")
        detail = json.loads(row.detail)
        assert detail == {
            "conflict": kept.id,
            "document": first.id,
            "mine_based_on_revision": 1,
            "stored_revision": 2,
        }
        assert row.client_id == cid and row.content.startswith(f"conflicts:{kept.id}:")
        report = vault.check()
        assert report.ok, report.lines()
    finally:
        vault.close()


def test_a_tampered_conflict_is_found_by_check(tmp_path: Path) -> None:
    path = tmp_path / "clinic.kapv"
    vault = Vault.create(path, PASSPHRASE, PRACTITIONER)
    repos = Repos(vault)
    cid = _client(repos)
    doc = repos.documents.save(StoredDocument(kind="intake", client_id=cid, data={"notes": "x"}))
    repos.documents.save(replace(doc, data={"notes": "y"}), expected_revision=1)
    with pytest.raises(StaleRevision):
        repos.documents.save(replace(doc, data={"notes": "z"}), expected_revision=1)
    vault.close()
    raw = sqlcipher3.connect(str(path))
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    raw.execute("UPDATE conflicts SET data = '{}'")
    raw.commit()
    raw.close()
    vault = Vault.open(path, PASSPHRASE)
    try:
        lines = vault.check().lines()
        assert any("kept conflicting version 1 differs" in line for line in lines), lines
    finally:
        vault.close()


def test_a_v4_vault_migrates_to_revisions(tmp_path: Path) -> None:
    path = tmp_path / "old.kapv"
    old = Vault.create(path, PASSPHRASE, PRACTITIONER)  # as the v4 app wrote it, signed too
    fill_demo(Repos(old), clients=1, seed=5, sessions_per_client=2, events_per_session=3)
    old_repos = Repos(old)
    cid = old_repos.clients.search("")[0].id
    signed = old_repos.documents.save(
        StoredDocument(kind="intake", client_id=cid, data={"notes": "signed before v5"})
    )
    old_repos.documents.sign(signed.id or 0, "Dr Demo")
    old.close()
    downgrade(path, 4)
    raw = sqlcipher3.connect(str(path))
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 4
    columns = {r[1] for r in raw.execute("PRAGMA table_info(documents)")}
    assert "revision" not in columns
    documents = raw.execute("SELECT count(*) FROM documents").fetchone()[0]
    audit_rows = raw.execute("SELECT count(*) FROM audit").fetchone()[0]
    raw.close()

    vault = Vault.open(path, PASSPHRASE, backup_dir=tmp_path / "backups")
    try:
        assert vault.read("PRAGMA user_version")[0][0] == 5 == schema.SCHEMA_VERSION
        assert vault.read("SELECT count(*), min(revision), max(revision) FROM documents") == [
            (documents, 1, 1)
        ]
        migrated = vault.read("SELECT action FROM audit WHERE id > ? ORDER BY id", (audit_rows,))
        # no baseline rows: the revision is not part of a record's content hash or its seal
        assert migrated == [("vault.backup",), ("vault.migrate.v5",)]
        report = vault.check()
        assert report.ok, report.lines()
        repos = Repos(vault)
        draft = next(d for d in repos.documents.find("intake", client_id=cid) if not d.signed)
        saved = repos.documents.save(replace(draft, data={"notes": "after"}), expected_revision=1)
        assert saved.revision == 2
        assert vault.check().ok
    finally:
        vault.close()
    assert list((tmp_path / "backups").glob("old-before-v5-*.kapbak"))
