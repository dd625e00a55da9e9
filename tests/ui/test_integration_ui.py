"""Integration entries on a real vault: drafts that survive a lock, images kept only inside
the vault (never in plaintext on disk), search, prompts in any order, signed = read-only."""

from __future__ import annotations

import os
import struct
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from support import PASSPHRASE

from kapcompanion.core import serial
from kapcompanion.core.integration import IntegrationEntry, IntegrationKind
from kapcompanion.core.models import StoredDocument
from kapcompanion.store.errors import RecordLocked
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.prompt_editor import ID_ROLE
from kapcompanion.ui.sections.integration import IntegrationSection
from kapcompanion.ui.widgets.image_strip import THUMB_PX, ImageViewer, read_image


def open_section(window: MainWindow) -> IntegrationSection:
    ws = window.workspace
    assert ws is not None
    record = ws.open_client(ws.clients.model.client_id(0))
    assert record is not None
    section = record.show_section("integration")
    assert isinstance(section, IntegrationSection)
    return section


def png_with_marker(marker: str, size: tuple[int, int] = (640, 480)) -> bytes:
    """A PNG whose bytes contain ``marker`` verbatim (an uncompressed tEXt chunk)."""
    image = QImage(*size, QImage.Format.Format_RGB32)
    image.fill(QColor("#3a6f8f"))
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")  # type: ignore[call-overload]
    png = bytes(array.data())
    body = b"tEXt" + b"Comment\x00" + marker.encode()
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    end = png.rindex(b"IEND") - 4
    data = png[:end] + chunk + png[end:]
    assert marker.encode() in data and not read_image(data).isNull()
    return data


def files_to_scan(roots: list[Path], since: float) -> Iterator[Path]:
    for root in roots:
        for folder, _dirs, names in os.walk(root, onerror=lambda _e: None):
            for name in names:
                path = Path(folder) / name
                try:
                    st = path.stat()
                except OSError:
                    continue
                if st.st_mtime >= since and st.st_size < 100 * 2**20 and path.is_file():
                    yield path


def test_a_draft_autosaves_and_survives_a_lock(qtbot: QtBot, unlocked: MainWindow) -> None:
    section = open_section(unlocked)
    assert section.right.currentWidget() is section.nothing  # an honest empty state
    assert "New entry" in section.nothing.text()
    editor = section.new_entry()
    QTest.keyClicks(editor.free_text, "Felt held by the music; the fear softened.")
    index = editor.add_prompt.findData("somatic.release")
    editor.add_prompt.activated.emit(index)  # a prompt from the middle of the list: any order
    assert editor.add_prompt.currentIndex() == 0  # the picker resets for the next prompt
    QTest.keyClicks(editor.answers["somatic.release"].answer, "Shoulders and jaw let go.")
    editor.mood.setValue(6)
    assert editor.autosaver.dirty  # typed faster than the pause: not saved yet
    assert unlocked.ctx is not None
    path = unlocked.ctx.vault.path
    unlocked.lock("Locked. Your work was saved.")  # about_to_lock flushes the draft
    vault = Vault.open(path, PASSPHRASE)
    try:
        (doc,) = Repos(vault).documents.find("integration")
        entry = serial.load(IntegrationEntry, doc.data)
    finally:
        vault.close()
    assert not doc.signed
    assert entry.free_text == "Felt held by the music; the fear softened."
    assert entry.prompt_answers == {"somatic.release": "Shoulders and jaw let go."}
    assert entry.mood == 6 and entry.prompt_set_id == "integration"


def test_autosave_after_a_pause_lists_the_entry(qtbot: QtBot, unlocked: MainWindow) -> None:
    section = open_section(unlocked)
    editor = section.new_entry()
    editor.autosaver._idle.setInterval(30)
    QTest.keyClicks(editor.title, "After the second session")
    qtbot.waitUntil(lambda: section.list.count() == 1, timeout=3000)
    assert "After the second session" in section.list.item(0).text()
    assert "Draft. Saved" in editor.status.text()


def test_image_round_trip_never_in_plaintext_on_disk(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    started = time.time() - 1
    marker = f"KAP-MARKER-{uuid.uuid4().hex}"
    data = png_with_marker(marker)
    source = tmp_path / "drawing.png"  # the client's own file: plaintext by nature
    source.write_bytes(data)
    section = open_section(unlocked)
    editor = section.new_entry()
    assert editor.doc is None
    assert editor.images.attach_file(source)  # saves the draft first, then attaches
    assert editor.doc is not None and editor.doc.id is not None
    assert unlocked.ctx is not None
    repos = unlocked.ctx.repos
    ((aid, name, mime, thumb),) = repos.documents.attachments(editor.doc.id)
    assert (name, mime) == ("drawing.png", "image/png")
    assert repos.documents.attachment_content(aid) == data  # byte for byte
    assert thumb is not None and thumb.startswith(b"\x89PNG")
    small = read_image(thumb)
    assert max(small.width(), small.height()) == THUMB_PX and small.width() > small.height()
    assert editor.images.list.count() == 1
    viewer = editor.images.view(0)
    assert isinstance(viewer, ImageViewer)
    assert viewer.picture.pixmap().size().width() == 640
    viewer.close()
    assert not editor.images.attach_bytes("notes.txt", b"just text")  # refused plainly
    assert "not an image" in editor.images.error.text()

    path = unlocked.ctx.vault.path
    unlocked.close()  # checkpoints the WAL and closes the vault
    home = Path(os.environ["KAPCOMPANION_HOME"])
    roots = [Path(tempfile.gettempdir()), tmp_path, home, path.parent]
    scanned = 0
    for file in files_to_scan(roots, started):
        if file == source:
            continue
        scanned += 1
        assert marker.encode() not in file.read_bytes(), f"image bytes in plaintext: {file}"
    assert scanned >= 1  # the vault file itself was scanned
    assert path.is_file() and marker.encode() not in path.read_bytes()


def test_search_and_signed_entries_are_read_only(qtbot: QtBot, unlocked: MainWindow) -> None:
    assert unlocked.ctx is not None and unlocked.workspace is not None
    repos = unlocked.ctx.repos
    cid = unlocked.workspace.clients.model.client_id(0)
    texts = ["Saw the ocean, felt Émotion rising", "Quiet day, walked", "Ocean again; slept well"]
    for n, text in enumerate(texts):
        entry = IntegrationEntry(None, IntegrationKind.LATER, date(2025, 3, n + 1))
        entry.free_text = text
        doc = repos.documents.save(
            StoredDocument(kind="integration", client_id=cid, data=serial.to_jsonable(entry))
        )
    assert doc.id is not None
    repos.documents.sign(doc.id, "Dr Test")
    section = open_section(unlocked)
    assert section.list.count() == 3
    assert section.editor.doc is not None and section.editor.doc.id == doc.id  # newest first
    assert section.editor.read_only and section.editor.free_text.isReadOnly()
    assert not section.editor.mood.isEnabled() and section.editor.add_prompt.isHidden()
    assert section.editor.images.attach_button.isHidden()
    assert "Signed by Dr Test" in section.editor.status.text()
    with_text = section.editor.free_text.toPlainText()
    QTest.keyClicks(section.editor.free_text, "tamper")
    assert section.editor.free_text.toPlainText() == with_text
    try:
        repos.documents.save(doc)
    except RecordLocked:
        pass
    else:
        raise AssertionError("a signed entry must refuse changes")
    section.search.setText("ocean")
    assert section.list.count() == 2
    section.search.setText("emotion OCEAN")  # every word, any case, accents folded
    assert section.list.count() == 1 and "Émotion" in section.list.item(0).text()
    section.search.setText("mountain")
    assert section.list.count() == 0 and "No entry contains" in section.list_hint.text()
    section.search.clear()
    section.list.setCurrentRow(2)
    assert section.editor.doc is not None and not section.editor.read_only
    assert section.editor.free_text.toPlainText() == texts[0]


def test_sign_from_the_editor_makes_it_read_only(qtbot: QtBot, unlocked: MainWindow) -> None:
    from PySide6.QtCore import QTimer

    from kapcompanion.ui.signing import SignDialog

    section = open_section(unlocked)
    editor = section.new_entry()
    assert editor.sign_button.isEnabled()  # ui/signing.py is present in this build
    QTest.keyClicks(editor.free_text, "Ready to sign.")

    def fill_in() -> None:
        dialog = editor.findChild(SignDialog)
        assert dialog is not None
        dialog.credential.edit.setText(PASSPHRASE)
        assert dialog.try_sign()

    QTimer.singleShot(0, fill_in)
    assert editor.sign()  # saves the draft first, then the signing dialog
    assert editor.read_only and editor.free_text.isReadOnly()
    assert editor.doc is not None and editor.doc.signed
    assert editor.doc.data["free_text"] == "Ready to sign."
    assert "signed" in section.list.item(0).text()


def test_clinic_prompts_edited_keep_old_answers_readable(
    qtbot: QtBot, unlocked: MainWindow, audit_of: Callable[..., list[tuple[str, str]]]
) -> None:
    from kapcompanion.ui.prompt_editor import load_clinic_prompts

    section = open_section(unlocked)
    editor = section.new_entry()
    editor.add_answer("somatic.release", "Jaw softened.")
    assert editor.flush() and editor.doc is not None
    dialog = section.edit_prompts()
    tree = dialog.tree
    somatic = next(t for t in dialog._tops() if t.data(0, ID_ROLE) == "somatic")
    release = next(k for k in dialog._children(somatic) if k.data(0, ID_ROLE) == "somatic.release")
    tree.setCurrentItem(release)
    dialog.remove()
    tree.setCurrentItem(somatic)
    added = dialog.add_prompt()
    assert added is not None
    added.setText(0, "What does your body remember from the music?")
    first = dialog._tops()[0]
    first.setText(0, "")  # an empty title is refused
    assert not dialog.save() and "Not saved" in dialog.error.text()
    first.setText(0, "Personal life")
    assert dialog.save()
    assert unlocked.ctx is not None
    prompts, retired = load_clinic_prompts(unlocked.ctx.vault)
    assert prompts.version == "2" and prompts.groups[0].title == "Personal life"
    assert "somatic.release" not in prompts.prompt_ids and "somatic.clinic1" in prompts.prompt_ids
    assert retired["somatic.release"].startswith("Was there tension")
    # the entry still shows the retired question with its answer, and offers the new prompt
    box = editor.answers["somatic.release"]
    assert "no longer offered" in box.heading.text() and "Was there tension" in box.heading.text()
    assert box.answer.toPlainText() == "Jaw softened."
    assert editor.add_prompt.findData("somatic.clinic1") > 0
    path = unlocked.ctx.vault.path
    unlocked.close()
    assert [d for a, d in audit_of(path) if a == "integration_prompts.update"] == [
        "integration v2, 27 prompts"
    ]


def test_switching_entries_saves_the_one_left(qtbot: QtBot, unlocked: MainWindow) -> None:
    assert unlocked.ctx is not None and unlocked.workspace is not None
    repos = unlocked.ctx.repos
    cid = unlocked.workspace.clients.model.client_id(0)
    old = IntegrationEntry(None, IntegrationKind.LATER, date(2025, 3, 1), free_text="Older entry")
    repos.documents.save(
        StoredDocument(kind="integration", client_id=cid, data=serial.to_jsonable(old))
    )
    section = open_section(unlocked)
    editor = section.new_entry()
    QTest.keyClicks(editor.free_text, "Written just now")
    older = section.list.item(0)
    assert older is not None and "Older entry" in older.text()
    section.list.setCurrentItem(older)  # leave the new entry for the older one
    assert editor.free_text.toPlainText() == "Older entry"
    assert section.list.count() == 2  # the new entry was saved on the way out
    current = section.list.currentItem()
    assert current is not None and "Older entry" in current.text()
    texts = [
        serial.load(IntegrationEntry, d.data).free_text for d in repos.documents.find("integration")
    ]
    assert sorted(texts) == ["Older entry", "Written just now"]
