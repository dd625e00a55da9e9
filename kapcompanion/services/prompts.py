"""The clinic's integration prompts: shipped with the app, or the clinic's own copy kept in the
vault (meta ``integration_prompts``) with the wording of prompts it retired."""

from __future__ import annotations

import logging
from typing import Any

from kapcompanion.core import serial
from kapcompanion.core.integration import PromptSet, load_prompts, parse_prompts
from kapcompanion.store.vault import Vault

log = logging.getLogger(__name__)

PROMPTS_KEY = "integration_prompts"

__all__ = ["PROMPTS_KEY", "load_clinic_prompts", "save_clinic_prompts"]


def load_clinic_prompts(vault: Vault) -> tuple[PromptSet, dict[str, str]]:
    """The clinic's prompts (or the shipped ones) and the wording of retired prompt ids."""
    data = vault.get_json(PROMPTS_KEY)
    if isinstance(data, dict):
        try:
            retired = {str(k): str(v) for k, v in (data.get("retired") or {}).items()}
            return parse_prompts(data, "the clinic's integration prompts"), retired
        except (ValueError, AttributeError):
            log.warning("the clinic's integration prompts are unreadable; using the shipped ones")
    return load_prompts(), {}


def save_clinic_prompts(vault: Vault, prompts: PromptSet, retired: dict[str, str]) -> None:
    """Keep the clinic's prompts; one transaction with its ``integration_prompts.update`` row."""
    data: dict[str, Any] = serial.to_jsonable(prompts)
    data["retired"] = dict(retired)
    with vault.transaction() as tx:
        vault.set_json(PROMPTS_KEY, data, tx)
        vault.audit(
            "integration_prompts.update",
            record_type="settings",
            detail=f"{prompts.id} v{prompts.version}, {len(prompts.prompt_ids)} prompts",
            conn=tx,
        )
