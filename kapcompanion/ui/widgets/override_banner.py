"""A strip that says a client's screening outcome was overridden, on every later screen.

Shows nothing when the current screening has no override. When an override no longer covers
the findings (a new "yes" since), it says so: the original outcome stands again. It follows
``ctx.signals.client_changed`` (emitted when an override is recorded or withdrawn) and
re-reads the vault each time it is shown. The screening screen hands it the screening on
screen (:meth:`follow`), so it agrees with the outcome there before the autosave.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kapcompanion.core.screening import Screening
from kapcompanion.services.screening import OverrideNotice, override_notice
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role


class ScreeningOverrideBanner(QWidget):
    def __init__(self, ctx: AppContext, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screeningOverrideBanner")
        self.ctx = ctx
        self.client_id = client_id
        self.notice: OverrideNotice | None = None
        self.screening: Screening | None = None  # the one on screen, when there is one
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName("Screening override")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        ctx.signals.client_changed.connect(self._client_changed)
        self.refresh()

    def _client_changed(self, client_id: int) -> None:
        if client_id == self.client_id:
            self.refresh()

    def follow(self, screening: Screening) -> None:
        """Speak about ``screening`` (the one on screen, maybe not saved yet)."""
        self.screening = screening
        self.refresh()

    def refresh(self) -> None:
        try:
            self.notice = override_notice(self.ctx.repos, self.client_id, self.screening)
        except VaultError:  # locked meanwhile: the widget is about to go
            self.notice = None
        notice = self.notice
        if notice is None:
            self.label.clear()
            self.setVisible(False)
            return
        self.label.setText(notice.text)
        set_role(self.label, "banner" if notice.active else "warning")
        self.setVisible(True)

    def text(self) -> str:
        return self.label.text() if self.notice is not None else ""

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # another screen may have changed the screening meanwhile
