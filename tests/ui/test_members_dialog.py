"""Settings > Practice members…: add a member, the member sets their own PIN, a role changes,
a member is removed and what they witnessed keeps their name; driven through the widgets on a
real vault. The screenshots go to /tmp/members-shots for a person to look at."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QMenu, QTableWidget, QTableWidgetItem
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.core import ledger as lg
from kapcompanion.services import ledger as svc
from kapcompanion.services import members as practice
from kapcompanion.ui.ledger import LedgerDialog, WasteDialog, WitnessDialog
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.members_dialog import AddMemberDialog, MembersDialog, SetPinDialog


def _cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    item = table.item(row, column)
    assert item is not None, (row, column)
    return item


SHOTS = Path("/tmp/members-shots")


def open_members(window: MainWindow) -> MembersDialog:
    (settings,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&Settings"]
    assert isinstance(settings, QMenu)
    assert window.actions_["members"] in settings.actions()
    window.actions_["members"].trigger()
    assert window.workspace is not None
    (dialog,) = [d for d in window.workspace.findChildren(MembersDialog) if d.isVisible()]
    return dialog


def test_add_set_pin_change_role_remove(qtbot: QtBot, unlocked: MainWindow) -> None:
    dialog = open_members(unlocked)
    vault = dialog.ctx.vault
    assert dialog.table.rowCount() == 1
    assert _cell(dialog.table, 0, 0).text() == "Dr Test (this vault's practitioner)"
    assert "confirms with the vault passphrase" in _cell(dialog.table, 0, 3).text()
    assert dialog.alone.isVisible() and "second person" in dialog.alone.text()
    assert not dialog.remove_btn.isEnabled()  # the vault's practitioner stays

    add = dialog.add()
    assert isinstance(add, AddMemberDialog)
    add.name.setText("Sam")
    add.credential.setText("RN")
    add.role.setCurrentIndex(add.role.findData("nurse"))
    assert not add.save() and "first and last name" in add.error.text()
    assert len(practice.members(vault)) == 1
    add.name.setText("Sam Lee")
    assert add.save()
    assert dialog.table.rowCount() == 2 and not dialog.alone.isVisible()
    assert [_cell(dialog.table, 1, c).text() for c in range(4)] == [
        "Sam Lee",
        "RN",
        "Nurse",
        "not set yet",
    ]

    dialog.table.selectRow(1)
    pin = dialog.set_pin()
    assert isinstance(pin, SetPinDialog)
    assert not pin.current.isVisibleTo(pin)  # a first PIN: nothing to give first
    pin.pin.setText("8642")
    pin.repeat.setText("8643")
    assert not pin.save() and "differ" in pin.error.text()
    assert pin.pin.text() == "" and not practice.member(vault, 2).has_pin
    pin.pin.setText("8642")
    pin.repeat.setText("8642")
    assert pin.save()
    assert _cell(dialog.table, 1, 3).text() == "set"
    assert practice.confirm(vault, 2, "8642").name == "Sam Lee"

    dialog.table.selectRow(1)
    change = dialog.set_pin()
    assert isinstance(change, SetPinDialog) and change.current.isVisibleTo(change)
    change.current.setText("0000")
    change.pin.setText("1357")
    change.repeat.setText("1357")
    assert not change.save() and "not Sam Lee's current PIN" in change.error.text()
    change.reject()

    dialog.table.selectRow(0)  # the practitioner is the practice's prescriber
    dialog.role.setCurrentIndex(dialog.role.findData("prescriber"))
    assert dialog.change_role()
    assert practice.profile_member(vault).role == "prescriber"

    # a witnessed waste, then Sam leaves: the entry keeps her name
    repos = dialog.ctx.repos
    product = svc.add_product(repos, lg.COMMON_PRODUCTS[0])
    got = svc.receive(
        repos,
        lg.Receipt(
            "Henry Schein", "135 Duryea Road, Melville, NY", "AB1234563", "INV-1", date.today(),
            int(product.id or 0), 1, "A123", date(date.today().year + 2, 1, 1), "Dr Test",
        ),
    )  # fmt: skip
    svc.waste(
        repos, int(got.containers[0].id or 0), "5", by="Dr Test", method="sink",
        reason="Unused remainder in the drawn syringe.", witness_id=2, witness_pin="8642",
    )  # fmt: skip
    SHOTS.mkdir(exist_ok=True)
    dialog.resize(820, 460)
    dialog.table.selectRow(1)
    assert dialog.grab().save(str(SHOTS / "members.png"))
    dialog.table.selectRow(1)
    assert dialog.remove(confirm=False)
    assert dialog.table.rowCount() == 1 and dialog.alone.isVisible()
    (waste,) = repos.ledger.entries(kinds=[lg.EntryKind.WASTE])
    assert (waste.detail["witness"], waste.detail["witness_credential"]) == ("Sam Lee", "RN")
    actions = [a for (a,) in vault.read("SELECT action FROM audit WHERE record_type='member'")]
    assert actions == ["member.add", "member.pin_set", "member.role", "member.remove"]
    assert PASSPHRASE  # the vault fixture's passphrase is never shown in the dialog
    assert PASSPHRASE not in _cell(dialog.table, 0, 3).text()


def test_waste_and_witness_dialogs_screenshots(qtbot: QtBot, unlocked: MainWindow) -> None:
    """The waste dialog with a member to pick, and the witness dialog with nobody: looked at."""
    assert unlocked.ctx is not None and unlocked.workspace is not None
    ctx = unlocked.ctx
    repos = ctx.repos
    product = svc.add_product(repos, lg.COMMON_PRODUCTS[0])
    svc.receive(
        repos,
        lg.Receipt(
            "Henry Schein", "135 Duryea Road, Melville, NY", "AB1234563", "INV-1", date.today(),
            int(product.id or 0), 1, "A123", date(date.today().year + 2, 1, 1), "Dr Test",
        ),
    )  # fmt: skip
    (state,) = svc.stock(repos)
    waste = svc.waste(
        repos, int(state.container.id or 0), "5", by="Dr Test", method="sink",
        reason="Unused remainder in the drawn syringe.",
    )  # fmt: skip
    ledger = LedgerDialog(ctx, unlocked.workspace)
    qtbot.addWidget(ledger)
    alone = WitnessDialog(ctx, waste, ledger)
    qtbot.addWidget(alone)
    SHOTS.mkdir(exist_ok=True)
    alone.show()
    assert alone.grab().save(str(SHOTS / "witness-alone.png"))
    practice.add(ctx.vault, "Sam Lee", "RN", "nurse")
    dialog = WasteDialog(ctx, svc.stock(repos)[0], ledger)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.witness.choice.count() == 2  # "nobody yet" and Sam; never Dr Test
    assert dialog.grab().save(str(SHOTS / "waste.png"))
    witness = WitnessDialog(ctx, waste, ledger)
    qtbot.addWidget(witness)
    witness.show()
    assert witness.grab().save(str(SHOTS / "witness.png"))
