"""A practice member and their PIN: where a witness or a prescriber confirms in person.

A combo box of the members who may confirm (the caller filters: not the person who wasted,
only prescribers), a password field for that member's own PIN, and when nobody may confirm
a plain note saying so and where to add a member (``empty_text``). The check itself is the
service's (``services.members.confirm``); this widget only collects the choice.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from kapcompanion.core.members import Member
from kapcompanion.ui.theme import set_role


class MemberPinField:
    """The rows it adds to ``form`` (so they line up with the dialog's other rows)."""

    def __init__(
        self,
        who: str,
        members: Sequence[Member],
        form: QFormLayout,
        parent: QWidget,
        *,
        empty_text: str,
        optional: str = "",
    ) -> None:
        """``who``: "Witness" or "Prescriber"; ``optional``: the first entry's words when
        nobody need be chosen now ("Nobody yet: keep it awaiting witness")."""
        self.members = list(members)
        self.choice = QComboBox(parent)
        self.choice.setObjectName(f"{who.lower()}Member")
        self.choice.setAccessibleName(who)
        if optional:
            self.choice.addItem(optional, None)
        for m in self.members:
            self.choice.addItem(m.title, m.id)
        self.pin = QLineEdit(parent)
        self.pin.setObjectName(f"{who.lower()}Pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName(f"{who}'s own PIN")
        self.pin.setPlaceholderText(f"typed by the {who.lower()}, not by you")
        self.note = QLabel(empty_text, parent)
        self.note.setObjectName(f"{who.lower()}Empty")
        self.note.setWordWrap(True)
        set_role(self.note, "warning")
        self.note.setVisible(not self.members)
        member_label = QLabel(f"&{who} (a practice member):", parent)
        member_label.setBuddy(self.choice)
        pin_label = QLabel(f"{who}'s own P&IN:", parent)
        pin_label.setBuddy(self.pin)
        form.addRow(member_label, self.choice)
        form.addRow(pin_label, self.pin)
        form.addRow(self.note)
        self.choice.currentIndexChanged.connect(self._chosen)
        self._chosen()

    def _chosen(self) -> None:
        self.pin.setEnabled(self.member_id() is not None)
        if self.member_id() is None:
            self.pin.clear()

    def member_id(self) -> int | None:
        data = self.choice.currentData()
        return int(data) if data is not None else None

    def member(self) -> Member | None:
        wanted = self.member_id()
        return next((m for m in self.members if m.id == wanted), None)

    def choose(self, member_id: int) -> None:
        index = self.choice.findData(member_id)
        if index >= 0:
            self.choice.setCurrentIndex(index)

    def take_pin(self) -> str:
        """The PIN typed, cleared from the field at once (it is never kept on screen)."""
        pin = self.pin.text()
        self.pin.clear()
        return pin
