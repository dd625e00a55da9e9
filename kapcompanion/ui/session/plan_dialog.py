"""Planning a dosing session: route, weight, dose (mg/kg or a fixed total), infusion length,
lot, band, planned phases and the vitals schedule.

Both dose figures are always shown with their units: the one typed and the one computed
(``core.dose``). The weight has its unit (kg or lb, the clinic's default first; text such as
"150 lb" is read in its unit) and starts from the client record's dated weight. Switching
between mg/kg and a fixed total converts the dose: 35 mg at 70 kg stays 35 mg, shown as
0.50 mg/kg.

One message area, recomputed from the current values on every change, says where the dose
stands (issue 22: no stale messages, no message twice): within the usual range; outside it
(a reason of substance is needed, ``core.reasons``); above it, up to the clinic's maximum (a
reason and, on saving, a confirmation that names the dose); above the maximum (refused). The
area keeps its height, so nothing moves under the pointer. Phase lengths start from the
clinic's default for the route, which can be saved from here (vault ``phase_defaults``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QResizeEvent
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
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import esketamine as esk
from kapcompanion.core import wording
from kapcompanion.core.clock import PhaseKind, PlannedPhase
from kapcompanion.core.dose import (
    USUAL_RANGES,
    DoseBand,
    DosePlan,
    DoseRefused,
    IssueKind,
    Route,
    complete_plan,
    confirmation_question,
    dose_words,
    fmt,
    is_above_usual,
    maximum_text,
    per_kg_from_total,
    resolved,
    suggest_band,
    total_from_per_kg,
    validate_plan,
)
from kapcompanion.core.models import CourseStatus, DosingSession
from kapcompanion.core.reasons import reason_problem
from kapcompanion.core.serial import load
from kapcompanion.core.touch import format_date
from kapcompanion.core.units import Weight, WeightUnit
from kapcompanion.services import clients as client_service
from kapcompanion.services import clinic
from kapcompanion.services import dose as dose_service
from kapcompanion.services import session as session_service
from kapcompanion.services.session import plan_session
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.fit import fit_to_screen, scroll_down
from kapcompanion.ui.widgets.form_keys import changed_since_now, install_form_keys
from kapcompanion.ui.widgets.measure_field import WeightField

PHASE_ORDER = (
    PhaseKind.ARRIVAL,
    PhaseKind.ONSET,
    PhaseKind.PEAK,
    PhaseKind.RETURN,
    PhaseKind.DEBRIEF,
)


def ask_to_confirm(parent: QWidget, question: str) -> bool:
    """The second, explicit confirmation of a dose above the usual range; "Go back" is the
    default, so Enter does not give the dose."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Confirm the dose")
    box.setText(question)
    box.setInformativeText("The plan, the sessions list and the record will mark it.")
    give = box.addButton("Give this dose", QMessageBox.ButtonRole.AcceptRole)
    back = box.addButton("Go back", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(back)
    box.exec()
    return box.clickedButton() is give


#: the route list's entry for the esketamine preset (intranasal, devices of 28 mg)
ESKETAMINE_ITEM = "esketamine"


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
        self._converting = False
        #: after a mode switch, the exact pair the switch converted (per kg, total, weight), so
        #: switching does not drift the dose by rounding; any edit of dose or weight drops it
        self._pinned: tuple[float, float, float] | None = None
        self._save_problem = ""  # shown until the next change, in the one message area
        #: asks the second confirmation; replaceable in tests
        self.confirm_dose: Callable[[str], bool] = lambda q: ask_to_confirm(self, q)
        self.maxima = dose_service.clinic_maxima(ctx.vault)
        self.record_weight = self._record_weight()

        self.route = QComboBox(self)
        self.route.setAccessibleName("Route")
        for route in Route:
            self.route.addItem(route.label, route.value)
        # the esketamine preset (issue 16): intranasal esketamine in devices of 28 mg
        self.route.addItem("Esketamine nasal spray (Spravato)", ESKETAMINE_ITEM)
        self.devices = QComboBox(self)
        self.devices.setAccessibleName("Esketamine dose in devices of 28 mg")
        for n in range(1, 5):
            mg = n * esk.DEVICE_MG
            what = "label dose" if mg in esk.LABEL_DOSES_MG else "needs a reason"
            self.devices.addItem(f"{mg} mg: {n} device{'s' if n > 1 else ''} of 28 mg ({what})", n)
        self.devices.setCurrentIndex(1)
        self.weight = WeightField(self)
        self.weight.set_unit(dose_service.weight_unit(ctx.vault).value)
        self.use_record_weight = QPushButton(self)
        self.use_record_weight.setAutoDefault(False)
        if self.record_weight is not None:
            self.use_record_weight.setText(f"Use the &record's: {self._dated(self.record_weight)}")
            self.use_record_weight.setToolTip("The weight on the client record, with its date")
        self.use_record_weight.setVisible(self.record_weight is not None)
        self.per_kg_mode = QRadioButton("mg/&kg", self)
        self.total_mode = QRadioButton("fixed &total in mg", self)
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.per_kg_mode)
        self.mode.addButton(self.total_mode)
        self.per_kg_mode.setChecked(True)
        self.dose = QDoubleSpinBox(self)
        self.dose.setRange(0, 2000)
        self.dose.setAccessibleName("Dose")
        self.dose.setMinimumWidth(self.fontMetrics().horizontalAdvance("0000.00 mg/kg") + 40)
        self.computed = QLabel(self)
        self.computed.setAccessibleName("Computed dose")
        self.range_hint = QLabel(self)
        self.range_hint.setAccessibleName("Usual range and clinic maximum")
        set_role(self.range_hint, "hint")
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
        self.when.setDisplayFormat(f"{wording.qt_date_format()} HH:mm")
        tomorrow = QDateTime.currentDateTime().addDays(1)
        tomorrow.setTime(QTime(10, 0))
        self.when.setDateTime(tomorrow)
        self.when.setAccessibleName("Planned date and time")
        self.vitals_every = QSpinBox(self)
        self.vitals_every.setRange(5, 60)
        self.vitals_every.setValue(15)
        self.vitals_every.setSuffix(" min")
        self.vitals_every.setAccessibleName("Vitals every")

        self.weight.add_to_row(self.use_record_weight)
        dose_row = QHBoxLayout()
        dose_row.addWidget(self.dose, 1)
        dose_row.addWidget(self.per_kg_mode)
        dose_row.addWidget(self.total_mode)
        dose_row.addWidget(self.devices, 1)
        when_row = QHBoxLayout()
        when_row.addWidget(self.when_on)
        when_row.addWidget(self.when, 1)
        form = QFormLayout()
        form.addRow("&Route", self.route)
        weight_label = QLabel("&Weight", self)
        weight_label.setBuddy(self.weight.edit)
        form.addRow(weight_label, self.weight)
        dose_label = QLabel("&Dose", self)
        dose_label.setBuddy(self.dose)
        form.addRow(dose_label, dose_row)
        form.addRow("", self.computed)
        form.addRow("", self.range_hint)
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
        # the note and the buttons under the five lengths, not in their columns: a wide button
        # in the fifth column pushed the dialog past the screen's edge at 150 %
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(self.phases_note, 1)
        buttons_row.addWidget(self.reset_phases)
        buttons_row.addWidget(self.save_phases)
        grid.addLayout(buttons_row, 2, 0, 1, len(PHASE_ORDER))
        vitals_row = QHBoxLayout()
        vitals_label = QLabel("&Vitals: before dosing, every", self)
        vitals_label.setBuddy(self.vitals_every)
        vitals_row.addWidget(vitals_label)
        vitals_row.addWidget(self.vitals_every)
        vitals_row.addWidget(QLabel("and at the end", self))
        vitals_row.addStretch(1)

        # the one message area: a reserved height, scrolling when a message is long
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Where the dose stands")
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_area = QScrollArea(self)
        self.message_area.setWidget(self.message)
        self.message_area.setWidgetResizable(True)
        self.message_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.message_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.message_area.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 8)
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason for a dose outside the usual range")
        self.reason.setPlaceholderText("Only needed for a dose outside the usual range")
        self.reason_label = QLabel("Reaso&n", self)
        self.reason_label.setBuddy(self.reason)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.reason_label)
        reason_row.addWidget(self.reason, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        # the form scrolls when the screen is short (1366x768 at 150 %); the message, the
        # reason and the buttons stay below it, always in sight
        body = QWidget(self)
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(form)
        body_layout.addWidget(phases_box)
        body_layout.addLayout(vitals_row)
        body_layout.addStretch(1)
        self.body = scroll_down(body, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.message_area)
        layout.addLayout(reason_row)
        layout.addWidget(self.buttons)

        self.route.currentIndexChanged.connect(self._route_changed)
        self.devices.currentIndexChanged.connect(self._refresh)
        self.weight.changed.connect(self._weight_changed)
        self.use_record_weight.clicked.connect(self._use_record_weight)
        self.dose.valueChanged.connect(self._dose_changed)
        self.infusion.valueChanged.connect(self._refresh)
        self.per_kg_mode.toggled.connect(self._mode_changed)
        self.band.currentIndexChanged.connect(self._refresh)
        self.reason.textChanged.connect(self._refresh)
        self.lot.textChanged.connect(self._refresh)
        self.when_on.toggled.connect(self.when.setEnabled)
        self.reset_phases.clicked.connect(self._load_phase_defaults)
        self.save_phases.clicked.connect(self.save_phase_defaults)
        self._fill(session)
        self._show_dose_widgets()
        self._loading = False
        self._set_mode_format()
        self._refresh()
        self.route.setFocus()
        body.adjustSize()
        want = body.sizeHint()
        fit_to_screen(self, max(940, want.width() + 40), want.height() + 260)
        # Ctrl+S saves, Ctrl+Enter too (also from the reason); Escape asks before discarding
        self.keys = install_form_keys(self, save=self.save, modified=changed_since_now(self))

    # ------------------------------------------------------------------ filling
    def _record_weight(self) -> Weight | None:
        try:
            return client_service.get(self.ctx.repos, self.client_id).weight
        except VaultError:
            return None

    @staticmethod
    def _dated(weight: Weight) -> str:
        when = f", {format_date(weight.measured_on)}" if weight.measured_on else ""
        return f"{weight.text()}{when}"

    def _use_record_weight(self) -> None:
        if self.record_weight is not None:
            self.weight.set_value(self.record_weight)

    def _fill(self, session: DosingSession | None) -> None:
        plan = load(DosePlan, session.plan) if session and session.plan else None
        if plan is None:
            previous = [
                s for s in session_service.sessions_of(self.ctx.repos, self.client_id) if s.plan
            ]
            if previous:  # start from the last plan: same route, weight, lot usually differ
                last = load(DosePlan, previous[-1].plan)
                plan = replace(
                    last, lot="", out_of_range_reason=None, above_usual=False, confirmed=""
                )
                if self.record_weight is not None:  # the record's dated weight comes first
                    plan = replace(
                        plan,
                        weight_kg=self.record_weight.kg,
                        weight_unit=self.record_weight.unit,
                        weight_entered=self.record_weight.entered,
                    )
        if plan is not None:
            item = ESKETAMINE_ITEM if plan.esketamine else Route(plan.route).value
            self.route.setCurrentIndex(self.route.findData(item))
            if plan.esketamine and plan.total_mg:
                found = self.devices.findData(plan.devices or esk.devices_for(plan.total_mg))
                self.devices.setCurrentIndex(max(found, 0))
            if plan.weight_kg and plan.weight_kg > 0:
                self.weight.set_value(plan.weight)
            if plan.mg_per_kg is None and plan.total_mg is not None:
                self.total_mode.setChecked(True)
                self._set_mode_format()
                self.dose.setValue(plan.total_mg)
            else:
                self._set_mode_format()
                self.dose.setValue(plan.mg_per_kg or 0)
            if plan.infusion_minutes:
                self.infusion.setValue(plan.infusion_minutes)
            self.lot.setText(plan.lot)
            if plan.band is not None and session is not None:
                self.band.setCurrentIndex(self.band.findData(DoseBand(plan.band).value))
            self.reason.setText(plan.out_of_range_reason or "")
        else:
            self.route.setCurrentIndex(self.route.findData(Route.IM.value))
            if self.record_weight is not None:
                self.weight.set_value(self.record_weight)
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
        data = self.route.currentData()
        return Route.INTRANASAL if data == ESKETAMINE_ITEM else Route(data)

    def is_esketamine(self) -> bool:
        return bool(self.route.currentData() == ESKETAMINE_ITEM)

    def _show_dose_widgets(self) -> None:
        esketamine = self.is_esketamine()
        # esketamine is dosed in devices, not per kg: the dose row shows the devices instead
        for w in (self.dose, self.per_kg_mode, self.total_mode):
            w.setVisible(not esketamine)
        self.devices.setVisible(esketamine)
        self.save_phases.setEnabled(not esketamine)

    def _route_changed(self) -> None:
        self._show_dose_widgets()
        if not self._loading:
            self._load_phase_defaults()
        self._refresh()

    def _load_phase_defaults(self) -> None:
        if self.is_esketamine():
            for phase in esk.ESKETAMINE_PHASES:
                self.phase_spins[phase.kind].setValue(phase.minutes)
            self.phases_note.setText(
                f"The label: at least {esk.MONITORING_MIN} min from the first device."
            )
            return
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
            self._show_save_problem(str(exc))
            return
        self.phases_note.setText(f"Saved as the clinic's default for {self.route_value().label}.")

    # ------------------------------------------------------------------ weight and dose
    def weight_kg(self) -> float:
        value = self.weight.value()
        return value.kg if value is not None else 0.0

    def _weight_changed(self) -> None:
        self._pinned = None
        self._refresh()

    def _dose_changed(self, *_args: object) -> None:
        if not self._converting:
            self._pinned = None
        self._refresh()

    def _set_mode_format(self) -> None:
        self._converting = True
        if self.per_kg_mode.isChecked():
            self.dose.setDecimals(2)
            self.dose.setSingleStep(0.05)
            self.dose.setSuffix(" mg/kg")
        else:
            self.dose.setDecimals(1)
            self.dose.setSingleStep(5)
            self.dose.setSuffix(" mg")
        self._converting = False

    def _mode_changed(self, per_kg_checked: bool) -> None:
        """Switching mode converts the dose: the same dose, shown the other way."""
        if self._loading:
            return
        weight, value = self.weight_kg(), self.dose.value()
        pinned = self._pinned
        self._set_mode_format()
        if weight > 0 and value > 0:
            if pinned is not None and pinned[2] == weight:
                per_kg, total = pinned[0], pinned[1]
            elif per_kg_checked:  # it was a total
                per_kg, total = per_kg_from_total(weight, value), value
            else:
                per_kg, total = value, total_from_per_kg(weight, value)
            self._converting = True
            self.dose.setValue(per_kg if per_kg_checked else total)
            self._converting = False
            self._pinned = (per_kg, total, weight)
        self._refresh()

    # ------------------------------------------------------------------ the plan
    def plan(self) -> DosePlan:
        route = self.route_value()
        weight = self.weight.value()
        if self.is_esketamine():
            return esk.esketamine_plan(
                weight.kg if weight is not None else 0.0,
                int(self.devices.currentData()),
                self.lot.text(),
                weight_unit=weight.unit if weight is not None else WeightUnit.KG,
                weight_entered=weight.entered if weight is not None else None,
                out_of_range_reason=self.reason.text().strip() or None,
            )
        value = self.dose.value() or None
        per_kg = value if self.per_kg_mode.isChecked() else None
        total = value if self.total_mode.isChecked() else None
        if self._pinned is not None and weight is not None and self._pinned[2] == weight.kg:
            per_kg, total = self._pinned[0], self._pinned[1]
        band_value = self.band.currentData()
        plan = DosePlan(
            route=route,
            weight_kg=weight.kg if weight is not None else 0.0,
            mg_per_kg=per_kg,
            total_mg=total,
            infusion_minutes=self.infusion.value() if route is Route.IV else None,
            lot=self.lot.text().strip(),
            band=DoseBand(band_value) if band_value else None,
            out_of_range_reason=self.reason.text().strip() or None,
            weight_unit=weight.unit if weight is not None else WeightUnit.KG,
            weight_entered=weight.entered if weight is not None else None,
        )
        if plan.band is None and plan.weight_kg > 0 and value:
            per = per_kg if per_kg is not None else per_kg_from_total(plan.weight_kg, value)
            plan = replace(plan, band=suggest_band(route, per))
        return plan

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._wrap_range_hint)

    def _wrap_range_hint(self) -> None:
        """The usual-range line wraps only when it is wider than the form (150 % on a
        1366x768 screen): unwrapped it pushed the form past the right edge; always wrapped it
        left gaps between the lines at 1x."""
        hint = self.range_hint
        room = self.body.viewport().width() - hint.geometry().x() - 8
        wrap = hint.fontMetrics().horizontalAdvance(hint.text()) > room
        if wrap != hint.wordWrap():
            hint.setWordWrap(wrap)

    def _range_text(self, route: Route) -> str:
        if self.is_esketamine():
            return (
                "Label doses 56 or 84 mg; others need a reason. "
                f"Clinic maximum: {fmt(self.maxima[route].max_total_mg or 0)} mg."
            )
        usual = USUAL_RANGES[route]
        parts = []
        if usual.min_mg_per_kg is not None and usual.max_mg_per_kg is not None:
            parts.append(f"{fmt(usual.min_mg_per_kg)}-{fmt(usual.max_mg_per_kg)} mg/kg")
        if usual.min_total_mg is not None and usual.max_total_mg is not None:
            parts.append(f"{fmt(usual.min_total_mg)}-{fmt(usual.max_total_mg)} mg")
        return (
            f"Usual {route.short}: {' and '.join(parts)}. "
            f"Clinic maximum: {maximum_text(self.maxima[route])}."
        )

    def _refresh(self, *_args: object) -> None:
        if self._loading:
            return
        self._save_problem = ""
        route = self.route_value()
        self.infusion.setEnabled(route is Route.IV)  # disabled, not hidden: no layout jumps
        self.infusion.setToolTip("" if route is Route.IV else "Only for an IV infusion")
        self.range_hint.setText(self._range_text(route))
        self._wrap_range_hint()
        weight, value = self.weight_kg(), self.dose.value()
        pinned = self._pinned if self._pinned and self._pinned[2] == weight else None
        if self.is_esketamine():
            mg = int(self.devices.currentData()) * esk.DEVICE_MG
            each = f" ({per_kg_from_total(weight, mg):.2f} mg/kg, not checked)" if weight else ""
            self.computed.setText(f"= {mg} mg esketamine intranasal{each}")
        elif weight > 0 and value > 0:
            shown = f"{fmt(weight)} kg"
            if self.per_kg_mode.isChecked():
                total = pinned[1] if pinned else total_from_per_kg(weight, value)
                self.computed.setText(f"= {fmt(total)} mg in total ({fmt(value)} mg/kg × {shown})")
            else:
                per_kg = pinned[0] if pinned else per_kg_from_total(weight, value)
                self.computed.setText(f"= {per_kg:.2f} mg/kg ({fmt(value)} mg ÷ {shown})")
        else:
            self.computed.setText("Enter the weight and the dose; the other figure is computed.")
        plan = self.plan()
        if self.band.currentData() is None:
            self.band_hint.setText(
                f"Suggested: {plan.band.value}" if plan.band else "No suggestion for this route."
            )
        else:
            self.band_hint.setText("")
        text, role = self._standing(plan)
        self._show(text, role)

    def _standing(self, plan: DosePlan) -> tuple[str, str]:
        """The one message: where the dose stands now, and what is still needed."""
        route = self.route_value()
        if self.weight.value() is None:
            return "The dose is checked once the weight is entered (kg or lb).", "hint"
        issues = validate_plan(complete_plan(plan), self.maxima)
        errors = [i.message for i in issues if i.kind is IssueKind.ERROR]
        if errors:
            self.reason.setPlaceholderText("Only needed for a dose outside the usual range")
            return " ".join(errors), "error"
        confirms = [i.message for i in issues if i.kind is IssueKind.CONFIRM]
        if not confirms:
            self.reason.setPlaceholderText("Only needed for a dose outside the usual range")
            if plan.esketamine:
                return "A label dose of esketamine.", "ok"
            return f"Within the usual {route.label} range.", "ok"
        above = is_above_usual(issues)
        self.reason.setPlaceholderText("Why this dose (required: a sentence)")
        pair = resolved(complete_plan(plan))
        words = dose_words(route, *pair) if pair else ""
        lines = []
        if above:
            lines.append(f"Above the usual range: {words}.")
        elif any(i.code.startswith("below_usual_") for i in issues):
            lines.append(f"Below the usual range: {words}.")
        lines += [i.message for i in issues if i.code == "infusion_unusual"]
        then = "saving then asks you to confirm the dose." if above else "it is kept with the plan."
        written = self.reason.text().strip()
        problem = reason_problem(written)
        if not written:
            lines.append(f"Write why in Reason, as a sentence; {then}")
        elif problem:
            lines.append(problem)
        else:
            lines.append(
                "Saving asks you to confirm the dose."
                if above
                else "The reason is kept with the plan."
            )
        return "\n".join(lines), "warning"

    def _show(self, text: str, role: str) -> None:
        self.message.setText(text)
        set_role(self.message, role)

    def _show_save_problem(self, text: str) -> None:
        """A problem only saving found: shown in the same area until the next change."""
        self._save_problem = text
        self._show(text, "error")

    def _course_id(self) -> int | None:
        if self.session is not None:
            return self.session.course_id
        active = [
            c
            for c in client_service.courses_of(self.ctx.repos, self.client_id)
            if c.status is CourseStatus.ACTIVE
        ]
        return active[-1].id if active else None

    def _planned_for(self) -> datetime | None:
        if not self.when_on.isChecked():
            return None
        return datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), UTC)

    # ------------------------------------------------------------------ saving
    def save(self) -> DosingSession | None:
        if self.weight.value() is None:
            self._show_save_problem(
                self.weight.problem() or "Enter the client's weight, in kg or lb."
            )
            self.weight.setFocus()
            return None
        plan = self.plan()
        confirmation = ""
        completed = complete_plan(plan)
        issues = validate_plan(completed, self.maxima)
        no_errors = not any(i.kind is IssueKind.ERROR for i in issues)
        if (
            no_errors
            and is_above_usual(issues)
            and reason_problem(plan.out_of_range_reason) is None
        ):
            question = confirmation_question(completed)
            if not self.confirm_dose(question):
                self._show_save_problem("Not saved: the dose was not confirmed.")
                self.dose.setFocus()
                return None
            confirmation = question
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
                    confirmation=confirmation,
                )
            else:
                stored = dose_service.replan_session(
                    self.ctx.repos,
                    self.session.id or 0,
                    plan,
                    confirmation=confirmation,
                    phases=self.phases(),
                    planned_for=self._planned_for(),
                    vitals_every_min=self.vitals_every.value(),
                )
        except (DoseRefused, VaultError) as exc:
            self._refused(exc.message)
            return None
        self.session = stored
        self.saved.emit(stored)
        self.accept()
        return stored

    def _refused(self, message: str) -> None:
        self._show_save_problem(message)
        if "reason" in message:
            self.reason.setFocus()
        return None
