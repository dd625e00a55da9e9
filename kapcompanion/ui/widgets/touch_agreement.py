"""The touch agreement editor: what touch is welcome, ask first, what helps in distress.

The agreement is made while the client is not altered: while the session runs
(``set_running(True)``) every field is read-only and only Withdraw works. Withdrawal is
possible at any moment and is handed to the host at once (``withdrawn``) so it can commit it
before anything else. The plain-language summary is ``core.touch.describe()``, the same
words the PDF quotes.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.touch import (
    DistressPreference,
    TouchAgreement,
    TouchKind,
    describe,
    withdraw,
)
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.choice import SegmentedChoice

NO_AGREEMENT = (
    "No touch agreement yet. Until there is one, no touch is agreed. Choose what touch, if "
    "any, is welcome; the agreement is made now, while the client is not altered."
)
RUNNING_NOTE = (
    "The session is running: the agreement cannot be changed while the client is altered. "
    "The client can still withdraw it."
)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class TouchAgreementEditor(QWidget):
    """Edits one :class:`TouchAgreement` (or none yet)."""

    #: the agreement was edited (host autosaves)
    changed = Signal()
    #: the agreement was withdrawn just now (host saves at once)
    withdrawn = Signal()

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("touchAgreement")
        self._today = today
        self._agreement: TouchAgreement | None = None
        self._running = False
        self._read_only = False
        self._loading = False

        self.kinds: dict[TouchKind, QCheckBox] = {
            TouchKind.NONE: QCheckBox("No touch"),
            TouchKind.HAND_ON_SHOULDER: QCheckBox("A hand on the shoulder"),
            TouchKind.HOLDING_HAND: QCheckBox("Holding a hand"),
            TouchKind.OTHER: QCheckBox("Other:"),
        }
        for kind, box in self.kinds.items():
            box.setAccessibleName(f"Touch welcome: {kind.label}")
            box.toggled.connect(lambda on, k=kind: self._kind_toggled(k, on))
        self.other_detail = QLineEdit()
        self.other_detail.setAccessibleName("Other touch, in detail")
        self.other_detail.setPlaceholderText("which touch, where")
        self.other_detail.textEdited.connect(self._edited)
        self.ask_first = QCheckBox("Ask before every touch")
        self.ask_first.setAccessibleName("Ask before every touch")
        self.ask_first.setChecked(True)
        self.ask_first.toggled.connect(self._edited)
        self.distress = SegmentedChoice(
            [
                (DistressPreference.TOUCH, "A reassuring touch"),
                (DistressPreference.WORDS_ONLY, "Words only"),
                (DistressPreference.MEDICATION, "Medication"),
            ],
            "If distressed",
        )
        self.distress.set_value(DistressPreference.WORDS_ONLY)
        self.distress.chosen.connect(self._edited)
        self.agreed_on = QDateEdit()
        self.agreed_on.setCalendarPopup(True)
        self.agreed_on.setDisplayFormat("yyyy-MM-dd")
        self.agreed_on.setAccessibleName("Agreed on")
        self.agreed_on.lineEdit().setAccessibleName("Agreed on")
        self.agreed_on.setDate(_qdate(self.today()))
        self.agreed_on.dateChanged.connect(self._edited)

        self.summary = QLabel()
        self.summary.setObjectName("touchSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Touch agreement in plain words")
        self.running_note = QLabel(RUNNING_NOTE)
        self.running_note.setWordWrap(True)
        set_role(self.running_note, "warning")
        self.running_note.hide()

        self.withdraw_button = QPushButton("&Withdraw agreement…")
        self.withdraw_button.setAccessibleName("Withdraw the touch agreement")
        self.withdraw_button.clicked.connect(self.ask_withdraw)
        self.renew_button = QPushButton("Make a new agreement")
        self.renew_button.setAccessibleName("Make a new touch agreement")
        self.renew_button.clicked.connect(self.renew)
        self.withdraw_note = QLineEdit()
        self.withdraw_note.setAccessibleName("Withdrawal note")
        self.withdraw_note.setPlaceholderText("what the client said (optional)")
        self.confirm_withdraw = QPushButton("Confirm withdrawal")
        self.confirm_withdraw.setAccessibleName("Confirm withdrawal of the touch agreement")
        self.confirm_withdraw.clicked.connect(self.confirm)
        self.cancel_withdraw = QPushButton("Cancel")
        self.cancel_withdraw.clicked.connect(self._hide_confirm)
        self.confirm_row = QFrame()
        confirm = QHBoxLayout(self.confirm_row)
        confirm.setContentsMargins(0, 0, 0, 0)
        confirm.addWidget(QLabel("Withdraw now. Note:"))
        confirm.addWidget(self.withdraw_note, 1)
        confirm.addWidget(self.confirm_withdraw)
        confirm.addWidget(self.cancel_withdraw)
        self.confirm_row.hide()

        grid = QGridLayout()
        grid.setColumnStretch(3, 1)
        grid.setHorizontalSpacing(14)
        grid.addWidget(QLabel("Welcome:"), 0, 0)
        grid.addWidget(self.kinds[TouchKind.NONE], 0, 1)
        grid.addWidget(self.kinds[TouchKind.HAND_ON_SHOULDER], 0, 2)
        grid.addWidget(self.kinds[TouchKind.HOLDING_HAND], 1, 1)
        other = QHBoxLayout()
        other.addWidget(self.kinds[TouchKind.OTHER])
        other.addWidget(self.other_detail, 1)
        grid.addLayout(other, 1, 2, 1, 2)
        grid.addWidget(self.ask_first, 2, 1, 1, 2)
        grid.addWidget(QLabel("If distressed:"), 3, 0)
        grid.addWidget(self.distress, 3, 1, 1, 3, Qt.AlignmentFlag.AlignLeft)
        date_label = QLabel("Agreed on:")
        date_label.setBuddy(self.agreed_on)
        grid.addWidget(date_label, 4, 0)
        grid.addWidget(self.agreed_on, 4, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.withdraw_button)
        buttons.addWidget(self.renew_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.summary)
        layout.addWidget(self.running_note)
        layout.addLayout(buttons)
        layout.addWidget(self.confirm_row)
        self._refresh()

    # ------------------------------------------------------------------ state
    def today(self) -> date:
        return self._today or date.today()

    def agreement(self) -> TouchAgreement | None:
        return self._agreement

    @property
    def running(self) -> bool:
        return self._running

    def set_agreement(self, agreement: TouchAgreement | None) -> None:
        self._agreement = agreement
        self._loading = True
        try:
            a = agreement
            welcome = {TouchKind(k) for k in (a.welcome if a else [])}
            for kind, box in self.kinds.items():
                box.setChecked(kind in welcome)
            self.other_detail.setText(a.other_detail if a else "")
            self.ask_first.setChecked(a.ask_first if a else True)
            pref = DistressPreference(a.when_distressed) if a else DistressPreference.WORDS_ONLY
            self.distress.set_value(pref)
            self.agreed_on.setDate(_qdate(a.agreed_on if a else self.today()))
        finally:
            self._loading = False
        self._hide_confirm()
        self._refresh()

    def set_running(self, running: bool) -> None:
        """While running, nothing but Withdraw (the client is altered)."""
        self._running = running
        self._refresh()

    def set_read_only(self, read_only: bool) -> None:
        """A finished or signed record: nothing changes here, not even a withdrawal."""
        self._read_only = read_only
        self._refresh()

    # ------------------------------------------------------------------ edits
    def _kind_toggled(self, kind: TouchKind, on: bool) -> None:
        if self._loading:
            return
        self._loading = True
        try:
            if on and kind is TouchKind.NONE:
                for other, box in self.kinds.items():
                    if other is not TouchKind.NONE:
                        box.setChecked(False)
            elif on:
                self.kinds[TouchKind.NONE].setChecked(False)
        finally:
            self._loading = False
        self._edited()

    def _from_fields(self) -> TouchAgreement:
        welcome = [k for k, box in self.kinds.items() if box.isChecked()]
        pref = self.distress.value() or DistressPreference.WORDS_ONLY
        qd = self.agreed_on.date()
        old = self._agreement
        return TouchAgreement(
            welcome=welcome,
            other_detail=self.other_detail.text().strip(),
            ask_first=self.ask_first.isChecked(),
            when_distressed=pref,
            agreed_on=date(qd.year(), qd.month(), qd.day()),
            withdrawn_at=old.withdrawn_at if old else None,
            withdrawn_note=old.withdrawn_note if old else "",
        )

    def _edited(self, *_args: object) -> None:
        if self._loading or not self._editable():
            return
        self._agreement = self._from_fields()
        self._refresh()
        self.changed.emit()

    def _editable(self) -> bool:
        a = self._agreement
        if self._running or self._read_only:
            return False
        return a is None or a.withdrawn_at is None

    def ask_withdraw(self) -> None:
        if self._read_only or self._agreement is None or self._agreement.withdrawn_at is not None:
            return
        self.withdraw_note.clear()
        self.confirm_row.show()
        self.withdraw_note.setFocus()

    def confirm(self) -> None:
        """Withdraw now (allowed at any time, also while the session runs)."""
        if self._read_only or self._agreement is None or self._agreement.withdrawn_at is not None:
            return
        self._agreement = withdraw(self._agreement, datetime.now(UTC), self.withdraw_note.text())
        self._hide_confirm()
        self._refresh()
        self.withdrawn.emit()

    def renew(self) -> None:
        """A new agreement after a withdrawal (between sessions only), dated today."""
        if self._running or self._read_only or self._agreement is None:
            return
        fresh = dataclasses.replace(
            self._agreement, withdrawn_at=None, withdrawn_note="", agreed_on=self.today()
        )
        self.set_agreement(fresh)
        self.changed.emit()

    def _hide_confirm(self) -> None:
        self.confirm_row.hide()

    # ------------------------------------------------------------------ view
    def _refresh(self) -> None:
        a = self._agreement
        editable = self._editable()
        for box in self.kinds.values():
            box.setEnabled(editable)
        self.other_detail.setEnabled(editable and self.kinds[TouchKind.OTHER].isChecked())
        self.ask_first.setEnabled(editable)
        self.distress.setEnabled(editable)
        self.agreed_on.setEnabled(editable)
        withdrawn = a is not None and a.withdrawn_at is not None
        self.withdraw_button.setVisible(not withdrawn)
        self.withdraw_button.setEnabled(a is not None and not self._read_only)
        self.renew_button.setVisible(withdrawn)
        self.renew_button.setEnabled(withdrawn and not self._running and not self._read_only)
        self.running_note.setVisible(self._running)
        self.summary.setText(describe(a) if a is not None else NO_AGREEMENT)
        set_role(self.summary, "warning" if withdrawn else "")

    def summary_text(self) -> str:
        return self.summary.text()
