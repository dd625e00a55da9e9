"""``kapcompanion ledger receive|count|report``: the controlled-substance ledger from a shell.

- ``receive``: take a supplier delivery into stock (21 CFR 1304.22(c): supplier name, address
  and DEA number, invoice, date, quantity, lot, expiry, who received it). ``--product`` is a
  product id, or one of the common forms by code (``ketamine-50x10`` ...), added on first use.
- ``count``: an inventory count; ``--found LABEL=MG`` for every container in stock (``~`` after
  the amount for an estimate of an opened vial). A difference is a discrepancy, listed, and
  stays an open item until explained or reported as a loss in the app.
- ``report``: the ledger as PDF or CSV (``export.ledger``: written atomically, audited).

The vault passphrase comes from the environment variable named by ``--passphrase-env``
(default ``KAPCOMPANION_PASSPHRASE``, else a prompt), never from the command line. Every
change goes through ``services.ledger`` (one transaction with its audit row); a refusal is
one plain line on stderr, exit 1, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from kapcompanion.cli.common import OpenVault, add_passphrase_env
from kapcompanion.cli.export import add_ledger_report_arguments
from kapcompanion.core import ledger as lg

#: opens the vault at a path with the passphrase the command line found (``cli.open_vault``)


class LedgerCliError(Exception):
    """A problem with what was typed; printed as one line (exit 1)."""


def _code(p: lg.Product) -> str:
    """``ketamine-50x10`` (50 mg/mL, 10 mL vials) or ``esketamine-28`` (28 mg devices)."""
    if p.form is lg.Form.VIAL:
        return f"{p.substance}-{lg.text(p.strength_mg)}x{lg.text(p.container_ml or lg.ZERO)}"
    return f"{p.substance}-{lg.text(p.strength_mg)}"


COMMON = {_code(p): p for p in lg.COMMON_PRODUCTS}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-02") from None


def _open(args: argparse.Namespace, open_vault: OpenVault) -> Any:
    return open_vault(args.vault, args.passphrase_env or None)


def _product_id(repos: Any, wanted: str) -> int:
    from kapcompanion.services import ledger as svc

    products = svc.products(repos)
    if wanted.isdigit():
        for p in products:
            if p.id == int(wanted):
                return int(p.id)
    elif wanted in COMMON:
        for p in products:
            if _code(p) == wanted and p.name == COMMON[wanted].name:
                return int(p.id or 0)
        return int(svc.add_product(repos, COMMON[wanted]).id or 0)
    known = ", ".join(f"{p.id} ({p.label})" for p in products) or "none yet"
    raise LedgerCliError(
        f"No product {wanted!r}. Products in this vault: {known}. Or give one of "
        f"{', '.join(COMMON)} to add it."
    )


def cmd_receive(args: argparse.Namespace, open_vault: OpenVault) -> int:
    from kapcompanion.services import ledger as svc
    from kapcompanion.store.repos import Repos

    vault = _open(args, open_vault)
    try:
        repos = Repos(vault)
        with vault.transaction():  # a product added on first use and its receipt: together
            got = svc.receive(
                repos,
                lg.Receipt(
                    supplier_name=args.supplier_name,
                    supplier_address=args.supplier_address,
                    supplier_dea=args.supplier_dea,
                    invoice=args.invoice,
                    received_on=args.received_on or date.today(),
                    product_id=_product_id(repos, args.product),
                    quantity=args.quantity,
                    lot=args.lot,
                    expiry=args.expiry,
                    received_by=args.received_by or vault.who,
                    labels=tuple(args.label or ()),
                ),
            )
        states = [svc.container_state(repos, int(c.id or 0)) for c in got.containers]
    finally:
        vault.close()
    print(f"Received {len(states)} container(s), lot {args.lot.strip()}:")
    for s in states:
        print(f"  {s.container.label}: {s.balance_text()}")
    return 0


def _found(text: str) -> tuple[str, str, bool]:
    label, sep, amount = text.partition("=")
    if not sep or not label.strip() or not amount.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write LABEL=MG, for example K-0001=462.5")
    estimated = amount.strip().endswith("~")
    return label.strip(), amount.strip().rstrip("~").strip(), estimated


def cmd_count(args: argparse.Namespace, open_vault: OpenVault) -> int:
    from kapcompanion.services import ledger as svc
    from kapcompanion.store.repos import Repos

    vault = _open(args, open_vault)
    try:
        repos = Repos(vault)
        by_label = {s.container.label.casefold(): s for s in svc.stock(repos)}
        found: dict[int, tuple[object, bool]] = {}
        for label, amount, estimated in args.found or []:
            state = by_label.get(label.casefold())
            if state is None:
                known = ", ".join(s.container.label for s in by_label.values()) or "none"
                raise LedgerCliError(f"No container {label} in stock (in stock: {known}).")
            found[int(state.container.id or 0)] = (amount, estimated)
        counted = svc.count(repos, lg.CountKind(args.kind), args.counted_by or vault.who, found)
        labels = {int(s.container.id or 0): s.container.label for s in by_label.values()}
    finally:
        vault.close()
    kind = lg.COUNT_LABELS[lg.CountKind(args.kind)]
    print(f"{kind} saved: {len(found)} container(s) counted (entry {counted.entry.id}).")
    if not counted.discrepancies:
        print("Everything matches the ledger.")
        return 0
    print(f"{len(counted.discrepancies)} discrepancy(ies), open until explained or reported:")
    for line in counted.discrepancies:
        print(
            f"  {labels[line.container_id]}: found {lg.text(line.found_mg)} mg, ledger "
            f"{lg.text(line.expected_mg)} mg (difference {lg.text(line.difference_mg)} mg)"
        )
    return 0


def cmd_report(args: argparse.Namespace, open_vault: OpenVault) -> int:
    """The same report as ``kapcompanion export ledger`` (one function, one wording)."""
    from kapcompanion.cli.export import cmd_export_ledger

    return cmd_export_ledger(args, open_vault)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vault", required=True, metavar="PATH", help="the encrypted vault")
    add_passphrase_env(p)


def _guarded(func: Callable[[argparse.Namespace, OpenVault], int], open_vault: OpenVault) -> Any:
    """The command, with a typed-input problem or a refusal printed as one line (exit 1)."""

    def run(args: argparse.Namespace) -> int:
        from kapcompanion.services.ledger import LedgerRefused

        try:
            return func(args, open_vault)
        except (LedgerCliError, lg.LedgerError, LedgerRefused) as exc:
            print(f"kapcompanion: {getattr(exc, 'message', exc)}", file=sys.stderr)
            return 1

    return run


def add_ledger_parser(subparsers: Any, open_vault: OpenVault) -> None:
    """Register ``ledger receive|count|report``."""
    parser = subparsers.add_parser(
        "ledger", help="the controlled-substance ledger: receive stock, count it, report it"
    )
    sub = parser.add_subparsers(dest="ledger_command", required=True)

    p = sub.add_parser("receive", allow_abbrev=False, help="take a supplier delivery into stock")
    _common(p)
    p.add_argument(
        "--product",
        required=True,
        metavar="ID|CODE",
        help=f"a product id, or one of {', '.join(COMMON)} (added on first use)",
    )
    p.add_argument("--supplier-name", required=True, metavar="TEXT")
    p.add_argument("--supplier-address", required=True, metavar="TEXT")
    p.add_argument("--supplier-dea", required=True, metavar="AB1234563")
    p.add_argument("--invoice", required=True, metavar="TEXT", help="invoice or order number")
    p.add_argument("--received-on", type=_day, metavar="YYYY-MM-DD", help="default today")
    p.add_argument("--quantity", required=True, type=int, metavar="N", help="containers")
    p.add_argument("--lot", required=True, metavar="TEXT")
    p.add_argument("--expiry", required=True, type=_day, metavar="YYYY-MM-DD")
    p.add_argument("--received-by", metavar="NAME", help="default the vault's practitioner")
    p.add_argument(
        "--label",
        action="append",
        metavar="LABEL",
        help="the clinic's label of each container (repeat; default K-0001, K-0002, ...)",
    )
    p.set_defaults(func=_guarded(cmd_receive, open_vault))

    p = sub.add_parser(
        "count", allow_abbrev=False, help="an inventory count of every container in stock"
    )
    _common(p)
    p.add_argument(
        "--kind",
        required=True,
        choices=[k.value for k in lg.CountKind],
        help="daily, end_of_shift, initial or biennial (21 CFR 1304.11)",
    )
    p.add_argument("--counted-by", metavar="NAME", help="default the vault's practitioner")
    p.add_argument(
        "--found",
        action="append",
        type=_found,
        metavar="LABEL=MG[~]",
        help="what is in a container, in mg (repeat for each; ~ marks an estimate of an "
        "opened vial, as 1304.11(e)(3) allows)",
    )
    p.set_defaults(func=_guarded(cmd_count, open_vault))

    p = sub.add_parser(
        "report", allow_abbrev=False, help="the ledger as PDF or CSV, written atomically"
    )
    add_ledger_report_arguments(p)  # the same options as ``export ledger``
    p.set_defaults(func=_guarded(cmd_report, open_vault))
