"""Keyboard reach, accessible names, tab order, and no clipped text at the target sizes.

200 % scaling of a 1920x1080 screen leaves 960x540 logical pixels: the layouts are checked at
that size too (Qt lays out in logical pixels, so this is what QT_SCALE_FACTOR=2 sees).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabBar,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kapcompanion.core.models import Client
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.menus import SHORTCUTS
from kapcompanion.ui.theme import DIM, apply_theme

WindowFactory = Callable[..., MainWindow]
SIZES = [(1366, 768), (1920, 1080), (960, 540)]


def app() -> QApplication:
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    return instance


def settle(qtbot: QtBot) -> None:
    qtbot.wait(30)


def in_scrolled_content(w: QWidget) -> bool:
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea | QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


def clipped(root: QWidget) -> list[str]:
    """Visible text widgets narrower than their text, or sticking out of the window."""
    problems: list[str] = []
    window_rect = QRect(QPoint(0, 0), root.window().size())
    for w in root.findChildren(QWidget):
        if not w.isVisible() or w.window() is not root.window():
            continue
        text = ""
        if isinstance(w, QLabel) and w.text().strip():
            text = w.text()
            if not w.wordWrap() and w.width() < w.sizeHint().width() - 1:
                problems.append(f"label {text!r}: {w.width()} < {w.sizeHint().width()}")
            if w.wordWrap() and w.height() < w.heightForWidth(w.width()) - 1:
                problems.append(f"wrapped label {text[:30]!r}: cut at the bottom")
        elif isinstance(w, QPushButton | QCheckBox) and w.text():
            text = w.text()
            if w.width() < w.minimumSizeHint().width() - 1:
                problems.append(f"button {text!r}: {w.width()} < {w.minimumSizeHint().width()}")
        if text and not in_scrolled_content(w):
            where = QRect(w.mapTo(root.window(), QPoint(0, 0)), w.size())
            if not window_rect.contains(where):
                problems.append(f"{type(w).__name__} {text!r} outside the window at {where}")
    return problems


def focusable(root: QWidget) -> list[QWidget]:
    kinds = (QLineEdit, QPlainTextEdit, QAbstractButton, QComboBox, QAbstractItemView)
    return [
        w
        for w in root.findChildren(QWidget)
        if isinstance(w, kinds)
        and w.isVisible()
        and w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and not isinstance(w.parentWidget(), QComboBox | QTabBar)
        and not (isinstance(w, QToolButton) and isinstance(w.parentWidget(), QTabBar))
    ]


def unnamed(root: QWidget) -> list[str]:
    return [
        f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
        for w in focusable(root)
        if not w.accessibleName()
        and not (isinstance(w, QAbstractButton) and w.text().replace("&", "").strip())
    ]


LONG = Client(
    name="Maria-Fernanda Castellanos-Villarreal",
    pseudonym="Kingfisher",
    indications=["treatment-resistant depression", "alcohol use disorder"],
    notes="Prefers mornings.",
)


@pytest.mark.parametrize("theme", ["light", DIM])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_screens_fit_without_clipping(
    qtbot: QtBot,
    window_factory: WindowFactory,
    open_vault: Callable[..., Vault],
    theme: str,
    size: tuple[int, int],
) -> None:
    """A fresh window at each size (as after a restart), every screen of this issue."""
    apply_theme(app(), theme)
    window = window_factory()
    window.resize(*size)
    window.show_welcome()
    window.show()
    settle(qtbot)
    assert (window.width(), window.height()) == size
    assert clipped(window) == [], "welcome"
    ws = window.enter(open_vault([LONG]), demo=True)
    settle(qtbot)
    assert clipped(window) == [], "empty record side"
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    settle(qtbot)
    assert clipped(window) == [], "overview"
    record.show_section("sessions")
    settle(qtbot)
    assert clipped(window) == [], "an empty section"
    dialog = ws.edit_client()
    assert dialog is not None
    dialog.resize(min(720, size[0] - 40), min(640, size[1] - 40))
    settle(qtbot)
    assert clipped(dialog) == [], "client dialog"
    dialog.reject()
    delete = ws.delete_client()
    assert delete is not None
    settle(qtbot)
    assert clipped(delete) == [], "delete dialog"
    delete.reject()
    window.lock("It locked itself after 10 minutes without activity. Your work was saved.")
    settle(qtbot)
    assert clipped(window) == [], "locked"


def test_the_clipping_check_finds_clipped_text(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QVBoxLayout

    box = QWidget()
    qtbot.addWidget(box)
    layout = QVBoxLayout(box)
    wrapped = QLabel("a long sentence that wraps over several lines " * 4)
    wrapped.setWordWrap(True)
    wrapped.setFixedHeight(12)
    layout.addWidget(wrapped)
    box.resize(200, 100)
    box.show()
    settle(qtbot)
    assert any("wrapped label" in p for p in clipped(box))
    wide = QLabel("this label is much wider than its window", box)
    wide.move(150, 60)
    wide.show()
    settle(qtbot)
    assert any("outside the window" in p for p in clipped(box))


def test_every_control_has_an_accessible_name(qtbot: QtBot, unlocked: MainWindow) -> None:
    ws = unlocked.workspace
    assert ws is not None
    ws.open_client(ws.clients.model.client_id(0))
    settle(qtbot)
    assert unnamed(unlocked) == []
    dialog = ws.new_client()
    settle(qtbot)
    assert unnamed(dialog) == []
    dialog.reject()
    delete = ws.delete_client()
    assert delete is not None
    settle(qtbot)
    assert unnamed(delete) == []
    delete.reject()
    unlocked.lock()
    settle(qtbot)
    assert unnamed(unlocked) == []
    welcome = unlocked.show_welcome()
    settle(qtbot)
    assert unnamed(welcome) == []


def test_welcome_tab_order_follows_the_form(qtbot: QtBot, window_factory: WindowFactory) -> None:
    window = window_factory()
    welcome = window.show_welcome()
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    welcome.name.setFocus()
    expected = [
        welcome.clinic,
        welcome.passphrase.edit,
        welcome.passphrase.toggle,
        welcome.repeat.edit,
        welcome.repeat.toggle,
        welcome.change_path,
        welcome.create_button,
        welcome.open_button,
        welcome.demo_button,
    ]
    seen = []
    for _ in expected:
        focus = app().focusWidget()
        assert focus is not None
        QTest.keyClick(focus, Qt.Key.Key_Tab)
        seen.append(app().focusWidget())
    assert seen == expected


def test_standard_shortcuts_are_bound(unlocked: MainWindow) -> None:
    keys = {name: a.shortcut().toString() for name, a in unlocked.actions_.items()}
    assert keys["new"] == "Ctrl+N" and keys["find"] == "Ctrl+F"
    assert keys["lock"] == "Ctrl+L" and keys["quit"] == "Ctrl+Q"
    assert keys["theme"] == "Ctrl+Shift+D" and keys["edit"] == "Ctrl+E"
    listed = " ".join(k for _, k in SHORTCUTS)
    for key in ("Ctrl+N", "Ctrl+F", "Ctrl+L", "Ctrl+Q", "Ctrl+Shift+D", "Ctrl+E"):
        assert key in listed
    menus = [a.text() for a in unlocked.menuBar().actions()]
    assert all("&" in m for m in menus)  # every menu opens with Alt + a letter
