"""Themes switch in one action and are remembered; settings are written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kapcompanion.paths import AppDirs
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.settings import DEFAULT_IDLE_MINUTES, Settings
from kapcompanion.ui.theme import DIM, LIGHT, THEMES, palette_for, stylesheet_for

WindowFactory = Callable[..., MainWindow]


def app() -> QApplication:
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    return instance


def test_dim_theme_toggles_with_one_shortcut_and_is_remembered(
    qtbot: QtBot, window_factory: WindowFactory, dirs: AppDirs
) -> None:
    window = window_factory()
    window.show_welcome()
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    light_bg = app().palette().color(QPalette.ColorRole.Window)
    QTest.keyClick(
        window,
        Qt.Key.Key_D,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.settings.theme == DIM and window.actions_["theme"].isChecked()
    dim_bg = app().palette().color(QPalette.ColorRole.Window)
    assert dim_bg.lightness() < 60 < light_bg.lightness()
    assert app().font().pointSizeF() == 13.0
    assert window.page is not None and window.page.palette().color(QPalette.ColorRole.Window) == (
        dim_bg
    )
    assert json.loads(dirs.settings_file.read_text())["theme"] == DIM

    # the next start is dim before its window exists (no white flash)
    apply_light = window.toggle_theme()
    assert apply_light == LIGHT and app().font().pointSizeF() == 11.0
    Settings(theme=DIM).save(dirs.settings_file)
    second = window_factory()
    assert not second.isVisible()
    assert app().palette().color(QPalette.ColorRole.Window) == dim_bg


def test_dim_theme_has_no_pure_white_and_readable_contrast() -> None:
    dim = THEMES[DIM]
    palette = palette_for(dim)
    for role in QPalette.ColorRole:
        if role in (QPalette.ColorRole.NColorRoles, QPalette.ColorRole.NoRole):
            continue
        assert palette.color(role) != QColor("#ffffff"), role
    assert "#fff" not in stylesheet_for(dim).lower()

    def luminance(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    def contrast(a: str, b: str) -> float:
        la, lb = sorted((luminance(QColor(a)), luminance(QColor(b))), reverse=True)
        return (la + 0.05) / (lb + 0.05)

    for t in THEMES.values():
        assert contrast(t.text, t.window) >= 7, t.name  # body text: WCAG AAA
        assert contrast(t.muted, t.window) >= 4.5, t.name  # hints: WCAG AA
        assert contrast(t.error, t.window) >= 4.5, t.name
        assert contrast(t.accent_text, t.accent) >= 4.5, t.name
        assert contrast(t.banner_text, t.banner_bg) >= 4.5, t.name
    assert THEMES[DIM].font_pt > THEMES[LIGHT].font_pt


def test_settings_round_trip_and_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    assert Settings.load(path) == Settings()  # missing: defaults
    Settings(theme=DIM, idle_minutes=3, last_vault="/x/v.kapv").save(path)
    loaded = Settings.load(path)
    assert (loaded.theme, loaded.idle_minutes, loaded.last_vault) == (DIM, 3.0, "/x/v.kapv")
    assert loaded.idle_ms == 180_000
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp files left
    path.write_text('{"theme": 5, "idle_minutes": "soon", "unknown": 1, "lock_on_os_lock": 0}')
    odd = Settings.load(path)
    assert odd.theme == LIGHT and odd.idle_minutes == DEFAULT_IDLE_MINUTES
    assert odd.lock_on_os_lock is True
    path.write_text("{not json")
    assert Settings.load(path) == Settings()
    assert Settings(idle_minutes=0).idle_ms == 60_000  # never shorter than a minute


def test_idle_minutes_setting_applies_and_persists(
    window_factory: WindowFactory, dirs: AppDirs
) -> None:
    window = window_factory()
    window.set_idle_minutes(25)
    assert window.idle.timeout_ms == 25 * 60_000
    assert Settings.load(dirs.settings_file).idle_minutes == 25
