"""The consent tab and the signing screen on a real vault: a signature drawn with synthesised
mouse events is read back from the vault; countersigning names a practice member who types
their own PIN (the vault's practitioner: the passphrase), a witness too; a withdrawal shows on
the tab; the stroke data never reaches a file outside the vault."""

from __future__ import annotations

import os
from pathlib import Path

from consent_support import add_member
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.core.consent import ConsentState, canonical_strokes
from kapcompanion.services import consent as svc
from kapcompanion.ui.consent import ConsentSection, WithdrawDialog
from kapcompanion.ui.consent_screen import ConsentScreen
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.widgets.signature_pad import SignaturePad

SHOTS = os.environ.get("KAP_CONSENT_SHOTS", "")


def draw(pad: SignaturePad, points: list[tuple[int, int]]) -> None:
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(pad, left, none, QPoint(*points[0]))
    for x, y in points[1:]:
        QApplication.sendEvent(
            pad,
            QMouseEvent(
                QMouseEvent.Type.MouseMove,
                QPointF(x, y),
                pad.mapToGlobal(QPointF(x, y)),
                Qt.MouseButton.NoButton,
                left,
                none,
            ),
        )
    QTest.mouseRelease(pad, left, none, QPoint(*points[-1]))


def wave(y: int) -> list[tuple[int, int]]:
    return [(60 + 9 * i, y + (12 if i % 6 < 3 else -12) + i % 3) for i in range(40)]


def test_sign_countersign_and_withdraw_from_the_consent_tab(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    ctx = unlocked.ctx
    ws = unlocked.workspace
    assert ctx is not None and ws is not None
    client_id = ws.clients.model.client_id(0)
    record = ws.open_client(client_id, section="consent")
    assert record is not None
    section = record.sections["consent"]
    assert isinstance(section, ConsentSection)
    assert "Not complete: 3 of 3 required consents" in section.summary.text()
    assert section.list.count() == 3  # Part 2 is off in this clinic
    if SHOTS:
        unlocked.grab().save(f"{SHOTS}/consent-tab-before.png")

    sam = add_member(ctx.vault, "Sam Reed", "RN", "4826")
    screen = ConsentScreen(ctx, client_id, "kap-informed-consent", parent=section)
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    screen.show()
    qtbot.waitExposed(screen)
    # the therapist's page is all keyboard: a missing value is named and nothing moves on
    QTest.keyClick(screen.to_client, Qt.Key.Key_Space)
    assert screen.pages.currentIndex() == 0
    assert "Route of administration" in screen.prepare_error.text()
    route, band = (w.combo for w in screen.inputs)
    assert route is not None and band is not None
    route.setCurrentIndex(route.findData("im"))
    band.setCurrentIndex(band.findData("moderate"))
    QTest.keyClick(screen.to_client, Qt.Key.Key_Space)
    assert screen.pages.currentIndex() == 1
    assert "Intramuscular (IM)" in screen.reading.toPlainText()
    pad = screen.client_sig.pad
    assert pad.width() >= 560 and pad.height() >= 200
    draw(pad, wave(110))
    draw(pad, [(80 + 8 * i, 170) for i in range(30)])
    if SHOTS:
        screen.grab().save(f"{SHOTS}/consent-client-page.png")
    drawn = canonical_strokes(screen.client_sig.signature("client"))
    assert screen.client_signs()
    assert screen.pages.currentIndex() == 2
    doc_id = screen.doc_id
    assert doc_id is not None
    # read back from the vault: the same strokes, the exact text shown, the image
    view = svc.consent_view(ctx.repos, doc_id)
    assert canonical_strokes(view.record.client) == drawn
    assert view.record.text == screen.shown_text and view.client_png is not None
    assert view.record.client.name == ctx.repos.clients.get(client_id).name

    screen.with_witness.setChecked(True)
    draw(screen.witness_sig.pad, wave(120))
    assert screen.witness_sig.name.text() == "Sam Reed"  # the chosen member's name
    if SHOTS:
        screen.grab().save(f"{SHOTS}/consent-countersign-page.png")
    # the vault's practitioner is chosen; without a PIN they type the vault passphrase
    assert screen.counter.member_id() == 1
    QTest.keyClicks(screen.witness.pin, "4826")
    QTest.keyClicks(screen.counter.pin, PASSPHRASE)
    QTest.keyClick(screen.counter.pin, Qt.Key.Key_Return)
    assert screen.result() == QDialog.DialogCode.Accepted
    view = svc.consent_view(ctx.repos, doc_id)
    assert view.document.signed and view.record.witness is not None
    assert view.witness_png is not None
    assert view.record.witness_member_id == sam and view.record.witnessed_by == "Sam Reed, RN"
    section.reload()
    kap = section.statuses[0]
    assert kap.state is ConsentState.CURRENT
    assert "countersigned by Dr Test" in section.history.item(0).text()

    dialog = WithdrawDialog(ctx, doc_id, kap.title, section)
    qtbot.addWidget(dialog)
    dialog.reason.setPlainText("ok")
    assert not dialog.record() and "too short" in dialog.error.text()
    dialog.reason.setPlainText("The client wants to stop after talking it over with family.")
    assert dialog.record()
    section.reload()
    assert section.statuses[0].state is ConsentState.WITHDRAWN
    assert "Withdrawn: Informed consent" in section.summary.text()
    assert "withdrawn on" in section.list.item(0).text()
    assert "WITHDRAWN" in section.history.item(0).text()
    assert section.write_pdf(doc_id, tmp_path / "consent.pdf")
    if SHOTS:
        unlocked.grab().save(f"{SHOTS}/consent-tab-after.png")

    # the stroke data is nowhere outside the vault (the app's folders, the PDF aside)
    needle = (
        f"{view.record.client.strokes[0].points[5][0]},{view.record.client.strokes[0].points[5][1]}"
    )
    vault_path = ctx.vault.path
    for root in (Path(os.environ["KAPCOMPANION_HOME"]), tmp_path, vault_path.parent):
        for path in root.rglob("*"):
            if (
                path.is_file()
                and path.suffix != ".pdf"
                and not path.name.startswith(vault_path.name)
            ):
                assert needle.encode() not in path.read_bytes(), path


def test_a_second_clinician_countersigns_on_the_screen_with_their_own_pin(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    ctx = unlocked.ctx
    ws = unlocked.workspace
    assert ctx is not None and ws is not None
    client_id = ws.clients.model.client_id(0)
    lee = add_member(ctx.vault, "Priya Lee", "MD", "7391", role="prescriber")
    screen = ConsentScreen(ctx, client_id, "music-recording")
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    screen.show()
    qtbot.waitExposed(screen)
    music, recording = (w.combo for w in screen.inputs)
    assert music is not None and recording is not None
    music.setCurrentIndex(1)
    recording.setCurrentIndex(1)
    assert screen.show_to_client()
    draw(screen.client_sig.pad, wave(110))
    assert screen.client_signs()
    doc_id = screen.doc_id
    assert doc_id is not None
    # the picker offers every member; the PIN row names whose PIN it is
    screen.counter.choose(lee)
    label = screen.counter_pin_label
    assert isinstance(label, QLabel) and label.text() == "Priya Lee's own &PIN:"
    assert lee not in [
        screen.witness.choice.itemData(i) for i in range(screen.witness.choice.count())
    ]
    before = len(ctx.vault.audit_entries())
    QTest.keyClicks(screen.counter.pin, "7390")
    assert not screen.countersign()
    assert "That is not Priya Lee's PIN; nothing was recorded." in screen.counter_error.text()
    assert "4 more wrong entries lock the app" in screen.counter_error.text()
    assert screen.counter.pin.text() == ""  # never kept on screen
    assert len(ctx.vault.audit_entries()) == before
    assert not svc.consent_view(ctx.repos, doc_id).document.signed
    QTest.keyClicks(screen.counter.pin, "7391")
    assert screen.countersign()
    record = svc.consent_view(ctx.repos, doc_id).record
    assert record.countersigned_by == "Priya Lee, MD" and record.countersigner_member_id == lee
    assert ctx.repos.documents.get(doc_id).signed_by == "Priya Lee"
