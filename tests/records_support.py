"""A clinic vault with realistic clients for the records screens (signing, addenda,
documents, audit, export): built once per run by the demo generator, copied per test.

Client 1 has two ended sessions (the first signed, with a signed checklist and an
addendum; the second ended and unsigned), a planned third, and unsigned documents
(screening, intake, measures, integration entries, a checklist). Client 2 is alike.

The fixtures are imported by the records test modules (``from records_support import
records_template, records_window``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import PASSPHRASE

from kapcompanion.demo import PRACTITIONER, fill_demo
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

SIGNER = str(PRACTITIONER["name"])


def build_records_vault(path: Path) -> Path:
    vault = Vault.create(path, PASSPHRASE, PRACTITIONER)
    try:
        fill_demo(Repos(vault), clients=2, seed=7, sessions_per_client=2, events_per_session=4)
    finally:
        vault.close()
    return path


def copy_of(template: Path, folder: Path, name: str = "records.kapv") -> Path:
    target = folder / name
    shutil.copyfile(template, target)
    return target


_built: dict[str, Path] = {}


@pytest.fixture(scope="session")
def records_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Each importing module gets its own copy of a session fixture; build the vault once.
    if "template" not in _built or not _built["template"].is_file():
        _built["template"] = build_records_vault(
            tmp_path_factory.mktemp("records") / "template.kapv"
        )
    return _built["template"]


@pytest.fixture
def records_window(
    records_template: Path, tmp_path: Path, window_factory: Callable[..., Any]
) -> Any:
    """A shown main window unlocked on a copy of the records vault (the real shell's ctx)."""
    vault = Vault.open(copy_of(records_template, tmp_path), PASSPHRASE)
    window = window_factory()
    window.show()
    window.enter(vault)
    return window
