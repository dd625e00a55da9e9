"""PDF records with reportlab: the session record and the course summary.

``records`` reads the vault into plain data, ``session_pdf`` and ``course_pdf`` lay it
out, ``writer`` writes atomically (optionally password-protected) and ``api`` joins them
in one call each. Nothing here imports Qt.
"""

from __future__ import annotations

from kapcompanion.export.errors import ExportError

__all__ = ["ExportError", "export_course_pdf", "export_session_pdf"]


def __getattr__(name: str) -> object:
    # The one-call API loads reportlab; import it lazily so `kapcompanion --help` stays quick.
    if name in ("export_session_pdf", "export_course_pdf"):
        from kapcompanion.export import api

        return getattr(api, name)
    raise AttributeError(name)
