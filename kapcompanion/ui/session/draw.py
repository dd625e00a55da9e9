"""Which container a session's dose is drawn from, when the clinic keeps a ledger.

:class:`DrawPicker` is the choice itself (the open vial of the planned lot first, as
``services.ledger.offered_container`` says; every other container in stock after it; last, "not
from the clinic's stock", which needs a reason), used by :class:`DrawDialog` when the dose is
marked (Ctrl+D) and by the extra-dose card. An expired container or one opened longer than the
clinic's beyond-use time can be chosen only with a reason. The rules and the booking are
``services.session`` and ``services.ledger``; a refusal is shown in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.dose import fmt
from kapcompanion.core.ledger import ContainerState
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.theme import set_role

NOT_FROM_STOCK = "Not from the clinic's stock (say why)"


def choice_text(state: ContainerState, offered: bool = False) -> str:
    """'K-0003 · 465 mg (9.3 mL) left · open · lot A123 · expires 2027-06-30 · offered'."""
    c = state.container
    bits = [
        c.label,
        f"{state.balance_text()} left",
        "open" if state.opened else "unopened",
        f"lot {c.lot}",
        f"expires {wording.short_date(c.expiry)}",
        *state.flags(),
    ]
    if offered:
        bits.append("offered")
    return " · ".join(bits)


class DrawPicker(QWidget):
    """A container from the ledger's stock, or none with a reason."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName("Container the dose is drawn from")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason for this draw")
        self._states: dict[int, ContainerState] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.combo)
        layout.addWidget(self.reason)
        self.combo.currentIndexChanged.connect(self._update)
        self.reason.textChanged.connect(self.changed)
        self.reason.hide()

    def load(self, states: Sequence[ContainerState], offered: int | None) -> None:
        """Fill the choice: the offered container first and chosen."""
        self._states = {s.container.id: s for s in states if s.container.id is not None}
        ordered = sorted(
            self._states.values(),
            key=lambda s: (
                s.container.id != offered,
                s.expired or s.beyond_use,
                s.container.expiry,
                s.container.label,
            ),
        )
        self.combo.blockSignals(True)
        self.combo.clear()
        for state in ordered:
            cid = state.container.id
            self.combo.addItem(choice_text(state, cid == offered), cid)
        self.combo.addItem(NOT_FROM_STOCK, None)
        self.combo.setCurrentIndex(0)
        self.combo.blockSignals(False)
        self.reason.clear()
        self._update()

    def container_id(self) -> int | None:
        data = self.combo.currentData()
        return int(data) if isinstance(data, int) else None

    def state(self) -> ContainerState | None:
        cid = self.container_id()
        return self._states.get(cid) if cid is not None else None

    def needs_reason(self) -> bool:
        state = self.state()
        return state is None or state.expired or state.beyond_use

    def _update(self) -> None:
        state = self.state()
        if state is None:
            self.reason.setPlaceholderText(
                "Why the dose does not come from the clinic's stock (required: a sentence)"
            )
        elif state.expired:
            self.reason.setPlaceholderText("Why draw from an expired container (required)")
        else:
            self.reason.setPlaceholderText(
                "Why draw from a vial open past its beyond-use time (required)"
            )
        self.reason.setVisible(self.needs_reason())
        self.combo.setToolTip(self.combo.currentText())  # in full where the row is narrow
        self.changed.emit()

    def draw(self) -> dict[str, Any]:
        """The keyword arguments of the dose's draw: ``container_id`` and ``draw_reason``."""
        reason = " ".join(self.reason.text().split()) if self.needs_reason() else ""
        return {"container_id": self.container_id(), "draw_reason": reason}


class DrawDialog(QDialog):
    """Mark the dose given, drawn from a container: ``act(draw)`` gives it (the dose and the
    draw in one transaction); a refusal is shown here and the form stays."""

    def __init__(
        self,
        title: str,
        dose: str,
        planned_mg: float | None,
        states: Sequence[ContainerState],
        offered: int | None,
        act: Callable[[dict[str, Any]], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("drawDialog")
        self.setWindowTitle(title)
        self.act = act
        self.done_ok = False
        text = QLabel(
            f"Dose: {dose}.\nThe clinic keeps a controlled-substance ledger: the draw is booked "
            "with the dose, in the same record.",
            self,
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.PlainText)
        self.picker = DrawPicker(self)
        self.picker.load(states, offered)
        self.amount = QDoubleSpinBox(self)
        self.amount.setRange(0, 5000)
        self.amount.setDecimals(1)
        self.amount.setSuffix(" mg")
        self.amount.setAccessibleName("Amount drawn in mg")
        self.amount.setValue(planned_mg or 0)
        self.volume = QLabel(self)
        set_role(self.volume, "hint")
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem")
        self.error.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 4)
        self.error.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        set_role(self.error, "error")
        form = QFormLayout()
        container_label = QLabel("&Drawn from", self)
        container_label.setBuddy(self.picker.combo)
        form.addRow(container_label, self.picker)
        amount_label = QLabel("&Amount drawn", self)
        amount_label.setBuddy(self.amount)
        form.addRow(amount_label, self.amount)
        form.addRow("", self.volume)
        self.buttons = QDialogButtonBox(self)
        self.confirm = self.buttons.addButton(
            "&Give the dose", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.confirm.setProperty("primary", "true")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.picker.changed.connect(self._changed)
        self.amount.valueChanged.connect(self._changed)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._changed()
        self.resize(640, self.sizeHint().height())
        self.picker.combo.setFocus()

    def _changed(self, *_args: object) -> None:
        self.error.setText("")
        state = self.picker.state()
        self.amount.setEnabled(state is not None)
        mg = Decimal(str(round(self.amount.value(), 1)))
        ml = state.product.ml(mg) if state is not None else None
        self.volume.setText(f"= {fmt(float(ml))} mL" if ml is not None and mg > 0 else "")

    def draw(self) -> dict[str, Any]:
        out = self.picker.draw()
        if out["container_id"] is not None:
            out["draw_mg"] = round(self.amount.value(), 1)
        return out

    def submit(self) -> bool:
        try:
            self.act(self.draw())
        except VaultError as exc:
            self.error.setText(exc.message)
            return False
        self.done_ok = True
        self.accept()
        return True
