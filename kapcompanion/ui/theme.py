"""The light theme and the dim treatment-room theme.

Both are a Fusion palette plus a small stylesheet, set on the QApplication before any window
shows, so windows and dialogs are born in the right colours (no white flash in a dark room).
The dim theme is dark and warm, with larger type and no pure white anywhere.
Widgets opt into text roles with a dynamic property: ``role`` = ``title``, ``heading``,
``hint``, ``error``, ``ok``, ``warning``, ``banner``, ``empty``; buttons with
``primary`` = ``true``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from kapcompanion.paths import resource

LIGHT = "light"
DIM = "dim"


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    font_pt: float
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    button: str
    highlight: str
    highlighted_text: str
    accent: str
    accent_text: str
    border: str
    link: str
    error: str
    ok: str
    warning: str
    banner_bg: str
    banner_text: str
    disabled: str
    focus: str = ""  # the focus ring; at least 3:1 against window and base (WCAG 1.4.11)

    @property
    def ring(self) -> str:
        return self.focus or self.link


THEMES: dict[str, Theme] = {
    LIGHT: Theme(
        name=LIGHT,
        label="Light",
        font_pt=11.0,
        window="#f3f2ee",
        base="#fdfdfb",
        alternate="#f0eee9",
        text="#1f2328",
        muted="#595e66",
        button="#e8e6e0",
        highlight="#2f6f95",
        highlighted_text="#ffffff",
        accent="#2f6f95",
        accent_text="#ffffff",
        border="#b9b5ab",
        link="#1f5f86",
        error="#a3271f",
        ok="#2e6b34",
        warning="#7f5200",
        banner_bg="#f4d68a",
        banner_text="#3b2c00",
        disabled="#8d8d8d",
    ),
    DIM: Theme(
        name=DIM,
        label="Dim (treatment room)",
        font_pt=13.0,
        window="#1b1c1f",
        base="#222428",
        alternate="#27292e",
        text="#c4bdaf",
        muted="#968f83",
        button="#2c2e33",
        highlight="#5c4a2c",
        highlighted_text="#e9dfcc",
        accent="#6d5836",
        accent_text="#ebe1cd",
        border="#44464c",
        link="#c6a36a",
        error="#e0998a",
        ok="#9fbf8f",
        warning="#d4b06a",
        banner_bg="#4a3b1e",
        banner_text="#e8d6a6",
        disabled="#6a655d",
        focus="#d9b77a",  # 8:1 on the window; Fusion's own ring (the highlight) was 1.7:1
    ),
}


def theme(name: str) -> Theme:
    return THEMES.get(name, THEMES[LIGHT])


def other(name: str) -> str:
    """The theme the toggle switches to."""
    return LIGHT if name == DIM else DIM


def palette_for(t: Theme) -> QPalette:
    p = QPalette()
    c = QColor
    roles = {
        QPalette.ColorRole.Window: t.window,
        QPalette.ColorRole.WindowText: t.text,
        QPalette.ColorRole.Base: t.base,
        QPalette.ColorRole.AlternateBase: t.alternate,
        QPalette.ColorRole.ToolTipBase: t.button,
        QPalette.ColorRole.ToolTipText: t.text,
        QPalette.ColorRole.PlaceholderText: t.muted,
        QPalette.ColorRole.Text: t.text,
        QPalette.ColorRole.Button: t.button,
        QPalette.ColorRole.ButtonText: t.text,
        QPalette.ColorRole.BrightText: t.error,
        QPalette.ColorRole.Highlight: t.highlight,
        QPalette.ColorRole.HighlightedText: t.highlighted_text,
        QPalette.ColorRole.Link: t.link,
        QPalette.ColorRole.LinkVisited: t.link,
        QPalette.ColorRole.Light: c(t.button).lighter(125).name(),
        QPalette.ColorRole.Midlight: c(t.button).lighter(110).name(),
        QPalette.ColorRole.Mid: t.border,
        QPalette.ColorRole.Dark: c(t.button).darker(140).name(),
        QPalette.ColorRole.Shadow: c(t.window).darker(180).name(),
    }
    for role, colour in roles.items():
        p.setColor(role, c(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, c(t.disabled))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, c(t.border))
    return p


def stylesheet_for(t: Theme) -> str:
    pt = t.font_pt
    # a radio's circle: Qt draws a square when the radius exceeds half the outer box (the
    # indicator plus its border), so the radius is worked out from the rounded size
    dot = round(pt * 1.2)
    check = resource("themes", f"check-{t.name}.svg").as_posix()
    return f"""
QLabel[role="title"] {{ font-size: {pt * 1.6:.1f}pt; font-weight: 600; }}
QLabel[role="heading"] {{ font-size: {pt * 1.2:.1f}pt; font-weight: 600; }}
QLabel[role="hint"] {{ color: {t.muted}; }}
QLabel[role="error"] {{ color: {t.error}; font-weight: 600; }}
QLabel[role="ok"] {{ color: {t.ok}; }}
QLabel[role="warning"] {{ color: {t.warning}; }}
QLabel[role="empty"] {{ color: {t.muted}; }}
QLabel[role="banner"] {{
    background: {t.banner_bg}; color: {t.banner_text};
    padding: 4px 10px; font-weight: 600;
}}
QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox, QDateEdit {{
    padding: 3px 6px;
}}
QPushButton {{
    background: {t.button}; color: {t.text};
    border: 1px solid {t.border}; border-radius: 4px; padding: 4px 14px;
}}
QPushButton:hover {{ border-color: {t.muted}; }}
QPushButton:pressed {{ background: {t.alternate}; }}
QPushButton:disabled {{ color: {t.disabled}; }}
QPushButton:focus {{ border: 2px solid {t.ring}; padding: 3px 13px; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QComboBox:focus, QSpinBox:focus,
QDoubleSpinBox:focus, QDateEdit:focus, QAbstractItemView:focus, QTabBar::tab:focus {{
    border: 2px solid {t.ring}; border-radius: 3px;
}}
QPushButton[primary="true"] {{
    background: {t.accent}; color: {t.accent_text};
    border: 1px solid {t.border}; border-radius: 4px; padding: 5px 16px; font-weight: 600;
}}
QPushButton[primary="true"]:disabled {{ background: {t.button}; color: {t.disabled}; }}
QPushButton[primary="true"]:focus {{ border: 2px solid {t.ring}; padding: 4px 15px; }}
QPushButton[role="section"] {{ padding: 3px 10px; }}
QPushButton[role="section"]:checked {{
    background: {t.highlight}; color: {t.highlighted_text}; border-color: {t.highlight};
}}
QPushButton[role="section"]:focus {{ border: 2px solid {t.ring}; padding: 2px 9px; }}
QFrame[role="card"] {{
    background: {t.base}; border: 1px solid {t.border}; border-radius: 6px;
}}
QCheckBox::indicator {{
    width: {pt * 1.25:.0f}px; height: {pt * 1.25:.0f}px;
    border: 1px solid {t.muted}; border-radius: 3px; background: {t.base};
}}
QCheckBox::indicator:checked {{
    background: {t.accent}; border-color: {t.accent}; image: url({check});
}}
QCheckBox::indicator:disabled {{ border-color: {t.disabled}; }}
QCheckBox::indicator:focus {{ border: 2px solid {t.ring}; }}
QRadioButton::indicator {{
    width: {dot}px; height: {dot}px; border-radius: {(dot + 2) // 2}px;
    border: 1px solid {t.muted}; background: {t.base};
}}
QRadioButton::indicator:checked {{
    border: 2px solid {t.ring}; border-radius: {(dot + 4) // 2}px;
    background: qradialgradient(cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
        stop: 0 {t.ring}, stop: 0.5 {t.ring}, stop: 0.62 {t.base}, stop: 1 {t.base});
}}
QRadioButton::indicator:disabled {{ border-color: {t.disabled}; }}
QRadioButton::indicator:focus {{ border: 2px solid {t.ring}; border-radius: {(dot + 4) // 2}px; }}
QToolTip {{ color: {t.text}; background: {t.button}; border: 1px solid {t.border}; }}
"""


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def apply_theme(app: QApplication, name: str) -> Theme:
    """Palette, font and stylesheet on the application: every window follows at once.

    Each step repolishes every widget, so a step whose value is already in place is skipped
    (applying the theme that is on screen costs nothing). Fusion is set once: with a
    stylesheet in place ``app.style()`` is Qt's stylesheet proxy, whose name is empty, so the
    name cannot tell whether Fusion is already underneath."""
    t = theme(name)
    if app.property("kap_style") != "fusion":
        app.setStyle("Fusion")
        app.setProperty("kap_style", "fusion")
    if app.font().pointSizeF() != t.font_pt:
        font = QFont(app.font())
        font.setPointSizeF(t.font_pt)
        app.setFont(font)
    palette = palette_for(t)
    if app.palette() != palette:
        app.setPalette(palette)
    sheet = stylesheet_for(t)
    if app.styleSheet() != sheet:
        app.setStyleSheet(sheet)
    app.setProperty("kap_theme", t.name)
    return t


def current_theme(app: QApplication) -> Theme:
    return theme(str(app.property("kap_theme") or LIGHT))


def set_role(widget: QWidget, role: str) -> QWidget:
    """Give a widget a text role (see the module docstring) and re-polish it."""
    widget.setProperty("role", role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    return widget
