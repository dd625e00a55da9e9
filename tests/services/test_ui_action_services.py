"""The user actions that used to write from ui/ (issue 21): each is one service function that
owns its transaction and writes its audit rows in it.

Real SQLCipher vaults on disk; a vault method made to fail part-way proves that nothing of the
action is left behind.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from readiness_support import prepare
from support import PASSPHRASE, FakeTime

from kapcompanion.core.course_plan import plan_course
from kapcompanion.core.discharge import ALDRETE_KEYS, Discharge
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.integration import load_prompts
from kapcompanion.core.models import Client, ClientStatus, FlagKind, SessionStatus, StoredDocument
from kapcompanion.services import (
    access,
    addenda,
    audit_trail,
    clients,
    documents,
    flags,
    measures,
    plans,
    prompts,
    signing,
)
from kapcompanion.services.session import (
    SessionRunner,
    discharge_draft_key,
    entry_draft_key,
    plan_session,
)
from kapcompanion.store.errors import RecordLocked, VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault


class Boom(RuntimeError):
    pass


def _fail_audit(monkeypatch: pytest.MonkeyPatch, vault: Vault, action: str, exc: Exception) -> None:
    """Make the audit row ``action`` fail (after the action's other writes)."""
    real = vault.audit

    def audit(name: str, **kw: object) -> int:
        if name == action:
            raise exc
        return real(name, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(vault, "audit", audit)


def _count(vault: Vault, table: str) -> int:
    return int(vault.read(f"SELECT count(*) FROM {table}")[0][0])


def _actions(vault: Vault) -> list[str]:
    return [row.action for row in vault.audit_entries()]


def _client(repos: Repos, name: str = "Ada North") -> int:
    stored = clients.save_client(repos, Client(name=name, pseudonym="Wren"))
    assert stored.id is not None
    return stored.id


def _document(repos: Repos, client_id: int) -> StoredDocument:
    doc = repos.documents.save(
        StoredDocument(kind="integration", client_id=client_id, data={"free_text": "Calm."})
    )
    assert doc.id is not None
    return doc


# ------------------------------------------------------------------ clients
def test_client_add_edit_delete_are_audited_and_whole(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = repos.vault
    _fail_audit(monkeypatch, vault, "client.create", Boom("disk pulled out"))
    with pytest.raises(Boom):
        clients.save_client(repos, Client(name="Ada North"))
    assert _count(vault, "clients") == 0  # the row went with the failed audit row
    monkeypatch.undo()

    cid = _client(repos)
    edited = clients.save_client(repos, Client(id=cid, name="Ada North-West", pseudonym="Wren"))
    assert repos.clients.get(cid).name == "Ada North-West" == edited.name
    with pytest.raises(VaultError, match="name or a pseudonym"):
        clients.save_client(repos, Client(name=" ", pseudonym=""))
    assert _count(vault, "clients") == 1

    with pytest.raises(VaultError, match="does not match"):
        clients.delete_client(repos, cid, confirm_name="Ada")
    _fail_audit(monkeypatch, vault, "client.delete", Boom("disk pulled out"))
    with pytest.raises(Boom):
        clients.delete_client(repos, cid, confirm_name="Ada North-West")
    assert repos.clients.get(cid).name == "Ada North-West"  # still there
    monkeypatch.undo()
    clients.delete_client(repos, cid, confirm_name="Ada North-West")
    assert _count(vault, "clients") == 0
    assert _actions(vault)[:3] == ["client.delete", "client.update", "client.create"]


def test_archive_unarchive_and_the_reads_the_screens_use(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = repos.vault
    cid = _client(repos)
    _fail_audit(monkeypatch, vault, "client.archive", Boom("disk pulled out"))
    with pytest.raises(Boom):
        clients.archive(repos, cid)
    assert clients.get(repos, cid).status is ClientStatus.ACTIVE  # the change went with it
    monkeypatch.undo()
    assert clients.archive(repos, cid).status is ClientStatus.ARCHIVED
    assert clients.search(repos, "ada") == []  # active ones only
    assert [c.id for c in clients.search(repos, "ada", include_archived=True)] == [cid]
    assert clients.unarchive(repos, cid).status is ClientStatus.ACTIVE
    before = _actions(vault)
    clients.get(repos, cid)  # a name for a title: not a view
    assert _actions(vault) == before
    assert clients.view(repos, cid).id == cid
    assert _actions(vault)[:3] == ["client.view", "client.unarchive", "client.archive"]


def test_an_attachment_is_stored_with_its_audit_row_or_not_at_all(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = repos.vault
    doc = _document(repos, _client(repos))
    assert doc.id is not None
    _fail_audit(monkeypatch, vault, "attachment.create", Boom("disk pulled out"))
    with pytest.raises(Boom):
        documents.attach(repos, doc.id, "a.png", "image/png", b"\x89PNG", None)
    assert documents.attachments(repos, doc.id) == [] and _count(vault, "attachments") == 0
    monkeypatch.undo()
    aid = documents.attach(repos, doc.id, "a.png", "image/png", b"\x89PNG", b"t")
    assert documents.attachments(repos, doc.id) == [(aid, "a.png", "image/png", b"t")]
    assert documents.attachment_content(repos, aid) == b"\x89PNG"
    assert [d.id for d in documents.find(repos, "integration", client_id=doc.client_id)] == [doc.id]
    assert documents.get(repos, doc.id).data == {"free_text": "Calm."}


# ------------------------------------------------------------------ addenda
def test_an_addendum_and_the_removal_of_its_draft_are_one_transaction(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = repos.vault
    cid = _client(repos)
    doc = _document(repos, cid)
    assert doc.id is not None
    signing.sign_record(repos, "integration", doc.id, "Dr Test")
    key = addenda.draft_key("integration", doc.id)
    revision = documents.save_draft(repos, key, "Phoned on Tuesday: sleeping better.", 0)
    audit_rows = _count(vault, "audit")

    real = vault.set_meta

    def set_meta(k: str, value: str, conn: object = None) -> None:
        if k == f"revision.{key}":
            raise Boom("disk pulled out")
        real(k, value, conn)

    monkeypatch.setattr(vault, "set_meta", set_meta)
    with pytest.raises(Boom):
        addenda.add_addendum(repos, "integration", doc.id, "Phoned on Tuesday.", cid)
    assert addenda.addenda_for(repos, "integration", doc.id) == []
    assert _count(vault, "audit") == audit_rows and _count(vault, "addenda") == 0
    assert documents.load_draft(repos, key).value == "Phoned on Tuesday: sleeping better."
    monkeypatch.undo()

    with pytest.raises(VaultError, match="cannot be empty"):
        addenda.add_addendum(repos, "integration", doc.id, "  ", cid)
    added = addenda.add_addendum(repos, "integration", doc.id, "Phoned on Tuesday.", cid)
    assert added.author == "Dr Test" and added.text == "Phoned on Tuesday."
    assert [a.id for a in addenda.addenda_for(repos, "integration", doc.id)] == [added.id]
    after = documents.load_draft(repos, key)
    assert after.value is None and after.revision == revision + 1
    # a second window still holding the draft is refused, its text kept as a conflict
    with pytest.raises(documents.StaleRevision):
        documents.save_draft(repos, key, "typed on in the other window", revision)
    assert _actions(vault)[:2] == ["draft.conflict", "addendum.create"]


# ------------------------------------------------------------------ signing
def test_signing_is_whole_and_a_wrong_entry_is_audited(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = repos.vault
    cid = _client(repos)
    doc = _document(repos, cid)
    assert doc.id is not None
    seals = _count(vault, "seals")
    _fail_audit(monkeypatch, vault, "integration.sign", Boom("disk pulled out"))
    with pytest.raises(Boom):
        signing.sign_record(repos, "integration", doc.id, "Dr Test")
    assert not repos.documents.get(doc.id).signed and _count(vault, "seals") == seals
    monkeypatch.undo()

    signing.record_wrong_entry(repos, "integration", doc.id, cid, what="PIN", count=2, most=5)
    row = vault.audit_entries(action="sign.failed")[0]
    assert (row.record_id, row.client_id, row.detail) == (doc.id, cid, "wrong PIN, 2 of 5")

    signing.sign_record(repos, "integration", doc.id, "Dr Test")
    assert repos.documents.get(doc.id).signed_by == "Dr Test"
    with pytest.raises(RecordLocked):
        signing.sign_record(repos, "integration", doc.id, "Dr Test")


def test_a_session_not_ended_cannot_be_signed(repos: Repos) -> None:
    sid = _session(repos)
    with pytest.raises(VaultError, match="ended session"):
        signing.sign_record(repos, "session", sid, "Dr Test")
    assert repos.sessions.get(sid).signed_utc is None


# ------------------------------------------------------------------ safety flags
def test_resolving_a_flag_is_whole_and_needs_a_note(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = repos.vault
    cid = _client(repos)
    flag = repos.flags.raise_flag(cid, FlagKind.SUICIDE_RISK, "PHQ-9", "item 9 answered 2")
    assert flag.id is not None
    assert not flags.has_safety_plan_since(repos, flag)
    with pytest.raises(VaultError, match="needs a note"):
        flags.resolve_flag(repos, flag.id, "   ")
    _fail_audit(monkeypatch, vault, "flag.resolve", Boom("disk pulled out"))
    with pytest.raises(Boom):
        flags.resolve_flag(repos, flag.id, "Risk assessed; no current intent.")
    assert [f.id for f in flags.active_flags(repos, cid)] == [flag.id]
    monkeypatch.undo()

    measures.save_safety_plan(repos, cid, "Call the crisis line; sister Mia stays over.")
    assert flags.has_safety_plan_since(repos, flag)
    done = flags.resolve_flag(repos, flag.id, "Risk assessed; no current intent.")
    assert done.resolved_by == "Dr Test" and flags.active_flags(repos, cid) == []
    row = vault.audit_entries(action="flag.resolve")[0]
    assert row.record_id == flag.id and row.client_id == cid


# ------------------------------------------------------------------ integration prompts
def test_the_clinics_prompts_are_kept_with_their_audit_row_or_not_at_all(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = repos.vault
    shipped = load_prompts()
    edited = shipped.__class__(**{**shipped.__dict__, "version": "99"})
    _fail_audit(monkeypatch, vault, "integration_prompts.update", Boom("disk pulled out"))
    with pytest.raises(Boom):
        prompts.save_clinic_prompts(vault, edited, {"old": "An old question?"})
    assert vault.get_json(prompts.PROMPTS_KEY) is None
    assert prompts.load_clinic_prompts(vault) == (shipped, {})
    monkeypatch.undo()
    prompts.save_clinic_prompts(vault, edited, {"old": "An old question?"})
    loaded, retired = prompts.load_clinic_prompts(vault)
    assert loaded.version == "99" and retired == {"old": "An old question?"}
    assert "v99" in vault.audit_entries(action="integration_prompts.update")[0].detail


# ------------------------------------------------------------------ the audit trail
def test_an_audit_csv_the_trail_cannot_record_is_removed(
    repos: Repos, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = repos.vault
    cid = _client(repos)
    target = tmp_path / "trail.csv"
    header = ["When", "Action"]
    rows = [["2026-05-04", "client.create"], ["2026-05-04", "=cmd()"]]
    _fail_audit(monkeypatch, vault, "export.audit_csv", VaultError("The disk is full."))
    with pytest.raises(VaultError, match="disk is full"):
        audit_trail.export_csv(vault, target, header, rows, client_id=cid, detail="2 entries")
    assert not target.exists()
    monkeypatch.undo()

    audit_trail.export_csv(vault, target, header, rows, client_id=cid, detail="2 entries")
    with target.open(encoding="utf-8-sig", newline="") as f:
        read = list(csv.reader(f))
    assert read[0] == header and read[2] == ["2026-05-04", "'=cmd()"]
    row = audit_trail.entries(vault, action="export.audit_csv")[0]
    assert (row.client_id, row.detail) == (cid, "2 entries")
    assert "export.audit_csv" in audit_trail.actions(vault)
    assert audit_trail.actions(vault) == sorted(set(_actions(vault)))
    assert audit_trail.verify(vault).ok


def test_a_printed_session_is_audited_under_its_client(repos: Repos) -> None:
    sid = _session(repos)
    cid = repos.sessions.get(sid).client_id
    audit_trail.record_printed(repos, "print.session_pdf", "session", sid, 3)
    audit_trail.record_printed(repos, "print.course_pdf", "client", cid, 1)
    session_row = repos.vault.audit_entries(action="print.session_pdf")[0]
    client_row = repos.vault.audit_entries(action="print.course_pdf")[0]
    assert (session_row.record_id, session_row.client_id, session_row.detail) == (
        sid,
        cid,
        "3 pages",
    )
    assert (client_row.record_id, client_row.client_id, client_row.detail) == (cid, cid, "1 page")


# ------------------------------------------------------------------ unlock and lock
def test_an_unlock_and_its_earlier_failures_are_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v.kapv"
    Vault.create(path, PASSPHRASE, {"name": "Dr Test"}).close()
    backups = tmp_path / "backups"
    real = Vault.audit

    def audit(self: Vault, action: str, **kw: object) -> int:
        if action == "vault.unlock":
            raise Boom("disk pulled out")
        return real(self, action, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Vault, "audit", audit)
    with pytest.raises(Boom):
        access.unlock(path, PASSPHRASE, backups, ["09:01", "09:02"])
    monkeypatch.undo()

    reader = access.unlock(path, PASSPHRASE, backups, ["ignored"], read_only=True)
    try:  # the failed unlock left no row, and read-only wrote none
        assert not {"vault.unlock", "vault.unlock_failed"} & set(_actions(reader))
    finally:
        reader.close()
    vault = access.unlock(path, PASSPHRASE, backups, ["09:01", "09:02"])  # the lock was freed
    try:
        rows = vault.audit_entries()
        assert [(r.action, r.detail) for r in rows[:3]] == [
            ("vault.unlock", ""),
            ("vault.unlock_failed", "failed at 09:02"),
            ("vault.unlock_failed", "failed at 09:01"),
        ]
        assert isinstance(access.repositories(vault), Repos)
        access.record_lock(vault, "quit")
        assert vault.audit_entries(action="vault.lock")[0].detail == "quit"
    finally:
        vault.close()


# ------------------------------------------------------------------ course plans
def test_a_course_plan_is_saved_and_updated_in_place(repos: Repos) -> None:
    cid = _client(repos)
    first = plans.save_plan(repos, cid, plan_course(date(2027, 3, 1), 1, 2))
    assert first.id is not None and first.kind == plans.KIND
    assert len(plans.load_plan(first)) == len(plan_course(date(2027, 3, 1), 1, 2))
    again = plans.save_plan(repos, cid, plan_course(date(2027, 3, 8), 1, 1), first)
    assert again.id == first.id
    assert plans.plan_document(repos, cid) is not None
    assert [r.action for r in repos.vault.audit_entries(action="course_plan.update")]


# ------------------------------------------------------------------ the session's drafts
GOOD = Discharge(
    alert_oriented=True,
    vitals_near_baseline=True,
    walks_unassisted=True,
    escort_present=True,
    aftercare_reminded=True,
    escort_name="Sam Rivers",
    aldrete=dict.fromkeys(ALDRETE_KEYS, 2),
)


def _session(repos: Repos) -> int:
    cid = _client(repos, "Ben South")
    s = plan_session(repos, cid, DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5))
    assert s.id is not None
    prepare(repos, s)
    return s.id


def test_the_discharge_draft_goes_with_the_end_and_stays_when_the_end_fails(
    repos: Repos, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = FakeTime()
    sid = _session(repos)
    run = SessionRunner(repos, sid, now_utc=t.now, monotonic=t.monotonic)
    run.start()
    t.advance(300)
    run.give_dose()
    t.advance(2 * 3600)
    key = discharge_draft_key(sid)
    form = {"escort_name": "Sam Rivers", "debrief": "Calm return."}
    revision = documents.save_draft(repos, key, form, 0, client_id=run.client_id)

    def boom(*_a: object, **_k: object) -> None:
        raise Boom("disk pulled out")

    monkeypatch.setattr(repos.documents, "save", boom)  # the debrief entry, late in the end
    with pytest.raises(Boom):
        run.end(GOOD, "Calm return.")
    monkeypatch.undo()
    assert documents.load_draft(repos, key) == documents.Draft(form, revision)
    assert repos.sessions.get(sid).status is SessionStatus.DOSED

    run.end(GOOD, "Calm return.")
    assert repos.sessions.get(sid).status is SessionStatus.ENDED
    assert documents.load_draft(repos, key) == documents.Draft(None, revision + 1)


def test_the_event_card_draft_carries_a_revision(repos: Repos) -> None:
    sid = _session(repos)
    key = entry_draft_key(sid)
    assert key != discharge_draft_key(sid)
    card = {"kind": "note", "text": "Eyes closed, breathing slowly."}
    first = documents.save_draft(repos, key, card, 0)
    second = documents.save_draft(repos, key, {**card, "text": "Smiling."}, first)
    with pytest.raises(documents.StaleRevision) as refused:
        documents.save_draft(repos, key, {**card, "text": "Other window."}, first)
    assert refused.value.conflict is not None
    assert documents.load_draft(repos, key) == documents.Draft({**card, "text": "Smiling."}, second)
