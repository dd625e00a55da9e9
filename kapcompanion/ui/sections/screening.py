"""The "Screening and intake" section of a client's record.

Two drafts, each the client's current document of its kind (``services/screening.py``):
the screening and the intake, autosaved separately. An autosave based on an older version
than the stored one (the same record saved in another window meanwhile) is refused and kept;
a strip over the form offers keep mine / keep theirs / keep both (``ConflictBanner``). A
signed document is shown read-only with a way to start a new draft from it. Baseline
measures open the measures screen (``ui/measure_form.py``, imported only when asked for, so
this section works without it).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.intake import Intake
from kapcompanion.core.models import StoredDocument
from kapcompanion.core.screening import Screening
from kapcompanion.core.serial import load
from kapcompanion.services import members as practice
from kapcompanion.services.screening import (
    client_escort,
    current_intake,
    current_screening,
    reconcile_medication_list,
    record_override,
    save_intake,
    save_screening,
    screening_context,
    withdraw_override,
)
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.autosave import Autosaver, guard_conflicts
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.intake_form import IntakeForm
from kapcompanion.ui.screening_form import INTERACTING, PrescriberChoice, ScreeningForm
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.conflict_banner import ConflictBanner
from kapcompanion.ui.widgets.override_banner import ScreeningOverrideBanner

MEASURE_FORM = "kapcompanion.ui.measure_form"
NO_MEASURES = (
    "The measures screen is not part of this version yet, so baseline questionnaires "
    "(PHQ-9, GAD-7 and others) cannot be taken here. Nothing was lost."
)
WAITING = "Not saved here: both versions are kept until you choose"
SIGNED = "This {what} is signed and cannot change. Start a new draft from it to record changes."


def _refusal(exc: VaultError) -> str:
    """A refused confirmation says why as is; anything else was a failed save."""
    if isinstance(exc, practice.MemberRefused):
        return exc.message
    return f"Not saved: {exc.message}"


class ScreeningSection(QWidget):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screeningSection")
        self.ctx = ctx
        self.client_id = client_id
        self.screening_doc, screening = current_screening(ctx.repos, client_id)
        self.intake_doc, intake = current_intake(ctx.repos, client_id)
        self.measure_dialog: QWidget | None = None

        self.banner = ScreeningOverrideBanner(ctx, client_id, self)
        self.baseline_button = QPushButton("Take &baseline measures")
        self.baseline_button.setAccessibleName("Take baseline measures")
        self.baseline_button.clicked.connect(self.take_baseline)
        self.status = QLabel()
        set_role(self.status, "hint")
        self.status.setAccessibleName("Save status")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        head = QHBoxLayout()
        head.addWidget(self.baseline_button)
        head.addStretch(1)
        head.addWidget(self.status)

        self.screening = ScreeningForm(self)
        self.screening.set_screening(screening)
        self.intake = IntakeForm(self)
        self.intake.set_intake(intake)
        self.intake.set_record_escort(client_escort(ctx.repos, client_id))
        self.screening_signed = self._signed_bar("screening", self._new_screening_draft)
        self.intake_signed = self._signed_bar("intake", self._new_intake_draft)
        self.screening_conflict = ConflictBanner("screening")
        self.intake_conflict = ConflictBanner("intake")

        screening_page = QWidget()
        sp = QVBoxLayout(screening_page)
        sp.setContentsMargins(0, 0, 0, 0)
        sp.addWidget(self.screening_conflict)
        sp.addWidget(self.screening_signed)
        sp.addWidget(self.screening, 1)
        intake_page = QWidget()
        ip = QVBoxLayout(intake_page)
        ip.setContentsMargins(0, 0, 0, 0)
        ip.addWidget(self.intake_conflict)
        ip.addWidget(self.intake_signed)
        ip.addWidget(self.intake, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("Screening or intake")
        self.tabs.addTab(screening_page, "Scree&ning")
        self.tabs.addTab(intake_page, "In&take")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.banner)
        layout.addLayout(head)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        lock = ctx.signals.about_to_lock
        self.screening_saver = Autosaver(self._save_screening, self, about_to_lock=lock)
        self.intake_saver = Autosaver(self._save_intake, self, about_to_lock=lock)
        for saver in (self.screening_saver, self.intake_saver):
            saver.saved.connect(self._saved)
            saver.failed.connect(self._failed)
        guard_conflicts(
            self.screening_saver,
            self.screening_conflict,
            ctx,
            lambda: self.screening.screening,
            self._show_screening,
            self._failed,
        )
        guard_conflicts(
            self.intake_saver,
            self.intake_conflict,
            ctx,
            self.intake.intake,
            self._show_intake,
            self._failed,
        )
        for saver in (self.screening_saver, self.intake_saver):
            saver.conflicted.connect(lambda _exc: self._saved(WAITING))
        self.screening.edited.connect(self._screening_edited)
        self.screening.prescribers = lambda: practice.prescribers(ctx.vault)
        self.screening.override_requested.connect(self.record_override)
        self.screening.override_withdraw_requested.connect(self.withdraw_override)
        self.screening.reconcile_requested.connect(self.reconcile_medication)
        self.intake.edited.connect(self._intake_edited)
        self.intake.answer_interacting.connect(self.go_to_interacting)
        self._apply_signed()
        self._cross_check()

    # ------------------------------------------------------------------ signed records
    def _signed_bar(self, what: str, start: Callable[[], None]) -> QWidget:
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 4, 0, 0)
        label = QLabel(SIGNED.format(what=what))
        label.setWordWrap(True)
        set_role(label, "warning")
        button = QPushButton(f"Start a new {what} draft")
        button.clicked.connect(start)
        row.addWidget(label, 1)
        row.addWidget(button)
        return bar

    def _apply_signed(self) -> None:
        s_signed = self.screening_doc is not None and self.screening_doc.signed
        i_signed = self.intake_doc is not None and self.intake_doc.signed
        self.screening.set_read_only(s_signed)
        self.intake.set_read_only(i_signed)
        self.screening_signed.setVisible(s_signed)
        self.intake_signed.setVisible(i_signed)

    def _new_screening_draft(self) -> None:
        def store() -> None:
            self.screening_doc = save_screening(
                self.ctx.repos, self.client_id, None, self.screening.screening
            )

        self._commit(store, "A new screening draft was started.")

    def _new_intake_draft(self) -> None:
        def store() -> None:
            self.intake_doc = save_intake(
                self.ctx.repos, self.client_id, None, self.intake.intake()
            )

        self._commit(store, "A new intake draft was started.")

    def _commit(self, action: Callable[[], None], done: str) -> None:
        try:
            action()
        except VaultError as exc:
            self._say(f"Not saved: {exc.message}", "error")
            return
        self._apply_signed()
        self._saved(f"Saved {wording.time_of_day(datetime.now())}")
        self._say(done, "ok")

    # ------------------------------------------------------------------ saving
    def _save_screening(self) -> None:
        if self.screening_doc is not None and self.screening_doc.signed:
            return
        self.screening_doc = save_screening(
            self.ctx.repos, self.client_id, self.screening_doc, self.screening.screening
        )

    def _save_intake(self) -> None:
        if self.intake_doc is not None and self.intake_doc.signed:
            return
        self.intake_doc = save_intake(
            self.ctx.repos, self.client_id, self.intake_doc, self.intake.intake()
        )

    # ------------------------------------------------------------------ changed elsewhere
    def _show_intake(self, doc: StoredDocument | None) -> None:
        """The intake as kept after a choice on the strip."""
        if doc is not None:
            self.intake_doc = doc
            self.intake.set_intake(load(Intake, doc.data))
            self._cross_check()

    def _show_screening(self, doc: StoredDocument | None) -> None:
        if doc is not None:
            self.screening_doc = doc
            self.screening.set_screening(load(Screening, doc.data))
            self._cross_check()

    def _screening_edited(self) -> None:
        self._cross_check()
        self.screening_saver.touch()

    def _intake_edited(self) -> None:
        self._cross_check()
        self.intake_saver.touch()

    def _saved(self, text: str) -> None:
        self.status.setText(text)
        set_role(self.status, "hint")

    def _failed(self, text: str) -> None:
        self.status.setText(text)
        set_role(self.status, "error")

    def _say(self, text: str, role: str) -> None:
        self.message.setText(text)
        set_role(self.message, role)
        self.message.setVisible(bool(text))

    def flush(self) -> bool:
        return self.screening_saver.flush() and self.intake_saver.flush()

    # ------------------------------------------------------------------ override
    def record_override(self, reason: str, choice: PrescriberChoice | None = None) -> bool:
        self.screening_saver.flush()
        try:
            self.screening_doc, overridden = record_override(
                self.ctx.repos,
                self.client_id,
                self.screening_doc,
                self.screening.screening,
                reason,
                prescriber=choice.prescriber if choice else None,
                prescriber_pin=choice.pin if choice else "",
                context=self.screening.context,
            )
        except ValueError as exc:
            self.screening.show_override_error(str(exc))
            return False
        except VaultError as exc:
            self.screening.show_override_error(_refusal(exc))
            return False
        self.screening.set_screening(overridden)
        self.screening.hide_override()
        self._after_decision("The override, its reason and the findings it covers are recorded.")
        return True

    def withdraw_override(self) -> bool:
        self.screening_saver.flush()
        try:
            self.screening_doc, cleared = withdraw_override(
                self.ctx.repos, self.client_id, self.screening_doc, self.screening.screening
            )
        except VaultError as exc:
            self._say(f"Not saved: {exc.message}", "error")
            return False
        self.screening.set_screening(cleared)
        self._after_decision(
            "The override was withdrawn; the screening outcome stands as evaluated."
        )
        return True

    def reconcile_medication(self, reason: str, choice: PrescriberChoice) -> bool:
        self.screening_saver.flush()
        self.intake_saver.flush()  # the reconciliation covers the medication as saved
        try:
            self.screening_doc, reconciled = reconcile_medication_list(
                self.ctx.repos,
                self.client_id,
                self.screening_doc,
                self.screening.screening,
                choice.prescriber,
                reason,
                prescriber_pin=choice.pin,
                context=self.screening.context,
            )
        except ValueError as exc:
            self.screening.show_reconcile_error(str(exc))
            return False
        except VaultError as exc:
            self.screening.show_reconcile_error(_refusal(exc))
            return False
        self.screening.set_screening(reconciled)
        self.screening.hide_reconcile()
        self._after_decision("The prescriber's reconciliation of the medication list is recorded.")
        return True

    def _after_decision(self, done: str) -> None:
        self._saved(f"Saved {wording.time_of_day(datetime.now())}")
        self._say(done, "ok")
        self.banner.follow(self.screening.screening)
        self.ctx.signals.client_changed.emit(self.client_id)

    # ------------------------------------------------------------------ links
    def _cross_check(self) -> None:
        """The record's context for the screening (the intake on screen, suicide risk), and
        the banner on the screening on screen: the outcome, the notes and the banner agree."""
        try:
            context = screening_context(self.ctx.repos, self.client_id, self.intake.intake())
        except VaultError:  # locked meanwhile: the widget is about to go
            return
        self.screening.set_context(context)
        self.banner.follow(self.screening.screening)

    def go_to_interacting(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.screening.focus_item(INTERACTING)

    def take_baseline(self) -> QWidget | None:
        """Open the measures form for a baseline (if the measures screen exists)."""
        if importlib.util.find_spec(MEASURE_FORM) is None:
            box = QMessageBox(
                QMessageBox.Icon.Information, "Baseline measures", NO_MEASURES, parent=self
            )
            box.open()
            self.measure_dialog = box
            return box
        module = importlib.import_module(MEASURE_FORM)
        dialog: QDialog = module.MeasureFormDialog(
            self.ctx, self.client_id, context="baseline", session_id=None, parent=self
        )
        dialog.open()
        self.measure_dialog = dialog
        return dialog


def create_section(ctx: AppContext, client_id: int) -> QWidget:
    return ScreeningSection(ctx, client_id)
