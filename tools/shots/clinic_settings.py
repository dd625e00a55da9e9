"""The clinic settings screen (Settings > Clinic settings…), built from the registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget
    from screenshots import Shooter


def shot_clinic_settings(s: Shooter) -> QWidget:
    from kapcompanion.ui.clinic_settings import ClinicSettingsDialog

    ws = s.ensure_unlocked()
    s.window.actions_["clinic_settings"].trigger()
    (dialog,) = [d for d in ws.findChildren(ClinicSettingsDialog) if d.isVisible()]
    return dialog


SHOTS = [("clinic-settings", shot_clinic_settings)]
