"""The parser and the one place that turns errors into one line and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kapcompanion import __version__
from kapcompanion.cli.common import (
    EXIT_ERROR,
    CliError,
    open_vault,
)
from kapcompanion.cli.doctor import add_doctor_parser
from kapcompanion.cli.settings import add_settings_parser
from kapcompanion.cli.transfer import add_import_parser
from kapcompanion.cli.vault import add_vault_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kapcompanion", description="KAP Companion")
    parser.add_argument("--version", action="version", version=f"kapcompanion {__version__}")
    parser.add_argument("--demo", action="store_true", help="open a throw-away demo vault")
    sub = parser.add_subparsers(dest="command")
    add_vault_parser(sub)
    add_doctor_parser(sub)

    add_settings_parser(sub)
    add_import_parser(sub)
    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[Any], Any]]:
    """Sub-commands that live with their feature (playlist, export).

    Not guarded: a sub-command that cannot be imported is a broken installation, and hiding
    it would make ``kapcompanion export`` silently vanish from ``--help``.
    """
    from kapcompanion.cli.export import add_export_parser
    from kapcompanion.cli.ledger import add_ledger_parser
    from kapcompanion.cli.playlist import add_playlist_parser

    return [
        add_playlist_parser,
        lambda sub: add_export_parser(sub, open_vault),
        lambda sub: add_ledger_parser(sub, open_vault),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an unknown verb or option prints usage and returns 2."""
    from kapcompanion.export.errors import ExportError
    from kapcompanion.store.dbapi import DatabaseError
    from kapcompanion.store.errors import VaultError

    try:
        parser = build_parser()
    except ImportError as exc:
        print(f"kapcompanion: this installation is broken: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors are 2, --help and --version 0
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(func(args))
    except VaultError as exc:
        print(f"kapcompanion: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except CliError as exc:
        print(f"kapcompanion: {exc}", file=sys.stderr)
        return exc.code
    except ExportError as exc:
        print(f"kapcompanion: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kapcompanion: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        fault = _environment_fault(args, exc)
        if fault is not None:
            print(f"kapcompanion: {fault.message}", file=sys.stderr)
            return int(fault.exit_code)
        print(f"kapcompanion: {exc.strerror or exc} ({exc.filename or ''})", file=sys.stderr)
        return EXIT_ERROR
    except DatabaseError as exc:  # not turned into a VaultError below: say it, no traceback
        fault = _environment_fault(args, exc)
        if fault is not None:
            print(f"kapcompanion: {fault.message}", file=sys.stderr)
            return int(fault.exit_code)
        print(f"kapcompanion: the vault reported an error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _environment_fault(args: argparse.Namespace, exc: BaseException) -> Any:
    """A full disk, read-only media or a permission problem where the command was writing."""
    from kapcompanion.store.files import environment_fault

    for name in ("dest", "path"):
        where = getattr(args, name, None)
        if isinstance(where, str):
            target = Path(where)
            fault = environment_fault(
                target if target.is_dir() else target.parent, exc, "nothing was changed."
            )
            if fault is not None:
                return fault
    return None
