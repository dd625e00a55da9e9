"""The command line: vault administration, clinic settings, export, the ledger, transfer of
care, demo data, playlists.

One module per group of verbs (``vault``, ``doctor``, ``settings``, ``transfer`` for
``import``, ``export``, ``ledger``, ``playlist``), all built on the leaf ``common`` (exit codes,
the one-line error, passphrases, opening a vault); ``main`` builds the parser and turns every
error into one line and an exit code. A verb that cannot be imported fails loudly.

Passphrases come from ``KAPCOMPANION_PASSPHRASE`` (``KAPCOMPANION_NEW_PASSPHRASE`` for rekey;
``--passphrase-env NAME`` where a command offers it) or an interactive prompt, never from the
command line. Exit codes: 0 success, 1 error (a full disk, read-only media, ...), 2 unknown
command or option (with the usage) or a wrong passphrase or unreadable vault, 3 integrity problem
found, 4 the vault is open for writing elsewhere (the app or another command). Messages are one
line.

The reading verbs (``check``, ``stats``, ``list``, ``anchor``) open the vault read-only, so they
work beside a running app; the writing verbs take the vault's writer lock.
"""

from kapcompanion.cli.common import (
    EXIT_ERROR,
    EXIT_IN_USE,
    EXIT_INTEGRITY,
    EXIT_OK,
    EXIT_UNREADABLE,
    CliError,
    open_vault,
    passphrase,
)
from kapcompanion.cli.main import build_parser, main

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTEGRITY",
    "EXIT_IN_USE",
    "EXIT_OK",
    "EXIT_UNREADABLE",
    "CliError",
    "build_parser",
    "main",
    "open_vault",
    "passphrase",
]
