"""Practice members on real vault files: the vault's practitioner is member 1 and keeps the
signing PIN it had; members are added and removed with audit rows (never a PIN); a member
sets and changes their own PIN; a witnessed waste carries the witness's PIN confirmation,
and a wrong PIN or the waster as witness is refused with nothing written."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from support import PASSPHRASE

from kapcompanion.core import ledger as lg
from kapcompanion.core.members import PROFILE_ID, MemberRole
from kapcompanion.services import ledger as svc
from kapcompanion.services import members as practice
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)
VIAL = lg.Product("Ketamine HCl injection", "ketamine", lg.Form.VIAL, Decimal(50), Decimal(10))


def _actions(vault: Vault) -> list[str]:
    return [a for (a,) in vault.read("SELECT action FROM audit ORDER BY id")]


def _counts(vault: Vault) -> tuple[object, ...]:
    """What a refused action must leave unchanged: audit rows, ledger entries, members."""
    audit = vault.read("SELECT COUNT(*) FROM audit")[0][0]
    entries = vault.read("SELECT COUNT(*) FROM ledger_entries")[0][0]
    return audit, entries, vault.get_meta(practice.KEY)


def _vial(repos: Repos) -> int:
    product = svc.add_product(repos, VIAL)
    got = svc.receive(
        repos,
        lg.Receipt(
            "Henry Schein", "135 Duryea Road, Melville, NY 11747", "AB1234563", "INV-1",
            date(2025, 3, 3), int(product.id or 0), 1, "A123", date(2031, 6, 30), "Dr Test",
        ),
        now=NOW,
    )  # fmt: skip
    return int(got.containers[0].id or 0)


def test_the_vaults_practitioner_is_member_one_with_the_signing_pin(vault: Vault) -> None:
    (me,) = practice.members(vault)
    assert (me.id, me.name, me.profile, me.has_pin) == (PROFILE_ID, "Dr Test", True, False)
    # without a PIN the practitioner confirms with the vault passphrase, as signing does
    assert practice.confirm(vault, me.id, PASSPHRASE) == me
    with pytest.raises(practice.MemberRefused, match="not the vault passphrase"):
        practice.confirm(vault, me.id, "2468")
    # a vault that already had a signing PIN: the same PIN confirms the profile member
    practice.set_signing_pin(vault, "2468")
    assert practice.profile_member(vault).has_pin
    assert practice.confirm(vault, me.id, "2468").name == "Dr Test"
    with pytest.raises(practice.MemberRefused, match="not Dr Test's PIN"):
        practice.confirm(vault, me.id, PASSPHRASE)
    # and a PIN set from the members dialog is the signing PIN
    practice.set_pin(vault, me.id, "9753", current="2468")
    assert practice.check_signing_credential(vault, "9753")
    with pytest.raises(practice.MemberRefused):
        practice.remove(vault, me.id)


def test_add_set_pin_remove_audited_never_the_pin(vault: Vault) -> None:
    sam = practice.add(vault, "  Sam   Lee ", "RN", MemberRole.NURSE)
    assert (sam.name, sam.credential, sam.role, sam.has_pin) == ("Sam Lee", "RN", "nurse", False)
    with pytest.raises(practice.MemberRefused, match="already a member"):
        practice.add(vault, "sam lee", "RN", "nurse")
    with pytest.raises(practice.MemberRefused, match="first and last name"):
        practice.add(vault, "Sam", "RN", "nurse")
    with pytest.raises(practice.MemberRefused, match="credential"):
        practice.add(vault, "Ana Ruiz", " ", "nurse")
    with pytest.raises(practice.MemberRefused, match="role"):
        practice.add(vault, "Ana Ruiz", "RN", "janitor")
    with pytest.raises(practice.MemberRefused, match="not set a PIN"):
        practice.confirm(vault, sam.id, "")
    with pytest.raises(practice.MemberRefused, match="at least 4"):
        practice.set_pin(vault, sam.id, "12")
    practice.set_pin(vault, sam.id, "8642")
    with pytest.raises(practice.MemberRefused, match="current PIN"):
        practice.set_pin(vault, sam.id, "1357", current="0000")
    practice.set_pin(vault, sam.id, "1357", current="8642")
    assert practice.confirm(vault, sam.id, "1357").name == "Sam Lee"
    with pytest.raises(practice.MemberRefused, match="not Sam Lee's PIN"):
        practice.confirm(vault, sam.id, "8642")
    with pytest.raises(practice.MemberRefused, match="vault passphrase"):
        practice.reset_pin(vault, sam.id, "wrong")
    practice.reset_pin(vault, sam.id, PASSPHRASE)
    assert not practice.member(vault, sam.id).has_pin
    practice.remove(vault, sam.id)
    assert [m.name for m in practice.members(vault)] == ["Dr Test"]
    assert practice.member(vault, sam.id).removed
    with pytest.raises(practice.MemberRefused, match="no longer a practice member"):
        practice.confirm(vault, sam.id, "1357")
    rows = vault.read("SELECT action, detail FROM audit WHERE record_type = 'member' ORDER BY id")
    assert [action for action, _detail in rows] == [
        "member.add",
        "member.pin_set",
        "member.pin_change",
        "member.pin_reset",
        "member.remove",
    ]
    assert json.loads(rows[0][1])["name"] == "Sam Lee"
    raw = json.dumps([detail for _action, detail in rows]) + (vault.get_meta(practice.KEY) or "")
    assert "8642" not in raw and "1357" not in raw
    assert vault.check().ok


def test_wrong_pin_or_waster_as_witness_writes_nothing(repos: Repos) -> None:
    vault = repos.vault
    vial = _vial(repos)
    sam = practice.add(vault, "Sam Lee", "RN", "nurse")
    practice.set_pin(vault, sam.id, "8642")
    before = _counts(vault)
    waste: dict[str, Any] = dict(
        by="Dr Test",
        method="drug disposal container",
        reason="Unused remainder in the drawn syringe.",
    )
    with pytest.raises(svc.LedgerRefused, match="not Sam Lee's PIN; nothing was recorded"):
        svc.waste(repos, vial, "5", witness_id=sam.id, witness_pin="0000", now=NOW, **waste)
    with pytest.raises(svc.LedgerRefused, match="second person"):
        svc.waste(repos, vial, "5", witness_id=PROFILE_ID, witness_pin=PASSPHRASE, **waste)
    with pytest.raises(svc.LedgerRefused, match="second person"):  # Sam wasting, Sam witnessing
        svc.waste(
            repos, vial, "5", by="Sam Lee", method="sink",
            reason="Unused remainder in the drawn syringe.", witness_id=sam.id, witness_pin="8642",
        )  # fmt: skip
    assert _counts(vault) == before
    assert svc.container_state(repos, vial, NOW).balance_mg == Decimal(500)
    # kept awaiting witness, then a wrong PIN on the witnessing also writes nothing
    open_waste = svc.waste(repos, vial, "2.5", now=NOW, **waste)
    before = _counts(vault)
    with pytest.raises(svc.LedgerRefused, match="not Sam Lee's PIN"):
        svc.witness_waste(repos, int(open_waste.id or 0), witness_id=sam.id, pin="1111x")
    with pytest.raises(svc.LedgerRefused, match="Choose the practice member"):
        svc.witness_waste(repos, int(open_waste.id or 0), witness_id=None, pin="8642")
    assert _counts(vault) == before
    assert [e.id for e in svc.awaiting_witness(repos)] == [open_waste.id]
    svc.witness_waste(repos, int(open_waste.id or 0), witness_id=sam.id, pin="8642", now=NOW)
    state = svc.container_state(repos, vial, NOW)
    assert state.balance_mg == Decimal("497.5") and state.balance_ml == Decimal("9.95")


def test_removing_a_member_keeps_the_name_on_past_entries(repos: Repos) -> None:
    vault = repos.vault
    vial = _vial(repos)
    sam = practice.add(vault, "Sam Lee", "RN", "nurse")
    practice.set_pin(vault, sam.id, "8642")
    for mg in ("0.1", "0.2", "0.3"):  # exact: 500 - 0.6 is 499.4, not 499.40000000000003
        svc.waste(
            repos, vial, mg, by="Dr Test", method="drug disposal container",
            reason="Unused remainder in the syringe.", witness_id=sam.id, witness_pin="8642",
            now=NOW,
        )  # fmt: skip
    assert svc.container_state(repos, vial, NOW).balance_mg == Decimal("499.4")
    practice.remove(vault, sam.id)
    wastes = repos.ledger.entries(kinds=[lg.EntryKind.WASTE])
    assert {(e.detail["witness"], e.detail["witness_credential"]) for e in wastes} == {
        ("Sam Lee", "RN")
    }
    # another Sam Lee may join later: a new member, and the old entries still name the old one
    again = practice.add(vault, "Sam Lee", "NP", "prescriber")
    assert again.id != sam.id
    assert {e.detail["witness_member_id"] for e in wastes} == {sam.id}
    assert "member.remove" in _actions(vault)
    assert vault.check().ok
