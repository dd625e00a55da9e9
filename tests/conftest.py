"""Shared fixtures: every test gets its own app folders (no real user data is touched).

Every test that needs a display (everything under tests/ui, and any test that uses pytest-qt's
``qtbot`` or ``qapp``) is marked ``gui`` here, so ``pytest -m "not gui"`` is the quick loop
and no test has to remember the marker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import PASSPHRASE, TEST_KDF_ITER


def _lower_kdf() -> None:
    """Vaults of the suite use few PBKDF2 iterations (here and in the children it starts).

    SQLCipher's process-wide default is lowered, so the product code runs unchanged; see
    tests/kdf_boot/sitecustomize.py for children and tests/store/test_kdf.py for the check
    that the real entry point still uses the full count.
    """
    if os.environ.get("KAPC_TEST_FULL_KDF"):
        os.environ.pop("KAPC_TEST_KDF_ITER", None)
        return
    import sqlcipher3

    os.environ["KAPC_TEST_KDF_ITER"] = str(TEST_KDF_ITER)
    conn = sqlcipher3.connect(":memory:")
    conn.execute(f"PRAGMA cipher_default_kdf_iter = {TEST_KDF_ITER}")
    conn.close()


_lower_kdf()

UI_TESTS = Path(__file__).parent / "ui"
#: pytest-qt fixtures that create the QApplication (a display, offscreen or real)
GUI_FIXTURES = frozenset({"qtbot", "qapp", "qapp_args"})


def needs_display(item: pytest.Item) -> bool:
    if UI_TESTS in Path(str(item.path)).parents:
        return True
    return bool(GUI_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if needs_display(item):
            item.add_marker(pytest.mark.gui)


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


@pytest.fixture(autouse=True)
def _english_dates() -> Iterator[None]:
    """Dates in tests read as international English (what the app writes under LANG=C),
    whatever the machine's locale; tests of other locales set their own and are reset."""
    from kapcompanion.core import wording

    wording.set_locale("en_GB")
    yield
    wording.set_locale("en_GB")
