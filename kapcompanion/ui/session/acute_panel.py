"""Acute-effect checks in one key (issue 16): sedation on the MOAA/S, dissociation, breathing.

Shown in esketamine sessions (and in every session when the clinic asks for it). On the
session screen the keys 5 to 0 record a MOAA/S score at once, against the session clock;
I moves to the dissociation entry, R to breathing. A MOAA/S of 3 or less, or respiratory
depression, opens the session's alert (``services.session``). The next check due follows the
clinic's schedule (``acute_check_first_hour_minutes``, ``acute_check_after_minutes``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import esketamine as esk
from kapcompanion.core import wording
from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.session.alert import ReasonDialog
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.theme import set_role

#: MOAA/S keys in the order shown: the alert end last
MOAAS_KEYS: tuple[int, ...] = (5, 4, 3, 2, 1, 0)


class AcutePanel(QFrame):
    notice = Signal(str)

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("acutePanel")
        self.setProperty("role", "card")
        self.controller = controller
        self.dialog: ReasonDialog | None = None
        self.setAccessibleName("Sedation, dissociation, breathing")
        self.due = QLabel(self)
        self.due.setAccessibleName("Next check")
        set_role(self.due, "hint")
        self.last = QLabel(self)
        self.last.setAccessibleName("Last sedation score")
        self.last.setWordWrap(True)
        set_role(self.last, "hint")
        self.moaas: dict[int, QPushButton] = {}
        moaas_row = QHBoxLayout()
        moaas_label = QLabel("<b>Sedation</b> MOAA/S (keys 5–0)", self)
        moaas_label.setToolTip("\n".join(esk.moaas_text(s) for s in MOAAS_KEYS))
        moaas_row.addWidget(moaas_label)
        for score in MOAAS_KEYS:
            button = QPushButton(str(score), self)
            button.setAccessibleName(f"MOAA/S {score}: {esk.MOAAS[score]}")
            button.setToolTip(esk.moaas_text(score))
            button.setMinimumWidth(40)
            button.setMaximumWidth(48)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, s=score: self.record_sedation(s))
            moaas_row.addWidget(button)
            self.moaas[score] = button
        self.dissociation = QComboBox(self)
        self.dissociation.setAccessibleName("Dissociation")
        for level in esk.Dissociation:
            self.dissociation.addItem(level.label, level.value)
        self.dissociation_note = QLineEdit(self)
        self.dissociation_note.setAccessibleName("Dissociation note")
        self.dissociation_note.setPlaceholderText("Note (optional)")
        self.dissociation_note.returnPressed.connect(self.record_dissociation)
        self.dissociation_button = QPushButton("Record", self)
        self.dissociation_button.setAutoDefault(False)
        self.dissociation_button.clicked.connect(self.record_dissociation)
        self.breathing_ok = QPushButton("Breathing normal", self)
        self.breathing_ok.setAccessibleName("No respiratory depression observed")
        self.breathing_ok.setAutoDefault(False)
        self.breathing_ok.clicked.connect(lambda: self.record_breathing(False))
        self.breathing_bad = QPushButton("Respiratory depression…", self)
        self.breathing_bad.setAccessibleName("Respiratory depression observed: say what was done")
        self.breathing_bad.setAutoDefault(False)
        self.breathing_bad.clicked.connect(self.open_depression)
        self.breathing_ok.setText("Normal")
        self.breathing_bad.setText("Depression…")
        breath_label = QLabel("B&reathing", self)
        breath_label.setBuddy(self.breathing_ok)
        self.last.setWordWrap(False)
        moaas_row.addStretch(1)
        moaas_row.addWidget(self.last)
        dissociation_row = QHBoxLayout()
        dis_label = QLabel("D&issociation", self)
        dis_label.setBuddy(self.dissociation)
        dissociation_row.addWidget(dis_label)
        dissociation_row.addWidget(self.dissociation)
        dissociation_row.addWidget(self.dissociation_note, 1)
        dissociation_row.addWidget(self.dissociation_button)
        breathing_row = QHBoxLayout()
        breathing_row.addWidget(breath_label)
        breathing_row.addWidget(self.breathing_ok)
        breathing_row.addWidget(self.breathing_bad)
        breathing_row.addStretch(1)
        breathing_row.addWidget(self.due)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addLayout(moaas_row)
        layout.addLayout(dissociation_row)
        layout.addLayout(breathing_row)
        controller.ticked.connect(self._tick)
        controller.event_committed.connect(self._committed)
        self._show_last()
        self._tick()

    # ------------------------------------------------------------------ display
    def _tick(self) -> None:
        if self.controller.disposed:
            return
        view = self.controller.check_view()
        self.due.setText(view.text)
        set_role(self.due, "warning" if view.now else "hint")

    def _committed(self, event: SessionEvent) -> None:
        if event.kind is EventKind.SEDATION_CHECK:
            self._show_last()

    def _show_last(self) -> None:
        scores = [e for e in self.controller.runner.events() if e.kind is EventKind.SEDATION_CHECK]
        if not scores:
            self.last.setText("No score yet.")
            return
        e = scores[-1]
        score = e.payload.get("moaas")
        at = wording.time_of_day(e.utc.astimezone())
        text = esk.moaas_text(score) if isinstance(score, int) else "?"
        self.last.setText(f"Last: MOAA/S {score} at {at}")
        self.last.setToolTip(text)

    # ------------------------------------------------------------------ actions
    def _do(self, act: object) -> SessionEvent | None:
        try:
            event = act()  # type: ignore[operator]
        except VaultError as exc:
            self.notice.emit(exc.message)
            return None
        assert isinstance(event, SessionEvent)
        return event

    def record_sedation(self, score: int) -> SessionEvent | None:
        event = self._do(lambda: self.controller.record_sedation(score))
        if event is not None:
            alert = " The alert stays until acknowledged." if event.payload.get("alert") else ""
            self.notice.emit(f"Recorded {esk.moaas_text(score)}.{alert}")
        return event

    def record_dissociation(self) -> SessionEvent | None:
        level = str(self.dissociation.currentData())
        note = self.dissociation_note.text()
        event = self._do(lambda: self.controller.record_dissociation(level, note))
        if event is not None:
            self.dissociation_note.clear()
            self.notice.emit(f"Recorded dissociation: {level}.")
        return event

    def record_breathing(self, depressed: bool, action: str = "") -> SessionEvent | None:
        event = self._do(lambda: self.controller.record_respiration(depressed, action))
        if event is not None and not depressed:
            self.notice.emit("Recorded: breathing normal, no respiratory depression.")
        return event

    def open_depression(self) -> ReasonDialog:
        ctl = self.controller
        dialog = ReasonDialog(
            ctl.ctx.title("Respiratory depression observed"),
            "Respiratory depression observed now. Say what was done; the session's alert "
            "opens and stays until acknowledged.",
            "&What was done (kept in the record and the audit log)",
            "&Record",
            lambda text: ctl.record_respiration(True, text),
            self.window(),
            placeholder="e.g. Stimulated and repositioned; oxygen 2 L by nasal cannula; "
            "SpO2 back to 96%.",
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def focus_dissociation(self) -> None:
        self.dissociation.setFocus()

    def focus_breathing(self) -> None:
        self.breathing_ok.setFocus()
