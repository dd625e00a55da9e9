"""The main window's menus, toolbar and shortcuts: every action reachable by keyboard.

Standard shortcuts: New client Ctrl+N, Find Ctrl+F, Lock Ctrl+L, Quit Ctrl+Q; Edit client
Ctrl+E; the dim theme Ctrl+Shift+D; shortcuts F1. Actions that need an open vault are
disabled while locked. The menus are handed a :class:`~kapcompanion.ui.shell.Shell` (what
they may use of the main window), never the window class itself.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMessageBox, QToolBar

from kapcompanion import __version__
from kapcompanion.ui import ledger as ledger_screen
from kapcompanion.ui.settings import MAX_IDLE_MINUTES, MIN_IDLE_MINUTES
from kapcompanion.ui.shell import Shell

NEEDS_VAULT = (
    "new",
    "find",
    "edit",
    "archive",
    "unarchive",
    "delete",
    "lock",
    "audit",
    "signing_pin",
    "backup",
    "rekey",
    "templates",
    "music",
    "thresholds",
    "clinic_settings",
    "agenda",
    "ledger",
    "transfer_out",
    "transfer_in",
)

SHORTCUTS = [
    ("New client", "Ctrl+N"),
    ("Find a client", "Ctrl+F"),
    ("Open the selected client", "Enter"),
    ("Edit the open client", "Ctrl+E"),
    ("Record sections", "Alt+1 … Alt+6"),
    ("Lock now", "Ctrl+L"),
    ("Dim treatment-room theme", "Ctrl+Shift+D"),
    ("Audit trail", "Ctrl+Shift+A"),
    ("Sign the chosen record (Documents)", "Ctrl+Shift+S"),
    ("Agenda: today and this week", "Ctrl+G"),
    ("Session: start · mark the dose", "Ctrl+Enter · Ctrl+D"),
    ("Session: next phase · extend · end", "Alt+N · Alt+X · Alt+E"),
    ("Session: vitals entry", "V"),
    ("Session events: words, observation, nausea, distress", "C · O · S · D"),
    ("Session events: touch, medication, extra dose", "T · M · X"),
    ("Session events: bathroom, adverse event, free note", "B · A · F"),
    ("Quit", "Ctrl+Q"),
    ("Menus", "Alt + the underlined letter"),
]


def _ws_call(window: Shell, name: str) -> None:
    ws = window.workspace
    if ws is not None:
        getattr(ws, name)()


def _vault_call(window: Shell, name: str) -> None:
    from kapcompanion.ui import vault_actions

    if window.ctx is not None:
        getattr(vault_actions, name)(window.ctx, window.window())


def build(main: QMainWindow, window: Shell) -> dict[str, QAction]:
    """The actions, the menu bar and the toolbar of ``main``; the actions act on ``window``."""
    acts: dict[str, QAction] = {}

    def act(
        key: str,
        text: str,
        slot: Callable[..., object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        a = QAction(text, main)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        a.triggered.connect(slot)
        acts[key] = a
        return a

    act(
        "new",
        "&New client…",
        lambda: _ws_call(window, "new_client"),
        "Ctrl+N",
        "Add a client (Ctrl+N)",
    )
    act(
        "find",
        "&Find client",
        lambda: _ws_call(window, "focus_search"),
        "Ctrl+F",
        "Search the client list (Ctrl+F)",
    )
    act("lock", "&Lock now", lambda: window.lock(), "Ctrl+L", "Lock the vault now (Ctrl+L)")
    act("quit", "&Quit", main.close, "Ctrl+Q")
    act("edit", "&Edit client…", lambda: _ws_call(window, "edit_client"), "Ctrl+E")
    act("archive", "&Archive client", lambda: _ws_call(window, "archive_client"))
    act("unarchive", "&Unarchive client", lambda: _ws_call(window, "unarchive_client"))
    act("delete", "&Delete client permanently…", lambda: _ws_call(window, "delete_client"))
    theme = act(
        "theme",
        "&Dim treatment-room theme",
        lambda: window.toggle_theme(),
        "Ctrl+Shift+D",
        "Switch between the light and the dim theme (Ctrl+Shift+D)",
    )
    theme.setCheckable(True)
    act("idle", "Lock after &inactivity…", lambda: ask_idle_minutes(window))
    os_lock = act(
        "os_lock", "Lock when the &computer locks", lambda checked: _set_os_lock(window, checked)
    )
    os_lock.setCheckable(True)
    os_lock.setChecked(window.settings.lock_on_os_lock)
    act(
        "shortcuts",
        "&Keyboard shortcuts",
        lambda: show_shortcuts(window),
        "F1",
    )
    act(
        "logs",
        "Open the &log folder",
        lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(window.dirs.logs))),
    )
    act("about", "&About KAP Companion", lambda: show_about(window))
    act("audit", "&Audit trail…", lambda: open_audit_view(window), "Ctrl+Shift+A")
    act("signing_pin", "Signing &PIN…", lambda: open_signing_pin(window))
    act("templates", "Checklist &templates…", lambda: _open_templates(window))
    act("music", "&Music…", lambda: _session_call(window, "open_music_settings"))
    act("thresholds", "&Vital-sign thresholds…", lambda: _session_call(window, "open_thresholds"))
    act(
        "clinic_settings",
        "&Clinic settings…",
        lambda: open_clinic_settings(window),
        tip="Paper size, the 42 CFR Part 2 notice, units and the other settings of this vault",
    )
    act("agenda", "A&genda…", lambda: _open_agenda(window), "Ctrl+G", "Today and this week")
    act("ledger", "Controlled-substance &ledger…", lambda: ledger_screen.open_from(window), "Ctrl+Shift+L")  # fmt: skip  # noqa: E501

    act(
        "transfer_out",
        "&Transfer this client…",
        lambda: _transfer(window, "transfer_current_client"),
    )
    act("transfer_in", "&Import a transferred client…", lambda: _transfer(window, "import_client"))
    act("backup", "&Back up the vault now…", lambda: _vault_call(window, "back_up_now"))
    act("backups_keep", "Automatic &backups to keep…", lambda: ask_backups_keep(window))
    act("rekey", "Change the &passphrase…", lambda: _vault_call(window, "change_passphrase"))

    bar = main.menuBar()
    m = bar.addMenu("&File")
    m.addActions([acts["new"], acts["lock"]])
    m.addSeparator()
    m.addActions([acts["backup"], acts["rekey"]])
    m.addSeparator()
    m.addActions([acts["transfer_out"], acts["transfer_in"]])
    m.addSeparator()
    m.addAction(acts["quit"])
    m = bar.addMenu("&Client")
    m.addActions([acts["find"], acts["edit"], acts["archive"], acts["unarchive"]])
    m.addSeparator()
    m.addAction(acts["delete"])
    m = bar.addMenu("&View")
    m.addAction(acts["theme"])
    m.addAction(acts["audit"])
    m.addAction(acts["agenda"])
    m.addAction(acts["ledger"])
    m = bar.addMenu("&Settings")
    m.addAction(acts["clinic_settings"])
    m.addSeparator()
    m.addActions([acts["idle"], acts["os_lock"], acts["signing_pin"], acts["backups_keep"]])
    m.addAction(acts["templates"])
    m.addActions([acts["music"], acts["thresholds"]])
    m = bar.addMenu("&Help")
    m.addActions([acts["shortcuts"], acts["logs"], acts["about"]])

    tools = QToolBar("Main toolbar", main)
    tools.setObjectName("mainToolbar")
    tools.setMovable(False)
    tools.addActions([acts["new"], acts["find"], acts["lock"]])
    tools.addSeparator()
    tools.addAction(acts["theme"])
    main.addToolBar(tools)
    return acts


def update(acts: dict[str, QAction], *, unlocked: bool, dim: bool) -> None:
    for key in NEEDS_VAULT:
        acts[key].setEnabled(unlocked)
    acts["theme"].setChecked(dim)


def _transfer(window: Shell, name: str) -> None:
    from kapcompanion.ui import transfer_dialog

    getattr(transfer_dialog, name)(window)


def _open_templates(window: Shell) -> None:
    if window.ctx is None:
        return
    from kapcompanion.ui.template_editor import open_template_editor

    open_template_editor(window.ctx, window.workspace or window.window())


def _open_agenda(window: Shell) -> None:
    from kapcompanion.ui.agenda import open_agenda

    open_agenda(window)


def _session_call(window: Shell, name: str) -> None:
    from kapcompanion.ui.session import host

    getattr(host, name)(window)


def _set_os_lock(window: Shell, checked: bool) -> None:
    window.settings.lock_on_os_lock = bool(checked)
    window.save_settings()


def ask_idle_minutes(window: Shell) -> QInputDialog:
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


def show_shortcuts(window: Shell) -> None:
    rows = "".join(f"<tr><td>{what}</td><td><b>{keys}</b></td></tr>" for what, keys in SHORTCUTS)
    box = QMessageBox(
        QMessageBox.Icon.NoIcon,
        "Keyboard shortcuts",
        f"<table cellpadding='4'>{rows}</table>",
        parent=window.window(),
    )
    box.open()


def show_about(window: Shell) -> None:
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
