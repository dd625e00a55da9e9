"""View > Controlled-substance ledger… (Ctrl+Shift+L): stock, open items and the keyboard
paths to add a product, receive, waste (awaiting a witness, then witnessed) and count."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from kapcompanion.services import ledger as svc
from kapcompanion.services import members as practice
from kapcompanion.ui.ledger import (
    CountDialog,
    LedgerDialog,
    ProductDialog,
    ReceiveDialog,
    WasteDialog,
    WitnessDialog,
)
from kapcompanion.ui.main_window import MainWindow

SHOTS = Path("/tmp/ledger-shots")


def open_ledger(window: MainWindow) -> LedgerDialog:
    (view,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&View"]
    assert isinstance(view, QMenu)
    assert window.actions_["ledger"] in view.actions()
    assert window.actions_["ledger"].shortcut().toString() == "Ctrl+Shift+L"
    window.actions_["ledger"].trigger()
    assert window.workspace is not None
    (dialog,) = [d for d in window.workspace.findChildren(LedgerDialog) if d.isVisible()]
    return dialog


def cell(dialog: LedgerDialog, row: int, col: int) -> str:
    item = dialog.table.item(row, col)
    assert item is not None
    return item.text()


def alt(qtbot: QtBot, dialog: LedgerDialog, key: Qt.Key) -> None:
    dialog.activateWindow()  # offscreen does not hand the focus back after a child dialog
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.table.setFocus()
    before = dialog.child
    QTest.keyClick(dialog.table, key, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.child is not before)  # a mnemonic clicks after a moment


def test_receive_waste_witness_count_by_keyboard(qtbot: QtBot, unlocked: MainWindow) -> None:
    dialog = open_ledger(unlocked)
    repos = dialog.ctx.repos
    assert dialog.receive() is None and "Add a product first" in dialog.error.text()
    alt(qtbot, dialog, Qt.Key.Key_P)
    product = dialog.child
    assert isinstance(product, ProductDialog)
    assert product.save()
    assert len(svc.products(repos)) == 1

    alt(qtbot, dialog, Qt.Key.Key_R)
    receive = dialog.child
    assert isinstance(receive, ReceiveDialog)
    receive.supplier.setText("Henry Schein")
    receive.address.setText("135 Duryea Road, Melville, NY 11747")
    receive.dea.setText("AB1234564")  # a wrong check digit
    receive.invoice.setText("INV-88120")
    receive.quantity.setValue(2)
    receive.lot.setText("A123")
    assert not receive.save()
    assert "check digit" in receive.error.text() and receive.isVisible()
    assert svc.stock(repos) == []
    receive.dea.setText("AB1234563")
    assert receive.save()
    assert dialog.table.rowCount() == 2
    assert cell(dialog, 0, 5) == "500 mg (10 mL)"
    assert "initial inventory" in dialog.items.item(0).text()

    dialog.table.selectRow(0)
    alt(qtbot, dialog, Qt.Key.Key_W)
    waste = dialog.child
    assert isinstance(waste, WasteDialog)
    waste.amount.setText("600")
    waste.reason.setText("Vial dropped and broken on the floor")
    assert not waste.save() and "more than container K-0001 holds" in waste.error.text()
    waste.amount.setText("5")
    assert waste.save()
    assert cell(dialog, 0, 5) == "495 mg (9.9 mL)"
    texts = [dialog.items.item(i).text() for i in range(dialog.items.count())]
    assert any("awaiting a witness" in t for t in texts)

    # nobody else in the practice: the witness dialog says so and how to add one
    alt(qtbot, dialog, Qt.Key.Key_T)
    witness = dialog.child
    assert isinstance(witness, WitnessDialog)
    assert witness.witness.choice.count() == 0 and not witness.witness.note.isHidden()
    assert "no second member" in witness.witness.note.text()
    assert "Practice members" in witness.witness.note.text()
    assert not witness.save() and "awaiting witness" in witness.error.text()
    witness.reject()
    assert len(svc.awaiting_witness(repos)) == 1

    sam = practice.add(repos.vault, "Sam Lee", "RN", "nurse")
    practice.set_pin(repos.vault, sam.id, "8642")
    alt(qtbot, dialog, Qt.Key.Key_T)
    witness = dialog.child
    assert isinstance(witness, WitnessDialog)
    assert witness.witness.choice.currentText() == "Sam Lee, RN (nurse)"  # not Dr Test
    QTest.keyClicks(witness.witness.pin, "1111x")
    assert not witness.save() and "not Sam Lee's PIN" in witness.error.text()
    assert witness.witness.pin.text() == ""  # never left on screen
    assert len(svc.awaiting_witness(repos)) == 1
    QTest.keyClicks(witness.witness.pin, "8642")
    assert witness.save()
    assert svc.awaiting_witness(repos) == []

    alt(qtbot, dialog, Qt.Key.Key_C)
    count = dialog.child
    assert isinstance(count, CountDialog)
    assert count.found[1].text() == "500"  # unopened: the full content is offered
    assert not count.estimated[1].isEnabled()
    count.found[0].setText("490")
    count.estimated[0].setChecked(True)
    assert count.save()
    texts = [dialog.items.item(i).text() for i in range(dialog.items.count())]
    assert any("found 490 mg in K-0001 against 495 mg" in t for t in texts)
    assert dialog.ctx.vault.check().ok

    SHOTS.mkdir(exist_ok=True)
    unlocked.resize(1366, 768)
    dialog.resize(1366, 768)
    dialog.refresh()
    assert dialog.grab().save(str(SHOTS / "ledger.png"))


def test_count_dialog_refuses_an_empty_line(qtbot: QtBot, unlocked: MainWindow) -> None:
    dialog = open_ledger(unlocked)
    repos = dialog.ctx.repos
    from decimal import Decimal

    from kapcompanion.core import ledger as lg

    p = svc.add_product(
        repos, lg.Product("Esketamine (Spravato)", "esketamine", lg.Form.NASAL_DEVICE, Decimal(28))
    )
    svc.receive(
        repos,
        lg.Receipt(
            "Cardinal Health", "7000 Cardinal Pl, Dublin, OH", "AB1234563", "PO-1",
            date.today(), int(p.id or 0), 3, "E77", date(date.today().year + 2, 1, 1), "Dr Test",
        ),
    )  # fmt: skip
    dialog.refresh()
    assert cell(dialog, 0, 5) == "28 mg (1 device)"
    count = dialog.count()
    assert isinstance(count, CountDialog)
    count.found[0].setText("")
    assert not count.save() and "Enter what is in E-0001" in count.error.text()
    assert [e for e in repos.ledger.entries() if e.kind is lg.EntryKind.COUNT] == []
