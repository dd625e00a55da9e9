"""PDF pages as images, rendered in memory: the export preview and printing.

A preview is made before the user chooses where to save, so the PDF is unprotected at
that point and must never touch the disk (an unprotected record in a temp folder is
plaintext client data). pypdfium2 renders straight from the bytes in memory. Without it,
``pdftoppm`` (poppler) is given the PDF on its standard input and returns one PNG per page
on its standard output: no file is written either way.

PDFium is not thread-safe; one lock serialises every render (previews run on a worker).
Import this module on the GUI thread before starting a worker that uses it.
"""

from __future__ import annotations

import shutil
import subprocess
import threading

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QResizeEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

try:
    import pypdfium2 as pdfium
except ImportError:  # pragma: no cover - pypdfium2 is a dependency; poppler is the fallback
    pdfium = None

_render_lock = threading.Lock()
#: preview resolution (the page is scaled to the pane's width when shown)
PREVIEW_DPI = 110.0
PRINT_DPI_MAX = 300.0


class PreviewError(Exception):
    """The pages could not be rendered (no renderer, or a PDF the renderer refuses)."""


def renderer() -> str:
    """``pypdfium2``, ``pdftoppm`` or ``""`` when neither is available."""
    if pdfium is not None:
        return "pypdfium2"
    return "pdftoppm" if shutil.which("pdftoppm") else ""


def _pdfium_pages(pdf: bytes, dpi: float, password: str | None) -> list[QImage]:
    assert pdfium is not None
    images: list[QImage] = []
    with _render_lock:
        try:
            doc = pdfium.PdfDocument(pdf, password=password)
        except pdfium.PdfiumError as exc:
            raise PreviewError("The PDF could not be opened for the preview.") from exc
        try:
            for index in range(len(doc)):
                page = doc[index]
                bitmap = page.render(scale=dpi / 72.0, prefer_bgrx=True)
                raw = bytes(bitmap.buffer)
                image = QImage(
                    raw, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB32
                ).copy()  # own the pixels: ``raw`` goes away
                bitmap.close()
                page.close()
                images.append(image)
        finally:
            doc.close()
    return images


def _poppler_pages(pdf: bytes, dpi: float) -> list[QImage]:
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise PreviewError("No PDF renderer is installed (pypdfium2 or poppler's pdftoppm).")
    images: list[QImage] = []
    page = 1
    while True:
        done = subprocess.run(
            [exe, "-png", "-r", f"{dpi:g}", "-f", str(page), "-l", str(page), "-singlefile", "-"],
            input=pdf,
            capture_output=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or not done.stdout:
            if page > 1 and b"Wrong page range" in done.stderr:
                return images
            raise PreviewError("The PDF could not be rendered for the preview.")
        image = QImage()
        if not image.loadFromData(done.stdout):
            raise PreviewError("The PDF could not be rendered for the preview.")
        images.append(image)
        page += 1


def render_pages(pdf: bytes, dpi: float = PREVIEW_DPI, password: str | None = None) -> list[QImage]:
    """Every page of ``pdf`` (bytes in memory) as an image; nothing is written to disk."""
    if pdfium is not None:
        return _pdfium_pages(pdf, dpi, password)
    if password is not None:
        raise PreviewError("A protected PDF can be previewed only with pypdfium2.")
    return _poppler_pages(pdf, dpi)


def dimmed(image: QImage, strength: float = 0.5) -> QImage:
    """A white page darkened for the dim treatment-room theme (the file is not changed)."""
    out = image.convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(out)
    painter.fillRect(out.rect(), QColor(20, 16, 10, round(255 * strength)))
    painter.end()
    return out


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Print every page, rendered at the printer's resolution (at most 300 dpi); the count."""
    dpi = float(min(max(printer.resolution(), 72), PRINT_DPI_MAX))
    pages = render_pages(pdf, dpi)
    painter = QPainter()
    if not painter.begin(printer):
        raise PreviewError("The printer could not be started.")
    try:
        for index, image in enumerate(pages):
            if index:
                printer.newPage()
            area = printer.pageLayout().paintRectPixels(printer.resolution())
            target = QRectF(0, 0, area.width(), area.height())
            size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target.setSize(size.toSizeF())
            painter.drawImage(target, image)
    finally:
        painter.end()
    return len(pages)


class PreviewPane(QScrollArea):
    """The pages one under the other, scaled to the pane's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreview")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Preview of the PDF pages")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # scroll with the keyboard
        self.images: list[QImage] = []
        self.labels: list[QLabel] = []
        holder = QWidget()
        self.column = QVBoxLayout(holder)
        self.column.setSpacing(14)
        self.column.addStretch(1)
        self.setWidget(holder)
        self._shown_width = 0

    def set_pages(self, images: list[QImage], dim: bool = False) -> None:
        self.images = [dimmed(i) for i in images] if dim else list(images)
        for label in self.labels:
            self.column.removeWidget(label)
            label.deleteLater()
        self.labels = []
        for number, _image in enumerate(self.images, 1):
            label = QLabel()
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setAccessibleName(f"Page {number} of {len(self.images)}")
            self.column.insertWidget(self.column.count() - 1, label)
            self.labels.append(label)
        self._shown_width = 0
        self._scale()

    def _scale(self) -> None:
        width = max(200, self.viewport().width() - 24)
        if width == self._shown_width:
            return
        self._shown_width = width
        for label, image in zip(self.labels, self.images, strict=True):
            shown = min(width, image.width())
            label.setPixmap(
                QPixmap.fromImage(
                    image.scaledToWidth(shown, Qt.TransformationMode.SmoothTransformation)
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._scale()
