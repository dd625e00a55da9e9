"""A flagged reading is an alert, not a colour (issue 19).

:class:`AlertBanner` stays above the session while a flagged reading is not acknowledged: what
was flagged, when the recheck is due (the clinic's ``vitals_recheck_minutes``), and a button to
acknowledge it with a note of what was seen and done (an audited event). :class:`ReasonDialog`
is the one small form behind every "go on, with a reason" in the session: the acknowledgement
and a dose after a flagged pre-dose reading. The rules (what needs a reason, what a reason is)
live in ``services.session`` and ``core.reasons``; the dialog shows their message in place.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.services.session import effect_alert_text
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.session.controller import SessionController
from kapcompanion.ui.session.state import minutes_seconds
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.form_keys import install_form_keys


class ReasonDialog(QDialog):
    """Ask for a reason, call ``act(reason)``; a refusal is shown in place, the form stays."""

    def __init__(
        self,
        title: str,
        message: str,
        field_label: str,
        confirm_text: str,
        act: Callable[[str], object],
        parent: QWidget | None = None,
        placeholder: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.act = act
        self.done_ok = False
        text = QLabel(message, self)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.PlainText)
        label = QLabel(field_label, self)
        label.setWordWrap(True)
        self.reason = QPlainTextEdit(self)
        self.reason.setAccessibleName(field_label.replace("&", ""))
        self.reason.setPlaceholderText(placeholder)
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        label.setBuddy(self.reason)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem")
        self.error.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 4)
        self.error.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        set_role(self.error, "error")
        self.buttons = QDialogButtonBox(self)
        self.confirm = self.buttons.addButton(confirm_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm.setProperty("primary", "true")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.reason.textChanged.connect(lambda: self.error.setText(""))
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())
        self.reason.setFocus()
        # Ctrl+Enter confirms from inside the reason (Enter starts a new line there); Escape
        # asks before a written reason is thrown away
        install_form_keys(
            self, save=self.submit, modified=lambda: bool(self.reason.toPlainText().strip())
        )

    def submit(self) -> bool:
        try:
            self.act(self.reason.toPlainText())
        except VaultError as exc:
            self.error.setText(exc.message)
            self.reason.setFocus()
            return False
        self.done_ok = True
        self.accept()
        return True


class AlertBanner(QFrame):
    """Shown while the session has a flagged reading that nobody acknowledged yet."""

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vitalsAlert")
        self.setProperty("role", "card")
        self.controller = controller
        self.dialog: ReasonDialog | None = None
        self.title = QLabel(self)
        set_role(self.title, "error")
        self.title.setAccessibleName("Vitals alert")
        self.detail = QLabel(self)
        # one flag a line, unwrapped: a wrapped label in a nested layout can be cut short
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setAccessibleName("What was flagged")
        self.recheck = QLabel(self)
        self.recheck.setAccessibleName("Recheck")
        set_role(self.recheck, "warning")
        self.button = QPushButton("Ac&knowledge…", self)
        self.button.setAccessibleName("Acknowledge the vitals alert with a note")
        self.button.clicked.connect(self.open_acknowledge)
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.title)
        words.addWidget(self.detail)
        words.addWidget(self.recheck)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 10, 4)  # the session screen is short of height
        row.addLayout(words, 1)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        controller.alert_changed.connect(self.refresh)
        controller.ticked.connect(self._tick)
        self.refresh()

    def refresh(self) -> None:
        ctl = self.controller
        alert = ctl.open_alert() if not ctl.disposed else []
        effects = ctl.open_effect_alert() if not ctl.disposed else []
        self.setVisible(bool(alert or effects) and ctl.running)
        if not alert and not effects:
            return
        flags = list(dict.fromkeys(f for _vid, r in alert for f in r.flags))
        flags += [effect_alert_text(e) for e in effects]
        n = len(alert)
        if not alert:
            self.title.setText("Sedation or breathing alert: watch the client directly")
        else:
            self.title.setText(
                "Vitals alert: a flagged reading"
                if n == 1
                else f"Vitals alert: {n} flagged readings"
            )
        self.detail.setText("\n".join(flags))
        self._tick()

    def _tick(self) -> None:
        if self.isHidden():  # (isVisible is False until the screen is shown)
            return
        left = self.controller.recheck_in_s()
        if not self.controller.open_alert():
            self.recheck.setText("Stays until acknowledged with a note of what you saw and did.")
        elif left is None:
            self.recheck.setText("Stays until acknowledged with a note.")
        elif left > 0:
            self.recheck.setText(
                f"Recheck vitals in {minutes_seconds(left)}. Stays until acknowledged with a note."
            )
        else:
            self.recheck.setText(
                f"Recheck vitals now ({minutes_seconds(-left)} overdue). "
                "Stays until acknowledged with a note."
            )

    def open_acknowledge(self) -> ReasonDialog:
        ctl = self.controller
        flags = [f for _vid, r in ctl.open_alert() for f in r.flags]
        flags += [effect_alert_text(e) for e in ctl.open_effect_alert()]
        dialog = ReasonDialog(
            ctl.ctx.title("Acknowledge the alert"),
            "Flagged: " + " ".join(flags),
            "&What you saw and did (kept in the record and the audit log)",
            "&Acknowledge",
            ctl.acknowledge_alert,
            self.window(),
            placeholder="e.g. Client sat up and breathed slowly; physician informed; recheck "
            "in 5 minutes.",
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog
