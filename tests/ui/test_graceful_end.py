"""A graceful end (issue 20, item 8) and one copy per vault (item 1), with real processes.

SIGTERM or SIGHUP to the app during a dosing session: exit 0, the half-typed note saved as the
draft, the vault checkpointed and closed (no -wal, -shm or lock left), the session still running
so the next start resumes it. A second launch on the same vault brings the first to the front
and exits; a copy that does not answer is told apart."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalServer
from pytestqt.qtbot import QtBot
from support import CHILD_PATH_TESTS, PASSPHRASE

from kapcompanion.core.models import SessionStatus
from kapcompanion.paths import app_dirs
from kapcompanion.store import lock
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.app import Answer, InstanceServer, ask_running_copy, instance_name

HERE = Path(__file__).parent


def env(home: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=CHILD_PATH_TESTS,
        KAPCOMPANION_PASSPHRASE=PASSPHRASE,
        KAPCOMPANION_HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
    )


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    made: list[subprocess.Popen[str]] = []
    yield made
    for proc in made:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_session_ends_gracefully(
    tmp_path: Path,
    template_vault: Path,
    procs: list[subprocess.Popen[str]],
    signum: signal.Signals,
) -> None:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    typed = "Client asked for the blanket, then settled"
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "child_gui_quit.py"), str(path), typed],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(tmp_path / "home"),
    )
    procs.append(proc)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    assert line[:1] == ["ready"], (line, proc.stderr.read() if proc.stderr else "")
    session_id = int(line[1])
    assert lock.holder(path) is not None
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    for leftover in ("-wal", "-shm", ".lock"):
        assert not Path(f"{path}{leftover}").exists(), leftover
    vault = Vault.open(path, PASSPHRASE)
    try:
        draft = vault.get_json(f"session_entry_draft.{session_id}")
        assert isinstance(draft, dict) and draft.get("text") == typed
        repos = Repos(vault)
        session = repos.sessions.get(session_id)
        assert session.status is SessionStatus.DOSED  # still running: it resumes at next start
        assert [s.id for s in repos.sessions.running()] == [session_id]
        closes = [r for r in vault.audit_entries() if r.action == "vault.lock"]
        assert closes and closes[0].detail == "quit"
    finally:
        vault.close()


def test_the_running_copy_answers_a_second_launch(tmp_path: Path, qtbot: QtBot) -> None:
    vault = tmp_path / "clinic.kapv"
    vault.write_bytes(b"")
    raised: list[bool] = []
    server = InstanceServer(lambda: raised.append(True))
    try:
        assert server.listen(vault)
        ask = subprocess.Popen(
            [sys.executable, "-c", ASK, str(vault)],
            stdout=subprocess.PIPE,
            text=True,
            env=env(tmp_path / "home"),
        )
        qtbot.waitUntil(lambda: ask.poll() is not None, timeout=20_000)
        out, _ = ask.communicate()
        assert out.strip() == Answer.RAISED.value
        assert raised == [True]
    finally:
        server.close()
    assert ask_running_copy(vault, timeout_ms=300) is Answer.NONE


def test_a_copy_that_does_not_answer_is_told_apart(tmp_path: Path) -> None:
    vault = tmp_path / "clinic.kapv"
    hung = QLocalServer()  # accepts, never answers (the event loop is not running here)
    assert hung.listen(instance_name(vault))
    try:
        started = time.monotonic()
        assert ask_running_copy(vault, timeout_ms=500) is Answer.HUNG
        assert time.monotonic() - started < 5
    finally:
        hung.close()


ASK = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from kapcompanion.ui.app import ask_running_copy
app = QCoreApplication([])
print(ask_running_copy(Path(sys.argv[1])).value, flush=True)
"""


def test_a_second_app_on_the_same_vault_defers_to_the_first(
    tmp_path: Path, template_vault: Path, procs: list[subprocess.Popen[str]]
) -> None:
    home = tmp_path / "home"
    dirs = app_dirs(home).ensure()
    shutil.copyfile(template_vault, dirs.default_vault)
    first = subprocess.Popen(
        [sys.executable, "-m", "kapcompanion"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(home),
    )
    procs.append(first)
    deadline = time.monotonic() + 60
    while ask_running_copy(dirs.default_vault, timeout_ms=500) is not Answer.RAISED:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first copy never listened"
        time.sleep(0.2)
    second = subprocess.run(
        [sys.executable, "-m", "kapcompanion"],
        capture_output=True,
        text=True,
        env=env(home),
        timeout=60,
    )
    assert second.returncode == 0, second.stderr
    log_text = "".join(p.read_text() for p in dirs.logs.glob("*.log*"))
    assert "brought to the front" in log_text
    assert first.poll() is None  # the first copy is untouched
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=60)
    assert first.returncode == 0


def test_start_tidies_what_killed_runs_left(tmp_path: Path) -> None:
    from kapcompanion.ui.app import tidy_at_start

    dirs = app_dirs(tmp_path / "home").ensure()
    orphan = dirs.backups / ".vault-20260101.kapbak.partial-0badf00d"
    orphan.write_bytes(b"junk")
    Path(f"{orphan}-journal").write_bytes(b"junk")
    creating = dirs.data / ".vault.kapv.creating-0badf00d"
    creating.write_bytes(b"junk")
    kept = dirs.backups / "vault-20260101.kapbak"
    kept.write_bytes(b"a real backup")
    demo = tmp_path / "kapcompanion-demo-killed"
    demo.mkdir()
    (demo / "demo.kapv").write_bytes(b"encrypted")
    mark = lock.register_demo(demo, dirs.runtime)
    assert mark._fd is not None
    os.close(mark._fd)  # the owner dies without cleaning up: the lock goes, the mark stays
    mark._fd = None
    tidy_at_start(dirs)
    assert not orphan.exists() and not Path(f"{orphan}-journal").exists()
    assert not creating.exists() and not demo.exists()
    assert kept.read_bytes() == b"a real backup"
    assert not list(dirs.runtime.glob("demo-*"))
