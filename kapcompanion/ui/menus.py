"""The main window's menus, toolbar and shortcuts: every action reachable by keyboard.

Every action is declared once in :data:`ACTIONS` (words, shortcut, tooltip, menu, toolbar,
whether it needs an unlocked vault, what it runs); the menu bar, the toolbar, the F1 table and
the locked state are built from that list, and handlers are functions, not names looked up.
The menus are handed a :class:`~kapcompanion.ui.shell.Shell` (what they may use of the main
window), never the window class itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QMenu, QToolBar, QWidget

from kapcompanion import __version__
from kapcompanion.ui.settings import MAX_IDLE_MINUTES, MIN_IDLE_MINUTES
from kapcompanion.ui.shell import Shell

if TYPE_CHECKING:
    from PySide6.QtWidgets import QInputDialog

    from kapcompanion.ui.workspace import Workspace

# The dialogs' classes are imported where they open: PySide6 sets up each class (its enums)
# at its first import, and the window shows before any of them is needed (bench/README.md).

Handler = Callable[[Shell, bool], object]


@dataclass(frozen=True)
class Action:
    """One user action: its words, its key, where it shows and what it does.

    ``run`` gets the window's :class:`Shell` and the checked state (False unless checkable).
    The tooltip is ``tip`` followed by the shortcut, so a key is written once.
    """

    key: str
    text: str
    run: Handler
    menu: str
    shortcut: str | None = None
    tip: str = ""
    needs_vault: bool = False
    checkable: bool = False
    #: actions of one menu with a different group are divided by a separator
    group: int = 0

    @property
    def label(self) -> str:
        """The text without its mnemonic or ellipsis, as the shortcuts table shows it."""
        return self.text.replace("&", "").rstrip("…")

    @property
    def tooltip(self) -> str:
        words = self.tip or self.label
        return f"{words} ({self.shortcut})" if self.shortcut else words


def _ws(call: Callable[[Workspace], object]) -> Handler:
    """A handler that acts on the client workspace when it is on show."""

    def run(window: Shell, _checked: bool) -> None:
        if window.workspace is not None:
            call(window.workspace)

    return run


def _backup(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui import vault_actions

    if window.ctx is not None:
        vault_actions.back_up_now(window.ctx, window.window())


def _rekey(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui import vault_actions

    if window.ctx is not None:
        vault_actions.change_passphrase(window.ctx, window.window())


def _transfer_out(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui import transfer_dialog

    transfer_dialog.transfer_current_client(window)


def _transfer_in(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui import transfer_dialog

    transfer_dialog.import_client(window)


def _research_csv(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui import research_dialog

    research_dialog.research_csv(window)


def _members(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui import members_dialog

    members_dialog.open_from(window)


def _templates(window: Shell, _checked: bool) -> None:
    if window.ctx is None:
        return
    from kapcompanion.ui.template_editor import open_template_editor

    open_template_editor(window.ctx, window.workspace or window.window())


def _ledger(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui import ledger as ledger_screen  # loaded when opened, not at start-up

    ledger_screen.open_from(window)


def _agenda(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui.agenda import open_agenda

    open_agenda(window)


def _music(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui.session import host

    host.open_music_settings(window)


def _thresholds(window: Shell, _checked: bool) -> None:
    from kapcompanion.ui.session import host

    host.open_thresholds(window)


def _set_os_lock(window: Shell, checked: bool) -> None:
    window.settings.lock_on_os_lock = bool(checked)
    window.save_settings()


def _logs(window: Shell, _checked: bool) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(str(window.dirs.logs)))


#: Every action of the menus and the toolbar, in menu order. Menus, the toolbar, tooltips, the
#: F1 table and what a locked vault disables are all built from this one list.
ACTIONS: tuple[Action, ...] = (
    Action("new", "&New client…", _ws(lambda ws: ws.new_client()), "&File", "Ctrl+N",
           "Add a client", needs_vault=True),
    Action("lock", "&Lock now", lambda w, _c: w.lock(), "&File", "Ctrl+L", "Lock the vault now",
           needs_vault=True),
    Action("backup", "&Back up the vault now…", _backup, "&File", needs_vault=True, group=1),
    Action("rekey", "Change the &passphrase…", _rekey, "&File", needs_vault=True, group=1),
    Action("transfer_out", "&Transfer this client…", _transfer_out, "&File",
           tip="Write this client's record to an encrypted transfer file for another vault",
           needs_vault=True, group=2),
    Action("transfer_in", "&Import a transferred client…", _transfer_in, "&File",
           needs_vault=True, group=2),
    Action("research_csv", "Export research &CSV…", _research_csv, "&File",
           tip="De-identified CSV for research: previewed before anything is saved",
           needs_vault=True, group=2),
    Action("quit", "&Quit", lambda w, _c: w.window().close(), "&File", "Ctrl+Q", group=3),
    Action("find", "&Find client", _ws(lambda ws: ws.focus_search()), "&Client", "Ctrl+F",
           "Search the client list", needs_vault=True),
    Action("edit", "&Edit client…", _ws(lambda ws: ws.edit_client()), "&Client", "Ctrl+E",
           "Edit the open client's details", needs_vault=True),
    Action("archive", "&Archive client", _ws(lambda ws: ws.archive_client()), "&Client",
           needs_vault=True),
    Action("unarchive", "&Unarchive client", _ws(lambda ws: ws.unarchive_client()), "&Client",
           needs_vault=True),
    Action("delete", "&Delete client permanently…", _ws(lambda ws: ws.delete_client()), "&Client",
           needs_vault=True, group=1),
    Action("theme", "&Dim treatment-room theme", lambda w, _c: w.toggle_theme(), "&View",
           "Ctrl+Shift+D", "Switch between the light and the dim theme", checkable=True),
    Action("audit", "&Audit trail…", lambda w, _c: open_audit_view(w), "&View", "Ctrl+Shift+A",
           needs_vault=True),
    Action("agenda", "A&genda…", _agenda, "&View", "Ctrl+G", "Today and this week",
           needs_vault=True),
    Action("ledger", "Controlled-substance &ledger…", _ledger, "&View", "Ctrl+Shift+L",
           needs_vault=True),
    Action("clinic_settings", "&Clinic settings…", lambda w, _c: open_clinic_settings(w),
           "&Settings",
           tip="Paper size, the 42 CFR Part 2 notice, units and the other settings of this vault",
           needs_vault=True),
    Action("idle", "Lock after &inactivity…", lambda w, _c: ask_idle_minutes(w), "&Settings",
           group=1),
    Action("os_lock", "Lock when the &computer locks", _set_os_lock, "&Settings",
           checkable=True, group=1),
    Action("signing_pin", "Signing &PIN…", lambda w, _c: open_signing_pin(w), "&Settings",
           needs_vault=True, group=1),
    Action("members", "Pr&actice members…", _members,
           "&Settings", tip="Who witnesses a waste or decides as the prescriber, with their PINs",
           needs_vault=True, group=1),
    Action("backups_keep", "Automatic &backups to keep…", lambda w, _c: ask_backups_keep(w),
           "&Settings", group=1),
    Action("templates", "Checklist &templates…", _templates, "&Settings", needs_vault=True,
           group=1),
    Action("music", "&Music…", _music, "&Settings", needs_vault=True, group=1),
    Action("thresholds", "&Vital-sign thresholds…", _thresholds, "&Settings", needs_vault=True,
           group=1),
    Action("shortcuts", "&Keyboard shortcuts", lambda w, _c: show_shortcuts(w), "&Help", "F1"),
    Action("logs", "Open the &log folder", _logs, "&Help"),
    Action("about", "&About KAP Companion", lambda w, _c: show_about(w), "&Help"),
)  # fmt: skip

#: Keys that are not menu actions (they belong to a list, a section or the session screen),
#: listed in the F1 table after the menu actions' own shortcuts.
OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("Open the selected client", "Enter"),
    ("Record sections", "Alt+1 … Alt+7"),
    ("Sign the chosen record (Documents)", "Ctrl+Shift+S"),
    ("Session: start · mark the dose", "Ctrl+Enter · Ctrl+D"),
    ("Session: next phase · extend · end", "Alt+N · Alt+X · Alt+E"),
    ("Session: vitals entry", "V"),
    ("Session events: words, observation, nausea, distress", "C · O · S · D"),
    ("Session events: touch, medication, extra dose", "T · M · X"),
    ("Session events: bathroom, adverse event, free note", "B · A · F"),
    ("Menus", "Alt + the underlined letter"),
)

#: The toolbar, left to right; None is a separator.
TOOLBAR: tuple[str | None, ...] = ("new", "find", "lock", None, "theme")

NEEDS_VAULT = tuple(a.key for a in ACTIONS if a.needs_vault)

#: The F1 table: (what, keys), the menu actions with a shortcut first.
SHORTCUTS: list[tuple[str, str]] = [
    (a.label, a.shortcut) for a in ACTIONS if a.shortcut is not None
] + list(OTHER_KEYS)


def action(key: str) -> Action:
    """The registry's entry for ``key`` (KeyError for an unknown one)."""
    for a in ACTIONS:
        if a.key == key:
            return a
    raise KeyError(key)


def key_of(key: str) -> str:
    """The shortcut of action ``key`` as the F1 table writes it (e.g. "Ctrl+F")."""
    return action(key).shortcut or ""


def tooltip(key: str) -> str:
    """The tooltip of action ``key`` with its shortcut, for buttons that do the same thing."""
    return action(key).tooltip


def build(main: QMainWindow, window: Shell) -> dict[str, QAction]:
    """The actions, the menu bar and the toolbar of ``main``; the actions act on ``window``."""
    acts: dict[str, QAction] = {}
    menus: dict[str, tuple[QMenu, int]] = {}
    bar = main.menuBar()
    for spec in ACTIONS:
        qa = QAction(spec.text, main)
        if spec.shortcut is not None:
            qa.setShortcut(QKeySequence(spec.shortcut))
        qa.setToolTip(spec.tooltip)
        qa.setStatusTip(spec.tooltip)
        qa.setCheckable(spec.checkable)
        qa.triggered.connect(lambda checked=False, run=spec.run: run(window, bool(checked)))
        acts[spec.key] = qa
        menu, group = menus.get(spec.menu, (None, spec.group))
        if menu is None:
            menu = bar.addMenu(spec.menu)
        elif group != spec.group:
            menu.addSeparator()
        menus[spec.menu] = (menu, spec.group)
        menu.addAction(qa)
    acts["os_lock"].setChecked(window.settings.lock_on_os_lock)

    tools = QToolBar("Main toolbar", main)
    tools.setObjectName("mainToolbar")
    tools.setMovable(False)
    for key in TOOLBAR:
        if key is None:
            tools.addSeparator()
        else:
            tools.addAction(acts[key])
    main.addToolBar(tools)
    # F1 over dialogs: an application-wide Python event filter, so it goes on once the window
    # has shown (PySide6 sets up the Python side of every class whose events pass through
    # one: 25 ms of CPU before the unlock window, bench/README.md)
    QTimer.singleShot(HELP_KEY_AFTER_MS, main, partial(install_help_key, main))
    return acts


#: F1 over dialogs starts this long after the window is built (see ``build``)
HELP_KEY_AFTER_MS = 300


def install_help_key(main: QMainWindow) -> None:
    """F1 in any dialog of ``main`` opens the keyboard table (once per window)."""
    app = QApplication.instance()
    if app is not None and main.findChild(HelpKey) is None:
        app.installEventFilter(HelpKey(main))


class HelpKey(QObject):
    """F1 in a dialog of the window: the F1 action's shortcut belongs to the main window, which
    an open dialog blocks, so F1 did nothing exactly when a form raised a question. The table
    opens over the dialog (the action itself serves the main window)."""

    def __init__(self, main: QMainWindow) -> None:
        super().__init__(main)
        self.main = main

    def _ours(self, window: QWidget) -> bool:
        widget: QWidget | None = window
        while widget is not None:  # a dialog's parent chain leads to the main window
            if widget is self.main:
                return window is not self.main
            widget = widget.parentWidget()
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_F1
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and isinstance(watched, QWidget)
        ):
            window = QApplication.activeWindow()
            if (
                window is not None
                and window is watched.window()
                and window.objectName() != "shortcutsDialog"
                and self._ours(window)
            ):
                show_shortcuts(window)
                return True
        return False


def update(acts: dict[str, QAction], *, unlocked: bool, dim: bool) -> None:
    for key in NEEDS_VAULT:
        acts[key].setEnabled(unlocked)
    acts["theme"].setChecked(dim)


def ask_idle_minutes(window: Shell) -> QInputDialog:
    from PySide6.QtWidgets import QInputDialog

    dialog = QInputDialog(window.window())
    dialog.setWindowTitle("Lock after inactivity")
    dialog.setLabelText("Lock the app after this many minutes without keyboard or mouse use:")
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(int(MIN_IDLE_MINUTES), int(MAX_IDLE_MINUTES))
    dialog.setIntValue(round(window.settings.idle_minutes))
    dialog.intValueSelected.connect(window.set_idle_minutes)
    dialog.open()
    return dialog


def ask_backups_keep(window: Shell) -> QInputDialog:
    from PySide6.QtWidgets import QInputDialog

    dialog = QInputDialog(window.window())
    dialog.setWindowTitle("Automatic backups")
    dialog.setLabelText(
        "Keep this many automatic encrypted backups in the data folder (the oldest go first):"
    )
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(1, 100)
    dialog.setIntValue(int(window.settings.backups_keep))

    def chosen(value: int) -> None:
        window.settings.backups_keep = int(value)
        window.save_settings()

    dialog.intValueSelected.connect(chosen)
    dialog.open()
    return dialog


def shortcuts_table(shortcuts: list[tuple[str, str]] = SHORTCUTS) -> str:
    """The keys in two side-by-side columns: one long column ran past a 1366x768 screen,
    with the Close button off the bottom."""
    half = (len(shortcuts) + 1) // 2
    left, right = shortcuts[:half], shortcuts[half:]
    rows = []
    for i, (what, keys) in enumerate(left):
        cells = f"<td>{what}</td><td nowrap><b>{keys}</b></td>"
        if i < len(right):
            more, more_keys = right[i]
            cells += f"<td width='24'></td><td>{more}</td><td nowrap><b>{more_keys}</b></td>"
        rows.append(f"<tr>{cells}</tr>")
    return f"<table cellpadding='3'>{''.join(rows)}</table>"


def show_shortcuts(window: Shell | QWidget) -> QDialog:
    """The F1 table, over ``window`` (the main window, or the dialog F1 was pressed in)."""
    from PySide6.QtWidgets import QDialogButtonBox, QLabel, QVBoxLayout

    from kapcompanion.ui.widgets.fit import fit_to_screen, scroll_down

    dialog = QDialog(window.window())
    dialog.setObjectName("shortcutsDialog")
    dialog.setWindowTitle("Keyboard shortcuts")
    table = QLabel(shortcuts_table())
    table.setTextFormat(Qt.TextFormat.RichText)
    table.setWordWrap(True)  # at 1.5x the descriptions wrap instead of pushing Close off
    # the table scrolls down when the screen is short (150 %): no row is cut, Close stays
    scroll = scroll_down(table, dialog)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(scroll, 1)
    layout.addWidget(buttons)
    fit_to_screen(dialog, 860, 10_000)  # as wide as it may be; then only as tall as it needs
    inner = table.heightForWidth(dialog.width() - 40) + buttons.sizeHint().height() + 48
    dialog.resize(dialog.width(), min(dialog.height(), inner))
    dialog.open()
    return dialog


def show_about(window: Shell) -> None:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(
        QMessageBox.Icon.Information,
        "About KAP Companion",
        f"KAP Companion {__version__}\n\nAn offline companion for ketamine-assisted "
        "psychotherapy. Every record stays on this computer in an encrypted vault.",
        parent=window.window(),
    )
    box.open()


def open_audit_view(window: Shell) -> object:
    """The audit trail window, owned by the workspace (a lock closes it)."""
    if window.ctx is None or window.workspace is None:
        return None
    from kapcompanion.ui.audit_view import show_audit_view

    return show_audit_view(window.ctx, window.workspace)


def open_clinic_settings(window: Shell) -> object:
    """The clinic's settings (every declared one), owned by the workspace (a lock closes it)."""
    if window.ctx is None or window.workspace is None:
        return None
    from kapcompanion.ui.clinic_settings import open_clinic_settings as open_dialog

    return open_dialog(window.ctx, window.workspace)


def open_signing_pin(window: Shell) -> object:
    if window.ctx is None or window.workspace is None:
        return None
    from kapcompanion.ui.signing_pin_dialog import open_signing_pin_dialog

    return open_signing_pin_dialog(window.ctx, window.workspace)
