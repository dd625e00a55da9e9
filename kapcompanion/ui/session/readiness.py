"""Before the session: is the preparation done, and what does the client want to avoid in music?

The preparation screen (issue 4) owns the rule (``services.preparation.readiness_for_session``);
it is looked up lazily so this screen works in a tree where that helper is not there yet. The
fallback reads the session's checklist against the shipped template with the same core rule,
so the answer is never "ready" just because a module is missing.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kapcompanion.core.checklist import Checklist, MusicPreferences, default_template, readiness
from kapcompanion.core.serial import load
from kapcompanion.services.preparation import checklist_document

if TYPE_CHECKING:
    from kapcompanion.services.handles import Repos

NO_CHECKLIST = "Preparation checklist (not started for this session)"


@dataclass(frozen=True)
class ReadinessView:
    ready: bool
    missing: list[str] = field(default_factory=list)
    overridden: bool = False


def _optional(module: str, name: str) -> Any:
    """``module.name`` when that module exists in this build, else None."""
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name, None)


def checklist_for(repos: Repos, session_id: int) -> Checklist | None:
    doc = checklist_document(repos, session_id)
    return load(Checklist, doc.data) if doc else None


def session_readiness(repos: Repos, session_id: int) -> ReadinessView:
    rule: Callable[[Repos, int], Any] | None = _optional(
        "kapcompanion.services.preparation", "readiness_for_session"
    )
    if rule is not None:
        result = rule(repos, session_id)
        return ReadinessView(
            bool(result.ready),
            [str(m) for m in getattr(result, "missing", [])],
            bool(getattr(result, "overridden", False)),
        )
    checklist = checklist_for(repos, session_id)
    if checklist is None:
        return ReadinessView(False, [NO_CHECKLIST])
    result = readiness(checklist, default_template())
    return ReadinessView(result.ready, list(result.missing), result.overridden)


def music_preferences(repos: Repos, session_id: int) -> MusicPreferences | None:
    checklist = checklist_for(repos, session_id)
    return checklist.music if checklist else None


def preparation_view_class() -> Any:
    """``ui.preparation.PreparationView`` (ctx, client_id, session_id) or None if not built."""
    return _optional("kapcompanion.ui.preparation", "PreparationView")


def open_preparation(ctx: Any, client_id: int, session_id: int, parent: Any) -> Any:
    """Open the preparation checklist as a dialog; None when this build has none."""
    opener = _optional("kapcompanion.ui.preparation", "open_preparation")
    if opener is not None:
        return opener(ctx, client_id, session_id, parent)
    view_cls = preparation_view_class()
    if view_cls is None:
        return None
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout

    dialog = QDialog(parent)
    dialog.setWindowTitle(ctx.title("Preparation"))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    layout = QVBoxLayout(dialog)
    layout.addWidget(view_cls(ctx, client_id, session_id, dialog), 1)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(900, 640)
    dialog.open()
    return dialog


def override_banner_class() -> Any:
    """``ui.widgets.override_banner.ScreeningOverrideBanner`` (ctx, client_id) or None."""
    return _optional("kapcompanion.ui.widgets.override_banner", "ScreeningOverrideBanner")
