"""``kapcompanion vault init|check|anchor|backup|restore|rekey|stats|list|demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kapcompanion.cli.common import (
    EXIT_INTEGRITY,
    EXIT_OK,
    CliError,
    add_passphrase_env,
    named_passphrase,
    open_vault,
    print_json,
)


def _env(args: argparse.Namespace) -> str | None:
    return getattr(args, "passphrase_env", None) or None


def _new_passphrase(args: argparse.Namespace) -> str:
    name = getattr(args, "new_passphrase_env", None) or None
    return named_passphrase(name, new=True, default="KAPCOMPANION_NEW_PASSPHRASE")


def cmd_init(args: argparse.Namespace) -> int:
    from kapcompanion.store.vault import Vault

    practitioner = {"name": args.name or "", "clinic": args.clinic or ""}
    vault = Vault.create(Path(args.path), named_passphrase(_env(args), new=True), practitioner)
    vault.close()
    print(f"Created an encrypted vault at {args.path}")
    return EXIT_OK


def _check_progress(out: Any) -> Callable[[str, int, int], None]:
    """One progress line for ``vault check`` on stderr: rewritten in place on a terminal,
    one line per step (and per quarter of a long step) otherwise."""
    live = bool(getattr(out, "isatty", lambda: False)())
    shown: dict[str, int] = {}

    def progress(step: str, done: int, total: int) -> None:
        whole = total > 1
        text = f"  {step}: {done:,} of {total:,}" if whole else f"  {step} ..."
        if live:
            end = "\n" if 0 < total <= done else ""
            print(f"\r{text:<60}", end=end, file=out, flush=True)
            return
        quarter = 4 * done // total if whole else 0
        if shown.get(step) != quarter:
            shown[step] = quarter
            print(text, file=out, flush=True)

    return progress


def cmd_check(args: argparse.Namespace) -> int:
    from kapcompanion.store import anchors

    try:
        given = [anchors.parse(text) for text in args.anchor or []]
    except ValueError as exc:
        raise CliError(str(exc)) from None
    vault = open_vault(args.path, _env(args), read_only=True)
    try:
        print("Checking the vault (a large vault takes a little while) ...", file=sys.stderr)
        report = vault.check(given, progress=_check_progress(sys.stderr))
    finally:
        vault.close()
    for line in report.lines():
        print(line)
    print("Vault check: OK" if report.ok else "Vault check: PROBLEMS FOUND")
    return EXIT_OK if report.ok else EXIT_INTEGRITY


def cmd_anchor(args: argparse.Namespace) -> int:
    vault = open_vault(args.path, _env(args), read_only=True)
    try:
        anchor = vault.anchor()
        if anchor is not None:
            vault.record_anchor("anchor printed")
    finally:
        vault.close()
    if anchor is None:
        raise CliError("The vault's audit trail is empty: there is nothing to anchor.")
    print(anchor)
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    vault = open_vault(args.path, _env(args))
    try:
        dest = vault.backup_to(Path(args.dest))
    finally:
        vault.close()
    print(f"Encrypted backup written to {dest}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from kapcompanion.store.vault import restore

    kept = restore(Path(args.backup), Path(args.path), named_passphrase(_env(args)))
    where = f"; the replaced vault is kept at {kept}" if kept else ""
    print(f"Restored {args.backup} to {args.path}{where}")
    return EXIT_OK


def cmd_rekey(args: argparse.Namespace) -> int:
    vault = open_vault(args.path, _env(args))
    try:
        vault.rekey(_new_passphrase(args))
    finally:
        vault.close()
    print("Passphrase changed.")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    vault = open_vault(args.path, _env(args), read_only=True)
    try:
        stats = vault.stats()
    finally:
        vault.close()
    if args.json:
        print_json(stats)
    else:
        print(
            f"{stats['path']}: schema {stats['schema_version']}, {stats['file_size_bytes']} bytes"
        )
        for name, count in stats["counts"].items():
            print(f"  {name}: {count}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from kapcompanion.store.repos import Repos

    vault = open_vault(args.path, _env(args), read_only=True)
    try:
        repos = Repos(vault)
        rows: list[dict[str, Any]] = []
        if args.what == "clients":
            for c in repos.clients.search(include_archived=True):
                rows.append(
                    {
                        "id": c.id,
                        "name": c.name,
                        "pseudonym": c.pseudonym,
                        "dob": c.dob.isoformat() if c.dob else None,
                        "status": c.status.value,
                    }
                )
        else:
            for sid in repos.sessions.ids():
                s = repos.sessions.get(sid)
                rows.append(
                    {
                        "id": s.id,
                        "client_id": s.client_id,
                        "number": s.number,
                        "status": s.status.value,
                        "date": (s.dose_utc or s.started_utc or s.planned_for),
                    }
                )
    finally:
        vault.close()
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            print("\t".join("" if v is None else str(v) for v in row.values()))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from kapcompanion.demo import build_demo_vault

    vault = build_demo_vault(
        Path(args.path), named_passphrase(_env(args)), clients=args.clients, seed=args.seed
    )
    stats = vault.stats()
    vault.close()
    print(f"Demo vault with {stats['counts']['clients']} fictional clients written to {args.path}")
    return EXIT_OK


def add_vault_parser(sub: Any) -> None:
    """Register ``vault ...``."""
    vault = sub.add_parser("vault", help="create, check, back up and restore vaults")
    vsub = vault.add_subparsers(dest="vault_command", required=True)
    p = vsub.add_parser("init", help="create a new vault")
    p.add_argument("path")
    add_passphrase_env(p)
    p.add_argument("--name", help="practitioner name")
    p.add_argument("--clinic", help="clinic name")
    p.set_defaults(func=cmd_init)
    p = vsub.add_parser(
        "check", help="verify encryption, structure, the audit chain, records, seals, anchors"
    )
    p.add_argument("path")
    add_passphrase_env(p)
    p.add_argument(
        "--anchor",
        action="append",
        metavar="N:HASH",
        help="an anchor noted earlier (repeatable): audit entry N must still have this hash",
    )
    p.set_defaults(func=cmd_check)
    p = vsub.add_parser(
        "anchor", help="print the audit chain's head as N:HASH (no client data) to note elsewhere"
    )
    p.add_argument("path")
    add_passphrase_env(p)
    p.set_defaults(func=cmd_anchor)
    p = vsub.add_parser("backup", help="write an encrypted backup")
    p.add_argument("path")
    add_passphrase_env(p)
    p.add_argument("dest")
    p.set_defaults(func=cmd_backup)
    p = vsub.add_parser("restore", help="replace a vault with a verified backup")
    p.add_argument("backup")
    p.add_argument("path")
    add_passphrase_env(p)
    p.set_defaults(func=cmd_restore)
    p = vsub.add_parser("rekey", help="change the passphrase")
    p.add_argument("path")
    add_passphrase_env(p)
    p.add_argument(
        "--new-passphrase-env",
        metavar="NAME",
        help="read the new passphrase from environment variable NAME "
        "(default KAPCOMPANION_NEW_PASSPHRASE, else a prompt, asked twice)",
    )
    p.set_defaults(func=cmd_rekey)
    p = vsub.add_parser("stats", help="record counts, schema version, file size")
    p.add_argument("path")
    add_passphrase_env(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
    p = vsub.add_parser("list", help="list clients or sessions")
    p.add_argument("path")
    add_passphrase_env(p)
    p.add_argument("what", choices=["clients", "sessions"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = vsub.add_parser("demo", help="fill a NEW vault with fictional sample data")
    p.add_argument("path")
    add_passphrase_env(p)
    p.add_argument("--clients", type=int, default=12)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)
