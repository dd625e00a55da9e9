"""Build (once) and cache a clinic-scale vault: the figures of issue 10.

1,000 clients, 12,000 dosing sessions with about 50 events and 8 vitals each, 24,000 integration
entries, 30,000 measure responses and the audit trail those imply, made by the demo generator
through the real session runner. One client ("Bench Forty") has 40 sessions.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from kapcompanion.core.measures import MeasureContext, instrument, record_response
from kapcompanion.core.models import StoredDocument
from kapcompanion.core.serial import to_jsonable
from kapcompanion.demo import PRACTITIONER, fill_demo
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

PASSPHRASE = "bench passphrase 2026"
CACHE = Path(os.environ.get("KAP_BENCH_CACHE", Path(__file__).parent / "results"))
GENERATOR_VERSION = 1


def clinic_vault(clients: int = 1000, sessions_per_client: int = 12) -> Path:
    """The cached clinic-scale vault (built on first use; ~10 minutes on a laptop)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"clinic-{clients}x{sessions_per_client}-v{GENERATOR_VERSION}.kapv"
    if path.exists():
        return path
    partial = path.with_suffix(".building")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    vault = Vault.create(partial, PASSPHRASE, PRACTITIONER)
    repos = Repos(vault)
    batch = 50
    for first in range(0, clients, batch):
        n = min(batch, clients - first)
        fill_demo(
            repos,
            clients=n,
            seed=1000 + first,
            sessions_per_client=sessions_per_client,
            events_per_session=40,
        )
        print(
            f"  built {first + n}/{clients} clients ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    _extra_measures(repos, clients)
    fill_demo(repos, clients=1, seed=40, sessions_per_client=40, events_per_session=40)
    vault.close()
    partial.rename(path)
    log = Path(f"{partial}.anchors")  # the anchor log noted at close goes with the vault
    if log.exists():
        log.rename(Path(f"{path}.anchors"))
    return path


def _extra_measures(repos: Repos, clients: int) -> None:
    """Top the measures up to ~30 per client (the demo takes 2 per session)."""
    from datetime import UTC, datetime

    phq = instrument("phq9")
    ids = [r[0] for r in repos.vault.read("SELECT id FROM clients ORDER BY id")]
    with repos.vault.transaction():
        for cid in ids[:clients]:
            for k in range(6):
                answers = {i + 1: (k + i) % 3 if i < 8 else 0 for i in range(9)}
                resp = record_response(
                    phq,
                    answers,
                    taken_on=datetime(2025, 1, 1 + k, tzinfo=UTC),
                    context=MeasureContext.OTHER,
                )
                repos.documents.save(
                    StoredDocument(kind="measure", client_id=cid, data=to_jsonable(resp))
                )
