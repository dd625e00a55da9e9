"""First run: create a vault, open an existing one, or explore the demo.

Creating runs off the GUI thread (the key derivation is deliberately slow). The vault's
location is shown in full so the therapist knows which file to back up.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core.models import Practitioner
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.passphrase import PassphraseEdit, strength
from kapcompanion.ui.widgets.status import BusyLine, centred_scroll
from kapcompanion.ui.workers import Task, run_in_background

if TYPE_CHECKING:
    from kapcompanion.services.handles import Vault

VAULT_FILTER = "KAP Companion vault (*.kapv);;All files (*)"


def free_vault_path(default: Path) -> Path:
    """``default``, or ``vault-2.kapv``, ``vault-3.kapv``... if it is taken."""
    candidate, n = default, 2
    while candidate.exists():
        candidate = default.with_name(f"{default.stem}-{n}{default.suffix}")
        n += 1
    return candidate


class WelcomeScreen(QWidget):
    created = Signal(object)  # the new, open Vault
    open_requested = Signal(object)  # Path of an existing vault
    demo_requested = Signal()

    def __init__(self, default_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeScreen")
        self._path = free_vault_path(default_path)
        self._task: Task | None = None

        column = QWidget()
        column.setMaximumWidth(780)
        outer = QVBoxLayout(column)
        outer.setSpacing(14)
        title = QLabel("Welcome to KAP Companion")
        set_role(title, "title")
        intro = QLabel(
            "Your records stay on this computer, in one encrypted vault file that only your "
            "passphrase opens. Nothing is sent anywhere."
        )
        intro.setWordWrap(True)
        outer.addWidget(title)
        outer.addWidget(intro)

        card = QFrame()
        card.setProperty("role", "card")
        form_box = QVBoxLayout(card)
        heading = QLabel("Create a new vault")
        set_role(heading, "heading")
        form_box.addWidget(heading)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name = QLineEdit()
        self.name.setAccessibleName("Your name")
        self.name.setPlaceholderText("as it should appear on signed records")
        self.clinic = QLineEdit()
        self.clinic.setAccessibleName("Clinic")
        self.passphrase = PassphraseEdit("Passphrase")
        self.strength = QLabel()
        set_role(self.strength, "hint")
        self.strength.setWordWrap(True)
        self.repeat = PassphraseEdit("Repeat passphrase")
        self.match = QLabel()
        set_role(self.match, "hint")
        self.match.setWordWrap(True)
        form.addRow("Your &name", self.name)
        form.addRow("&Clinic", self.clinic)
        form.addRow("&Passphrase", self.passphrase)
        form.addRow("", self.strength)
        form.addRow("&Repeat passphrase", self.repeat)
        form.addRow("", self.match)
        self.form = form
        form.setRowVisible(self.strength, False)
        form.setRowVisible(self.match, False)
        self.path_label = QLabel(str(self._path))
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setAccessibleName("Vault file location")
        self.change_path = QPushButton("C&hange…")
        self.change_path.setAccessibleName("Change where the vault file is saved")
        self.change_path.clicked.connect(self._choose_path)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_label, 1)
        path_row.addWidget(self.change_path, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow("Vault file", path_row)
        form_box.addLayout(form)
        warning = QLabel(
            "Nobody can recover a forgotten passphrase, not even support. Write it down and "
            "keep it somewhere safe, away from this computer."
        )
        warning.setWordWrap(True)
        set_role(warning, "warning")
        form_box.addWidget(warning)
        self.create_button = QPushButton("Create &vault")
        self.create_button.setProperty("primary", "true")
        self.create_button.setAccessibleName("Create vault")
        self.create_button.clicked.connect(self._create)
        create_row = QHBoxLayout()
        create_row.addStretch(1)
        create_row.addWidget(self.create_button)
        form_box.addLayout(create_row)
        outer.addWidget(card)

        self.busy = BusyLine()
        self.error = QLabel()
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        outer.addWidget(self.busy)
        outer.addWidget(self.error)

        other = QHBoxLayout()
        self.open_button = QPushButton("&Open an existing vault…")
        self.open_button.setAccessibleName("Open an existing vault file")
        self.open_button.clicked.connect(self._open_existing)
        self.demo_button = QPushButton("&Explore with demo data")
        self.demo_button.setAccessibleName("Explore with demo data")
        self.demo_button.clicked.connect(self.demo_requested)
        other.addWidget(self.open_button)
        other.addWidget(self.demo_button)
        other.addStretch(1)
        outer.addLayout(other)
        demo_hint = QLabel(
            "The demo opens a throw-away vault of invented clients; it is deleted when you quit."
        )
        demo_hint.setWordWrap(True)
        set_role(demo_hint, "hint")
        outer.addWidget(demo_hint)
        outer.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(centred_scroll(column, self))

        self.passphrase.textChanged.connect(self._update_hints)
        self.repeat.textChanged.connect(self._update_hints)
        self.repeat.returnPressed.connect(self._create)
        self.setTabOrder(self.name, self.clinic)
        self.setTabOrder(self.clinic, self.passphrase.edit)
        self.setTabOrder(self.passphrase.edit, self.passphrase.toggle)
        self.setTabOrder(self.passphrase.toggle, self.repeat.edit)
        self.setTabOrder(self.repeat.edit, self.repeat.toggle)
        self.setTabOrder(self.repeat.toggle, self.change_path)
        self.setTabOrder(self.change_path, self.create_button)
        self.setTabOrder(self.create_button, self.open_button)
        self.setTabOrder(self.open_button, self.demo_button)
        self.setFocusProxy(self.name)

    # ------------------------------------------------------------------ path
    @property
    def vault_path(self) -> Path:
        return self._path

    def set_vault_path(self, path: Path) -> None:
        self._path = Path(path)
        self.path_label.setText(str(self._path))

    def _choose_path(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Where to keep the vault", str(self._path), VAULT_FILTER
        )
        if chosen:
            path = Path(chosen)
            self.set_vault_path(path if path.suffix else path.with_suffix(".kapv"))

    def _open_existing(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Open a vault", str(self._path.parent), VAULT_FILTER
        )
        if chosen:
            self.open_requested.emit(Path(chosen))

    # ------------------------------------------------------------------ create
    def _update_hints(self) -> None:
        text = self.passphrase.text()
        score, hint = strength(text) if text else (0, "")
        self.strength.setText(hint)
        self.form.setRowVisible(self.strength, bool(hint))
        set_role(self.strength, {0: "hint", 1: "warning", 2: "hint", 3: "ok"}[score])
        again = self.repeat.text()
        self.form.setRowVisible(self.match, bool(again))
        if not again:
            self.match.setText("")
            set_role(self.match, "hint")
        elif again == text:
            self.match.setText("The passphrases match.")
            set_role(self.match, "ok")
        else:
            self.match.setText("The passphrases do not match yet.")
            set_role(self.match, "warning")

    def problem(self) -> tuple[str, QWidget] | None:
        """What keeps the form from being submitted, and the field to fix (or None)."""
        if not self.name.text().strip():
            return "Enter your name: it goes on signed records and in the audit trail.", self.name
        score, hint = strength(self.passphrase.text())
        if score == 0:
            return hint, self.passphrase
        if self.passphrase.text() != self.repeat.text():
            return "The two passphrases are not the same.", self.repeat
        if self._path.exists():
            return (
                f"There is already a file at {self._path}. Choose another place, or open it "
                "with “Open an existing vault”.",
                self.change_path,
            )
        return None

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_busy(self, text: str | None) -> None:
        """Show the busy line (``text``) or hide it (None); buttons wait meanwhile."""
        for w in (self.create_button, self.open_button, self.demo_button, self.change_path):
            w.setEnabled(text is None)
        if text is None:
            self.busy.stop()
        else:
            self.show_error("")
            self.busy.start(text)

    def _create(self) -> None:
        if self.busy.busy:
            return
        issue = self.problem()
        if issue is not None:
            self.show_error(issue[0])
            issue[1].setFocus()
            return
        practitioner = asdict(
            Practitioner(name=self.name.text().strip(), clinic=self.clinic.text().strip())
        )
        path, passphrase = self._path, self.passphrase.text()
        from kapcompanion.services import access  # here, on the GUI thread, not at start-up

        self.set_busy("Creating and encrypting the vault…")
        self._task = run_in_background(
            lambda: access.create(path, passphrase, practitioner),
            self._created,
            self._failed,
            owner=self,
            discard=lambda vault: vault.close(),
        )

    def _created(self, vault: Vault) -> None:
        self.set_busy(None)
        self.passphrase.clear()
        self.repeat.clear()
        self.created.emit(vault)

    def _failed(self, exc: BaseException) -> None:
        self.set_busy(None)
        if isinstance(exc, VaultError):
            self.show_error(exc.message)
        else:
            self.show_error("The vault could not be created. See the log for details.")
            raise exc
