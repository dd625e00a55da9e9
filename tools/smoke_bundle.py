"""Packaging smoke test: build the one-folder bundle, then use the frozen executable headless.

Run by `.ci/run` after the tests (`make smoke`). It builds with PyInstaller from build.spec, then
with the frozen `kapcompanion`: prints its version and what it can do (`doctor`), creates a demo
vault, checks it, lists its sessions, exports a session PDF (read back with pypdf), reads a shipped
playlist from inside the bundle, and starts the GUI offscreen on a demo vault for a few seconds and
quits cleanly. Every step's output is asserted; any failure exits non-zero with one line saying
which step failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "smoke test passphrase"  # noqa: S105 - a throw-away demo vault


def fail(step: str, detail: str) -> None:
    print(f"SMOKE FAILED at {step}: {detail.strip()[-2000:]}", file=sys.stderr)
    raise SystemExit(1)


def run(step: str, args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    print(f"smoke: {step}", flush=True)
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        fail(step, f"no answer within {timeout} s")
    if done.returncode != 0:
        fail(step, f"exit {done.returncode}: {done.stdout}\n{done.stderr}")
    return done.stdout


def build(dist: Path, work: Path) -> Path:
    from kapcompanion import __version__

    run(
        "build",
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(ROOT / "build.spec"),
        ],
        dict(os.environ),
        timeout=1200,
    )
    exe = dist / f"kapcompanion-{__version__}" / "kapcompanion"
    if not exe.is_file():
        fail("build", f"no executable at {exe}")
    return exe


def main() -> int:
    from pypdf import PdfReader

    tmp = Path(tempfile.mkdtemp(prefix="kap-smoke-"))
    try:
        exe = build(Path(os.environ.get("KAP_SMOKE_DIST", ROOT / "dist")), tmp / "work")
        home = tmp / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(
            KAPCOMPANION_HOME=str(home),
            KAPCOMPANION_PASSPHRASE=PASSPHRASE,
            QT_QPA_PLATFORM="offscreen",
        )
        env["PATH"] = "/usr/bin:/bin"  # nothing from the build's virtual environment

        from kapcompanion import __version__

        if __version__ not in run("version", [str(exe), "--version"], env):
            fail("version", "the frozen app does not report the package version")
        doctor = json.loads(run("doctor", [str(exe), "doctor", "--json"], env))
        if not doctor["sqlcipher"].startswith("4."):
            fail("doctor", f"SQLCipher not carried: {doctor}")
        if doctor["shipped_tracks"] < 10 or doctor["playlists"] != 5 or doctor["fonts"] < 3:
            fail("doctor", f"resources missing from the bundle: {doctor}")
        has_vlc = Path("/usr/lib/x86_64-linux-gnu/libvlc.so.5").exists()
        if has_vlc and not doctor["music_backend"].startswith("libvlc 3"):
            fail("doctor", f"libvlc not usable inside the bundle: {doctor['music_backend']}")

        vault = tmp / "demo.kapv"
        run("vault demo", [str(exe), "vault", "demo", str(vault), "--clients", "3"], env)
        if "Vault check: OK" not in run(
            "vault check", [str(exe), "vault", "check", str(vault)], env
        ):
            fail("vault check", "no OK line")
        sessions = json.loads(
            run("vault list", [str(exe), "vault", "list", str(vault), "sessions", "--json"], env)
        )
        ended = [s for s in sessions if s["status"] == "ended"]
        if not ended:
            fail("vault list", "the demo vault has no ended session")
        pdf = tmp / "session.pdf"
        run(
            "export session",
            [
                str(exe),
                "export",
                "session",
                "--vault",
                str(vault),
                "--session",
                str(ended[0]["id"]),
                "--out",
                str(pdf),
            ],
            env,
        )
        text = "".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
        if "session record" not in text.lower() or "Page 1 of" not in text:
            fail("export session", "the PDF does not read back as a session record")
        fhir = tmp / "record.json"  # fhir.resources imports element models lazily: prove they froze
        run(
            "export fhir",
            [
                str(exe), "export", "fhir", "--vault", str(vault),
                "--client", str(ended[0]["client_id"]), "--out", str(fhir),
            ],
            env,
        )  # fmt: skip
        if '"resourceType": "Bundle"' not in fhir.read_text(encoding="utf-8").replace(
            '":"', '": "'
        ):
            fail("export fhir", "the file is not a FHIR Bundle")
        bundle = exe.parent / "_internal"
        playlist = json.loads(
            run(
                "playlist show",
                [str(exe), "playlist", "show", str(bundle / "playlists" / "peak.m3u8"), "--json"],
                env,
            )
        )
        tracks = playlist.get("tracks", [])
        if not tracks or any(t.get("missing") for t in tracks):
            fail(
                "playlist show", f"shipped playlist does not resolve inside the bundle: {playlist}"
            )
        run("gui", [str(exe), "--demo", "--quit-after", "4000"], env, timeout=90)
        log = home / "logs" / "kapcompanion.log"
        if not log.exists() or "Traceback" in log.read_text(encoding="utf-8", errors="replace"):
            fail("gui", "the GUI run left no log or logged a traceback")
        print("smoke: all steps passed")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
