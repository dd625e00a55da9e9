"""The clinic's vital-sign thresholds (vault ``vital_thresholds``), with units and defaults.

A running session picks the new values up at once (its next reading is flagged with them).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.vitals import VitalThresholds
from kapcompanion.services import clinic
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role

FIELDS = (
    ("pre_systolic_above", "Before dosing: systolic above", "mmHg", (90, 250)),
    ("pre_diastolic_above", "Before dosing: diastolic above", "mmHg", (50, 150)),
    ("systolic_at_or_above", "In session: systolic at or above", "mmHg", (100, 260)),
    ("diastolic_at_or_above", "In session: diastolic at or above", "mmHg", (60, 160)),
    ("heart_rate_at_or_above", "Heart rate at or above", "bpm", (80, 220)),
    ("heart_rate_below", "Heart rate below", "bpm", (25, 80)),
    ("systolic_below", "Systolic below", "mmHg", (60, 120)),
    ("spo2_below", "SpO2 below", "%", (80, 99)),
)


class ThresholdsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thresholdsDialog")
        self.setWindowTitle(ctx.title("Vital-sign thresholds"))
        self.ctx = ctx
        intro = QLabel(
            "Readings at these values are flagged on the session screen and in the record. "
            "The defaults follow the esketamine label (140/90 mmHg before dosing) and common "
            "bedside limits; they are editable defaults, not medical advice.",
            self,
        )
        intro.setWordWrap(True)
        set_role(intro, "hint")
        form = QFormLayout()
        self.spins: dict[str, QSpinBox] = {}
        current = clinic.thresholds(ctx.vault)
        for key, label, unit, (low, high) in FIELDS:
            spin = QSpinBox(self)
            spin.setRange(low, high)
            spin.setSuffix(f" {unit}" if unit != "%" else "%")
            spin.setValue(getattr(current, key))
            spin.setAccessibleName(f"{label} in {unit}")
            self.spins[key] = spin
            form.addRow(label, spin)
        self.defaults = QPushButton("Shipped &defaults", self)
        self.defaults.clicked.connect(self.reset)
        self.error = QLabel(self)
        set_role(self.error, "error")
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.defaults)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def value(self) -> VitalThresholds:
        return VitalThresholds(**{k: s.value() for k, s in self.spins.items()})

    def reset(self) -> None:
        for f in dataclasses.fields(VitalThresholds):
            self.spins[f.name].setValue(getattr(VitalThresholds(), f.name))

    def save(self) -> bool:
        value = self.value()
        try:
            clinic.save_thresholds(self.ctx.vault, value)
        except VaultError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return False
        running = self.ctx.keep_alive.get("session")
        if running is not None and hasattr(running, "runner"):
            running.runner.thresholds = value
        self.ctx.notify("Vital-sign thresholds saved.", 4000)
        self.accept()
        return True
