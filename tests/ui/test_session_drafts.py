"""The session screen's own drafts (the event card and the discharge form) carry revisions like
every other draft (issue 21): a save based on an older revision is refused, both versions are
kept, and the conflict strip lets the clinician choose. Nothing typed is lost."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from readiness_support import prepare
from support import PASSPHRASE
from ui.session_support import START_REASON, add_client, pass_time, plan_im

from kapcompanion.audio import NullBackend, Player
from kapcompanion.core.models import EventKind, SessionStatus
from kapcompanion.services import documents
from kapcompanion.services.session import discharge_draft_key, entry_draft_key
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.session.host import open_session
from kapcompanion.ui.session.screen import SessionScreen

WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def running(
    qtbot: QtBot, window_factory: WindowFactory, template_vault: Path, tmp_path: Path
) -> tuple[MainWindow, SessionScreen, Repos, int]:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    cid = add_client(Repos(vault))
    window = window_factory(player=Player(NullBackend()))
    window.show()
    window.enter(vault)
    assert window.ctx is not None
    repos = window.ctx.repos
    session = plan_im(repos, cid)
    prepare(repos, session)
    screen = open_session(window, session.id or 0)
    assert screen is not None
    screen.prestart.override.setText(START_REASON)
    assert screen.start() and screen.give_dose()
    return window, screen, repos, session.id or 0


def test_an_event_card_saved_elsewhere_meanwhile_is_a_conflict_not_an_overwrite(
    qtbot: QtBot, running: tuple[MainWindow, SessionScreen, Repos, int]
) -> None:
    _window, screen, repos, sid = running
    panel = screen.events
    key = entry_draft_key(sid)
    panel.begin(EventKind.CLIENT_WORDS)
    QTest.keyClicks(panel.card.text, "It feels like floating")
    assert panel.autosaver.flush()
    stored = documents.load_draft(repos, key)
    assert stored.value["text"] == "It feels like floating"
    assert stored.revision == panel.draft_revision >= 1
    # another window of the same session saves its card first
    theirs = {**stored.value, "text": "Asked for the blanket"}
    documents.save_draft(repos, key, theirs, stored.revision)
    QTest.keyClicks(panel.card.text, " on warm water.")
    assert not panel.autosaver.flush()
    assert not panel.conflict_banner.isHidden()
    assert documents.load_draft(repos, key).value["text"] == "Asked for the blanket"
    assert panel.card.text.text() == "It feels like floating on warm water."  # kept here
    panel.conflict_banner.buttons["mine"].click()
    assert panel.conflict_banner.isHidden()
    now = documents.load_draft(repos, key)
    assert now.value["text"] == "It feels like floating on warm water."
    assert now.revision == panel.draft_revision
    assert panel.card.submit() is not None  # recorded: the card's draft is cleared
    assert documents.load_draft(repos, key).value is None
    actions = [r.action for r in repos.vault.audit_entries() if "conflict" in r.action]
    assert actions == ["draft.conflict_resolved", "draft.conflict"]


def test_a_discharge_form_in_two_windows_keeps_both_and_the_end_clears_it(
    qtbot: QtBot, running: tuple[MainWindow, SessionScreen, Repos, int]
) -> None:
    _window, screen, repos, sid = running
    key = discharge_draft_key(sid)
    pass_time(screen.controller)
    dialog = screen.open_discharge()
    assert dialog is not None
    dialog.checks["alert_oriented"].setChecked(True)
    QTest.keyClicks(dialog.debrief, "Felt held by the music.")
    assert dialog.autosaver.flush()
    stored = documents.load_draft(repos, key)
    assert stored.value["debrief"] == "Felt held by the music."
    theirs = {**stored.value, "debrief": "Talked about her father."}
    documents.save_draft(repos, key, theirs, stored.revision)
    QTest.keyClicks(dialog.debrief, " Calm return.")
    assert not dialog.autosaver.flush()
    assert not dialog.conflict_banner.isHidden()
    dialog.conflict_banner.buttons["both"].click()
    kept = documents.load_draft(repos, key).value["debrief"]
    assert kept.startswith("Talked about her father.\n\n")
    assert kept.endswith("\n\nFelt held by the music. Calm return.")
    assert dialog.debrief.toPlainText() == kept and dialog.checks["alert_oriented"].isChecked()
    for name in ("vitals_near_baseline", "walks_unassisted", "escort_present"):
        dialog.checks[name].setChecked(True)
    dialog.checks["aftercare_reminded"].setChecked(True)
    dialog.escort_name.setText("Sam Rivers")
    for combo in dialog.aldrete.values():
        combo.setCurrentIndex(combo.findData(2))
    assert dialog.finish(), dialog.missing.text()
    assert repos.sessions.get(sid).status is SessionStatus.ENDED
    assert documents.load_draft(repos, key).value is None  # gone with the end's transaction
