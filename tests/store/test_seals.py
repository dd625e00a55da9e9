"""Issue 13: records that cannot be changed unnoticed.

Real vault files are edited through sqlcipher3 with the key, as an attacker with the passphrase
and the public code would; ``kapcompanion vault check`` must exit 3 with a line naming what
changed. Anchors taken before an edit catch a shortened or consistently rewritten trail.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from old_schema import downgrade
from support import PASSPHRASE

from kapcompanion.cli import main
from kapcompanion.demo import PRACTITIONER, fill_demo
from kapcompanion.store import audit, schema
from kapcompanion.store.errors import RecordLocked
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

_built: dict[str, Path] = {}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seals") / "clinic.kapv"
    vault = Vault.create(path, PASSPHRASE, PRACTITIONER)
    try:
        fill_demo(Repos(vault), clients=2, seed=7, sessions_per_client=2, events_per_session=4)
    finally:
        vault.close()
    Path(f"{path}.anchors").unlink()
    return path


@pytest.fixture()
def vault_file(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    target = tmp_path / "clinic.kapv"
    shutil.copyfile(template, target)
    return target


def check(path: Path, capsys: pytest.CaptureFixture[str], *anchors: str) -> tuple[int, str]:
    argv = ["vault", "check", str(path)]
    for a in anchors:
        argv += ["--anchor", a]
    code = main(argv)
    return code, capsys.readouterr().out


def anchor_of(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["vault", "anchor", str(path)]) == 0
    return capsys.readouterr().out.strip()


@pytest.fixture()
def attacker(vault_file: Path) -> Iterator[Any]:
    """A raw connection to the vault file with the key: no app code in between."""
    conn = sqlcipher3.connect(str(vault_file), isolation_level=None)
    conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
    yield conn
    conn.close()


def one(conn: Any, sql: str, *args: Any) -> Any:
    return conn.execute(sql, args).fetchone()


def signed_session(conn: Any) -> int:
    return int(one(conn, "SELECT id FROM sessions WHERE signed_utc IS NOT NULL ORDER BY id")[0])


def test_a_vault_with_no_edits_passes(vault_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(vault_file, capsys)
    assert code == 0, out
    assert "records: every record matches the audit trail" in out
    assert "seals, all intact" in out


def test_editing_an_event_is_found(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    eid, payload = one(attacker, "SELECT id, payload FROM events ORDER BY id DESC LIMIT 1")
    data = json.loads(payload)
    data["text"] = "nothing of note"
    attacker.execute("UPDATE events SET payload = ? WHERE id = ?", (json.dumps(data), eid))
    code, out = check(vault_file, capsys)
    assert code == 3
    assert f"event {eid} differs from what was recorded at 20" in out


def test_editing_a_vital_is_found(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    vid, data = one(attacker, "SELECT id, data FROM vitals ORDER BY id LIMIT 1")
    reading = json.loads(data)
    reading["systolic"] = 118
    attacker.execute("UPDATE vitals SET data = ? WHERE id = ?", (json.dumps(reading), vid))
    code, out = check(vault_file, capsys)
    assert code == 3
    assert f"vital reading {vid} differs from what was recorded at" in out


def test_editing_a_checklist_item_is_found(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    did, data = one(attacker, "SELECT id, data FROM documents WHERE kind = 'checklist' LIMIT 1")
    checklist = json.loads(data)
    key = next(iter(checklist["items"]))
    checklist["items"][key]["done"] = not checklist["items"][key].get("done")
    attacker.execute("UPDATE documents SET data = ? WHERE id = ?", (json.dumps(checklist), did))
    code, out = check(vault_file, capsys)
    assert code == 3
    assert f"document {did} differs from what was recorded at" in out


def test_editing_a_signed_note_is_found_by_its_record_and_its_seal(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = signed_session(attacker)
    did, data = one(
        attacker, "SELECT id, data FROM documents WHERE session_id = ? AND status = 'signed'", sid
    )
    entry = json.loads(data)
    entry["intention"] = "Client reported no distress at any point."
    attacker.execute("UPDATE documents SET data = ? WHERE id = ?", (json.dumps(entry), did))
    code, out = check(vault_file, capsys)
    assert code == 3
    assert f"document {did} differs from what was recorded at" in out
    assert f"session {sid} (signed" in out and f"document {did} was changed after signing" in out


def test_editing_a_sessions_dose_is_found(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = signed_session(attacker)
    data = json.loads(one(attacker, "SELECT data FROM sessions WHERE id = ?", sid)[0])
    data["plan"]["mg_per_kg"] = 0.5
    attacker.execute("UPDATE sessions SET data = ? WHERE id = ?", (json.dumps(data), sid))
    code, out = check(vault_file, capsys)
    assert code == 3
    assert f"session {sid} differs from what was recorded at" in out
    assert "its row was changed after signing" in out


def test_deleting_an_event_is_found(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    eid = one(attacker, "SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 3")[0]
    attacker.execute("DELETE FROM events WHERE corrects_id = ?", (eid,))
    attacker.execute("DELETE FROM events WHERE id = ?", (eid,))
    code, out = check(vault_file, capsys)
    assert code == 3
    assert f"event {eid} is missing (recorded at" in out


def test_deleting_the_newest_audit_rows_is_found_by_an_earlier_anchor(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = anchor_of(vault_file, capsys)
    Path(f"{vault_file}.anchors").unlink()  # the attacker removes the log too
    n = int(anchor.split(":")[0])
    attacker.execute("DELETE FROM audit WHERE id > ?", (n - 20,))
    code, out = check(vault_file, capsys, anchor)
    assert code == 3
    assert f"anchor {anchor} fails: the trail now ends at entry {n - 20}" in out


def test_the_anchor_log_beside_the_vault_is_read(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = anchor_of(vault_file, capsys)
    n = int(anchor.split(":")[0])
    attacker.execute("DELETE FROM audit WHERE id > ?", (n - 5,))
    code, out = check(vault_file, capsys)
    assert code == 3
    assert f"anchor {anchor} (noted 20" in out and "anchor printed) fails" in out


def _rewrite_chain(conn: Any) -> None:
    """What an insider with the passphrase and the public code can do: recompute every row."""
    prev = audit.GENESIS
    rows = conn.execute(
        "SELECT id, utc, who, action, record_type, record_id, client_id, detail, content"
        " FROM audit ORDER BY id"
    ).fetchall()
    for r in rows:
        content = r[8]
        if content:  # bring every content hash in line with the edited records
            content = audit.content_of(conn, [(t, i) for t, i, _ in audit.parse_content(content)])
            # a record deleted later must keep its history: only the latest word matters here
        digest = audit.row_hash(prev, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[0], content)
        conn.execute(
            "UPDATE audit SET prev_hash = ?, hash = ?, content = ? WHERE id = ?",
            (prev, digest, content, r[0]),
        )
        prev = digest


def test_rewriting_the_whole_chain_is_found_by_an_earlier_anchor(
    vault_file: Path, attacker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = anchor_of(vault_file, capsys)
    Path(f"{vault_file}.anchors").unlink()
    eid = one(attacker, "SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 2")[0]
    attacker.execute("DELETE FROM events WHERE corrects_id = ?", (eid,))
    attacker.execute("DELETE FROM events WHERE id = ?", (eid,))
    attacker.execute("DELETE FROM seals")  # the seals would name the event: drop them too
    _rewrite_chain(attacker)
    # without an anchor, a consistent rewrite looks whole: that is what anchors are for
    code, out = check(vault_file, capsys)
    assert "audit trail:" in out and "chain intact" in out
    code, out = check(vault_file, capsys, anchor)
    assert code == 3
    n = int(anchor.split(":")[0])
    assert f"anchor {anchor} fails: entry {n} is no longer the one anchored" in out


def test_drafts_of_a_signed_session_cannot_change(vault_file: Path) -> None:
    vault = Vault.open(vault_file, PASSPHRASE)
    try:
        repos = Repos(vault)
        sid = int(vault.read("SELECT id FROM sessions WHERE signed_utc IS NOT NULL")[0][0])
        debrief = next(
            d
            for d in repos.documents.find("integration", session_id=sid)
            if d.data.get("kind") == "same_day_debrief"
        )
        assert not debrief.signed  # a draft, but the session's signature covers it
        debrief.data["free_text"] = "EDITED AFTER SIGNING."
        with pytest.raises(RecordLocked):
            repos.documents.save(debrief)
        assert vault.check().ok
    finally:
        vault.close()


def test_an_addendum_seals_itself_and_names_the_seal_it_extends(vault_file: Path) -> None:
    vault = Vault.open(vault_file, PASSPHRASE)
    try:
        repos = Repos(vault)
        sid = int(vault.read("SELECT id FROM sessions WHERE signed_utc IS NOT NULL")[0][0])
        before = vault.read(
            "SELECT id, hash FROM seals WHERE record_type = 'session' AND record_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (sid,),
        )[0]
        added = repos.addenda.add("session", sid, "Called the next day: sleeping well.")
        row = vault.read(
            "SELECT extends_id, snapshot FROM seals WHERE addendum_id = ?", (added.id,)
        )[0]
        assert row[0] == before[0]
        assert json.loads(row[1])["extends"] == {"seal": before[0], "hash": before[1]}
        assert vault.check().ok
    finally:
        vault.close()


def test_a_v2_vault_migrates_and_gets_its_content_hashes_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.kapv"
    with monkeypatch.context() as m:  # write a vault as version 2 of the app did
        m.setattr(audit, "content_of", lambda *_args: "")
        m.setattr("kapcompanion.store.seals.freeze_session", lambda *_a: [])
        m.setattr("kapcompanion.store.seals.seal_document", lambda *_a: 0)
        m.setattr("kapcompanion.store.seals.seal_addendum", lambda *_a: 0)
        old = Vault.create(path, PASSPHRASE, PRACTITIONER)
        # that app had no ledger: its doses drew from nothing
        m.setattr("kapcompanion.services.session.uses_ledger", lambda _repos: False)
        fill_demo(
            Repos(old), clients=1, seed=3, sessions_per_client=2, events_per_session=3, ledger=False
        )
        old.close()
    downgrade(path, 2)  # today's repositories write today's schema; undo v3 and later
    raw = sqlcipher3.connect(str(path))
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
    records = sum(
        raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in audit.TRACKED[: audit.TRACKED.index("seals")]
    )
    raw.close()
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    vault = Vault.open(path, PASSPHRASE, backup_dir=tmp_path / "backups")
    try:
        assert vault.read("PRAGMA user_version")[0][0] == schema.SCHEMA_VERSION
        seals = int(vault.read("SELECT count(*) FROM seals")[0][0])
        assert seals >= 1  # the signed session (and documents) are sealed as they stand
        baseline = vault.read(
            "SELECT count(*), min(detail) FROM audit WHERE action = 'content.baseline'"
        )[0]
        assert baseline == (records + seals, schema.BASELINE_DETAIL)
        assert vault.read("SELECT count(*) FROM audit WHERE action = 'vault.migrate.v3'")[0][0] == 1
        assert vault.check().ok
    finally:
        vault.close()
    assert list((tmp_path / "backups").glob(f"old-before-v{schema.SCHEMA_VERSION}-*.kapbak"))
    code, out = check(path, capsys)
    assert code == 0, out
    raw = sqlcipher3.connect(str(path))
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    eid = raw.execute("SELECT id FROM events ORDER BY id LIMIT 1").fetchone()[0]
    raw.execute('UPDATE events SET payload = \'{"text": "x"}\' WHERE id = ?', (eid,))
    raw.commit()
    raw.close()
    code, out = check(path, capsys)
    assert code == 3 and f"event {eid} differs" in out
