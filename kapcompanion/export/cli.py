"""``kapcompanion export session|course|calendar``: PDFs and the .ics calendar file.

The vault passphrase comes from ``KAPCOMPANION_PASSPHRASE`` or a prompt: ``kapcompanion.cli``
hands its ``open_vault`` in when it registers these commands, so this module never imports
the command line above it (no import circle). Problems are :class:`ExportError`, which the
command line prints as one line (exit 1).
a PDF password only from the environment variable named by ``--pdf-password-env``, never
from the command line, where other users could read it in the process list. Without one
the PDF is written unprotected and a one-line notice says so.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from kapcompanion.export.errors import ExportError

#: opens the vault at a path with the passphrase the command line found (``cli.open_vault``)
OpenVault = Callable[[str], Any]

_UNPROTECTED = (
    "kapcompanion: notice: the PDF is not password-protected; protect it with "
    "--pdf-password-env NAME."
)


def _pdf_password(args: argparse.Namespace) -> str | None:
    name = args.pdf_password_env
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise ExportError(
            f"The environment variable {name} is not set or empty; no PDF was written."
        )
    return value


def _run(args: argparse.Namespace, what: str, open_vault: OpenVault) -> int:
    from kapcompanion.export.api import export_course_pdf, export_session_pdf
    from kapcompanion.store.repos import Repos

    password = _pdf_password(args)
    vault = open_vault(args.vault)
    try:
        repos = Repos(vault)
        if what == "session":
            result = export_session_pdf(repos, args.session, args.out, password)
            label = "Session record"
        else:
            result = export_course_pdf(repos, args.client, args.out, password)
            label = "Course summary"
    finally:
        vault.close()
    protection = "unprotected" if password is None else f"protected with {result.encryption}"
    print(f"{label} written to {result.path} ({protection})")
    if password is None:
        print(_UNPROTECTED, file=sys.stderr)
    return 0


def cmd_export_session(args: argparse.Namespace, open_vault: OpenVault) -> int:
    return _run(args, "session", open_vault)


def cmd_export_course(args: argparse.Namespace, open_vault: OpenVault) -> int:
    return _run(args, "course", open_vault)


def cmd_export_calendar(args: argparse.Namespace, open_vault: OpenVault) -> int:
    from kapcompanion.export.calendar import export_calendar
    from kapcompanion.store.repos import Repos

    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():
        raise ExportError(f"Choose a file in a folder that exists, not {out}; nothing was written.")
    vault = open_vault(args.vault)
    try:
        result = export_calendar(  # an unknown --client is a VaultError (RecordNotFound)
            Repos(vault), out, client_ids=args.client or None, include_names=args.include_names
        )
    finally:
        vault.close()
    names = "with names" if args.include_names else "pseudonyms only"
    cancelled = f" and {result.cancelled} cancellation(s)" if result.cancelled else ""
    print(
        f"{result.events} appointment(s) of {result.clients} client(s){cancelled} "
        f"written to {out} ({names}; the file is not encrypted)"
    )
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument(
        "--pdf-password-env",
        metavar="NAME",
        help="protect the PDF with the password in environment variable NAME",
    )


def add_export_parser(subparsers: Any, open_vault: OpenVault) -> None:
    """Register ``export session``, ``export course`` and ``export calendar``."""
    parser = subparsers.add_parser(
        "export", help="write a session record or course summary PDF, or a calendar file"
    )
    sub = parser.add_subparsers(dest="export_command", required=True)
    p = sub.add_parser("session", help="the signed record of one dosing session")
    _common(p)
    p.add_argument("--session", required=True, type=int, metavar="ID", help="session id")
    p.set_defaults(func=partial(cmd_export_session, open_vault=open_vault))
    p = sub.add_parser("course", help="all sessions, outcome measures and safety flags")
    _common(p)
    p.add_argument("--client", required=True, type=int, metavar="ID", help="client id")
    p.set_defaults(func=partial(cmd_export_course, open_vault=open_vault))
    p = sub.add_parser(
        "calendar",
        help="open and cancelled appointments from today on, as an .ics calendar file",
    )
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    p.add_argument("--out", required=True, metavar="FILE.ics", help="where to write the file")
    p.add_argument(
        "--client",
        type=int,
        action="append",
        metavar="ID",
        help="only this client (repeat for more); default every active client",
    )
    p.add_argument(
        "--include-names",
        action="store_true",
        help="client names instead of pseudonyms (the file is not encrypted)",
    )
    p.set_defaults(func=partial(cmd_export_calendar, open_vault=open_vault))
