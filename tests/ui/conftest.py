"""UI fixtures: real widgets, real vault files in tmp_path, offscreen Qt."""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.core.models import Client, Course
from kapcompanion.paths import AppDirs, app_dirs
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.app import build_window
from kapcompanion.ui.main_window import MainWindow, Services
from kapcompanion.ui.settings import Settings
from kapcompanion.ui.theme import LIGHT, apply_theme
from kapcompanion.ui.workers import pending_tasks

# The offscreen platform cannot resize a shown window to its layout's minimum; dialogs and
# message boxes make Qt say so as a warning. Real platforms (xcb, wayland) support it.
OFFSCREEN_ONLY = "This plugin does not support propagateSizeHints"

WindowFactory = Callable[..., MainWindow]
VaultFactory = Callable[..., Path]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    if not os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        return
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_ONLY))


def qapp_instance() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app


@pytest.fixture
def dirs() -> AppDirs:
    return app_dirs().ensure()


CLIENTS = [
    Client(
        name="Ada Lovelace", pseudonym="Heron", indications=["depression"], dob=date(1980, 4, 23)
    ),
    Client(name="Grace Hopper", pseudonym="Birch", indications=["PTSD"]),
    Client(name="Alan Turing", indications=["alcohol use disorder"]),
]


@pytest.fixture(scope="session")
def template_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One empty vault per run; tests copy it (creating one costs two key derivations)."""
    path = tmp_path_factory.mktemp("template") / "template.kapv"
    Vault.create(path, PASSPHRASE, {"name": "Dr Test", "clinic": "Test Clinic"}).close()
    return path


def _fill(vault: Vault, clients: list[Client], active_course_for: tuple[str, ...]) -> None:
    repos = Repos(vault)
    for client in clients:
        stored = repos.clients.add(client)
        if client.name in active_course_for:
            assert stored.id is not None
            repos.courses.save(Course(client_id=stored.id, indication="depression"))


@pytest.fixture
def open_vault(tmp_path: Path, template_vault: Path) -> Callable[..., Vault]:
    """A copy of the template vault, opened and holding ``clients``."""

    def make(
        clients: list[Client] | None = None,
        name: str = "clinic.kapv",
        active_course_for: tuple[str, ...] = (),
    ) -> Vault:
        path = tmp_path / name
        shutil.copyfile(template_vault, path)
        vault = Vault.open(path, PASSPHRASE)
        _fill(vault, clients or [], active_course_for)
        return vault

    return make


@pytest.fixture
def make_vault(open_vault: Callable[..., Vault]) -> VaultFactory:
    """Like ``open_vault`` but closed; returns the file's path."""

    def make(*args: Any, **kwargs: Any) -> Path:
        vault = open_vault(*args, **kwargs)
        vault.close()
        return vault.path

    return make


@pytest.fixture
def window_factory(qtbot: QtBot, dirs: AppDirs) -> Iterator[WindowFactory]:
    """MainWindows built like run_gui builds them (theme first); closed and drained after."""
    made: list[MainWindow] = []

    def make(settings: Settings | None = None, **kwargs: Any) -> MainWindow:
        kwargs.setdefault("watch_os_lock", False)
        kwargs.setdefault("auto_backup", False)
        services = Services(
            dirs=dirs, settings=settings or Settings.load(dirs.settings_file), **kwargs
        )
        window = build_window(services, qapp_instance())
        qtbot.addWidget(window)
        window.resize(1366, 768)
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()
    qtbot.waitUntil(lambda: pending_tasks() == 0, timeout=10_000)
    apply_theme(qapp_instance(), LIGHT)


@pytest.fixture(scope="session")
def template_with_clients(tmp_path_factory: pytest.TempPathFactory, template_vault: Path) -> Path:
    path = tmp_path_factory.mktemp("template") / "three.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    _fill(vault, list(CLIENTS), ("Grace Hopper",))
    vault.close()
    return path


@pytest.fixture
def unlocked(
    qtbot: QtBot, window_factory: WindowFactory, template_with_clients: Path, tmp_path: Path
) -> MainWindow:
    """A shown window on an opened vault with three clients (opened directly, not via the UI)."""
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_with_clients, path)
    vault = Vault.open(path, PASSPHRASE)
    window = window_factory()
    window.show()
    window.enter(vault)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def _audit_actions(path: Path, action_prefix: str = "") -> list[tuple[str, str]]:
    vault = Vault.open(path, PASSPHRASE)
    try:
        rows = vault.read("SELECT action, detail FROM audit ORDER BY id")
    finally:
        vault.close()
    return [(str(a), str(d)) for a, d in rows if str(a).startswith(action_prefix)]


@pytest.fixture
def audit_of() -> Callable[..., list[tuple[str, str]]]:
    """(action, detail) of a closed vault's audit trail, oldest first."""
    return _audit_actions
