"""The people of the practice: members who witness, countersign or decide in person.

A vault belongs to one practitioner (its profile); the practice adds its other members, each
with a name, a credential and a role, so that a second person at the same laptop can witness
a waste or a prescriber can decide on a label contraindication, confirming with their own
signing PIN (``core/pins.py``). A removed member stays in the list, marked removed, so what
they did keeps its name; the entries they made also carry the name and credential as written
then. Pure: no storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: the member id of the vault's own practitioner (the profile), present in every vault
PROFILE_ID = 1


class MemberRole(StrEnum):
    PRESCRIBER = "prescriber"
    THERAPIST = "therapist"
    NURSE = "nurse"
    OTHER = "other"


ROLE_LABELS = {
    MemberRole.PRESCRIBER: "Prescriber",
    MemberRole.THERAPIST: "Therapist",
    MemberRole.NURSE: "Nurse",
    MemberRole.OTHER: "Other",
}


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    credential: str
    role: MemberRole
    has_pin: bool = False
    removed: bool = False
    #: the vault's own practitioner: name and credential follow the profile; cannot be removed
    profile: bool = False

    @property
    def label(self) -> str:
        """ "Dr Priya Lee, MD"; the name alone without a credential."""
        return f"{self.name}, {self.credential}" if self.credential else self.name

    @property
    def title(self) -> str:
        """How a picker shows the member: "Dr Priya Lee, MD (prescriber)"."""
        return f"{self.label} ({ROLE_LABELS[self.role].lower()})"


def tidy(text: str) -> str:
    return " ".join((text or "").split())


def member_problems(
    name: str, credential: str, role: object, others: list[Member] | tuple[Member, ...] = ()
) -> list[str]:
    """Why a member cannot be added as given, in plain sentences (empty when they can)."""
    problems = []
    if len(tidy(name)) < 2 or " " not in tidy(name):
        problems.append("Give the member's first and last name.")
    if len(tidy(name)) > 120:
        problems.append("The name can have at most 120 characters.")
    if not tidy(credential):
        problems.append("Give the member's credential (for example MD, NP, RN, LCSW).")
    if len(tidy(credential)) > 40:
        problems.append("The credential can have at most 40 characters.")
    if not isinstance(role, MemberRole):
        try:
            MemberRole(str(role))
        except ValueError:
            problems.append("The role is prescriber, therapist, nurse or other.")
    same = [m for m in others if not m.removed and m.name.casefold() == tidy(name).casefold()]
    if same:
        problems.append(f"{same[0].name} is already a member of the practice.")
    return problems


def to_record(member: Member, pin: dict[str, Any] | None) -> dict[str, Any]:
    """How a member is kept in the vault (the PIN as its hash record, never the PIN)."""
    return {
        "id": member.id,
        "name": member.name,
        "credential": member.credential,
        "role": member.role.value,
        "removed": member.removed,
        "profile": member.profile,
        "pin": pin,
    }


def from_record(record: dict[str, Any]) -> Member:
    return Member(
        id=int(record["id"]),
        name=str(record.get("name", "")),
        credential=str(record.get("credential", "")),
        role=MemberRole(str(record.get("role", MemberRole.OTHER.value))),
        has_pin=bool(record.get("pin")),
        removed=bool(record.get("removed", False)),
        profile=bool(record.get("profile", False)),
    )
