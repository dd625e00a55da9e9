"""Drawings and photos attached to a record, kept only inside the encrypted vault.

The chosen file's bytes are read straight into memory and stored with
``Repos.documents.attach``; the thumbnail is made in memory too (QImage from the bytes, scaled,
written as PNG into a QBuffer). Nothing is ever written to disk unencrypted: no temporary
file, no cache, no copy beside the original. Viewing decodes the stored bytes in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeDatabase, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kapcompanion.services import documents as document_service
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role

THUMB_PX = 160
MAX_BYTES = 25 * 1024 * 1024
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp *.tif *.tiff);;All files (*)"


class ImageError(ValueError):
    """Not an image the app can read, or too large; the message says which."""


def read_image(data: bytes) -> QImage:
    """Decode in memory, turned upright by its EXIF orientation (phone photos)."""
    array = QByteArray(data)
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    image = reader.read()
    buffer.close()
    if image.isNull():
        raise ImageError(
            "This file is not an image the app can read. Attach a PNG, JPEG, GIF, BMP, "
            "WebP or TIFF picture."
        )
    return image


def make_thumbnail(image: QImage, px: int = THUMB_PX) -> bytes:
    """A PNG of at most ``px`` x ``px``, made in memory."""
    small = image.scaled(
        px, px, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not small.save(buffer, "PNG"):  # type: ignore[call-overload]  # str at runtime
        raise ImageError("The thumbnail could not be made.")
    buffer.close()
    return bytes(array.data())


def image_mime(data: bytes) -> str:
    return QMimeDatabase().mimeTypeForData(QByteArray(data)).name()


class ImageViewer(QDialog):
    def __init__(self, title: str, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        image = read_image(data)
        screen = self.screen().availableGeometry() if self.screen() else None
        limit = QSize(1000, 700) if screen is None else screen.size() * 0.85
        pixmap = QPixmap.fromImage(image)
        if pixmap.width() > limit.width() or pixmap.height() > limit.height():
            pixmap = pixmap.scaled(
                limit,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.picture = QLabel()
        self.picture.setPixmap(pixmap)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setAccessibleName(title)
        scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(
            min(pixmap.width() + 60, limit.width()), min(pixmap.height() + 90, limit.height())
        )


class ImageStrip(QWidget):
    """Thumbnails of a document's images, with Attach image… and View."""

    attached = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        ensure_document: Callable[[], int | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ensure_document = ensure_document
        self.doc_id: int | None = None
        self.read_only = False
        self.dialog: QDialog | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("Attached images")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB_PX // 2 + 40, THUMB_PX // 2 + 40))
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setFixedHeight(THUMB_PX // 2 + 90)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.itemActivated.connect(lambda item: self.view(self.list.row(item)))
        self.empty = QLabel(
            "No images. Drawings or photos of a collage can be attached; they are kept only "
            "inside the encrypted vault."
        )
        self.empty.setWordWrap(True)
        set_role(self.empty, "empty")
        self.attach_button = QPushButton("Attach &image…")
        self.attach_button.setToolTip("Add a drawing or photo; it is stored inside the vault only")
        self.attach_button.clicked.connect(self.choose_file)
        self.view_button = QPushButton("&View")
        self.view_button.setToolTip("Show the selected image (Enter on a thumbnail)")
        self.view_button.clicked.connect(lambda: self.view(self.list.currentRow()))
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.view_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        self.set_document(None, False)

    def set_document(self, doc_id: int | None, read_only: bool) -> None:
        self.doc_id = doc_id
        self.read_only = read_only
        self.error.hide()
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        rows = document_service.attachments(self.ctx.repos, self.doc_id) if self.doc_id else []
        for aid, name, _mime, thumb in rows:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, aid)
            item.setToolTip(name)
            if thumb:
                image = QImage.fromData(QByteArray(thumb))
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            self.list.addItem(item)
        self.list.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self.view_button.setEnabled(bool(rows))
        self.attach_button.setVisible(not self.read_only)

    # ------------------------------------------------------------------ attaching
    def fail(self, message: str) -> bool:
        self.error.setText(message)
        self.error.show()
        return False

    def choose_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "Attach an image", str(Path.home()), IMAGE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.attach_file)
        self.dialog = dialog
        dialog.open()
        return dialog

    def attach_file(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            if path.stat().st_size > MAX_BYTES:
                return self.fail(f"{path.name} is larger than {MAX_BYTES // 2**20} MB.")
            data = path.read_bytes()  # straight into memory: no copy is made anywhere
        except OSError as exc:
            return self.fail(f"{path.name} could not be read: {exc.strerror or exc}")
        return self.attach_bytes(path.name, data)

    def attach_bytes(self, name: str, data: bytes) -> bool:
        """Store ``data`` (and a thumbnail made from it) inside the vault."""
        if self.read_only:
            return self.fail("This entry is signed: images cannot be added to it.")
        if len(data) > MAX_BYTES:
            return self.fail(f"{name} is larger than {MAX_BYTES // 2**20} MB.")
        try:
            image = read_image(data)
        except ImageError as exc:
            return self.fail(str(exc))
        doc_id = self.ensure_document()
        if doc_id is None:
            return self.fail("The entry could not be saved, so the image was not attached.")
        try:
            aid = document_service.attach(
                self.ctx.repos, doc_id, name, image_mime(data), data, make_thumbnail(image)
            )
        except VaultError as exc:
            return self.fail(f"Not attached: {exc.message}")
        self.doc_id = doc_id
        self.error.hide()
        self.refresh()
        self.list.setCurrentRow(self.list.count() - 1)
        self.ctx.notify(f"Image attached: {name}", 3000)
        self.attached.emit(aid)
        return True

    def view(self, row: int) -> ImageViewer | None:
        item = self.list.item(row) if row >= 0 else None
        if item is None:
            return None
        aid = int(item.data(Qt.ItemDataRole.UserRole))
        try:
            viewer = ImageViewer(
                item.text(), document_service.attachment_content(self.ctx.repos, aid), self
            )
        except (VaultError, ImageError) as exc:
            self.fail(str(exc))
            return None
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = viewer
        viewer.open()
        return viewer
