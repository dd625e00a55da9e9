"""Benchmarks at clinic scale: each figure next to a baseline measured in the same run.

Run by hand: `make bench` (or `.venv/bin/python bench/run.py [--quick]`). Prints one line per
figure and writes bench/results/latest.json. Not a timed test; CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clinic import CACHE, PASSPHRASE, clinic_vault

from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.store.dbapi import connect, quote_key
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

RESULTS: list[dict[str, Any]] = []


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(
    name: str,
    value: float,
    unit: str,
    baseline: float | None = None,
    target: str = "",
    **extra: Any,
) -> None:
    ratio = value / baseline if baseline else None
    line = f"{name:<46} {value:10.3f} {unit:<3}"
    if baseline is not None:
        line += f"  baseline {baseline:9.3f} {unit}  ratio {ratio:5.2f}"
    if target:
        line += f"  target {target}"
    print(line, flush=True)
    RESULTS.append(
        {
            "figure": name,
            "value": value,
            "unit": unit,
            "baseline": baseline,
            "ratio": ratio,
            "target": target,
            **extra,
        }
    )


def bench_unlock(path: Path) -> None:
    def app_open() -> None:
        Vault.open(path, PASSPHRASE).close()

    def bare_open() -> None:
        conn = connect(str(path))
        conn.execute(f"PRAGMA key = {quote_key(PASSPHRASE)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()

    bare_open(), app_open()  # warm the page cache
    app = [timed(app_open, 1)[0] for _ in range(7)]
    bare = [timed(bare_open, 1)[0] for _ in range(7)]
    report(
        "unlock clinic vault (median)",
        statistics.median(app) * 1000,
        "ms",
        statistics.median(bare) * 1000,
        "<= 1.15x",
    )


def bench_search_and_open(repos: Repos) -> None:
    typed = "mara quinn"
    per_key: list[float] = []
    for _ in range(5):
        for k in range(1, len(typed) + 1):
            t = time.perf_counter()
            repos.clients.search(typed[:k])
            per_key.append(time.perf_counter() - t)
    report(
        "client search per keystroke (median)",
        statistics.median(per_key) * 1000,
        "ms",
        target="< 16 ms",
    )
    report("client search per keystroke (p95)", p95(per_key) * 1000, "ms", target="report")
    forty = repos.clients.search("Heron")
    cid = max(forty, key=lambda c: len(repos.sessions.for_client(c.id or 0))).id or 0

    def open_client() -> None:
        repos.clients.view(cid)
        repos.sessions.for_client(cid)
        repos.documents.unsigned(cid)
        repos.flags.active(cid)

    samples = timed(open_client, 30)
    n = len(repos.sessions.for_client(cid))
    report(
        f"open a client with {n} sessions (median)",
        statistics.median(samples) * 1000,
        "ms",
        target="< 16 ms",
    )
    report(f"open a client with {n} sessions (p95)", p95(samples) * 1000, "ms", target="report")


def bench_event(path: Path) -> None:
    vault = Vault.open(path, PASSPHRASE)
    repos = Repos(vault)
    sid = int(vault.read("SELECT max(id) FROM sessions")[0][0])
    app: list[float] = []
    for i in range(200):
        ev = SessionEvent(
            session_id=sid,
            kind=EventKind.OBSERVATION,
            utc=datetime.now(UTC),
            offset_s=float(i),
            payload={"text": "Breathing slow and even."},
        )
        t = time.perf_counter()
        repos.events.add(ev)
        app.append(time.perf_counter() - t)
    vault.close()
    conn = connect(str(path))
    conn.execute(f"PRAGMA key = {quote_key(PASSPHRASE)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    bare: list[float] = []
    for i in range(200):
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO events (session_id, kind, utc, offset_s, payload) VALUES (?,?,?,?,?)",
            (sid, "observation", datetime.now(UTC).isoformat(), float(i), '{"text": "x"}'),
        )
        conn.execute("COMMIT")
        bare.append(time.perf_counter() - t)
    conn.close()
    report(
        "record a session event (median)",
        statistics.median(app) * 1000,
        "ms",
        statistics.median(bare) * 1000,
        "<= 1.3x",
    )
    report("record a session event (p95)", p95(app) * 1000, "ms", p95(bare) * 1000, "report")


def bench_size_and_backup(path: Path, repos: Repos) -> None:
    sessions = int(repos.vault.read("SELECT count(*) FROM sessions")[0][0])
    report(
        "vault size per session",
        path.stat().st_size / sessions / 1024,
        "KiB",
        target="report",
        sessions=sessions,
        bytes=path.stat().st_size,
    )
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        t = time.perf_counter()
        repos.vault.backup_to(Path(tmp) / "b.kapbak")
        backup = time.perf_counter() - t
        t = time.perf_counter()
        shutil.copyfile(path, Path(tmp) / "copy.kapv")
        copy = time.perf_counter() - t
    report("backup of the whole vault", backup, "s", copy, "report")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 clients instead of 1,000")
    args = parser.parse_args()
    path = clinic_vault(clients=100 if args.quick else 1000)
    work = CACHE / "work.kapv"
    shutil.copyfile(path, work)
    print(f"clinic vault: {path.name}")
    bench_unlock(work)
    vault = Vault.open(work, PASSPHRASE)
    repos = Repos(vault)
    bench_search_and_open(repos)
    bench_size_and_backup(work, repos)
    vault.close()
    bench_event(work)
    import export_bench
    import ui_bench

    for figures in (export_bench.run(PASSPHRASE), ui_bench.run(work, PASSPHRASE)):
        for line in figures:
            report(**line)
    out = CACHE / "latest.json"
    out.write_text(
        json.dumps({"when": datetime.now(UTC).isoformat(), "figures": RESULTS}, indent=2)
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
