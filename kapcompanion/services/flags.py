"""Safety flags as a clinician sees and settles them.

A flag stays until a clinician resolves it with a note: :func:`resolve_flag` is one transaction
with its ``flag.resolve`` audit row (the note and the name in it). A suicide-risk flag asks for
a safety plan written since it was raised (:func:`has_safety_plan_since`; the plan itself is
saved by ``services.measures.save_safety_plan``).
"""

from __future__ import annotations

from kapcompanion.core.models import SafetyFlag
from kapcompanion.store.repos import Repos

__all__ = ["active_flags", "has_safety_plan_since", "resolve_flag"]


def active_flags(repos: Repos, client_id: int) -> list[SafetyFlag]:
    """The client's flags not yet resolved."""
    return repos.flags.active(client_id)


def has_safety_plan_since(repos: Repos, flag: SafetyFlag) -> bool:
    """Whether a safety plan was written for the flag's client since the flag was raised."""
    plans = repos.documents.find("safety_plan", client_id=flag.client_id)
    return any(p.created_utc is not None and p.created_utc >= flag.raised_utc for p in plans)


def resolve_flag(repos: Repos, flag_id: int, note: str) -> SafetyFlag:
    """Resolve a flag with a note (who resolved it: the vault's practitioner). Raises
    :class:`VaultError` (nothing changed) for an empty note or a failed write."""
    with repos.vault.transaction():
        return repos.flags.resolve(flag_id, note)
