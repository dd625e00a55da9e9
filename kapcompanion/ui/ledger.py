"""The controlled-substance ledger screen (View > Controlled-substance ledger…, Ctrl+Shift+L).

Open items first (wastes awaiting a witness, count discrepancies, loss report steps, expired
or opened-too-long containers, the initial or biennial inventory), then every container in
stock with its lot, expiry, opened date and balance in mg and mL (or devices). Actions, each
one keystroke away: Alt+R receive stock, Alt+W waste from the selected container, Alt+T
witness the selected waste awaiting a witness, Alt+C count, Alt+P add a product. Every
action goes through ``services.ledger`` (one transaction with its audit row); a refusal is
shown in plain words in the dialog and nothing changes.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import ledger as lg
from kapcompanion.core import wording
from kapcompanion.core.ledger import ContainerState
from kapcompanion.services import ledger as svc
from kapcompanion.services import members as practice
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.shell import Shell
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.fit import fit_to_screen
from kapcompanion.ui.widgets.form_keys import form_state, install_form_keys
from kapcompanion.ui.widgets.member_pin import MemberPinField

COLUMNS = ["Container", "Product", "Lot", "Expiry", "Opened", "Balance", "Flags"]
CONTAINER_ROLE = Qt.ItemDataRole.UserRole
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    set_role(label, "error")
    label.setWordWrap(True)
    label.hide()
    return label


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(edit: QDateEdit) -> date:
    d = edit.date()
    return date(d.year(), d.month(), d.day())


def _date_edit(parent: QWidget, day: date) -> QDateEdit:
    edit = QDateEdit(_qdate(day), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d MMM yyyy")
    return edit


class _ActionDialog(QDialog):
    """A form whose Save calls ``apply``; a refusal shows here and the form stays open."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(ctx.title(title))
        self.form = QFormLayout()
        self.error = _error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.done_text = ""
        #: what the form held when it was first shown (the subclasses fill it after this)
        self._initial: tuple[object, ...] | None = None
        self.keys = install_form_keys(self, save=self.save, modified=self.modified)

    def showEvent(self, event: QShowEvent) -> None:
        if self._initial is None:
            self._initial = form_state(self)
        super().showEvent(event)

    def modified(self) -> bool:
        return self._initial is not None and form_state(self) != self._initial

    def apply(self) -> str:
        raise NotImplementedError

    def save(self) -> bool:
        try:
            self.done_text = self.apply()
        except (VaultError, lg.LedgerError) as exc:
            self.error.setText(getattr(exc, "message", str(exc)))
            self.error.show()
            return False
        self.ctx.notify(self.done_text, 5000)
        self.accept()
        return True

    def line(self, label: str, name: str, text: str = "") -> QLineEdit:
        edit = QLineEdit(text, self)
        edit.setObjectName(name)
        edit.setAccessibleName(label.replace("&", ""))
        self.form.addRow(label, edit)
        return edit


class ProductDialog(_ActionDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Add a product", parent)
        self.choice = QComboBox(self)
        self.choice.setObjectName("productChoice")
        for p in lg.COMMON_PRODUCTS:
            self.choice.addItem(p.label, p)
        self.form.addRow("&Product:", self.choice)

    def apply(self) -> str:
        product = self.choice.currentData()
        stored = svc.add_product(self.ctx.repos, product)
        return f"Added {stored.label}."


class ReceiveDialog(_ActionDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Receive stock", parent)
        today = date.today()
        self.product = QComboBox(self)
        self.product.setObjectName("receiveProduct")
        for p in svc.products(ctx.repos):
            self.product.addItem(p.label, p.id)
        self.form.addRow("&Product:", self.product)
        self.supplier = self.line("&Supplier name:", "supplierName")
        self.address = self.line("Supplier &address:", "supplierAddress")
        self.dea = self.line("Supplier &DEA number:", "supplierDea")
        self.dea.setPlaceholderText("two letters and seven digits, e.g. AB1234563")
        self.invoice = self.line("&Invoice or order no.:", "invoice")
        self.received_on = _date_edit(self, today)
        self.form.addRow("Date &received:", self.received_on)
        self.quantity = QSpinBox(self)
        self.quantity.setRange(1, 500)
        self.quantity.setSuffix(" containers")
        self.form.addRow("&Quantity:", self.quantity)
        self.lot = self.line("&Lot:", "lot")
        self.expiry = _date_edit(self, date(today.year + 2, today.month, 1))
        self.form.addRow("E&xpiry:", self.expiry)
        self.received_by = self.line("Received &by:", "receivedBy", ctx.vault.who)

    def apply(self) -> str:
        if self.product.currentData() is None:
            raise lg.LedgerError("Add a product first (Alt+P on the ledger screen).")
        got = svc.receive(
            self.ctx.repos,
            lg.Receipt(
                supplier_name=self.supplier.text(),
                supplier_address=self.address.text(),
                supplier_dea=self.dea.text(),
                invoice=self.invoice.text(),
                received_on=_pydate(self.received_on),
                product_id=int(self.product.currentData()),
                quantity=self.quantity.value(),
                lot=self.lot.text(),
                expiry=_pydate(self.expiry),
                received_by=self.received_by.text(),
            ),
        )
        labels = ", ".join(c.label for c in got.containers)
        return f"Received {len(got.containers)} container(s): {labels}."


class WasteDialog(_ActionDialog):
    def __init__(
        self, ctx: AppContext, state: ContainerState, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, f"Waste from {state.container.label}", parent)
        self.state = state
        self.form.addRow("Container:", QLabel(f"{state.container.label}: {state.balance_text()}"))
        self.amount = self.line("&Amount (mg):", "wasteMg")
        self.amount.setPlaceholderText("mg, for example 5 or 2.5")
        self.method = self.line("&Method:", "wasteMethod", "drug disposal container")
        self.reason = self.line("&Reason:", "wasteReason")
        self.reason.setPlaceholderText("a sentence: unused remainder in the drawn syringe…")
        self.by = self.line("Wasted &by:", "wasteBy", ctx.vault.who)
        self.witness = MemberPinField(
            "Witness",
            practice.others(ctx.vault, ctx.vault.who),
            self.form,
            self,
            empty_text=practice.no_second_member(ctx.vault)
            + " Until then the waste is kept as awaiting witness.",
            optional="Nobody yet: keep it awaiting witness",
        )
        hint = QLabel(
            "The witness, a second person, chooses their name and types their own PIN. "
            "Without a witness the waste is kept as awaiting witness.",
            self,
        )
        hint.setWordWrap(True)
        set_role(hint, "hint")
        self.form.addRow("", hint)
        self.resize(560, self.sizeHint().height())

    def apply(self) -> str:
        entry = svc.waste(
            self.ctx.repos,
            int(self.state.container.id or 0),
            self.amount.text(),
            by=self.by.text(),
            method=self.method.text(),
            reason=self.reason.text(),
            witness_id=self.witness.member_id(),
            witness_pin=self.witness.take_pin(),
        )
        seen = "witnessed" if entry.detail.get("witness") else "awaiting witness"
        return f"Wasted {lg.text(-entry.mg)} mg from {self.state.container.label} ({seen})."


class WitnessDialog(_ActionDialog):
    def __init__(self, ctx: AppContext, entry: lg.Entry, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Witness a waste", parent)
        self.entry = entry
        what = QLabel(f"{lg.text(-entry.mg)} mg by {entry.who}: {entry.detail['reason']}", self)
        what.setWordWrap(True)
        self.form.addRow("Waste:", what)
        self.witness = MemberPinField(
            "Witness",
            practice.others(ctx.vault, entry.who),
            self.form,
            self,
            empty_text=practice.no_second_member(ctx.vault)
            + " The waste stays awaiting witness meanwhile.",
        )
        hint = QLabel(
            f"A second person, not {entry.who}, chooses their name and types their own PIN.",
            self,
        )
        hint.setWordWrap(True)
        set_role(hint, "hint")
        self.form.addRow("", hint)
        self.resize(560, self.sizeHint().height())

    def apply(self) -> str:
        if not self.witness.members:
            raise lg.LedgerError(self.witness.note.text())
        member = self.witness.member()
        svc.witness_waste(
            self.ctx.repos,
            int(self.entry.id or 0),
            witness_id=self.witness.member_id(),
            pin=self.witness.take_pin(),
        )
        return f"The waste is witnessed by {member.label if member else 'the witness'}."


class CountDialog(_ActionDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Count the stock", parent)
        self.kind = QComboBox(self)
        for kind, label in lg.COUNT_LABELS.items():
            self.kind.addItem(label, kind)
        self.kind.setCurrentIndex(list(lg.COUNT_LABELS).index(lg.CountKind.DAILY))
        self.form.addRow("&Kind of count:", self.kind)
        self.by = self.line("Counted &by:", "countedBy", ctx.vault.who)
        self.states = svc.stock(ctx.repos)
        self.table = QTableWidget(len(self.states), 4, self)
        self.table.setObjectName("countTable")
        self.table.setHorizontalHeaderLabels(["Container", "In the ledger", "Found (mg)", "How"])
        self.found: list[QLineEdit] = []
        self.estimated: list[QCheckBox] = []
        for row, s in enumerate(self.states):
            self.table.setItem(row, 0, QTableWidgetItem(s.container.label))
            self.table.setItem(row, 1, QTableWidgetItem(s.balance_text()))
            found = QLineEdit(lg.text(s.balance_mg) if not s.opened else "", self.table)
            found.setAccessibleName(f"Found in {s.container.label}, in mg")
            found.setPlaceholderText("mg")
            est = QCheckBox("estimated", self.table)
            est.setEnabled(s.opened)
            est.setToolTip("Allowed for an opened Schedule III container (21 CFR 1304.11(e)(3))")
            self.table.setCellWidget(row, 2, found)
            self.table.setCellWidget(row, 3, est)
            self.found.append(found)
            self.estimated.append(est)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.form.addRow(self.table)
        self.resize(620, 420)

    def apply(self) -> str:
        found: dict[int, tuple[object, bool]] = {}
        for s, edit, est in zip(self.states, self.found, self.estimated, strict=True):
            if not edit.text().strip():
                raise lg.LedgerError(f"Enter what is in {s.container.label} (mg).")
            found[int(s.container.id or 0)] = (edit.text(), est.isChecked())
        kind = lg.CountKind(self.kind.currentData())
        counted = svc.count(self.ctx.repos, kind, self.by.text(), found)
        n = len(counted.discrepancies)
        if n:
            return f"Count saved with {n} discrepancy(ies): explain each or report a loss."
        return "Count saved: everything matches the ledger."


class LedgerDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("ledgerDialog")
        self.setWindowTitle(ctx.title("Controlled-substance ledger"))
        intro = QLabel(
            "Ketamine and esketamine, Schedule III: every milligram from receipt to dose or "
            "witnessed waste. Entries are never edited; a correction is a new entry.",
            self,
        )
        intro.setWordWrap(True)
        set_role(intro, "hint")
        self.items_title = QLabel("Open items", self)
        self.items = QListWidget(self)
        self.items.setObjectName("ledgerOpenItems")
        self.items.setAccessibleName("Open items")
        self.items.setMaximumHeight(130)
        self.items_title.setBuddy(self.items)
        stock_title = QLabel("&Stock on hand", self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("ledgerStock")
        self.table.setAccessibleName("Stock on hand")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        stock_title.setBuddy(self.table)

        self.receive_btn = QPushButton("&Receive stock…", self)
        self.waste_btn = QPushButton("&Waste…", self)
        self.witness_btn = QPushButton("Wi&tness…", self)
        self.count_btn = QPushButton("&Count…", self)
        self.product_btn = QPushButton("Add &product…", self)
        close = QPushButton("Close", self)
        for button in (self.receive_btn, self.waste_btn, self.witness_btn, self.count_btn):
            button.setAutoDefault(False)
        self.receive_btn.clicked.connect(self.receive)
        self.waste_btn.clicked.connect(self.waste)
        self.witness_btn.clicked.connect(self.witness)
        self.count_btn.clicked.connect(self.count)
        self.product_btn.clicked.connect(self.add_product)
        close.clicked.connect(self.accept)
        self.waste_btn.setToolTip("Waste from the selected container (Alt+W)")
        self.witness_btn.setToolTip("Witness the selected waste awaiting a witness (Alt+T)")
        actions = QHBoxLayout()
        for button in (
            self.receive_btn,
            self.waste_btn,
            self.witness_btn,
            self.count_btn,
            self.product_btn,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(close)
        self.error = _error_label(self)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.items_title)
        layout.addWidget(self.items)
        layout.addWidget(stock_title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(actions)
        self.child: QDialog | None = None
        self.states: list[ContainerState] = []
        fit_to_screen(self, 1100, 620)
        self.refresh()

    # ------------------------------------------------------------------ view
    def refresh(self) -> None:
        try:
            self.states = svc.stock(self.ctx.repos)
            reminders = svc.open_items(self.ctx.repos)
            waiting = {e.id for e in svc.awaiting_witness(self.ctx.repos)}
        except VaultError as exc:
            self.error.setText(f"The ledger could not be read: {exc.message}")
            self.error.show()
            return
        self.items.clear()
        for r in reminders:
            prefix = "Overdue: " if r.overdue else ""
            item = QListWidgetItem(prefix + r.text)
            item.setData(CONTAINER_ROLE, r.container_id)
            item.setData(ENTRY_ROLE, r.entry_id if r.entry_id in waiting else None)
            self.items.addItem(item)
        if not reminders:
            self.items.addItem("Nothing is open.")
        self.items_title.setText(f"&Open items ({len(reminders)})")
        self.table.setRowCount(len(self.states))
        for row, s in enumerate(self.states):
            cells = [
                s.container.label,
                s.product.label,
                s.container.lot,
                wording.short_date(s.container.expiry),
                wording.date_time(s.opened_utc.astimezone()) if s.opened_utc else "unopened",
                s.balance_text(),
                "; ".join(s.flags()),
            ]
            for col, value in enumerate(cells):
                cell = QTableWidgetItem(value)
                cell.setData(CONTAINER_ROLE, s.container.id)
                if col == 6 and value:
                    cell.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(row, col, cell)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        if self.states and not self.table.selectedItems():
            self.table.selectRow(0)

    def selected_state(self) -> ContainerState | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if not rows:
            return None
        return self.states[min(rows)]

    # ------------------------------------------------------------------ actions
    def _open(self, dialog: QDialog) -> QDialog:
        self.child = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.refresh)
        dialog.open()
        return dialog

    def _say(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def receive(self) -> QDialog | None:
        if not svc.products(self.ctx.repos):
            self._say("Add a product first (Alt+P): the form and strength you stock.")
            return None
        self.error.hide()
        return self._open(ReceiveDialog(self.ctx, self))

    def waste(self) -> QDialog | None:
        state = self.selected_state()
        if state is None:
            self._say("Choose a container in the stock table first.")
            return None
        self.error.hide()
        return self._open(WasteDialog(self.ctx, state, self))

    def witness(self) -> QDialog | None:
        current = self.items.currentItem()
        entry_id = current.data(ENTRY_ROLE) if current is not None else None
        if entry_id is None:
            waiting = svc.awaiting_witness(self.ctx.repos)
            if not waiting:
                self._say("No waste is awaiting a witness.")
                return None
            entry = waiting[0]
        else:
            entry = svc.entry(self.ctx.repos, int(entry_id))
        self.error.hide()
        return self._open(WitnessDialog(self.ctx, entry, self))

    def count(self) -> QDialog | None:
        if not self.states:
            self._say("There is nothing in stock to count.")
            return None
        self.error.hide()
        return self._open(CountDialog(self.ctx, self))

    def add_product(self) -> QDialog:
        self.error.hide()
        return self._open(ProductDialog(self.ctx, self))


def open_ledger(ctx: AppContext, parent: QWidget) -> LedgerDialog:
    dialog = LedgerDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def open_from(window: Shell) -> LedgerDialog | None:
    """The menu's entry: the ledger owned by the workspace (a lock closes it)."""
    if window.ctx is None or window.workspace is None:
        return None
    return open_ledger(window.ctx, window.workspace)
