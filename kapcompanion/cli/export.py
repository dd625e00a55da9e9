"""``kapcompanion export session|course|calendar|fhir|csv|client``: PDFs, the .ics calendar,
FHIR R4, de-identified research CSV and a client's encrypted transfer bundle.

The vault passphrase comes from ``KAPCOMPANION_PASSPHRASE``, the variable named by
``--passphrase-env`` or a prompt (``cli.common.open_vault``, handed in when the commands are
registered, so a test can hand in another). Problems are :class:`ExportError`, which the
command line prints as one line (exit 1).
a PDF password only from the environment variable named by ``--pdf-password-env``, never
from the command line, where other users could read it in the process list. Without one
the PDF is written unprotected and a one-line notice says so.

``export fhir`` (``export.fhir_export``) and ``export csv`` (``export.csv_research``) can
read the vault passphrase from the environment variable named by ``--passphrase-env``;
their files are not encrypted, and a notice says so.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from kapcompanion.cli.common import OpenVault, add_passphrase_env
from kapcompanion.export.errors import ExportError

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
    vault = open_vault(args.vault, args.passphrase_env or None)
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
    vault = open_vault(args.vault, args.passphrase_env or None)
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


# --------------------------------------------------------------------------- FHIR and CSV
_PLAINTEXT = (
    "kapcompanion: notice: {what} is not encrypted; keep it on an encrypted disk and delete "
    "it once it has been handed over."
)


def _open_vault_from(args: argparse.Namespace, open_vault: OpenVault) -> Any:
    """The vault, its passphrase from the environment variable named by --passphrase-env
    (never the command line), or else as every other verb reads it."""
    return open_vault(args.vault, args.passphrase_env or None)


def cmd_export_fhir(args: argparse.Namespace, open_vault: OpenVault) -> int:
    from kapcompanion.export.fhir_export import export_fhir
    from kapcompanion.store.repos import Repos

    vault = _open_vault_from(args, open_vault)
    try:
        repos = Repos(vault)
        result = export_fhir(
            repos,
            args.out,
            None if args.all else [args.client],
            with_documents=args.with_documents,
        )
    finally:
        vault.close()
    held = ", ".join(f"{n} {name}" for name, n in sorted(result.counts.items()))
    print(f"FHIR R4 bundle of {result.clients} client(s) written to {result.path} ({held})")
    print(_PLAINTEXT.format(what="The FHIR file"), file=sys.stderr)
    return 0


def _add_fhir_parser(sub: Any, open_vault: OpenVault) -> None:
    p = sub.add_parser(
        "fhir", help="a client's record (or every client's) as a FHIR R4 JSON bundle"
    )
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", type=int, metavar="ID", help="client id")
    who.add_argument("--all", action="store_true", help="every client, one bundle each")
    p.add_argument("--out", required=True, metavar="FILE.json", help="where to write the JSON")
    p.add_argument(
        "--with-documents",
        action="store_true",
        help="attach the signed session records, consents and course summary as PDFs "
        "(DocumentReference)",
    )
    add_passphrase_env(p)
    p.set_defaults(func=partial(cmd_export_fhir, open_vault=open_vault))


def cmd_export_client(args: argparse.Namespace, open_vault: OpenVault) -> int:
    from kapcompanion.export.transfer import TransferError, export_client_bundle
    from kapcompanion.store.repos import Repos

    secret = None
    if args.bundle_passphrase_env:
        secret = os.environ.get(args.bundle_passphrase_env)
        if not secret:
            raise TransferError(
                f"The environment variable {args.bundle_passphrase_env} is not set or empty; "
                "no bundle was written."
            )
    vault = _open_vault_from(args, open_vault)
    try:
        result = export_client_bundle(Repos(vault), args.client, args.out, secret)
    finally:
        vault.close()
    held = ", ".join(f"{n} {name}" for name, n in result.counts.items() if n)
    print(f"Encrypted transfer bundle written to {result.path} ({held})")
    print(f"SHA-256 of the bundle: {result.sha256}")
    if result.generated:
        print(
            f"One-time bundle passphrase ({result.words} words; shown only now, write it down "
            "and give it to the receiving clinic by another route than the file):"
        )
        print(f"    {result.passphrase}")
    return 0


def _add_client_parser(sub: Any, open_vault: OpenVault) -> None:
    p = sub.add_parser(
        "client",
        help="transfer of care: a client's whole record as an encrypted bundle (.kapx) for "
        "another vault",
    )
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    p.add_argument("--client", required=True, type=int, metavar="ID", help="client id")
    p.add_argument("--out", required=True, metavar="FILE.kapx", help="where to write the bundle")
    add_passphrase_env(p)
    p.add_argument(
        "--bundle-passphrase-env",
        metavar="NAME",
        help="protect the bundle with the one-time passphrase in environment variable NAME "
        "(default: six random words, printed once)",
    )
    p.set_defaults(func=partial(cmd_export_client, open_vault=open_vault))


def _date_shift(text: str) -> int | str:
    if text.strip().lower() == "random":
        return "random"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number of days or 'random'"
        ) from None


def _kinds(text: str) -> list[str]:
    from kapcompanion.export.csv_research import KINDS

    kinds = [k.strip().lower() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"choose one or more of {','.join(KINDS)} (comma-separated)"
        )
    return kinds


def cmd_export_csv(args: argparse.Namespace, open_vault: OpenVault) -> int:
    from kapcompanion.export.csv_research import ResearchOptions, export_research_csv
    from kapcompanion.store.repos import Repos

    options = ResearchOptions(
        kinds=args.kinds,
        client_ids=None if args.all else [args.client],
        date_shift=args.date_shift,
        include_names=args.include_names,
        include_dob=args.include_dob,
        include_notes=args.include_notes,
    )
    vault = _open_vault_from(args, open_vault)
    try:
        result = export_research_csv(Repos(vault), args.out, options)
    finally:
        vault.close()
    names = ", ".join(p.name for p in result.files)
    print(f"Research CSV of {result.subjects} subject(s) written to {result.folder}: {names}")
    if args.date_shift is None:
        print(
            "kapcompanion: notice: the dates are real, so the files are a limited data set, "
            "not de-identified; use --date-shift to move them.",
            file=sys.stderr,
        )
    print(_PLAINTEXT.format(what="The CSV folder"), file=sys.stderr)
    return 0


def _add_csv_parser(sub: Any, open_vault: OpenVault) -> None:
    p = sub.add_parser(
        "csv", help="de-identified CSV for research: one file per record kind, with a dictionary"
    )
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", type=int, metavar="ID", help="client id")
    who.add_argument("--all", action="store_true", help="every client")
    p.add_argument("--out", required=True, metavar="FOLDER", help="folder for the CSV files")
    p.add_argument(
        "--kinds",
        required=True,
        type=_kinds,
        metavar="LIST",
        help="comma-separated: sessions,doses,vitals,events,measures",
    )
    p.add_argument(
        "--date-shift",
        type=_date_shift,
        metavar="DAYS|random",
        help="move every date earlier by DAYS, or by a secret number of days per subject",
    )
    p.add_argument("--include-names", action="store_true", help="add the client's name")
    p.add_argument("--include-dob", action="store_true", help="add the date of birth")
    p.add_argument("--include-notes", action="store_true", help="add free-text notes and quotes")
    add_passphrase_env(p)
    p.set_defaults(func=partial(cmd_export_csv, open_vault=open_vault))


def cmd_export_ledger(args: argparse.Namespace, open_vault: OpenVault) -> int:
    from kapcompanion.export.ledger import export_ledger
    from kapcompanion.store.repos import Repos

    password = _pdf_password(args)
    vault = _open_vault_from(args, open_vault)
    try:
        result = export_ledger(
            Repos(vault),
            args.out,
            password,
            product_id=args.product,
            since=args.since,
            until=args.until,
        )
    finally:
        vault.close()
    names = " and ".join(str(p) for p in result.paths)
    print(
        f"Controlled-substance ledger ({result.containers} container(s), {result.entries} "
        f"entries) written to {names}"
    )
    if password is None:
        print(_PLAINTEXT.format(what="The ledger export"), file=sys.stderr)
    return 0


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-02") from None


def add_ledger_report_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the ledger report, shared by ``export ledger`` and ``ledger report``."""
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE.pdf|FILE.csv",
        help="a PDF, or a CSV log (the inventory goes beside it as FILE-inventory.csv)",
    )
    add_passphrase_env(p)
    p.add_argument(
        "--pdf-password-env",
        metavar="NAME",
        help="protect the PDF with the password in environment variable NAME",
    )
    p.add_argument("--product", type=int, metavar="ID", help="one product only (its number)")
    p.add_argument(
        "--since", type=_iso_day, metavar="YYYY-MM-DD", help="entries from this day (local)"
    )
    p.add_argument(
        "--until", type=_iso_day, metavar="YYYY-MM-DD", help="entries up to this day (local)"
    )


def _add_ledger_parser(sub: Any, open_vault: OpenVault) -> None:
    p = sub.add_parser(
        "ledger",
        help="the controlled-substance ledger: inventory and dispensing log (PDF or CSV)",
    )
    add_ledger_report_arguments(p)
    p.set_defaults(func=partial(cmd_export_ledger, open_vault=open_vault))


def cmd_export_rems(args: argparse.Namespace, open_vault: OpenVault) -> int:
    from kapcompanion.export.rems_pdf import export_rems_csv, export_rems_pdf
    from kapcompanion.store.repos import Repos

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        raise ExportError(f"Choose a file name ending in .pdf or .csv, not {out.name}.")
    password = _pdf_password(args) if suffix == ".pdf" else None
    if suffix == ".csv" and args.pdf_password_env:
        raise ExportError("A CSV cannot be password-protected; export a PDF for that.")
    vault = _open_vault_from(args, open_vault)
    try:
        repos = Repos(vault)
        if suffix == ".csv":
            path = export_rems_csv(repos, args.session, out)
            protection = "unprotected"
        else:
            result = export_rems_pdf(repos, args.session, out, password)
            path = result.path
            protection = (
                "unprotected" if password is None else f"protected with {result.encryption}"
            )
    finally:
        vault.close()
    print(f"REMS Patient Monitoring Form written to {path} ({protection})")
    if suffix == ".csv":
        print(_PLAINTEXT.format(what="The CSV file"), file=sys.stderr)
    elif password is None:
        print(_UNPROTECTED, file=sys.stderr)
    return 0


def _add_rems_parser(sub: Any, open_vault: OpenVault) -> None:
    p = sub.add_parser(
        "rems",
        help="the Spravato REMS Patient Monitoring Form of one esketamine session (PDF or CSV)",
    )
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    p.add_argument("--session", required=True, type=int, metavar="ID", help="session id")
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.csv", help="where to write it")
    add_passphrase_env(p)
    p.add_argument(
        "--pdf-password-env",
        metavar="NAME",
        help="protect the PDF with the password in environment variable NAME",
    )
    p.set_defaults(func=partial(cmd_export_rems, open_vault=open_vault))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    add_passphrase_env(p)
    p.add_argument(
        "--pdf-password-env",
        metavar="NAME",
        help="protect the PDF with the password in environment variable NAME",
    )


def add_export_parser(subparsers: Any, open_vault: OpenVault) -> None:
    """Register ``export session|course|calendar|fhir|csv|client``."""
    parser = subparsers.add_parser(
        "export",
        help="write a session record or course summary PDF, a calendar file, FHIR or research CSV",
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
    add_passphrase_env(p)
    p.set_defaults(func=partial(cmd_export_calendar, open_vault=open_vault))
    _add_fhir_parser(sub, open_vault)
    _add_csv_parser(sub, open_vault)
    _add_ledger_parser(sub, open_vault)
    _add_client_parser(sub, open_vault)
    _add_rems_parser(sub, open_vault)
