"""Atomic writing and password protection, checked with pypdf, qpdf and poppler."""

from __future__ import annotations

import errno
import shutil
import subprocess
from pathlib import Path
from typing import IO, Any

import pytest
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError
from reportlab.platypus import Paragraph
from reportlab.platypus.doctemplate import LayoutError

from kapcompanion.export.errors import ExportError
from kapcompanion.export.pdfkit import PageFurniture, RecordDoc, styles
from kapcompanion.export.writer import (
    ENCRYPTION_AES256,
    ENCRYPTION_NONE,
    aes_available,
    write_pdf,
)

SECRET = "Harbour & record 42"

QPDF = shutil.which("qpdf") or "qpdf"
PDFTOTEXT = shutil.which("pdftotext") or "pdftotext"


def _build(text: str = "Hello from the record") -> Any:
    def build(target: IO[bytes], encrypt: Any) -> None:
        doc = RecordDoc(
            target,
            PageFurniture("Test", "Subject", "Clinic", "Exported now", part2=False),
            encrypt=encrypt,
        )
        doc.build_story([Paragraph(text, styles().body)])

    return build


def _leftovers(folder: Path, keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


def test_unprotected_write_leaves_only_the_target(tmp_path: Path) -> None:
    out = tmp_path / "record.pdf"
    result = write_pdf(_build(), out, None)
    assert result.encryption == ENCRYPTION_NONE and result.size == out.stat().st_size
    assert _leftovers(tmp_path, "record.pdf") == []
    assert "Hello from the record" in PdfReader(out).pages[0].extract_text()
    assert out.stat().st_mode & 0o077 == 0  # private to the user: it holds health data


def test_a_failing_build_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "record.pdf"
    out.write_bytes(b"old file")

    def broken(target: IO[bytes], encrypt: Any) -> None:
        target.write(b"%PDF-1.4 half of a file")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_pdf(broken, out, None)
    assert out.read_bytes() == b"old file"
    assert _leftovers(tmp_path, "record.pdf") == []


def test_a_full_disk_is_an_export_error_and_the_old_file_stays(tmp_path: Path) -> None:
    out = tmp_path / "record.pdf"
    out.write_bytes(b"old file")

    def disk_full(target: IO[bytes], encrypt: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ExportError, match="No space left on device"):
        write_pdf(disk_full, out, None)
    assert out.read_bytes() == b"old file"
    assert _leftovers(tmp_path, "record.pdf") == []


def test_a_layout_error_is_an_export_error(tmp_path: Path) -> None:
    def too_big(target: IO[bytes], encrypt: Any) -> None:
        raise LayoutError("Flowable too large")

    with pytest.raises(ExportError, match="could not be laid out"):
        write_pdf(too_big, tmp_path / "x.pdf", None)
    assert list(tmp_path.iterdir()) == []


def test_bad_targets_and_an_empty_password_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        write_pdf(_build(), tmp_path / "missing" / "x.pdf", None)
    with pytest.raises(ExportError, match="is a folder"):
        write_pdf(_build(), tmp_path, None)
    with pytest.raises(ExportError, match="password is empty"):
        write_pdf(_build(), tmp_path / "x.pdf", "")
    assert list(tmp_path.iterdir()) == []


def _assert_locked(out: Path, password: str) -> None:
    reader = PdfReader(out)
    assert reader.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert not reader.decrypt("not the password")
    reader = PdfReader(out)
    assert reader.decrypt(password)
    assert "Hello from the record" in reader.pages[0].extract_text()
    # qpdf refuses it without the password and checks it clean with it.
    assert subprocess.run([QPDF, "--check", str(out)], capture_output=True).returncode != 0
    done = subprocess.run(
        [QPDF, "--check", f"--password={password}", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # poppler (what most Linux viewers use) opens it with the password only.
    assert subprocess.run([PDFTOTEXT, str(out), "-"], capture_output=True).returncode != 0
    shown = subprocess.run(
        [PDFTOTEXT, "-upw", password, str(out), "-"], capture_output=True, text=True
    )
    assert shown.returncode == 0 and "Hello from the record" in shown.stdout


@pytest.mark.skipif(not aes_available(), reason="pypdf has no AES backend here")
def test_aes256_protection(tmp_path: Path) -> None:
    out = tmp_path / "locked.pdf"
    assert write_pdf(_build(), out, SECRET).encryption == ENCRYPTION_AES256
    _assert_locked(out, SECRET)
    shown = subprocess.run(
        [QPDF, "--show-encryption", f"--password={SECRET}", str(out)],
        capture_output=True,
        text=True,
    )
    assert "AESv3" in shown.stdout
    assert _leftovers(tmp_path, "locked.pdf") == []


@pytest.mark.skipif(not aes_available(), reason="pypdf has no AES backend here")
def test_aes256_accepts_a_non_latin_password(tmp_path: Path) -> None:
    out = tmp_path / "locked.pdf"
    write_pdf(_build(), out, "пароль-王")
    reader = PdfReader(out)
    assert not reader.decrypt("пароль")
    assert PdfReader(out).decrypt("пароль-王")


def test_without_an_aes_backend_a_protected_export_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No weaker fallback: a missing AES backend is a broken install, said plainly."""
    from kapcompanion.export import writer

    out = tmp_path / "locked.pdf"
    out.write_bytes(b"old file")
    monkeypatch.setattr(writer, "aes_available", lambda: False)
    with pytest.raises(ExportError, match="cannot protect a PDF with a password") as caught:
        write_pdf(_build(), out, SECRET)
    assert "Nothing was written" in str(caught.value)
    assert out.read_bytes() == b"old file" and _leftovers(tmp_path, "locked.pdf") == []
    assert write_pdf(_build(), out, None).encryption == ENCRYPTION_NONE  # unprotected still works
