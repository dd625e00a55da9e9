"""The settings registry: one declaration, checked values, one audited write, defaults on damage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapcompanion.core.settings import (
    PAPER_SIZE,
    PART2_NOTICE,
    PCL5_CUTPOINT,
    WEIGHT_UNIT,
    SettingError,
    all_settings,
    lookup,
)
from kapcompanion.services import settings
from kapcompanion.store.vault import Vault

PASS = "correct horse battery"


@pytest.fixture()
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = Vault.create(tmp_path / "s.kapv", PASS, {"name": "Dr Test"})
    yield v
    v.close()


def test_defaults_then_set_then_reopen(vault: Vault, tmp_path: Path) -> None:
    assert settings.get(vault, PAPER_SIZE) == "a4"
    assert settings.set_value(vault, PAPER_SIZE, "letter") == "letter"
    vault.close()
    again = Vault.open(tmp_path / "s.kapv", PASS)
    try:
        assert settings.get(again, PAPER_SIZE) == "letter"
        row = again.audit_entries(action="settings.update")[0]
        assert json.loads(row.detail) == {"key": "paper_size", "old": "a4", "new": "letter"}
    finally:
        again.close()


def test_bad_values_are_refused_and_change_nothing(vault: Vault) -> None:
    before = len(vault.audit_entries())
    with pytest.raises(SettingError, match="a4, letter"):
        settings.set_value(vault, PAPER_SIZE, "legal")
    with pytest.raises(SettingError, match="at most 33"):
        settings.set_value(vault, PCL5_CUTPOINT, 40)
    with pytest.raises(SettingError, match="whole number"):
        settings.set_value(vault, PCL5_CUTPOINT, "32.5")
    with pytest.raises(SettingError, match="yes or no"):
        settings.set_value(vault, PART2_NOTICE, "maybe")
    assert len(vault.audit_entries()) == before
    assert settings.get(vault, PCL5_CUTPOINT) == 33


def test_text_forms_from_the_command_line(vault: Vault) -> None:
    assert settings.set_value(vault, PART2_NOTICE, "yes") is True
    assert settings.set_value(vault, PCL5_CUTPOINT, "31") == 31
    assert settings.set_value(vault, WEIGHT_UNIT, "lb") == "lb"
    assert settings.snapshot(vault)["weight_unit"] == "lb"


def test_a_damaged_stored_value_reads_as_the_default(vault: Vault) -> None:
    vault.set_meta("setting.pcl5_cutpoint", "not json")
    assert settings.get(vault, PCL5_CUTPOINT) == 33
    vault.set_json("setting.pcl5_cutpoint", 99)  # out of bounds
    assert settings.get(vault, PCL5_CUTPOINT) == 33


def test_every_declaration_accepts_its_own_default_and_unknown_keys_are_named() -> None:
    keys = [s.key for s in all_settings()]
    assert len(keys) == len(set(keys)) >= 6
    for s in all_settings():
        assert s.parse(s.default) == s.default
    with pytest.raises(SettingError, match="no setting 'nosuch'"):
        lookup("nosuch")
