"""The screening form: every item yes / no / unknown with a note, and the outcome at once.

Items come from ``core.screening.SCREENING_ITEMS`` in two groups (label contraindications,
relative findings). The outcome and its reasons (``core.screening.evaluate``, with the
record's context: the intake's interacting medication, a suicide-risk flag or a positive
PHQ-9 item 9) stay in view above the items and change with every answer.

An override opens :class:`DecisionDialog`: it lists the findings it covers and asks for a
reason that is a sentence; with a label contraindication among them the prescriber, a
practice member, chooses their name and types their own PIN, and the override is recorded as
the prescriber's decision.
The medication list is reconciled the same way, by the prescriber. Saving is the section's
job (``edited`` asks for an autosave, ``override_requested`` and ``reconcile_requested`` for
an immediate, audited save through ``services.screening``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.intake import group_label
from kapcompanion.core.members import Member
from kapcompanion.core.reasons import REASON_RULE, reason_problem
from kapcompanion.core.screening import (
    INTERACTING,
    SCREENING_ITEMS,
    SUICIDALITY,
    Answer,
    Finding,
    ItemGroup,
    Outcome,
    Prescriber,
    Screening,
    ScreeningContext,
    ScreeningResponse,
    answer,
    evaluate,
    unreconciled,
)
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.answer_row import AnswerRow, Option
from kapcompanion.ui.widgets.member_pin import MemberPinField

OPTIONS: list[Option] = [
    (Answer.YES, "Yes", "y1"),
    (Answer.NO, "No", "n2"),
    (Answer.UNKNOWN, "Unknown", "u3"),
]
GROUPS = (
    (
        ItemGroup.CONTRAINDICATION,
        "Label contraindications",
        "Any \u201cyes\u201d makes the client not eligible; \u201cunknown\u201d needs the "
        "prescriber's review. Only the prescriber can override these.",
    ),
    (
        ItemGroup.PHYSICIAN_REVIEW,
        "Relative findings",
        "A \u201cyes\u201d or \u201cunknown\u201d here needs a physician's review; the "
        "therapist may override with a written reason.",
    ),
)
KEYS_HINT = (
    "On an item press Y, N or U (or 1, 2, 3) to answer; Down and Up move from item to item. "
    "Tab goes to the item's note (answer first), then to the next item."
)
ROLE_FOR = {
    Outcome.ELIGIBLE: "ok",
    Outcome.PHYSICIAN_REVIEW: "warning",
    Outcome.NOT_ELIGIBLE: "error",
}
PRESCRIBER_ONLY = (
    "A label contraindication can be overridden only by the prescriber. The prescriber "
    "chooses their name and types their own PIN, and the reason is theirs."
)
NO_PRESCRIBER = (
    "The practice has no prescriber among its members. Add the prescriber in "
    "Settings > Practice members (role: prescriber); they then set their own PIN there."
)


@dataclass(frozen=True)
class PrescriberChoice:
    """Who the dialog says decided (a practice member) and the PIN they typed."""

    prescriber: Prescriber
    pin: str


__all__ = ["INTERACTING", "DecisionDialog", "PrescriberChoice", "ScreeningForm"]


def finding_line(finding: Finding) -> str:
    said = {"yes": "yes", "unknown": "not known", "unanswered": "not answered"}[finding.answer]
    source = ", from the record" if finding.source else ""
    return f"\u2022 {finding.label}: {said}{source} ({finding.level.label})"


class DecisionDialog(QDialog):
    """A decision that needs a reason of substance, and with ``prescriber`` the prescriber's
    name and credential: the screening override, the medication reconciliation."""

    #: (reason, PrescriberChoice or None)
    submitted = Signal(str, object)

    def __init__(
        self,
        title: str,
        intro: str,
        lines: list[str],
        *,
        prescriber: bool,
        confirm_text: str,
        placeholder: str,
        prescribers: Sequence[Member] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("decisionDialog")
        self.needs_prescriber = prescriber
        layout = QVBoxLayout(self)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.covers = QLabel("\n".join(lines))
        self.covers.setWordWrap(True)
        self.covers.setAccessibleName("What this decision covers")
        self.covers.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.covers)
        self.prescriber_note = QLabel(PRESCRIBER_ONLY)
        self.prescriber_note.setWordWrap(True)
        set_role(self.prescriber_note, "warning")
        self.prescriber_box = QWidget()
        box = QVBoxLayout(self.prescriber_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.prescriber_note)
        form = QFormLayout()
        box.addLayout(form)
        self.prescriber = MemberPinField(
            "Prescriber", prescribers, form, self.prescriber_box, empty_text=NO_PRESCRIBER
        )
        self.prescriber_box.setVisible(prescriber)
        layout.addWidget(self.prescriber_box)
        reason_label = QLabel("&Reason")
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText(placeholder)
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        reason_label.setBuddy(self.reason)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        rule = QLabel(REASON_RULE)
        rule.setWordWrap(True)
        set_role(rule, "hint")
        layout.addWidget(rule)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem")
        set_role(self.error, "error")
        layout.addWidget(self.error)
        self.confirm = QPushButton(confirm_text)
        self.confirm.setProperty("primary", True)
        self.confirm.setDefault(True)
        self.confirm.clicked.connect(self.submit)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.confirm)
        buttons.addWidget(cancel)
        layout.addLayout(buttons)
        self.setMinimumWidth(560)
        (self.prescriber.choice if prescriber else self.reason).setFocus()

    def submit(self) -> None:
        """Check what can be checked here; the section records it (and may still refuse)."""
        choice: PrescriberChoice | None = None
        if self.needs_prescriber:
            member = self.prescriber.member()
            if member is None:
                self.show_error(NO_PRESCRIBER, self.prescriber.choice)
                return
            if not self.prescriber.pin.text():
                self.show_error(f"{member.name} types their own PIN.", self.prescriber.pin)
                return
        problem = reason_problem(self.reason.toPlainText())
        if problem:
            self.show_error(problem, self.reason)
            return
        if self.needs_prescriber:
            member = self.prescriber.member()
            assert member is not None
            choice = PrescriberChoice(
                Prescriber(member.name, member.credential, member.id), self.prescriber.take_pin()
            )
        self.error.clear()
        self.submitted.emit(" ".join(self.reason.toPlainText().split()), choice)

    def show_error(self, text: str, focus: QWidget | None = None) -> None:
        self.error.setText(text)
        (focus or self.reason).setFocus()


class ScreeningForm(QWidget):
    edited = Signal()
    #: (reason, PrescriberChoice or None) the user asks to record an override
    override_requested = Signal(str, object)
    override_withdraw_requested = Signal()
    #: (reason, PrescriberChoice) the prescriber reconciled the intake's medication list
    reconcile_requested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screeningForm")
        self.screening = Screening()
        self._read_only = False
        #: the practice's prescribers, for the decision dialogs (the section sets it)
        self.prescribers: Callable[[], Sequence[Member]] = list

        self.outcome = QLabel()
        self.outcome.setObjectName("screeningOutcome")
        self.outcome.setStyleSheet("font-weight: 600;")  # colour from its role
        self.outcome.setAccessibleName("Screening outcome")
        self.reasons = QLabel()
        self.reasons.setObjectName("screeningReasons")
        self.reasons.setWordWrap(True)
        self.reasons.setAccessibleName("Reasons for the outcome")
        self.reasons_scroll = QScrollArea()
        self.reasons_scroll.setWidgetResizable(True)
        self.reasons_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.reasons_scroll.setWidget(self.reasons)
        self.reasons_scroll.viewport().setAutoFillBackground(False)
        self.reasons.setAutoFillBackground(False)
        self.override_button = QPushButton("&Override…")
        self.override_button.setAccessibleName("Override the screening outcome")
        self.override_button.clicked.connect(self.ask_override)
        self.withdraw_button = QPushButton("Withdraw override")
        self.withdraw_button.clicked.connect(self.override_withdraw_requested.emit)
        self.override_dialog: DecisionDialog | None = None
        self.reconcile_dialog: DecisionDialog | None = None
        self.context = ScreeningContext()

        head = QHBoxLayout()
        head.addWidget(self.outcome, 1)
        head.addWidget(self.override_button)
        head.addWidget(self.withdraw_button)
        card = QFrame()
        card.setProperty("role", "card")
        box = QVBoxLayout(card)
        box.addLayout(head)
        box.addWidget(self.reasons_scroll)

        self.rows: dict[str, AnswerRow] = {}
        self.medication_hint = QLabel()
        self.medication_hint.setWordWrap(True)
        self.medication_hint.setAccessibleName("Interacting medication on the intake")
        set_role(self.medication_hint, "warning")
        self.reconcile_button = QPushButton("&Reconcile medication…")
        self.reconcile_button.setAccessibleName(
            "Record the prescriber's reconciliation of the medication list"
        )
        self.reconcile_button.clicked.connect(self.ask_reconcile)
        self.medication_box = QWidget()
        med_row = QHBoxLayout(self.medication_box)
        med_row.setContentsMargins(24, 0, 0, 4)
        med_row.addWidget(self.medication_hint, 1)
        med_row.addWidget(self.reconcile_button, 0, Qt.AlignmentFlag.AlignTop)
        self.medication_box.hide()
        self.suicide_hint = QLabel()
        self.suicide_hint.setWordWrap(True)
        self.suicide_hint.setAccessibleName("Suicide risk in the record")
        self.suicide_hint.setContentsMargins(24, 0, 0, 4)
        set_role(self.suicide_hint, "warning")
        self.suicide_hint.hide()
        body = QWidget()
        column = QVBoxLayout(body)
        column.setSpacing(2)
        keys = QLabel(KEYS_HINT)
        keys.setWordWrap(True)
        set_role(keys, "hint")
        column.addWidget(keys)
        for group, title, note in GROUPS:
            heading = QLabel(title)
            set_role(heading, "heading")
            column.addSpacing(8)
            column.addWidget(heading)
            explain = QLabel(note)
            explain.setWordWrap(True)
            set_role(explain, "hint")
            column.addWidget(explain)
            for item in (i for i in SCREENING_ITEMS if i.group is group):
                row = AnswerRow(item.key, item.label, OPTIONS, help_text=item.help, with_note=True)
                row.answered.connect(lambda value, k=item.key: self._answered(k, value))
                row.note_edited.connect(lambda text, k=item.key: self._noted(k, text))
                self.rows[item.key] = row
                column.addWidget(row)
                if item.key == INTERACTING:
                    column.addWidget(self.medication_box)
                if item.key == SUICIDALITY:
                    column.addWidget(self.suicide_hint)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a container, not a Tab stop
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(card)
        layout.addWidget(self.scroll_area, 1)
        self._show_outcome()

    # ------------------------------------------------------------------ state
    def set_screening(self, screening: Screening) -> None:
        self.screening = screening
        for key, row in self.rows.items():
            response = screening.responses.get(key)
            if response is None:
                row.set_answer(None)
            else:
                row.set_answer(Answer(response.answer), response.note)
        self._show_outcome()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for row in self.rows.values():
            row.set_read_only(read_only)
        self._show_outcome()

    def _answered(self, key: str, value: Answer) -> None:
        old = self.screening.responses.get(key)
        self.screening = answer(self.screening, key, value, old.note if old else "")
        if self.screening.screened_on is None:
            self.screening.screened_on = date.today()
        self._show_outcome()
        self.edited.emit()

    def _noted(self, key: str, text: str) -> None:
        old = self.screening.responses.get(key)
        if old is None:
            return  # the note field is enabled only once the item is answered
        responses = dict(self.screening.responses)
        responses[key] = ScreeningResponse(key=key, answer=old.answer, note=text)
        self.screening.responses = responses
        self.edited.emit()

    def focus_item(self, key: str) -> None:
        row = self.rows[key]
        self.scroll_area.ensureWidgetVisible(row)
        row.setFocus()

    def set_context(self, context: ScreeningContext) -> None:
        """What the rest of the record says (the intake's medication, suicide risk)."""
        self.context = context
        self._show_outcome()

    def _show_notes(self, notes: dict[str, str]) -> None:
        med = notes.get(INTERACTING, "")
        self.medication_hint.setText(med)
        self.medication_box.setVisible(bool(med))
        pending = bool(unreconciled(self.screening, self.context))
        self.reconcile_button.setVisible(pending)
        self.reconcile_button.setEnabled(pending and not self._read_only)
        risk = notes.get(SUICIDALITY, "")
        self.suicide_hint.setText(risk)
        self.suicide_hint.setVisible(bool(risk))

    # ------------------------------------------------------------------ outcome
    def _show_outcome(self) -> None:
        result = evaluate(self.screening, self.context)
        label = result.outcome.label
        if result.overridden:
            label = "Eligible by override"
        elif result.unanswered and result.outcome is not Outcome.NOT_ELIGIBLE:
            # still the review outcome for the gate; on screen, say the form is not done
            total = len(SCREENING_ITEMS)
            answered = total - len(result.unanswered)
            label = f"not finished ({answered} of {total} answered; needs review until it is)"
        self.outcome.setText(f"Outcome: {label}")
        set_role(self.outcome, "ok" if result.overridden else ROLE_FOR[result.outcome])
        if result.reasons:
            self.reasons.setText("\n".join(f"\u2022 {r}" for r in result.reasons))
        else:
            self.reasons.setText("Every item is answered \u201cno\u201d.")
        has_override = bool((self.screening.override_reason or "").strip())
        can_override = result.outcome is not Outcome.ELIGIBLE and not result.overridden
        self.override_button.setVisible(can_override)
        self.override_button.setEnabled(can_override and not self._read_only)
        self.withdraw_button.setVisible(has_override)
        self.withdraw_button.setEnabled(has_override and not self._read_only)
        self.override_button.setAccessibleName(
            "Override the screening outcome (the prescriber's decision)"
            if result.needs_prescriber
            else "Override the screening outcome"
        )
        if not can_override and self.override_dialog is not None:
            self.override_dialog.reject()
        self._show_notes(result.notes)
        self._fit_reasons()

    def _fit_reasons(self) -> None:
        """As tall as the reasons, up to five lines (then it scrolls)."""
        width = max(200, self.reasons_scroll.viewport().width())
        needed = self.reasons.heightForWidth(width)
        cap = self.fontMetrics().lineSpacing() * 5 + 8
        self.reasons_scroll.setFixedHeight(max(self.fontMetrics().lineSpacing(), min(needed, cap)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_reasons()

    def ask_override(self) -> DecisionDialog:
        """Open the override dialog for the current findings."""
        result = evaluate(self.screening, self.context)
        label = result.needs_prescriber
        intro = (
            f"The outcome is \u201c{result.outcome.label}\u201d. An override lets the client "
            "go ahead; it covers only these findings, and any new finding ends it:"
        )
        dialog = DecisionDialog(
            "Override the screening outcome",
            intro,
            [finding_line(f) for f in result.findings],
            prescriber=label,
            confirm_text="Record the prescriber's override" if label else "Record override",
            placeholder="Why the client may go ahead despite these findings (who reviewed "
            "them, what changed)",
            prescribers=self.prescribers() if label else (),
            parent=self,
        )
        dialog.setObjectName("screeningOverrideDialog")
        dialog.submitted.connect(self.override_requested.emit)
        self.override_dialog = dialog
        dialog.open()
        return dialog

    def ask_reconcile(self) -> DecisionDialog:
        """Open the prescriber's reconciliation of the intake's interacting medication."""
        meds = unreconciled(self.screening, self.context)
        dialog = DecisionDialog(
            "Reconcile the medication list",
            "The intake lists medication that interacts with ketamine. The prescriber "
            "reviews it; until then the \u201cInteracting medication\u201d item counts as "
            "\u201cyes\u201d. The reconciliation covers:",
            [
                f"\u2022 {name}: {', '.join(group_label(g) for g in groups)}"
                for name, groups in meds
            ],
            prescriber=True,
            confirm_text="Record the reconciliation",
            placeholder="What the prescriber decided (held before sessions, dose changed, "
            "no interaction at this dose)",
            prescribers=self.prescribers(),
            parent=self,
        )
        dialog.prescriber_note.setText(
            "Only the prescriber reconciles medication: they choose their name, type their own "
            "PIN and give their decision."
        )
        dialog.setObjectName("reconcileDialog")
        dialog.submitted.connect(lambda reason, who: self.reconcile_requested.emit(reason, who))
        self.reconcile_dialog = dialog
        dialog.open()
        return dialog

    def hide_override(self) -> None:
        if self.override_dialog is not None:
            self.override_dialog.accept()
            self.override_dialog = None

    def hide_reconcile(self) -> None:
        if self.reconcile_dialog is not None:
            self.reconcile_dialog.accept()
            self.reconcile_dialog = None

    def show_override_error(self, text: str) -> None:
        if self.override_dialog is not None:
            self.override_dialog.show_error(text)

    def show_reconcile_error(self, text: str) -> None:
        if self.reconcile_dialog is not None:
            self.reconcile_dialog.show_error(text)

    def outcome_text(self) -> str:
        return f"{self.outcome.text()}\n{self.reasons.text()}"
