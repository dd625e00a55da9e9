"""``kapcompanion export session|course``: PDFs from the command line.

The vault passphrase comes from ``KAPCOMPANION_PASSPHRASE`` or a prompt (``kapcompanion.cli``);
a PDF password only from the environment variable named by ``--pdf-password-env``, never
from the command line, where other users could read it in the process list. Without one
the PDF is written unprotected and a one-line notice says so.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

_UNPROTECTED = (
    "kapcompanion: notice: the PDF is not password-protected; protect it with "
    "--pdf-password-env NAME."
)


def _pdf_password(args: argparse.Namespace) -> str | None:
    from kapcompanion.cli import CliError

    name = args.pdf_password_env
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise CliError(f"The environment variable {name} is not set or empty; no PDF was written.")
    return value


def _run(args: argparse.Namespace, what: str) -> int:
    from kapcompanion.cli import EXIT_OK, CliError, open_vault
    from kapcompanion.export.api import export_course_pdf, export_session_pdf
    from kapcompanion.export.errors import ExportError
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
    except ExportError as exc:
        raise CliError(str(exc)) from exc
    finally:
        vault.close()
    protection = "unprotected" if password is None else f"protected with {result.encryption}"
    print(f"{label} written to {result.path} ({protection})")
    if password is None:
        print(_UNPROTECTED, file=sys.stderr)
    return EXIT_OK


def cmd_export_session(args: argparse.Namespace) -> int:
    return _run(args, "session")


def cmd_export_course(args: argparse.Namespace) -> int:
    return _run(args, "course")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument(
        "--pdf-password-env",
        metavar="NAME",
        help="protect the PDF with the password in environment variable NAME",
    )


def add_export_parser(subparsers: Any) -> None:
    """Register ``export session`` and ``export course`` on the main parser."""
    parser = subparsers.add_parser("export", help="write a session record or course summary PDF")
    sub = parser.add_subparsers(dest="export_command", required=True)
    p = sub.add_parser("session", help="the signed record of one dosing session")
    _common(p)
    p.add_argument("--session", required=True, type=int, metavar="ID", help="session id")
    p.set_defaults(func=cmd_export_session)
    p = sub.add_parser("course", help="all sessions, outcome measures and safety flags")
    _common(p)
    p.add_argument("--client", required=True, type=int, metavar="ID", help="client id")
    p.set_defaults(func=cmd_export_course)
