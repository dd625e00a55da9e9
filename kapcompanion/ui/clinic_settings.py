"""The clinic's settings screen (Settings > Clinic settings…), built from the registry.

Every setting declared in ``kapcompanion.core.settings`` appears here with its label, its help
and a widget chosen by its type: a list for a choice, a tick box for yes/no, a number box with
the unit beside the number for numbers, a line for free text. A setting declared tomorrow
appears without a change here. Saving goes through ``services.settings.set_values``: one
action, one transaction, one audit row per setting that changed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.settings import Setting, SettingError, all_settings
from kapcompanion.services import settings as clinic_settings
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.fit import fit_to_screen

#: number boxes of a setting without bounds still need a range
_WIDE = 1_000_000


def editor_for(setting: Setting, parent: QWidget) -> QWidget:
    """The widget for one setting's type (module docstring)."""
    widget: QWidget
    if setting.choices:
        combo = QComboBox(parent)
        for choice in setting.choices:
            combo.addItem(setting.choice_label(choice), choice)
        widget = combo
    elif setting.kind is bool:
        widget = QCheckBox("Yes", parent)
    elif setting.kind in (int, float):
        spin: QSpinBox | QDoubleSpinBox
        if setting.kind is int:
            spin = QSpinBox(parent)
            spin.setRange(
                int(setting.minimum if setting.minimum is not None else -_WIDE),
                int(setting.maximum if setting.maximum is not None else _WIDE),
            )
        else:
            spin = QDoubleSpinBox(parent)
            spin.setDecimals(1)
            spin.setRange(
                setting.minimum if setting.minimum is not None else -_WIDE,
                setting.maximum if setting.maximum is not None else _WIDE,
            )
        if setting.unit:
            spin.setSuffix(f" {setting.unit}")
        spin.setAccelerated(True)
        widget = spin
    else:
        widget = QLineEdit(parent)
    widget.setObjectName(f"setting_{setting.key}")
    unit = f", in {setting.unit}" if setting.unit else ""
    widget.setAccessibleName(f"{setting.label}{unit}")
    widget.setAccessibleDescription(setting.help)
    widget.setToolTip(setting.help)
    return widget


def show_value(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QComboBox):
        widget.setCurrentIndex(max(0, widget.findData(value)))
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))


def read_value(widget: QWidget) -> Any:
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QLineEdit):
        return widget.text()
    raise TypeError(f"no value in {type(widget).__name__}")


class ClinicSettingsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clinicSettingsDialog")
        self.setWindowTitle(ctx.title("Clinic settings"))
        self.ctx = ctx
        intro = QLabel(
            "These settings belong to this vault and apply to everyone who opens it. "
            "Each change is recorded in the audit trail with the old and the new value.",
            self,
        )
        intro.setWordWrap(True)
        set_role(intro, "hint")

        body = QWidget()
        grid = QGridLayout(body)
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        self.editors: dict[str, tuple[Setting, QWidget]] = {}
        current = clinic_settings.snapshot(ctx.vault)
        for index, setting in enumerate(all_settings()):
            editor = editor_for(setting, body)
            show_value(editor, current[setting.key])
            label = QLabel(setting.label, body)
            label.setBuddy(editor)
            helptext = QLabel(setting.help, body)
            helptext.setWordWrap(True)
            set_role(helptext, "hint")
            row = 3 * index
            grid.addWidget(label, row, 0)
            grid.addWidget(editor, row, 1, Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(helptext, row + 1, 1)
            grid.setRowMinimumHeight(row + 2, 10)
            self.editors[setting.key] = (setting, editor)
        grid.setRowStretch(3 * len(self.editors), 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)

        self.defaults = QPushButton("Shipped &defaults", self)
        self.defaults.setToolTip("Fill in the shipped values; nothing changes until you save")
        self.defaults.setAutoDefault(False)
        self.defaults.clicked.connect(self.reset)
        self.error = QLabel(self)
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.defaults, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(640)
        fit_to_screen(self, 780, 680)

    def editor(self, key: str) -> QWidget:
        return self.editors[key][1]

    def values(self) -> dict[str, Any]:
        return {key: read_value(editor) for key, (_s, editor) in self.editors.items()}

    def reset(self) -> None:
        for setting, editor in self.editors.values():
            show_value(editor, setting.default)

    def save(self) -> bool:
        changes = {setting: read_value(editor) for setting, editor in self.editors.values()}
        try:
            changed = clinic_settings.set_values(self.ctx.vault, changes)
        except SettingError as exc:
            return self._fail(f"Not saved: {exc}")
        except VaultError as exc:
            return self._fail(f"Not saved: {exc.message}")
        count = len(changed)
        self.ctx.notify(
            "Clinic settings saved." if count else "No clinic setting was changed.", 4000
        )
        self.accept()
        return True

    def _fail(self, message: str) -> bool:
        self.error.setText(message)
        self.error.show()
        return False


def open_clinic_settings(ctx: AppContext, parent: QWidget) -> ClinicSettingsDialog:
    dialog = ClinicSettingsDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
