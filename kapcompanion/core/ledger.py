"""The controlled-substance ledger: the rules and the arithmetic, no storage (issue 23).

Ketamine and esketamine are Schedule III in the US. The practice accounts for every unit from
receipt to dose or witnessed waste:

- **Receipts** (21 CFR 1304.22(c)): date, quantity, the supplier's name, address and DEA
  registration number, the invoice or order number, lot, expiry and who received it.
  A registration number is checked with the DEA check digit (:func:`dea_problem`).
- **Containers**: each vial or nasal spray device is a unit with its own balance, kept in mg
  (the ledger's unit) and shown in mL (vials) or devices. A balance is the sum of its entries;
  entries are never edited, corrections are new entries that name the one they correct.
- **Administration** and **waste** take mg out of a container; a balance never goes below zero.
  Waste needs a second person as witness; without one it stays "awaiting witness".
- **Counts** (1304.11): an initial inventory and one at least every two years (biennial);
  unopened containers are counted exactly; for Schedule III-V an opened container may be
  estimated unless it holds more than 1,000 units (1304.11(e)(3)). A difference between the
  count and the book balance is a discrepancy that must be explained or reported as a loss.
- **Loss or theft** (1301.76(b)): the DEA Field Division Office is told in writing within one
  business day of discovery, then DEA Form 106 is filed; the ledger records both steps and
  reminds until they are done (:func:`loss_notice_due`).
- Expired containers, and opened vials past the clinic's beyond-use time, are flagged.

Arithmetic is :class:`decimal.Decimal` from the numbers as written, so thousands of draws add
up exactly. mL are derived from mg and the product's strength (never summed separately).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from kapcompanion.core import wording
from kapcompanion.core.reasons import reason_problem

ZERO = Decimal(0)
MG_PLACES = 3  # mg are accepted to 0.001 mg
ML_SHOWN = Decimal("0.01")
#: 1304.11(e)(3): an opened Schedule III-V container may be estimated unless it holds more
ESTIMATE_LIMIT_UNITS = 1000
#: the schedules for which an opened container may be estimated
ESTIMABLE_SCHEDULES = frozenset({"III", "IV", "V"})
#: 1304.11(c): the biennial inventory, at least every two years
BIENNIAL_DAYS = 2 * 365


class LedgerError(ValueError):
    """Input the ledger cannot take; the message says why in plain words."""


# --------------------------------------------------------------------------- numbers
def amount(
    value: object, what: str = "The amount", unit: str = "mg", *, allow_zero: bool = False
) -> Decimal:
    """A positive amount (or zero, for a count) from what was typed, exactly."""
    if isinstance(value, bool) or value is None:
        raise LedgerError(f"{what} is a number of {unit}.")
    if isinstance(value, float):
        value = repr(value)  # the number as written (0.1 stays 0.1)
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise LedgerError(f"{what} is a number of {unit}, not {value!r}.") from None
    if not number.is_finite():
        raise LedgerError(f"{what} is a number of {unit}, not {value!r}.")
    if number < 0 or (number == 0 and not allow_zero):
        raise LedgerError(f"{what} must be more than 0 {unit}.")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MG_PLACES:
        raise LedgerError(f"{what} has more than {MG_PLACES} decimal places.")
    return dec(text(number))


def dec(text: str | Decimal | int) -> Decimal:
    """A stored amount back as a Decimal (stored as text, exactly as computed)."""
    return text if isinstance(text, Decimal) else Decimal(str(text))


def text(value: Decimal) -> str:
    """How a Decimal is stored and shown: plain notation, no exponent, no trailing zeros."""
    if value == value.to_integral():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


# --------------------------------------------------------------------------- DEA number
#: first letter of a DEA registration number: the registrant type (DEA Diversion Control)
DEA_TYPES = frozenset("ABCDEFGHJKLMPRSTUX")
_DEA = re.compile(r"^([A-Z])([A-Z9])(\d{7})$")


def dea_check_digit(six: str) -> int:
    """The DEA check digit of the six digits before it: (d1+d3+d5) + 2*(d2+d4+d6), last digit."""
    d = [int(c) for c in six]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10


def normalise_dea(number: str) -> str:
    return re.sub(r"[\s-]", "", number or "").upper()


def dea_problem(number: str) -> str | None:
    """None for a well-formed DEA registration number whose check digit holds, else why not.

    Two letters (the registrant type, then the first letter of the registrant's name or 9)
    and seven digits, the last being the check digit: AB1234563 is valid because
    (1+3+5) + 2*(2+4+6) = 33, whose last digit is 3."""
    cleaned = normalise_dea(number)
    if not cleaned:
        return "The supplier's DEA registration number is needed."
    found = _DEA.match(cleaned)
    if found is None:
        return (
            f"{number!r} is not a DEA registration number: it is two letters and seven digits "
            "(for example AB1234563)."
        )
    kind, _second, digits = found.groups()
    if kind not in DEA_TYPES:
        return f"{cleaned} does not start with a DEA registrant type letter."
    if dea_check_digit(digits[:6]) != int(digits[6]):
        return (
            f"{cleaned} fails the DEA check digit (its last digit should be "
            f"{dea_check_digit(digits[:6])}); check the number on the invoice or DEA Form 222."
        )
    return None


# --------------------------------------------------------------------------- products
class Form(StrEnum):
    VIAL = "vial"
    NASAL_DEVICE = "nasal_device"

    @property
    def unit(self) -> str:
        return "mL" if self is Form.VIAL else "device"


@dataclass(frozen=True)
class Product:
    """A finished form: ketamine 50 mg/mL in 10 mL vials, esketamine 28 mg nasal devices."""

    name: str  # "Ketamine hydrochloride injection"
    substance: str  # "ketamine" or "esketamine"
    form: Form
    strength_mg: Decimal  # mg per mL (vial) or mg per device
    container_ml: Decimal | None = None  # mL per vial; None for a device
    schedule: str = "III"
    id: int | None = None

    @property
    def container_mg(self) -> Decimal:
        """What a full container holds, in mg."""
        if self.form is Form.VIAL:
            assert self.container_ml is not None
            return self.strength_mg * self.container_ml
        return self.strength_mg

    @property
    def container_units(self) -> Decimal:
        """A full container in its counting unit (mL of a vial, one device)."""
        return self.container_ml if self.container_ml is not None else Decimal(1)

    @property
    def label(self) -> str:
        if self.form is Form.VIAL:
            return (
                f"{self.name} {text(self.strength_mg)} mg/mL, "
                f"{text(self.container_ml or ZERO)} mL vial"
            )
        return f"{self.name} {text(self.strength_mg)} mg nasal spray device"

    def ml(self, mg: Decimal) -> Decimal | None:
        """The volume of ``mg`` (vials), to 0.01 mL half up; None for devices."""
        if self.form is not Form.VIAL:
            return None
        return (mg / self.strength_mg).quantize(ML_SHOWN, rounding=ROUND_HALF_UP)

    def units(self, mg: Decimal) -> Decimal:
        """``mg`` in the counting unit: mL of a vial (to 0.01), devices (to 0.01)."""
        return (mg / self.strength_mg).quantize(ML_SHOWN, rounding=ROUND_HALF_UP)


def product_problems(p: Product) -> list[str]:
    problems = []
    if not p.name.strip():
        problems.append("The product needs a name.")
    if p.substance not in ("ketamine", "esketamine"):
        problems.append("The substance is ketamine or esketamine.")
    if p.strength_mg <= 0:
        problems.append("The strength must be more than 0.")
    if p.form is Form.VIAL and (p.container_ml is None or p.container_ml <= 0):
        problems.append("A vial product needs its volume in mL.")
    if p.form is Form.NASAL_DEVICE and p.container_ml is not None:
        problems.append("A nasal spray device is counted in devices, not mL.")
    return problems


#: the forms the issue names, offered when a clinic sets up its stock
COMMON_PRODUCTS: tuple[Product, ...] = (
    Product("Ketamine HCl injection", "ketamine", Form.VIAL, Decimal(50), Decimal(10)),
    Product("Ketamine HCl injection", "ketamine", Form.VIAL, Decimal(100), Decimal(5)),
    Product("Ketamine HCl injection", "ketamine", Form.VIAL, Decimal(10), Decimal(20)),
    Product("Esketamine (Spravato)", "esketamine", Form.NASAL_DEVICE, Decimal(28)),
)


# --------------------------------------------------------------------------- entries
class EntryKind(StrEnum):
    RECEIPT = "receipt"  # the receipt itself (supplier, invoice); no container, no amount
    RECEIVE = "receive"  # one container taken into stock (+ its full content)
    ADMINISTER = "administer"  # given to a patient (-)
    WASTE = "waste"  # wasted (-); awaiting witness until a WITNESS entry names it
    WITNESS = "witness"  # a witness for an earlier waste (no amount)
    COUNT = "count"  # an inventory count (the lines are in its detail; no amount)
    ADJUST = "adjust"  # brings a balance to what a count found, with the explanation
    LOSS = "loss"  # a theft or significant loss reported (1301.76(b)); no amount
    LOSS_STEP = "loss_step"  # field office notified / Form 106 filed, for an earlier LOSS
    CORRECTION = "correction"  # corrects an earlier entry's amount (+ or -), with a reason


#: what each kind is called on screen and on paper
KIND_LABELS = {
    EntryKind.RECEIPT: "Receipt",
    EntryKind.RECEIVE: "Received",
    EntryKind.ADMINISTER: "Administered",
    EntryKind.WASTE: "Wasted",
    EntryKind.WITNESS: "Waste witnessed",
    EntryKind.COUNT: "Count",
    EntryKind.ADJUST: "Count adjustment",
    EntryKind.LOSS: "Loss or theft reported",
    EntryKind.LOSS_STEP: "Loss report step",
    EntryKind.CORRECTION: "Correction",
}


@dataclass(frozen=True)
class Entry:
    """One ledger line. ``mg`` is the change to the container's balance (signed)."""

    kind: EntryKind
    utc: datetime
    who: str
    container_id: int | None = None
    mg: Decimal = ZERO
    session_id: int | None = None
    refers_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True)
class Container:
    """One vial or device, from the receipt that brought it in."""

    product_id: int
    label: str  # the clinic's label on the vial, "K-2291"
    lot: str
    expiry: date
    receipt_id: int
    id: int | None = None


@dataclass(frozen=True)
class ContainerState:
    container: Container
    product: Product
    balance_mg: Decimal
    opened_utc: datetime | None  # the first draw or waste
    expired: bool
    beyond_use: bool  # opened vial older than the clinic's beyond-use time
    entries: int

    @property
    def balance_ml(self) -> Decimal | None:
        return self.product.ml(self.balance_mg)

    @property
    def opened(self) -> bool:
        return self.opened_utc is not None

    @property
    def empty(self) -> bool:
        return self.balance_mg <= 0

    @property
    def in_stock(self) -> bool:
        return not self.empty

    def balance_text(self) -> str:
        ml = self.balance_ml
        if ml is not None:
            return f"{text(self.balance_mg)} mg ({text(ml)} mL)"
        return f"{text(self.balance_mg)} mg ({text(self.product.units(self.balance_mg))} device)"

    def flags(self) -> list[str]:
        out = []
        if self.expired and self.in_stock:
            out.append(f"expired {wording.short_date(self.container.expiry)}")
        if self.beyond_use and self.in_stock:
            out.append("opened beyond its use time")
        return out


def changes_balance(kind: EntryKind) -> bool:
    return kind in (
        EntryKind.RECEIVE,
        EntryKind.ADMINISTER,
        EntryKind.WASTE,
        EntryKind.ADJUST,
        EntryKind.CORRECTION,
    )


def balance(entries: Iterable[Entry]) -> Decimal:
    total = ZERO
    for e in entries:
        if changes_balance(e.kind):
            total += e.mg
    return total


def running(entries: Sequence[Entry]) -> list[tuple[Entry, Decimal]]:
    """Each entry with the container's balance after it (in the order given)."""
    out = []
    total = ZERO
    for e in entries:
        if changes_balance(e.kind):
            total += e.mg
        out.append((e, total))
    return out


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def container_state(
    container: Container,
    product: Product,
    entries: Sequence[Entry],
    *,
    now: datetime,
    beyond_use_hours: int,
) -> ContainerState:
    """The container as it stands at ``now`` (entries: this container's, oldest first)."""
    opened = next(
        (e.utc for e in entries if e.kind in (EntryKind.ADMINISTER, EntryKind.WASTE)), None
    )
    now = _aware(now)
    expired = container.expiry < now.date()
    beyond = (
        product.form is Form.VIAL
        and opened is not None
        and now - _aware(opened) > timedelta(hours=beyond_use_hours)
    )
    return ContainerState(
        container=container,
        product=product,
        balance_mg=balance(entries),
        opened_utc=opened,
        expired=expired,
        beyond_use=beyond,
        entries=len(entries),
    )


# --------------------------------------------------------------------------- rules
def person_problem(name: str, role: str) -> str | None:
    if len(" ".join((name or "").split())) < 2:
        return f"Name the {role} (first and last name)."
    return None


def check_take(state: ContainerState, mg: Decimal, *, what: str, override_reason: str = "") -> None:
    """Refuse a draw or waste the container cannot give.

    Beyond the balance: always refused. An expired container, or an opened vial past its
    beyond-use time, needs a reason of substance (a waste of expired stock gives one)."""
    if state.empty:
        raise LedgerError(f"Container {state.container.label} is empty; nothing can be {what}.")
    if mg > state.balance_mg:
        raise LedgerError(
            f"{text(mg)} mg is more than container {state.container.label} holds "
            f"({state.balance_text()}); nothing was recorded."
        )
    if state.expired or state.beyond_use:
        why = (
            f"expired on {wording.short_date(state.container.expiry)}"
            if state.expired
            else "has been open longer than the clinic's beyond-use time"
        )
        problem = reason_problem(override_reason)
        if problem is not None:
            raise LedgerError(f"Container {state.container.label} {why}. {problem}")


def witness_problem(witness: str, credential: str, by: str) -> str | None:
    """A witness is a second person, named with a credential."""
    problem = person_problem(witness, "witness")
    if problem:
        return problem
    if not credential.strip():
        return "Give the witness's credential (RN, MD, PharmD...)."
    if " ".join(witness.split()).casefold() == " ".join(by.split()).casefold():
        return "The witness must be a second person, not the one who wasted."
    return None


# --------------------------------------------------------------------------- receipts
@dataclass(frozen=True)
class Receipt:
    supplier_name: str
    supplier_address: str
    supplier_dea: str
    invoice: str  # invoice or order number (DEA Form 222 / CSOS order number)
    received_on: date
    product_id: int
    quantity: int  # containers
    lot: str
    expiry: date
    received_by: str
    labels: tuple[str, ...] = ()  # the clinic's container labels; generated when empty


def receipt_problems(r: Receipt, today: date) -> list[str]:
    problems = []
    if not r.supplier_name.strip():
        problems.append("Give the supplier's name.")
    if not r.supplier_address.strip():
        problems.append("Give the supplier's address.")
    dea = dea_problem(r.supplier_dea)
    if dea:
        problems.append(dea)
    if not r.invoice.strip():
        problems.append("Give the invoice or order number.")
    if r.received_on > today:
        problems.append("The date received cannot be in the future.")
    if not 1 <= r.quantity <= 500:
        problems.append("The quantity is a number of containers from 1 to 500.")
    if not r.lot.strip():
        problems.append("Give the lot number.")
    if r.expiry <= r.received_on:
        problems.append("The expiry date is on or before the date received: check it.")
    who = person_problem(r.received_by, "person who received the stock")
    if who:
        problems.append(who)
    if r.labels and len(r.labels) != r.quantity:
        problems.append("Give one label per container, or none to number them automatically.")
    if len({label.strip().casefold() for label in r.labels}) != len(r.labels):
        problems.append("Two containers have the same label.")
    return problems


# --------------------------------------------------------------------------- counts
class CountKind(StrEnum):
    INITIAL = "initial"
    BIENNIAL = "biennial"
    DAILY = "daily"
    SHIFT = "end_of_shift"


COUNT_LABELS = {
    CountKind.INITIAL: "Initial inventory",
    CountKind.BIENNIAL: "Biennial inventory",
    CountKind.DAILY: "Daily count",
    CountKind.SHIFT: "End-of-shift count",
}


@dataclass(frozen=True)
class CountLine:
    container_id: int
    expected_mg: Decimal
    found_mg: Decimal
    estimated: bool = False

    @property
    def difference_mg(self) -> Decimal:
        return self.found_mg - self.expected_mg


def estimate_problem(state: ContainerState) -> str | None:
    """1304.11(e)(3): an estimate only for an opened Schedule III-V container of at most
    1,000 units; anything else is counted exactly."""
    label = state.container.label
    if not state.opened:
        return f"Container {label} is unopened: count it exactly."
    if state.product.schedule not in ESTIMABLE_SCHEDULES:
        return f"Container {label} is Schedule {state.product.schedule}: count it exactly."
    if state.product.container_units > ESTIMATE_LIMIT_UNITS:
        return (
            f"Container {label} holds more than {ESTIMATE_LIMIT_UNITS:,} units: count it exactly."
        )
    return None


def found_problem(found: Decimal) -> str | None:
    if found < 0:
        return "A count cannot be below 0."
    return None


# --------------------------------------------------------------------------- loss or theft
class LossStep(StrEnum):
    FIELD_OFFICE = "field_office"  # DEA Field Division Office notified in writing
    FORM_106 = "form_106"  # DEA Form 106 filed


LOSS_STEP_LABELS = {
    LossStep.FIELD_OFFICE: "DEA Field Division Office notified in writing",
    LossStep.FORM_106: "DEA Form 106 filed",
}


def next_business_day(day: date) -> date:
    """The next Monday-to-Friday day after ``day`` (federal holidays are not known here)."""
    nxt = day + timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += timedelta(days=1)
    return nxt


def loss_notice_due(discovered_on: date) -> date:
    """1301.76(b): the Field Division Office is notified within one business day of discovery."""
    return next_business_day(discovered_on)


@dataclass(frozen=True)
class Reminder:
    """An open item: what is to be done, by when, and whether it is late."""

    text: str
    due: date | None = None
    overdue: bool = False
    entry_id: int | None = None
    container_id: int | None = None


# --------------------------------------------------------------------------- open items
def awaiting_witness(entries: Iterable[Entry]) -> list[Entry]:
    """Wastes recorded without a witness and not witnessed since."""
    entries = list(entries)
    witnessed = {e.refers_id for e in entries if e.kind is EntryKind.WITNESS}
    return [
        e
        for e in entries
        if e.kind is EntryKind.WASTE and not e.detail.get("witness") and e.id not in witnessed
    ]


def open_discrepancies(entries: Iterable[Entry]) -> list[tuple[Entry, dict[str, Any]]]:
    """Count lines with a difference not yet explained or reported as a loss."""
    entries = list(entries)
    settled = {(e.refers_id, e.container_id) for e in entries if e.kind is EntryKind.ADJUST}
    out = []
    for c in entries:
        if c.kind is not EntryKind.COUNT:
            continue
        for line in c.detail.get("lines", []):
            if dec(line["difference_mg"]) != 0 and (c.id, line["container_id"]) not in settled:
                out.append((c, line))
    return out


def open_items(
    entries: Sequence[Entry], states: Sequence[ContainerState], today: date
) -> list[Reminder]:
    """What the ledger asks of the practice: witnesses, discrepancies, the loss report steps,
    expired or opened-too-long stock, the initial and the biennial inventory.

    ``entries``: every ledger entry, oldest first; ``states``: the containers in stock."""
    out: list[Reminder] = []
    for e in awaiting_witness(entries):
        out.append(
            Reminder(
                f"Waste of {text(-e.mg)} mg on {wording.short_date(e.utc.date())} by {e.who} is "
                "awaiting a witness.",
                entry_id=e.id,
                container_id=e.container_id,
            )
        )
    for c, line in open_discrepancies(entries):
        out.append(
            Reminder(
                f"Count {c.id} found {line['found_mg']} mg in {line['label']} against "
                f"{line['expected_mg']} mg in the ledger: explain the difference or report a "
                "loss.",
                entry_id=c.id,
                container_id=int(line["container_id"]),
            )
        )
    steps: dict[int | None, set[str]] = {}
    for e in entries:
        if e.kind is EntryKind.LOSS_STEP:
            steps.setdefault(e.refers_id, set()).add(str(e.detail.get("step")))
    for loss in (e for e in entries if e.kind is EntryKind.LOSS):
        done = steps.get(loss.id, set())
        due = date.fromisoformat(loss.detail["notice_due"])
        if LossStep.FIELD_OFFICE.value not in done:
            out.append(
                Reminder(
                    f"Loss {loss.id}: notify the DEA Field Division Office in writing by "
                    f"{wording.short_date(due)} (one business day after discovery, "
                    "21 CFR 1301.76(b)).",
                    due=due,
                    overdue=today > due,
                    entry_id=loss.id,
                )
            )
        if LossStep.FORM_106.value not in done:
            out.append(
                Reminder(
                    f"Loss {loss.id}: file DEA Form 106 with the Field Division Office.",
                    entry_id=loss.id,
                )
            )
    for s in states:
        for flag in s.flags():
            out.append(
                Reminder(
                    f"Container {s.container.label} ({s.balance_text()}) {flag}: waste it "
                    "with a witness.",
                    container_id=s.container.id,
                )
            )
    inventories = [
        e
        for e in entries
        if e.kind is EntryKind.COUNT
        and e.detail.get("count_kind") in (CountKind.INITIAL.value, CountKind.BIENNIAL.value)
    ]
    if any(e.kind is EntryKind.RECEIVE for e in entries):
        if not inventories:
            out.append(Reminder("Take the initial inventory (21 CFR 1304.11(b))."))
        else:
            due = inventories[-1].utc.date() + timedelta(days=BIENNIAL_DAYS)
            if today >= due - timedelta(days=60):
                out.append(
                    Reminder(
                        f"The biennial inventory is due by {wording.short_date(due)} "
                        "(21 CFR 1304.11(c)).",
                        due=due,
                        overdue=today > due,
                    )
                )
    return out


# --------------------------------------------------------------------------- session record
def session_lines(
    entries: Sequence[Entry],
    containers: dict[int, tuple[Container, Product]],
    witnesses: dict[int, Entry],
) -> list[str]:
    """What a session's record says about its draws, one line per draw: "35 mg from vial
    K-2291 (lot A123), 5 mg wasted, witnessed by Sam Lee, RN".

    ``entries``: the session's ledger entries, oldest first; ``containers``: each container
    named there with its product; ``witnesses``: a later WITNESS entry by the waste's id. A
    waste joins the last draw from the same container before it (else it is its own line); a
    correction joins the entry it corrects. Names are as written in the entries at the time.
    """

    def source(container_id: int | None) -> str:
        if container_id is None or container_id not in containers:
            return "a container no longer in the ledger"
        c, p = containers[container_id]
        what = "vial" if p.form is Form.VIAL else "device"
        return f"{what} {c.label} (lot {c.lot})"

    lines: list[list[str]] = []
    line_of: dict[int, int] = {}  # entry id -> index in lines
    last_draw: dict[int | None, int] = {}  # container id -> index of its latest draw
    for e in entries:
        if e.kind is EntryKind.ADMINISTER:
            lines.append([f"{text(-e.mg)} mg from {source(e.container_id)}"])
            last_draw[e.container_id] = len(lines) - 1
            line_of[int(e.id or 0)] = len(lines) - 1
        elif e.kind is EntryKind.WASTE:
            seen = witnesses.get(int(e.id or 0))
            detail = seen.detail if seen is not None else e.detail
            name = str(detail.get("witness") or "")
            cred = str(detail.get("witness_credential") or "")
            witnessed = f"witnessed by {name}, {cred}" if name else "awaiting witness"
            part = f"{text(-e.mg)} mg wasted, {witnessed}"
            if e.container_id in last_draw:
                lines[last_draw[e.container_id]].append(part)
                line_of[int(e.id or 0)] = last_draw[e.container_id]
            else:
                lines.append([f"{part} (from {source(e.container_id)})"])
                line_of[int(e.id or 0)] = len(lines) - 1
        elif e.kind is EntryKind.CORRECTION:
            sign = "+" if e.mg > 0 else ""
            part = f"corrected by {sign}{text(e.mg)} mg: {e.detail.get('reason', '')}"
            where = line_of.get(int(e.refers_id or 0))
            if where is None:
                lines.append([f"{part} ({source(e.container_id)})"])
            else:
                lines[where].append(part)
    return [", ".join(parts) for parts in lines]
