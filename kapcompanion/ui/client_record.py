"""A client's record: a header and one tab per section, from a registry.

The plug-in seam for later screens. A section is a ``SectionSpec(key, title, factory)``;
``factory(ctx, client_id) -> QWidget`` builds its widget the first time its tab opens.
Two ways in, no edit of this file needed:

* a module ``kapcompanion/ui/sections/<key>.py`` with ``create_section(ctx, client_id)``
  replaces the placeholder of a standard key (overview, screening, sessions, integration,
  measures, documents) through ``default_registry()``;
* ``registry.register(key, factory, title)`` adds or replaces any section explicitly.

A section widget saves its drafts on ``ctx.signals.about_to_lock``; it is destroyed on lock.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.core import wording
from kapcompanion.core.intake import indication_label
from kapcompanion.core.models import Client, ClientStatus
from kapcompanion.services import clients as client_service
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.menus import key_of, tooltip
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.widgets.safety_flag_banner import SafetyFlagBanner
from kapcompanion.ui.widgets.section_bar import SectionBar
from kapcompanion.ui.widgets.status import EmptyState

SectionFactory = Callable[[AppContext, int], QWidget]


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    factory: SectionFactory


class SectionRegistry:
    """Ordered sections; registering an existing key replaces it in place."""

    def __init__(self) -> None:
        self._specs: dict[str, SectionSpec] = {}

    def register(self, key: str, factory: SectionFactory, title: str | None = None) -> None:
        old = self._specs.get(key)
        self._specs[key] = SectionSpec(key, title or (old.title if old else key.title()), factory)

    def get(self, key: str) -> SectionSpec | None:
        return self._specs.get(key)

    def specs(self) -> list[SectionSpec]:
        return list(self._specs.values())

    def keys(self) -> list[str]:
        return list(self._specs)


#: (key, title, what will be there, how to start it once built)
STANDARD_SECTIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "overview",
        "Overview",
        "The client's details, contacts, escort and courses.",
        f"Edit the details with Edit client ({key_of('edit')}).",
    ),
    (
        "screening",
        "Screening and intake",
        "The contraindication screening (each item yes, no or unknown, with an outcome of "
        "eligible, needs physician review or not eligible) and the intake: indications, "
        "medical concerns, medication, substance history, the ACE score, support people and "
        "the escort home.",
        "Start it here with Start screening.",
    ),
    (
        "sessions",
        "Sessions",
        "The dosing sessions of each course: the preparation checklist, the dose plan, the "
        "session clock with its phases and music, vitals, events, discharge and the signed "
        "record.",
        "Plan the first session here with New session.",
    ),
    (
        "integration",
        "Integration",
        "Integration entries linked to a session: the same-day debrief, the next day and "
        "later; insights, challenges, what changed, commitments, mood, and drawings or photos "
        "kept inside the vault.",
        "Write the first entry here with New entry after a session.",
    ),
    (
        "measures",
        "Measures",
        "Outcome questionnaires across the course (PHQ-9, GAD-7, PCL-5, AAQ-II, craving) "
        "with scores, bands and how they changed.",
        "Record a baseline here with New measure.",
    ),
    (
        "documents",
        "Documents",
        "Signed records and their addenda, consent forms and images kept in the vault, and "
        "PDF exports of a session record or a course summary.",
        "Export or attach documents here.",
    ),
    (
        "consent",
        "Consent",
        "The consents the clinic asks for, signed by the client on screen and countersigned: "
        "informed consent, the touch agreement, music and recording.",
        "Sign one here with Sign with the client.",
    ),
)

NOT_BUILT = (
    "This screen is not built yet in this version. Records of this kind already in the vault "
    "are kept safe and will appear here."
)


def placeholder(title: str, body: str, how: str) -> SectionFactory:
    def build(_ctx: AppContext, _client_id: int) -> QWidget:
        return EmptyState(title, body, f"{NOT_BUILT} Once it is: {how}")

    return build


def discover(key: str) -> SectionFactory | None:
    """``kapcompanion.ui.sections.<key>.create_section`` if that module exists.

    The module is imported when the section is first shown, not at start-up: the unlock window
    must not wait for every screen's imports (bench/ figure 1).
    """
    name = f"kapcompanion.ui.sections.{key}"
    if importlib.util.find_spec(name) is None:
        return None

    def build(ctx: AppContext, client_id: int) -> QWidget:
        factory = importlib.import_module(name).create_section
        widget: QWidget = factory(ctx, client_id)
        return widget

    return build


def default_registry() -> SectionRegistry:
    registry = SectionRegistry()
    for key, title, body, how in STANDARD_SECTIONS:
        registry.register(key, discover(key) or placeholder(title, body, how), title)
    return registry


def age_on(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def summary_line(client: Client, today: date | None = None) -> str:
    parts: list[str] = []
    if client.pseudonym and client.name:
        parts.append(f"Pseudonym {client.pseudonym}")
    if client.dob:
        born = wording.short_date(client.dob)
        parts.append(f"born {born} ({age_on(client.dob, today or date.today())})")
    if client.pronouns:
        parts.append(client.pronouns)
    if client.indications:
        parts.append(", ".join(indication_label(i) for i in client.indications))
    for measure in (client.weight, client.height):
        if measure is not None:
            when = measure.measured_on
            parts.append(measure.text() + (f" on {wording.short_date(when)}" if when else ""))
    if client.status == ClientStatus.ARCHIVED:
        parts.append("ARCHIVED")
    return "  ·  ".join(parts)


class _SectionHolder(QWidget):
    """Holds one section in its scroll area: as tall as the viewport, but never below the
    section's minimum nor :attr:`FLOOR` (then it scrolls). On a narrow record (150 %) it is
    as tall as its wrapped lines need at that width; on a wide one it asks no more than the
    minimum, so a section that fits at 1366x768 does not scroll for a few pixels."""

    FLOOR = 420
    NARROW = 720

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        layout = self.layout()
        if layout is None or width >= self.NARROW:
            return -1  # (the scroll area then keeps to the viewport and the minimum)
        return max(layout.totalHeightForWidth(width), self.FLOOR)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), self.FLOOR))


class ClientRecord(QWidget):
    """One client's record. Reading it here is audited (``Repos.clients.view``)."""

    edit_requested = Signal(int)
    archive_requested = Signal(int)
    unarchive_requested = Signal(int)
    delete_requested = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        registry: SectionRegistry,
        parent: QWidget | None = None,
        *,
        section: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("clientRecord")
        self.ctx = ctx
        self.client_id = client_id
        self.client = client_service.view(ctx.repos, client_id)
        self.registry = registry
        self.sections: dict[str, QWidget] = {}

        self.name = QLabel()
        set_role(self.name, "title")
        self.name.setWordWrap(True)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        set_role(self.summary, "hint")
        self.edit_button = QPushButton("&Edit client")
        self.edit_button.setAccessibleName("Edit client")
        self.edit_button.setToolTip(tooltip("edit"))
        self.archive_button = QPushButton()
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setAccessibleName("Delete client permanently")
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.client_id))
        self.archive_button.clicked.connect(self._archive_clicked)
        self.delete_button.clicked.connect(lambda: self.delete_requested.emit(self.client_id))
        # the buttons beside the name and the summary below at the full width: beside the
        # buttons it was squeezed into three lines at 150 %
        head = QHBoxLayout()
        head.addWidget(self.name, 1)
        for b in (self.edit_button, self.archive_button, self.delete_button):
            head.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Record sections")
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        self._pages: dict[str, QWidget] = {}
        self._holders: dict[str, QWidget] = {}
        for i, spec in enumerate(registry.specs()):
            page = QWidget()
            QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
            page.setProperty("section_key", spec.key)
            self._pages[spec.key] = page
            # a short record (1366x768 at 150 %) scrolls the section down rather than
            # squeezing its cards and charts below the height they need
            holder = _SectionHolder()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            scroll = QScrollArea(page)
            scroll.setWidget(holder)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            page_layout = page.layout()
            assert page_layout is not None
            page_layout.addWidget(scroll)
            self._holders[spec.key] = holder
            self.tabs.addTab(page, spec.title)
            self.tabs.setTabToolTip(i, f"{spec.title} (Alt+{i + 1})" if i < 9 else spec.title)
            if i < 9:
                shortcut = QShortcut(QKeySequence(f"Alt+{i + 1}"), self)
                shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(lambda i=i: self.go_to(i))
        self.tabs.currentChanged.connect(self._build_current)
        # every section in sight: buttons that wrap onto a second line when the record is
        # narrow, in place of a tab bar that hid the last tabs behind scroll arrows
        self.tabs.tabBar().hide()
        self.section_bar = SectionBar([spec.title for spec in registry.specs()], self)
        for i, button in enumerate(self.section_bar.buttons):
            button.setToolTip(self.tabs.tabToolTip(i))
        self.section_bar.chosen.connect(self.tabs.setCurrentIndex)
        self.tabs.currentChanged.connect(self.section_bar.set_current)
        self.section_bar.set_current(self.tabs.currentIndex())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        self.flag_banner = SafetyFlagBanner(ctx, client_id, self)
        layout.addWidget(self.flag_banner)
        layout.addWidget(self.section_bar)
        layout.addWidget(self.tabs, 1)
        self._show_client()
        if section and section in self._pages:
            self.tabs.setCurrentWidget(self._pages[section])
        self._build_current()

    def _show_client(self) -> None:
        c = self.client
        self.name.setText(c.name or c.pseudonym or "(no name)")
        self.name.setAccessibleName("Client name")
        self.summary.setText(summary_line(c))
        archived = c.status == ClientStatus.ARCHIVED
        self.archive_button.setText("Un&archive" if archived else "&Archive")
        self.archive_button.setAccessibleName("Unarchive client" if archived else "Archive client")

    def _archive_clicked(self) -> None:
        if self.client.status == ClientStatus.ARCHIVED:
            self.unarchive_requested.emit(self.client_id)
        else:
            self.archive_requested.emit(self.client_id)

    def reload(self) -> None:
        """The client's details changed (already viewed: not audited again)."""
        self.client = client_service.get(self.ctx.repos, self.client_id)
        self._show_client()

    def current_key(self) -> str:
        return str(self.tabs.currentWidget().property("section_key"))

    def go_to(self, index: int) -> None:
        """Alt+N: show section N and move the keyboard into it (the keys typed next belong
        to the section, not to the client search that had focus)."""
        self.tabs.setCurrentIndex(index)
        QTimer.singleShot(0, self._focus_current)

    def _focus_current(self) -> None:
        section = self.sections.get(self.current_key())
        if section is None:
            return
        widget = section.nextInFocusChain()
        while widget is not None and widget is not section and section.isAncestorOf(widget):
            policy = widget.focusPolicy()
            if policy & Qt.FocusPolicy.TabFocus and widget.isVisible() and widget.isEnabled():
                widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return
            widget = widget.nextInFocusChain()
        section.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_section(self, key: str) -> QWidget:
        self.tabs.setCurrentWidget(self._pages[key])
        return self.sections[key]

    def _build_current(self, *_args: object) -> None:
        key = self.current_key()
        if key in self.sections:
            return
        spec = self.registry.get(key)
        assert spec is not None
        try:
            widget = spec.factory(self.ctx, self.client_id)
        except Exception:  # one broken section must not take the record down
            widget = EmptyState(
                spec.title,
                "This section could not be shown. The record itself is safe.",
                "The error is in the log (without client data).",
            )
            exc_type, exc, tb = sys.exc_info()
            assert exc_type is not None and exc is not None
            sys.excepthook(exc_type, exc, tb)
        self.sections[key] = widget
        layout = self._holders[key].layout()
        assert layout is not None
        layout.addWidget(widget)
