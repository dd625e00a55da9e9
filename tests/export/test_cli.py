"""``kapcompanion export session|course`` through the real command-line entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from support import PASSPHRASE

from kapcompanion.cli import main
from kapcompanion.store.vault import Vault

Built = Any


@pytest.fixture(scope="module")
def built(built: Built) -> Built:
    """The command opens the vault for writing (it audits the export) and so takes the vault's
    writer lock: the fixture's own connection steps aside, as the app would have to."""
    built.vault.close()
    return built


def _export_actions(built: Built) -> list[tuple[str, str]]:
    vault = Vault.open(built.path, PASSPHRASE, read_only=True)
    try:
        return [
            (str(a), str(d))
            for a, d in vault.read(
                "SELECT action, detail FROM audit WHERE action LIKE 'export.%' ORDER BY id"
            )
        ]
    finally:
        vault.close()


def test_session_export_unprotected_prints_a_notice(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    before = len(_export_actions(built))
    out = tmp_path / "s.pdf"
    code = main(
        [
            "export",
            "session",
            "--vault",
            str(built.path),
            "--session",
            str(built.session_id),
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert f"Session record written to {out} (unprotected)" in captured.out
    assert captured.err.count("\n") == 1 and "not password-protected" in captured.err
    assert not PdfReader(out).is_encrypted
    assert "Zoë Ångström" in PdfReader(out).pages[0].extract_text()
    assert _export_actions(built)[before:] == [("export.session_pdf", "unprotected")]


def test_course_export_with_a_password_from_the_environment(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("CHART_PDF_PASSWORD", "for-the-prescriber")
    out = tmp_path / "c.pdf"
    code = main(
        [
            "export",
            "course",
            "--vault",
            str(built.path),
            "--client",
            str(built.client_id),
            "--out",
            str(out),
            "--pdf-password-env",
            "CHART_PDF_PASSWORD",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    assert "Course summary written to" in captured.out and "protected with" in captured.out
    reader = PdfReader(out)
    assert reader.is_encrypted and not reader.decrypt("wrong")
    assert PdfReader(out).decrypt("for-the-prescriber")


def test_missing_password_variable_writes_nothing(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    out = tmp_path / "s.pdf"
    code = main(
        [
            "export",
            "session",
            "--vault",
            str(built.path),
            "--session",
            str(built.session_id),
            "--out",
            str(out),
            "--pdf-password-env",
            "NOT_SET_ANYWHERE",
        ]
    )
    assert code == 1
    assert "NOT_SET_ANYWHERE is not set" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unknown_session_and_bad_folder_fail_with_one_line(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    code = main(
        [
            "export",
            "session",
            "--vault",
            str(built.path),
            "--session",
            "9999",
            "--out",
            str(tmp_path / "x.pdf"),
        ]
    )
    assert code != 0 and "9999" in capsys.readouterr().err
    code = main(
        [
            "export",
            "session",
            "--vault",
            str(built.path),
            "--session",
            str(built.session_id),
            "--out",
            str(tmp_path / "no" / "x.pdf"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "does not exist" in err


def test_the_vault_passphrase_from_a_named_variable(
    built: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("KAPCOMPANION_PASSPHRASE", raising=False)
    monkeypatch.setenv("CLINIC_VAULT", PASSPHRASE)
    out = tmp_path / "named.pdf"
    args = ["export", "session", "--vault", str(built.path), "--session", str(built.session_id)]
    assert main([*args, "--out", str(out), "--passphrase-env", "CLINIC_VAULT"]) == 0
    assert "Zoë Ångström" in PdfReader(out).pages[0].extract_text()
    # a named variable that is not set never falls back to a prompt and writes nothing
    other = tmp_path / "unset.pdf"
    assert main([*args, "--out", str(other), "--passphrase-env", "NOT_SET_HERE"]) == 1
    assert "NOT_SET_HERE is not set" in capsys.readouterr().err and not other.exists()
