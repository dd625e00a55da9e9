"""Settings > Practice members…: who may witness a waste or decide as the prescriber.

The list shows every current member with credential, role and whether they have set their
own PIN. Add a member (name, credential, role), remove one (what they witnessed keeps their
name), change a role, and let a member set or change their own PIN: the laptop is handed to
them, they type it twice (and their current PIN to change it). A forgotten PIN is reset on
the vault passphrase. Every change goes through ``services.members`` (audited, never the PIN);
a refusal is shown here in plain words and nothing changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.members import ROLE_LABELS, Member, MemberRole
from kapcompanion.core.pins import MIN_LENGTH
from kapcompanion.services import members as practice
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.shell import Shell
from kapcompanion.ui.theme import set_role

COLUMNS = ["Name", "Credential", "Role", "PIN"]
MEMBER_ROLE = Qt.ItemDataRole.UserRole


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    set_role(label, "error")
    label.setWordWrap(True)
    label.hide()
    return label


def _secret(parent: QWidget, name: str, accessible: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(accessible)
    return edit


class _Form(QDialog):
    """A small form whose Save calls ``apply``; a refusal shows here and the form stays."""

    def __init__(self, ctx: AppContext, title: str, intro: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(ctx.title(title))
        self.intro = QLabel(intro, self)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.error = _error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        ctx.signals.about_to_lock.connect(self.reject)

    def apply(self) -> str:
        raise NotImplementedError

    def save(self) -> bool:
        try:
            done = self.apply()
        except VaultError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return False
        self.ctx.notify(done, 5000)
        self.accept()
        return True


class AddMemberDialog(_Form):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            "Add a practice member",
            "A member can witness a waste or, as the prescriber, decide on a label "
            "contraindication, confirming with their own PIN. After adding them, hand them the "
            "laptop to set it.",
            parent,
        )
        self.name = QLineEdit(self)
        self.name.setObjectName("memberName")
        self.name.setPlaceholderText("first and last name, as they sign")
        self.credential = QLineEdit(self)
        self.credential.setObjectName("memberCredential")
        self.credential.setPlaceholderText("MD, DO, NP, PA, RN, LCSW…")
        self.role = QComboBox(self)
        self.role.setObjectName("memberRole")
        for role, label in ROLE_LABELS.items():
            self.role.addItem(label, role)
        self.form.addRow("&Name:", self.name)
        self.form.addRow("&Credential:", self.credential)
        self.form.addRow("&Role:", self.role)
        self.name.setFocus()

    def apply(self) -> str:
        added = practice.add(
            self.ctx.vault, self.name.text(), self.credential.text(), self.role.currentData()
        )
        return f"{added.label} is a practice member; they set their own PIN next."


class SetPinDialog(_Form):
    """The member themselves: their current PIN (to change one), the new PIN twice."""

    def __init__(self, ctx: AppContext, member: Member, parent: QWidget | None = None) -> None:
        change = member.has_pin
        if member.profile:
            first = (
                "your current PIN or the vault passphrase"
                if change
                else "the vault passphrase (you have no PIN yet)"
            )
        else:
            first = "your current PIN" if change else ""
        super().__init__(
            ctx,
            f"PIN of {member.name}",
            f"{member.name}: type your own PIN here; nobody else should see it. "
            f"At least {MIN_LENGTH} characters; only a salted hash of it is kept, inside the "
            "encrypted vault." + (f" To change it, first give {first}." if first else ""),
            parent,
        )
        self.member = member
        self.current = _secret(self, "currentPin", "Current PIN or vault passphrase")
        if first:
            self.form.addRow("C&urrent:", self.current)
        else:
            self.current.hide()  # a first PIN: nothing to give first
        self.pin = _secret(self, "newPin", "New PIN")
        self.repeat = _secret(self, "repeatPin", "Repeat the new PIN")
        self.form.addRow("&New PIN:", self.pin)
        self.form.addRow("Re&peat it:", self.repeat)
        (self.current if first else self.pin).setFocus()

    def apply(self) -> str:
        pin, repeat, current = self.pin.text(), self.repeat.text(), self.current.text()
        for edit in (self.pin, self.repeat, self.current):
            edit.clear()
        if pin != repeat:
            raise practice.MemberRefused("The two PINs differ; type the same PIN twice.")
        practice.set_pin(self.ctx.vault, self.member.id, pin, current=current)
        return f"{self.member.name}'s PIN is saved."


class ResetPinDialog(_Form):
    def __init__(self, ctx: AppContext, member: Member, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx,
            f"Reset the PIN of {member.name}",
            f"If {member.name} forgot their PIN, the holder of the vault passphrase clears it; "
            f"{member.name} then sets a new one. The reset is recorded in the audit trail.",
            parent,
        )
        self.member = member
        self.passphrase = _secret(self, "vaultPassphrase", "Vault passphrase")
        self.form.addRow("&Vault passphrase:", self.passphrase)
        self.passphrase.setFocus()

    def apply(self) -> str:
        entry = self.passphrase.text()
        self.passphrase.clear()
        practice.reset_pin(self.ctx.vault, self.member.id, entry)
        return f"{self.member.name}'s PIN was cleared; they set a new one."


class MembersDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("membersDialog")
        self.setWindowTitle(ctx.title("Practice members"))
        intro = QLabel(
            "The people of the practice who witness a waste or decide as the prescriber on "
            "this laptop, each confirming with their own PIN. A removed member's name stays on "
            "what they witnessed or decided.",
            self,
        )
        intro.setWordWrap(True)
        set_role(intro, "hint")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("membersTable")
        self.table.setAccessibleName("Practice members")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.alone = QLabel(self)
        self.alone.setObjectName("membersAlone")
        self.alone.setWordWrap(True)
        set_role(self.alone, "warning")
        self.role = QComboBox(self)
        self.role.setObjectName("memberRoleChange")
        self.role.setAccessibleName("Role of the selected member")
        for role, label in ROLE_LABELS.items():
            self.role.addItem(label, role)
        self.add_btn = QPushButton("&Add member…", self)
        self.pin_btn = QPushButton("Set or change my &PIN…", self)
        self.pin_btn.setToolTip("The selected member sets or changes their own PIN")
        self.reset_btn = QPushButton("Reset a forgotten P&IN…", self)
        self.remove_btn = QPushButton("&Remove member", self)
        self.role_btn = QPushButton("Change r&ole", self)
        close = QPushButton("Close", self)
        for button in (self.add_btn, self.pin_btn, self.reset_btn, self.remove_btn, self.role_btn):
            button.setAutoDefault(False)
        self.add_btn.clicked.connect(self.add)
        self.pin_btn.clicked.connect(self.set_pin)
        self.reset_btn.clicked.connect(self.reset_pin)
        self.remove_btn.clicked.connect(self.remove)
        self.role_btn.clicked.connect(self.change_role)
        close.clicked.connect(self.accept)
        self.table.itemSelectionChanged.connect(self._selected)
        self.error = _error_label(self)
        role_row = QHBoxLayout()
        role_label = QLabel("Role of the selected member:", self)
        role_label.setBuddy(self.role)
        role_row.addWidget(role_label)
        role_row.addWidget(self.role)
        role_row.addWidget(self.role_btn)
        role_row.addStretch(1)
        actions = QHBoxLayout()
        for button in (self.add_btn, self.pin_btn, self.reset_btn, self.remove_btn):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.alone)
        layout.addLayout(role_row)
        layout.addWidget(self.error)
        layout.addLayout(actions)
        self.members: list[Member] = []
        self.child: QDialog | None = None
        ctx.signals.about_to_lock.connect(self.reject)
        self.resize(820, 460)
        self.refresh()

    def refresh(self) -> None:
        try:
            self.members = practice.members(self.ctx.vault)
        except VaultError as exc:
            self._say(f"The members could not be read: {exc.message}")
            return
        selected = self.selected()
        self.table.setRowCount(len(self.members))
        for row, m in enumerate(self.members):
            name = m.name + (" (this vault's practitioner)" if m.profile else "")
            if m.has_pin:
                pin = "set"
            elif m.profile:
                pin = "not set: confirms with the vault passphrase"
            else:
                pin = "not set yet"
            for col, value in enumerate((name, m.credential, ROLE_LABELS[m.role], pin)):
                cell = QTableWidgetItem(value)
                cell.setData(MEMBER_ROLE, m.id)
                self.table.setItem(row, col, cell)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.alone.setText(
            "Only one member so far: a waste cannot be witnessed on this laptop until a second "
            "person is added (Add member), then sets their own PIN (Set or change my PIN)."
        )
        self.alone.setVisible(len(self.members) < 2)
        ids = [m.id for m in self.members]
        self.table.selectRow(ids.index(selected.id) if selected and selected.id in ids else 0)
        self._selected()

    def selected(self) -> Member | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if not rows or min(rows) >= len(self.members):
            return None
        return self.members[min(rows)]

    def _selected(self) -> None:
        m = self.selected()
        self.remove_btn.setEnabled(m is not None and not m.profile)
        self.reset_btn.setEnabled(m is not None and m.has_pin)
        if m is not None:
            self.role.setCurrentIndex(self.role.findData(m.role))

    def _say(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _open(self, dialog: QDialog) -> QDialog:
        self.error.hide()
        self.child = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.refresh)
        dialog.open()
        return dialog

    def add(self) -> QDialog:
        return self._open(AddMemberDialog(self.ctx, self))

    def set_pin(self) -> QDialog | None:
        m = self.selected()
        if m is None:
            self._say("Choose the member in the list first.")
            return None
        return self._open(SetPinDialog(self.ctx, m, self))

    def reset_pin(self) -> QDialog | None:
        m = self.selected()
        if m is None:
            self._say("Choose the member in the list first.")
            return None
        return self._open(ResetPinDialog(self.ctx, m, self))

    def remove(self, *, confirm: bool = True) -> bool:
        m = self.selected()
        if m is None:
            self._say("Choose the member in the list first.")
            return False
        if confirm:
            answer = QMessageBox.question(
                self,
                self.ctx.title("Remove member"),
                f"Remove {m.label} from the practice? What they witnessed or decided keeps "
                "their name; they can no longer confirm anything new.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            practice.remove(self.ctx.vault, m.id)
        except VaultError as exc:
            self._say(exc.message)
            return False
        self.error.hide()
        self.ctx.notify(f"{m.label} was removed from the practice.", 5000)
        self.refresh()
        return True

    def change_role(self) -> bool:
        m = self.selected()
        if m is None:
            self._say("Choose the member in the list first.")
            return False
        role = MemberRole(self.role.currentData())
        if role is m.role:
            return False
        try:
            practice.set_role(self.ctx.vault, m.id, role)
        except VaultError as exc:
            self._say(exc.message)
            return False
        self.error.hide()
        self.ctx.notify(f"{m.name} is now {ROLE_LABELS[role].lower()}.", 5000)
        self.refresh()
        return True


def open_members(ctx: AppContext, parent: QWidget) -> MembersDialog:
    dialog = MembersDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def open_from(window: Shell) -> MembersDialog | None:
    """The menu's entry: the dialog owned by the workspace (a lock closes it)."""
    if window.ctx is None or window.workspace is None:
        return None
    return open_members(window.ctx, window.workspace)
