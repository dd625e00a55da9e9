"""SIGKILL between every pair of statements of start, dose, vitals and end (issue 20 item 3).

For each action a base vault is prepared in the state just before it; then, for N = 1, 2, ...
a child process opens a copy of that vault and kills itself just before its N-th SQL statement
of the action (``child_session_action.py``), until the action completes. Each copy must be
sound (``vault check``) and hold the action whole or not at all.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from readiness_support import complete_checklist, prepare
from support import CHILD_PATH_TESTS, PASSPHRASE
from zygote import Zygote

from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, EventKind, SessionStatus
from kapcompanion.core.settings import DISCHARGE_MIN_IM
from kapcompanion.core.vitals import VitalReading
from kapcompanion.services.session import SessionRunner, plan_session
from kapcompanion.services.settings import set_value
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """Children forked ready-imported (tests/zygote.py): each kill point costs milliseconds."""
    env = dict(os.environ, PYTHONPATH=CHILD_PATH_TESTS, KAPCOMPANION_PASSPHRASE=PASSPHRASE)
    preload = ["kapcompanion.services.session", "kapcompanion.core.discharge"]
    with Zygote(preload, env) as server:
        yield server


def _base(tmp: Path, upto: str) -> tuple[Path, int]:
    """A vault with one session brought to just before ``upto``."""
    path = tmp / f"base-{upto}.kapv"
    repos = Repos(Vault.create(path, PASSPHRASE, {"name": "Dr Test"}))
    client = repos.clients.add(Client(name="Kill Test", pseudonym="Heron"))
    assert client.id is not None
    s = plan_session(repos, client.id, DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5))
    assert s.id is not None
    # prepared except one ordinary item, so the start's written override is part of the action
    prepare(repos, s, complete_checklist(skip=("rested",)))
    if upto != "start":
        # started two hours ago, so the end is past the minimum wait after the dose
        past = datetime.now(UTC) - timedelta(hours=2)
        run = SessionRunner(repos, s.id, now_utc=lambda: past)
        run.start(readiness_override="Client slept badly but feels settled and wants to go ahead.")
        run.record_vitals(VitalReading(122, 80, 70, 98, past))
        if upto in ("vitals", "end"):
            run.give_dose()
    set_value(repos.vault, DISCHARGE_MIN_IM, 60)
    repos.vault.close()
    return path, s.id


def _state(path: Path, sid: int) -> dict[str, object]:
    vault = Vault.open(path, PASSPHRASE)
    repos = Repos(vault)
    try:
        report = vault.check()
        assert report.ok, report.lines()
        events = [e.kind for e in repos.events.for_session(sid)]
        return {
            "status": repos.sessions.get(sid).status,
            "events": events,
            "vitals": len(repos.vitals.for_session(sid, VitalReading)),
            "debriefs": len(repos.documents.find("integration", session_id=sid)),
            "audit": [r.action for r in vault.audit_entries()],
        }
    finally:
        vault.close()


def _whole_start(before: dict[str, object], after: dict[str, object]) -> bool:
    if after == before:
        return False
    ev = after["events"]
    assert isinstance(ev, list)
    assert after["status"] is SessionStatus.STARTED
    assert ev == [EventKind.SESSION_STARTED, EventKind.BELL]
    audit = after["audit"]
    assert isinstance(audit, list)
    assert "session.start" in audit and "checklist.readiness_override" in audit
    return True


def _whole_dose(before: dict[str, object], after: dict[str, object]) -> bool:
    if after == before:
        return False
    ev = after["events"]
    assert isinstance(ev, list)
    assert after["status"] is SessionStatus.DOSED
    assert ev[-1] is EventKind.DOSE_GIVEN and ev.count(EventKind.DOSE_GIVEN) == 1
    return True


def _whole_vitals(before: dict[str, object], after: dict[str, object]) -> bool:
    if after == before:
        return False
    ev = after["events"]
    assert isinstance(ev, list) and isinstance(before["vitals"], int)
    assert after["vitals"] == before["vitals"] + 1
    assert ev.count(EventKind.VITALS) == after["vitals"]
    return True


def _whole_end(before: dict[str, object], after: dict[str, object]) -> bool:
    if after == before:
        return False
    ev = after["events"]
    assert isinstance(ev, list)
    assert after["status"] is SessionStatus.ENDED
    assert ev.count(EventKind.SESSION_ENDED) == 1 and after["debriefs"] == 1
    return True


CHECKS: dict[str, Callable[[dict[str, object], dict[str, object]], bool]] = {
    "start": _whole_start,
    "dose": _whole_dose,
    "vitals": _whole_vitals,
    "end": _whole_end,
}


@pytest.mark.slow
@pytest.mark.parametrize("action", list(CHECKS))
def test_every_statement_kill_leaves_the_action_whole_or_absent(
    tmp_path: Path, action: str, zygote: Zygote
) -> None:
    base, sid = _base(tmp_path, action)
    before = _state(base, sid)
    whole = absent = 0
    for kill_at in range(1, 200):
        copy = tmp_path / f"{action}-{kill_at}.kapv"
        shutil.copyfile(base, copy)
        child = zygote.spawn(
            HERE / "child_session_action.py",
            [str(copy), str(sid), action],
            {"KAP_KILL_AT": str(kill_at)},
        )
        out, err = child.communicate(timeout=60)
        finished = child.returncode == 0 and out.startswith("done")
        assert finished or child.returncode == -9, err[-2000:]
        after = _state(copy, sid)
        if CHECKS[action](before, after):
            whole += 1
        else:
            assert not finished, "the action reported done but left nothing"
            absent += 1
        for leftover in tmp_path.glob(f"{action}-{kill_at}.kapv*"):
            leftover.unlink()
        if finished:
            break
    else:
        pytest.fail("the action never finished within 200 statements")
    # every statement before the commit was a kill point that left nothing
    assert absent >= 5 and whole >= 1, (absent, whole)
