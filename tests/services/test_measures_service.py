"""Saving a questionnaire on a real vault file: the form and its rule-raised flags are one commit.

Whatever the path (the form, the demo, an import, the command line), a positive PHQ-9 item 9
saved through ``services.measures.save_response`` has its suicide-risk flag and both audit
rows in the same transaction, and an error anywhere leaves neither on disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kapcompanion.core.measures import IncompleteForm, MeasureContext, MeasureResponse
from kapcompanion.core.models import Client, FlagKind
from kapcompanion.core.schedule import MeasureSchedule
from kapcompanion.core.serial import load
from kapcompanion.core.settings import PCL5_CUTPOINT
from kapcompanion.demo import build_demo_vault
from kapcompanion.services import measures, settings
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

PASS = "correct horse battery"
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ITEM9 = "PHQ-9 item 9 positive (thoughts of being better off dead or self-harm)"
ITEM9_BLANK = "PHQ-9 item 9 not answered: ask about thoughts of being better off dead or self-harm"


def probable(cutpoint: int) -> str:
    """The PCL-5 band at or above the clinic's cut-point (National Center for PTSD: 31-33)."""
    return (
        f"probable PTSD: at or above the clinic's cut-point of {cutpoint}, in the published "
        "31-33 range"
    )


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "measures.kapv"


@pytest.fixture()
def repos(path: Path) -> Iterator[Repos]:
    vault = Vault.create(path, PASS, {"name": "Dr Test"})
    try:
        yield Repos(vault)
    finally:
        if vault.is_open:
            vault.close()


@pytest.fixture()
def cid(repos: Repos) -> int:
    client = repos.clients.add(Client(name="Ada Test"))
    assert client.id is not None
    return client.id


def phq9(item9: int | None, rest: int = 1) -> dict[int, int | None]:
    return {n: rest for n in range(1, 9)} | {9: item9}


class Statements:
    """Every SQL statement the connection runs (sqlite's trace callback), to count commits."""

    def __init__(self, vault: Vault) -> None:
        self.seen: list[str] = []
        self.vault = vault

    def __enter__(self) -> Statements:
        self.vault.conn.set_trace_callback(self.seen.append)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.vault.conn.set_trace_callback(None)

    def count(self, word: str) -> int:
        return sum(1 for s in self.seen if s.strip().upper().startswith(word))


def test_positive_item9_is_saved_with_its_flag_in_one_commit(
    repos: Repos, cid: int, path: Path
) -> None:
    before = len(repos.vault.audit_entries())
    with Statements(repos.vault) as sql:
        saved = measures.save_response(
            repos, cid, "phq9", phq9(2), taken_on=WHEN, context=MeasureContext.BASELINE
        )
    # one BEGIN and one COMMIT: there is no moment at which the form is on disk without the flag
    assert sql.count("BEGIN") == 1 and sql.count("COMMIT") == 1
    assert saved.response.score == 10 and saved.response.flags == [ITEM9]
    assert saved.positive == [ITEM9]
    (flag,) = saved.flags
    assert (flag.kind, flag.source, flag.reason) == (FlagKind.SUICIDE_RISK, "PHQ-9", ITEM9)
    repos.vault.close()

    again = Vault.open(path, PASS)  # what is on disk after the call returned
    try:
        fresh = Repos(again)
        (doc,) = fresh.documents.find("measure", client_id=cid)
        assert load(MeasureResponse, doc.data).answers[9] == 2
        (active,) = fresh.flags.active(cid)
        assert active.id == flag.id and active.kind is FlagKind.SUICIDE_RISK
        rows = list(reversed(again.audit_entries()))[before:]
        assert [(r.action, r.record_id, r.client_id) for r in rows] == [
            ("measure.create", doc.id, cid),
            ("flag.raise", flag.id, cid),
        ]
        assert rows[1].detail == "suicide_risk"
        assert again.verify_audit().ok
    finally:
        again.close()


def test_an_error_after_the_form_is_written_leaves_neither_row(
    repos: Repos, cid: int, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(repos.vault.audit_entries())

    def broken(*_args: object, **_kwargs: object) -> object:
        # the measure document and its audit row are already inserted at this point
        assert len(repos.documents.find("measure", client_id=cid)) == 1
        raise VaultError("The disk is full: nothing was saved.")

    monkeypatch.setattr(repos.flags, "raise_flag", broken)
    with pytest.raises(VaultError, match="disk is full"):
        measures.save_response(repos, cid, "phq9", phq9(1), taken_on=WHEN)
    assert repos.documents.find("measure", client_id=cid) == []
    assert repos.flags.for_client(cid) == []
    assert len(repos.vault.audit_entries()) == before
    repos.vault.close()
    again = Vault.open(path, PASS)
    try:
        assert Repos(again).documents.find("measure", client_id=cid) == []
        assert Repos(again).flags.for_client(cid) == []
        assert len(again.audit_entries()) == before
    finally:
        again.close()


def test_item9_zero_raises_no_flag(repos: Repos, cid: int) -> None:
    saved = measures.save_response(repos, cid, "phq9", phq9(0), taken_on=WHEN)
    assert saved.flags == [] and saved.positive == [] and saved.response.score == 8
    assert repos.flags.active(cid) == []
    assert repos.vault.audit_entries()[0].action == "measure.create"


def test_item9_left_blank_flags_for_follow_up_but_is_not_positive(repos: Repos, cid: int) -> None:
    saved = measures.save_response(
        repos, cid, "phq9", phq9(None), taken_on=WHEN, incomplete_reason="Client declined item 9"
    )
    assert saved.response.score is None and saved.positive == []
    (flag,) = repos.flags.active(cid)
    assert flag.kind is FlagKind.SUICIDE_RISK and flag.reason == ITEM9_BLANK


def test_a_second_positive_form_keeps_the_one_active_flag(repos: Repos, cid: int) -> None:
    first = measures.save_response(repos, cid, "phq9", phq9(1), taken_on=WHEN)
    second = measures.save_response(repos, cid, "phq9", phq9(3), taken_on=WHEN)
    assert [f.id for f in second.flags] == [f.id for f in first.flags]
    assert len(repos.flags.active(cid)) == 1
    assert len(repos.documents.find("measure", client_id=cid)) == 2


@pytest.mark.parametrize(
    ("inst_id", "answers", "error", "message"),
    [
        ("phq9", phq9(4), ValueError, "answer 4 is outside 0-3"),
        ("phq9", phq9(1) | {3: None}, IncompleteForm, r"item\(s\) 3 unanswered"),
        ("phq9", phq9(1) | {12: 1}, ValueError, "has no item 12"),
        ("cssrs", {1: 1}, VaultError, "no questionnaire 'cssrs'"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(
    repos: Repos,
    cid: int,
    inst_id: str,
    answers: dict[int, int | None],
    error: type[Exception],
    message: str,
) -> None:
    before = len(repos.vault.audit_entries())
    with pytest.raises(error, match=message):
        measures.save_response(repos, cid, inst_id, answers, taken_on=WHEN)
    assert repos.documents.find("measure", client_id=cid) == []
    assert repos.flags.for_client(cid) == []
    assert len(repos.vault.audit_entries()) == before


@pytest.mark.parametrize(
    ("cutpoint", "band"),
    [
        (33, "within the published 31-33 range, below the clinic's cut-point of 33"),
        (32, probable(32)),
        (31, probable(31)),
    ],
)
def test_pcl5_is_banded_at_the_clinics_cut_point(
    repos: Repos, cid: int, cutpoint: int, band: str
) -> None:
    if cutpoint != 33:
        settings.set_value(repos.vault, PCL5_CUTPOINT, cutpoint)
    # total 32: items 1-12 at 2 (24) and 13-20 at 1 (8); every cluster endorsed
    answers: dict[int, int | None] = {n: 2 if n <= 12 else 1 for n in range(1, 21)}
    answers[15] = answers[16] = 2
    answers[11] = answers[12] = 1
    saved = measures.save_response(repos, cid, "pcl5", answers, taken_on=WHEN)
    assert saved.response.score == 32
    assert (saved.response.band, saved.response.cutpoint) == (band, cutpoint)
    assert saved.response.provisional is True
    assert saved.flags == []
    (stored,) = measures.responses(repos, cid)
    assert stored.response.band == band and stored.response.provisional is True


def test_instruments_follow_the_setting(repos: Repos) -> None:
    assert measures.instruments(repos.vault)["pcl5"].remission_below == 33
    settings.set_value(repos.vault, PCL5_CUTPOINT, 31)
    pcl5 = measures.instrument(repos.vault, "pcl5")
    assert pcl5.remission_below == 31 and pcl5.bands[-1].lower == 31
    assert measures.instrument(repos.vault, "phq9").bands[0].label == "minimal"


def test_safety_plan_needs_text(repos: Repos, cid: int) -> None:
    with pytest.raises(VaultError, match="Write the safety plan"):
        measures.save_safety_plan(repos, cid, "   ")
    doc = measures.save_safety_plan(repos, cid, " Call partner; crisis line. ", "PHQ-9")
    assert doc.data == {"text": "Call partner; crisis line.", "source": "PHQ-9"}
    assert repos.vault.audit_entries()[0].action == "safety_plan.create"


def test_schedule_with_an_unknown_questionnaire_is_refused(repos: Repos) -> None:
    before = len(repos.vault.audit_entries())
    with pytest.raises(VaultError, match="unknown questionnaires: cssrs"):
        measures.save_schedule(repos.vault, MeasureSchedule(baseline=["phq9", "cssrs"]))
    assert len(repos.vault.audit_entries()) == before
    measures.save_schedule(repos.vault, MeasureSchedule(baseline=["pcl5"]))
    assert measures.load_schedule(repos.vault).baseline == ["pcl5"]
    assert repos.vault.audit_entries()[0].action == "measure_schedule.update"


def test_the_demo_raises_the_item9_flag_through_the_service(tmp_path: Path) -> None:
    vault = build_demo_vault(
        tmp_path / "demo.kapv", PASS, clients=3, seed=7, today=date(2026, 3, 2)
    )
    try:
        repos = Repos(vault)
        positive: set[int] = set()
        for client in repos.clients.search(include_archived=True):
            assert client.id is not None
            for stored in measures.responses(repos, client.id):
                r = stored.response
                if r.instrument_id == "phq9" and (r.answers.get(9) or 0) > 0:
                    positive.add(client.id)
                    flags = repos.flags.for_client(client.id)
                    assert [f.kind for f in flags] == [FlagKind.SUICIDE_RISK]
                    assert flags[0].reason == ITEM9
                    plans = repos.documents.find("safety_plan", client_id=client.id)
                    assert plans and plans[0].data["source"] == "PHQ-9"
        assert positive, "the demo has its item-9 example client"
    finally:
        vault.close()
