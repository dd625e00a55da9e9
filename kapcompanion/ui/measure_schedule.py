"""Two small dialogs of the Measures section: the clinic's schedule, and one stored form.

The schedule is clinic-wide (every client): one tick per questionnaire and occasion, saved to
the vault (``measure_schedule``, audited). A stored form is shown read-only, item by item,
with its answer labels, so a past score can be checked against the answers given.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.measures import MeasureContext, load_instruments, provisional_result
from kapcompanion.core.schedule import MeasureSchedule
from kapcompanion.services import measures
from kapcompanion.services.measures import (
    CONTEXT_WORDS,
    StoredResponse,
    load_schedule,
    ordered_instrument_ids,
    save_schedule,
)
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role

OCCASIONS = (MeasureContext.BASELINE, MeasureContext.PRE_SESSION, MeasureContext.END_OF_COURSE)
COLUMN_WORDS = {
    MeasureContext.BASELINE: "Baseline (intake)",
    MeasureContext.PRE_SESSION: "Before each session",
    MeasureContext.END_OF_COURSE: "End of course",
}


class ScheduleDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(ctx.title("Measure schedule"))
        intro = QLabel(
            "Which questionnaires are due when, for every client of this clinic. The PCL-5 "
            "asks about the past month, so repeating it before every session measures little."
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        for c, occasion in enumerate(OCCASIONS, 1):
            head = QLabel(COLUMN_WORDS[occasion])
            set_role(head, "heading")
            grid.addWidget(head, 0, c)
        schedule = load_schedule(ctx.vault)
        instruments = load_instruments()
        self.boxes: dict[tuple[str, MeasureContext], QCheckBox] = {}
        for r, inst_id in enumerate(ordered_instrument_ids(), 1):
            inst = instruments[inst_id]
            grid.addWidget(QLabel(inst.short_name), r, 0)
            for c, occasion in enumerate(OCCASIONS, 1):
                box = QCheckBox()
                box.setAccessibleName(f"{inst.short_name}: {COLUMN_WORDS[occasion]}")
                box.setChecked(inst_id in schedule.for_context(occasion))
                self.boxes[(inst_id, occasion)] = box
                grid.addWidget(box, r, c)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def schedule(self) -> MeasureSchedule:
        def ids(occasion: MeasureContext) -> list[str]:
            return [i for i in ordered_instrument_ids() if self.boxes[(i, occasion)].isChecked()]

        return MeasureSchedule(
            baseline=ids(MeasureContext.BASELINE),
            pre_session=ids(MeasureContext.PRE_SESSION),
            end_of_course=ids(MeasureContext.END_OF_COURSE),
        )

    def save(self) -> bool:
        try:
            save_schedule(self.ctx.vault, self.schedule())
        except VaultError as exc:
            self.error.setText(f"Not saved: {exc.message}")
            self.error.show()
            return False
        self.ctx.notify("Measure schedule saved.", 3000)
        self.accept()
        return True


class ResponseDialog(QDialog):
    """One stored form, read-only: every item with the answer given."""

    def __init__(
        self, ctx: AppContext, stored: StoredResponse, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        r = stored.response
        inst = measures.instruments(ctx.vault).get(r.instrument_id)
        name = inst.short_name if inst else r.instrument_id
        self.setWindowTitle(ctx.title(f"{name}, {wording.short_date(r.taken_on.astimezone())}"))
        lines = [
            f"{name} ({CONTEXT_WORDS.get(r.context, r.context.value)}), taken "
            + wording.date_time(r.taken_on.astimezone()),
            "Score: "
            + ("none (incomplete)" if r.score is None else str(r.score))
            + (f", {r.band}" if r.band else ""),
        ]
        if r.incomplete_reason:
            lines.append(f"Incomplete: {r.incomplete_reason}")
        if inst is not None and inst.provisional is not None:
            result = provisional_result(inst, r.answers)
            lines.append(
                result.words()
                if result is not None
                else f"{inst.provisional.label}: not read (the form is incomplete)."
            )
        lines += [f"Flag: {f}" for f in r.flags]
        lines.append("")
        items = {i.number: i.text for i in inst.items} if inst else {}
        for number, value in sorted(r.answers.items()):
            label = inst.option_label(value) if inst is not None and value is not None else None
            answer = "not answered" if value is None else str(value)
            if label:
                answer += f" ({label})"
            lines.append(f"{number}. {items.get(number, '')}\n    {answer}")
        text = QPlainTextEdit("\n".join(lines))
        text.setReadOnly(True)
        text.setAccessibleName("Answers of the form")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text, 1)
        layout.addWidget(buttons)
        self.text = text
        self.resize(620, 520)
