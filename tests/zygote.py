"""A fork server for the kill tests: child processes that start in milliseconds.

The kill tests start a child process per round (hundreds in all) and SIGKILL it at some moment;
most of each child's time went on starting Python and importing the app (about 0.35 s, more
with Qt). A *zygote* is started once per test module: it imports what the children need and
waits. For each child it forks; the fork runs the child script as ``__main__`` with its own
arguments, environment, stdout (a pipe the test reads) and stderr (a file), exactly as a fresh
process would after its imports. The child is a real process: it opens its own vault
connection, is killed with a real SIGKILL, and its exit status comes back from ``waitpid``.

No vault, connection or QApplication exists in the zygote before it forks (it only imports), so
nothing is shared that a fresh process would not have.

    with Zygote(["kapcompanion.store.vault"], env) as zygote:
        child = zygote.spawn(script, ["a", "b"], {"KAP_KILL_AT": "3"})
        first = child.stdout.readline()
        child.kill()
        out, err = child.communicate(timeout=30)
        assert child.returncode == -9
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO, Any

_MESSAGE = 65536


class Forked:
    """One child forked by the zygote (the parts of ``subprocess.Popen`` the tests use)."""

    def __init__(self, zygote: Zygote, pid: int, stdout: IO[str], stderr_path: Path) -> None:
        self._zygote = zygote
        self.pid = pid
        self.stdout = stdout
        self._stderr_path = stderr_path
        self.returncode: int | None = None

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # gone: its status waits in the zygote
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = self._zygote._wait(self.pid)
        return self.returncode

    def communicate(self, timeout: float = 60.0) -> tuple[str, str]:
        """The rest of stdout (until the child is gone), then stderr; sets ``returncode``."""
        timed_out: list[bool] = []

        def overdue() -> None:
            timed_out.append(True)
            self.kill()

        timer = threading.Timer(timeout, overdue)
        timer.start()
        try:
            out = self.stdout.read()  # until the child's end closes the pipe
        finally:
            timer.cancel()
        self.stdout.close()
        self.wait()
        err = self._stderr_path.read_text(errors="replace")
        self._stderr_path.unlink(missing_ok=True)
        if timed_out:
            raise subprocess.TimeoutExpired(str(self.pid), timeout, out, err)
        return out, err


class Zygote:
    """Starts the server process; ``spawn`` forks children from it."""

    def __init__(self, preload: list[str], env: dict[str, str], timeout: float = 120.0) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._folder = Path(tempfile.mkdtemp(prefix="kapc-zygote-"))
        self._proc = subprocess.Popen(
            [sys.executable, __file__, str(theirs.fileno()), *preload],
            pass_fds=(theirs.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        theirs.close()
        self._sock.settimeout(timeout)
        reply = self._receive()
        if reply.get("ready") is not True:
            raise RuntimeError(f"the zygote did not start: {reply}")

    def spawn(self, script: Path, args: list[str], env: dict[str, str] | None = None) -> Forked:
        read_end, write_end = os.pipe()
        err_path = self._folder / f"stderr-{time.monotonic_ns()}"
        err_fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        request = {"op": "spawn", "script": str(script), "args": args, "env": env or {}}
        try:
            socket.send_fds(self._sock, [json.dumps(request).encode()], [write_end, err_fd])
        finally:
            os.close(write_end)
            os.close(err_fd)
        reply = self._receive()
        return Forked(self, int(reply["pid"]), os.fdopen(read_end, "r"), err_path)

    def _wait(self, pid: int) -> int:
        self._sock.send(json.dumps({"op": "wait", "pid": pid}).encode())
        return int(self._receive()["code"])

    def _receive(self) -> dict[str, Any]:
        data = self._sock.recv(_MESSAGE)
        if not data:
            _, err = self._proc.communicate(timeout=10)
            raise RuntimeError(f"the zygote ended: {err[-2000:]}")
        reply: dict[str, Any] = json.loads(data)
        return reply

    def close(self) -> None:
        self._sock.close()  # the server sees EOF and exits
        try:
            self._proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
        for leftover in self._folder.iterdir():
            leftover.unlink()
        self._folder.rmdir()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- the server -------------------------------------------------------------------------------
def _run_child(sock: socket.socket, fds: list[int], request: dict[str, Any]) -> None:
    """In the fork: become the child script and never return."""
    code = 1
    try:
        sock.close()
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in fds:
            os.close(fd)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.environ.update(request["env"])
        sys.argv = [request["script"], *request["args"]]
        runpy.run_path(request["script"], run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _serve(fd: int, preload: list[str]) -> None:
    sock = socket.socket(fileno=fd)
    for name in preload:
        importlib.import_module(name)
    sock.send(json.dumps({"ready": True}).encode())
    while True:
        message, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 2)
        if not message:
            return
        request = json.loads(message)
        if request["op"] == "spawn":
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _run_child(sock, fds, request)
            for child_fd in fds:
                os.close(child_fd)
            sock.send(json.dumps({"pid": pid}).encode())
        elif request["op"] == "wait":
            _, status = os.waitpid(int(request["pid"]), 0)
            sock.send(json.dumps({"code": os.waitstatus_to_exitcode(status)}).encode())


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2:])
