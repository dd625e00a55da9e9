"""Helpers for the session-screen tests: a client with a plan and a checklist, key presses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kapcompanion.core.checklist import (
    MusicPreferences,
    default_template,
    new_checklist,
    update_item,
)
from kapcompanion.core.dose import DosePlan, Route
from kapcompanion.core.models import Client, DosingSession, StoredDocument
from kapcompanion.core.serial import to_jsonable
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind
from kapcompanion.services.session import plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.ui.unlock import UnlockScreen

#: a reason of substance for starting with preparation items missing
START_REASON = "Preparation reviewed aloud with the client in the room today."
NAME = "Ada Lovelace"
PSEUDONYM = "Heron"


def add_client(repos: Repos) -> int:
    client = repos.clients.add(Client(name=NAME, pseudonym=PSEUDONYM, indications=["depression"]))
    assert client.id is not None
    return client.id


def add_checklist(
    repos: Repos,
    session: DosingSession,
    *,
    welcome: tuple[TouchKind, ...] = (),
    ask_first: bool = True,
    avoid: tuple[str, ...] = (),
    volume: int | None = None,
) -> None:
    """A checklist with informed consent, a touch agreement and music preferences done (other
    items left open: starting needs a written override, which can never skip consent or
    touch)."""
    checklist = new_checklist(default_template())
    at = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    checklist = update_item(checklist, "consent_signed", at, done=True, value="2025-01-06")
    checklist = update_item(checklist, "touch_agreement", at, done=True)
    checklist.touch = TouchAgreement(
        welcome=list(welcome),
        other_detail="",
        ask_first=ask_first,
        when_distressed=DistressPreference.WORDS_ONLY,
        agreed_on=date(2025, 1, 6),
    )
    checklist.music = MusicPreferences(avoid=list(avoid), volume=volume)
    repos.documents.save(
        StoredDocument(
            kind="checklist",
            client_id=session.client_id,
            session_id=session.id,
            data=to_jsonable(checklist),
        )
    )


def plan_im(repos: Repos, client_id: int) -> DosingSession:
    return plan_session(
        repos,
        client_id,
        DosePlan(route=Route.IM, weight_kg=70, mg_per_kg=0.5, lot="LOT-7"),
        planned_for=datetime(2025, 1, 13, 10, tzinfo=UTC),
    )


def key(
    widget: QWidget, k: Qt.Key, mod: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    QTest.keyClick(widget, k, mod)


def unlock_again(qtbot: QtBot, page: UnlockScreen, passphrase: str) -> None:
    page.passphrase.clear()
    QTest.keyClicks(page.passphrase.edit, passphrase)
    QTest.keyClick(page.passphrase.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not shiboken6.isValid(page) or not page.busy.busy, timeout=10_000)


def pass_time(controller: object, hours: float = 3.0) -> None:
    """Let ``hours`` pass for a running session's clock (phases over, the dose long past)."""
    from datetime import UTC, datetime, timedelta

    from kapcompanion.core.clock import SessionClock

    runner = controller.runner  # type: ignore[attr-defined]
    session = runner.session
    runner.clock = SessionClock(
        session.dose_utc,
        session.started_utc,
        now_utc=lambda: datetime.now(UTC) + timedelta(hours=hours),
    )
