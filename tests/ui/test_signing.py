"""Signing with the passphrase or PIN, refusals, the lock after repeated failures, addenda."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from records_support import SIGNER, records_template, records_window  # noqa: F401
from support import PASSPHRASE

from kapcompanion.core.models import SessionStatus
from kapcompanion.services.records import load_ref
from kapcompanion.store.errors import RecordLocked
from kapcompanion.store.vault import Vault
from kapcompanion.ui.addenda import AddendaPanel, AddendumDialog
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.signing import MAX_FAILURES, SignDialog, failures, sign_document
from kapcompanion.ui.signing_pin_dialog import SigningPinDialog

CLIENT = 1


def ctx_of(window: Any) -> AppContext:
    ctx = window.ctx
    assert isinstance(ctx, AppContext)
    return ctx


def audit(ctx: AppContext, since: int = 0) -> list[tuple[str, str, str, int | None]]:
    rows = ctx.vault.read(
        "SELECT action, detail, record_type, record_id FROM audit WHERE id > ? ORDER BY id",
        (since,),
    )
    return [(str(a), str(d), str(t), r) for a, d, t, r in rows]


def last_id(ctx: AppContext) -> int:
    return int(ctx.vault.read("SELECT max(id) FROM audit")[0][0])


def unsigned_session(ctx: AppContext) -> int:
    for s in ctx.repos.sessions.for_client(CLIENT):
        if s.status is SessionStatus.ENDED and s.signed_utc is None:
            assert s.id is not None
            return s.id
    raise AssertionError("the records vault has an ended, unsigned session")


def signed_session(ctx: AppContext) -> int:
    for s in ctx.repos.sessions.for_client(CLIENT):
        if s.signed_utc is not None:
            assert s.id is not None
            return s.id
    raise AssertionError("the records vault has a signed session")


def dialog_text(dialog: Any) -> str:
    return "\n".join(label.text() for label in dialog.findChildren(QLabel))


def enter(dialog: SignDialog, text: str) -> bool:
    dialog.credential.clear()
    QTest.keyClicks(dialog.credential.edit, text)
    return dialog.try_sign()


def test_wrong_then_right_passphrase_signs_a_session(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    sid = unsigned_session(ctx)
    start = last_id(ctx)
    dialog = SignDialog(ctx, load_ref(ctx.repos, "session", sid, with_counts=True))
    qtbot.addWidget(dialog)
    dialog.open()
    shown = dialog_text(dialog)
    assert "Session 2 record" in shown and "Events recorded" in shown and "final" in shown
    assert dialog.signer.text() == SIGNER and dialog.signer.isReadOnly()

    assert not enter(dialog, "not my passphrase")
    assert dialog.isVisible() and dialog.error.isVisibleTo(dialog)
    assert (
        "not your passphrase" in dialog.error.text() and "Nothing was signed" in dialog.error.text()
    )
    assert dialog.credential.text() == ""  # a wrong entry is not left in the field
    assert ctx.repos.sessions.get(sid).signed_utc is None
    assert failures(ctx.vault) == 1

    assert enter(dialog, PASSPHRASE)
    assert not dialog.isVisible()
    assert ctx.repos.sessions.get(sid).signed_utc is not None
    assert failures(ctx.vault) == 0
    assert audit(ctx, start) == [
        ("sign.failed", f"wrong passphrase, 1 of {MAX_FAILURES}", "session", sid),
        ("session.sign", SIGNER, "session", sid),
    ]
    # the signed session record is locked for every later save
    with pytest.raises(RecordLocked):
        ctx.repos.sessions.save(replace(ctx.repos.sessions.get(sid), debrief="changed later"))


def test_a_signed_document_refuses_edits(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    doc = ctx.repos.documents.find("intake", client_id=CLIENT)[0]
    assert doc.id is not None and not doc.signed
    dialog = SignDialog(ctx, load_ref(ctx.repos, doc.kind, doc.id))
    qtbot.addWidget(dialog)
    assert enter(dialog, PASSPHRASE)
    stored = ctx.repos.documents.get(doc.id)
    assert stored.signed and stored.signed_by == SIGNER
    with pytest.raises(RecordLocked, match="addendum"):
        ctx.repos.documents.save(replace(stored, data={**stored.data, "notes": "edited"}))
    assert ctx.repos.documents.get(doc.id).data == doc.data
    assert ("intake.sign", SIGNER, "intake", doc.id) in audit(ctx)


def _answer_modal(qtbot: QtBot, act: Any) -> None:
    """Run ``act(dialog)`` on the modal dialog once it shows (sign_* block in exec)."""

    def step() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, step)
            return
        act(dialog)

    QTimer.singleShot(0, step)


def test_sign_document_blocks_and_returns_the_outcome(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    doc = ctx.repos.documents.find("screening", client_id=CLIENT)[0]
    assert doc.id is not None
    _answer_modal(qtbot, lambda d: d.reject())
    assert sign_document(ctx, doc.id, records_window) is False
    assert not ctx.repos.documents.get(doc.id).signed
    _answer_modal(qtbot, lambda d: enter(d, PASSPHRASE))
    assert sign_document(ctx, doc.id, records_window) is True
    assert ctx.repos.documents.get(doc.id).signed
    _answer_modal(qtbot, lambda d: d.accept())  # "already signed"
    assert sign_document(ctx, doc.id, records_window) is False


def test_repeated_wrong_entries_lock_the_app(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    vault = ctx.vault
    sid = unsigned_session(ctx)
    dialog = SignDialog(ctx, load_ref(ctx.repos, "session", sid), records_window.workspace)
    dialog.open()
    for n in range(1, MAX_FAILURES):
        assert not enter(dialog, f"guess {n}")
        assert failures(vault) == n
    assert "1 more wrong entry locks the app" in dialog.error.text()
    assert not enter(dialog, "last guess")
    qtbot.waitUntil(lambda: records_window.ctx is None)
    check = Vault.open(vault.path, PASSPHRASE)
    try:
        rows = check.read("SELECT action, detail FROM audit ORDER BY id")
        assert check.read("SELECT signed_utc FROM sessions WHERE id = ?", (sid,)) == [(None,)]
    finally:
        check.close()
    failed = [d for a, d in rows if a == "sign.failed"]
    assert failed == [f"wrong passphrase, {n} of {MAX_FAILURES}" for n in range(1, 6)]
    assert rows[-1][0] == "vault.lock"


def test_a_signing_pin_replaces_the_passphrase(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    pin = SigningPinDialog(ctx)
    qtbot.addWidget(pin)
    assert not pin.remove_button.isVisibleTo(pin)
    pin.pin.setText("2468")
    pin.repeat.setText("2469")
    assert not pin.save() and "differ" in pin.error.text()
    pin.repeat.setText("2468")
    pin.passphrase.setText("wrong passphrase")
    assert not pin.save() and "not the vault passphrase" in pin.error.text()
    pin.passphrase.setText(PASSPHRASE)
    assert pin.save()
    assert "2468" not in (ctx.vault.get_meta("signing_pin") or "")

    doc = ctx.repos.documents.find("intake", client_id=CLIENT)[0]
    assert doc.id is not None
    dialog = SignDialog(ctx, load_ref(ctx.repos, "intake", doc.id))
    qtbot.addWidget(dialog)
    assert "signing PIN" in dialog_text(dialog)
    assert not enter(dialog, PASSPHRASE)  # with a PIN set, the PIN signs
    assert "not your PIN" in dialog.error.text()
    assert enter(dialog, "2468")
    actions = [a for a, *_ in audit(ctx)]
    assert "signing_pin.failed" in actions and "signing_pin.set" in actions
    assert actions[-2:] == ["sign.failed", "intake.sign"]

    again = SigningPinDialog(ctx)
    qtbot.addWidget(again)
    assert again.remove_button.isVisibleTo(again)
    again.passphrase.setText(PASSPHRASE)
    assert again.remove()
    assert ctx.vault.get_json("signing_pin") is None


def test_an_addendum_goes_under_the_unchanged_original(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    sid = signed_session(ctx)
    before = ctx.repos.sessions.get(sid)
    panel = AddendaPanel(ctx, "session", sid, CLIENT)
    qtbot.addWidget(panel)
    assert panel.signature.text().startswith(f"Signed by {SIGNER} on ")
    cards = panel.findChildren(QLabel)
    assert any("client called next day" in c.text() for c in cards)  # the demo's addendum
    assert len(panel.addenda()) == 1

    dialog = panel.open_add()
    assert isinstance(dialog, AddendumDialog)
    assert not dialog.add() and "cannot be empty" in dialog.error.text()
    QTest.keyClicks(dialog.text, "Phoned on day 3: =sleeping well, mood steady.")
    assert dialog.add()
    addenda = panel.addenda()
    assert [a.text for a in addenda][-1] == "Phoned on day 3: =sleeping well, mood steady."
    assert addenda[-1].author == SIGNER
    texts = [w.text() for w in panel.findChildren(QLabel) if w.isVisibleTo(panel)]
    assert any(t.startswith("Addendum 2 · ") and t.endswith(f"· {SIGNER}") for t in texts)
    assert ctx.repos.sessions.get(sid) == before  # the signed original is untouched
    assert ("addendum.create", f"addendum {addenda[-1].id}", "session", sid) in audit(ctx)
    assert ctx.vault.get_json(f"draft.addendum.session.{sid}") is None


def test_unsigned_records_take_no_addenda(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    sid = unsigned_session(ctx)
    panel = AddendaPanel(ctx, "session", sid, CLIENT)
    qtbot.addWidget(panel)
    assert panel.signature.text().startswith("Not signed yet")
    assert not panel.add_button.isEnabled()
    assert panel.open_add() is None
    assert "not signed yet" in panel.empty.text()


def test_an_addendum_draft_survives_a_lock(
    qtbot: QtBot,
    records_window: Any,  # noqa: F811
) -> None:
    ctx = ctx_of(records_window)
    sid = signed_session(ctx)
    panel = AddendaPanel(ctx, "session", sid, CLIENT, records_window.workspace)
    dialog = panel.open_add()
    assert dialog is not None
    QTest.keyClicks(dialog.text, "Half-written thought")
    path = ctx.vault.path
    records_window.lock()
    records_window.enter(Vault.open(path, PASSPHRASE))
    ctx = ctx_of(records_window)
    panel = AddendaPanel(ctx, "session", sid, CLIENT)
    qtbot.addWidget(panel)
    again = panel.open_add()
    assert again is not None and again.text.toPlainText() == "Half-written thought"
    assert len(panel.addenda()) == 1  # a draft is not an addendum
