"""The screening form: every item yes / no / unknown with a note, and the outcome at once.

Items come from ``core.screening.SCREENING_ITEMS`` in two groups (contraindications, flags
for physician review). The outcome and its reasons (``core.screening.evaluate``) stay in
view above the items and change with every answer. An override needs a written reason; it
is committed at once, audited as ``screening.override``, and shown on the client's later
screens (``widgets/override_banner.py``). Saving is the section's job (``edited`` asks for
an autosave, ``override_requested`` for an immediate save).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.screening import (
    SCREENING_ITEMS,
    Answer,
    ItemGroup,
    Outcome,
    Screening,
    ScreeningResponse,
    answer,
    evaluate,
)
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.answer_row import AnswerRow, Option

OPTIONS: list[Option] = [
    (Answer.YES, "Yes", "y1"),
    (Answer.NO, "No", "n2"),
    (Answer.UNKNOWN, "Unknown", "u3"),
]
GROUPS = (
    (
        ItemGroup.CONTRAINDICATION,
        "Contraindications",
        "Any \u201cyes\u201d makes the client not eligible; \u201cunknown\u201d needs a "
        "physician's review.",
    ),
    (
        ItemGroup.PHYSICIAN_REVIEW,
        "Flags for physician review",
        "A \u201cyes\u201d or \u201cunknown\u201d here needs a physician's review.",
    ),
)
KEYS_HINT = (
    "Tab moves from item to item; on an item press Y, N or U (or 1, 2, 3) to answer. "
    "Answer an item before adding its note."
)
ROLE_FOR = {
    Outcome.ELIGIBLE: "ok",
    Outcome.PHYSICIAN_REVIEW: "warning",
    Outcome.NOT_ELIGIBLE: "error",
}
INTERACTING = "interacting_medication"


class ScreeningForm(QWidget):
    edited = Signal()
    #: (reason) the user asks to record an override
    override_requested = Signal(str)
    override_withdraw_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screeningForm")
        self.screening = Screening()
        self._read_only = False

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
        self.override_reason = QPlainTextEdit()
        self.override_reason.setAccessibleName("Written reason for the override")
        self.override_reason.setPlaceholderText(
            "Why the client may go ahead despite this outcome (who reviewed it, what changed)"
        )
        self.override_reason.setTabChangesFocus(True)
        self.override_reason.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.override_error = QLabel()
        self.override_error.setWordWrap(True)
        set_role(self.override_error, "error")
        confirm = QPushButton("Record override")
        confirm.setProperty("primary", True)
        confirm.setAccessibleName("Record the override")
        confirm.clicked.connect(self._confirm_override)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.hide_override)
        self.override_panel = QFrame()
        panel = QVBoxLayout(self.override_panel)
        panel.setContentsMargins(0, 4, 0, 0)
        panel.addWidget(QLabel("Override with a written reason (recorded in the audit trail):"))
        panel.addWidget(self.override_reason)
        panel.addWidget(self.override_error)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(confirm)
        actions.addWidget(cancel)
        panel.addLayout(actions)
        self.override_panel.hide()

        head = QHBoxLayout()
        head.addWidget(self.outcome, 1)
        head.addWidget(self.override_button)
        head.addWidget(self.withdraw_button)
        card = QFrame()
        card.setProperty("role", "card")
        box = QVBoxLayout(card)
        box.addLayout(head)
        box.addWidget(self.reasons_scroll)
        box.addWidget(self.override_panel)

        self.rows: dict[str, AnswerRow] = {}
        self.medication_hint = QLabel()
        self.medication_hint.setWordWrap(True)
        set_role(self.medication_hint, "warning")
        self.medication_hint.hide()
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
                    column.addWidget(self.medication_hint)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
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

    def set_medication_hint(self, text: str) -> None:
        self.medication_hint.setText(text)
        self.medication_hint.setVisible(bool(text))

    # ------------------------------------------------------------------ outcome
    def _show_outcome(self) -> None:
        result = evaluate(self.screening)
        label = result.outcome.label
        if result.overridden:
            label = "Eligible by override"
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
        if not can_override:
            self.override_panel.hide()
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

    def ask_override(self) -> None:
        self.override_error.clear()
        self.override_panel.show()
        self.override_reason.setFocus()

    def hide_override(self) -> None:
        self.override_panel.hide()
        self.override_reason.clear()
        self.override_error.clear()

    def _confirm_override(self) -> None:
        reason = self.override_reason.toPlainText()
        if not reason.strip():
            self.override_error.setText("Write the reason for the override; it cannot be blank.")
            self.override_reason.setFocus()
            return
        self.override_requested.emit(reason)

    def show_override_error(self, text: str) -> None:
        self.override_error.setText(text)
        self.override_panel.show()

    def outcome_text(self) -> str:
        return f"{self.outcome.text()}\n{self.reasons.text()}"
