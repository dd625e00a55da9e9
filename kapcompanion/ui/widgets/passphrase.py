"""A passphrase field with a show/hide toggle, and a plain-words strength estimate.

The estimate is deliberately simple: it counts words for passphrases made of words and
character variety for the rest, and says what would make it stronger. It is a hint, not a
gate (the vault enforces only its minimum length).
"""

from __future__ import annotations

import math
import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget

_COMMON = {
    "password",
    "passphrase",
    "1234567890",
    "qwertyuiop",
    "letmein",
    "iloveyou",
    "ketamine",
    "therapy",
}


def estimate_bits(text: str) -> float:
    words = [w for w in re.split(r"[\s\-_.,;]+", text) if w]
    # words from a large vocabulary: ~11 bits each for diceware-like choices
    wordy = len(words) >= 3 and all(len(w) >= 3 for w in words)
    word_bits = 11.0 * len(words) if wordy else 0.0
    pool = 0
    if re.search(r"[a-z]", text):
        pool += 26
    if re.search(r"[A-Z]", text):
        pool += 26
    if re.search(r"[0-9]", text):
        pool += 10
    if re.search(r"[^a-zA-Z0-9]", text):
        pool += 33
    distinct = len(set(text))
    char_bits = math.log2(pool) * min(len(text), distinct * 2) if pool else 0.0
    char_bits *= 0.6  # people do not choose characters at random
    bits = max(word_bits, char_bits)
    lowered = text.lower()
    if any(c in lowered for c in _COMMON):
        bits = min(bits, 30.0)
    return bits


def strength(text: str) -> tuple[int, str]:
    """(0 too short .. 3 strong, a sentence that says what to do)."""
    from kapcompanion.services.access import MIN_PASSPHRASE_LENGTH  # not for the unlock screen

    if len(text) < MIN_PASSPHRASE_LENGTH:
        return 0, f"Too short: use at least {MIN_PASSPHRASE_LENGTH} characters."
    bits = estimate_bits(text)
    if bits < 40:
        return 1, "Weak: add a few more unrelated words."
    if bits < 60:
        return 2, "Fair: one or two more words would make it strong."
    return 3, "Strong."


class PassphraseEdit(QWidget):
    """A password-mode line edit with a "Show" toggle (keyboard reachable)."""

    textChanged = Signal(str)
    returnPressed = Signal()

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(accessible_name)
        self.edit.textChanged.connect(self.textChanged)
        self.edit.returnPressed.connect(self.returnPressed)
        self.toggle = QToolButton(self)
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName(f"Show {accessible_name.lower()}")
        self.toggle.toggled.connect(self._on_toggle)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.toggle)
        self.setFocusProxy(self.edit)

    def _on_toggle(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.toggle.setText("Hide" if shown else "Show")

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def clear(self) -> None:
        self.edit.clear()
        self.toggle.setChecked(False)
