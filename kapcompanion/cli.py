"""The command line: vault administration, clinic settings, export, demo data, playlists.

Passphrases come from ``KAPCOMPANION_PASSPHRASE`` (``KAPCOMPANION_NEW_PASSPHRASE`` for rekey;
``--passphrase-env NAME`` where a command offers it) or an interactive prompt, never from the
command line. Exit codes: 0 success, 1 error (a full disk, read-only media, ...), 2 unknown
command or option (with the usage) or a wrong passphrase or unreadable vault, 3 integrity problem
found, 4 the vault is open for writing elsewhere (the app or another command). Messages are one
line.

The reading verbs (``check``, ``stats``, ``list``, ``anchor``) open the vault read-only, so they
work beside a running app; the writing verbs take the vault's writer lock.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kapcompanion import __version__

EXIT_OK, EXIT_ERROR, EXIT_UNREADABLE, EXIT_INTEGRITY = 0, 1, 2, 3


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


def open_vault(path: str, env: str | None = None, *, read_only: bool = False) -> Any:
    """Open ``path`` with the passphrase from ``env`` (default ``KAPCOMPANION_PASSPHRASE``)."""
    from kapcompanion.store.vault import Vault

    if env and not os.environ.get(env):  # named on purpose: never fall back to a prompt
        raise CliError(f"The environment variable {env} is not set or empty; nothing was done.")
    secret = passphrase(env) if env else passphrase()
    return Vault.open(Path(path), secret, backup_dir=_backup_dir(), read_only=read_only)


def _backup_dir() -> Path:
    from kapcompanion.paths import app_dirs

    return app_dirs().backups


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# ------------------------------------------------------------------------ vault commands
def cmd_init(args: argparse.Namespace) -> int:
    from kapcompanion.store.vault import Vault

    practitioner = {"name": args.name or "", "clinic": args.clinic or ""}
    vault = Vault.create(Path(args.path), new_passphrase("KAPCOMPANION_PASSPHRASE"), practitioner)
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
    vault = open_vault(args.path, read_only=True)
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
    vault = open_vault(args.path, read_only=True)
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
    vault = open_vault(args.path)
    try:
        dest = vault.backup_to(Path(args.dest))
    finally:
        vault.close()
    print(f"Encrypted backup written to {dest}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from kapcompanion.store.vault import restore

    kept = restore(Path(args.backup), Path(args.path), passphrase())
    where = f"; the replaced vault is kept at {kept}" if kept else ""
    print(f"Restored {args.backup} to {args.path}{where}")
    return EXIT_OK


def cmd_rekey(args: argparse.Namespace) -> int:
    vault = open_vault(args.path)
    try:
        vault.rekey(new_passphrase("KAPCOMPANION_NEW_PASSPHRASE"))
    finally:
        vault.close()
    print("Passphrase changed.")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    vault = open_vault(args.path, read_only=True)
    try:
        stats = vault.stats()
    finally:
        vault.close()
    if args.json:
        _print_json(stats)
    else:
        print(
            f"{stats['path']}: schema {stats['schema_version']}, {stats['file_size_bytes']} bytes"
        )
        for name, count in stats["counts"].items():
            print(f"  {name}: {count}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from kapcompanion.store.repos import Repos

    vault = open_vault(args.path, read_only=True)
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
        _print_json(rows)
    else:
        for row in rows:
            print("\t".join("" if v is None else str(v) for v in row.values()))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from kapcompanion.demo import build_demo_vault

    vault = build_demo_vault(Path(args.path), passphrase(), clients=args.clients, seed=args.seed)
    stats = vault.stats()
    vault.close()
    print(f"Demo vault with {stats['counts']['clients']} fictional clients written to {args.path}")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """What this installation can do: for support calls and the packaging smoke test."""
    from kapcompanion.audio.backend import NO_DEVICE
    from kapcompanion.audio.factory import create_backend
    from kapcompanion.audio.vlc_backend import configure_bundled_vlc
    from kapcompanion.paths import app_dirs, playlists_dir, resource
    from kapcompanion.services.environment import disk_report
    from kapcompanion.store.dbapi import cipher_version

    configure_bundled_vlc()
    cipher = cipher_version()
    backend, reason = create_backend()  # the output the app uses, so the probe is honest
    vlc_module = getattr(backend, "vlc", None)
    raw = vlc_module.libvlc_get_version() if vlc_module is not None else b""
    version = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
    if reason is not None:
        audio_output = "none (music is unavailable)"
    elif backend.audible:
        audio_output = "a sound device opened"
    else:
        audio_output = f"none: {NO_DEVICE} Music cannot be heard."
    backend.close()
    music = sorted(resource("music").glob("*.ogg"))
    report = {
        "version": __version__,
        "sqlcipher": cipher or "missing",
        "music_backend": f"libvlc {version}" if reason is None else f"unavailable: {reason}",
        "audio_output": audio_output,
        "shipped_tracks": len(music),
        "playlists": len(list(playlists_dir().glob("*.m3u8"))),
        "fonts": len(list(resource("fonts").glob("*.ttf"))),
        "data_folder": str(app_dirs().data),
        "free_space": disk_report(app_dirs().data),
    }
    if args.json:
        _print_json(report)
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return EXIT_OK


# ------------------------------------------------------------------------ clinic settings
def _setting(key: str) -> Any:
    from kapcompanion.core.settings import SettingError, lookup

    try:
        return lookup(key)
    except SettingError as exc:
        raise CliError(str(exc)) from None


def cmd_settings_show(args: argparse.Namespace) -> int:
    from kapcompanion.core.settings import all_settings
    from kapcompanion.services.settings import snapshot

    vault = open_vault(args.vault, args.passphrase_env, read_only=True)
    try:
        values = snapshot(vault)
    finally:
        vault.close()
    if args.json:
        _print_json(values)
        return EXIT_OK
    for setting in all_settings():
        value = values[setting.key]
        mark = "" if value == setting.default else "  (changed)"
        print(f"{setting.key} = {setting.describe(value)}{mark}\t{setting.label}")
    return EXIT_OK


def cmd_settings_set(args: argparse.Namespace) -> int:
    from kapcompanion.core.settings import SettingError
    from kapcompanion.services.settings import get, set_value

    setting = _setting(args.key)
    try:
        setting.parse(args.value)  # a bad value is refused before the passphrase is asked
    except SettingError as exc:
        raise CliError(f"{exc} Nothing was changed.") from None
    vault = open_vault(args.vault, args.passphrase_env)
    try:
        old = get(vault, setting)
        new = set_value(vault, setting, args.value)
    finally:
        vault.close()
    print(f"{setting.key}: {setting.describe(old)} -> {setting.describe(new)}")
    return EXIT_OK


def _add_settings_parser(sub: Any) -> None:
    parser = sub.add_parser("settings", help="show or change the clinic's settings in a vault")
    ssub = parser.add_subparsers(dest="settings_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
        p.add_argument(
            "--passphrase-env",
            metavar="NAME",
            help="read the vault passphrase from environment variable NAME "
            "(default KAPCOMPANION_PASSPHRASE, else a prompt)",
        )

    p = ssub.add_parser("show", help="every setting with its current value")
    common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_settings_show)
    p = ssub.add_parser("set", help="change one setting (recorded in the audit trail)")
    p.add_argument("key", metavar="KEY", help="a setting's key, as `settings show` lists it")
    p.add_argument("value", metavar="VALUE")
    common(p)
    p.set_defaults(func=cmd_settings_set)


# ------------------------------------------------------------------------ import
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


def _add_import_parser(sub: Any) -> None:
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


# ------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kapcompanion", description="KAP Companion")
    parser.add_argument("--version", action="version", version=f"kapcompanion {__version__}")
    parser.add_argument("--demo", action="store_true", help="open a throw-away demo vault")
    sub = parser.add_subparsers(dest="command")

    vault = sub.add_parser("vault", help="create, check, back up and restore vaults")
    vsub = vault.add_subparsers(dest="vault_command", required=True)
    p = vsub.add_parser("init", help="create a new vault")
    p.add_argument("path")
    p.add_argument("--name", help="practitioner name")
    p.add_argument("--clinic", help="clinic name")
    p.set_defaults(func=cmd_init)
    p = vsub.add_parser(
        "check", help="verify encryption, structure, the audit chain, records, seals, anchors"
    )
    p.add_argument("path")
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
    p.set_defaults(func=cmd_anchor)
    p = vsub.add_parser("backup", help="write an encrypted backup")
    p.add_argument("path")
    p.add_argument("dest")
    p.set_defaults(func=cmd_backup)
    p = vsub.add_parser("restore", help="replace a vault with a verified backup")
    p.add_argument("backup")
    p.add_argument("path")
    p.set_defaults(func=cmd_restore)
    p = vsub.add_parser("rekey", help="change the passphrase")
    p.add_argument("path")
    p.set_defaults(func=cmd_rekey)
    p = vsub.add_parser("stats", help="record counts, schema version, file size")
    p.add_argument("path")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
    p = vsub.add_parser("list", help="list clients or sessions")
    p.add_argument("path")
    p.add_argument("what", choices=["clients", "sessions"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = vsub.add_parser("demo", help="fill a NEW vault with fictional sample data")
    p.add_argument("path")
    p.add_argument("--clients", type=int, default=12)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("doctor", help="what this installation can do (libraries, music, fonts)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)

    _add_settings_parser(sub)
    _add_import_parser(sub)
    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[Any], Any]]:
    """Sub-commands that live with their feature (playlist, export).

    Not guarded: a sub-command that cannot be imported is a broken installation, and hiding
    it would make ``kapcompanion export`` silently vanish from ``--help``.
    """
    from kapcompanion.audio.cli import add_playlist_parser
    from kapcompanion.export.cli import add_export_parser
    from kapcompanion.ledger_cli import add_ledger_parser

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
