"""Practice members and their signing PINs: add, remove, set a PIN, confirm one (issue 23).

Where things are kept (no schema change: the vault's ``meta`` table, as JSON):

- ``practice_members``: every member ever added, removed ones marked removed (so a picker
  can leave them out while an old entry still finds them), each with the salted scrypt
  record of their PIN (``core/pins.py``), never the PIN.
- ``signing_pin``: the PIN of the vault's own practitioner, as before members existed. That
  practitioner is member 1, the profile member: their name and credential follow the
  profile, their PIN stays in ``signing_pin`` (so signing records and confirming a witness
  use the same PIN), and without a PIN they confirm with the vault passphrase, as signing
  always allowed. A vault from before members has exactly that one member and nothing to
  migrate on disk; the list is written on the first change.

Adding or removing a member and setting, changing or resetting a PIN are audited in the same
transaction (the detail names the member, never the PIN). :func:`confirm` is the check a
witness or a prescriber passes: a wrong PIN raises :class:`MemberRefused` and writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from kapcompanion.core import pins
from kapcompanion.core.members import (
    PROFILE_ID,
    Member,
    MemberRole,
    from_record,
    member_problems,
    tidy,
    to_record,
)
from kapcompanion.store.errors import VaultError
from kapcompanion.store.vault import Vault

KEY = "practice_members"
SIGNING_PIN_KEY = "signing_pin"
WHERE = "Settings > Practice members"


class MemberRefused(VaultError):
    """A member action or a PIN confirmation that cannot go ahead; nothing was written."""


class WrongPin(MemberRefused):
    """The PIN (or, for the vault's practitioner without one, the passphrase) typed was not
    the member's: a screen may count these as it counts wrong signing entries."""


# --------------------------------------------------------------------------- reading
def _stored(vault: Vault) -> list[dict[str, Any]]:
    data = vault.get_json(KEY)
    records = data.get("members") if isinstance(data, dict) else None
    if not isinstance(records, list) or not records:
        return [{"id": PROFILE_ID, "role": MemberRole.THERAPIST.value, "profile": True}]
    return [dict(r) for r in records if isinstance(r, dict)]


def _profile_pin(vault: Vault) -> dict[str, Any] | None:
    record = vault.get_json(SIGNING_PIN_KEY)
    return record if isinstance(record, dict) and record.get("hash") else None


def _member(vault: Vault, record: dict[str, Any]) -> Member:
    if record.get("profile"):
        practitioner = vault.practitioner or {}
        record = dict(
            record,
            name=tidy(str(practitioner.get("name", ""))) or "The vault's practitioner",
            credential=tidy(str(practitioner.get("credentials", ""))),
            pin=_profile_pin(vault),
            removed=False,
        )
    return from_record(record)


def members(vault: Vault, *, include_removed: bool = False) -> list[Member]:
    """The practice's members, the vault's own practitioner first."""
    out = [_member(vault, r) for r in _stored(vault)]
    return [m for m in out if include_removed or not m.removed]


def member(vault: Vault, member_id: int) -> Member:
    for m in members(vault, include_removed=True):
        if m.id == member_id:
            return m
    raise MemberRefused(f"There is no practice member {member_id}.")


def profile_member(vault: Vault) -> Member:
    return member(vault, PROFILE_ID)


def others(vault: Vault, person: str) -> list[Member]:
    """Current members who are not ``person`` (by name): who can witness what they did."""
    return [m for m in members(vault) if m.name.casefold() != tidy(person).casefold()]


def prescribers(vault: Vault) -> list[Member]:
    """Current members whose role is prescriber: who may decide on a label contraindication."""
    return [m for m in members(vault) if m.role is MemberRole.PRESCRIBER]


def no_second_member(vault: Vault) -> str:
    """What to say where a second person is needed and the practice has only one member."""
    return (
        "The practice has no second member to confirm this. Add one in "
        f"{WHERE} (name, credential, role); they then set their own PIN there."
    )


# --------------------------------------------------------------------------- writing
def _save(vault: Vault, records: list[dict[str, Any]], tx: Any) -> None:
    vault.set_json(KEY, {"members": records}, tx)


def _detail(m: Member, **more: Any) -> str:
    fields = {
        "member_id": m.id,
        "name": m.name,
        "credential": m.credential,
        "role": m.role.value,
    }
    fields.update(more)
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def add(vault: Vault, name: str, credential: str, role: MemberRole | str) -> Member:
    """Add a member (audited as ``member.add``); they set their own PIN afterwards."""
    current = members(vault)
    problems = member_problems(name, credential, role, current)
    if problems:
        raise MemberRefused(" ".join(problems))
    records = _stored(vault)
    new = Member(
        id=max(int(r["id"]) for r in records) + 1,
        name=tidy(name),
        credential=tidy(credential),
        role=MemberRole(str(role)),
    )
    with vault.transaction() as tx:
        _save(vault, [*records, to_record(new, None)], tx)
        vault.audit(
            "member.add", record_type="member", record_id=new.id, detail=_detail(new), conn=tx
        )
    return new


def _update(vault: Vault, member_id: int, **changes: Any) -> list[dict[str, Any]]:
    records = _stored(vault)
    for r in records:
        if int(r["id"]) == member_id:
            r.update(changes)
            return records
    raise MemberRefused(f"There is no practice member {member_id}.")


def remove(vault: Vault, member_id: int) -> Member:
    """Take a member off the practice (audited as ``member.remove``). What they witnessed or
    decided keeps their name: the entries carry it, and the member stays listed as removed."""
    m = member(vault, member_id)
    if m.profile:
        raise MemberRefused(
            f"{m.name} is the vault's own practitioner and cannot be removed from the practice."
        )
    if m.removed:
        raise MemberRefused(f"{m.name} was already removed from the practice.")
    records = _update(vault, member_id, removed=True, pin=None)
    with vault.transaction() as tx:
        _save(vault, records, tx)
        vault.audit(
            "member.remove", record_type="member", record_id=m.id, detail=_detail(m), conn=tx
        )
    return member(vault, member_id)


def set_role(vault: Vault, member_id: int, role: MemberRole | str) -> Member:
    """Change a member's role (for example the vault's practitioner is the prescriber)."""
    m = member(vault, member_id)
    try:
        new = MemberRole(str(role))
    except ValueError:
        raise MemberRefused("The role is prescriber, therapist, nurse or other.") from None
    if m.removed:
        raise MemberRefused(f"{m.name} is no longer a practice member.")
    records = _update(vault, member_id, role=new.value)
    with vault.transaction() as tx:
        _save(vault, records, tx)
        vault.audit(
            "member.role",
            record_type="member",
            record_id=m.id,
            detail=_detail(m, new_role=new.value),
            conn=tx,
        )
    return member(vault, member_id)


def _pin_record(vault: Vault, m: Member) -> dict[str, Any] | None:
    if m.profile:
        return _profile_pin(vault)
    for r in _stored(vault):
        if int(r["id"]) == m.id:
            pin = r.get("pin")
            return pin if isinstance(pin, dict) and pin.get("hash") else None
    return None


def set_pin(vault: Vault, member_id: int, pin: str, *, current: str = "") -> Member:
    """A member sets their own PIN. Changing one needs the current PIN; the vault's own
    practitioner may give the vault passphrase instead (and must, for a first PIN, as the
    Signing PIN dialog asks). Audited as ``member.pin_set`` or ``member.pin_change``
    (``signing_pin.set``/``signing_pin.change`` for the vault's practitioner)."""
    m = member(vault, member_id)
    if m.removed:
        raise MemberRefused(f"{m.name} is no longer a practice member.")
    problem = pins.pin_problem(pin)
    if problem:
        raise MemberRefused(problem)
    old = _pin_record(vault, m)
    if m.profile:
        if not (vault.verify_passphrase(current) or (old and pins.verify_pin(current, old))):
            raise MemberRefused(
                "Give the current PIN or the vault passphrase; the PIN was not changed."
            )
    elif old is not None and not pins.verify_pin(current, old):
        raise MemberRefused(f"That is not {m.name}'s current PIN; the PIN was not changed.")
    return _write_pin(vault, m, pin, old)


def _write_pin(vault: Vault, m: Member, pin: str, old: dict[str, Any] | None) -> Member:
    record = pins.hash_pin(pin)
    with vault.transaction() as tx:
        if m.profile:
            vault.set_json(SIGNING_PIN_KEY, record, tx)
            action = "signing_pin.change" if old else "signing_pin.set"
            vault.audit(action, record_type="practitioner", conn=tx)
        else:
            _save(vault, _update(vault, m.id, pin=record), tx)
            action = "member.pin_change" if old else "member.pin_set"
            vault.audit(action, record_type="member", record_id=m.id, detail=_detail(m), conn=tx)
    return member(vault, m.id)


def reset_pin(vault: Vault, member_id: int, passphrase: str) -> Member:
    """Clear a forgotten PIN, on the vault passphrase (audited as ``member.pin_reset``, or
    ``signing_pin.remove`` for the vault's practitioner); the member then sets a new one."""
    m = member(vault, member_id)
    if not vault.verify_passphrase(passphrase):
        raise MemberRefused("That is not the vault passphrase; the PIN was not reset.")
    return _clear_pin(vault, m)


def _clear_pin(vault: Vault, m: Member) -> Member:
    with vault.transaction() as tx:
        if m.profile:
            vault.set_json(SIGNING_PIN_KEY, None, tx)
            vault.audit("signing_pin.remove", record_type="practitioner", conn=tx)
        else:
            _save(vault, _update(vault, m.id, pin=None), tx)
            vault.audit(
                "member.pin_reset", record_type="member", record_id=m.id, detail=_detail(m), conn=tx
            )
    return member(vault, m.id)


# --------------------------------------------------------------------------- confirming
def confirm(vault: Vault, member_id: int | None, pin: str, *, what: str = "this") -> Member:
    """The member, when ``pin`` is theirs; otherwise :class:`MemberRefused` with a plain
    message and nothing written. The vault's own practitioner without a PIN confirms with
    the vault passphrase."""
    if member_id is None:
        raise MemberRefused(f"Choose the practice member who confirms {what}.")
    m = member(vault, member_id)
    if m.removed:
        raise MemberRefused(f"{m.name} is no longer a practice member; choose another.")
    record = _pin_record(vault, m)
    if record is None:
        if m.profile:
            if vault.verify_passphrase(pin):
                return m
            raise WrongPin(
                f"That is not the vault passphrase ({m.name} has no PIN); nothing was recorded."
            )
        raise MemberRefused(
            f"{m.name} has not set a PIN yet: they set it in {WHERE}. Nothing was recorded."
        )
    if not pins.verify_pin(pin, record):
        raise WrongPin(f"That is not {m.name}'s PIN; nothing was recorded.")
    return m


# --------------------------------------------------------------------------- the signing PIN
def has_signing_pin(vault: Vault) -> bool:
    """Whether the vault's practitioner signs with a PIN (else with the vault passphrase)."""
    return _profile_pin(vault) is not None


def set_signing_pin(vault: Vault, pin: str) -> None:
    """The Signing PIN dialog's save (it checked the vault passphrase itself)."""
    problem = pins.pin_problem(pin)
    if problem:
        raise MemberRefused(problem)
    m = profile_member(vault)
    _write_pin(vault, m, pin, _pin_record(vault, m))


def clear_signing_pin(vault: Vault) -> None:
    """Go back to signing with the vault passphrase (audited as ``signing_pin.remove``;
    the Signing PIN dialog checked the vault passphrase itself)."""
    _clear_pin(vault, profile_member(vault))


def check_signing_credential(vault: Vault, candidate: str) -> bool:
    """The signing check: the practitioner's PIN when one is set, otherwise the passphrase."""
    record = _profile_pin(vault)
    if record is not None:
        return pins.verify_pin(candidate, record)
    return vault.verify_passphrase(candidate)


def note_failed_check(vault: Vault) -> None:
    """A wrong vault passphrase where the signing PIN was to be changed (audited)."""
    vault.audit("signing_pin.failed", record_type="practitioner")
