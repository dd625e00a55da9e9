"""SIGKILL at random moments loses nothing acknowledged and never leaves a broken vault."""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import CHILD_PATH_TESTS, PASSPHRASE
from zygote import Forked, Zygote

from kapcompanion.core.models import Client, DosingSession
from kapcompanion.store.errors import WrongPassphraseOrDamaged
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

HERE = Path(__file__).parent
NEW = "the second passphrase"


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """Children forked ready-imported (tests/zygote.py), so the rounds are about the kill."""
    env = dict(os.environ, PYTHONPATH=CHILD_PATH_TESTS, KAPCOMPANION_PASSPHRASE=PASSPHRASE)
    with Zygote(["kapcompanion.store.repos", "kapcompanion.store.vault"], env) as server:
        yield server


def _kill_after(proc: Forked, delay: float) -> list[str]:
    """Let the child run ``delay`` seconds after it is ready, SIGKILL it, return its lines."""
    assert proc.stdout is not None
    first = proc.stdout.readline()
    lines = [first.strip()] if first else []
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    lines += [ln.strip() for ln in out.splitlines() if ln.strip()]
    return lines


@pytest.mark.slow
def test_events_survive_sigkill(tmp_path: Path, zygote: Zygote) -> None:
    path = tmp_path / "kill.kapv"
    v = Vault.create(path, PASSPHRASE, {"name": "Dr Test"})
    repos = Repos(v)
    client = repos.clients.add(Client(name="Kill Test"))
    assert client.id is not None
    session = repos.sessions.save(DosingSession(client_id=client.id))
    v.close()
    rng = random.Random(20261121)
    acknowledged: set[int] = set()
    for _round in range(50):
        proc = zygote.spawn(HERE / "child_event_writer.py", [str(path), str(session.id)])
        lines = _kill_after(proc, rng.uniform(0.0, 0.25))
        acknowledged |= {int(x) for x in lines if x.isdigit()}
    assert len(acknowledged) > 100
    v = Vault.open(path, PASSPHRASE)
    stored = {e.id for e in Repos(v).events.for_session(session.id or 0)}
    report = v.check()
    v.close()
    assert acknowledged <= stored
    assert report.ok, report.lines()


@pytest.mark.slow
def test_rekey_killed_at_random_leaves_exactly_one_passphrase(
    tmp_path: Path, zygote: Zygote
) -> None:
    base = tmp_path / "base.kapv"
    v = Vault.create(base, PASSPHRASE, {"name": "Dr Test"})
    Repos(v).clients.add(Client(name="Keep Me"))
    v.close()
    new = {"KAPCOMPANION_NEW_PASSPHRASE": NEW}
    # How long a whole rekey takes on this machine, so the kills fall before, during and
    # after it (the longest of three, the kills spread over twice that).
    spans = []
    for i in range(3):
        shutil.copyfile(base, tmp_path / f"probe{i}.kapv")
        proc = zygote.spawn(HERE / "child_rekey.py", [str(tmp_path / f"probe{i}.kapv")], new)
        assert proc.stdout.readline().strip() == "ready"
        began = time.monotonic()
        assert proc.stdout.readline().strip() == "done"
        spans.append(time.monotonic() - began)
        proc.communicate(timeout=30)
        assert proc.returncode == 0
    window = 2 * max(spans)
    rng = random.Random(7)
    outcomes = {"old": 0, "new": 0}
    for i in range(30):
        path = tmp_path / f"r{i}.kapv"
        shutil.copyfile(base, path)
        proc = zygote.spawn(HERE / "child_rekey.py", [str(path)], new)
        _kill_after(proc, rng.uniform(0.0, window))
        opened = []
        for label, pw in (("old", PASSPHRASE), ("new", NEW)):
            try:
                vv = Vault.open(path, pw)
            except WrongPassphraseOrDamaged:
                continue
            names = [c.name for c in Repos(vv).clients.search()]
            ok = vv.check().ok
            vv.close()
            assert names == ["Keep Me"] and ok
            opened.append(label)
        assert len(opened) == 1, f"round {i}: opened with {opened}"
        outcomes[opened[0]] += 1
    assert outcomes["old"] + outcomes["new"] == 30
    # kills landed on both sides of the switch (the rounds tested something)
    assert outcomes["old"] >= 1 and outcomes["new"] >= 1, (outcomes, spans)
