"""The controlled-substance ledger's actions: one function per action, each one transaction.

Receive stock, administer from a container (also from a dosing session, in the session's own
transaction: :func:`administer_from_session`), waste with a witness, count, explain a count's
difference, report a loss or theft and its two steps, correct an entry. The rules are
``core.ledger``; the records ``store.ledger``. Each function checks everything first, then
writes the entries and their audit row together, so a refused action changes nothing.
A balance is read inside the same write transaction that books against it, so two draws
cannot both take the last milligrams.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from kapcompanion.core import ledger as lg
from kapcompanion.core.ledger import (
    Container,
    ContainerState,
    CountKind,
    Entry,
    EntryKind,
    LedgerError,
    LossStep,
    Product,
    Receipt,
    Reminder,
)
from kapcompanion.core.members import Member
from kapcompanion.core.reasons import reason_problem
from kapcompanion.core.settings import OPENED_VIAL_HOURS
from kapcompanion.services import members as practice
from kapcompanion.store import settings as stored_settings
from kapcompanion.store.errors import VaultError
from kapcompanion.store.repos import Repos


class LedgerRefused(VaultError):
    """A ledger action that cannot be recorded as asked; nothing was written."""


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _refuse(problems: list[str] | str | None) -> None:
    if not problems:
        return
    raise LedgerRefused(problems if isinstance(problems, str) else " ".join(problems))


def beyond_use_hours(repos: Repos) -> int:
    return int(stored_settings.read(repos.vault, OPENED_VIAL_HOURS))


# --------------------------------------------------------------------------- reading
def container_state(repos: Repos, container_id: int, now: datetime | None = None) -> ContainerState:
    container = repos.ledger.container(container_id)
    return lg.container_state(
        container,
        repos.ledger.product(container.product_id),
        repos.ledger.entries(container_id=container_id),
        now=_now(now),
        beyond_use_hours=beyond_use_hours(repos),
    )


def stock(
    repos: Repos, now: datetime | None = None, *, include_empty: bool = False
) -> list[ContainerState]:
    """Every container (in stock only, unless ``include_empty``) with its balance and flags."""
    products = {p.id: p for p in repos.ledger.products()}
    entries = repos.ledger.entries_by_container()
    hours = beyond_use_hours(repos)
    out = []
    for c in repos.ledger.containers():
        assert c.id is not None
        s = lg.container_state(
            c, products[c.product_id], entries.get(c.id, []), now=_now(now), beyond_use_hours=hours
        )
        if include_empty or s.in_stock:
            out.append(s)
    return out


def products(repos: Repos) -> list[Product]:
    return repos.ledger.products()


def entry(repos: Repos, entry_id: int) -> Entry:
    return repos.ledger.entry(entry_id)


# --------------------------------------------------------------------------- products, receipts
def add_product(repos: Repos, product: Product) -> Product:
    _refuse(lg.product_problems(product))
    return repos.ledger.add_product(product)


@dataclass(frozen=True)
class Received:
    receipt: Entry
    containers: list[Container]


def receive(repos: Repos, receipt: Receipt, now: datetime | None = None) -> Received:
    """Take containers into stock from one supplier delivery (21 CFR 1304.22(c))."""
    when = _now(now)
    _refuse(lg.receipt_problems(receipt, when.date()))
    product = repos.ledger.product(receipt.product_id)
    with repos.vault.transaction():
        labels = list(receipt.labels) or _next_labels(repos, product, receipt.quantity)
        taken = [label for label in labels if repos.ledger.label_taken(label)]
        _refuse(f"The label {taken[0]} is already used by another container." if taken else None)
        dea = lg.normalise_dea(receipt.supplier_dea)
        head = Entry(
            kind=EntryKind.RECEIPT,
            utc=when,
            who=" ".join(receipt.received_by.split()),
            detail={
                "supplier_name": receipt.supplier_name.strip(),
                "supplier_address": receipt.supplier_address.strip(),
                "supplier_dea": dea,
                "invoice": receipt.invoice.strip(),
                "received_on": receipt.received_on.isoformat(),
                "product_id": product.id,
                "quantity": receipt.quantity,
                "lot": receipt.lot.strip(),
                "expiry": receipt.expiry.isoformat(),
                "received_by": " ".join(receipt.received_by.split()),
            },
        )
        containers = [
            Container(
                product_id=int(product.id or 0),
                label=label.strip(),
                lot=receipt.lot.strip(),
                expiry=receipt.expiry,
                receipt_id=0,
            )
            for label in labels
        ]
        detail = (
            f"{receipt.quantity} x {product.label}, lot {receipt.lot.strip()}, from "
            f"{receipt.supplier_name.strip()} (DEA {dea}), invoice {receipt.invoice.strip()}"
        )
        entry, made, _lines = repos.ledger.receive(head, containers, product.container_mg, detail)
    return Received(entry, made)


def _next_labels(repos: Repos, product: Product, quantity: int) -> list[str]:
    prefix = "E" if product.substance == "esketamine" else "K"
    n = len(repos.ledger.containers()) + 1
    out: list[str] = []
    while len(out) < quantity:
        label = f"{prefix}-{n:04d}"
        if not repos.ledger.label_taken(label):
            out.append(label)
        n += 1
    return out


# --------------------------------------------------------------------------- administration
def administer(
    repos: Repos,
    container_id: int,
    mg: object,
    *,
    by: str,
    patient: str,
    patient_address: str = "",
    session_id: int | None = None,
    client_id: int | None = None,
    override_reason: str = "",
    now: datetime | None = None,
) -> Entry:
    """Book ``mg`` given to ``patient`` from a container, by ``by`` (1304.22(c))."""
    dose = lg.amount(mg, "The dose")
    _refuse(lg.person_problem(by, "person who administered"))
    _refuse(lg.person_problem(patient, "patient"))
    when = _now(now)
    with repos.vault.transaction():
        state = container_state(repos, container_id, when)
        try:
            lg.check_take(state, dose, what="drawn", override_reason=override_reason)
        except LedgerError as exc:
            raise LedgerRefused(str(exc)) from None
        ml = state.product.ml(dose)
        detail: dict[str, object] = {
            "patient": " ".join(patient.split()),
            "patient_address": patient_address.strip(),
            "client_id": client_id,
            "ml": lg.text(ml) if ml is not None else None,
            "lot": state.container.lot,
        }
        if state.expired or state.beyond_use:
            detail["override_reason"] = " ".join(override_reason.split())
        entry = Entry(
            kind=EntryKind.ADMINISTER,
            utc=when,
            who=" ".join(by.split()),
            container_id=container_id,
            mg=-dose,
            session_id=session_id,
            detail=detail,
        )
        volume = f" ({lg.text(ml)} mL)" if ml is not None else ""
        where = f", session {session_id}" if session_id is not None else ""
        words = (
            f"{lg.text(dose)} mg{volume} from {state.container.label} (lot "
            f"{state.container.lot}){where}, by {entry.who}; balance "
            f"{lg.text(state.balance_mg - dose)} mg"
        )
        if "override_reason" in detail:
            words += f"; {'expired' if state.expired else 'past beyond-use time'}: "
            words += str(detail["override_reason"])
        return repos.ledger.append([entry], "ledger.administer", words)[0]


def administer_from_session(
    repos: Repos,
    session_id: int,
    container_id: int,
    mg: object,
    *,
    by: str | None = None,
    override_reason: str = "",
    now: datetime | None = None,
) -> Entry:
    """The draw for a dose recorded in a session: call it inside the session runner's own
    transaction (``vault.transaction()`` joins it), right after the dose event, so the dose
    and its draw commit together or not at all. ``by`` defaults to the vault's practitioner."""
    session = repos.sessions.get(session_id)
    if session.signed_utc is not None:
        raise LedgerRefused("This session record is signed; book the draw on a new entry.")
    client = repos.clients.get(session.client_id)
    return administer(
        repos,
        container_id,
        mg,
        by=by or repos.vault.who,
        patient=client.name or client.pseudonym,
        patient_address=client.address,
        session_id=session_id,
        client_id=session.client_id,
        override_reason=override_reason,
        now=now,
    )


def offered_container(repos: Repos, lot: str = "", now: datetime | None = None) -> int | None:
    """The container a session's draw is offered from: the open vial of the planned lot, else
    the open vial with the least left, else the unopened one expiring first (none expired)."""
    usable = [s for s in stock(repos, now) if not s.expired and not s.beyond_use]
    if lot.strip():
        same = [s for s in usable if s.container.lot == lot.strip()]
        usable = same or usable
    opened = sorted((s for s in usable if s.opened), key=lambda s: s.balance_mg)
    if opened:
        return opened[0].container.id
    fresh = sorted(usable, key=lambda s: (s.container.expiry, s.container.id or 0))
    return fresh[0].container.id if fresh else None


# --------------------------------------------------------------------------- waste
def waste(
    repos: Repos,
    container_id: int,
    mg: object,
    *,
    by: str,
    method: str,
    reason: str,
    witness_id: int | None = None,
    witness_pin: str = "",
    session_id: int | None = None,
    now: datetime | None = None,
) -> Entry:
    """Waste ``mg`` from a container. The witness is a practice member other than ``by``,
    confirming with their own PIN (``services.members.confirm``); a wrong PIN refuses and
    writes nothing. Without a witness the waste is kept "awaiting witness" and is an open
    item until :func:`witness_waste` names one. An expired container can always be wasted:
    the reason given is the reason the rule asks for."""
    amount = lg.amount(mg, "The amount wasted")
    _refuse(lg.person_problem(by, "person who wasted"))
    if not method.strip():
        _refuse("Say how it was wasted (for example, into a drug disposal container).")
    _refuse(reason_problem(reason))
    seen_by = _witness(repos, witness_id, witness_pin, by) if witness_id is not None else None
    when = _now(now)
    with repos.vault.transaction():
        state = container_state(repos, container_id, when)
        try:
            lg.check_take(state, amount, what="wasted", override_reason=reason)
        except LedgerError as exc:
            raise LedgerRefused(str(exc)) from None
        ml = state.product.ml(amount)
        detail: dict[str, object] = {
            "method": method.strip(),
            "reason": " ".join(reason.split()),
            "ml": lg.text(ml) if ml is not None else None,
            **_witness_detail(seen_by),
        }
        entry = Entry(
            kind=EntryKind.WASTE,
            utc=when,
            who=" ".join(by.split()),
            container_id=container_id,
            mg=-amount,
            session_id=session_id,
            detail=detail,
        )
        seen = (
            f"witnessed by {detail['witness']}, {detail['witness_credential']}"
            if seen_by is not None
            else "awaiting witness"
        )
        words = (
            f"{lg.text(amount)} mg wasted from {state.container.label} by {entry.who} "
            f"({detail['method']}; {detail['reason']}); {seen}"
        )
        return repos.ledger.append([entry], "ledger.waste", words)[0]


def awaiting_witness(repos: Repos) -> list[Entry]:
    return lg.awaiting_witness(repos.ledger.entries(kinds=[EntryKind.WASTE, EntryKind.WITNESS]))


def _witness(repos: Repos, member_id: int | None, pin: str, by: str) -> Member:
    """The practice member who witnesses, confirmed by their own PIN; never the one who
    wasted (checked before the PIN, so the waster's PIN is not asked for). Refused, with
    nothing written, otherwise."""
    try:
        if member_id is not None:
            chosen = practice.member(repos.vault, member_id)
            _refuse(lg.witness_problem(chosen.name, chosen.credential or "-", by))
        member = practice.confirm(repos.vault, member_id, pin, what="the waste")
    except practice.MemberRefused as exc:
        raise LedgerRefused(exc.message) from None
    if not member.credential:
        where = "the practitioner's profile" if member.profile else practice.WHERE
        _refuse(
            f"{member.name} has no credential on record: a witness is named with one ({where})."
        )
    return member


def _witness_detail(member: Member | None) -> dict[str, object]:
    """The witness as written at the time (name and credential), and which member it was."""
    if member is None:
        return {"witness": "", "witness_credential": ""}
    return {
        "witness": member.name,
        "witness_credential": member.credential,
        "witness_member_id": member.id,
        "witness_confirmed": "pin",
    }


def witness_waste(
    repos: Repos,
    waste_id: int,
    *,
    witness_id: int | None,
    pin: str,
    now: datetime | None = None,
) -> Entry:
    """A second practice member witnesses a waste that was kept awaiting witness, confirming
    with their own PIN; a wrong PIN, or the person who wasted, is refused and nothing is
    written."""
    original = repos.ledger.entry(waste_id)
    if original.kind is not EntryKind.WASTE:
        _refuse(f"Entry {waste_id} is not a waste.")
    if original.id not in {e.id for e in awaiting_witness(repos)}:
        _refuse(f"The waste of entry {waste_id} already has a witness.")
    member = _witness(repos, witness_id, pin, original.who)
    entry = Entry(
        kind=EntryKind.WITNESS,
        utc=_now(now),
        who=member.name,
        container_id=original.container_id,
        refers_id=waste_id,
        detail=_witness_detail(member),
    )
    words = f"waste entry {waste_id} witnessed by {member.name}, {member.credential}"
    return repos.ledger.append([entry], "ledger.witness", words)[0]


# --------------------------------------------------------------------------- counts
@dataclass(frozen=True)
class Counted:
    entry: Entry
    discrepancies: list[lg.CountLine]


def count(
    repos: Repos,
    kind: CountKind,
    counted_by: str,
    found: Mapping[int, tuple[object, bool]],
    *,
    now: datetime | None = None,
) -> Counted:
    """An inventory count: ``found`` gives, for every container in stock, what is there (mg)
    and whether it is an estimate. Differences are discrepancies, open until explained
    (:func:`explain_discrepancy`) or reported as a loss (:func:`report_loss`)."""
    _refuse(lg.person_problem(counted_by, "person who counted"))
    when = _now(now)
    with repos.vault.transaction():
        states = {s.container.id: s for s in stock(repos, when)}
        missing = [s.container.label for cid, s in states.items() if cid not in found]
        if missing:
            _refuse(f"Count every container in stock; not counted: {', '.join(missing)}.")
        lines: list[lg.CountLine] = []
        problems: list[str] = []
        for cid, (value, estimated) in found.items():
            state = states.get(cid)
            if state is None:
                problems.append(f"Container {cid} is not in stock.")
                continue
            label = state.container.label
            try:
                amount = lg.amount(value, f"The count of {label}", allow_zero=True)
            except LedgerError as exc:
                problems.append(f"{label}: {exc}")
                continue
            if estimated:
                why = lg.estimate_problem(state)
                if why:
                    problems.append(why)
            lines.append(lg.CountLine(cid, state.balance_mg, amount, bool(estimated)))
        _refuse(problems)
        discrepancies = [line for line in lines if line.difference_mg != 0]
        entry = Entry(
            kind=EntryKind.COUNT,
            utc=when,
            who=" ".join(counted_by.split()),
            detail={
                "count_kind": kind.value,
                "lines": [
                    {
                        "container_id": line.container_id,
                        "label": states[line.container_id].container.label,
                        "expected_mg": lg.text(line.expected_mg),
                        "found_mg": lg.text(line.found_mg),
                        "estimated": line.estimated,
                        "difference_mg": lg.text(line.difference_mg),
                    }
                    for line in lines
                ],
            },
        )
        words = (
            f"{lg.COUNT_LABELS[kind]} by {entry.who}: {len(lines)} container(s), "
            f"{len(discrepancies)} discrepanc{'y' if len(discrepancies) == 1 else 'ies'}"
        )
        stored = repos.ledger.append([entry], "ledger.count", words)[0]
    return Counted(stored, discrepancies)


def open_discrepancies(repos: Repos) -> list[tuple[Entry, dict[str, Any]]]:
    """Count lines whose difference is not yet explained or reported as a loss."""
    return lg.open_discrepancies(repos.ledger.entries(kinds=[EntryKind.COUNT, EntryKind.ADJUST]))


def _discrepancy(repos: Repos, count_id: int, container_id: int) -> dict[str, Any]:
    for c, line in open_discrepancies(repos):
        if c.id == count_id and line["container_id"] == container_id:
            return line
    raise LedgerRefused(f"Count {count_id} has no open discrepancy for container {container_id}.")


def explain_discrepancy(
    repos: Repos,
    count_id: int,
    container_id: int,
    *,
    explanation: str,
    by: str,
    now: datetime | None = None,
) -> Entry:
    """Bring the book balance to what the count found, with the explanation (a new entry;
    balances are never edited). An unexplained loss is reported with :func:`report_loss`."""
    _refuse(reason_problem(explanation))
    _refuse(lg.person_problem(by, "person who explains the difference"))
    with repos.vault.transaction():
        line = _discrepancy(repos, count_id, container_id)
        entry = Entry(
            kind=EntryKind.ADJUST,
            utc=_now(now),
            who=" ".join(by.split()),
            container_id=container_id,
            mg=Decimal(line["difference_mg"]),
            refers_id=count_id,
            detail={"explanation": " ".join(explanation.split())},
        )
        words = (
            f"{line['label']}: {line['difference_mg']} mg against count {count_id}, "
            f"explained by {entry.who}: {entry.detail['explanation']}"
        )
        return repos.ledger.append([entry], "ledger.adjust", words)[0]


# --------------------------------------------------------------------------- loss or theft
def report_loss(
    repos: Repos,
    *,
    theft: bool,
    discovered_on: date,
    discovered_by: str,
    description: str,
    missing: Mapping[int, object] | None = None,
    count_id: int | None = None,
    now: datetime | None = None,
) -> Entry:
    """Record a theft or significant loss (21 CFR 1301.76(b)) and take the missing amounts
    off the containers. With ``count_id``, every open discrepancy of that count where less
    was found is settled by this report. The Field Division Office notice (within one
    business day) and DEA Form 106 stay open items until :func:`record_loss_step`."""
    when = _now(now)
    _refuse(lg.person_problem(discovered_by, "person who discovered it"))
    _refuse(reason_problem(description))
    if discovered_on > when.date():
        _refuse("The date of discovery cannot be in the future.")
    with repos.vault.transaction():
        takes: list[tuple[int, Decimal, str]] = []
        if count_id is not None:
            for c, line in open_discrepancies(repos):
                if c.id == count_id and Decimal(line["difference_mg"]) < 0:
                    takes.append(
                        (int(line["container_id"]), Decimal(line["difference_mg"]), line["label"])
                    )
            if not takes:
                _refuse(f"Count {count_id} has no open shortfall to report.")
        for cid, value in (missing or {}).items():
            amount = lg.amount(value, "The missing amount")
            state = container_state(repos, cid, when)
            if amount > state.balance_mg:
                _refuse(
                    f"{lg.text(amount)} mg is more than container {state.container.label} "
                    f"holds in the ledger ({state.balance_text()})."
                )
            takes.append((cid, -amount, state.container.label))
        if not takes:
            _refuse("Say which containers and how much is missing.")
        due = lg.loss_notice_due(discovered_on)
        total = sum((-mg for _c, mg, _l in takes), Decimal(0))
        loss = Entry(
            kind=EntryKind.LOSS,
            utc=when,
            who=" ".join(discovered_by.split()),
            detail={
                "theft": theft,
                "discovered_on": discovered_on.isoformat(),
                "description": " ".join(description.split()),
                "count_id": count_id,
                "notice_due": due.isoformat(),
                "missing": [
                    {"container_id": c, "label": label, "mg": lg.text(-mg)}
                    for c, mg, label in takes
                ],
                "total_mg": lg.text(total),
            },
        )
        with repos.vault.transaction():
            head = repos.ledger.append(
                [loss],
                "ledger.loss",
                f"{'Theft' if theft else 'Loss'} of {lg.text(total)} mg discovered "
                f"{discovered_on.isoformat()} by {loss.who}; DEA Field Division Office to be "
                f"notified by {due.isoformat()}, then DEA Form 106",
            )[0]
            adjustments = [
                Entry(
                    kind=EntryKind.ADJUST,
                    utc=when,
                    who=loss.who,
                    container_id=cid,
                    mg=mg,
                    refers_id=count_id if count_id is not None else head.id,
                    detail={"loss_id": head.id, "explanation": "reported as a loss or theft"},
                )
                for cid, mg, _label in takes
            ]
            repos.ledger.append(
                adjustments,
                "ledger.adjust",
                f"{len(adjustments)} container(s) reduced by loss report {head.id}",
                record_id=head.id,
            )
    return head


def record_loss_step(
    repos: Repos,
    loss_id: int,
    step: LossStep,
    *,
    done_on: date,
    by: str,
    reference: str = "",
    now: datetime | None = None,
) -> Entry:
    """The Field Division Office was notified in writing, or DEA Form 106 was filed."""
    loss = repos.ledger.entry(loss_id)
    if loss.kind is not EntryKind.LOSS:
        _refuse(f"Entry {loss_id} is not a loss report.")
    _refuse(lg.person_problem(by, "person who did it"))
    when = _now(now)
    if done_on > when.date():
        _refuse("The date cannot be in the future.")
    if done_on < date.fromisoformat(loss.detail["discovered_on"]):
        _refuse("The date is before the loss was discovered.")
    done = {e.detail.get("step") for e in repos.ledger.entries(refers_id=loss_id)}
    if step.value in done:
        _refuse(f"{lg.LOSS_STEP_LABELS[step]} is already recorded for this loss.")
    entry = Entry(
        kind=EntryKind.LOSS_STEP,
        utc=when,
        who=" ".join(by.split()),
        refers_id=loss_id,
        detail={"step": step.value, "done_on": done_on.isoformat(), "reference": reference.strip()},
    )
    late = ""
    if step is LossStep.FIELD_OFFICE and done_on > date.fromisoformat(loss.detail["notice_due"]):
        late = f" (after the one-business-day limit of {loss.detail['notice_due']})"
    words = f"loss {loss_id}: {lg.LOSS_STEP_LABELS[step]} on {done_on.isoformat()}{late}"
    return repos.ledger.append([entry], "ledger.loss_step", words)[0]


# --------------------------------------------------------------------------- corrections
def correct(
    repos: Repos,
    entry_id: int,
    mg_change: object,
    *,
    increase: bool,
    reason: str,
    by: str,
    now: datetime | None = None,
) -> Entry:
    """Correct an entry's amount with a new entry naming it (the original stays as written)."""
    original = repos.ledger.entry(entry_id)
    if original.container_id is None or not lg.changes_balance(original.kind):
        _refuse(f"Entry {entry_id} has no amount to correct.")
    change = lg.amount(mg_change, "The correction")
    _refuse(reason_problem(reason))
    _refuse(lg.person_problem(by, "person who corrects"))
    signed = change if increase else -change
    with repos.vault.transaction():
        assert original.container_id is not None
        state = container_state(repos, original.container_id, now)
        if state.balance_mg + signed < 0:
            _refuse(
                f"The correction would take container {state.container.label} below zero "
                f"({state.balance_text()} left)."
            )
        entry = Entry(
            kind=EntryKind.CORRECTION,
            utc=_now(now),
            who=" ".join(by.split()),
            container_id=original.container_id,
            mg=signed,
            session_id=original.session_id,
            refers_id=entry_id,
            detail={"reason": " ".join(reason.split())},
        )
        words = f"entry {entry_id} corrected by {lg.text(signed)} mg: {entry.detail['reason']}"
        return repos.ledger.append([entry], "ledger.correct", words)[0]


# --------------------------------------------------------------------------- open items
def open_items(repos: Repos, now: datetime | None = None) -> list[Reminder]:
    """What the ledger asks of the practice now (``core.ledger.open_items``)."""
    when = _now(now)
    return lg.open_items(repos.ledger.entries(), stock(repos, when), when.date())


def session_draws(repos: Repos, session_id: int) -> list[Entry]:
    """The ledger entries booked against a session (draws, waste), oldest first."""
    return repos.ledger.entries(session_id=session_id)


def with_product(repos: Repos, container_id: int) -> tuple[Container, Product]:
    c = repos.ledger.container(container_id)
    return c, repos.ledger.product(c.product_id)
