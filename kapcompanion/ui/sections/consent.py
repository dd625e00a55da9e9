"""The Consent tab of the client record (the screen is ``ui/consent.py``)."""

from kapcompanion.ui.consent import create_section

__all__ = ["create_section"]
