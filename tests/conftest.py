"""Shared fixtures: every test gets its own app folders (no real user data is touched)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import PASSPHRASE


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("KAPCOMPANION_HOME", str(home))
    monkeypatch.delenv("KAPCOMPANION_PASSPHRASE", raising=False)
    monkeypatch.delenv("KAPCOMPANION_NEW_PASSPHRASE", raising=False)
    return home


@pytest.fixture
def passphrase() -> str:
    return PASSPHRASE


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[object]:
    from kapcompanion.store.vault import Vault

    v = Vault.create(tmp_path / "test.kapv", PASSPHRASE, {"name": "Dr Test", "clinic": "Clinic"})
    yield v
    v.close()


@pytest.fixture
def repos(vault: object) -> object:
    from kapcompanion.store.repos import Repos

    return Repos(vault)  # type: ignore[arg-type]
