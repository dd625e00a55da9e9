"""Add or edit a client, and the deliberate deletion of one.

The dialog checks the form, then the store's own rules (``validate_client``), and shows the
first problem in words beside the form, with the focus on the field to fix. If the app locks
while it is open, a valid form is saved (the lock saves drafts) and an invalid one is
discarded; either way it closes, so no client data stays on screen.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.models import Client, ContactInfo
from kapcompanion.services import clients as client_service
from kapcompanion.services import dose as dose_service
from kapcompanion.services.clients import validate_client
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.date_field import DateField
from kapcompanion.ui.widgets.fit import fit_to_screen
from kapcompanion.ui.widgets.form_keys import install_form_keys
from kapcompanion.ui.widgets.measure_field import HeightField, WeightField
from kapcompanion.ui.widgets.message_area import MessageArea

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(qdate: QDate) -> date:
    return date(qdate.year(), qdate.month(), qdate.day())


class FormProblem(Exception):
    def __init__(self, message: str, field: QWidget) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _line(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    return edit


class _ContactFields:
    def __init__(self, what: str) -> None:
        self.name = _line(f"{what} name")
        self.phone = _line(f"{what} phone")
        self.relationship = _line(f"{what} relationship", "e.g. partner, friend")

    def box(self, title: str) -> QGroupBox:
        group = QGroupBox(title)
        form = QFormLayout(group)
        form.addRow("Name", self.name)
        form.addRow("Phone", self.phone)
        form.addRow("Relationship", self.relationship)
        return group

    def load(self, c: ContactInfo | None) -> None:
        c = c or ContactInfo(name="")
        self.name.setText(c.name)
        self.phone.setText(c.phone)
        self.relationship.setText(c.relationship)

    def value(self) -> ContactInfo | None:
        c = ContactInfo(
            self.name.text().strip(), self.phone.text().strip(), self.relationship.text().strip()
        )
        return c if (c.name or c.phone or c.relationship) else None


class ClientDialog(QDialog):
    """Add (``client`` None) or edit a client; ``saved`` carries the stored Client."""

    saved = Signal(object)

    def __init__(
        self, ctx: AppContext, client: Client | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("clientDialog")
        self.ctx = ctx
        self.original = client
        self.setWindowTitle(ctx.title("Edit client" if client else "New client"))
        self.setModal(True)

        self.name = _line("Full name")
        self.pseudonym = _line("Pseudonym", "shown on the session screen instead of the name")
        self.dob = DateField("Date of birth", optional=True, latest=date.today())
        self.pronouns = _line("Pronouns")
        self.identifier = _line("Record number", "your clinic's identifier, if any")
        self.phone = _line("Phone")
        self.email = _line("Email")
        self.address = QPlainTextEdit()
        self.address.setAccessibleName("Address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.indications = _line("Indications", "comma-separated, e.g. depression, PTSD")
        # weight and height with their units and the day they were measured (issue 19): the
        # dose plan offers this weight
        unit = dose_service.weight_unit(ctx.vault)
        self.weight = WeightField()
        self.weight.set_unit(unit.value)
        self.weight_on = self._measured_on("Weight measured on")
        self.weight.add_to_row(QLabel("measured on"))
        self.weight.add_to_row(self.weight_on)
        self.body_height = HeightField()
        self.body_height.set_unit("in" if unit.value == "lb" else "cm")
        self.height_on = self._measured_on("Height measured on")
        self.body_height.add_to_row(QLabel("measured on"))
        self.body_height.add_to_row(self.height_on)
        # a newly typed figure was measured today unless the date is changed after it
        today = QDate.currentDate
        self.weight.edit.textEdited.connect(lambda _t: self.weight_on.setDate(today()))
        self.body_height.edit.textEdited.connect(lambda _t: self.height_on.setDate(today()))
        self.emergency = _ContactFields("Emergency contact")
        self.escort = _ContactFields("Escort")
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)

        who = QGroupBox("Client")
        form = QFormLayout(who)
        form.addRow("Full &name", self.name)
        form.addRow("&Pseudonym", self.pseudonym)
        form.addRow("&Date of birth", self.dob)
        form.addRow("Pron&ouns", self.pronouns)
        form.addRow("&Indications", self.indications)
        weight_label = QLabel("&Weight")
        weight_label.setBuddy(self.weight.edit)
        form.addRow(weight_label, self.weight)
        height_label = QLabel("Hei&ght")
        height_label.setBuddy(self.body_height.edit)
        form.addRow(height_label, self.body_height)
        form.addRow("Record n&umber", self.identifier)
        reach = QGroupBox("Contact")
        form2 = QFormLayout(reach)
        form2.addRow("P&hone", self.phone)
        form2.addRow("E&mail", self.email)
        form2.addRow("Addre&ss", self.address)
        people = QHBoxLayout()
        people.addWidget(self.emergency.box("Emergency contact"))
        people.addWidget(self.escort.box("Escort home"))
        notes_box = QGroupBox("Notes")
        QVBoxLayout(notes_box).addWidget(self.notes)

        body = QWidget()
        col = QVBoxLayout(body)
        col.addWidget(who)
        col.addWidget(reach)
        col.addLayout(people)
        col.addWidget(notes_box)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a container, not a Tab stop
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        self.error = MessageArea("Problem")
        self._tried = False  # after the first Save, every problem shows (and goes) live
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if ctx.demo:
            banner = QLabel("DEMO: invented data")
            set_role(banner, "banner")
            layout.addWidget(banner)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        if client is not None:
            self._load(client)
        self._initial = self._snapshot()
        ctx.signals.about_to_lock.connect(self._on_lock)
        self.keys = install_form_keys(self, save=self.save, modified=self.modified)
        for edit in self.findChildren(QLineEdit):
            edit.textChanged.connect(self.refresh_messages)
        for date_field in (self.dob, self.weight_on, self.height_on):
            date_field.valueChanged.connect(self.refresh_messages)
        self.setMinimumSize(520, 380)  # explicit, so showing never resizes the window
        fit_to_screen(self, 720, 640)  # the body scrolls; Save stays on screen at 1.5x

    @staticmethod
    def _measured_on(name: str) -> DateField:
        return DateField(name, latest=date.today())

    # ------------------------------------------------------------------ form <-> client
    def _load(self, c: Client) -> None:
        self.weight.set_value(c.weight)
        if c.weight is not None and c.weight.measured_on is not None:
            self.weight_on.setDate(_qdate(c.weight.measured_on))
        self.body_height.set_value(c.height)
        if c.height is not None and c.height.measured_on is not None:
            self.height_on.setDate(_qdate(c.height.measured_on))
        self.name.setText(c.name)
        self.pseudonym.setText(c.pseudonym)
        self.dob.set_value(c.dob)
        self.pronouns.setText(c.pronouns)
        self.identifier.setText(c.identifier)
        self.phone.setText(c.phone)
        self.email.setText(c.email)
        self.address.setPlainText(c.address)
        self.indications.setText(", ".join(c.indications))
        self.emergency.load(c.emergency_contact)
        self.escort.load(c.escort)
        self.notes.setPlainText(c.notes)

    def _snapshot(self) -> tuple[str, ...]:
        edits = [
            self.name,
            self.pseudonym,
            self.dob.lineEdit(),
            self.pronouns,
            self.identifier,
            self.phone,
            self.email,
            self.indications,
            self.emergency.name,
            self.emergency.phone,
            self.emergency.relationship,
            self.escort.name,
            self.escort.phone,
            self.escort.relationship,
        ]
        edits += [self.weight.edit, self.body_height.edit]
        dates = (self.weight_on.date().toString(), self.height_on.date().toString())
        return (
            *(e.text() for e in edits),
            *dates,
            self.address.toPlainText(),
            self.notes.toPlainText(),
        )

    def modified(self) -> bool:
        return self._snapshot() != self._initial

    def client(self) -> Client:
        """The client the form describes; raises FormProblem for what the form can tell."""
        typed = self.typed_problems()
        if typed:
            raise typed[0]
        dob = self.dob.value()
        email = self.email.text().strip()
        if email and not EMAIL.match(email):
            raise FormProblem("The email address does not look complete.", self.email)
        weight = self.weight.value()
        height = self.body_height.value()
        base = self.original or Client(name="")
        return replace(
            base,
            weight=weight.with_date(_day(self.weight_on.date())) if weight else None,
            height=height.with_date(_day(self.height_on.date())) if height else None,
            name=self.name.text().strip(),
            pseudonym=self.pseudonym.text().strip(),
            dob=dob,
            pronouns=self.pronouns.text().strip(),
            identifier=self.identifier.text().strip(),
            phone=self.phone.text().strip(),
            email=email,
            address=self.address.toPlainText().strip(),
            indications=[s.strip() for s in self.indications.text().split(",") if s.strip()],
            emergency_contact=self.emergency.value(),
            escort=self.escort.value(),
            notes=self.notes.toPlainText().strip(),
        )

    def typed_problems(self) -> list[FormProblem]:
        """What is written wrongly right now (shown as soon as it is typed)."""
        found: list[FormProblem] = []
        typed = self.dob.typed_problem()
        if typed is not None:
            found.append(FormProblem(f"Date of birth: {typed[0].lower()}{typed[1:]}", self.dob))
        for field in (self.weight, self.body_height):
            problem = field.problem()
            if problem:
                found.append(FormProblem(problem, field.edit))
        return found

    def refresh_messages(self) -> None:
        """Recompute every message from the current values: each goes when its cause does."""
        messages = [p.message for p in self.typed_problems()]
        if self._tried:
            issue = self.problem()
            if issue is not None:
                messages.append(issue.message)
        self.error.show_messages(messages)

    def _field_for(self, message: str) -> QWidget:
        lowered = message.lower()
        if "birth" in lowered:
            return self.dob
        return self.name

    # ------------------------------------------------------------------ save
    def problem(self) -> FormProblem | None:
        try:
            client = self.client()
            validate_client(client)
        except FormProblem as exc:
            return exc
        except VaultError as exc:
            return FormProblem(exc.message, self._field_for(exc.message))
        return None

    def _store(self) -> Client:
        return client_service.save_client(self.ctx.repos, self.client())

    def save(self) -> bool:
        self._tried = True
        issue = self.problem()
        if issue is None:
            try:
                stored = self._store()
            except VaultError as exc:
                issue = FormProblem(exc.message, self.name)
            else:
                self.error.show_messages([])
                self.saved.emit(stored)
                self.ctx.signals.client_changed.emit(stored.id)
                self.accept()
                return True
        self.refresh_messages()
        if issue.message not in self.error.messages:  # a store refusal only Save can find
            self.error.show_messages([*self.error.messages, issue.message])
        issue.field.setFocus(Qt.FocusReason.OtherFocusReason)
        return False

    def _on_lock(self) -> None:
        if self.isVisible() and not (self.modified() and self.problem() is None and self.save()):
            self.reject()


class DeleteClientDialog(QDialog):
    """Deletion is permanent, so the therapist types the client's name to confirm it."""

    deleted = Signal(int)

    def __init__(self, ctx: AppContext, client: Client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deleteClientDialog")
        self.ctx = ctx
        self.client = client
        self.expected = (client.name or client.pseudonym).strip()
        self.setWindowTitle(ctx.title("Delete client"))
        self.setModal(True)
        what = "name" if client.name.strip() else "pseudonym"
        text = QLabel(
            f"Delete {self.expected} and every record of theirs (courses, sessions, notes, "
            "measures, documents) from this vault? This cannot be undone; backups made before "
            "now still hold the records. To keep the records but hide the client, use Archive "
            f"instead.\n\nType the client's {what} to confirm:"
        )
        text.setWordWrap(True)
        self.confirm = QLineEdit()
        self.confirm.setAccessibleName(f"Type the client's {what} to confirm deletion")
        self.error = QLabel()
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.delete_button = self.buttons.addButton(
            "Delete permanently", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.delete_button.setEnabled(False)
        self.delete_button.setAutoDefault(False)
        self.delete_button.clicked.connect(self.delete)
        self.buttons.rejected.connect(self.reject)
        self.confirm.textChanged.connect(
            lambda t: self.delete_button.setEnabled(t.strip() == self.expected)
        )
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.confirm)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        ctx.signals.about_to_lock.connect(self.reject)
        self.setMinimumSize(440, 240)
        self.resize(560, 280)

    def delete(self) -> None:
        if self.confirm.text().strip() != self.expected or self.client.id is None:
            return
        try:
            client_service.delete_client(
                self.ctx.repos, self.client.id, confirm_name=self.client.name
            )
        except VaultError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.deleted.emit(self.client.id)
        self.ctx.signals.client_deleted.emit(self.client.id)
        self.accept()
