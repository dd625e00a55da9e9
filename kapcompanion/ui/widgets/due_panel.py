"""The overview's "What is due" card: questionnaires due and the next planned appointment.

Two ways on from here: Take a measure… (the forms due first) and Course plan…. The dialogs
hang on the client record, not on this card: the overview rebuilds its cards whenever the
client changes (a saved form does that), and a dialog must not vanish with its card.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.measures import MeasureContext
from kapcompanion.services import session as session_service
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.measure_records import (
    DueGroup,
    due_for_client,
    load_schedule,
    next_planned_session,
)
from kapcompanion.ui.plan_records import describe, load_plan, next_appointment, plan_document
from kapcompanion.ui.theme import set_role


def stable_parent(widget: QWidget) -> QWidget:
    """The client record holding ``widget`` (it outlives the overview's cards), else the window."""
    parent = widget.parentWidget()
    while parent is not None and parent.objectName() != "clientRecord":
        parent = parent.parentWidget()
    return parent or widget.window()


class DuePanel(QFrame):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.due: list[DueGroup] = []
        self.dialog: QDialog | None = None
        self.setProperty("role", "card")
        self.setObjectName("duePanel")
        heading = QLabel("What is due")
        set_role(heading, "heading")
        self.measures = QLabel()
        self.measures.setWordWrap(True)
        self.measures.setAccessibleName("Questionnaires due")
        self.next = QLabel()
        self.next.setWordWrap(True)
        self.next.setAccessibleName("Next planned appointment")
        self.take_button = QPushButton("Take a &measure…")
        self.take_button.clicked.connect(self.take_measure)
        self.plan_button = QPushButton("Course &plan…")
        self.plan_button.clicked.connect(self.open_plan)
        buttons = QHBoxLayout()
        buttons.addWidget(self.take_button)
        buttons.addWidget(self.plan_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.addWidget(heading)
        box.addWidget(self.measures)
        box.addWidget(self.next)
        box.addLayout(buttons)
        box.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        repos = self.ctx.repos
        self.due = due_for_client(repos, self.client_id, load_schedule(self.ctx.vault))
        if self.due:
            lines = [f"<b>{g.label}</b>: {g.names()}" for g in self.due]
            self.measures.setText("Questionnaires due:<br>" + "<br>".join(lines))
        else:
            self.measures.setText("No questionnaires due.")
        sessions = session_service.sessions_of(repos, self.client_id)
        appt = next_appointment(load_plan(plan_document(repos, self.client_id)), sessions=sessions)
        if appt is not None:
            when_text = wording.appointment(appt.when.astimezone())
            self.next.setText(f"Next: {describe(appt)}, {when_text}")
        else:
            session = next_planned_session(sessions)
            when = session.planned_for if session is not None else None
            if session is not None and when is not None and when > datetime.now().astimezone():
                when_text = wording.appointment(when.astimezone())
                self.next.setText(f"Next: dosing session {session.number}, {when_text}")
            else:
                self.next.setText(
                    "Nothing planned: lay out the course with Course plan, or plan a first "
                    "session in Sessions."
                )

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def take_measure(self) -> QDialog:
        from kapcompanion.ui.measure_form import MeasureFormDialog

        group = self.due[0] if self.due else None
        context = group.context if group is not None else MeasureContext.OTHER
        session_id = group.session_id if group is not None else None
        return self._open(
            MeasureFormDialog(self.ctx, self.client_id, context, session_id, stable_parent(self))
        )

    def open_plan(self) -> QDialog:
        from kapcompanion.ui.course_plan import CoursePlanDialog

        return self._open(CoursePlanDialog(self.ctx, self.client_id, stable_parent(self)))
