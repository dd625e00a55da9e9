"""Write a PDF atomically, optionally protected by its own password.

The file is built into a temporary file beside the target, flushed and fsynced, then
renamed over the target (``os.replace``), so a crash or a full disk leaves the old file or
the new one, never half of one. The temporary file is removed on every failure.

Protection: AES-256 (PDF 2.0, revision 6) when pypdf and a crypto backend
(``cryptography`` or ``pycryptodome``) can be imported, otherwise reportlab's own 128-bit
RC4 encryption. reportlab also offers "AES-256", but its output (revision 5, a
pre-standard Adobe extension) is rejected by poppler and pypdf, so it is not used. With
AES the document is laid out in memory and encrypted on its way to disk: no unprotected
copy of the record is ever written. Auditing the export is the caller's job.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.platypus.doctemplate import LayoutError

from kapcompanion.export.errors import ExportError

#: Builds the PDF into the open binary file, with reportlab encryption (or None).
BuildFn = Callable[[IO[bytes], Any], None]

ENCRYPTION_NONE = "none"
ENCRYPTION_AES256 = "AES-256"
ENCRYPTION_RC4_128 = "RC4-128"


@dataclass(frozen=True)
class WriteResult:
    path: Path
    encryption: str  # ENCRYPTION_NONE, ENCRYPTION_AES256 or ENCRYPTION_RC4_128
    size: int


def aes_available() -> bool:
    """Whether pypdf can write AES-256 here (it needs a crypto backend for AES)."""
    if importlib.util.find_spec("pypdf") is None:
        return False
    return any(importlib.util.find_spec(m) is not None for m in ("cryptography", "Crypto"))


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX only; Windows cannot open a folder this way)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_target(out: Path) -> Path:
    if out.is_dir():
        raise ExportError(f"{out} is a folder; choose a file name ending in .pdf.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.")
    return out


def _encrypt_aes(pdf: bytes, password: str, sink: IO[bytes]) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(
        user_password=password,
        owner_password=secrets.token_urlsafe(32),
        algorithm="AES-256",
    )
    writer.write(sink)


def _rc4(password: str) -> StandardEncryption:
    # RC4 passwords are PDFDocEncoding bytes; reportlab writes UTF-8, so any non-ASCII
    # character would make a password that other readers cannot type. Refuse it.
    if not password.isascii() or not password.isprintable():
        raise ExportError(
            "Without AES support the PDF password can use only unaccented letters, digits, "
            "spaces and punctuation; choose another password."
        )
    return StandardEncryption(password, secrets.token_urlsafe(32), strength=128)


def write_pdf(
    build_fn: BuildFn,
    out_path: str | os.PathLike[str],
    password: str | None,
    *,
    allow_aes: bool = True,
) -> WriteResult:
    """Build with ``build_fn`` and write to ``out_path`` atomically (module docstring).

    ``password=None`` writes an unprotected PDF; an empty password is refused.
    Raises :class:`ExportError` for anything the user can act on.
    """
    out = _check_target(Path(out_path))
    if password is not None and not password:
        raise ExportError("The PDF password is empty; give one or export without a password.")
    use_aes = password is not None and allow_aes and aes_available()
    method = ENCRYPTION_NONE
    if password is not None:
        method = ENCRYPTION_AES256 if use_aes else ENCRYPTION_RC4_128
    try:
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    except OSError as exc:
        raise ExportError(f"Cannot write in {out.parent}: {exc.strerror or exc}.") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as sink:
            if use_aes:
                assert password is not None
                buffer = io.BytesIO()
                build_fn(buffer, None)
                _encrypt_aes(buffer.getvalue(), password, sink)
            else:
                build_fn(sink, _rc4(password) if password is not None else None)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, out)
        _fsync_dir(out.parent)
    except LayoutError as exc:
        raise ExportError(
            "The record could not be laid out on the page (an element is too large); "
            "nothing was written."
        ) from exc
    except OSError as exc:
        raise ExportError(f"Could not write {out.name}: {exc.strerror or exc}.") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return WriteResult(path=out, encryption=method, size=out.stat().st_size)
