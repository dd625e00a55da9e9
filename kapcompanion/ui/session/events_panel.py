"""Quick events (one key or one click, then optional detail) and the session's timeline.

A key opens a small entry card in place (no pop-up window in the client's dim room); Enter
records, Escape cancels. Touch is special: the card shows the touch agreement and the check
for the touch chosen *before* anything is recorded, and recording outside the agreement asks
for a written reason. The timeline shows an event only after the runner returned (committed);
a later change is a correction that keeps the original.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.dose import (
    DoseLevel,
    DoseRefused,
    Maxima,
    Route,
    check_extra_dose,
    extra_doses_mg,
)
from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.core.reasons import reason_problem
from kapcompanion.core.touch import TouchKind, describe
from kapcompanion.services import documents as document_service
from kapcompanion.services import dose as dose_service
from kapcompanion.services.session import DoseNotAccepted, TouchNeedsReason, entry_draft_key
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.autosave import Autosaver, guard_conflicts
from kapcompanion.ui.session import describe as words
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.session.correction import CorrectionDialog
from kapcompanion.ui.session.draw import DrawPicker
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.conflict_banner import ConflictBanner


@dataclass(frozen=True)
class QuickEvent:
    kind: EventKind
    key: str
    label: str
    rows: tuple[str, ...]  # detail rows shown for this kind (see EntryCard)
    text_label: str = "Detail (optional)"


QUICK_EVENTS: tuple[QuickEvent, ...] = (
    QuickEvent(EventKind.CLIENT_WORDS, "C", "Client's words", ("text",), "Their words, verbatim"),
    QuickEvent(EventKind.OBSERVATION, "O", "Observation", ("text",), "What you notice"),
    QuickEvent(EventKind.NAUSEA, "S", "Nausea / vomiting", ("vomiting", "text")),
    QuickEvent(EventKind.DISTRESS, "D", "Distress", ("suicide_risk", "text")),
    QuickEvent(EventKind.TOUCH_OFFERED, "T", "Touch offered", ("touch", "asked", "reason", "text")),
    QuickEvent(
        EventKind.MEDICATION_GIVEN, "M", "Medication", ("med_name", "med_dose", "med_route", "text")
    ),
    QuickEvent(
        EventKind.EXTRA_DOSE,
        "X",
        "Extra dose",
        ("amount", "dose_route", "dose_standing", "dose_reason", "draw", "text"),
    ),
    QuickEvent(EventKind.BATHROOM, "B", "Bathroom", ("text",)),
    QuickEvent(EventKind.ADVERSE_EVENT, "A", "Adverse event", ("severity", "text")),
    QuickEvent(EventKind.NOTE, "F", "Free note", ("text",), "Note"),
)
BY_KIND = {q.kind: q for q in QUICK_EVENTS}
#: shown in a quieter colour: the machine's record, not the therapist's
QUIET_EVENTS = (EventKind.MUSIC_STARTED, EventKind.MUSIC_ENDED, EventKind.BELL)
TOUCH_CHOICES = (TouchKind.HAND_ON_SHOULDER, TouchKind.HOLDING_HAND, TouchKind.OTHER)
SEVERITIES = ("mild", "moderate", "severe")


def confirm_extra_dose(parent: QWidget, question: str) -> bool:
    """The second, explicit confirmation of an extra dose above the usual range (it names the
    number); "Go back" is the default, so Enter does not give it."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Confirm the extra dose")
    box.setText(question)
    box.setInformativeText("The timeline, the record and the audit log will mark it.")
    give = box.addButton("Give this dose", QMessageBox.ButtonRole.AcceptRole)
    back = box.addButton("Go back", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(back)
    box.setEscapeButton(back)
    box.exec()
    return box.clickedButton() is give


class EntryCard(QFrame):
    """The detail form of one quick event; every possible row, shown per kind."""

    recorded = Signal(object)  # SessionEvent
    cancelled = Signal()
    opened = Signal()
    closed = Signal()

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventEntry")
        self.setProperty("role", "card")
        self.controller = controller
        self.spec: QuickEvent | None = None
        self.title = QLabel(self)
        set_role(self.title, "heading")
        self.agreement = QLabel(self)
        self.agreement.setWordWrap(True)
        self.agreement.setAccessibleName("Touch agreement")
        self.check = QLabel(self)
        self.check.setWordWrap(True)
        self.check.setAccessibleName("Touch check")
        self.touch = QComboBox(self)
        self.touch.setAccessibleName("Kind of touch")
        for kind in TOUCH_CHOICES:
            self.touch.addItem(kind.label.capitalize(), kind.value)
        self.asked = QCheckBox("I asked and the client said yes", self)
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason for touch outside the agreement")
        self.reason.setPlaceholderText("Why touch was needed (required outside the agreement)")
        self.vomiting = QCheckBox("Vomited", self)
        self.suicide_risk = QCheckBox("Suicide risk (raises the safety flag)", self)
        self.med_name = QLineEdit(self)
        self.med_name.setAccessibleName("Medication name")
        self.med_name.setPlaceholderText("e.g. ondansetron")
        self.med_dose = QLineEdit(self)
        self.med_dose.setAccessibleName("Medication dose with unit")
        self.med_dose.setPlaceholderText("e.g. 4 mg")
        self.med_route = QLineEdit(self)
        self.med_route.setAccessibleName("Medication route")
        self.med_route.setPlaceholderText("e.g. ODT, oral, IV")
        self.amount = QDoubleSpinBox(self)
        self.amount.setRange(0, 1000)
        self.amount.setDecimals(1)
        self.amount.setSuffix(" mg")
        self.amount.setAccessibleName("Extra dose in mg")
        self.dose_standing = QLabel(self)
        self.dose_standing.setWordWrap(True)
        self.dose_standing.setAccessibleName("Where the session's total dose stands")
        self.dose_reason = QLineEdit(self)
        self.dose_reason.setAccessibleName("Reason for an extra dose above the usual range")
        self.dose_reason.setPlaceholderText("Why this extra dose (required: a sentence)")
        self.draw = DrawPicker(self)
        #: asks the second confirmation of a dose above the usual range; replaceable in tests
        self.confirm_dose: Callable[[str], bool] = lambda q: confirm_extra_dose(self.window(), q)
        self._maxima: Maxima | None = None
        self._earlier_mg: list[float] = []
        self._above_usual = False
        self.dose_route = QComboBox(self)
        self.dose_route.setAccessibleName("Route of the extra dose")
        for route in Route:
            self.dose_route.addItem(route.label, route.value)
        self.severity = QComboBox(self)
        self.severity.setAccessibleName("Severity")
        for s in SEVERITIES:
            self.severity.addItem(s.capitalize(), s)
        self.text = QLineEdit(self)
        self.text.setAccessibleName("Detail")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        set_role(self.message, "error")
        self.message.hide()
        self.form = QFormLayout()
        self._rows: dict[str, QWidget] = {
            "touch": self.touch,
            "asked": self.asked,
            "reason": self.reason,
            "vomiting": self.vomiting,
            "suicide_risk": self.suicide_risk,
            "med_name": self.med_name,
            "med_dose": self.med_dose,
            "med_route": self.med_route,
            "amount": self.amount,
            "dose_route": self.dose_route,
            "dose_standing": self.dose_standing,
            "dose_reason": self.dose_reason,
            "draw": self.draw,
            "severity": self.severity,
            "text": self.text,
        }
        labels = {
            # no mnemonics here: the card opens in its first field, Tab moves, Enter records
            "touch": "Touch",
            "reason": "Reason",
            "med_name": "Name",
            "med_dose": "Dose",
            "med_route": "Route",
            "amount": "Extra dose (mg)",
            "dose_route": "Route",
            "dose_reason": "Reason",
            "draw": "Drawn from",
            "severity": "Severity",
            "text": "Detail",
        }
        self._text_label = QLabel("Detail", self)
        for key, widget in self._rows.items():
            if key == "text":
                self._text_label.setBuddy(widget)
                self.form.addRow(self._text_label, widget)
            elif key in labels:
                self.form.addRow(labels[key], widget)
            elif isinstance(widget, QCheckBox):
                # the whole row: beside the label column "Suicide risk (raises the safety
                # flag)" made the Distress card wider than the events column (cut at the right)
                self.form.addRow(widget)
            else:
                self.form.addRow("", widget)
        self.touch.currentIndexChanged.connect(self._show_check)
        self.asked.toggled.connect(self._show_check)
        self.amount.valueChanged.connect(self._show_standing)
        self.dose_route.currentIndexChanged.connect(self._show_standing)
        self.record_button = QPushButton("Record (Enter)", self)
        self.record_button.setProperty("primary", "true")
        self.record_button.clicked.connect(self.submit)
        self.cancel_button = QPushButton("Cancel (Esc)", self)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.record_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.agreement)
        layout.addWidget(self.check)
        layout.addLayout(self.form)
        # the whole width: a refusal can be two sentences
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addStretch(1)  # the form at the top of its place, however tall that is
        for keys, slot in (("Esc", self.cancel), ("Return", self.submit), ("Enter", self.submit)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # ------------------------------------------------------------------ opening
    def begin(self, kind: EventKind) -> None:
        spec = BY_KIND[kind]
        self.spec = spec
        self.title.setText(spec.label)
        self._text_label.setText(spec.text_label)
        self.text.setAccessibleName(spec.text_label)
        for key, widget in self._rows.items():
            self.form.setRowVisible(widget, key in spec.rows)
        edits = (self.text, self.reason, self.dose_reason, self.med_name, self.med_dose)
        for edit in (*edits, self.med_route):
            edit.clear()
        self.vomiting.setChecked(False)
        self.suicide_risk.setChecked(False)
        self.asked.setChecked(False)
        self.amount.setValue(0)
        self.severity.setCurrentIndex(0)
        route = self.controller.runner.plan.route
        self.dose_route.setCurrentIndex(max(0, self.dose_route.findData(Route(route).value)))
        self._set_message("")
        if kind is EventKind.EXTRA_DOSE:
            self._begin_extra_dose()
        touch = kind is EventKind.TOUCH_OFFERED
        self.agreement.setVisible(touch)
        self.check.setVisible(touch)
        if touch:
            agreement = self.controller.runner.touch_agreement()
            self.agreement.setText(
                describe(agreement) if agreement else "There is no touch agreement on file."
            )
            self._show_check()
        self.opened.emit()
        first = {
            EventKind.TOUCH_OFFERED: self.touch,
            EventKind.MEDICATION_GIVEN: self.med_name,
            EventKind.EXTRA_DOSE: self.amount,
            EventKind.ADVERSE_EVENT: self.severity,
        }.get(kind, self.text)
        first.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _begin_extra_dose(self) -> None:
        """What the live line needs (the clinic's maxima, earlier extras) and, with a ledger,
        the containers (the open vial of the planned lot first)."""
        ctl = self.controller
        self._maxima = dose_service.clinic_maxima(ctl.ctx.vault)
        self._earlier_mg = extra_doses_mg(ctl.runner.events())
        ledger = ctl.uses_ledger()
        if ledger:
            self.draw.load(*ctl.draw_choices())
        self.form.setRowVisible(self.draw, ledger)
        self._show_standing()

    def _show_standing(self, *_args: object) -> None:
        """Where the session's total stands with this extra dose, as the plan dialog says it:
        within the usual range, above it (a reason and a confirmation), above the maximum."""
        if self.spec is None or self.spec.kind is not EventKind.EXTRA_DOSE:
            return
        mg = round(self.amount.value(), 1)
        self._above_usual = False
        if mg <= 0:
            self.dose_standing.setText("Enter the extra dose in mg; the session total shows here.")
            set_role(self.dose_standing, "hint")
        else:
            runner = self.controller.runner
            try:
                check = check_extra_dose(
                    runner.plan,
                    mg,
                    earlier_extras_mg=self._earlier_mg,
                    dose_given=runner.clock.dosed,
                    route=Route(self.dose_route.currentData()),
                    maxima=self._maxima,
                )
            except DoseRefused as exc:
                self.dose_standing.setText(exc.message)
                set_role(self.dose_standing, "error")
            else:
                self._above_usual = check.level is DoseLevel.ABOVE_USUAL
                above_max = check.level is DoseLevel.ABOVE_MAX
                text = check.message
                if self._above_usual:
                    text = text.replace(": write the reason and confirm the dose.", ".")
                    text += " Write why in Reason; recording then asks you to confirm the dose."
                self.dose_standing.setText(text)
                set_role(
                    self.dose_standing,
                    "error" if above_max else "warning" if self._above_usual else "ok",
                )
        self.form.setRowVisible(self.dose_reason, self._above_usual)

    def _show_check(self) -> None:
        kind = TouchKind(self.touch.currentData())
        check = self.controller.check_touch(kind, self.asked.isChecked())
        self.check.setText(check.message)
        set_role(self.check, "ok" if check.allowed else "warning")
        self.form.setRowVisible(self.reason, check.needs_reason)

    def _set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def cancel(self) -> None:
        self.spec = None
        self.closed.emit()
        self.cancelled.emit()

    # ------------------------------------------------------------------ draft
    _EDITS = ("text", "reason", "dose_reason", "med_name", "med_dose", "med_route")
    _CHECKS = ("vomiting", "suicide_risk", "asked")
    _COMBOS = ("touch", "dose_route", "severity")

    def edits(self) -> list[QWidget]:
        """Every input, so the panel can autosave the card as a draft."""
        return [self._rows[k] for k in (*self._EDITS, *self._CHECKS, *self._COMBOS, "amount")]

    def state(self) -> dict[str, object] | None:
        """What is typed so far (None when the card is closed)."""
        if self.spec is None:
            return None
        data: dict[str, object] = {"kind": self.spec.kind.value}
        for key in self._EDITS:
            data[key] = getattr(self, key).text()
        for key in self._CHECKS:
            data[key] = getattr(self, key).isChecked()
        for key in self._COMBOS:
            data[key] = getattr(self, key).currentData()
        data["amount"] = self.amount.value()
        return data

    def restore(self, data: dict[str, object]) -> None:
        """Reopen a draft (after a lock or a restart) where the typing stopped."""
        try:
            kind = EventKind(str(data.get("kind")))
        except ValueError:
            return
        if kind not in BY_KIND:
            return
        self.begin(kind)
        for key in self._COMBOS:
            combo: QComboBox = getattr(self, key)
            combo.setCurrentIndex(max(0, combo.findData(data.get(key))))
        for key in self._CHECKS:
            getattr(self, key).setChecked(bool(data.get(key)))
        for key in self._EDITS:
            getattr(self, key).setText(str(data.get(key) or ""))
        amount = data.get("amount")
        if isinstance(amount, int | float):
            self.amount.setValue(float(amount))

    # ------------------------------------------------------------------ recording
    def payload(self) -> dict[str, object]:
        assert self.spec is not None
        rows = self.spec.rows
        data: dict[str, object] = {}
        if self.text.text().strip():
            data["text"] = self.text.text().strip()
        if "vomiting" in rows:
            data["vomiting"] = self.vomiting.isChecked()
        if "suicide_risk" in rows and self.suicide_risk.isChecked():
            data["suicide_risk"] = True
        if "med_name" in rows:
            for key, edit in (
                ("name", self.med_name),
                ("dose", self.med_dose),
                ("route", self.med_route),
            ):
                data[key] = edit.text().strip()
        if "amount" in rows:
            data["total_mg"] = round(self.amount.value(), 1) or None
            data["route"] = self.dose_route.currentData()
            if self.dose_reason.text().strip():
                data["reason"] = " ".join(self.dose_reason.text().split())
            if self.controller.uses_ledger():
                draw = self.draw.draw()
                data["container_id"] = draw["container_id"]
                if draw["draw_reason"]:
                    data["draw_reason"] = draw["draw_reason"]
        if "severity" in rows:
            data["severity"] = self.severity.currentData()
        return data

    def submit(self) -> SessionEvent | None:
        if self.spec is None:
            return None
        kind = self.spec.kind
        data = self.payload()
        if kind is EventKind.MEDICATION_GIVEN and not data.get("name"):
            self._set_message("Name the medication given.")
            self.med_name.setFocus()
            return None
        if kind is EventKind.EXTRA_DOSE and not data.get("total_mg"):
            self._set_message("Enter the extra dose in mg.")
            self.amount.setFocus()
            return None
        event: SessionEvent | None
        try:
            if kind is EventKind.TOUCH_OFFERED:
                event = self.controller.record_touch(
                    TouchKind(self.touch.currentData()),
                    asked=self.asked.isChecked(),
                    reason=self.reason.text(),
                    note=self.text.text(),
                )
            elif kind is EventKind.EXTRA_DOSE:
                event = self._record_extra_dose(data)
            else:
                event = self.controller.record(kind, data)
        except TouchNeedsReason as exc:
            self._set_message(f"{exc.message} Write the reason to record it.")
            self.form.setRowVisible(self.reason, True)
            self.reason.setFocus()
            return None
        except VaultError as exc:
            self._set_message(exc.message)
            return None
        if event is None:
            return None
        self.spec = None
        self.closed.emit()
        self.recorded.emit(event)
        return event

    def _record_extra_dose(self, data: dict[str, object]) -> SessionEvent | None:
        """Above the usual range: a reason of substance, then the confirmation that names the
        number (the runner's own question); above the maximum: refused, the message says so."""
        try:
            return self.controller.record(EventKind.EXTRA_DOSE, data)
        except DoseNotAccepted as exc:
            question = exc.needs_confirmation
            if not question:
                self._set_message(exc.message)
                self.amount.setFocus()
                return None
            self.form.setRowVisible(self.dose_reason, True)
            problem = reason_problem(self.dose_reason.text())
            if problem is not None:
                self._set_message(problem)  # the line above already says where the dose stands
                self.dose_reason.setFocus()
                return None
            if not self.confirm_dose(question):
                self._set_message("Not recorded: the extra dose was not confirmed.")
                self.amount.setFocus()
                return None
        return self.controller.record(EventKind.EXTRA_DOSE, {**data, "confirmed": question})


class EventsPanel(QWidget):
    """The quick-event buttons, the entry card and the timeline."""

    notice = Signal(str)

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventsPanel")
        self.controller = controller
        heading = QLabel("Events", self)
        set_role(heading, "heading")
        buttons_page = QWidget(self)
        grid = QGridLayout(buttons_page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        self.buttons: dict[EventKind, QPushButton] = {}
        for index, spec in enumerate(QUICK_EVENTS):
            button = QPushButton(f"{spec.label}  [{spec.key}]", self)
            button.setAccessibleName(spec.label)
            button.setToolTip(f"{spec.label} (key {spec.key})")
            button.setMinimumHeight(30)
            button.clicked.connect(lambda _=False, k=spec.kind: self.begin(k))
            grid.addWidget(button, index // 2, index % 2)
            self.buttons[spec.kind] = button
        self.card = EntryCard(controller)
        self.card.recorded.connect(self._recorded)
        card_page = QScrollArea(self)
        card_page.setWidgetResizable(True)
        card_page.setFrameShape(QFrame.Shape.NoFrame)
        # down only: a form scrolled sideways opened on "istress" and cut its refusal
        card_page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        card_page.setWidget(self.card)
        # the card takes the buttons' place while open (they are not needed meanwhile)
        self.top = QStackedWidget(self)
        self.top.addWidget(buttons_page)
        self.top.addWidget(card_page)
        self._pages = (buttons_page, card_page)
        self.card.opened.connect(lambda: self._show_page(1))
        self.card.closed.connect(lambda: self._show_page(0))
        self._show_page(0)
        timeline_label = QLabel("&Timeline", self)
        set_role(timeline_label, "heading")
        self.timeline = QListWidget(self)
        self.timeline.setAccessibleName("Session timeline")
        self.timeline.setWordWrap(True)
        # at least six lines of the timeline, even with an entry card open (the body scrolls)
        self.timeline.setMinimumHeight(self.fontMetrics().lineSpacing() * 6 + 8)
        timeline_label.setBuddy(self.timeline)
        self.card.cancelled.connect(self.timeline.setFocus)
        self._events: dict[int | None, SessionEvent] = {}
        self.correct_button = QPushButton("C&orrect the selected event…", self)
        self.correct_button.setAccessibleName("Correct the selected event")
        self.correct_button.clicked.connect(self.correct_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(heading)
        layout.addWidget(self.top)
        row = QHBoxLayout()
        row.addWidget(timeline_label)
        row.addStretch(1)
        row.addWidget(self.correct_button)
        layout.addLayout(row)
        layout.addWidget(self.timeline, 1)
        controller.event_committed.connect(self._committed)
        controller.state_changed.connect(self._enable)
        self.reload()
        self._enable()
        # what is typed in the card is a draft: saved on a pause, while typing and at a lock
        self.autosaver = Autosaver(
            self.save_draft, self, about_to_lock=controller.ctx.signals.about_to_lock
        )
        for widget in self.card.edits():
            for name in ("textChanged", "toggled", "currentIndexChanged", "valueChanged"):
                signal = getattr(widget, name, None)
                if signal is not None:
                    signal.connect(self.autosaver.touch)
        self.card.opened.connect(self.autosaver.touch)
        self.card.closed.connect(self._card_closed)
        self.conflict_banner = ConflictBanner("event entry")  # the same card in two windows
        layout.insertWidget(1, self.conflict_banner)
        guard_conflicts(
            self.autosaver,
            self.conflict_banner,
            controller.ctx,
            self.card.state,
            lambda _doc: self._restore_draft(),
        )
        self.draft_revision = 0
        self._restore_draft()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timeline.scrollToBottom()  # the latest events, also after an unlock

    def _show_page(self, index: int) -> None:
        """Only the current page counts for the height, so the timeline keeps the rest."""
        for i, page in enumerate(self._pages):
            vertical = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page.setSizePolicy(QSizePolicy.Policy.Preferred, vertical)
        self.top.setCurrentIndex(index)
        self.top.updateGeometry()

    def _draft_key(self) -> str:
        return entry_draft_key(self.controller.session_id)

    def save_draft(self) -> None:
        ctx = self.controller.ctx
        if ctx.vault.is_open:  # at a lock this runs before the vault closes
            self.draft_revision = document_service.save_draft(
                ctx.repos,
                self._draft_key(),
                self.card.state(),
                self.draft_revision,
                client_id=self.controller.runner.client_id,
            )

    def _card_closed(self) -> None:
        """The card was recorded or cancelled: its draft goes now (through the autosaver, which
        says why when the save is refused)."""
        self.autosaver.touch()
        self.autosaver.flush()

    def _restore_draft(self) -> None:
        loaded = document_service.load_draft(self.controller.ctx.repos, self._draft_key())
        self.draft_revision = loaded.revision
        if isinstance(loaded.value, dict) and self.controller.running:
            self.card.restore(loaded.value)

    def _enable(self) -> None:
        running = self.controller.running
        for kind, button in self.buttons.items():
            button.setEnabled(running and (kind is not EventKind.EXTRA_DOSE or self._dosed()))
        if not running and self.card.isVisible():
            self.card.cancel()

    def _dosed(self) -> bool:
        return self.controller.runner.clock.dosed

    def begin(self, kind: EventKind) -> None:
        if not self.buttons[kind].isEnabled():
            self.notice.emit("Start the session first." if not self.controller.running else "")
            return
        self.card.begin(kind)

    def _recorded(self, event: SessionEvent) -> None:
        if event.kind is EventKind.DISTRESS and event.payload.get("suicide_risk"):
            self.notice.emit(
                "Suicide-risk flag raised. A safety note will be needed before discharge."
            )
        else:
            self.notice.emit(f"{event.kind.label} recorded.")
        self.timeline.setFocus()

    # ------------------------------------------------------------------ timeline
    def _committed(self, _event: SessionEvent) -> None:
        self.reload()

    def reload(self) -> None:
        events = self.controller.runner.events()
        corrected = words.corrected_ids(events)
        self.timeline.clear()
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        session = self.controller.runner.session
        for event in events:
            item = QListWidgetItem(words.line(event, event.id in corrected, session))
            item.setData(Qt.ItemDataRole.UserRole, event.id)
            if event.kind in QUIET_EVENTS:
                item.setForeground(muted)
            self.timeline.addItem(item)
        self.timeline.scrollToBottom()
        self._events = {e.id: e for e in events}

    def selected_event(self) -> SessionEvent | None:
        item = self.timeline.currentItem()
        if item is None:
            return None
        return self._events.get(item.data(Qt.ItemDataRole.UserRole))

    def correct_selected(self) -> CorrectionDialog | None:
        event = self.selected_event()
        if event is None:
            self.notice.emit("Choose an event in the timeline to correct.")
            return None
        if event.kind is EventKind.CORRECTION:
            self.notice.emit("Correct the original event, not a correction.")
            return None
        dialog = CorrectionDialog(self.controller, event, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.dialog = dialog
        return dialog
