"""Saving the intake refuses a stray ACE answer with the item's message; nothing is stored."""

from __future__ import annotations

import pytest

from kapcompanion.core.intake import Intake
from kapcompanion.core.models import Client
from kapcompanion.services.screening import INTAKE, current_intake, save_intake
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos


def test_a_stray_ace_answer_is_refused_and_nothing_is_saved(repos: Repos) -> None:
    cid = repos.clients.add(Client(name="Mara Quinn")).id or 0
    stray: list[object] = [True, False, "yes", *([None] * 7)]
    with pytest.raises(VaultError, match="ACE question 3: the answer must be yes or no"):
        save_intake(repos, cid, None, Intake(ace_answers=stray))  # type: ignore[arg-type]
    assert repos.documents.find(INTAKE, client_id=cid) == []
    with pytest.raises(VaultError, match="has 10 items; got 9"):
        save_intake(repos, cid, None, Intake(ace_answers=[None] * 9))
    doc = save_intake(repos, cid, None, Intake(ace_answers=[True, False, *([None] * 8)]))
    assert current_intake(repos, cid)[1].ace_answers[:2] == [True, False]
    assert doc.id is not None
