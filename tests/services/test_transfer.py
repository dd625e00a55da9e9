"""Issue 17, transfer of care: a client's record moves between two real vault files.

The source vault is filled through the real repositories (the demo plus a safety flag, an
attachment with binary content and a signed screening with an addendum); the target vault
already holds other clients, so every id changes on the way. What arrives is compared field by
field with what left, after renumbering; ``vault check`` must pass in both vaults, and a
tampered record or a tampered carried seal must still be caught in the target.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from pypdf import PdfReader
from support import PASSPHRASE

from kapcompanion.cli import main
from kapcompanion.core.models import FlagKind, StoredDocument
from kapcompanion.core.passwords import WORDS, entropy_bits, one_time_passphrase
from kapcompanion.demo import PRACTITIONER, fill_demo
from kapcompanion.export import transfer as transfer_format
from kapcompanion.export.api import export_session_pdf
from kapcompanion.services import transfer
from kapcompanion.store import idmap, seals
from kapcompanion.store.audit import canonical
from kapcompanion.store.client_rows import TABLES, client_rows
from kapcompanion.store.errors import RecordLocked
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

BUNDLE_PASSPHRASE = "lantern-quill-harbor-maple-otter-prism"
IMAGE = b"\x89PNG\r\n\x1a\n\x00\x00binary\x00content\xff" * 40


@pytest.fixture(autouse=True)
def _cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at 2^14 keeps the suite quick; one test below runs the real cost (2^17)."""
    monkeypatch.setattr(transfer_format, "SCRYPT_LOG2_N", 14)


def _build_source(path: Path) -> int:
    vault = Vault.create(path, PASSPHRASE, PRACTITIONER)
    try:
        repos = Repos(vault)
        fill_demo(repos, clients=2, seed=11, sessions_per_client=3, events_per_session=5)
        cid = max(c.id or 0 for c in repos.clients.search(include_archived=True))
        repos.flags.raise_flag(cid, FlagKind.SUICIDE_RISK, "PHQ-9 item 9", "Answered 1 on item 9")
        photo = repos.documents.save(
            StoredDocument(kind="photo", client_id=cid, data={"caption": "Drawing after session"})
        )
        repos.documents.attach(photo.id or 0, "lake.png", "image/png", IMAGE, b"thumb\x00")
        screening = repos.documents.find("screening", client_id=cid)[0]
        if not screening.signed:
            repos.documents.sign(screening.id or 0, PRACTITIONER["name"])
        repos.addenda.add("screening", screening.id or 0, "Reviewed again by phone.", cid)
    finally:
        vault.close()
    return cid


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    folder = tmp_path_factory.mktemp("transfer")
    source = folder / "source.kapv"
    cid = _build_source(source)
    target = folder / "target.kapv"
    vault = Vault.create(target, PASSPHRASE, {"name": "Dr. Receiving", "clinic": "Other"})
    try:
        fill_demo(Repos(vault), clients=2, seed=3, sessions_per_client=2, events_per_session=3)
    finally:
        vault.close()
    return source, target, cid


@pytest.fixture()
def pair(templates: tuple[Path, Path, int], tmp_path: Path) -> Iterator[tuple[Vault, Vault, int]]:
    source, target, cid = templates
    shutil.copyfile(source, tmp_path / "v.kapv")
    shutil.copyfile(target, tmp_path / "w.kapv")
    v = Vault.open(tmp_path / "v.kapv", PASSPHRASE)
    w = Vault.open(tmp_path / "w.kapv", PASSPHRASE)
    try:
        yield v, w, cid
    finally:
        v.close()
        w.close()


def rows_of(vault: Vault, client_id: int) -> dict[str, list[dict[str, Any]]]:
    with vault._lock:
        return client_rows(vault.conn, client_id)


def state(vault: Vault) -> tuple[int, dict[str, int]]:
    """What must not change when an import is refused: audit rows and every record count."""
    counts = {t: int(vault.read(f"SELECT count(*) FROM {t}")[0][0]) for t in TABLES}
    return int(vault.read("SELECT count(*) FROM audit")[0][0]), counts


def export(v: Vault, cid: int, out: Path) -> transfer_format.TransferResult:
    return transfer.export_client(v, cid, out, BUNDLE_PASSPHRASE)


# --------------------------------------------------------------------------- the round trip
def test_a_bundle_imports_as_a_new_client_with_identical_records_and_verified_seals(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    v, w, cid = pair
    before = rows_of(v, cid)
    assert all(before[t] for t in TABLES), {t: len(before[t]) for t in TABLES}
    result = export(v, cid, tmp_path / "client.kapx")
    assert result.counts == {t: len(before[t]) for t in TABLES}
    assert b"Drawing after session" not in (tmp_path / "client.kapx").read_bytes()

    imported = transfer.import_client(w, tmp_path / "client.kapx", BUNDLE_PASSPHRASE)
    assert imported.sha256 == result.sha256
    assert imported.client_id != cid
    after = rows_of(w, imported.client_id)
    find = idmap.lookup_in(imported.ids)
    moved = 0
    for table in TABLES:
        assert len(after[table]) == len(before[table]), table
        for old, new in zip(before[table], after[table], strict=True):
            moved += old["id"] != new["id"]
            if table == "seals":
                continue
            assert new == idmap.remap_row(table, old, find), (table, old["id"])
    assert moved > 0  # the target already had records: the ids really changed
    attachment = after["attachments"][0]
    assert attachment["content"] == IMAGE and attachment["thumbnail"] == b"thumb\x00"

    # inner links follow: the same-day debrief and the measures point at the new sessions
    new_sessions = {r["id"] for r in after["sessions"]}
    linked = [json.loads(d["data"]).get("session_id") for d in after["documents"]]
    assert any(s in new_sessions for s in linked if s is not None)
    assert not any(s is not None and s not in new_sessions for s in linked)

    # seals: each keeps the signer's original (hash unchanged) and verifies on the new rows
    for old, new in zip(before["seals"], after["seals"], strict=True):
        snap = json.loads(new["snapshot"])
        assert snap["kind"] == seals.TRANSFERRED
        assert snap["original"]["hash"] == old["hash"]
        assert snap["original"]["snapshot"] == old["snapshot"]
        assert snap["from"]["vault"] == v.get_meta("vault_id")
        expected = idmap.remap_row("seals", old, find)
        assert {k: new[k] for k in new if k not in ("hash", "snapshot")} == {
            k: expected[k] for k in expected if k not in ("hash", "snapshot")
        }
        assert seals.effective(snap) == idmap.remap_snapshot(json.loads(old["snapshot"]), find)

    report = w.check()
    assert report.ok, report.lines()
    assert not report.seal_problems and not report.content_problems
    assert v.check().ok

    # audited on both sides
    sent = v.audit_entries(action="export.transfer")[0]
    assert sent.client_id == cid and result.sha256 in sent.detail
    assert f"{len(before['seals'])} seals" in sent.detail and "FHIR:" in sent.detail
    got = w.audit_entries(action="client.import")[0]
    assert got.client_id == imported.client_id
    assert str(v.get_meta("vault_id")) in got.detail and result.sha256 in got.detail


def test_what_a_carried_seal_covers_stays_locked_and_prints_as_signed(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    v, w, cid = pair
    export(v, cid, tmp_path / "c.kapx")
    imported = transfer.import_client(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE)
    repos = Repos(w)
    signed = [s for s in repos.sessions.for_client(imported.client_id) if s.signed_utc]
    assert signed
    seal = seals.signature_seal(w.conn, "session", signed[0].id or 0)
    assert seal is not None and seal.snapshot["kind"] == "session"
    covered = [int(d["id"]) for d in seal.snapshot["documents"]]
    assert covered
    drafts = [d for d in map(repos.documents.get, covered) if not d.signed]
    assert drafts  # the same-day debrief: a draft, but frozen by the session's signature
    for doc in drafts:
        with pytest.raises(RecordLocked, match="part of a signed session record"):
            repos.documents.save(doc)
    view = seals.SealedRecords(repos, seal)
    assert [e.id for e in view.events.for_session(signed[0].id or 0)] == [
        e.id for e in repos.events.for_session(signed[0].id or 0)
    ]
    # the signed record's PDF in the new vault comes from the carried seal, as signed
    written = export_session_pdf(repos, signed[0].id or 0, tmp_path / "session.pdf")
    text = "".join(p.extract_text() for p in PdfReader(str(written.path)).pages)
    assert f"signed electronically by {PRACTITIONER['name']}" in text  # not the receiver
    assert "Dr. Receiving on" not in text


def test_a_record_changed_after_import_or_a_forged_original_is_caught_in_the_target(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    v, w, cid = pair
    export(v, cid, tmp_path / "c.kapx")
    imported = transfer.import_client(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE)
    path = w.path
    w.close()
    raw = sqlcipher3.connect(str(path), isolation_level=None)
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    try:
        sid = raw.execute(
            "SELECT record_id FROM seals WHERE client_id = ? AND record_type = 'session'"
            " AND addendum_id IS NULL ORDER BY id LIMIT 1",
            (imported.client_id,),
        ).fetchone()[0]
        event = raw.execute("SELECT id FROM events WHERE session_id = ? LIMIT 1", (sid,)).fetchone()
        raw.execute('UPDATE events SET payload = \'{"text":"rewritten"}\' WHERE id = ?', event)
    finally:
        raw.close()
    reopened = Vault.open(path, PASSPHRASE)
    try:
        lines = reopened.check().seal_problems
        assert any(f"event {event[0]} was changed after signing" in line for line in lines), lines
    finally:
        reopened.close()

    # a forged original: the wrapper re-hashed by someone who edited the carried copy
    raw = sqlcipher3.connect(str(path), isolation_level=None)
    raw.execute(f"PRAGMA key = '{PASSPHRASE}'")
    try:
        seal_id, text = raw.execute(
            "SELECT id, snapshot FROM seals WHERE client_id = ? ORDER BY id LIMIT 1",
            (imported.client_id,),
        ).fetchone()
        snap = json.loads(text)
        snap["original"]["snapshot"] = snap["original"]["snapshot"].replace("ended", "ENDED", 1)
        forged = canonical(snap)
        raw.execute(
            "UPDATE seals SET snapshot = ?, hash = ? WHERE id = ?",
            (forged, seals._sha256(forged), seal_id),
        )
    finally:
        raw.close()
    reopened = Vault.open(path, PASSPHRASE)
    try:
        lines = reopened.check().seal_problems
        assert any(
            f"seal {seal_id} " in line and "carried from another vault was altered" in line
            for line in lines
        ), lines
    finally:
        reopened.close()


def test_a_client_moved_twice_keeps_verifiable_seals(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    v, w, cid = pair
    export(v, cid, tmp_path / "1.kapx")
    first = transfer.import_client(w, tmp_path / "1.kapx", BUNDLE_PASSPHRASE)
    third = Vault.create(tmp_path / "x.kapv", PASSPHRASE, {"name": "Dr. Third"})
    try:
        export(w, first.client_id, tmp_path / "2.kapx")
        second = transfer.import_client(third, tmp_path / "2.kapx", BUNDLE_PASSPHRASE)
        report = third.check()
        assert report.ok, report.lines()
        assert report.seals == second.counts["seals"]
        row = third.read("SELECT snapshot FROM seals ORDER BY id LIMIT 1")[0][0]
        inner = json.loads(json.loads(row)["original"]["snapshot"])
        assert inner["kind"] == seals.TRANSFERRED  # the first vault's original, still inside
    finally:
        third.close()


# --------------------------------------------------------------------------- refusals
def test_a_wrong_passphrase_is_refused_and_the_target_is_unchanged(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    v, w, cid = pair
    export(v, cid, tmp_path / "c.kapx")
    before = state(w)
    with pytest.raises(transfer.TransferError, match="passphrase is not right") as caught:
        transfer.import_client(w, tmp_path / "c.kapx", "not-the-right-words-at-all")
    assert caught.value.kind == "passphrase"
    assert state(w) == before


@pytest.mark.parametrize(
    ("where", "expect", "kind"),
    [
        (-1, "failed its integrity check", "integrity"),  # the GCM tag
        (transfer_format.HEADER_SIZE + 40, "failed its integrity check", "integrity"),
        (30, "failed its integrity check", "integrity"),  # the nonce (authenticated data)
        (12, "passphrase is not right", "passphrase"),  # the salt: another key
        (0, "not a KAP Companion transfer bundle", "integrity"),
    ],
)
def test_a_flipped_byte_is_refused_and_the_target_is_unchanged(
    pair: tuple[Vault, Vault, int], tmp_path: Path, where: int, expect: str, kind: str
) -> None:
    v, w, cid = pair
    export(v, cid, tmp_path / "c.kapx")
    data = bytearray((tmp_path / "c.kapx").read_bytes())
    data[where] ^= 0x01
    (tmp_path / "bad.kapx").write_bytes(bytes(data))
    before = state(w)
    with pytest.raises(transfer.TransferError, match=expect) as caught:
        transfer.import_client(w, tmp_path / "bad.kapx", BUNDLE_PASSPHRASE, as_new=True)
    assert caught.value.kind == kind
    assert "nothing was imported" in str(caught.value).lower()
    assert state(w) == before


def test_a_bundle_whose_seal_does_not_match_its_rows_is_refused_whole(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    """Re-encrypted with the right passphrase but an event changed: GCM passes, the seal not."""
    v, w, cid = pair
    export(v, cid, tmp_path / "c.kapx")
    payload = transfer_format.unpack(
        transfer_format.decrypt((tmp_path / "c.kapx").read_bytes(), BUNDLE_PASSPHRASE)
    )
    sealed = json.loads(payload["records"]["seals"][0]["snapshot"])
    event_id = sealed["events"][0]["id"]
    for row in payload["records"]["events"]:
        if row["id"] == event_id:
            row["payload"] = json.dumps({"text": "not what was signed"})
    forged = transfer_format.encrypt(transfer_format.pack(payload), BUNDLE_PASSPHRASE)
    (tmp_path / "forged.kapx").write_bytes(forged)
    before = state(w)
    with pytest.raises(transfer.TransferError, match="do not match their seals"):
        transfer.import_client(w, tmp_path / "forged.kapx", BUNDLE_PASSPHRASE)
    assert state(w) == before


def test_the_same_client_is_refused_unless_imported_as_new(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    v, w, cid = pair
    export(v, cid, tmp_path / "c.kapx")
    first = transfer.import_client(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE)
    before = state(w)
    with pytest.raises(transfer.TransferError, match="already in this vault") as caught:
        transfer.import_client(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE)
    assert f"client {first.client_id}" in str(caught.value) and "--as-new" in str(caught.value)
    assert state(w) == before
    second = transfer.import_client(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE, as_new=True)
    assert second.client_id != first.client_id
    assert second.same_clients == [first.client_id]
    assert "beside client" in w.audit_entries(action="client.import")[0].detail
    assert w.check().ok


def test_the_export_refuses_a_client_whose_seals_are_broken(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    v, _w, cid = pair
    with v._lock:
        sid = v.conn.execute(
            "SELECT record_id FROM seals WHERE client_id = ? AND record_type = 'session'",
            (cid,),
        ).fetchone()[0]
        v.conn.execute("UPDATE events SET utc = '2001-01-01' WHERE session_id = ?", (sid,))
    with pytest.raises(transfer.TransferError, match="do not match their seals"):
        export(v, cid, tmp_path / "c.kapx")
    assert not (tmp_path / "c.kapx").exists()
    assert not v.audit_entries(action="export.transfer")


def test_the_real_key_cost_and_a_generated_passphrase(
    pair: tuple[Vault, Vault, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer_format, "SCRYPT_LOG2_N", 17)
    v, w, cid = pair
    result = transfer.export_client(v, cid, tmp_path / "c.kapx")
    assert result.generated and result.words == 6
    assert all(word in WORDS for word in result.passphrase.split("-"))
    assert (tmp_path / "c.kapx").read_bytes()[6] == 17  # the cost is in the header
    assert transfer.import_client(w, tmp_path / "c.kapx", result.passphrase).client_id


def test_the_word_list_gives_at_least_64_bits_in_six_words() -> None:
    assert len(set(WORDS)) == len(WORDS) >= 2048
    assert all(w.isascii() and w.isalpha() and w.islower() and 3 <= len(w) <= 9 for w in WORDS)
    assert entropy_bits(6) >= 64
    phrases = {one_time_passphrase() for _ in range(50)}
    assert len(phrases) == 50 and all(len(p.split("-")) == 6 for p in phrases)


# --------------------------------------------------------------------------- the command line
def test_the_command_line_exports_and_imports_with_exit_codes(
    templates: tuple[Path, Path, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, target, cid = templates
    v, w = tmp_path / "v.kapv", tmp_path / "w.kapv"
    shutil.copyfile(source, v)
    shutil.copyfile(target, w)
    monkeypatch.setenv("VAULT_PW", PASSPHRASE)
    bundle = tmp_path / "c.kapx"
    common = ["--passphrase-env", "VAULT_PW"]
    argv = ["export", "client", "--vault", str(v), "--client", str(cid), "--out", str(bundle)]
    assert main([*argv, *common]) == 0
    out = capsys.readouterr().out
    assert "One-time bundle passphrase (6 words" in out
    generated = out.strip().splitlines()[-1].strip()
    assert len(generated.split("-")) == 6
    assert main([*argv, *common]) == 1  # never written over
    assert "already a file" in capsys.readouterr().err

    imp = ["import", "client", str(bundle), "--vault", str(w), *common]
    monkeypatch.setenv("BUNDLE_PW", "wrong words entirely here")
    assert main([*imp, "--bundle-passphrase-env", "BUNDLE_PW"]) == 2
    assert "passphrase is not right" in capsys.readouterr().err
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x80
    (tmp_path / "bad.kapx").write_bytes(bytes(data))
    monkeypatch.setenv("BUNDLE_PW", generated)
    bad = ["import", "client", str(tmp_path / "bad.kapx"), "--vault", str(w), *common]
    assert main([*bad, "--bundle-passphrase-env", "BUNDLE_PW"]) == 3
    assert "integrity check" in capsys.readouterr().err
    assert main([*imp, "--bundle-passphrase-env", "BUNDLE_PW"]) == 0
    assert "Imported as new client" in capsys.readouterr().out
    assert main([*imp, "--bundle-passphrase-env", "BUNDLE_PW"]) == 1
    assert "--as-new" in capsys.readouterr().err
    assert main([*imp, "--bundle-passphrase-env", "BUNDLE_PW", "--as-new"]) == 0
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    capsys.readouterr()
    assert main(["vault", "check", str(w)]) == 0
    assert "Vault check: OK" in capsys.readouterr().out
    assert main(["import", "client", str(bundle), "--vault", str(w), "--bogus"]) == 2


def test_the_preview_says_what_arrives_and_writes_nothing(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    import hashlib

    v, w, cid = pair
    result = export(v, cid, tmp_path / "c.kapx")
    before = state(w)
    summary = transfer.preview(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE)
    assert state(w) == before
    source = Repos(v)
    client = source.clients.get(cid)
    assert client.dob is not None
    assert (summary.name, summary.dob) == (client.name, client.dob.isoformat())
    assert summary.counts["sessions"] == len(source.sessions.for_client(cid))
    assert summary.measures == len(source.documents.find("measure", client_id=cid)) > 0
    assert sum(summary.document_kinds.values()) == summary.counts["documents"]
    assert summary.source_vault == v.get_meta("vault_id")
    digest = hashlib.sha256((tmp_path / "c.kapx").read_bytes()).hexdigest()
    assert summary.sha256 == result.sha256 == digest


def test_a_bundle_changed_after_its_preview_is_refused(
    pair: tuple[Vault, Vault, int], tmp_path: Path
) -> None:
    """The user confirmed one file; another (here: the same client exported again, so a
    valid bundle with another digest) put in its place is not imported."""
    v, w, cid = pair
    export(v, cid, tmp_path / "c.kapx")
    seen = transfer.preview(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE).sha256
    (tmp_path / "c.kapx").unlink()
    export(v, cid, tmp_path / "c.kapx")
    before = state(w)
    with pytest.raises(transfer.TransferError, match="changed after it was checked"):
        transfer.import_client(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE, expect_sha256=seen)
    assert state(w) == before
    imported = transfer.import_client(
        w,
        tmp_path / "c.kapx",
        BUNDLE_PASSPHRASE,
        expect_sha256=transfer.preview(w, tmp_path / "c.kapx", BUNDLE_PASSPHRASE).sha256,
    )
    assert imported.client_id
