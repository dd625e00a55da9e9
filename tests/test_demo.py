"""The demo generator: deterministic for a seed and a day, and it shows every record kind."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from support import PASSPHRASE

from kapcompanion.demo import build_demo_vault

DAY = date(2026, 3, 2)


def _fingerprint(path: Path, seed: int) -> tuple[object, ...]:
    vault = build_demo_vault(path, PASSPHRASE, clients=3, seed=seed, today=DAY)
    try:
        counts = vault.stats()["counts"]
        names = vault.read("SELECT name, pseudonym, dob FROM clients ORDER BY id")
        events = vault.read("SELECT kind, offset_s, payload FROM events ORDER BY id")
        doses = vault.read("SELECT data FROM sessions ORDER BY id")
        assert vault.check().ok
    finally:
        vault.close()
    return counts, names, events, doses


def test_same_seed_same_content(tmp_path: Path) -> None:
    a = _fingerprint(tmp_path / "a.kapv", 7)
    b = _fingerprint(tmp_path / "b.kapv", 7)
    assert a == b
    assert _fingerprint(tmp_path / "c.kapv", 8)[2] != a[2]


def test_every_record_kind_is_there(tmp_path: Path) -> None:
    counts, *_ = _fingerprint(tmp_path / "d.kapv", 7)
    assert isinstance(counts, dict)
    for kind in (
        "clients",
        "courses",
        "sessions",
        "events",
        "vitals",
        "addenda",
        "audit",
        "documents.screening",
        "documents.intake",
        "documents.checklist",
        "documents.integration",
        "documents.measure",
        "documents.course_plan",
    ):
        assert counts.get(kind, 0) > 0, kind
