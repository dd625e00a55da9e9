"""Write a PDF atomically, optionally protected by its own password.

The file goes through :func:`kapcompanion.fileio.atomic_write`: a temporary file beside
the target, fsynced and renamed over it, so a crash or a full disk leaves the old file or
the new one, never half of one.

Protection is AES-256 (PDF 2.0, revision 6) by pypdf with its crypto backend
(``cryptography``, a dependency of this app). The document is laid out in memory and
encrypted on its way to disk: no unprotected copy of the record is ever written. An
installation without the AES backend is broken: a protected export is refused with a plain
message rather than written with weaker encryption. reportlab's own "AES-256" (revision 5,
a pre-standard Adobe extension) is rejected by poppler and pypdf, so it is not used.
Auditing the export is the caller's job.
"""

from __future__ import annotations

import importlib.util
import io
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from reportlab.platypus.doctemplate import LayoutError

from kapcompanion.export.errors import ExportError
from kapcompanion.fileio import atomic_write

#: Builds the PDF into the open binary file (the second argument is always None: reportlab's
#: own encryption is not used).
BuildFn = Callable[[IO[bytes], Any], None]

ENCRYPTION_NONE = "none"
ENCRYPTION_AES256 = "AES-256"

NO_AES = (
    "This installation cannot protect a PDF with a password: the AES encryption it needs "
    "(pypdf with the cryptography package) is missing. Nothing was written. Reinstall "
    "KAP Companion, or export without a password."
)


@dataclass(frozen=True)
class WriteResult:
    path: Path
    encryption: str  # ENCRYPTION_NONE or ENCRYPTION_AES256
    size: int


def aes_available() -> bool:
    """Whether pypdf can write AES-256 here (it needs a crypto backend for AES)."""
    if importlib.util.find_spec("pypdf") is None:
        return False
    return any(importlib.util.find_spec(m) is not None for m in ("cryptography", "Crypto"))


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


def write_pdf(
    build_fn: BuildFn,
    out_path: str | os.PathLike[str],
    password: str | None,
) -> WriteResult:
    """Build with ``build_fn`` and write to ``out_path`` atomically (module docstring).

    ``password=None`` writes an unprotected PDF; an empty password is refused.
    Raises :class:`ExportError` for anything the user can act on.
    """
    out = _check_target(Path(out_path))
    if password is not None and not password:
        raise ExportError("The PDF password is empty; give one or export without a password.")
    if password is not None and not aes_available():
        raise ExportError(NO_AES)

    def fill(sink: IO[bytes]) -> None:
        if password is None:
            build_fn(sink, None)
            return
        buffer = io.BytesIO()
        build_fn(buffer, None)
        _encrypt_aes(buffer.getvalue(), password, sink)

    try:
        atomic_write(out, fill)
    except LayoutError as exc:
        raise ExportError(
            "The record could not be laid out on the page (an element is too large); "
            "nothing was written."
        ) from exc
    except OSError as exc:
        raise ExportError(f"Could not write {out.name}: {exc.strerror or exc}.") from exc
    method = ENCRYPTION_NONE if password is None else ENCRYPTION_AES256
    return WriteResult(path=out, encryption=method, size=out.stat().st_size)
