"""Checklist templates: copy the shipped one, edit the copy, choose the clinic's current one.

The shipped file is never written: a clinic edits its own copy, kept inside the vault
(``services/preparation.py``). Each Save keeps a new version beside the old ones, so a
checklist filled against an older version still renders with it. A lock saves pending
changes as a new version (nothing typed is lost) and closes the dialog.
"""

from __future__ import annotations

import dataclasses
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.checklist import (
    ChecklistTemplate,
    ItemKind,
    TemplateError,
    TemplateItem,
    add_item,
    copy_template,
    move_item,
    remove_item,
    replace_item,
)
from kapcompanion.services.preparation import (
    all_templates,
    current_template,
    is_shipped,
    latest_versions,
    save_clinic_template,
    set_current_template,
)
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.fit import fit_to_screen, scroll_down

KIND_LABELS = {
    ItemKind.CHECK: "Tick box",
    ItemKind.DATE: "Date",
    ItemKind.TIME: "Time",
    ItemKind.TEXT: "Text",
    ItemKind.CONTACT: "Contact (name and phone)",
    ItemKind.MULTI: "Several options",
    ItemKind.TOUCH: "Touch agreement",
    ItemKind.MUSIC: "Music preferences",
}
SHIPPED_NOTE = "The shipped template cannot be changed. Make a copy to edit it."


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "template"


class TemplateEditor(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("templateEditor")
        self.ctx = ctx
        self.setWindowTitle(ctx.title("Checklist templates"))
        self.selected: ChecklistTemplate | None = None  # as saved
        self.working: ChecklistTemplate | None = None  # with unsaved edits
        self._loading = False
        self._closed = False

        self.templates = QComboBox()
        self.templates.setAccessibleName("Checklist template")
        self.templates.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.templates.setMinimumContentsLength(24)
        self.templates.currentIndexChanged.connect(self._template_chosen)
        self.copy_name = QLineEdit()
        self.copy_name.setAccessibleName("Name of the copy")
        self.copy_name.setPlaceholderText("name of the clinic's copy")
        self.copy_button = QPushButton("Make a &copy")
        self.copy_button.clicked.connect(self.make_copy)
        self.current_button = QPushButton("&Use for new checklists")
        self.current_button.clicked.connect(self.use_as_current)
        chooser = QHBoxLayout()
        template_label = QLabel("&Template:")
        template_label.setBuddy(self.templates)
        chooser.addWidget(template_label)
        chooser.addWidget(self.templates, 1)
        chooser.addWidget(self.current_button)
        copier = QHBoxLayout()
        copy_label = QLabel("Name for a copy:")
        copy_label.setBuddy(self.copy_name)
        copier.addWidget(copy_label)
        copier.addWidget(self.copy_name, 1)
        copier.addWidget(self.copy_button)

        self.info = QLabel()
        self.info.setWordWrap(True)
        set_role(self.info, "hint")
        self.name = QLineEdit()
        self.name.setAccessibleName("Template name")
        self.name.textEdited.connect(self._name_edited)
        self.items = QListWidget()
        self.items.setAccessibleName("Items of the template")
        self.items.setWordWrap(True)
        self.items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.items.currentRowChanged.connect(self._item_chosen)
        self.add_button = QPushButton("&Add item")
        self.remove_button = QPushButton("&Remove item")
        self.up_button = QPushButton("Move u&p")
        self.down_button = QPushButton("Move &down")
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        # two by two: a row of four would make the dialog wider than 1366 px at 150 %
        item_buttons = QGridLayout()
        for i, b in enumerate(
            (self.add_button, self.remove_button, self.up_button, self.down_button)
        ):
            item_buttons.addWidget(b, i // 2, i % 2)

        self.label = QLineEdit()
        self.label.setAccessibleName("Item label")
        self.help = QPlainTextEdit()
        self.help.setAccessibleName("Item help")
        self.help.setTabChangesFocus(True)
        self.help.setFixedHeight(self.fontMetrics().lineSpacing() * 2 + 14)
        self.section = QLineEdit()
        self.section.setAccessibleName("Item section")
        self.kind = QComboBox()
        self.kind.setAccessibleName("Item kind")
        for kind, text in KIND_LABELS.items():
            self.kind.addItem(text, kind)
        self.required = QCheckBox("Required before the session can start")
        self.carry = QCheckBox("Carried over to the next session\n(to be reviewed)")
        self.options = QLineEdit()
        self.options.setAccessibleName("Options, separated by commas")
        self.options.setPlaceholderText("for several options: Lighting, Blanket, …")
        for edit in (self.label, self.section, self.options):
            edit.textEdited.connect(self._item_edited)
        self.help.textChanged.connect(self._item_edited)
        self.kind.currentIndexChanged.connect(self._item_edited)
        self.required.toggled.connect(self._item_edited)
        self.carry.toggled.connect(self._item_edited)
        details = QGroupBox("Item")
        form = QFormLayout(details)
        form.addRow("&Label", self.label)
        form.addRow("&Help", self.help)
        form.addRow("&Section", self.section)
        form.addRow("&Kind", self.kind)
        form.addRow("", self.required)
        form.addRow("", self.carry)
        form.addRow("&Options", self.options)
        self.details = details

        self.error = QLabel()
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.status = QLabel()
        set_role(self.status, "hint")
        self.save_button = QPushButton("Save as a ne&w version")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Re&vert")
        self.revert_button.clicked.connect(self.revert)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)

        name_row = QFormLayout()
        name_row.addRow("&Name", self.name)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.items, 1)
        left.addLayout(item_buttons)
        left_box = QWidget()
        left_box.setLayout(left)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(details)
        right.addWidget(self.error)
        right.addStretch(1)
        right_box = QWidget()
        right_box.setLayout(right)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(left_box)
        split.addWidget(right_box)
        split.setSizes([480, 480])

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        # the editing part scrolls down on a short screen (1366x768 at 150 %); saving and
        # closing stay in sight
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(chooser)
        body_layout.addLayout(copier)
        body_layout.addWidget(self.info)
        body_layout.addLayout(name_row)
        body_layout.addWidget(split, 1)
        scroll = scroll_down(body)  # a container, not a Tab stop
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)
        layout.addWidget(close)
        for button in self.findChildren(QPushButton):  # Enter in a field must not press one
            button.setAutoDefault(False)
        ctx.signals.about_to_lock.connect(self._locking)
        fit_to_screen(self, 1000, 680)
        self.reload()

    # ------------------------------------------------------------------ templates
    def reload(self, select: str | None = None) -> None:
        current = current_template(self.ctx.vault).id
        self._list = latest_versions(self.ctx.vault)
        ids = [t.id for t in self._list]
        want = select or (self.selected.id if self.selected else current)
        self.templates.blockSignals(True)
        try:
            self.templates.clear()
            for t in self._list:
                marks = ["shipped" if is_shipped(t.id) else "clinic copy", f"version {t.version}"]
                if t.id == current:
                    marks.append("used for new checklists")
                self.templates.addItem(f"{t.name} ({', '.join(marks)})", t.id)
            self.templates.setCurrentIndex(-1)
        finally:
            self.templates.blockSignals(False)
        self.templates.setCurrentIndex(ids.index(want) if want in ids else 0)

    def _template_chosen(self, row: int) -> None:
        if row < 0 or row >= len(self._list):
            return
        if self.dirty and not self.save():
            return
        self.selected = self._list[row]
        self.working = self.selected
        self.copy_name.setText(f"{self.selected.name} (clinic copy)")
        self.copy_name.setCursorPosition(0)
        self._show_template()

    @property
    def dirty(self) -> bool:
        return self.working is not None and self.working != self.selected

    @property
    def editable(self) -> bool:
        return self.selected is not None and not is_shipped(self.selected.id)

    def _show_template(self, item_row: int = 0) -> None:
        t = self.working
        if t is None:
            return
        self._loading = True
        try:
            self.name.setText(t.name)
            self.items.clear()
            for item in t.items:
                need = "required" if item.required else "optional"
                QListWidgetItem(
                    f"{item.section + ': ' if item.section else ''}{item.label} "
                    f"[{KIND_LABELS[ItemKind(item.kind)]}, {need}]",
                    self.items,
                )
        finally:
            self._loading = False
        based = f", based on {t.based_on}" if t.based_on else ""
        current = current_template(self.ctx.vault).id == t.id
        self.info.setText(
            (SHIPPED_NOTE + " " if not self.editable else "")
            + f"{t.name}: version {self.selected.version if self.selected else t.version}{based}."
            + (" Used for new checklists." if current else "")
        )
        editable = self.editable
        widgets: list[QWidget] = [self.name, self.add_button, self.remove_button]
        widgets += [self.up_button, self.down_button, self.details]
        for w in widgets:
            w.setEnabled(editable)
        self.items.setCurrentRow(min(item_row, len(t.items) - 1))
        self._update_status()

    def make_copy(self) -> ChecklistTemplate | None:
        if self.selected is None:
            return None
        if self.dirty and not self.save():
            return None
        name = self.copy_name.text().strip() or f"{self.selected.name} (clinic copy)"
        taken = {t.id for t in all_templates(self.ctx.vault)}
        base = f"clinic-{slug(name)}"
        new_id, n = base, 2
        while new_id in taken:
            new_id, n = f"{base}-{n}", n + 1
        try:
            copy = save_clinic_template(self.ctx.vault, copy_template(self.selected, new_id, name))
        except (TemplateError, VaultError) as exc:
            self._error(exc)
            return None
        self.selected = self.working = None
        self.reload(select=copy.id)
        self.status.setText(f"Copied as \u201c{name}\u201d. Edit it, then save.")
        return copy

    def use_as_current(self) -> None:
        if self.selected is None:
            return
        if self.dirty and not self.save():
            return
        try:
            set_current_template(self.ctx.vault, self.selected.id)
        except VaultError as exc:
            self._error(exc)
            return
        self.reload(select=self.selected.id)
        self.status.setText("New checklists use this template. Existing ones keep theirs.")

    # ------------------------------------------------------------------ items
    def _current_item(self) -> TemplateItem | None:
        row = self.items.currentRow()
        if self.working is None or not 0 <= row < len(self.working.items):
            return None
        return self.working.items[row]

    def _item_chosen(self, _row: int) -> None:
        item = self._current_item()
        self._loading = True
        try:
            self.label.setText(item.label if item else "")
            self.help.setPlainText(item.help if item else "")
            self.section.setText(item.section if item else "")
            index = self.kind.findData(ItemKind(item.kind)) if item else 0
            self.kind.setCurrentIndex(max(0, index))
            self.required.setChecked(item.required if item else True)
            self.carry.setChecked(item.carry_over if item else False)
            self.options.setText(", ".join(item.options) if item else "")
            self.options.setCursorPosition(0)
        finally:
            self._loading = False
        self.options.setEnabled(self.editable and self.kind.currentData() == ItemKind.MULTI)

    def _apply(self, template: ChecklistTemplate, item_row: int) -> None:
        self.working = template
        self.error.clear()
        self._show_template(item_row)

    def _item_edited(self, *_args: object) -> None:
        item = self._current_item()
        if self._loading or item is None or self.working is None or not self.editable:
            return
        kind = ItemKind(self.kind.currentData())
        options = tuple(o.strip() for o in self.options.text().split(",") if o.strip())
        changed = dataclasses.replace(
            item,
            label=self.label.text().strip(),
            help=self.help.toPlainText().strip(),
            section=self.section.text().strip(),
            kind=kind,
            required=self.required.isChecked(),
            carry_over=self.carry.isChecked(),
            options=options if kind is ItemKind.MULTI else (),
        )
        self.options.setEnabled(kind is ItemKind.MULTI)
        try:
            working = replace_item(self.working, changed)
        except TemplateError as exc:
            self._error(exc)  # shown; the last valid state is kept
            return
        self.working = working
        self.error.clear()
        row = self.items.currentRow()
        list_item = self.items.item(row)
        if list_item is not None:
            need = "required" if changed.required else "optional"
            list_item.setText(
                f"{changed.section + ': ' if changed.section else ''}{changed.label} "
                f"[{KIND_LABELS[kind]}, {need}]"
            )
        self._update_status()

    def _name_edited(self, text: str) -> None:
        if self.working is None or not self.editable or not text.strip():
            return
        self.working = dataclasses.replace(self.working, name=text.strip())
        self._update_status()

    def add(self) -> None:
        if self.working is None or not self.editable:
            return
        keys = set(self.working.keys)
        key, n = "new_item", 2
        while key in keys:
            key, n = f"new_item_{n}", n + 1
        current = self._current_item()
        row = self.items.currentRow() + 1 if current else len(self.working.items)
        item = TemplateItem(
            key=key,
            label="New item",
            kind=ItemKind.CHECK,
            required=False,
            section=current.section if current else "",
        )
        self._apply(add_item(self.working, item, row), row)
        self.label.setFocus()
        self.label.selectAll()

    def remove(self) -> None:
        item = self._current_item()
        if item is None or self.working is None or not self.editable:
            return
        if len(self.working.items) == 1:
            self.error.setText("A template needs at least one item.")
            return
        row = self.items.currentRow()
        self._apply(remove_item(self.working, item.key), max(0, row - 1))

    def move_current(self, step: int) -> None:
        item = self._current_item()
        if item is None or self.working is None or not self.editable:
            return
        row = max(0, min(len(self.working.items) - 1, self.items.currentRow() + step))
        self._apply(move_item(self.working, item.key, row), row)

    # ------------------------------------------------------------------ saving
    def save(self) -> bool:
        if self.working is None or self.selected is None or not self.dirty:
            return True
        versions = [t.version for t in all_templates(self.ctx.vault) if t.id == self.working.id]
        version = max(versions, default=0) + 1
        try:
            saved = save_clinic_template(
                self.ctx.vault, dataclasses.replace(self.working, version=version)
            )
        except (TemplateError, VaultError) as exc:
            self._error(exc)
            return False
        self.selected = self.working = saved
        row = self.items.currentRow()
        self.reload(select=saved.id)
        self._show_template(max(0, row))
        self.status.setText(
            f"Saved as version {saved.version}. Checklists filled before keep their version."
        )
        return True

    def revert(self) -> None:
        self.working = self.selected
        self.error.clear()
        self._show_template()

    def _update_status(self) -> None:
        self.status.setText("Unsaved changes." if self.dirty else "")
        self.save_button.setEnabled(self.editable and self.dirty)
        self.revert_button.setEnabled(self.editable and self.dirty)

    def _error(self, exc: Exception) -> None:
        self.error.setText(exc.message if isinstance(exc, VaultError) else str(exc))

    def _locking(self) -> None:
        """The vault closes: keep what was edited (as a new version), then go."""
        if not self._closed:
            self.reject()

    def done(self, result: int) -> None:
        if not self._closed and self.dirty:
            self.save()
        self._closed = True
        super().done(result)


def open_template_editor(ctx: AppContext, parent: QWidget | None = None) -> TemplateEditor:
    dialog = TemplateEditor(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
