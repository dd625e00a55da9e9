"""Ending the session: the discharge checklist, the modified Aldrete score and the debrief.

What is still missing is listed live in one status line, in the core rule's own words
(``SessionRunner.discharge_check``): recomputed from the current input on every change (and
every few seconds while the minimum time after the dose runs), so it never goes stale. A
refused ending shows its message in the same line. A safety note is required while a
suicide-risk flag is active; "Aldrete not scored" needs a written reason. The form is a draft that
autosaves into the vault (meta ``session_draft.<id>``, with a revision like every draft), so a
crash or a lock loses nothing.
Ending records the music's end, discharges, stores the debrief and opens the same-day
integration entry (``SessionRunner.end``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, QTime, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.discharge import ALDRETE_CRITERIA, ALDRETE_PASS, Discharge, Transfer
from kapcompanion.services import documents as document_service
from kapcompanion.services.session import discharge_draft_key
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.autosave import Autosaver, guard_conflicts
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.session.readiness import checklist_for
from kapcompanion.ui.session.vitals_panel import reading_text
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.conflict_banner import ConflictBanner
from kapcompanion.ui.widgets.fit import fit_to_screen
from kapcompanion.ui.widgets.form_keys import install_form_keys

CHECKS = (
    ("alert_oriented", "&Alert and oriented"),
    ("vitals_near_baseline", "&Vitals back near baseline"),
    ("walks_unassisted", "&Walks unassisted"),
    ("escort_present", "&Escort present"),
    ("aftercare_reminded", "Aftercare &reminded (no driving until tomorrow, no big decisions)"),
)


def draft_key(session_id: int) -> str:
    return discharge_draft_key(session_id)


class DischargeDialog(QDialog):
    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dischargeDialog")
        self.setWindowTitle(controller.ctx.title(f"End the session with {controller.label}"))
        self.controller = controller
        self.ctx = controller.ctx
        self.flag_active = controller.safety_flag_active()
        self.done_ok = False
        body = QWidget(self)
        column = QVBoxLayout(body)

        # a client taken to hospital does not go home: the handover replaces the criteria
        self.transfer_check = QCheckBox(
            "Transfer to emergency &care instead (the client does not go home)", body
        )
        self.transfer_check.setAccessibleName("Transfer to emergency care instead")
        column.addWidget(self.transfer_check)
        self.transfer_box = QGroupBox("Transfer to emergency care", body)
        transfer_form = QFormLayout(self.transfer_box)
        transfer_hint = QLabel(
            "The discharge criteria and the minimum time do not apply to a handover. "
            "Record who took the client over and why; it is kept with your name and audited.",
            self.transfer_box,
        )
        transfer_hint.setWordWrap(True)
        set_role(transfer_hint, "hint")
        transfer_form.addRow(transfer_hint)
        self.transfer_to = QLineEdit(self.transfer_box)
        self.transfer_to.setAccessibleName("Handed over to")
        self.transfer_to.setPlaceholderText("e.g. Paramedics (ambulance 14), to St Mary's ED")
        transfer_form.addRow("&Handed over to", self.transfer_to)
        self.transfer_reason = QLineEdit(self.transfer_box)
        self.transfer_reason.setAccessibleName("Why the client is transferred")
        self.transfer_reason.setPlaceholderText("What happened, in a sentence")
        transfer_form.addRow("Wh&y transferred", self.transfer_reason)
        self.transfer_box.setVisible(False)
        column.addWidget(self.transfer_box)

        checks = QGroupBox("Discharge checklist", body)
        self.home_parts: list[QWidget] = [checks]
        box = QVBoxLayout(checks)
        self.checks: dict[str, QCheckBox] = {}
        for key, label in CHECKS:
            check = QCheckBox(label, checks)
            check.setAccessibleName(label.replace("&", ""))
            self.checks[key] = check
            box.addWidget(check)
            if key == "vitals_near_baseline":
                hint = QLabel(self._vitals_hint(), checks)
                hint.setWordWrap(True)
                set_role(hint, "hint")
                box.addWidget(hint)
        self.escort_name = QLineEdit(self._escort_guess(), checks)
        self.escort_name.setAccessibleName("Escort's name")
        escort_row = QFormLayout()
        escort_row.addRow("Escort's &name", self.escort_name)
        box.addLayout(escort_row)
        column.addWidget(checks)

        aldrete = QGroupBox(f"Modified Aldrete score ({ALDRETE_PASS} or more to go home)", body)
        form = QFormLayout(aldrete)
        self.aldrete: dict[str, QComboBox] = {}
        for criterion in ALDRETE_CRITERIA:
            combo = QComboBox(aldrete)
            combo.setAccessibleName(f"Aldrete {criterion.label.lower()}")
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(24)
            combo.addItem("Not scored", None)
            for score, text in enumerate(criterion.levels):
                combo.addItem(f"{score}: {text}", score)
            self.aldrete[criterion.key] = combo
            form.addRow(criterion.label, combo)
        self.not_scored = QCheckBox("Aldrete is not scored for this session", aldrete)
        form.addRow("", self.not_scored)
        self.not_scored_reason = QLineEdit(aldrete)
        self.not_scored_reason.setAccessibleName("Why Aldrete is not scored")
        self.not_scored_reason.setPlaceholderText(
            "Why not, in a sentence (kept in the record and the audit log)"
        )
        self.not_scored_label = QLabel("&Why not scored", aldrete)
        self.not_scored_label.setBuddy(self.not_scored_reason)
        form.addRow(self.not_scored_label, self.not_scored_reason)
        self.total = QLabel(aldrete)
        self.total.setAccessibleName("Aldrete total")
        form.addRow("Total", self.total)
        column.addWidget(aldrete)
        self.home_parts.append(aldrete)

        self.safety_box = QGroupBox("Safety note (a suicide-risk flag is active)", body)
        safety_layout = QVBoxLayout(self.safety_box)
        self.safety_note = QPlainTextEdit(self.safety_box)
        self.safety_note.setAccessibleName("Safety note")
        self.safety_note.setPlaceholderText(
            "The safety plan reviewed with the client before they leave: warning signs, "
            "coping steps, who to call."
        )
        self.safety_note.setTabChangesFocus(True)
        self.safety_note.setMaximumHeight(90)
        safety_layout.addWidget(self.safety_note)
        self.safety_box.setVisible(self.flag_active)
        column.addWidget(self.safety_box)

        # esketamine (issue 16): the REMS asks when the client was ready to leave; before the
        # label's 120 minutes from the first device the end needs a written, audited reason
        self.esketamine_box = QGroupBox("Esketamine monitoring (REMS)", body)
        esk_form = QFormLayout(self.esketamine_box)
        self.monitoring = QLabel(self.esketamine_box)
        self.monitoring.setAccessibleName("Monitoring since the first device")
        self.monitoring.setWordWrap(True)
        esk_form.addRow("Monitoring", self.monitoring)
        now = controller.runner.clock.now().astimezone()
        self.ready_at = QTimeEdit(QTime(now.hour, now.minute), self.esketamine_box)
        self.ready_at.setDisplayFormat("HH:mm")
        self.ready_at.setAccessibleName("Time the client was ready to leave")
        esk_form.addRow("Ready to leave a&t", self.ready_at)
        self.esketamine_box.setVisible(controller.esketamine)
        column.addWidget(self.esketamine_box)

        # before the minimum time after the dose (any route): a client who meets every other
        # criterion may go with a written, audited reason (a transfer has its own box above)
        self.early_box = QGroupBox("Ending before the minimum time", body)
        early_form = QFormLayout(self.early_box)
        self.early_hint = QLabel(self.early_box)
        self.early_hint.setWordWrap(True)
        set_role(self.early_hint, "hint")
        early_form.addRow(self.early_hint)
        self.early_reason = QLineEdit(self.early_box)
        self.early_reason.setAccessibleName("Why the session ends before the minimum time")
        self.early_reason.setPlaceholderText(
            "Only to end early: why, in a sentence (kept with your name and audited)"
        )
        early_form.addRow("Early end rea&son", self.early_reason)
        column.addWidget(self.early_box)

        debrief_box = QGroupBox("Short debrief (opens the same-day integration entry)", body)
        debrief_layout = QVBoxLayout(debrief_box)
        self.debrief = QPlainTextEdit(debrief_box)
        self.debrief.setAccessibleName("Debrief note")
        self.debrief.setTabChangesFocus(True)
        self.debrief.setMaximumHeight(110)
        debrief_layout.addWidget(self.debrief)
        column.addWidget(debrief_box)
        column.addStretch(1)  # with the home checklist hidden, the boxes keep their height

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.missing = QLabel(self)
        self.missing.setWordWrap(True)
        self.missing.setAccessibleName("Discharge status")
        # room for three lines, so the buttons do not move as the message changes
        self.missing.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 4)
        self.missing.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        #: a refused ending is shown in the same status line (one message, never a stale one)
        self.error = self.missing
        self.buttons = QDialogButtonBox(self)
        self.end_button = self.buttons.addButton(
            "&Discharge and end session", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.end_button.setProperty("primary", "true")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.finish)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.missing)
        layout.addWidget(self.buttons)

        self.autosaver = Autosaver(
            self.save_draft, self, about_to_lock=self.ctx.signals.about_to_lock
        )
        self.conflict_banner = ConflictBanner("discharge form")  # the same form in two windows
        layout.insertWidget(0, self.conflict_banner)
        guard_conflicts(
            self.autosaver, self.conflict_banner, self.ctx, self.draft, self._kept_draft
        )
        self.draft_revision = 0
        self._load_draft()
        for check in self.checks.values():
            check.toggled.connect(self._changed)
        for combo in self.aldrete.values():
            combo.currentIndexChanged.connect(self._changed)
        self.not_scored.toggled.connect(self._changed)
        for edit in (
            self.escort_name,
            self.not_scored_reason,
            self.early_reason,
            self.transfer_to,
            self.transfer_reason,
        ):
            edit.textChanged.connect(self._changed)
        self.transfer_check.toggled.connect(self._changed)
        for plain in (self.safety_note, self.debrief):
            plain.textChanged.connect(self._changed)
        self._refresh()
        # the minimum time after the dose runs down while the dialog is open
        self.ticker = QTimer(self)
        self.ticker.setInterval(5000)
        self.ticker.timeout.connect(self._refresh)
        self.ticker.start()
        fit_to_screen(self, 760, 660)
        self.checks["alert_oriented"].setFocus()
        # the form is a draft kept as it changes: Ctrl+S keeps it now, Ctrl+Enter ends the
        # session (as the End button), Escape leaves the draft for later
        self.keys = install_form_keys(
            self, save=self.save_draft, confirm=self.finish, modified=lambda: False
        )

    # ------------------------------------------------------------------ helpers
    def _vitals_hint(self) -> str:
        readings = [r for _vid, r in self.controller.runner.vitals()]
        if not readings:
            return "No vitals were recorded in this session."
        before = [r for r in readings if r.pre_dose]
        parts = []
        if before:
            parts.append("Before the dose: " + reading_text(before[-1]).split("   ", 1)[-1])
        parts.append("Latest: " + reading_text(readings[-1]).split("\n")[0])
        return "\n".join(parts)

    def _escort_guess(self) -> str:
        checklist = checklist_for(self.ctx.repos, self.controller.session_id)
        if checklist is not None:
            for state in checklist.items.values():
                if state.contact is not None and state.contact.name.strip():
                    return state.contact.name.strip()
        return ""

    def discharge(self) -> Discharge:
        scores: dict[str, int | None] = {k: c.currentData() for k, c in self.aldrete.items()}
        return Discharge(
            alert_oriented=self.checks["alert_oriented"].isChecked(),
            vitals_near_baseline=self.checks["vitals_near_baseline"].isChecked(),
            walks_unassisted=self.checks["walks_unassisted"].isChecked(),
            escort_present=self.checks["escort_present"].isChecked(),
            aftercare_reminded=self.checks["aftercare_reminded"].isChecked(),
            aldrete=scores,
            safety_note=self.safety_note.toPlainText().strip(),
            escort_name=self.escort_name.text().strip(),
            aldrete_not_scored=self.not_scored.isChecked(),
            aldrete_not_scored_reason=(
                " ".join(self.not_scored_reason.text().split())
                if self.not_scored.isChecked()
                else ""
            ),
        )

    def _changed(self) -> None:
        self._refresh()
        self.autosaver.touch()

    def transfer(self) -> Transfer | None:
        """The handover, when the session ends with a transfer to emergency care."""
        if not self.transfer_check.isChecked():
            return None
        return Transfer(self.transfer_to.text(), self.transfer_reason.text())

    def _refresh(self) -> None:
        if self.done_ok or not self.ctx.vault.is_open:
            return
        transfer = self.transfer()
        home = transfer is None
        self.transfer_box.setVisible(not home)
        for part in self.home_parts:
            part.setVisible(home)
        self.end_button.setText(
            "&Discharge and end session" if home else "&Document the transfer and end the session"
        )
        self.safety_box.setVisible(home and self.flag_active)
        self.esketamine_box.setVisible(home and self.controller.esketamine)
        not_scored = self.not_scored.isChecked()
        self.not_scored_reason.setVisible(not_scored)
        self.not_scored_label.setVisible(not_scored)
        try:
            too_soon = home and self.controller.runner.too_soon_to_discharge()
            if home and self.controller.esketamine:
                self._show_monitoring()
            self._show_early(home, too_soon)
            early = self.early_reason.text() if home else ""
            check = self.controller.discharge_check(self.discharge(), early, transfer)
        except VaultError as exc:
            self.missing.setText(exc.message)
            set_role(self.missing, "error")
            return
        if home:
            self._show_total(check.aldrete_total, not_scored)
        if check.ready:
            self.missing.setText(
                "Ready for discharge." if home else "Ready to end the session with the transfer."
            )
            set_role(self.missing, "ok")
        else:
            text = "Still missing: " + "; ".join(check.missing) + "."
            if too_soon and not self.early_reason.text():
                text += " To end sooner, write why under “Ending before the minimum time”."
            self.missing.setText(text)
            set_role(self.missing, "warning")

    def _show_total(self, total: int | None, not_scored: bool) -> None:
        if not_scored:
            self.total.setText("Not scored (reason below)")
            set_role(self.total, "hint")
        elif total is None:
            self.total.setText("Not complete")
            set_role(self.total, "hint")
        else:
            passed = total >= ALDRETE_PASS
            self.total.setText(f"{total} of 10 " + ("(passes)" if passed else "(below 9)"))
            set_role(self.total, "ok" if passed else "warning")

    def _show_monitoring(self) -> None:
        runner = self.controller.runner
        dose = runner.session.dose_utc
        if dose is None:
            self.monitoring.setText("The first device is not marked.")
            return
        minutes = int((runner.clock.now() - dose).total_seconds() // 60)
        left = runner.monitoring_left_s()
        text = f"{minutes} min since the first device ({wording.time_of_day(dose.astimezone())})"
        if left > 0:
            text += f"; the label asks for {int(-(-left // 60))} min more"
        self.monitoring.setText(text + ".")
        set_role(self.monitoring, "warning" if left > 0 else "ok")

    def _show_early(self, home: bool, too_soon: bool) -> None:
        """The early-end reason is offered only while it is too soon to discharge (and never
        for a transfer, which has its own reason)."""
        runner = self.controller.runner
        self.early_box.setVisible(home and (too_soon or bool(self.early_reason.text().strip())))
        if not too_soon:
            self.early_hint.setText(
                "The minimum time has passed: no reason is needed, and none is kept."
            )
            return
        wait = runner.dose_wait()
        if runner.esketamine:
            self.early_hint.setText(
                "The label asks for at least 120 minutes from the first device. To end "
                "sooner (the prescriber agrees, a client who leaves against advice), write why. "
                "A transfer to emergency care is ticked at the top instead."
            )
        elif wait is not None:
            self.early_hint.setText(
                f"The clinic's minimum is {wait.minimum_min:g} min after the last "
                f"{wait.route_label} dose. To end sooner (the prescriber agrees, a client who "
                "leaves against advice), write why; every other item still applies. A transfer "
                "to emergency care is ticked at the top instead."
            )

    def ready_to_leave_utc(self) -> datetime | None:
        """Today's date at the time entered, in UTC (esketamine sessions only)."""
        if not self.controller.esketamine:
            return None
        now = self.controller.runner.clock.now().astimezone()
        t = self.ready_at.time()
        local = now.replace(hour=t.hour(), minute=t.minute(), second=0, microsecond=0)
        dose = self.controller.runner.session.dose_utc
        if dose is not None and timedelta(0) < dose - local < timedelta(minutes=1):
            local = dose.astimezone()  # the minute of the first device itself
        return min(local, now)

    # ------------------------------------------------------------------ draft
    def draft(self) -> dict[str, Any]:
        return {
            "checks": {k: c.isChecked() for k, c in self.checks.items()},
            "escort_name": self.escort_name.text(),
            "aldrete": {k: c.currentData() for k, c in self.aldrete.items()},
            "not_scored": self.not_scored.isChecked(),
            "not_scored_reason": self.not_scored_reason.text(),
            "safety_note": self.safety_note.toPlainText(),
            "debrief": self.debrief.toPlainText(),
            "early_reason": self.early_reason.text(),
            "transfer": self.transfer_check.isChecked(),
            "transfer_to": self.transfer_to.text(),
            "transfer_reason": self.transfer_reason.text(),
        }

    def save_draft(self) -> None:
        if self.done_ok or not self.ctx.vault.is_open:
            return
        self.draft_revision = document_service.save_draft(
            self.ctx.repos,
            draft_key(self.controller.session_id),
            self.draft(),
            self.draft_revision,
            client_id=self.controller.runner.client_id,
        )

    def _kept_draft(self, _doc: object) -> None:
        """Show the form as kept after a choice on the conflict strip."""
        self._load_draft()
        self._refresh()

    def _load_draft(self) -> None:
        loaded = document_service.load_draft(self.ctx.repos, draft_key(self.controller.session_id))
        self.draft_revision = loaded.revision
        data = loaded.value
        if not isinstance(data, dict):
            return
        for key, value in (data.get("checks") or {}).items():
            if key in self.checks:
                self.checks[key].setChecked(bool(value))
        if data.get("escort_name"):
            self.escort_name.setText(str(data["escort_name"]))
        for key, value in (data.get("aldrete") or {}).items():
            if key in self.aldrete:
                combo = self.aldrete[key]
                combo.setCurrentIndex(max(0, combo.findData(value)))
        self.not_scored.setChecked(bool(data.get("not_scored")))
        self.not_scored_reason.setText(str(data.get("not_scored_reason") or ""))
        self.safety_note.setPlainText(str(data.get("safety_note") or ""))
        self.debrief.setPlainText(str(data.get("debrief") or ""))
        self.early_reason.setText(str(data.get("early_reason") or ""))
        self.transfer_to.setText(str(data.get("transfer_to") or ""))
        self.transfer_reason.setText(str(data.get("transfer_reason") or ""))
        self.transfer_check.setChecked(bool(data.get("transfer")))

    # ------------------------------------------------------------------ ending
    def finish(self) -> bool:
        try:
            self.controller.end(
                self.discharge(),
                self.debrief.toPlainText(),
                early_end_reason=self.early_reason.text(),
                ready_to_leave_utc=self.ready_to_leave_utc(),
                transfer=self.transfer(),
            )
        except VaultError as exc:
            self.missing.setText(exc.message)
            set_role(self.missing, "error")
            return False
        self.done_ok = True  # the draft was removed with the end (``SessionRunner.end``)
        self.ticker.stop()
        self.accept()
        return True

    def keyPressEvent(self, event: Any) -> None:
        # Enter in a checkbox must not end the session by accident: only the button does.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.end_button.hasFocus():
            event.accept()
            return
        super().keyPressEvent(event)
