"""Planning a dosing session: route, weight, dose (mg/kg or a fixed total), infusion length,
lot, band, planned phases and the vitals schedule.

Both dose figures are always shown with their units: the one typed and the one computed
(``core.dose``). Problems are listed as they appear, in the core rule's words: errors block
saving; a dose outside the usual range for the route asks for a written reason, which is
stored with the plan. Phase lengths start from the clinic's default for the route, which can
be saved from here (vault ``phase_defaults``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.clock import PhaseKind, PlannedPhase
from kapcompanion.core.dose import (
    DoseBand,
    DosePlan,
    IssueKind,
    Route,
    complete_plan,
    fmt,
    per_kg_from_total,
    suggest_band,
    total_from_per_kg,
    validate_plan,
)
from kapcompanion.core.models import CourseStatus, DosingSession, SessionStatus
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.services import clinic
from kapcompanion.services.session import SessionError, plan_session
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role

PHASE_ORDER = (
    PhaseKind.ARRIVAL,
    PhaseKind.ONSET,
    PhaseKind.PEAK,
    PhaseKind.RETURN,
    PhaseKind.DEBRIEF,
)


class PlanDialog(QDialog):
    saved = Signal(object)  # DosingSession

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        session: DosingSession | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("planDialog")
        self.ctx = ctx
        self.client_id = client_id
        self.session = session
        number = session.number if session else None
        self.setWindowTitle(ctx.title(f"Plan session {number}" if number else "Plan a session"))
        self._loading = True

        self.route = QComboBox(self)
        self.route.setAccessibleName("Route")
        for route in Route:
            self.route.addItem(route.label, route.value)
        self.weight = QDoubleSpinBox(self)
        self.weight.setRange(0, 400)
        self.weight.setDecimals(1)
        self.weight.setSuffix(" kg")
        self.weight.setAccessibleName("Weight in kg")
        self.per_kg_mode = QRadioButton("mg/&kg", self)
        self.total_mode = QRadioButton("fixed &total in mg", self)
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.per_kg_mode)
        self.mode.addButton(self.total_mode)
        self.per_kg_mode.setChecked(True)
        self.dose = QDoubleSpinBox(self)
        self.dose.setRange(0, 2000)
        self.dose.setAccessibleName("Dose")
        self.computed = QLabel(self)
        self.computed.setAccessibleName("Computed dose")
        self.infusion = QSpinBox(self)
        self.infusion.setRange(0, 24 * 60)
        self.infusion.setSuffix(" min")
        self.infusion.setValue(40)
        self.infusion.setAccessibleName("Infusion length in minutes")
        self.lot = QLineEdit(self)
        self.lot.setAccessibleName("Lot number")
        self.band = QComboBox(self)
        self.band.setAccessibleName("Dose band")
        self.band.addItem("Suggest from the dose", None)
        for band, text in (
            (DoseBand.LOW, "Low (psycholytic, can talk)"),
            (DoseBand.MODERATE, "Moderate"),
            (DoseBand.HIGH, "High"),
        ):
            self.band.addItem(text, band.value)
        self.band_hint = QLabel(self)
        set_role(self.band_hint, "hint")
        self.when_on = QCheckBox("Planned &for", self)
        self.when = QDateTimeEdit(self)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        tomorrow = QDateTime.currentDateTime().addDays(1)
        tomorrow.setTime(QTime(10, 0))
        self.when.setDateTime(tomorrow)
        self.when.setAccessibleName("Planned date and time")
        self.vitals_every = QSpinBox(self)
        self.vitals_every.setRange(5, 60)
        self.vitals_every.setValue(15)
        self.vitals_every.setSuffix(" min")
        self.vitals_every.setAccessibleName("Vitals every")

        dose_row = QHBoxLayout()
        dose_row.addWidget(self.dose, 1)
        dose_row.addWidget(self.per_kg_mode)
        dose_row.addWidget(self.total_mode)
        when_row = QHBoxLayout()
        when_row.addWidget(self.when_on)
        when_row.addWidget(self.when, 1)
        form = QFormLayout()
        form.addRow("&Route", self.route)
        form.addRow("&Weight", self.weight)
        dose_label = QLabel("&Dose", self)
        dose_label.setBuddy(self.dose)
        form.addRow(dose_label, dose_row)
        form.addRow("", self.computed)
        form.addRow("&Infusion length", self.infusion)
        form.addRow("&Lot number", self.lot)
        form.addRow("Dose &band", self.band)
        form.addRow("", self.band_hint)
        form.addRow("", when_row)
        self.form = form

        phases_box = QGroupBox("Planned phases", self)
        grid = QGridLayout(phases_box)
        self.phase_spins: dict[PhaseKind, QDoubleSpinBox] = {}
        for column, kind in enumerate(PHASE_ORDER):
            label = QLabel(kind.label, phases_box)
            label.setWordWrap(True)
            spin = QDoubleSpinBox(phases_box)
            spin.setRange(1, 600)
            spin.setDecimals(0)
            spin.setSuffix(" min")
            spin.setAccessibleName(f"{kind.label} in minutes")
            label.setBuddy(spin)
            grid.addWidget(label, 0, column)
            grid.addWidget(spin, 1, column)
            self.phase_spins[kind] = spin
        self.reset_phases = QPushButton("Clinic defa&ult", phases_box)
        self.reset_phases.setToolTip("Use the clinic's default phase lengths for this route")
        self.save_phases = QPushButton("&Make these the clinic default", phases_box)
        self.save_phases.setToolTip("Make these lengths the clinic's default for this route")
        self.phases_note = QLabel(phases_box)
        set_role(self.phases_note, "hint")
        self.phases_note.setWordWrap(True)
        grid.addWidget(self.phases_note, 2, 0, 1, 3)
        grid.addWidget(self.reset_phases, 2, 3)
        grid.addWidget(self.save_phases, 2, 4)
        vitals_row = QHBoxLayout()
        vitals_label = QLabel("&Vitals: before dosing, every", self)
        vitals_label.setBuddy(self.vitals_every)
        vitals_row.addWidget(vitals_label)
        vitals_row.addWidget(self.vitals_every)
        vitals_row.addWidget(QLabel("and at the end", self))
        vitals_row.addStretch(1)

        self.issues = QLabel(self)
        self.issues.setWordWrap(True)
        self.issues.setAccessibleName("Problems with the plan")
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason for a dose outside the usual range")
        self.reason.setPlaceholderText("Only needed for a dose outside the usual range")
        self.reason_label = QLabel("Reaso&n", self)
        self.reason_label.setBuddy(self.reason)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.reason_label)
        reason_row.addWidget(self.reason, 1)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(phases_box)
        layout.addLayout(vitals_row)
        layout.addWidget(self.issues)
        layout.addLayout(reason_row)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.route.currentIndexChanged.connect(self._route_changed)
        for spin in (self.weight, self.dose):
            spin.valueChanged.connect(self._refresh)
        self.infusion.valueChanged.connect(self._refresh)
        self.mode.buttonToggled.connect(self._mode_changed)
        self.band.currentIndexChanged.connect(self._refresh)
        self.reason.textChanged.connect(self._refresh)
        self.when_on.toggled.connect(self.when.setEnabled)
        self.reset_phases.clicked.connect(self._load_phase_defaults)
        self.save_phases.clicked.connect(self.save_phase_defaults)
        self._fill(session)
        self._loading = False
        self._mode_changed()
        self.route.setFocus()

    # ------------------------------------------------------------------ filling
    def _fill(self, session: DosingSession | None) -> None:
        plan = load(DosePlan, session.plan) if session and session.plan else None
        if plan is None:
            previous = [s for s in self.ctx.repos.sessions.for_client(self.client_id) if s.plan]
            if previous:  # start from the last plan: same route, weight, lot usually differ
                last = load(DosePlan, previous[-1].plan)
                plan = replace(last, lot="", out_of_range_reason=None)
        if plan is not None:
            self.route.setCurrentIndex(self.route.findData(Route(plan.route).value))
            self.weight.setValue(plan.weight_kg)
            if plan.mg_per_kg is None and plan.total_mg is not None:
                self.total_mode.setChecked(True)
                self._mode_changed()
                self.dose.setValue(plan.total_mg)
            else:
                self._mode_changed()
                self.dose.setValue(plan.mg_per_kg or 0)
            if plan.infusion_minutes:
                self.infusion.setValue(plan.infusion_minutes)
            self.lot.setText(plan.lot)
            if plan.band is not None and session is not None:
                self.band.setCurrentIndex(self.band.findData(DoseBand(plan.band).value))
            self.reason.setText(plan.out_of_range_reason or "")
        else:
            self.route.setCurrentIndex(self.route.findData(Route.IM.value))
        if session is not None and session.phases:
            for p in session.phases:
                phase = load(PlannedPhase, p)
                self.phase_spins[phase.kind].setValue(phase.minutes)
            self.phases_note.setText("This session's planned lengths.")
        else:
            self._load_phase_defaults()
        if session is not None:
            self.vitals_every.setValue(session.vitals_every_min)
            if session.planned_for is not None:
                self.when_on.setChecked(True)
                self.when.setDateTime(
                    QDateTime.fromSecsSinceEpoch(int(session.planned_for.timestamp()))
                )
        self.when.setEnabled(self.when_on.isChecked())

    def route_value(self) -> Route:
        return Route(self.route.currentData())

    def _route_changed(self) -> None:
        if not self._loading:
            self._load_phase_defaults()
        self._refresh()

    def _load_phase_defaults(self) -> None:
        phases = clinic.phase_defaults(self.ctx.vault, self.route_value())
        given = {p.kind: p.minutes for p in phases}
        for kind, spin in self.phase_spins.items():
            spin.setValue(given.get(kind, spin.value()))
        self.phases_note.setText(f"The clinic's default for {self.route_value().label}.")

    def phases(self) -> list[PlannedPhase]:
        return [PlannedPhase(kind, spin.value()) for kind, spin in self.phase_spins.items()]

    def save_phase_defaults(self) -> None:
        try:
            clinic.save_phase_defaults(self.ctx.vault, self.route_value(), self.phases())
        except (ValueError, VaultError) as exc:
            self._show_error(str(exc))
            return
        self.phases_note.setText(f"Saved as the clinic's default for {self.route_value().label}.")

    def _mode_changed(self, *_args: object) -> None:
        if self.per_kg_mode.isChecked():
            self.dose.setDecimals(2)
            self.dose.setSingleStep(0.05)
            self.dose.setSuffix(" mg/kg")
        else:
            self.dose.setDecimals(1)
            self.dose.setSingleStep(5)
            self.dose.setSuffix(" mg")
        self._refresh()

    # ------------------------------------------------------------------ the plan
    def plan(self) -> DosePlan:
        route = self.route_value()
        value = self.dose.value() or None
        per_kg = value if self.per_kg_mode.isChecked() else None
        total = value if self.total_mode.isChecked() else None
        band_value = self.band.currentData()
        plan = DosePlan(
            route=route,
            weight_kg=self.weight.value(),
            mg_per_kg=per_kg,
            total_mg=total,
            infusion_minutes=self.infusion.value() if route is Route.IV else None,
            lot=self.lot.text().strip(),
            band=DoseBand(band_value) if band_value else None,
            out_of_range_reason=self.reason.text().strip() or None,
        )
        if plan.band is None and plan.weight_kg > 0 and value:
            per = per_kg if per_kg is not None else per_kg_from_total(plan.weight_kg, value)
            plan = replace(plan, band=suggest_band(route, per))
        return plan

    def _refresh(self, *_args: object) -> None:
        if self._loading:
            return
        route = self.route_value()
        self.infusion.setEnabled(route is Route.IV)  # disabled, not hidden: no layout jumps
        self.infusion.setToolTip("" if route is Route.IV else "Only for an IV infusion")
        weight, value = self.weight.value(), self.dose.value()
        if weight > 0 and value > 0:
            if self.per_kg_mode.isChecked():
                self.computed.setText(
                    f"= {fmt(total_from_per_kg(weight, value))} mg in total "
                    f"({fmt(value)} mg/kg × {fmt(weight)} kg)"
                )
            else:
                self.computed.setText(
                    f"= {fmt(per_kg_from_total(weight, value))} mg/kg "
                    f"({fmt(value)} mg ÷ {fmt(weight)} kg)"
                )
        else:
            self.computed.setText("Enter the weight and the dose; the other figure is computed.")
        plan = self.plan()
        if self.band.currentData() is None:
            self.band_hint.setText(
                f"Suggested: {plan.band.value}" if plan.band else "No suggestion for this route."
            )
        else:
            self.band_hint.setText("")
        issues = validate_plan(complete_plan(plan)) if weight > 0 else []
        errors = [i.message for i in issues if i.kind is IssueKind.ERROR]
        confirms = [i.message for i in issues if i.kind is IssueKind.CONFIRM]
        if weight <= 0:
            errors = ["Enter the client's weight in kg."]
        if errors or confirms:
            self.issues.setText(" ".join(errors or confirms))
            set_role(self.issues, "error" if errors else "warning")
        else:
            self.issues.setText(f"Within the usual {route.label} range.")
            set_role(self.issues, "ok")
        needs_reason = bool(confirms) and not errors
        self.reason.setPlaceholderText(
            "Why this dose (required: it is outside the usual range)"
            if needs_reason
            else "Only needed for a dose outside the usual range"
        )

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _course_id(self) -> int | None:
        if self.session is not None:
            return self.session.course_id
        active = [
            c
            for c in self.ctx.repos.courses.for_client(self.client_id)
            if c.status is CourseStatus.ACTIVE
        ]
        return active[-1].id if active else None

    def _planned_for(self) -> datetime | None:
        if not self.when_on.isChecked():
            return None
        return datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), UTC)

    # ------------------------------------------------------------------ saving
    def save(self) -> DosingSession | None:
        plan = self.plan()
        try:
            if self.session is None:
                stored = plan_session(
                    self.ctx.repos,
                    self.client_id,
                    plan,
                    course_id=self._course_id(),
                    phases=self.phases(),
                    planned_for=self._planned_for(),
                    vitals_every_min=self.vitals_every.value(),
                )
            else:
                stored = self._update(plan)
        except SessionError as exc:
            self._show_error(exc.message)
            if "reason" in exc.message:
                self.reason.setFocus()
            return None
        except VaultError as exc:
            self._show_error(exc.message)
            return None
        self.session = stored
        self.saved.emit(stored)
        self.accept()
        return stored

    def _update(self, plan: DosePlan) -> DosingSession:
        """Edit a planned session with the same rules ``plan_session`` applies."""
        assert self.session is not None
        current = self.ctx.repos.sessions.get(self.session.id or 0)
        if current.status is not SessionStatus.PLANNED:
            raise SessionError("This session has started; its plan can no longer change.")
        plan = complete_plan(plan)
        issues = validate_plan(plan)
        errors = [i.message for i in issues if i.kind is IssueKind.ERROR]
        if errors:
            raise SessionError(" ".join(errors))
        confirms = [i.message for i in issues if i.kind is IssueKind.CONFIRM]
        if confirms and not (plan.out_of_range_reason or "").strip():
            raise SessionError(" ".join(confirms) + " Confirm with a reason to go on.")
        return self.ctx.repos.sessions.save(
            replace(
                current,
                plan=to_jsonable(plan),
                phases=[to_jsonable(p) for p in self.phases()],
                planned_for=self._planned_for(),
                vitals_every_min=self.vitals_every.value(),
            ),
            action="session.replan",
        )
