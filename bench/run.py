"""Benchmarks at clinic scale: each figure next to a baseline measured in the same run.

Run by hand: `make bench` (or `.venv/bin/python bench/run.py [--quick] [--only GROUP ...]
[--compare bench/results/baseline.json]`). Prints one line per figure and writes
bench/results/latest.json. Not a timed test; CI does not run it.

``--compare`` prints each figure beside a committed reference run and flags (exit status 1)
every figure whose ratio to its same-run baseline (or, for figures without one, whose value)
is more than 20% worse than the reference's.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
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
#: a figure is flagged when its ratio (or value) is this much worse than the reference's
TOLERANCE = 0.20
GROUPS = ("unlock", "search", "backup", "event", "pdf", "check", "clientlist", "start", "memory")


def settle() -> None:
    """Start each group with the disk written back and the collector quiet: a benchmark
    should not pay for the previous one's dirty pages (a backup leaves a gigabyte behind)."""
    gc.collect()
    os.sync()


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
    *,
    key: str,
    **extra: Any,
) -> None:
    """One figure. ``key`` names it for ``--compare`` (the name may carry counts)."""
    ratio = value / baseline if baseline else None
    line = f"{name:<50} {value:10.3f} {unit:<3}"
    if baseline is not None:
        line += f"  baseline {baseline:9.3f} {unit}  ratio {ratio:5.2f}"
    if target:
        line += f"  target {target}"
    print(line, flush=True)
    RESULTS.append(
        {
            "key": key,
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
        key="unlock",
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
        key="search.store.median",
    )
    report(
        "client search per keystroke (p95)",
        p95(per_key) * 1000,
        "ms",
        target="report",
        key="search.store.p95",
    )
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
        key="open.median",
    )
    report(
        f"open a client with {n} sessions (p95)",
        p95(samples) * 1000,
        "ms",
        target="report",
        key="open.p95",
    )


def bench_event(path: Path, rounds: int = 3) -> None:
    """The session runner's path (``Events.add`` with the client known) against a bare insert
    and commit on the same file, in alternating rounds so both see the same machine."""
    app: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for _ in range(rounds):
        app += _app_events(path, 100)
        bare += _bare_events(path, 100)
    for label, index, key in (("", 0, "event"), (", CPU time", 1, "event.cpu")):
        a = [x[index] for x in app]
        b = [x[index] for x in bare]
        report(
            f"record a session event{label} (median)",
            statistics.median(a) * 1000,
            "ms",
            statistics.median(b) * 1000,
            "<= 1.2x" if not index else "report",
            key=f"{key}.median",
        )
        report(
            f"record a session event{label} (p95)",
            p95(a) * 1000,
            "ms",
            p95(b) * 1000,
            "report",
            key=f"{key}.p95",
        )


def _app_events(path: Path, n: int) -> list[tuple[float, float]]:
    vault = Vault.open(path, PASSPHRASE)
    repos = Repos(vault)
    sid, cid = vault.read("SELECT id, client_id FROM sessions ORDER BY id DESC LIMIT 1")[0]
    out: list[tuple[float, float]] = []
    settle()
    for i in range(n):
        ev = SessionEvent(
            session_id=sid,
            kind=EventKind.OBSERVATION,
            utc=datetime.now(UTC),
            offset_s=float(i),
            payload={"text": "Breathing slow and even."},
        )
        t, c = time.perf_counter(), time.thread_time()
        repos.events.add(ev, cid)  # as services.session does: the runner knows its client
        out.append((time.perf_counter() - t, time.thread_time() - c))
    vault.close()
    return out


def _bare_events(path: Path, n: int) -> list[tuple[float, float]]:
    conn = connect(str(path))
    conn.execute(f"PRAGMA key = {quote_key(PASSPHRASE)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    sid = conn.execute("SELECT max(id) FROM sessions").fetchone()[0]
    out: list[tuple[float, float]] = []
    settle()
    for i in range(n):
        t, c = time.perf_counter(), time.thread_time()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO events (session_id, kind, utc, offset_s, payload) VALUES (?,?,?,?,?)",
            (sid, "observation", datetime.now(UTC).isoformat(), float(i), '{"text": "x"}'),
        )
        conn.execute("COMMIT")
        out.append((time.perf_counter() - t, time.thread_time() - c))
    conn.close()
    return out


def bench_check(path: Path) -> None:
    """``vault check`` of the whole vault, as the command line runs it (progress included)."""
    vault = Vault.open(path, PASSPHRASE)
    phases: dict[str, float] = {}
    current = ["opening"]
    last = [time.perf_counter()]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        phases[current[0]] = phases.get(current[0], 0.0) + now - last[0]
        current[0], last[0] = phase, now

    settle()
    t = time.perf_counter()
    last[0] = t
    result = vault.check(progress=progress)
    took = time.perf_counter() - t
    progress("done", 0, 0)
    phases.pop("opening", None)
    vault.close()
    report(
        f"vault check ({result.audit_rows:,} audit entries)",
        took,
        "s",
        target="< 30 s",
        key="check",
        ok=result.ok,
        phases=phases,
    )
    print("    " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()), flush=True)


def bench_size_and_backup(path: Path, repos: Repos) -> None:
    sessions = int(repos.vault.read("SELECT count(*) FROM sessions")[0][0])
    report(
        "vault size per session",
        path.stat().st_size / sessions / 1024,
        "KiB",
        target="report",
        key="size",
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
    report("backup of the whole vault", backup, "s", copy, "report", key="backup")


def compare(reference_path: Path, results: list[dict[str, Any]]) -> int:
    """Print each figure beside the reference run's; return how many worsened by > 20%."""
    reference = json.loads(reference_path.read_text())
    known = {f.get("key", f["figure"]): f for f in reference["figures"]}
    print(
        f"\ncompared with {reference_path} ({reference.get('when', '?')[:16]},"
        f" load {reference.get('load_at_start', [float('nan')])[0]:.1f}):"
    )
    worse = 0
    for fig in results:
        ref = known.get(fig["key"])
        if ref is None:
            print(f"  {fig['figure']:<50} (not in the reference run)")
            continue
        if fig["ratio"] is not None and ref.get("ratio"):
            now, then, what = fig["ratio"], ref["ratio"], "ratio"
        else:
            now, then, what = fig["value"], ref["value"], fig["unit"]
        change = now / then - 1 if then else 0.0
        flag = "  WORSE" if change > TOLERANCE else ""
        worse += bool(flag)
        print(f"  {fig['figure']:<50} {what:>5} {then:9.3f} -> {now:9.3f} ({change:+6.1%}){flag}")
    return worse


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 clients instead of 1,000")
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        metavar="GROUP",
        help=f"run only this group of figures (repeatable): {', '.join(GROUPS)}",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="JSON",
        help="a reference run (e.g. bench/results/baseline.json): print each figure beside it "
        "and exit 1 if any ratio is more than 20%% worse",
    )
    parser.add_argument(
        "--save", type=Path, metavar="JSON", help="also write this run's figures to JSON"
    )
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    print(f"load average: {load_at_start[0]:.1f} (figures from a busy machine are not comparable)")
    wanted = set(args.only or GROUPS)
    clinic = {"unlock", "search", "backup", "event", "check", "clientlist", "memory"} & wanted
    work = CACHE / "work.kapv"
    if clinic:
        path = clinic_vault(clients=100 if args.quick else 1000)
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm"), Path(f"{work}.anchors")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(path, work)
        print(f"clinic vault: {path.name}")
    settle()
    if "unlock" in wanted:
        bench_unlock(work)
    if wanted & {"search", "backup"}:
        vault = Vault.open(work, PASSPHRASE)
        repos = Repos(vault)
        if "search" in wanted:
            settle()
            bench_search_and_open(repos)
        if "backup" in wanted:
            settle()
            bench_size_and_backup(work, repos)
        vault.close()
    if "check" in wanted:
        bench_check(work)
    if "event" in wanted:
        bench_event(work)
    if "pdf" in wanted:
        import export_bench

        settle()
        for line in export_bench.run(PASSPHRASE):
            report(**line)
    if wanted & {"clientlist", "start", "memory"}:
        import ui_bench

        settle()
        for line in ui_bench.run(work, PASSPHRASE, wanted):
            report(**line)
    out = CACHE / "latest.json"
    CACHE.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} ({os.cpu_count()} cores)")
    text = json.dumps(
        {
            "when": datetime.now(UTC).isoformat(),
            "load_at_start": load_at_start,
            "load_at_end": load,
            "figures": RESULTS,
        },
        indent=2,
    )
    out.write_text(text)
    print(f"wrote {out}")
    if args.save:
        args.save.write_text(text + "\n")
        print(f"wrote {args.save}")
    if args.compare:
        worse = compare(args.compare, RESULTS)
        print(f"{worse} figure(s) more than {TOLERANCE:.0%} worse" if worse else "none worse")
        return 1 if worse else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
