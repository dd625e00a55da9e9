"""Keep mine / keep theirs / keep both (``services.documents``) on a real vault file: each
choice is one transaction with its audit rows, nothing is lost, ``vault check`` stays clean."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kapcompanion.core.intake import Intake, Medication
from kapcompanion.core.models import Client, StoredDocument
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.services import documents as svc
from kapcompanion.services import screening
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

THEIRS = "client prefers morning sessions"
MINE = "escort is her sister, who drives"


@pytest.fixture
def two_editors(repos: Repos) -> tuple[Repos, StoredDocument, svc.Conflict]:
    """An intake saved by one editor while another, loaded earlier, autosaves: refused."""
    client = repos.clients.add(Client(name="Ada Example", dob=date(1980, 1, 2)))
    assert client.id is not None
    base = screening.save_intake(repos, client.id, None, Intake(notes="first visit"))
    a = repos.documents.get(base.id or 0)
    b = repos.documents.get(base.id or 0)
    theirs = Intake(notes=THEIRS, medications=[Medication(name="sertraline", dose="50 mg")])
    screening.save_intake(repos, client.id, b, theirs)
    mine = Intake(notes=MINE, medications=[Medication(name="lorazepam", dose="0.5 mg")])
    with pytest.raises(svc.StaleRevision) as refused:
        screening.save_intake(repos, client.id, a, mine)
    conflict = refused.value.conflict
    assert conflict is not None and refused.value.current is not None
    assert load(Intake, refused.value.current.data).notes == THEIRS
    return repos, base, conflict


def _actions(repos: Repos, since: int) -> list[str]:
    return [r.action for r in reversed(repos.vault.audit_entries()) if r.id > since]


def _last_id(repos: Repos) -> int:
    return repos.vault.audit_entries()[0].id


def test_keep_mine(two_editors: tuple[Repos, StoredDocument, svc.Conflict]) -> None:
    repos, base, conflict = two_editors
    before = _last_id(repos)
    doc = svc.keep_mine(repos, conflict.id)
    assert doc is not None and doc.revision == 3
    assert load(Intake, repos.documents.get(base.id or 0).data).notes == MINE
    settled = repos.documents.conflict(conflict.id)
    assert settled.resolution == "mine" and settled.resolved_utc is not None
    assert load(Intake, settled.theirs).notes == THEIRS  # what was replaced stays
    assert _actions(repos, before) == ["intake.update", "document.conflict_resolved"]
    detail = json.loads(repos.vault.audit_entries(action="document.conflict_resolved")[0].detail)
    assert detail["choice"] == "mine" and detail["revision"] == 3
    assert (detail["mine_based_on_revision"], detail["stored_revision"]) == (1, 2)
    assert repos.vault.check().ok
    with pytest.raises(VaultError, match="already settled"):
        svc.keep_theirs(repos, conflict.id)


def test_keep_theirs(two_editors: tuple[Repos, StoredDocument, svc.Conflict]) -> None:
    repos, base, conflict = two_editors
    before = _last_id(repos)
    doc = svc.keep_theirs(repos, conflict.id)
    assert doc is not None and doc.revision == 2
    assert load(Intake, repos.documents.get(base.id or 0).data).notes == THEIRS
    settled = repos.documents.conflict(conflict.id)
    assert settled.resolution == "theirs" and load(Intake, settled.mine).notes == MINE
    assert _actions(repos, before) == ["document.conflict_resolved"]
    assert repos.vault.check().ok
    assert svc.open_conflicts(repos, base.id or 0) == []


def test_keep_both(two_editors: tuple[Repos, StoredDocument, svc.Conflict]) -> None:
    repos, base, conflict = two_editors
    doc = svc.keep_both(repos, conflict.id)
    assert doc is not None and doc.revision == 3
    both = load(Intake, repos.documents.get(base.id or 0).data)
    above, line, below = both.notes.split("\n\n")
    assert (above, below) == (THEIRS, MINE)
    assert line.startswith("\u2500\u2500\u2500 both versions kept: above, the version saved at")
    assert [m.name for m in both.medications] == ["sertraline", "lorazepam"]
    assert repos.documents.conflict(conflict.id).resolution == "both"
    assert repos.vault.check().ok


def test_the_choice_takes_the_text_typed_while_it_waited(
    two_editors: tuple[Repos, StoredDocument, svc.Conflict],
) -> None:
    repos, base, conflict = two_editors
    typed_on = Intake(notes=MINE + ", and she has asked for a blanket")
    svc.keep_mine(repos, conflict.id, mine=typed_on)
    assert load(Intake, repos.documents.get(base.id or 0).data) == typed_on
    kept = json.loads(repos.vault.read("SELECT data FROM conflicts")[0][0])
    assert load(Intake, kept["mine"]).notes == MINE  # as refused
    assert load(Intake, kept["mine_at_choice"]) == typed_on
    assert load(Intake, kept["theirs"]).notes == THEIRS
    assert repos.vault.check().ok


def test_a_choice_on_a_record_changed_again_changes_nothing(
    two_editors: tuple[Repos, StoredDocument, svc.Conflict],
) -> None:
    repos, base, conflict = two_editors
    now = repos.documents.get(base.id or 0)
    third = repos.documents.save(
        replace(now, data=to_jsonable(Intake(notes="a third text"))), expected_revision=2
    )
    with pytest.raises(svc.StaleRevision):
        svc.keep_mine(repos, conflict.id)
    assert repos.documents.get(base.id or 0).data == third.data
    assert repos.documents.conflict(conflict.id).resolved_utc is None
    assert [c.id for c in svc.open_conflicts(repos, base.id or 0)] == [conflict.id]


def test_merge_keeps_every_text() -> None:
    line = "---"
    assert svc.merge_both("a", "a", line) == "a"
    assert svc.merge_both("", "mine", line) == "mine"
    assert svc.merge_both("theirs", "", line) == "theirs"
    assert svc.merge_both("note", "note, longer", line) == "note, longer"
    assert svc.merge_both("x", "y", line) == "x\n\n---\n\ny"
    assert svc.merge_both([1, 2], [2, 3], line) == [1, 2, 3]
    assert svc.merge_both({"a": "x", "b": True}, {"a": "y", "b": False, "c": 1}, line) == {
        "a": "x\n\n---\n\ny",
        "b": False,
        "c": 1,
    }
    when = datetime(2026, 1, 2, 10, 41, tzinfo=UTC)
    assert "saved at" in svc.divider(when, when) and "saved first" in svc.divider(None, when)


def test_drafts_in_meta_carry_a_revision(tmp_path: Path) -> None:
    from support import PASSPHRASE

    from kapcompanion.demo import PRACTITIONER

    path = tmp_path / "drafts.kapv"
    vault = Vault.create(path, PASSPHRASE, PRACTITIONER)
    repos = Repos(vault)
    key = "addendum_draft.document.7"
    empty = svc.load_draft(repos, key)
    assert empty == svc.Draft(None, 0)
    a = svc.load_draft(repos, key)
    b = svc.load_draft(repos, key)
    assert svc.save_draft(repos, key, THEIRS, b.revision) == 1
    with pytest.raises(svc.StaleRevision) as refused:
        svc.save_draft(repos, key, MINE, a.revision)
    kept = refused.value.conflict
    assert kept is not None and (kept.mine, kept.theirs) == (MINE, THEIRS)
    assert refused.value.changed_at < kept.created_utc  # when the other draft was saved
    assert svc.load_draft(repos, key) == svc.Draft(THEIRS, 1)
    assert [r.action for r in vault.audit_entries(action="draft.conflict")] == ["draft.conflict"]
    assert svc.resolve(repos, kept.id, "both") is None
    merged = svc.load_draft(repos, key)
    assert merged.revision == 2 and merged.value.startswith(THEIRS)
    assert merged.value.endswith(MINE)
    assert vault.check().ok
    vault.close()


def test_conflict_words_say_the_time_as_the_clinic_writes_it(repos: Repos) -> None:
    """'Changed elsewhere at 16:05' beside '4:05 PM' everywhere else, under en_US."""
    import re

    from kapcompanion.core import wording
    from kapcompanion.store.documents import StaleRevision

    wording.set_locale("en_US")  # the conftest puts en_GB back
    when = datetime(2026, 1, 2, 16, 41, tzinfo=UTC)
    shown = wording.time_of_day(when.astimezone())
    assert re.fullmatch(r"\d{1,2}:\d\d\s?[AP]M", shown)
    assert f"saved at {shown}" in svc.divider(when, when)
    stale = StaleRevision(None, 1, None, changed_at=when)
    assert stale.message.startswith(f"Changed elsewhere at {shown}: ")
