"""``kapcompanion settings show|set``: the clinic's declared settings of a vault."""

from __future__ import annotations

import argparse
from typing import Any

from kapcompanion.cli.common import (
    EXIT_OK,
    CliError,
    open_vault,
    print_json,
)


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
        print_json(values)
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


def add_settings_parser(sub: Any) -> None:
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
