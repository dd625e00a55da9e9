"""The whole-vault check from the app: cipher pages, structure, the audit chain, every record's
content hash, every seal and the anchors, on a second read-only connection so the app's own
connection (and a running session) is never held up by it."""

from __future__ import annotations

from kapcompanion.store.vault import CHECK_STEPS, CheckProgress, CheckReport, Vault

__all__ = ["CHECK_STEPS", "CheckProgress", "CheckReport", "check_vault"]


def check_vault(vault: Vault, progress: CheckProgress | None = None) -> CheckReport:
    """``vault.check`` on a read-only second connection; ``progress(step, done, total)``."""
    reader = vault.open_reader()
    try:
        return reader.check(progress=progress)
    finally:
        reader.close()
