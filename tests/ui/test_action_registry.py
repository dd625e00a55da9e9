"""The one action registry (ui/menus.py): menus, toolbar, tooltips, the F1 table and the
locked state all come from ``ACTIONS``, so a key or a word is written once."""

from __future__ import annotations

from collections import Counter

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from kapcompanion.ui import menus
from kapcompanion.ui.main_window import MainWindow


def test_keys_and_shortcuts_are_unique() -> None:
    keys = Counter(a.key for a in menus.ACTIONS)
    assert [k for k, n in keys.items() if n > 1] == []
    shortcuts = [a.shortcut for a in menus.ACTIONS if a.shortcut]
    other = [k for _, k in menus.OTHER_KEYS]
    assert len(set(shortcuts)) == len(shortcuts)
    assert not set(shortcuts) & set(other)


def test_every_shortcut_is_in_the_f1_table_and_the_tooltip() -> None:
    table = dict((keys, what) for what, keys in menus.SHORTCUTS)
    for a in menus.ACTIONS:
        if a.shortcut:
            assert table[a.shortcut] == a.label
            assert a.tooltip.endswith(f"({a.shortcut})")
    assert menus.tooltip("find") == "Search the client list (Ctrl+F)"


def test_the_window_is_built_from_the_registry(unlocked: MainWindow) -> None:
    acts = unlocked.actions_
    assert set(acts) == {a.key for a in menus.ACTIONS}
    bar = {m.text(): m.menu() for m in unlocked.menuBar().actions()}
    assert all(isinstance(m, QMenu) for m in bar.values())
    menu_of = {
        text: [x for x in m.actions() if not x.isSeparator()]
        for text, m in bar.items()
        if isinstance(m, QMenu)
    }
    assert list(menu_of) == list(dict.fromkeys(a.menu for a in menus.ACTIONS))
    for spec in menus.ACTIONS:
        qa = acts[spec.key]
        assert qa in menu_of[spec.menu]
        assert qa.text() == spec.text
        assert qa.toolTip() == spec.tooltip
        expected = QKeySequence(spec.shortcut) if spec.shortcut else QKeySequence()
        assert qa.shortcut() == expected
    # a separator wherever the group changes within a menu
    file_menu = bar["&File"]
    assert isinstance(file_menu, QMenu)
    assert len([x for x in file_menu.actions() if x.isSeparator()]) == 3


def test_locking_disables_exactly_what_needs_the_vault(unlocked: MainWindow) -> None:
    needs = {a.key for a in menus.ACTIONS if a.needs_vault}
    assert {"new", "ledger", "backup"} <= needs and "quit" not in needs
    unlocked.lock()
    for key, qa in unlocked.actions_.items():
        assert qa.isEnabled() is (key not in needs), key


def test_a_handler_runs_on_the_shell(unlocked: MainWindow) -> None:
    unlocked.actions_["lock"].trigger()
    assert unlocked.ctx is None


def test_the_f1_table_fits_the_screen_and_names_every_section_key(unlocked: MainWindow) -> None:
    """Two columns side by side: the one long column was taller than 768 px with its Close
    button off the screen. The section keys listed are the ones the record has."""
    from kapcompanion.ui.client_record import STANDARD_SECTIONS

    dialog = menus.show_shortcuts(unlocked)
    try:
        assert dialog.height() <= 600  # of the 768 px screen, with the window's frame
        from PySide6.QtWidgets import QLabel, QScrollArea

        scroll = dialog.findChild(QScrollArea)
        assert scroll is not None  # a short screen scrolls the table: no row is cut off
        label = scroll.widget()
        assert isinstance(label, QLabel)
        assert label.height() >= label.heightForWidth(label.width())
        text = menus.shortcuts_table()
        for what, keys in menus.SHORTCUTS:
            assert what in text and keys in text
        assert dict((w, k) for w, k in menus.SHORTCUTS)["Record sections"] == (
            f"Alt+1 … Alt+{len(STANDARD_SECTIONS)}"
        )
    finally:
        dialog.reject()


def test_f1_opens_the_table_over_an_open_dialog(unlocked: MainWindow, qtbot: QtBot) -> None:
    """F1 belonged to the main window, which an open dialog blocks: it did nothing in a form."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDialog

    # the filter goes on once the window has shown (not on the start-up path)
    qtbot.waitUntil(lambda: unlocked.findChild(menus.HelpKey) is not None)
    asking = menus.ask_idle_minutes(unlocked)  # a window-modal dialog, as the forms are
    try:
        asking.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is asking)
        focus = QApplication.focusWidget() or asking
        QTest.keyClick(focus, Qt.Key.Key_F1)
        table = [d for d in asking.findChildren(QDialog) if d.objectName() == "shortcutsDialog"]
        assert len(table) == 1 and table[0].isVisible()
        table[0].reject()
        # in the main window F1 is the menu action, once
        unlocked.activateWindow()
        asking.reject()
        qtbot.waitUntil(unlocked.isActiveWindow)
        QTest.keyClick(unlocked, Qt.Key.Key_F1)
        shown = [
            d
            for d in unlocked.findChildren(QDialog)
            if d.objectName() == "shortcutsDialog" and d.isVisible()
        ]
        assert len(shown) == 1
        shown[0].reject()
    finally:
        asking.reject()
