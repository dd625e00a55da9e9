"""The clinic's copy of the integration prompts: loading it, and a small editor.

The shipped prompts (``resources/prompts/integration.json``) are the default; a clinic that
edits them gets its own copy in the vault (``integration_prompts``), with the version raised
on each save. Answers are keyed by prompt id, so ids never change: edited wording keeps its
id, a new prompt gets a new id, and a removed prompt's wording is kept under ``retired`` so
older entries still show the question that was answered.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.integration import PromptSet, load_prompts, parse_prompts
from kapcompanion.services.prompts import PROMPTS_KEY as PROMPTS_KEY
from kapcompanion.services.prompts import load_clinic_prompts as load_clinic_prompts
from kapcompanion.services.prompts import save_clinic_prompts
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole


def next_version(version: str) -> str:
    return str(int(version) + 1) if version.isdigit() else f"{version}.1"


class PromptEditorDialog(QDialog):
    """Groups and prompts in a tree: edit the wording in place (F2), add, remove, reorder."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(ctx.title("Integration prompts"))
        self.prompts, self.retired = load_clinic_prompts(ctx.vault)
        intro = QLabel(
            "These prompts are offered in every integration entry, for every client. Edit the "
            "wording with F2 or a double click. Entries already written keep their answers."
        )
        intro.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("Prompt groups and prompts")
        self.tree.setWordWrap(True)
        self._fill(self.prompts)
        self.add_prompt_button = QPushButton("Add &prompt")
        self.add_group_button = QPushButton("Add &group")
        self.remove_button = QPushButton("&Remove")
        self.up_button = QPushButton("Move &up")
        self.down_button = QPushButton("Move do&wn")
        self.shipped_button = QPushButton("Restore &shipped")
        self.shipped_button.setToolTip("Start again from the prompts shipped with the app")
        self.add_prompt_button.clicked.connect(self.add_prompt)
        self.add_group_button.clicked.connect(self.add_group)
        self.remove_button.clicked.connect(self.remove)
        self.up_button.clicked.connect(lambda: self.move_item(-1))
        self.down_button.clicked.connect(lambda: self.move_item(1))
        self.shipped_button.clicked.connect(lambda: self._fill(load_prompts()))
        side = QVBoxLayout()
        for b in (
            self.add_prompt_button,
            self.add_group_button,
            self.remove_button,
            self.up_button,
            self.down_button,
            self.shipped_button,
        ):
            b.setAutoDefault(False)
            side.addWidget(b)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.tree, 1)
        middle.addLayout(side)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(middle, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(820, 600)

    def _item(
        self, ident: str, text: str, parent: QTreeWidgetItem | None = None
    ) -> QTreeWidgetItem:
        item = QTreeWidgetItem([text])
        item.setData(0, ID_ROLE, ident)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        if parent is not None:
            parent.addChild(item)
        return item

    def _fill(self, prompts: PromptSet) -> None:
        self.tree.clear()
        for group in prompts.groups:
            top = self._item(group.id, group.title)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            for p in group.prompts:
                self._item(p.id, p.text, top)
        self.tree.expandAll()
        tops = self._tops()
        if tops:
            self.tree.setCurrentItem(tops[0])

    def _tops(self) -> list[QTreeWidgetItem]:
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [i for i in items if i is not None]

    @staticmethod
    def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
        kids = [item.child(j) for j in range(item.childCount())]
        return [k for k in kids if k is not None]

    def _ids(self) -> set[str]:
        ids: set[str] = set()
        for top in self._tops():
            ids.add(str(top.data(0, ID_ROLE)))
            ids |= {str(k.data(0, ID_ROLE)) for k in self._children(top)}
        return ids

    def _new_id(self, stem: str) -> str:
        taken = self._ids() | set(self.retired)
        n = 1
        while f"{stem}{n}" in taken:
            n += 1
        return f"{stem}{n}"

    def add_prompt(self) -> QTreeWidgetItem | None:
        current = self.tree.currentItem()
        if current is None:
            return None
        group = current.parent() or current
        item = self._item(self._new_id(f"{group.data(0, ID_ROLE)}.clinic"), "New prompt", group)
        group.setExpanded(True)
        self.tree.setCurrentItem(item)
        self.tree.editItem(item, 0)
        return item

    def add_group(self) -> QTreeWidgetItem:
        top = self._item(self._new_id("group"), "New group")
        self.tree.addTopLevelItem(top)
        self._item(self._new_id(f"{top.data(0, ID_ROLE)}.clinic"), "New prompt", top)
        top.setExpanded(True)
        self.tree.setCurrentItem(top)
        self.tree.editItem(top, 0)
        return top

    def remove(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            return
        parent = item.parent()
        removed = [item] if parent is not None else self._children(item)
        for p in removed:
            self.retired[str(p.data(0, ID_ROLE))] = p.text(0)
        if parent is not None:
            parent.removeChild(item)
        else:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))

    def move_item(self, step: int) -> None:
        item = self.tree.currentItem()
        if item is None:
            return
        parent = item.parent()
        if parent is not None:
            index = parent.indexOfChild(item)
            if 0 <= index + step < parent.childCount():
                parent.takeChild(index)
                parent.insertChild(index + step, item)
        else:
            index = self.tree.indexOfTopLevelItem(item)
            if 0 <= index + step < self.tree.topLevelItemCount():
                expanded = item.isExpanded()
                self.tree.takeTopLevelItem(index)
                self.tree.insertTopLevelItem(index + step, item)
                item.setExpanded(expanded)
        self.tree.setCurrentItem(item)

    def edited_prompts(self) -> PromptSet:
        groups = []
        for n, top in enumerate(self._tops(), 1):
            if not top.text(0).strip():
                raise ValueError(f"group {n} has no title")
            groups.append(
                {
                    "id": top.data(0, ID_ROLE),
                    "title": top.text(0).strip(),
                    "prompts": [
                        {"id": k.data(0, ID_ROLE), "text": k.text(0).strip()}
                        for k in self._children(top)
                    ],
                }
            )
        data = {
            "id": self.prompts.id,
            "version": next_version(self.prompts.version),
            "title": self.prompts.title,
            "description": self.prompts.description,
            "groups": groups,
        }
        return parse_prompts(data, "the edited prompts")

    def save(self) -> bool:
        try:
            prompts = self.edited_prompts()
            live = set(prompts.prompt_ids)
            retired = {k: v for k, v in self.retired.items() if k not in live}
            save_clinic_prompts(self.ctx.vault, prompts, retired)
        except ValueError as exc:
            self.error.setText(f"Not saved: {exc}")
            self.error.show()
            return False
        except VaultError as exc:
            self.error.setText(f"Not saved: {exc.message}")
            self.error.show()
            return False
        self.ctx.notify(f"Integration prompts saved (version {prompts.version}).", 4000)
        self.accept()
        return True
