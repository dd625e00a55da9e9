"""The one error the exporter raises for problems the user can act on."""

from __future__ import annotations


class ExportError(Exception):
    """The PDF could not be made or written; the message is one plain sentence.

    Environment problems (a full disk, a folder without write access, a missing font file)
    and content reportlab cannot lay out end here, so a caller shows the message and the
    audit trail records no export. Bugs stay bugs and are not wrapped.
    """
