"""``kapcompanion import client``: a transfer bundle (.kapx) into a vault as a new client."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from kapcompanion.cli.common import (
    EXIT_ERROR,
    EXIT_INTEGRITY,
    EXIT_OK,
    EXIT_UNREADABLE,
    CliError,
    open_vault,
)

_TRANSFER_EXIT = {"passphrase": EXIT_UNREADABLE, "integrity": EXIT_INTEGRITY}


def cmd_import_client(args: argparse.Namespace) -> int:
    """Bring a transfer bundle into a vault as a new client (``services.transfer``)."""
    from kapcompanion.services.transfer import TransferError, describe, import_client

    name = args.bundle_passphrase_env
    if name and not os.environ.get(name):
        raise CliError(f"The environment variable {name} is not set or empty; nothing was done.")
    if not name and not sys.stdin.isatty():
        raise CliError("No bundle passphrase: name its variable with --bundle-passphrase-env.")
    secret = os.environ[name] if name else getpass.getpass("Bundle passphrase: ")
    vault = open_vault(args.vault, args.passphrase_env)
    try:
        result = import_client(vault, Path(args.bundle), secret, as_new=args.as_new)
    except TransferError as exc:
        raise CliError(str(exc), _TRANSFER_EXIT.get(exc.kind, EXIT_ERROR)) from None
    finally:
        vault.close()
    print(f"Imported as new client {result.client_id} ({describe(result.counts, ('clients',))})")
    print(f"from vault {result.source_vault or 'unknown'}; bundle SHA-256 {result.sha256}")
    return EXIT_OK


def add_import_parser(sub: Any) -> None:
    parser = sub.add_parser("import", help="bring a transfer bundle (.kapx) into a vault")
    isub = parser.add_subparsers(dest="import_command", required=True)
    p = isub.add_parser(
        "client", help="a client's record from another vault, as a NEW client (never merged)"
    )
    p.add_argument("bundle", metavar="FILE.kapx", help="the encrypted transfer bundle")
    p.add_argument("--vault", required=True, metavar="PATH", help="the vault to import into")
    p.add_argument(
        "--passphrase-env",
        metavar="NAME",
        help="read the vault passphrase from environment variable NAME",
    )
    p.add_argument(
        "--bundle-passphrase-env",
        metavar="NAME",
        help="read the bundle's one-time passphrase from environment variable NAME",
    )
    p.add_argument(
        "--as-new",
        action="store_true",
        help="import even if a client with the same name and date of birth exists (as a "
        "separate client)",
    )
    p.set_defaults(func=cmd_import_client)
