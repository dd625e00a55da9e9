"""The controlled-substance ledger for an inspector or the clinic's pharmacist (issue 23).

Two parts, as 21 CFR 1304 asks them to be readable: the **inventory** (every container in
stock with its lot, expiry, opened date and balance; the counts taken) and the **dispensing
log** (every receipt with the supplier's name, address and DEA number and the invoice; every
administration with the patient and who gave it; every waste with its witness; count
adjustments, losses and corrections), each container's lines with the running balance on
every line. The PDF holds both; CSV writes the log to the file named and the inventory
beside it (``NAME-inventory.csv``). Both files are written atomically; the export is audited
(the detail never names the file).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from reportlab.platypus import Flowable

from kapcompanion.core import ledger as lg
from kapcompanion.core.ledger import ContainerState, Entry, EntryKind, Product, Reminder
from kapcompanion.core.models import Practitioner, stored_id
from kapcompanion.core.serial import load
from kapcompanion.core.settings import OPENED_VIAL_HOURS, PAPER_SIZE, PART2_NOTICE
from kapcompanion.export import pdfkit as pk
from kapcompanion.export import tables as tb
from kapcompanion.export.csv_safe import write_csv
from kapcompanion.export.describe import fmt_date, fmt_datetime, local, tz_label
from kapcompanion.export.errors import ExportError
from kapcompanion.export.writer import ENCRYPTION_NONE, WriteResult, write_pdf
from kapcompanion.store import settings as stored_settings
from kapcompanion.store.repos import Repos


@dataclass
class LedgerReport:
    practitioner: Practitioner
    generated_utc: datetime
    tz: tzinfo | None
    products: dict[int, Product]
    states: list[ContainerState]  # every container, empty ones too
    entries: list[Entry]  # every entry, oldest first
    reminders: list[Reminder] = field(default_factory=list)
    part2: bool = False
    page_size: str = "a4"
    anchor: str = ""
    #: one product only (None: every product); ``states`` and receipts are limited to it
    product_id: int | None = None
    #: the period, local dates, both ends included (None: open)
    since: date | None = None
    until: date | None = None

    def receipts(self) -> dict[int, Entry]:
        return {int(e.id or 0): e for e in self.entries if e.kind is EntryKind.RECEIPT}

    def of_container(self, container_id: int) -> list[Entry]:
        return [e for e in self.entries if e.container_id == container_id]

    def in_period(self, e: Entry) -> bool:
        day = local(e.utc, self.tz)
        assert day is not None
        return (self.since is None or day.date() >= self.since) and (
            self.until is None or day.date() <= self.until
        )

    def of_kind(self, *kinds: EntryKind) -> list[Entry]:
        """Entries of ``kinds`` in the period (and of the product, for receipts)."""
        return [
            e
            for e in self.entries
            if e.kind in kinds
            and self.in_period(e)
            and not (
                e.kind is EntryKind.RECEIPT
                and self.product_id is not None
                and int(e.detail.get("product_id", 0)) != self.product_id
            )
        ]

    def lines(self, container_id: int) -> list[tuple[Entry | None, Decimal]]:
        """The container's lines in the period with the running balance after each; the
        balance is counted from the container's first entry, so a period that starts later
        opens with ``(None, balance brought forward)``. Nothing in the period: no lines."""
        everything = lg.running(self.of_container(container_id))
        before = [bal for e, bal in everything if not self.in_period(e) and self._before(e)]
        shown: list[tuple[Entry | None, Decimal]] = [
            (e, bal) for e, bal in everything if self.in_period(e)
        ]
        if before and shown:
            shown.insert(0, (None, before[-1]))
        return shown

    def _before(self, e: Entry) -> bool:
        day = local(e.utc, self.tz)
        return self.since is not None and day is not None and day.date() < self.since

    def scope(self) -> str:
        """ "Ketamine 50 mg/mL, 1 March 2026 to 31 May 2026" or "" for the whole ledger."""
        bits = []
        if self.product_id is not None and self.product_id in self.products:
            bits.append(self.products[self.product_id].label)
        if self.since is not None or self.until is not None:
            start = fmt_date(self.since) if self.since else "the first entry"
            end = fmt_date(self.until) if self.until else "today"
            bits.append(f"{start} to {end}")
        return ", ".join(bits)


def gather(
    repos: Repos,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
    product_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> LedgerReport:
    """The ledger, or one product's part of it over a period (``since`` and ``until`` are
    local dates, both included); balances always count from each container's first entry."""
    if since is not None and until is not None and since > until:
        raise ExportError("The period ends before it starts; nothing was written.")
    vault = repos.vault
    when = now or datetime.now(UTC)
    hours = int(stored_settings.read(vault, OPENED_VIAL_HOURS))
    products = {stored_id(p): p for p in repos.ledger.products()}
    entries = repos.ledger.entries()
    by_container: dict[int, list[Entry]] = {}
    for e in entries:
        if e.container_id is not None:
            by_container.setdefault(e.container_id, []).append(e)
    states = [
        lg.container_state(
            c,
            products[c.product_id],
            by_container.get(stored_id(c), []),
            now=when,
            beyond_use_hours=hours,
        )
        for c in repos.ledger.containers()
        if product_id is None or c.product_id == product_id
    ]
    if product_id is not None and product_id not in products:
        raise ExportError(f"There is no product {product_id} in the ledger; nothing was written.")
    anchor = ""
    with contextlib.suppress(Exception):
        found = vault.record_anchor("export")
        anchor = str(found) if found is not None else ""
    return LedgerReport(
        practitioner=load(Practitioner, vault.practitioner or {}),
        generated_utc=when,
        tz=tz,
        products=products,
        states=states,
        entries=entries,
        reminders=lg.open_items(entries, [s for s in states if s.in_stock], when.date()),
        part2=bool(stored_settings.read(vault, PART2_NOTICE)),
        page_size=str(stored_settings.read(vault, PAPER_SIZE)),
        anchor=anchor,
        product_id=product_id,
        since=since,
        until=until,
    )


# --------------------------------------------------------------------------- words
def _ml(product: Product, mg: Any) -> str:
    ml = product.ml(lg.dec(mg))
    return lg.text(ml) if ml is not None else ""


def _num(value: Any) -> int | float | str:
    """A number for a CSV cell (a spreadsheet reads it as a number; a negative amount is
    not a formula). Amounts have at most three decimals, so the float is exact in print."""
    if value in ("", None):
        return ""
    d = lg.dec(value)
    return int(d) if d == d.to_integral() else float(d)


def _units(state: ContainerState) -> str:
    p = state.product
    unit = "mL" if p.form is lg.Form.VIAL else "device"
    return f"{lg.text(p.units(state.balance_mg))} {unit}"


def _sentences(*parts: str) -> str:
    """Notes as sentences: ``"Flushed", "Left over after two sessions.", "awaiting witness"``
    -> ``"Flushed. Left over after two sessions. Awaiting witness."`` (not "sessions.; ")."""
    out = []
    for part in parts:
        text = part.strip().rstrip(".;, ")
        if text:
            out.append(text[:1].upper() + text[1:] + ".")
    return " ".join(out)


def _who_and_what(e: Entry, receipts: dict[int, Entry]) -> tuple[str, str]:
    """(patient, supplier or session; witness, reason or note) for one line."""
    d = e.detail
    if e.kind is EntryKind.RECEIVE:
        r = receipts.get(int(e.refers_id or 0))
        if r is None:
            return "", ""
        rd = r.detail
        return (
            f"{rd['supplier_name']}, {rd['supplier_address']} (DEA {rd['supplier_dea']})",
            f"invoice/order {rd['invoice']}; received {rd['received_on']} by {rd['received_by']}",
        )
    if e.kind is EntryKind.ADMINISTER:
        who = str(d.get("patient", ""))
        if d.get("patient_address"):
            who += f", {d['patient_address']}"
        if e.session_id is not None:
            who += f" (session {e.session_id})"
        note = f"override: {d['override_reason']}" if d.get("override_reason") else ""
        return who, note
    if e.kind is EntryKind.WASTE:
        seen = (
            f"witness {d['witness']}, {d['witness_credential']}"
            if d.get("witness")
            else "awaiting witness"
        )
        return "", _sentences(str(d.get("method", "")), str(d.get("reason", "")), seen)
    if e.kind is EntryKind.WITNESS:
        return "", f"witness of entry {e.refers_id}: {d['witness']}, {d['witness_credential']}"
    if e.kind is EntryKind.ADJUST:
        return "", f"count {e.refers_id}: {d.get('explanation', '')}"
    if e.kind is EntryKind.CORRECTION:
        return "", f"corrects entry {e.refers_id}: {d.get('reason', '')}"
    return "", ""


def _when(e: Entry, tz: tzinfo | None) -> str:
    return fmt_datetime(e.utc, tz)


# --------------------------------------------------------------------------- CSV
LOG_HEADER = (
    "Entry",
    "Date and time (UTC)",
    "Product",
    "Container",
    "Lot",
    "Expiry",
    "Kind",
    "Change (mg)",
    "Change (mL)",
    "Balance (mg)",
    "Balance (mL)",
    "Patient or supplier",
    "By",
    "Witness, reason or note",
)
INVENTORY_HEADER = (
    "Container",
    "Product",
    "Schedule",
    "Lot",
    "Expiry",
    "Opened (UTC)",
    "Balance (mg)",
    "Balance (mL or devices)",
    "Flags",
)


BROUGHT_FORWARD = "Balance brought forward"


def log_rows(report: LedgerReport) -> list[list[object]]:
    """Every container's lines with its running balance, then the other entries."""
    receipts = report.receipts()
    rows: list[list[object]] = []
    for s in report.states:
        c, p = s.container, s.product
        for e, bal in report.lines(stored_id(c)):
            if e is None:
                lead = ["", "", p.label, c.label, c.lot, c.expiry.isoformat(), BROUGHT_FORWARD]
                rows.append([*lead, "", "", _num(bal), _num(_ml(p, bal)), "", "", ""])
                continue
            party, note = _who_and_what(e, receipts)
            moves = lg.changes_balance(e.kind)
            rows.append(
                [
                    e.id,
                    e.utc.isoformat(timespec="seconds"),
                    p.label,
                    c.label,
                    c.lot,
                    c.expiry.isoformat(),
                    lg.KIND_LABELS[e.kind],
                    _num(e.mg) if moves else "",
                    _num(_ml(p, e.mg)) if moves else "",
                    _num(bal),
                    _num(_ml(p, bal)),
                    party,
                    e.who,
                    note,
                ]
            )
    for e in report.of_kind(EntryKind.COUNT, EntryKind.LOSS, EntryKind.LOSS_STEP):
        rows.append(
            [
                e.id,
                e.utc.isoformat(timespec="seconds"),
                "",
                "",
                "",
                "",
                lg.KIND_LABELS[e.kind],
                "",
                "",
                "",
                "",
                "",
                e.who,
                _other_words(e),
            ]
        )
    return rows


def _other_words(e: Entry) -> str:
    d = e.detail
    if e.kind is EntryKind.COUNT:
        kind = lg.COUNT_LABELS.get(lg.CountKind(d["count_kind"]), d["count_kind"])
        lines = "; ".join(
            f"{ln['label']}: expected {ln['expected_mg']} mg, found {ln['found_mg']} mg"
            f"{' (estimated)' if ln['estimated'] else ''}"
            f"{'' if lg.dec(ln['difference_mg']) == 0 else ', difference ' + ln['difference_mg']}"
            for ln in d.get("lines", [])
        )
        return f"{kind}: {lines}"
    if e.kind is EntryKind.LOSS:
        missing = ", ".join(f"{m['label']} {m['mg']} mg" for m in d.get("missing", []))
        return (
            f"{'Theft' if d.get('theft') else 'Loss'} discovered {d['discovered_on']}: "
            f"{d['description']} Missing: {missing}. Field Division Office notice due "
            f"{d['notice_due']}."
        )
    if e.kind is EntryKind.LOSS_STEP:
        step = lg.LOSS_STEP_LABELS.get(lg.LossStep(d["step"]), d["step"])
        ref = f" ({d['reference']})" if d.get("reference") else ""
        return f"loss {e.refers_id}: {step} on {d['done_on']}{ref}"
    return ""


def inventory_rows(report: LedgerReport) -> list[list[object]]:
    return [
        [
            s.container.label,
            s.product.label,
            s.product.schedule,
            s.container.lot,
            s.container.expiry.isoformat(),
            s.opened_utc.isoformat(timespec="seconds") if s.opened_utc else "unopened",
            _num(s.balance_mg),
            _units(s),
            "; ".join(s.flags()),
        ]
        for s in report.states
        if s.in_stock
    ]


def inventory_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}-inventory.csv")


def write_ledger_csv(report: LedgerReport, out: Path) -> list[Path]:
    second = inventory_path(out)
    log = write_csv(out, LOG_HEADER, log_rows(report))
    try:
        inv = write_csv(second, INVENTORY_HEADER, inventory_rows(report))
    except ExportError:
        with contextlib.suppress(OSError):
            log.unlink()
        raise
    return [log, inv]


# --------------------------------------------------------------------------- PDF
def _furniture(report: LedgerReport) -> pk.PageFurniture:
    p = report.practitioner
    page = pk.PAGE_SIZES.get(report.page_size, pk.PAGE_SIZES["a4"])
    at = report.generated_utc
    when = f"{fmt_datetime(at, report.tz)} {tz_label(report.tz, at)}"
    who = ", ".join(x for x in (p.name, p.credentials) if x)
    return pk.PageFurniture(
        title="Controlled-substance ledger",
        subject="Schedule III: ketamine, esketamine",
        clinic=" · ".join(x for x in (p.clinic, who) if x) or "KAP Companion",
        generated=pk.generated_line(when, p.name, report.anchor, page),
        part2=report.part2,
        page_size=page,
    )


def _widths(width: float, parts: Sequence[float]) -> list[float]:
    return [width * w / sum(parts) for w in parts]


def _story(report: LedgerReport, width: float) -> list[Flowable]:
    st = pk.styles()
    p = report.practitioner
    scope = report.scope()
    out: list[Flowable] = [
        pk.para("Controlled-substance ledger" + (f": {scope}" if scope else ""), st.title),
        pk.para(
            (
                "Entries of this period only; each balance counts from the container's first "
                "entry. "
                if report.since or report.until
                else ""
            )
            + f"Inventory and dispensing log as of {fmt_datetime(report.generated_utc, report.tz)} "
            f"{tz_label(report.tz, report.generated_utc)}. Amounts in mg; volumes derived from "
            "the strength. Kept for at least two years (21 CFR 1304.04).",
            st.muted,
        ),
    ]
    out.extend(
        tb.kv_table(
            [
                ("Registrant", ", ".join(x for x in (p.name, p.credentials) if x) or "—"),
                ("Clinic", p.clinic or "—"),
                ("Licence", p.licence_number or "—"),
            ],
            width,
        )
    )
    out.append(pk.h1("Open items"))
    if report.reminders:
        rows = [
            [("Overdue: " if r.overdue else "") + r.text, r.due.isoformat() if r.due else ""]
            for r in report.reminders
        ]
        flagged = [(i, 0) for i, r in enumerate(report.reminders) if r.overdue]
        out.extend(tb.grid(["Item", "Due"], rows, _widths(width, [5, 1]), flagged=flagged))
    else:
        out.append(pk.para("Nothing is open.", st.muted))

    out.append(pk.h1("Inventory on hand"))
    in_stock = [s for s in report.states if s.in_stock]
    inv_rows = [
        [
            s.container.label,
            s.product.label,
            s.container.lot,
            fmt_date(s.container.expiry),
            fmt_datetime(s.opened_utc, report.tz) if s.opened_utc else "unopened",
            lg.text(s.balance_mg),
            _units(s),
            "; ".join(s.flags()),
        ]
        for s in in_stock
    ]
    out.extend(
        tb.grid(
            ["Container", "Product", "Lot", "Expiry", "Opened", "mg", "Volume", "Flags"],
            inv_rows,
            _widths(width, [1.35, 2.7, 0.9, 1.3, 1.5, 0.9, 1.0, 1.6]),
            flagged=[(i, 7) for i, s in enumerate(in_stock) if s.flags()],
            bold_cols=[5],
            empty="No container is in stock.",
        )
    )
    totals: dict[int, Any] = {}
    for s in in_stock:
        totals[int(s.product.id or 0)] = totals.get(int(s.product.id or 0), lg.ZERO) + s.balance_mg
    if totals:
        out.append(
            pk.para(
                "Total on hand: "
                + "; ".join(
                    f"{report.products[pid].label}: {lg.text(mg)} mg" for pid, mg in totals.items()
                ),
                st.body,
            )
        )

    out.append(pk.h1("Receipts"))
    receipts = report.of_kind(EntryKind.RECEIPT)
    out.extend(
        tb.grid(
            ["Received", "Supplier", "DEA no.", "Invoice", "Product", "Qty", "Lot", "By"],
            [
                [
                    fmt_date(date.fromisoformat(r.detail["received_on"])),
                    f"{r.detail['supplier_name']}, {r.detail['supplier_address']}",
                    r.detail["supplier_dea"],
                    r.detail["invoice"],
                    report.products[int(r.detail["product_id"])].label,
                    str(r.detail["quantity"]),
                    f"{r.detail['lot']} (exp. {r.detail['expiry']})",
                    r.detail["received_by"],
                ]
                for r in receipts
            ],
            _widths(width, [1.3, 2.4, 1.75, 1.4, 2.0, 0.65, 1.5, 1.1]),
            empty="No receipt is recorded.",
        )
    )

    out.append(pk.h1("Dispensing log by container"))
    books = report.receipts()
    shown = 0
    for s in report.states:
        c = s.container
        lines = report.lines(stored_id(c))
        if not lines and (report.since or report.until):
            continue  # nothing happened to this container in the period
        shown += 1
        out.append(
            pk.h2(
                f"{c.label} · {s.product.label} · lot {c.lot} · expires "
                f"{fmt_date(c.expiry)} · balance {s.balance_text()}"
            )
        )
        rows = []
        for e, bal in lines:
            if e is None:
                rows.append(["", "", BROUGHT_FORWARD, "", f"{lg.text(bal)} mg", "", "", ""])
                continue
            party, note = _who_and_what(e, books)
            moves = lg.changes_balance(e.kind)
            change = f"{lg.text(e.mg)}" if moves else ""
            if moves and s.product.form is lg.Form.VIAL:
                change += f" ({_ml(s.product, e.mg)} mL)"
            rows.append(
                [
                    str(e.id),
                    _when(e, report.tz),
                    lg.KIND_LABELS[e.kind],
                    change,
                    f"{lg.text(bal)} mg",
                    party,
                    e.who,
                    note,
                ]
            )
        out.extend(
            tb.grid(
                [
                    "No.",
                    "When",
                    "Entry",
                    "Change mg",
                    "Balance",
                    "Patient or supplier",
                    "By",
                    "Note",
                ],
                rows,
                _widths(width, [0.6, 1.45, 1.7, 1.3, 1.05, 2.2, 1.1, 2.2]),
                bold_cols=[4],
            )
        )

    if not shown:
        out.append(pk.para("No container has an entry in this period.", st.muted))

    out.append(pk.h1("Counts"))
    counts = report.of_kind(EntryKind.COUNT)
    if not counts:
        out.append(pk.para("No count is recorded.", st.muted))
    for e in counts:
        kind = lg.COUNT_LABELS.get(lg.CountKind(e.detail["count_kind"]), e.detail["count_kind"])
        out.append(pk.h2(f"{kind} no. {e.id}, {_when(e, report.tz)}, by {e.who}"))
        lines = e.detail.get("lines", [])
        out.extend(
            tb.grid(
                ["Container", "Expected mg", "Found mg", "How", "Difference mg"],
                [
                    [
                        ln["label"],
                        ln["expected_mg"],
                        ln["found_mg"],
                        "estimated" if ln["estimated"] else "exact",
                        ln["difference_mg"],
                    ]
                    for ln in lines
                ],
                _widths(width, [1.5, 1.2, 1.2, 1, 1.2]),
                flagged=[(i, 4) for i, ln in enumerate(lines) if lg.dec(ln["difference_mg"]) != 0],
            )
        )

    out.append(pk.h1("Losses and thefts (21 CFR 1301.76(b))"))
    losses = report.of_kind(EntryKind.LOSS, EntryKind.LOSS_STEP)
    out.extend(
        tb.grid(
            ["No.", "When", "Entry", "By", "Detail"],
            [
                [str(e.id), _when(e, report.tz), lg.KIND_LABELS[e.kind], e.who, _other_words(e)]
                for e in losses
            ],
            _widths(width, [0.5, 1.5, 1.5, 1.2, 5]),
            empty="No loss or theft is recorded.",
        )
    )
    return out


def build_ledger_pdf(report: LedgerReport, target: IO[bytes]) -> None:
    doc = pk.RecordDoc(target, _furniture(report))
    doc.build_story(_story(report, doc.content_width))


# --------------------------------------------------------------------------- one call
@dataclass(frozen=True)
class LedgerExport:
    paths: list[Path]
    entries: int
    containers: int
    encryption: str = ENCRYPTION_NONE


def export_ledger(
    repos: Repos,
    out: str | os.PathLike[str],
    password: str | None = None,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
    product_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> LedgerExport:
    """Write the ledger as PDF (``.pdf``) or CSV (``.csv``, plus ``-inventory.csv``), then
    audit the export; a failed audit removes the files again."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        raise ExportError(f"Choose a file name ending in .pdf or .csv, not {path.name}.")
    if suffix == ".csv" and password is not None:
        raise ExportError("A CSV file cannot carry a password; export a PDF to protect it.")
    report = gather(repos, tz=tz, now=now, product_id=product_id, since=since, until=until)
    paths: list[Path]
    encryption = ENCRYPTION_NONE
    if suffix == ".pdf":

        def build(target: IO[bytes], _encrypt: Any) -> None:
            build_ledger_pdf(report, target)

        result: WriteResult = write_pdf(build, path, password)
        paths, encryption = [result.path], result.encryption
    else:
        paths = write_ledger_csv(report, path)
    try:
        repos.vault.audit(
            "export.ledger",
            record_type="ledger",
            detail=f"{suffix[1:]}; {len(report.entries)} entries; "
            + (f"{report.scope()}; " if report.scope() else "")
            + ("unprotected" if encryption == ENCRYPTION_NONE else encryption),
        )
    except BaseException:
        for written in paths:
            with contextlib.suppress(OSError):
                written.unlink()
        raise
    return LedgerExport(paths, len(report.entries), len(report.states), encryption)
