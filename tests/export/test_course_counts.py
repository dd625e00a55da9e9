"""The course summary counts flagged readings and alerts per session in two queries; the
counts are those made by loading every reading and event of each session."""

from __future__ import annotations

from typing import Any

import pytest

from kapcompanion.export import records

Built = Any


def test_counted_by_the_vault_as_by_loading_each_session(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = records.gather_course(built.repos, built.client_id)
    assert records._client_counts(built.repos, built.client_id) is not None
    monkeypatch.setattr(records, "_client_counts", lambda *_a: None)  # count per session
    slow = records.gather_course(built.repos, built.client_id)
    assert fast.sessions == slow.sessions
    assert any(row.flagged_vitals for row in slow.sessions)
    assert any(row.alerts for row in slow.sessions)
