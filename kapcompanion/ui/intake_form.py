"""The intake: indications, medical concerns, medication, substances, ACE, support, escort.

Medication names are checked live against the interacting-medication table
(``core.intake.interacting_groups``); when any interacts, the form says so and suggests
answering the screening's "Interacting medication" item (``answer_interacting`` asks the
section to take the user there). The ACE score counts "yes" answers and says how many of the
ten are answered, so an incomplete questionnaire never looks like a low score.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.intake import (
    ACE_PREAMBLE,
    ACE_QUESTIONS,
    INDICATIONS,
    Contact,
    Intake,
    Medication,
    SubstanceUse,
    ace_words,
    group_label,
    interacting_groups,
    medication_flags,
)
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.answer_row import AnswerRow, Option
from kapcompanion.ui.widgets.row_list import RowList

ACE_OPTIONS: list[Option] = [(True, "Yes", "y1"), (False, "No", "n2")]
MAX_COLUMNS = 3


def _text_edit(name: str, lines: int, placeholder: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 14)
    return edit


def _medication_note(value: dict[str, str]) -> str:
    groups = interacting_groups(value.get("name", ""))
    return "Interacts: " + ", ".join(group_label(g) for g in groups) if groups else ""


def ace_text(answers: list[bool | None]) -> str:
    return ace_words(answers)


class ColumnGrid(QWidget):
    """Widgets in as many equal columns as the width allows (one when narrow)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.items: list[QWidget] = []
        self._columns = 0

    def add(self, widget: QWidget) -> None:
        self.items.append(widget)
        self._columns = 0
        self._place()

    def minimumSizeHint(self) -> QSize:
        widest = max((w.sizeHint().width() for w in self.items), default=0)
        return QSize(widest, super().minimumSizeHint().height())

    def _place(self) -> None:
        widest = max((w.sizeHint().width() for w in self.items), default=1)
        spacing = max(0, self.grid.horizontalSpacing())
        columns = max(1, min(MAX_COLUMNS, (self.width() + spacing) // (widest + spacing)))
        if columns == self._columns:
            return
        self._columns = columns
        for w in self.items:
            self.grid.removeWidget(w)
        for i, w in enumerate(self.items):
            self.grid.addWidget(w, i // columns, i % columns)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()


class IntakeForm(QWidget):
    edited = Signal()
    #: the user wants to answer the screening's interacting-medication item
    answer_interacting = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intakeForm")
        self._loading = False
        self._extra_indications: list[str] = []

        self.indications: dict[str, QCheckBox] = {}
        ind_box = QGroupBox("Indications")
        ind_grid = ColumnGrid()
        QVBoxLayout(ind_box).addWidget(ind_grid)
        for ind in INDICATIONS:
            box = QCheckBox(ind.label)
            box.setAccessibleName(f"Indication: {ind.label}")
            box.toggled.connect(self._edited)
            self.indications[ind.key] = box
            ind_grid.add(box)

        self.concerns = _text_edit(
            "Medical concerns",
            3,
            "conditions, allergies, surgery, anything the prescriber must know",
        )
        self.medications = RowList(
            [("name", "medication"), ("dose", "dose and how often")],
            what="medication",
            empty="No current medication recorded.",
            annotate=_medication_note,
        )
        self.medications.changed.connect(self._medications_changed)
        self.medication_summary = QLabel()
        self.medication_summary.setObjectName("medicationSummary")
        self.medication_summary.setWordWrap(True)
        set_role(self.medication_summary, "warning")
        self.go_screening = QPushButton("Answer it in the screening")
        self.go_screening.clicked.connect(self.answer_interacting.emit)
        med_box = QGroupBox("Current medication")
        med = QVBoxLayout(med_box)
        med.addWidget(self.medications)
        summary = QHBoxLayout()
        summary.addWidget(self.medication_summary, 1)
        summary.addWidget(self.go_screening)
        med.addLayout(summary)

        self.substances = RowList(
            [("substance", "substance"), ("route", "route"), ("last_use", "last use")],
            what="substance",
            empty="No substance use recorded.",
        )
        self.substances.changed.connect(self._edited)
        sub_box = QGroupBox("Substance use history")
        QVBoxLayout(sub_box).addWidget(self.substances)

        self.ace_rows: list[AnswerRow] = []
        self.ace_score = QLabel()
        self.ace_score.setObjectName("aceScore")
        set_role(self.ace_score, "heading")
        self.ace_score.setAccessibleName("ACE score")
        ace_box = QGroupBox("Adverse childhood experiences (ACE)")
        ace = QVBoxLayout(ace_box)
        ace.addWidget(self.ace_score)
        preamble = QLabel(ACE_PREAMBLE + " (press Y or N on a question)")
        preamble.setWordWrap(True)
        set_role(preamble, "hint")
        ace.addWidget(preamble)
        for i, question in enumerate(ACE_QUESTIONS):
            row = AnswerRow(f"ace{i + 1}", f"{i + 1}. {question}", ACE_OPTIONS)
            row.answered.connect(self._edited)
            self.ace_rows.append(row)
            ace.addWidget(row)

        self.support = RowList(
            [("name", "name"), ("phone", "phone"), ("relationship", "relationship")],
            what="support person",
            empty="No support people recorded.",
        )
        self.support.changed.connect(self._edited)
        sup_box = QGroupBox("Support people")
        QVBoxLayout(sup_box).addWidget(self.support)

        self.escort: dict[str, QLineEdit] = {}
        esc_box = QGroupBox("Escort home after sessions")
        esc = QHBoxLayout(esc_box)
        for key, text in (("name", "name"), ("phone", "phone"), ("relationship", "relationship")):
            edit = QLineEdit()
            edit.setPlaceholderText(text)
            edit.setAccessibleName(f"Escort {text}")
            edit.textEdited.connect(self._edited)
            self.escort[key] = edit
            esc.addWidget(edit, 2 if key == "name" else 1)
        self.copy_escort = QPushButton("Copy from the client record")
        self.copy_escort.hide()
        esc.addWidget(self.copy_escort)
        self._record_escort: Contact | None = None
        self.copy_escort.clicked.connect(self._copy_escort)

        self.notes = _text_edit("Intake notes", 3)
        self.concerns.textChanged.connect(self._edited)
        self.notes.textChanged.connect(self._edited)
        concerns_box = QGroupBox("Medical concerns")
        QVBoxLayout(concerns_box).addWidget(self.concerns)
        notes_box = QGroupBox("Notes")
        QVBoxLayout(notes_box).addWidget(self.notes)

        body = QWidget()
        column = QVBoxLayout(body)
        for w in (ind_box, concerns_box, med_box, sub_box, ace_box, sup_box, esc_box, notes_box):
            column.addWidget(w)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a container, not a Tab stop
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.scroll_area)
        self.set_intake(Intake())

    # ------------------------------------------------------------------ load / read
    def set_intake(self, intake: Intake) -> None:
        self._loading = True
        try:
            known = {i.key for i in INDICATIONS}
            self._extra_indications = [k for k in intake.indications if k not in known]
            for key, box in self.indications.items():
                box.setChecked(key in intake.indications)
            self.concerns.setPlainText(intake.medical_concerns)
            self.medications.set_values(
                [{"name": m.name, "dose": m.dose} for m in intake.medications]
            )
            self.substances.set_values(
                [
                    {"substance": s.substance, "route": s.route, "last_use": s.last_use}
                    for s in intake.substances
                ]
            )
            answers = list(intake.ace_answers) + [None] * len(ACE_QUESTIONS)
            for row, value in zip(self.ace_rows, answers, strict=False):
                row.set_answer(value)
            self.support.set_values(
                [
                    {"name": c.name, "phone": c.phone, "relationship": c.relationship}
                    for c in intake.support_people
                ]
            )
            escort = intake.escort or Contact(name="")
            self.escort["name"].setText(escort.name)
            self.escort["phone"].setText(escort.phone)
            self.escort["relationship"].setText(escort.relationship)
            self.notes.setPlainText(intake.notes)
        finally:
            self._loading = False
        self._refresh()

    def intake(self) -> Intake:
        meds = [
            Medication(name=v["name"], dose=v["dose"], groups=interacting_groups(v["name"]))
            for v in self.medications.values()
        ]
        escort = Contact(**{k: e.text().strip() for k, e in self.escort.items()})
        return Intake(
            indications=[k for k, b in self.indications.items() if b.isChecked()]
            + self._extra_indications,
            medical_concerns=self.concerns.toPlainText(),
            medications=meds,
            substances=[SubstanceUse(**v) for v in self.substances.values()],
            ace_answers=[row.value() for row in self.ace_rows],
            support_people=[Contact(**v) for v in self.support.values()],
            escort=escort if (escort.name or escort.phone or escort.relationship) else None,
            notes=self.notes.toPlainText(),
        )

    def set_record_escort(self, contact: Contact | None) -> None:
        """The escort on the client's record, offered as a one-click copy."""
        self._record_escort = contact if contact and (contact.name or contact.phone) else None
        self.copy_escort.setVisible(self._record_escort is not None)

    def set_read_only(self, read_only: bool) -> None:
        for box in self.indications.values():
            box.setEnabled(not read_only)
        for edit in (self.concerns, self.notes):
            edit.setReadOnly(read_only)
        for rows in (self.medications, self.substances, self.support):
            rows.set_read_only(read_only)
        for row in self.ace_rows:
            row.set_read_only(read_only)
        for line in self.escort.values():
            line.setReadOnly(read_only)
        self.copy_escort.setEnabled(not read_only)

    # ------------------------------------------------------------------ live
    def flagged(self) -> dict[str, list[str]]:
        """Interacting groups per medication name (only those that have any)."""
        return medication_flags(self.intake().medications)

    def interaction_text(self) -> str:
        flags = self.flagged()
        if not flags:
            return ""
        listed = "; ".join(
            f"{name} ({', '.join(group_label(g) for g in groups)})"
            for name, groups in flags.items()
        )
        return (
            f"Interacting medication: {listed}. Answer the screening's \u201cInteracting "
            "medication\u201d item (probably \u201cyes\u201d) so a physician reviews it."
        )

    def _copy_escort(self) -> None:
        if self._record_escort is None:
            return
        c = self._record_escort
        self.escort["name"].setText(c.name)
        self.escort["phone"].setText(c.phone)
        self.escort["relationship"].setText(c.relationship)
        self._edited()

    def _medications_changed(self) -> None:
        self._edited()

    def _refresh(self) -> None:
        self.ace_score.setText(ace_text([row.value() for row in self.ace_rows]))
        text = self.interaction_text()
        self.medication_summary.setText(text)
        self.medication_summary.setVisible(bool(text))
        self.go_screening.setVisible(bool(text))

    def _edited(self, *_args: object) -> None:
        if self._loading:
            return
        self._refresh()
        self.edited.emit()
