"""The Overview section: the client's details, contacts, escort, courses and active flags."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.intake import indication_label
from kapcompanion.core.models import Client, ContactInfo, SessionStatus
from kapcompanion.services import clients as client_service
from kapcompanion.services import flags as flag_service
from kapcompanion.services import session as session_service
from kapcompanion.services.screening import current_intake
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.due_panel import DuePanel
from kapcompanion.ui.widgets.unsigned_panel import UnsignedPanel

DASH = "—"
WIDE = 720  # px of width from which the cards sit in two columns


def contact_text(contact: ContactInfo | None) -> str:
    if contact is None or not (contact.name or contact.phone):
        return DASH
    bits = [contact.name]
    if contact.relationship:
        bits.append(f"({contact.relationship})")
    if contact.phone:
        bits.append(f"· {contact.phone}")
    return " ".join(b for b in bits if b)


def _value(text: str) -> QLabel:
    label = QLabel(text or DASH)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _card(title: str, rows: list[tuple[str, str]]) -> QFrame:
    card = QFrame()
    card.setProperty("role", "card")
    box = QVBoxLayout(card)
    heading = QLabel(title)
    set_role(heading, "heading")
    box.addWidget(heading)
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    for label, value in rows:
        form.addRow(label, _value(value))
    box.addLayout(form)
    box.addStretch(1)
    return card


class OverviewSection(QWidget):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.cards: list[QFrame] = []
        self._grid: QGridLayout | None = None
        self._columns = 0
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self._scroll)
        ctx.signals.client_changed.connect(self._changed)
        self.refresh()

    def _changed(self, client_id: int) -> None:
        if client_id == self.client_id:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Other sections (sessions, intake) may have changed the client meanwhile."""
        super().showEvent(event)
        if not event.spontaneous() and self._shown_once:
            self.refresh()
        self._shown_once = True

    _shown_once = False

    def _escort(self, client: Client) -> str:
        """The client's escort, else the one written in the intake (so it is not shown blank)."""
        if client.escort is not None and (client.escort.name or client.escort.phone):
            return contact_text(client.escort)
        intake = current_intake(self.ctx.repos, self.client_id)[1]
        text = contact_text(intake.escort)
        return text if text == DASH else f"{text} (from the intake)"

    def _no_course(self) -> str:
        sessions = session_service.sessions_of(self.ctx.repos, self.client_id)
        if not sessions:
            return (
                "No course yet: lay out the course with Course plan, or plan a first session "
                "in Sessions."
            )
        ended = sum(1 for s in sessions if s.status is SessionStatus.ENDED)
        signed = sum(1 for s in sessions if s.signed_utc is not None)
        return f"{len(sessions)} session(s): {ended} ended, {signed} signed."

    def refresh(self) -> None:
        client = client_service.get(self.ctx.repos, self.client_id)
        courses = client_service.courses_of(self.ctx.repos, self.client_id)
        flags = flag_service.active_flags(self.ctx.repos, self.client_id)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        self.cards = [
            _card("Identity", self._identity(client)),
            _card(
                "Contact",
                [("Phone", client.phone), ("Email", client.email), ("Address", client.address)],
            ),
            _card(
                "Support",
                [
                    ("Emergency contact", contact_text(client.emergency_contact)),
                    ("Escort home", self._escort(client)),
                ],
            ),
            _card(
                "Course",
                [
                    (
                        indication_label(c.indication) if c.indication else "Course",
                        f"{c.status.value}, {c.planned_sessions} sessions planned"
                        + (f", started {wording.short_date(c.started_on)}" if c.started_on else ""),
                    )
                    for c in courses
                ]
                or [("", self._no_course())],
            ),
        ]
        if flags:
            self.cards.insert(
                0,
                _card(
                    "Safety flags",
                    [(f.kind.value.replace("_", " "), f.reason or f.source or DASH) for f in flags],
                ),
            )
        self.cards.insert(1 if flags else 0, DuePanel(self.ctx, self.client_id))
        self.cards.append(UnsignedPanel(self.ctx, self.client_id))
        self.cards.append(_card("Notes", [("", client.notes)]))
        self._grid = grid
        self._columns = 0
        self._place()
        self._scroll.setWidget(body)

    def _place(self) -> None:
        """Two columns of cards when there is room, one when narrow (or at 200 % scaling)."""
        if self._grid is None or not self.cards:
            return
        columns = 2 if self.width() >= WIDE else 1
        if columns == self._columns:
            return
        self._columns = columns
        for card in self.cards:
            self._grid.removeWidget(card)
        for i, card in enumerate(self.cards[:-1]):
            self._grid.addWidget(card, i // columns, i % columns)
        self._grid.addWidget(self.cards[-1], (len(self.cards) - 2) // columns + 1, 0, 1, columns)
        for row in range(self._grid.rowCount()):
            self._grid.setRowStretch(row, 0)
        self._grid.setRowStretch(self._grid.rowCount(), 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    @staticmethod
    def _identity(client: Client) -> list[tuple[str, str]]:
        return [
            ("Name", client.name),
            ("Pseudonym", client.pseudonym),
            ("Date of birth", wording.short_date(client.dob) if client.dob else ""),
            ("Pronouns", client.pronouns),
            ("Identifier", client.identifier),
            ("Indications", ", ".join(indication_label(i) for i in client.indications)),
        ]


def create_section(ctx: AppContext, client_id: int) -> QWidget:
    return OverviewSection(ctx, client_id)
