"""Shots of issue 8: documents (unsigned and signed with addenda), signing, audit, export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QElapsedTimer
from PySide6.QtTest import QTest

if TYPE_CHECKING:
    from collections.abc import Callable

    from screenshots import Shooter


def _wait(done: Callable[[], bool], ms: int = 15_000) -> None:
    clock = QElapsedTimer()
    clock.start()
    while not done() and clock.elapsed() < ms:
        QTest.qWait(30)


def _documents(s: Shooter) -> Any:
    _ws, record = s.open_first()
    return record.show_section("documents")


def shot_documents(s: Shooter) -> Any:
    section = _documents(s)
    first = section.unsigned[0]
    section.select_record(*first.key)
    return s.window


def shot_documents_signed(s: Shooter) -> Any:
    section = _documents(s)
    session = next(r for r in section.signed if r.is_session)
    section.select_record(*session.key)
    return s.window


def shot_signing(s: Shooter) -> Any:
    section = _documents(s)
    session = next(r for r in section.unsigned if r.is_session)
    section.select_record(*session.key)
    dialog = section.sign_current()
    QTest.keyClicks(dialog.credential.edit, "not the passphrase")
    dialog.try_sign()  # show the plain refusal
    QTest.keyClicks(dialog.credential.edit, "typing again")
    return dialog


def shot_audit_whole_check(s: Shooter) -> Any:
    from kapcompanion.ui.audit_view import show_audit_view

    ws = s.ensure_unlocked()
    view = show_audit_view(ws.ctx, ws)
    _wait(lambda: view.check_task is not None and view.check_task.done)
    task = view.check_whole()
    _wait(lambda: task.done, 60_000)
    return view


def shot_audit(s: Shooter) -> Any:
    from kapcompanion.ui.audit_view import show_audit_view

    ws = s.ensure_unlocked()
    view = show_audit_view(ws.ctx, ws)
    _wait(lambda: view.check_task is not None and view.check_task.done)
    return view


def shot_export_preview(s: Shooter) -> Any:
    section = _documents(s)
    signed = next(r for r in section.signed if r.is_session)
    dialog = section.export_session(signed.record_id)
    _wait(lambda: dialog.ready)
    dialog.password.setText("blue heron river")
    return dialog


SHOTS = [
    ("records-documents", shot_documents),
    ("records-documents-signed", shot_documents_signed),
    ("records-signing", shot_signing),
    ("records-audit", shot_audit),
    ("records-audit-whole-check", shot_audit_whole_check),
    ("records-export-preview", shot_export_preview),
]
