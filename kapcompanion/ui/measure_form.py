"""Take an outcome questionnaire with the client: pick it, answer by keyboard, see the score.

``MeasureFormDialog(ctx, client_id, context="baseline", session_id=None, parent=None)``; the
preparation screen opens it for baseline measures, the Measures section for any occasion. The
instruments due for the occasion are listed first. Digits answer the focused item and move on
(see :mod:`kapcompanion.ui.widgets.item_row`); the total and its band show as soon as the last
item is answered. An incomplete form is refused unless "Accept as incomplete" is ticked with
a reason (the core then stores it without a total, as the published rules ask).

Saving goes through :func:`kapcompanion.services.measures.save_response`, which stores the
``measure`` document and raises the flags its rules raise (PHQ-9 item 9 above 0 -> the
client's suicide-risk flag) in one transaction; the dialog then asks for a safety-plan note.
The flag stays until resolved with a note. The PCL-5 shows its provisional DSM-5 result
beside the total, and its band at the clinic's cut-point within the published 31-33.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.measures import (
    IncompleteForm,
    Instrument,
    MeasureContext,
    MeasureResponse,
    score,
)
from kapcompanion.core.models import SafetyFlag, StoredDocument
from kapcompanion.services import measures
from kapcompanion.services.measures import (
    CONTEXT_WORDS,
    due_ids,
    load_schedule,
    ordered_instrument_ids,
)
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.fit import fit_to_screen
from kapcompanion.ui.widgets.form_keys import install_form_keys
from kapcompanion.ui.widgets.item_row import ItemRow


def positive_flags(inst: Instrument, answers: dict[int, int | None]) -> list[str]:
    """Flags raised by answers given so far (a blank item raises nothing while filling in)."""
    return [
        f.message for f in inst.flags if (v := answers.get(f.item)) is not None and v >= f.min_value
    ]


def score_words(inst: Instrument, answers: dict[int, int | None]) -> str:
    given = [n for n in inst.item_numbers if answers.get(n) is not None]
    if len(given) < len(inst.items):
        return (
            f"{len(given)} of {len(inst.items)} answered. The total shows when every item "
            "is answered."
        )
    result = score(inst, answers)
    total = result.total if result.total is not None else 0
    words = f"Score {total} of {inst.max_score}"
    words += f": {result.band}" if result.band else " (this scale has no severity bands)"
    if result.provisional is not None:
        words += f"\n{result.provisional.words()}"
    return words


class MeasureFormDialog(QDialog):
    #: the stored ``measure`` document
    saved = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        context: MeasureContext | str = "baseline",
        session_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.session_id = session_id
        self.instruments = measures.instruments(ctx.vault)
        self.schedule = load_schedule(ctx.vault)
        name = measures.client_name(ctx.repos, client_id)
        self.inst: Instrument | None = None
        self.rows: list[ItemRow] = []
        self._answers: dict[str, dict[int, int | None]] = {}
        self.doc: StoredDocument | None = None
        self.response: MeasureResponse | None = None
        self.flag: SafetyFlag | None = None
        self._linked_session: int | None = session_id
        self.due: list[str] = []
        self.setWindowTitle(ctx.title(f"Outcome measure: {name}"))
        self.setObjectName("measureForm")

        self.context = QComboBox()
        self.context.setAccessibleName("Occasion")
        for ctx_value, words in CONTEXT_WORDS.items():
            self.context.addItem(words, ctx_value.value)
        self.context.setCurrentIndex(max(0, self.context.findData(MeasureContext(context).value)))
        self.instrument = QComboBox()
        self.instrument.setAccessibleName("Questionnaire")
        self.taken_on = QDateEdit(QDate.currentDate())
        self.taken_on.setCalendarPopup(True)
        self.taken_on.setDisplayFormat("yyyy-MM-dd")
        self.taken_on.setMaximumDate(QDate.currentDate())
        self.taken_on.setAccessibleName("Date taken")
        self.session_note = QLabel()
        set_role(self.session_note, "hint")
        self.session_note.setWordWrap(True)
        top = QFormLayout()
        top.addRow("&Questionnaire", self.instrument)
        top.addRow("&Occasion", self.context)
        top.addRow("&Date taken", self.taken_on)
        top.addRow("", self.session_note)

        self.instructions = QLabel()
        self.instructions.setWordWrap(True)
        set_role(self.instructions, "heading")
        self.items_host = QWidget()
        self.items_layout = QVBoxLayout(self.items_host)
        self.items_layout.setContentsMargins(0, 0, 6, 0)
        self.items_scroll = QScrollArea()
        self.items_scroll.setWidgetResizable(True)
        self.items_scroll.setWidget(self.items_host)
        self.items_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.extra = QComboBox()
        self.extra.setAccessibleName("Difficulty question (not scored)")
        self.extra_label = QLabel()
        self.extra_label.setWordWrap(True)

        self.score = QLabel()
        self.score.setWordWrap(True)
        set_role(self.score, "heading")
        self.score.setAccessibleName("Score")
        self.flag_label = QLabel()
        set_role(self.flag_label, "error")
        self.flag_label.setWordWrap(True)
        self.flag_label.hide()
        self.incomplete = QCheckBox("Accept as &incomplete")
        self.incomplete.setToolTip("Keep a form with blank items, without a total")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why is it incomplete? (e.g. the client declined item 6)")
        self.reason.setAccessibleName("Reason the form is incomplete")
        self.reason.setEnabled(False)
        self.incomplete.toggled.connect(self.reason.setEnabled)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.save_button = QPushButton("&Save")
        self.save_button.setProperty("primary", True)
        self.save_button.setAutoDefault(False)
        self.save_button.setToolTip("Save the form (Ctrl+S)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

        incomplete_row = QHBoxLayout()
        incomplete_row.addWidget(self.incomplete)
        incomplete_row.addWidget(self.reason, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.score, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        form_page = QWidget()
        column = QVBoxLayout(form_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.instructions)
        column.addWidget(self.items_scroll, 1)
        column.addWidget(self.flag_label)
        column.addLayout(incomplete_row)
        column.addWidget(self.error)
        column.addLayout(buttons)

        self.pages = QStackedWidget()
        self.pages.addWidget(form_page)
        self.pages.addWidget(self._safety_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        self.context.currentIndexChanged.connect(self._context_changed)
        self.instrument.currentIndexChanged.connect(self._instrument_changed)
        self._context_changed()
        self._fit_to_screen()
        # Ctrl+S and Ctrl+Enter save the page shown (the answers, then the safety plan);
        # Escape goes through reject(), which asks before discarding answers
        self.keys = install_form_keys(self, save=self._save_page, modified=lambda: False)

    def _save_page(self) -> bool:
        return self.save_safety_plan() if self.pages.currentIndex() == 1 else self.save()

    # ------------------------------------------------------------------ layout
    def _fit_to_screen(self) -> None:
        fit_to_screen(self, 920, 720)

    def _safety_page(self) -> QWidget:
        page = QWidget()
        self.safety_title = QLabel()
        set_role(self.safety_title, "error")
        self.safety_title.setWordWrap(True)
        self.safety_intro = QLabel(
            "The suicide-risk flag now shows on the client's record and the session screen "
            "until a clinician resolves it with a note. A safety plan is needed before "
            "discharge: warning signs, coping steps, people and places that help, who to "
            "call (crisis line, clinic) and how access to means is reduced."
        )
        self.safety_intro.setWordWrap(True)
        self.safety_text = QPlainTextEdit()
        self.safety_text.setAccessibleName("Safety plan note")
        self.safety_text.setTabChangesFocus(True)
        self.safety_error = QLabel()
        set_role(self.safety_error, "error")
        self.safety_error.hide()
        self.safety_save = QPushButton("Save safety &plan")
        self.safety_save.setProperty("primary", True)
        self.safety_save.setAutoDefault(False)
        self.safety_later = QPushButton("&Later")
        self.safety_later.setToolTip("Close; the flag and its reminder stay on the record")
        self.safety_later.setAutoDefault(False)
        self.safety_save.clicked.connect(self.save_safety_plan)
        self.safety_later.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.safety_later)
        row.addWidget(self.safety_save)
        box = QVBoxLayout(page)
        box.addWidget(self.safety_title)
        box.addWidget(self.safety_intro)
        box.addWidget(self.safety_text, 1)
        box.addWidget(self.safety_error)
        box.addLayout(row)
        return page

    # ------------------------------------------------------------------ occasion and form
    def current_context(self) -> MeasureContext:
        return MeasureContext(self.context.currentData())

    def _context_changed(self) -> None:
        context = self.current_context()
        note = ""
        if context is MeasureContext.PRE_SESSION and self.session_id is None:
            upcoming = measures.upcoming_session(self.ctx.repos, self.client_id)
            if upcoming is not None:
                self._linked_session = upcoming.id
                when = upcoming.planned_for
                on = f" (planned {wording.appointment_day(when.astimezone())})" if when else ""
                note = f"Linked to the next dosing session, session {upcoming.number}{on}."
            else:
                self._linked_session = None
                note = "No dosing session is planned: the form is kept without a session link."
        else:
            self._linked_session = self.session_id
            if self.session_id is not None:
                session = measures.session(self.ctx.repos, self.session_id)
                note = f"Linked to session {session.number}."
        self.session_note.setText(note)
        self.session_note.setVisible(bool(note))
        self._fill_instruments()

    def _fill_instruments(self) -> None:
        keep = self.inst.id if self.inst is not None else None
        due = due_ids(
            self.ctx.repos,
            self.client_id,
            self.schedule,
            self.current_context(),
            self._linked_session,
        )
        self.due = due
        self.instrument.blockSignals(True)
        self.instrument.clear()
        for inst_id in due:
            self.instrument.addItem(f"{self.instruments[inst_id].short_name} (due)", inst_id)
        if due:
            self.instrument.insertSeparator(self.instrument.count())
        for inst_id in ordered_instrument_ids():
            if inst_id not in due:
                inst = self.instruments[inst_id]
                self.instrument.addItem(f"{inst.short_name}: {inst.construct}", inst_id)
        index = self.instrument.findData(keep) if keep else 0
        self.instrument.setCurrentIndex(max(0, index))
        self.instrument.blockSignals(False)
        self._instrument_changed()

    def _instrument_changed(self) -> None:
        inst_id = self.instrument.currentData()
        if inst_id is None or (self.inst is not None and self.inst.id == inst_id and self.rows):
            return
        self.inst = self.instruments[inst_id]
        answers = self._answers.setdefault(inst_id, {})
        for row in self.rows:
            row.hide()
            row.deleteLater()
        self.rows = []
        while self.items_layout.count():
            self.items_layout.takeAt(0)
        self.instructions.setText(self.inst.instructions)
        for item in self.inst.items:
            row = ItemRow(self.inst, item, self.items_host)
            row.set_value(answers.get(item.number))
            row.changed.connect(self._answered)
            row.step.connect(lambda step, r=row: self._move_from(r, step))
            self.rows.append(row)
            self.items_layout.addWidget(row)
            row.show()
        self.extra.clear()
        questions = self.inst.extra_questions
        if questions:
            q = questions[0]
            self.extra_label.setText(f"{q.text} (not scored)")
            self.extra.addItem("not answered", None)
            for option in q.options:
                self.extra.addItem(f"{option.value}  {option.label}", option.value)
            self.items_layout.addWidget(self.extra_label)
            self.items_layout.addWidget(self.extra)
        self.extra_label.setVisible(bool(questions))
        self.extra.setVisible(bool(questions))
        self.items_layout.addStretch(1)
        for a, b in zip(self.rows, self.rows[1:], strict=False):
            QWidget.setTabOrder(a.spin or a, b.spin or b)
        self.error.hide()
        self._update_score()
        if self.rows:
            self.first_blank_row().take_focus()

    def first_blank_row(self) -> ItemRow:
        return next((r for r in self.rows if r.value is None), self.rows[0])

    def _move_from(self, row: ItemRow, step: int) -> None:
        if row not in self.rows:
            return
        index = self.rows.index(row) + step
        if 0 <= index < len(self.rows):
            target = self.rows[index]
            target.take_focus()
            self.items_scroll.ensureWidgetVisible(target, 0, 40)
        elif index >= len(self.rows):
            self.items_scroll.ensureWidgetVisible(self.rows[-1], 0, 200)
            (self.extra if self.extra.isVisible() else self.save_button).setFocus()

    def answers(self) -> dict[int, int | None]:
        return {r.item.number: r.value for r in self.rows}

    def _answered(self, number: int, value: object) -> None:
        if self.inst is not None:
            self._answers[self.inst.id][number] = value if isinstance(value, int) else None
        self._update_score()

    def _update_score(self) -> None:
        if self.inst is None:
            return
        answers = self.answers()
        self.score.setText(score_words(self.inst, answers))
        flags = positive_flags(self.inst, answers)
        self.flag_label.setText(
            "⚠ " + "; ".join(flags) + ". Saving raises a safety flag on the client and asks "
            "for a safety plan."
            if flags
            else ""
        )
        self.flag_label.setVisible(bool(flags))

    # ------------------------------------------------------------------ saving
    def _taken_on(self) -> datetime:
        now = datetime.now().astimezone()
        q = self.taken_on.date()
        day = date(q.year(), q.month(), q.day())
        if day == now.date():
            return now
        return datetime.combine(day, now.time().replace(microsecond=0)).astimezone()

    def fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def save(self) -> bool:
        """Score and store the form; False (with the reason shown) when it is refused."""
        if self.inst is None or self.doc is not None:
            return False
        inst = self.inst
        reason = self.reason.text().strip() if self.incomplete.isChecked() else None
        if self.incomplete.isChecked() and not reason:
            self.fail("Say why the form is incomplete, or untick Accept as incomplete.")
            self.reason.setFocus()
            return False
        extra = {}
        if inst.extra_questions:
            extra[inst.extra_questions[0].id] = self.extra.currentData()
        try:
            saved = measures.save_response(
                self.ctx.repos,
                self.client_id,
                inst.id,
                self.answers(),
                taken_on=self._taken_on(),
                context=self.current_context(),
                session_id=self._linked_session,
                incomplete_reason=reason,
                extra_answers=extra,
            )
        except IncompleteForm as exc:
            self.fail(
                f"{inst.short_name} is incomplete: item(s) "
                f"{', '.join(map(str, exc.missing_items))} not answered. Answer them, or tick "
                "Accept as incomplete and say why (it is then kept without a total)."
            )
            self.rows[exc.missing_items[0] - 1].take_focus()
            return False
        except VaultError as exc:
            self.fail(f"Not saved: {exc.message}")
            return False
        except ValueError as exc:
            self.fail(f"Not saved: {exc}")
            return False
        response, positive = saved.response, saved.positive
        self.doc = saved.doc
        self.flag = saved.flags[0] if saved.flags else None
        self.response = response
        self.saved.emit(self.doc)
        self.ctx.signals.client_changed.emit(self.client_id)
        total = (
            f"{response.score}" + (f" ({response.band})" if response.band else "")
            if response.score is not None
            else "kept as incomplete, without a total"
        )
        self.ctx.notify(f"{inst.short_name} saved: {total}.", 5000)
        if positive:
            self.safety_title.setText(
                f"⚠ {'; '.join(positive)}. {inst.short_name} saved ({total})."
            )
            self.pages.setCurrentIndex(1)
            self.safety_text.setFocus()
        else:
            self.accept()
        return True

    def save_safety_plan(self) -> bool:
        text = self.safety_text.toPlainText().strip()
        if not text:
            self.safety_error.setText("Write the safety plan first, or choose Later.")
            self.safety_error.show()
            self.safety_text.setFocus()
            return False
        source = self.inst.short_name if self.inst is not None else ""
        try:
            measures.save_safety_plan(self.ctx.repos, self.client_id, text, source)
        except VaultError as exc:
            self.safety_error.setText(f"Not saved: {exc.message}")
            self.safety_error.show()
            return False
        self.ctx.signals.client_changed.emit(self.client_id)
        self.ctx.notify("Safety plan saved. The flag stays until it is resolved.", 5000)
        self.accept()
        return True

    def reject(self) -> None:
        if self.doc is None and any(
            v is not None for answers in self._answers.values() for v in answers.values()
        ):
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Discard the answers?",
                "The answers given so far are not saved. Discard them?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                self,
            )
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            discard = box.button(QMessageBox.StandardButton.Discard)
            box.finished.connect(
                lambda _result: (
                    super(MeasureFormDialog, self).reject()
                    if box.clickedButton() is discard
                    else None
                )
            )
            self.discard_box = box
            box.open()
            return
        super().reject()
