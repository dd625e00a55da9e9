"""The ledger's rules and arithmetic (core.ledger): exact Decimal balances, the DEA check digit
against the published example, the 1304.11 estimate rule and the 1301.76(b) due date."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from kapcompanion.core import ledger as lg
from kapcompanion.core import wording

VIAL = lg.Product("Ketamine HCl", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10), id=1)
DEVICE = lg.Product("Esketamine", "esketamine", lg.Form.NASAL_DEVICE, Decimal(28), id=2)
NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)


def _state(
    entries: list[lg.Entry],
    product: lg.Product = VIAL,
    expiry: date = date(2026, 1, 1),
    hours: int = 672,
) -> lg.ContainerState:
    c = lg.Container(product.id or 0, "K-1", "A123", expiry, 1, id=1)
    return lg.container_state(c, product, entries, now=NOW, beyond_use_hours=hours)


def _e(kind: lg.EntryKind, mg: str, when: datetime = NOW) -> lg.Entry:
    return lg.Entry(kind, when, "Dr A", 1, Decimal(mg))


def test_published_dea_example_and_its_variants() -> None:
    assert lg.dea_check_digit("123456") == 3  # (1+3+5) + 2*(2+4+6) = 33
    assert lg.dea_problem("AB1234563") is None
    assert lg.dea_problem("ab 123456-3") is None  # spaces, dashes and case as typed
    assert "check digit" in (lg.dea_problem("AB1234564") or "")
    assert "should be 3" in (lg.dea_problem("AB1234569") or "")
    assert "two letters and seven digits" in (lg.dea_problem("A1234563") or "")
    assert "registrant type" in (lg.dea_problem("ZB1234563") or "")
    assert lg.dea_problem("") is not None
    # second character 9 (a business name starting with a number) is allowed
    assert lg.dea_problem("P91234563") is None


def test_amounts_are_exact_and_refuse_bad_input() -> None:
    assert lg.amount("35") == Decimal(35)
    assert lg.amount("0,7") == Decimal("0.7")
    assert lg.amount(0.1) == Decimal("0.1")
    assert lg.text(Decimal("35.000")) == "35"
    assert lg.text(Decimal("2.50")) == "2.5"
    for bad in ("", "abc", "0", "-5", "nan", "inf", "1.0001", None, True):
        with pytest.raises(lg.LedgerError):
            lg.amount(bad)


def test_thousands_of_draws_add_up_exactly() -> None:
    rng = random.Random(7)
    entries = [_e(lg.EntryKind.RECEIVE, "500")]
    expected = Decimal(500)
    for _ in range(5000):
        mg = Decimal(rng.randint(1, 99)) / Decimal(1000)  # 0.001 to 0.099 mg
        entries.append(_e(lg.EntryKind.ADMINISTER, f"-{mg}"))
        expected -= mg
    assert lg.balance(entries) == expected
    assert lg.running(entries)[-1][1] == expected
    assert str(expected) == lg.text(lg.balance(entries))


def test_running_balance_and_ml() -> None:
    entries = [
        _e(lg.EntryKind.RECEIVE, "500"),
        _e(lg.EntryKind.ADMINISTER, "-35"),
        _e(lg.EntryKind.WASTE, "-5"),
        lg.Entry(lg.EntryKind.WITNESS, NOW, "Dr A", 1),
        _e(lg.EntryKind.ADMINISTER, "-40"),
    ]
    assert [b for _e2, b in lg.running(entries)] == [500, 465, 460, 460, 420]
    state = _state(entries)
    assert state.balance_mg == 420 and state.balance_ml == Decimal("8.40")
    assert state.balance_text() == "420 mg (8.4 mL)"
    assert VIAL.ml(Decimal(35)) == Decimal("0.70")
    assert VIAL.container_mg == 500
    assert lg.Product("K", "ketamine", lg.Form.VIAL, Decimal(100), Decimal(5)).container_mg == 500
    assert DEVICE.container_mg == 28 and DEVICE.ml(Decimal(28)) is None


def test_draw_beyond_balance_refused_and_expired_needs_a_reason() -> None:
    state = _state([_e(lg.EntryKind.RECEIVE, "500"), _e(lg.EntryKind.ADMINISTER, "-480")])
    with pytest.raises(lg.LedgerError, match="more than container K-1 holds"):
        lg.check_take(state, Decimal(21), what="drawn")
    lg.check_take(state, Decimal(20), what="drawn")
    expired = _state([_e(lg.EntryKind.RECEIVE, "500")], expiry=date(2025, 3, 4))
    assert expired.expired and expired.flags() == [
        f"expired {wording.short_date(date(2025, 3, 4))}"
    ]
    with pytest.raises(
        lg.LedgerError, match=re.escape(f"expired on {wording.short_date(date(2025, 3, 4))}")
    ):
        lg.check_take(expired, Decimal(20), what="drawn", override_reason="ok")
    lg.check_take(
        expired,
        Decimal(20),
        what="wasted",
        override_reason="Expired stock is being destroyed today",
    )


def test_beyond_use_time_of_an_opened_vial() -> None:
    opened = NOW - timedelta(hours=13)
    entries = [_e(lg.EntryKind.RECEIVE, "500"), _e(lg.EntryKind.ADMINISTER, "-35", opened)]
    assert not _state(entries).beyond_use  # 28 days
    state = _state(entries, hours=12)
    assert state.beyond_use and state.opened_utc == opened
    assert "opened beyond its use time" in state.flags()
    assert not _state([_e(lg.EntryKind.RECEIVE, "500")], hours=1).beyond_use  # unopened


def test_estimates_only_for_opened_small_schedule_iii_containers() -> None:
    unopened = _state([_e(lg.EntryKind.RECEIVE, "500")])
    assert "unopened" in (lg.estimate_problem(unopened) or "")
    opened = _state([_e(lg.EntryKind.RECEIVE, "500"), _e(lg.EntryKind.ADMINISTER, "-35")])
    assert lg.estimate_problem(opened) is None
    big = lg.Product("K", "ketamine", lg.Form.VIAL, Decimal(1), Decimal(1001), id=3)
    big_state = _state([_e(lg.EntryKind.RECEIVE, "1001"), _e(lg.EntryKind.ADMINISTER, "-1")], big)
    assert "more than 1,000 units" in (lg.estimate_problem(big_state) or "")
    c2 = lg.Product("K", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10), schedule="II", id=4)
    assert "Schedule II" in (
        lg.estimate_problem(
            _state([_e(lg.EntryKind.RECEIVE, "500"), _e(lg.EntryKind.WASTE, "-1")], c2)
        )
        or ""
    )
    line = lg.CountLine(1, Decimal(465), Decimal("460.5"), estimated=True)
    assert line.difference_mg == Decimal("-4.5")


def test_loss_notice_is_due_the_next_business_day() -> None:
    assert lg.loss_notice_due(date(2025, 3, 5)) == date(2025, 3, 6)  # Wednesday -> Thursday
    assert lg.loss_notice_due(date(2025, 3, 7)) == date(2025, 3, 10)  # Friday -> Monday
    assert lg.loss_notice_due(date(2025, 3, 8)) == date(2025, 3, 10)  # Saturday -> Monday


def test_witness_is_a_second_named_person() -> None:
    assert lg.witness_problem("", "RN", "Dr A") is not None
    assert "credential" in (lg.witness_problem("Sam Lee", "", "Dr A") or "")
    assert "second person" in (lg.witness_problem(" dr  a ", "RN", "Dr A") or "")
    assert lg.witness_problem("Sam Lee", "RN", "Dr A") is None


def test_receipt_problems() -> None:
    good = lg.Receipt(
        "McKesson",
        "1 Main St, Springfield",
        "AB1234563",
        "INV-1",
        date(2025, 3, 1),
        1,
        5,
        "A123",
        date(2026, 3, 1),
        "Dr A",
    )
    assert lg.receipt_problems(good, date(2025, 3, 5)) == []
    from dataclasses import replace

    bad = replace(
        good, supplier_dea="AB1234564", quantity=0, expiry=date(2025, 2, 1), labels=("x",)
    )
    problems = " ".join(lg.receipt_problems(bad, date(2025, 3, 5)))
    assert "check digit" in problems and "quantity" in problems and "expiry" in problems
    assert lg.receipt_problems(replace(good, labels=("a", "A", "b", "c", "d")), date(2025, 3, 5))
