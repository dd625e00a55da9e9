"""One row per checklist item, with the editor its kind needs.

Every kind has a tick ("done", or "reviewed" for carried items) and, except plain checks,
its content: a date, a time, a text, a contact, a choice of options, or (touch, music) a
slot where the preparation view puts the agreement and music editors. A row reports each
edit as ``edited(key, changes)`` where ``changes`` are keyword arguments for
``core.checklist.update_item``; it never keeps its own copy of the record.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.checklist import INTENTION_KEY, ItemKind, ItemState, TemplateItem
from kapcompanion.core.intake import Contact
from kapcompanion.ui.theme import set_role

INTENTION_REMINDER = (
    "Write it in the client's own words. The session may not follow the intention, and that "
    "is fine: the client can hold it lightly and let the experience go where it goes."
)

OPTION_COLUMNS = 3


def _line(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _stored_date(text: str) -> str:
    """What a date item keeps: ISO when the text is a date (the locale's short date or ISO),
    else the text as typed, so the row can say it is not a date yet."""
    day = wording.parse_date(text.strip())
    return day.isoformat() if day is not None else text.strip()


def _shown_date(value: str) -> str:
    """A kept date as the clinic writes it (``12/3/2026`` under en_US); other text as is."""
    day = wording.parse_date(value) if value.strip() else None
    return wording.short_date(day) if day is not None else value


class ItemRow(QFrame):
    """A checklist item. ``slot`` holds an extra editor (touch agreement, music)."""

    edited = Signal(str, dict)

    def __init__(self, item: TemplateItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.kind = ItemKind(item.kind)
        self.setObjectName(f"item_{item.key}")
        self.setProperty("role", "card")
        self._loading = False
        self.done = QCheckBox(item.label)
        self.done.setAccessibleName(item.label)
        self.done.setAccessibleDescription("required" if item.required else "optional")
        self.done.toggled.connect(lambda on: self._emit(done=on))
        need = QLabel("Required" if item.required else "Optional")
        set_role(need, "hint")
        self.status = QLabel()
        self.status.setObjectName("itemStatus")
        self.status.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(self.done, 1)
        head.addWidget(need, 0, Qt.AlignmentFlag.AlignTop)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 6, 10, 6)
        box.setSpacing(4)
        box.addLayout(head)
        help_text = item.help
        if item.key == INTENTION_KEY and "may not follow" not in item.help:
            help_text = f"{item.help} {INTENTION_REMINDER}".strip()
        if help_text:
            hint = QLabel(help_text)
            hint.setWordWrap(True)
            set_role(hint, "hint")
            box.addWidget(hint)
        self.text: QPlainTextEdit | None = None
        self.value: QLineEdit | None = None
        self.contact: dict[str, QLineEdit] = {}
        self.options: dict[str, QCheckBox] = {}
        self.use_escort: QPushButton | None = None
        self._suggested: Contact | None = None
        self.slot = QVBoxLayout()
        self.slot.setContentsMargins(0, 0, 0, 0)
        self._options_box = QGridLayout()
        self._build_editor(box)
        box.addLayout(self.slot)
        box.addWidget(self.status)

    # ------------------------------------------------------------------ editors
    def _build_editor(self, box: QVBoxLayout) -> None:
        kind = self.kind
        label = self.item.label
        if kind is ItemKind.TEXT:
            self.text = QPlainTextEdit()
            self.text.setAccessibleName(label)
            self.text.setTabChangesFocus(True)
            lines = 3 if self.item.key == INTENTION_KEY else 2
            self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * lines + 14)
            self.text.textChanged.connect(self._text_changed)
            box.addWidget(self.text)
        elif kind in (ItemKind.DATE, ItemKind.TIME):
            is_date = kind is ItemKind.DATE
            self.value = _line(label, wording.date_hint() if is_date else "HH:MM, 24-hour")
            self.value.setMaximumWidth(200)
            if is_date:
                self.value.setToolTip(f"{label}: type {wording.date_hint()}")
                self.value.textEdited.connect(lambda text: self._emit(value=_stored_date(text)))
            else:
                self.value.textEdited.connect(lambda text: self._emit(value=text.strip()))
            row = QHBoxLayout()
            row.addWidget(self.value)
            if is_date:
                today = QPushButton("Today")
                today.setAccessibleName(f"{label}: today")
                today.clicked.connect(self._set_today)
                row.addWidget(today)
            row.addStretch(1)
            box.addLayout(row)
        elif kind is ItemKind.CONTACT:
            row = QHBoxLayout()
            for key, placeholder in (
                ("name", "name"),
                ("phone", "phone"),
                ("relationship", "relationship"),
            ):
                edit = _line(f"{label}: {placeholder}", placeholder)
                edit.textEdited.connect(self._contact_changed)
                self.contact[key] = edit
                row.addWidget(edit, 2 if key == "name" else 1)
            self.use_escort = QPushButton("Use the client's escort")
            self.use_escort.clicked.connect(self._use_suggested)
            self.use_escort.hide()
            row.addWidget(self.use_escort)
            box.addLayout(row)
        elif kind is ItemKind.MULTI:
            for option in self.item.options:
                self._add_option(option)
            box.addLayout(self._options_box)

    def _add_option(self, option: str) -> QCheckBox:
        check = QCheckBox(option)
        check.setAccessibleName(f"{self.item.label}: {option}")
        check.toggled.connect(self._options_changed)
        index = len(self.options)
        self.options[option] = check
        self._options_box.addWidget(check, index // OPTION_COLUMNS, index % OPTION_COLUMNS)
        return check

    def _emit(self, **changes: Any) -> None:
        if not self._loading:
            self.edited.emit(self.item.key, changes)

    def _text_changed(self) -> None:
        assert self.text is not None
        self._emit(value=self.text.toPlainText())

    def _set_today(self) -> None:
        assert self.value is not None
        today = date.today()
        self.value.setText(wording.short_date(today))
        self._emit(value=today.isoformat())

    def _contact_value(self) -> Contact:
        return Contact(
            name=self.contact["name"].text().strip(),
            phone=self.contact["phone"].text().strip(),
            relationship=self.contact["relationship"].text().strip(),
        )

    def _contact_changed(self) -> None:
        self._emit(contact=self._contact_value())

    def _use_suggested(self) -> None:
        if self._suggested is None:
            return
        self._fill_contact(self._suggested)
        self._emit(contact=self._contact_value())

    def _fill_contact(self, contact: Contact | None) -> None:
        c = contact or Contact(name="")
        self.contact["name"].setText(c.name)
        self.contact["phone"].setText(c.phone)
        self.contact["relationship"].setText(c.relationship)

    def _options_changed(self) -> None:
        self._emit(selected=[o for o, box in self.options.items() if box.isChecked()])

    # ------------------------------------------------------------------ state
    def suggest_contact(self, contact: Contact | None) -> None:
        """Offer a one-click fill (the escort on the client's record)."""
        self._suggested = contact if contact and (contact.name or contact.phone) else None
        if self.use_escort is not None:
            self.use_escort.setVisible(self._suggested is not None)

    def load(self, state: ItemState | None, text: str | None = None) -> None:
        """Show ``state`` (``text`` overrides the value: the intention's own field)."""
        s = state or ItemState(key=self.item.key)
        self._loading = True
        try:
            self.done.setChecked(s.done)
            if self.text is not None:
                value = text if text is not None else s.value
                if self.text.toPlainText() != value:
                    self.text.setPlainText(value)
            if self.value is not None:
                shown = _shown_date(s.value) if self.kind is ItemKind.DATE else s.value
                if self.value.text() != shown:
                    self.value.setText(shown)
            if self.contact:
                self._fill_contact(s.contact)
            if self.kind is ItemKind.MULTI:
                for extra in s.selected:
                    if extra not in self.options:
                        self._add_option(extra)
                for option, box in self.options.items():
                    box.setChecked(option in s.selected)
        finally:
            self._loading = False

    def set_problem(self, problem: str) -> None:
        self.status.setText(problem or "Done.")
        set_role(self.status, "warning" if problem else "ok")

    def set_read_only(self, read_only: bool) -> None:
        self.done.setEnabled(not read_only)
        if self.text is not None:
            self.text.setReadOnly(read_only)
        if self.value is not None:
            self.value.setReadOnly(read_only)
        for edit in self.contact.values():
            edit.setReadOnly(read_only)
        for box in self.options.values():
            box.setEnabled(not read_only)
        for button in self.findChildren(QPushButton):
            if button.parent() is self:
                button.setEnabled(not read_only)
