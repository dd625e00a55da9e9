"""Audit actions in words (issue 22: the audit view showed "sign.failed", "course_plan 232")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kapcompanion.core.audit_words import RECORDS, action_words, record_words

SOURCE = Path(__file__).resolve().parents[2] / "kapcompanion"
#: an audit action written as a literal: vault.audit("x.y", ...), action="x.y", _audit("x.y"
LITERAL = re.compile(r"""(?:audit\(\s*|action=|_audit\(\s*)"([a-z_]+(?:\.[a-z_0-9]+)+)\"""")


def actions_in_the_code() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        found |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_scan_finds_the_actions() -> None:
    found = actions_in_the_code()
    assert {"sign.failed", "vault.unlock", "client.view", "flag.raise"} <= found, found
    assert len(found) > 40


@pytest.mark.parametrize("action", sorted(actions_in_the_code()))
def test_every_action_in_the_code_reads_as_words(action: str) -> None:
    words = action_words(action)
    assert "." not in words and "_" not in words, words
    assert words[0].isupper(), words


@pytest.mark.parametrize("kind", sorted({"checklist", "course_plan", "intake", "measure"}))
def test_every_document_kind_reads_as_words(kind: str) -> None:
    for verb, done in (("create", "created"), ("update", "changed"), ("sign", "signed")):
        words = action_words(f"{kind}.{verb}")
        assert words == f"{RECORDS[kind].capitalize()} {done}"


def test_examples_from_the_walk() -> None:
    assert action_words("sign.failed") == "Signing refused (wrong passphrase or PIN)"
    assert action_words("course_plan.create") == "Course plan created"
    assert action_words("client.view") == "Client viewed"
    assert action_words("vault.migrate.v5") == "Vault upgraded (schema 5)"
    assert action_words("session.dose_not_drawn") == (
        "Dose not booked in the ledger (reason given)"
    )
    assert action_words("event.observation") == "Session event: therapist observation"
    assert action_words("brand_new.thing") == "Brand new thing"  # unknown: still words
    assert record_words("course_plan", 232) == "course plan 232"
    assert record_words("vault") == "vault"
    assert record_words(None, None) == ""
