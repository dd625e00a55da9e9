"""The dosing session screen: clock, phase controls, music, vitals and events in one view.

It fills the main window while a session runs and shows no client data beyond a first name
or pseudonym. Every action has a key: Ctrl+Enter starts, Ctrl+D marks the dose, Alt+N
moves to the next phase, Alt+X extends it, Alt+E ends; single letters open quick events
(C words, O observation, S nausea, D distress, T touch, M medication, X extra dose,
B bathroom, A adverse event, F free note) and V jumps to the vitals entry. The widgets are
views of the ``SessionController``, which outlives them across a lock.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.dose import plan_summary
from kapcompanion.core.models import SessionStatus
from kapcompanion.services.environment import low_disk_warning
from kapcompanion.services.session import DoseNeedsConfirmation
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.session.acute_panel import MOAAS_KEYS, AcutePanel
from kapcompanion.ui.session.alert import AlertBanner, ReasonDialog
from kapcompanion.ui.session.booster import BoosterDialog
from kapcompanion.ui.session.clock_panel import ClockPanel
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.session.discharge import DischargeDialog
from kapcompanion.ui.session.draw import DrawDialog
from kapcompanion.ui.session.events_panel import QUICK_EVENTS, EventsPanel
from kapcompanion.ui.session.readiness import (
    ReadinessView,
    open_preparation,
    override_banner_class,
    preparation_view_class,
    session_readiness,
)
from kapcompanion.ui.session.summary import SummaryDialog
from kapcompanion.ui.session.vitals_panel import VitalsPanel
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.mini_player import MiniPlayer
from kapcompanion.ui.widgets.safety_flag_banner import SafetyFlagBanner


def _dose_done(draw: dict[str, Any]) -> str:
    if draw.get("container_id") is not None:
        return "Dose given and its draw booked in the ledger: the session clock runs from now."
    return "Dose given: the session clock runs from now."


def _listed(items: list[str], most: int = 5) -> str:
    shown = "; ".join(items[:most])
    return shown + (f"; and {len(items) - most} more" if len(items) > most else "")


class PreStartCard(QFrame):
    """Before the start: readiness (with an override reason), the bell, the avoid list."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preStart")
        self.setProperty("role", "card")
        self.controller = controller
        heading = QLabel("Before you start", self)
        set_role(heading, "heading")
        self.readiness = QLabel(self)
        self.readiness.setWordWrap(True)
        self.readiness.setAccessibleName("Preparation")
        self.override = QLineEdit(self)
        self.override.setAccessibleName("Reason to start with preparation items missing")
        self.override.setPlaceholderText("Why start with items missing (required to start)")
        self.override_label = QLabel("Override &reason", self)
        self.override_label.setBuddy(self.override)
        self.prepare_button = QPushButton("&Prepare…", self)
        self.prepare_button.setAccessibleName("Open the preparation checklist")
        self.bell = QCheckBox("Ring the opening be&ll", self)
        self.bell.setChecked(True)
        self.music = QLabel(self)
        self.music.setWordWrap(True)
        self.music.setAccessibleName("Music check")
        override_row = QHBoxLayout()
        override_row.addWidget(self.override_label)
        override_row.addWidget(self.override, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.readiness)
        layout.addLayout(override_row)
        row = QHBoxLayout()
        row.addWidget(self.prepare_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.bell)
        layout.addWidget(self.music)
        layout.addStretch(1)
        self.state = ReadinessView(False)
        self.refresh()

    def refresh(self) -> None:
        ctl = self.controller
        self.state = session_readiness(ctl.ctx.repos, ctl.session_id)
        if self.state.ready and not self.state.missing:
            self.readiness.setText("Preparation complete.")
            set_role(self.readiness, "ok")
        elif self.state.ready:
            self.readiness.setText(
                "Preparation overridden; missing: " + _listed(self.state.missing) + "."
            )
            set_role(self.readiness, "warning")
        else:
            self.readiness.setText(
                "Not ready. Missing: " + _listed(self.state.missing) + ". Prepare first. "
                "Informed consent and the touch agreement cannot be skipped; any other item "
                "can, with a written reason (it is kept with the session)."
            )
            set_role(self.readiness, "warning")
        needs_reason = not self.state.ready
        self.override.setVisible(needs_reason)
        self.override_label.setVisible(needs_reason)
        self.prepare_button.setVisible(preparation_view_class() is not None)
        plan = ctl.music.plan
        lines = []
        if not ctl.music.available:
            lines.append("Music is unavailable on this computer; the session runs without it.")
        if plan.flagged:
            what = "left out of this session" if plan.left_out else "will play"
            lines.append(f"Avoid list: {len(plan.flagged)} track(s) flagged and {what}:")
            lines.extend(f"  • {f.text()}" for f in plan.flagged)
        elif ctl.music.available:
            lines.append("No track matches the client's avoid list.")
        lines.extend(f"  • {p}" for p in plan.problems[:6])
        self.music.setText("\n".join(lines))
        set_role(self.music, "warning" if plan.flagged or plan.problems else "hint")


class _Body(QWidget):
    """The scrolling part of the session screen. When wide it scrolls only below its minimum
    size: the layout's height-for-width (wrapped lines measured narrower than they get) would
    make it scroll at 1366x768 where everything fits. When narrow it is as tall as its wrapped
    lines need, and scrolls."""

    wide = True

    def hasHeightForWidth(self) -> bool:
        return not self.wide

    def heightForWidth(self, width: int) -> int:
        layout = self.layout()
        if self.wide or layout is None:
            return -1  # (QScrollArea asks the layout, then this)
        return max(layout.totalHeightForWidth(width), self.minimumSizeHint().height())


class SessionScreen(QWidget):
    leave_requested = Signal()

    def __init__(
        self, ctx: AppContext, controller: SessionController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sessionScreen")
        self.ctx = ctx
        self.controller = controller
        self.dialog: QDialog | QMessageBox | None = None
        runner = controller.runner

        self.header = QLabel(self)
        set_role(self.header, "title")
        self.header.setAccessibleName("Session")
        self.plan_line = QLabel(plan_summary(runner.plan) if runner.session.plan else "", self)
        set_role(self.plan_line, "hint")
        self.plan_line.setWordWrap(True)
        title_row = QHBoxLayout()
        title_row.addWidget(self.header)
        title_row.addSpacing(12)
        title_row.addWidget(self.plan_line, 1, Qt.AlignmentFlag.AlignVCenter)
        top = QVBoxLayout()
        top.setSpacing(0)
        top.addLayout(title_row)
        # the client's safety flags and a screening override stay in sight during the session
        self.flags = SafetyFlagBanner(ctx, runner.client_id, self, compact=True)
        top.addWidget(self.flags)
        banner_cls = override_banner_class()
        if banner_cls is not None:
            top.addWidget(banner_cls(ctx, runner.client_id))
        # a flagged reading: stays until acknowledged with a note, with the recheck time
        self.alert = AlertBanner(controller, self)
        top.addWidget(self.alert)

        self.prestart = PreStartCard(controller, self)
        self.prestart.prepare_button.clicked.connect(self.open_preparation)
        self.clock = ClockPanel(controller, self)
        self.prestart_page = QScrollArea(self)  # a long list of missing items scrolls
        self.prestart_page.setWidgetResizable(True)
        self.prestart_page.setFrameShape(QFrame.Shape.NoFrame)
        self.prestart_page.setWidget(self.prestart)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.prestart_page)
        self.stack.addWidget(self.clock)

        self.start_button = QPushButton("Start session (Ctrl+Enter)", self)
        self.start_button.setProperty("primary", "true")
        self.start_button.setAccessibleName("Start session")
        self.dose_button = QPushButton("Mark dose given (Ctrl+D)", self)
        self.dose_button.setProperty("primary", "true")
        self.dose_button.setAccessibleName("Mark the dose given")
        self.next_button = QPushButton("Next phase (Alt+N)", self)
        self.next_button.setAccessibleName("Move to the next phase now")
        self.extend_minutes = QSpinBox(self)
        self.extend_minutes.setRange(1, 120)
        self.extend_minutes.setValue(5)
        self.extend_minutes.setSuffix(" min")
        self.extend_minutes.setAccessibleName("Minutes to extend the phase by")
        for inner in self.extend_minutes.findChildren(QLineEdit):
            inner.setAccessibleName("Minutes to extend the phase by")
        self.extend_button = QPushButton("Extend (Alt+X)", self)
        self.extend_button.setAccessibleName("Extend the current phase")
        self.end_button = QPushButton("End session… (Alt+E)", self)
        self.end_button.setAccessibleName("End the session: discharge and debrief")
        for button in (self.start_button, self.dose_button, self.next_button, self.end_button):
            button.setMinimumHeight(34)
        self.start_button.clicked.connect(self.start)
        self.dose_button.clicked.connect(self.give_dose)
        self.next_button.clicked.connect(self.advance)
        self.extend_button.clicked.connect(self.extend)
        self.end_button.clicked.connect(self.open_discharge)
        # the clock and the phase controls never scroll: a row above the scrolling body
        controls = QGridLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.start_button, 0, 0, 1, 2)
        controls.addWidget(self.dose_button, 1, 0, 1, 2)
        controls.addWidget(self.next_button, 2, 0, 1, 2)
        controls.addWidget(self.extend_button, 3, 0)
        controls.addWidget(self.extend_minutes, 3, 1)
        # esketamine: a booster in devices of 28 mg through the extra-dose limits (issue 16)
        self.booster_button = QPushButton("Booster device…", self)
        self.booster_button.setAccessibleName("Record an esketamine booster in devices of 28 mg")
        self.booster_button.clicked.connect(self.open_booster)
        self.booster_button.setVisible(False)
        controls.addWidget(self.booster_button, 4, 0, 1, 2)
        controls.addWidget(self.end_button, 5, 0, 1, 2)
        controls.setRowStretch(6, 1)
        self.fixed = QWidget(self)
        fixed = QHBoxLayout(self.fixed)
        fixed.setContentsMargins(0, 0, 0, 0)
        fixed.addWidget(self.stack, 1)
        fixed.addLayout(controls)

        # acute-effect checks (issue 16): esketamine sessions, or every session if the clinic
        # asks; the keys 5-0 record a MOAA/S score, I and R move to dissociation and breathing
        self.acute: AcutePanel | None = None
        if controller.checks_reminded:
            self.acute = AcutePanel(controller, self)
            self.acute.notice.connect(self.say)
        if controller.esketamine:
            self.dose_button.setText("Mark the first device given (Ctrl+D)")
            self.dose_button.setAccessibleName("Mark the first esketamine device given")
        self.player: MiniPlayer | None = None
        if controller.bridge is not None:
            self.player = MiniPlayer(controller.bridge, self)
        self.vitals = VitalsPanel(controller, self)
        self.events = EventsPanel(controller, self)
        self.events.notice.connect(self.say)
        body = _Body(self)
        self.columns = QGridLayout(body)
        self.columns.setContentsMargins(0, 0, 0, 0)
        self._wide: bool | None = None
        # at 1366x768 everything fits; on a smaller screen (or 150 % scaling) the body scrolls
        # down, never sideways, and the clock row above it stays put
        self.body = QScrollArea(self)
        self.body.setWidgetResizable(True)
        self.body.setFrameShape(QFrame.Shape.NoFrame)
        self.body.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body.setWidget(body)
        self._arrange(True)

        self.notice = QLabel(self)
        self.notice.setAccessibleName("Last message")
        self.notice.setWordWrap(True)
        set_role(self.notice, "hint")
        self.summary_button = QPushButton("Summary (Alt+Y)", self)
        self.summary_button.clicked.connect(self.open_summary)
        self.leave_button = QPushButton("Back to the record (Alt+B)", self)
        self.leave_button.setToolTip("The session goes on (clock, reminders, music)")
        self.leave_button.clicked.connect(self.leave_requested)
        bottom = QHBoxLayout()
        bottom.addWidget(self.notice, 1)
        bottom.addWidget(self.summary_button)
        bottom.addWidget(self.leave_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.outer = layout
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.fixed)
        layout.addWidget(self.body, 1)
        layout.addLayout(bottom)

        self._shortcuts: list[QShortcut] = []
        self.start_keys = [self._shortcut(k, self.start) for k in ("Ctrl+Return", "Ctrl+Enter")]
        self._shortcut("Ctrl+D", self.give_dose)
        # explicit keys rather than mnemonics: the same on every platform and theme
        self._shortcut("Alt+N", self.advance)
        self._shortcut("Alt+X", self.extend)
        self._shortcut("Alt+E", self.open_discharge)
        self._shortcut("Alt+Y", self.open_summary)
        self._shortcut("Alt+B", self.leave_requested.emit)
        self._shortcut("V", self.vitals.focus_entry)
        self.vitals.left.connect(self._back_to_session)
        for spec in QUICK_EVENTS:
            self._shortcut(spec.key, lambda k=spec.kind: self.events.begin(k))
        self.check_keys: list[QShortcut] = []
        if self.acute is not None:
            acute = self.acute
            for score in MOAAS_KEYS:
                self.check_keys.append(
                    self._shortcut(str(score), lambda s=score: acute.record_sedation(s))
                )
            self.check_keys.append(self._shortcut("I", acute.focus_dissociation))
            self.check_keys.append(self._shortcut("R", acute.focus_breathing))
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_in_view)
        controller.state_changed.connect(self.refresh)
        controller.phase_entered.connect(self._phase_entered)
        controller.problem.connect(self.say)
        controller.ended.connect(self._ended)
        ctx.signals.about_to_lock.connect(self._before_lock)
        self.refresh()
        low = low_disk_warning(ctx.vault) if not controller.runner.session.started_utc else None
        if low:  # before a session starts: a full disk mid-session would lose the next entry
            self.say(low)
            set_role(self.notice, "warning")

    def _focus_in_view(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Where the body scrolls (150 %, a small window), the field that takes the focus is
        scrolled into sight: T opened the Touch card with its first field above the view."""
        body = self.body.widget()
        if new is not None and body is not None and body.isAncestorOf(new):
            self.body.ensureWidgetVisible(new, 0, 8)

    @property
    def shows_music_status(self) -> bool:
        """The music panel says why music cannot play: the window's banner stays hidden."""
        return self.player is not None

    def _back_to_session(self) -> None:
        """Out of the vitals entry: the timeline takes the focus, where C, O, S... are events
        (in a field they would be typed: "o" went into SpO2)."""
        self.events.timeline.setFocus(Qt.FocusReason.OtherFocusReason)

    def _shortcut(self, keys: str, slot: object) -> QShortcut:
        shortcut = QShortcut(QKeySequence(keys), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)
        self._shortcuts.append(shortcut)
        return shortcut

    #: below this width (1366 px at 150 %, 1024 px at 100 %) vitals and music share a column
    WIDE = 1100

    def _arrange(self, wide: bool) -> None:
        """Three columns (music, vitals, events) when wide; two (vitals over music, events)
        when narrow, so nothing needs a sideways scroll."""
        if wide == self._wide:
            return
        self._wide = wide
        body = self.body.widget()
        if isinstance(body, _Body):
            body.wide = wide
        grid = self.columns
        parts: list[QWidget] = [self.vitals, self.events]
        parts += [w for w in (self.player, self.acute) if w is not None]
        for part in parts:
            grid.removeWidget(part)
        for column in range(3):
            grid.setColumnStretch(column, 0)
        for row in range(4):
            grid.setRowStretch(row, 0)
        if wide:
            # the wide left column holds the music and, under it, the vitals chart
            left: list[QWidget] = [w for w in (self.player, self.acute) if w is not None]
            self.vitals.column.removeWidget(self.vitals.chart)
            left.append(self.vitals.chart)
            for row, w in enumerate(left):
                grid.addWidget(w, row, 0)
            rows = len(left)
            grid.addWidget(self.vitals, 0, 1, rows, 1)
            grid.addWidget(self.events, 0, 2, rows, 1)
            grid.setRowStretch(rows - 1, 1)  # the chart takes what the music leaves
            for column, stretch in enumerate((5, 3, 4)):
                grid.setColumnStretch(column, stretch)
        else:
            grid.removeWidget(self.vitals.chart)
            self.vitals.keep_chart()
            stacked: list[QWidget] = [self.vitals]
            stacked += [w for w in (self.acute, self.player) if w is not None]
            for row, w in enumerate(stacked):
                grid.addWidget(w, row, 0)
            grid.addWidget(self.events, 0, 1, len(stacked), 1)
            grid.setColumnStretch(0, 1)
            grid.setColumnStretch(1, 1)
            grid.setRowStretch(0, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width() >= self.WIDE)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        focused = QApplication.focusWidget()
        if focused is None or not self.isAncestorOf(focused):
            self.setFocus()  # the keys work at once, without a click into the screen

    # ------------------------------------------------------------------ display
    def refresh(self) -> None:
        ctl = self.controller
        status = ctl.status_kind
        session = ctl.runner.session
        self.header.setText(f"{ctl.label} · session {session.number}")
        started = status is not SessionStatus.PLANNED
        self.stack.setCurrentWidget(self.clock if started else self.prestart_page)
        # the row above the body is as tall as its current page (the card before the start,
        # the clock after it); the body takes the rest
        for page, current in ((self.prestart_page, not started), (self.clock, started)):
            policy = QSizePolicy.Policy.Preferred if current else QSizePolicy.Policy.Ignored
            page.setSizePolicy(QSizePolicy.Policy.Preferred, policy)
        self.stack.updateGeometry()
        self.start_button.setVisible(not started)
        for shortcut in self.start_keys:  # the entry card uses Enter once the session runs
            shortcut.setEnabled(not started)
        self.setFocusProxy(self.start_button if not started else self.events.timeline)
        self.dose_button.setVisible(status is SessionStatus.STARTED)
        for w in (self.next_button, self.extend_minutes, self.extend_button):
            w.setVisible(status is SessionStatus.DOSED)
        self.end_button.setVisible(ctl.running)
        self.booster_button.setVisible(ctl.esketamine and status is SessionStatus.DOSED)
        self.vitals.setEnabled(ctl.running)
        if self.acute is not None:
            self.acute.setEnabled(ctl.running)
            for shortcut in self.check_keys:
                shortcut.setEnabled(ctl.running)
        self.alert.refresh()

    def say(self, text: str) -> None:
        if text:
            self.notice.setText(text)

    def _phase_entered(self, phase: object) -> None:
        label = getattr(phase, "label", None)
        self.say(f"Now: {label}." if label else "The planned phases are complete.")

    def _ended(self) -> None:
        self.refresh()
        # the fade is said only when there is music to fade (no audio: nothing plays)
        music = self.controller.music.available
        self.say("Session ended." + (" The music fades out over a minute." if music else ""))

    def _before_lock(self) -> None:
        if not self.controller.running:
            self.controller.dispose()

    # ------------------------------------------------------------------ actions
    def _act(self, action: object, done: str) -> bool:
        try:
            action()  # type: ignore[operator]
        except VaultError as exc:
            self.say(exc.message)
            set_role(self.notice, "error")
            return False
        set_role(self.notice, "hint")
        self.say(done)
        return True

    def start(self) -> bool:
        if self.controller.status_kind is not SessionStatus.PLANNED:
            return False
        card = self.prestart
        card.refresh()
        reason = card.override.text().strip()
        if not card.state.ready and not reason:
            self.say("Not ready: prepare first, or write why you start with items missing.")
            set_role(self.notice, "error")
            card.override.setFocus()
            return False
        ok = self._act(
            lambda: self.controller.start(
                bell=card.bell.isChecked(),
                readiness_override=reason if not card.state.ready else "",
            ),
            "Session started. Record pre-dose vitals, then mark the dose (Ctrl+D).",
        )
        if ok:
            self.vitals.focus_entry()
        return ok

    def give_dose(self) -> bool:
        """Ctrl+D. With a ledger the container is asked first (the open vial of the planned
        lot offered); without one the dose is marked at once."""
        if self.controller.status_kind is not SessionStatus.STARTED:
            return False
        if self.controller.uses_ledger():
            self.offer_container()
            return False
        return self._give({})

    def _give(self, draw: dict[str, Any]) -> bool:
        try:
            self.controller.give_dose(**draw)
        except DoseNeedsConfirmation as exc:
            self._confirm_dose(exc, draw)
            return False
        except VaultError as exc:
            self.say(exc.message)
            set_role(self.notice, "error")
            return False
        set_role(self.notice, "hint")
        self.say(_dose_done(draw))
        return True

    def offer_container(self) -> DrawDialog:
        """The container the dose is drawn from, booked with the dose in one transaction."""
        states, offered = self.controller.draw_choices()
        plan = self.controller.runner.plan

        def act(draw: dict[str, Any]) -> None:
            try:
                self.controller.give_dose(**draw)
            except DoseNeedsConfirmation as exc:
                self._confirm_dose(exc, draw)  # the reason first; this dialog closes
                return
            set_role(self.notice, "hint")
            self.say(_dose_done(draw))

        dialog = DrawDialog(
            self.ctx.title("Mark the dose given"),
            plan_summary(plan),
            plan.total_mg,
            states,
            offered,
            act,
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _confirm_dose(
        self, exc: DoseNeedsConfirmation, draw: dict[str, Any] | None = None
    ) -> ReasonDialog:
        """The last reading before the dose is flagged: give it only with a reason."""
        reading = exc.reading
        chosen = dict(draw or {})

        def act(reason: str) -> None:
            self.controller.give_dose(flagged_reading_reason=reason, **chosen)
            set_role(self.notice, "hint")
            self.say("Dose given after a flagged reading; the reason is in the record.")

        dialog = ReasonDialog(
            self.ctx.title("Give the dose after a flagged reading?"),
            "The last reading before the dose is flagged:\n"
            + "\n".join(reading.flags)
            + "\n\nGive the dose only if that is a decision you can explain.",
            "&Why the dose is given anyway (kept with the dose, in the record and the audit log)",
            "&Give the dose",
            act,
            self,
            placeholder="e.g. Rechecked after ten minutes of rest at 138/88; prescriber agreed.",
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def advance(self) -> bool:
        return self._act(self.controller.advance_phase, "Moved to the next phase.")

    def extend(self) -> bool:
        minutes = self.extend_minutes.value()
        return self._act(
            lambda: self.controller.extend_phase(minutes), f"Phase extended by {minutes} min."
        )

    def open_discharge(self) -> DischargeDialog | None:
        """End the session; before the planned end of the current phase, ask first."""
        if not self.controller.running:
            return None
        left = self.controller.minutes_left_in_phase()
        if left is not None and left >= 1:
            self._confirm_end_early(left)
            return None
        return self._open_discharge_dialog()

    def _confirm_end_early(self, minutes_left: float) -> QMessageBox:
        phase = self.controller.status().current
        label = phase.label if phase is not None else "The current phase"
        whole = int(minutes_left)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.ctx.title("End the session early?"))
        box.setText(
            f"{label} has {whole} planned minute{'s' if whole != 1 else ''} left. "
            "End the session now?"
        )
        box.setInformativeText(
            "The discharge checklist opens next; nothing is recorded until you discharge."
        )
        end_now = box.addButton("&End now…", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("&Keep going", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        end_now.clicked.connect(self._open_discharge_dialog)
        self.dialog = box
        box.open()
        return box

    def _open_discharge_dialog(self) -> DischargeDialog | None:
        if not self.controller.running:
            return None
        dialog = DischargeDialog(self.controller, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.open_summary)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_booster(self) -> BoosterDialog:
        dialog = BoosterDialog(self.controller, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.say("Booster recorded; the session's total is updated.")
        )
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_summary(self) -> SummaryDialog:
        dialog = SummaryDialog(self.ctx, self.controller.session_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_preparation(self) -> QDialog | None:
        ctl = self.controller
        dialog: QDialog | None = open_preparation(
            self.ctx, ctl.runner.client_id, ctl.session_id, self
        )
        if dialog is not None:
            dialog.finished.connect(lambda _r: self._after_preparation())
            self.dialog = dialog
        return dialog

    def _after_preparation(self) -> None:
        if self.controller.disposed:
            return
        self.controller.load_music()
        self.prestart.refresh()
