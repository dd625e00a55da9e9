"""The focus ring: at least 3:1 against what surrounds it (WCAG 2.2, 1.4.11), in both themes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from kapcompanion.ui.theme import DIM, LIGHT, THEMES, apply_theme, contrast


def test_the_wcag_formula_against_published_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA grey
    assert contrast("#949494", "#ffffff") == pytest.approx(3.03, abs=0.01)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize("name", [LIGHT, DIM])
def test_the_ring_colour_stands_out_in_each_theme(name: str) -> None:
    t = THEMES[name]
    for around in (t.window, t.base, t.button, t.alternate):
        assert contrast(t.ring, around) >= 3.0, (name, around)


@pytest.mark.parametrize("name", [LIGHT, DIM])
def test_a_focused_field_draws_the_ring(qtbot: QtBot, qapp: QApplication, name: str) -> None:
    t = apply_theme(qapp, name)
    try:
        host = QWidget()
        qtbot.addWidget(host)
        edit = QLineEdit("text")
        other = QLineEdit()
        layout = QVBoxLayout(host)
        layout.addWidget(edit)
        layout.addWidget(other)
        host.resize(300, 120)
        host.show()
        host.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is host)
        edit.setFocus()
        qtbot.waitUntil(edit.hasFocus)
        image = edit.grab().toImage()
        y = image.height() // 2
        edge = image.pixelColor(0, y).name()  # the leftmost column: the ring
        assert contrast(edge, t.window) >= 3.0 and contrast(edge, t.base) >= 3.0, edge
        other.setFocus()
        qtbot.waitUntil(other.hasFocus)
        unfocused = edit.grab().toImage().pixelColor(0, y).name()
        assert unfocused != edge  # the ring is the focus, not every field's frame
    finally:
        apply_theme(qapp, LIGHT)


@pytest.mark.parametrize("name", [LIGHT, DIM])
def test_a_chosen_radio_button_is_plain_to_see(qtbot: QtBot, qapp: QApplication, name: str) -> None:
    """The mg/kg and fixed-total choice: the chosen dot stands out 3:1 from the field."""
    from PySide6.QtWidgets import QRadioButton

    t = apply_theme(qapp, name)
    try:
        host = QWidget()
        qtbot.addWidget(host)
        chosen, other = QRadioButton("mg/kg"), QRadioButton("fixed total")
        layout = QVBoxLayout(host)
        layout.addWidget(chosen)
        layout.addWidget(other)
        chosen.setChecked(True)
        host.show()
        qtbot.waitExposed(host)

        size = round(t.font_pt * 1.2) + 4

        def strong_pixels(button: QRadioButton) -> int:
            """Pixels across the indicator's middle row that stand out 3:1 from the window."""
            image = button.grab().toImage()
            y = image.height() // 2
            row = [image.pixelColor(x, y).name() for x in range(min(size, image.width()))]
            return sum(contrast(colour, t.window) >= 3.0 for colour in row)

        assert strong_pixels(other) >= 2  # the empty circle's two edges can be seen
        assert strong_pixels(chosen) >= size // 2  # the chosen one: a wide, bright dot
    finally:
        apply_theme(qapp, LIGHT)


class _StyleEvents(QWidget):
    """Counts the repolish events a theme change sends to every widget."""

    KINDS = (QEvent.Type.StyleChange, QEvent.Type.PaletteChange, QEvent.Type.FontChange)

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def event(self, event: QEvent) -> bool:
        if event.type() in self.KINDS:
            self.seen += 1
        return super().event(event)


def test_applying_the_theme_on_screen_again_repolishes_nothing(
    qtbot: QtBot, qapp: QApplication
) -> None:
    apply_theme(qapp, DIM)
    try:
        probe = _StyleEvents()
        qtbot.addWidget(probe)
        probe.show()
        qapp.processEvents()
        probe.seen = 0
        apply_theme(qapp, DIM)
        qapp.processEvents()
        assert probe.seen == 0
        assert qapp.style().objectName() in ("", "fusion")  # Fusion under the stylesheet
        apply_theme(qapp, LIGHT)  # a real change still reaches every widget
        qapp.processEvents()
        assert probe.seen > 0
        assert qapp.palette().color(qapp.palette().ColorRole.Window).name() == THEMES[LIGHT].window
    finally:
        apply_theme(qapp, LIGHT)
