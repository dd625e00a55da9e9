"""The command line's leaf: exit codes, the error it prints, passphrases and opening a vault.

Every other module of the command line imports from here, and this imports nothing of
the command line, so there is no circle. A passphrase is read from an environment variable
(``KAPCOMPANION_PASSPHRASE`` or the one named by ``--passphrase-env NAME``) or a prompt in a
terminal, never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_UNREADABLE, EXIT_INTEGRITY = 0, 1, 2, 3
#: the vault is open for writing elsewhere (the app or another command)
EXIT_IN_USE = 4

#: opens the vault at a path with the passphrase found (path, env name or None) -> Vault
OpenVault = Callable[..., Any]


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def passphrase(env: str = "KAPCOMPANION_PASSPHRASE", prompt: str = "Vault passphrase: ") -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise CliError(f"No passphrase: set {env} or run in a terminal.")
    return getpass.getpass(prompt)


def new_passphrase(env: str) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise CliError(f"No new passphrase: set {env} or run in a terminal.")
    first = getpass.getpass("New passphrase: ")
    if getpass.getpass("Repeat it: ") != first:
        raise CliError("The two passphrases differ; nothing was changed.")
    return first


def named_passphrase(
    env: str | None, *, new: bool = False, default: str = "KAPCOMPANION_PASSPHRASE"
) -> str:
    """The passphrase from the variable ``env`` when one was named (it must be set: a named
    variable never falls back to a prompt), else the ``default`` variable or a prompt (asked
    twice for a ``new`` one)."""
    if env:
        value = os.environ.get(env)
        if not value:
            raise CliError(f"The environment variable {env} is not set or empty; nothing was done.")
        return value
    return new_passphrase(default) if new else passphrase(default)


def open_vault(path: str, env: str | None = None, *, read_only: bool = False) -> Any:
    """Open ``path`` with the passphrase from ``env`` (default ``KAPCOMPANION_PASSPHRASE``)."""
    from kapcompanion.store.vault import Vault

    secret = named_passphrase(env)
    return Vault.open(Path(path), secret, backup_dir=backup_dir(), read_only=read_only)


def backup_dir() -> Path:
    from kapcompanion.paths import app_dirs

    return app_dirs().backups


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def add_passphrase_env(p: argparse.ArgumentParser) -> None:
    """``--passphrase-env NAME``: the variable that holds the vault passphrase."""
    p.add_argument(
        "--passphrase-env",
        metavar="NAME",
        help="read the vault passphrase from environment variable NAME "
        "(default KAPCOMPANION_PASSPHRASE, else a prompt)",
    )
