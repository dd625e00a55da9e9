"""The command line end to end, through the installed entry point's module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import CHILD_PATH, PASSPHRASE


def run(
    *args: str, passphrase: str | None = PASSPHRASE, **env: str
) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, PYTHONPATH=CHILD_PATH, **env)
    full.pop("KAPCOMPANION_PASSPHRASE", None)
    if passphrase is not None:
        full["KAPCOMPANION_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, "-m", "kapcompanion", *args],
        capture_output=True,
        text=True,
        env=full,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1 and "Traceback" not in text


def test_version() -> None:
    from kapcompanion import __version__

    out = run("--version")
    assert out.returncode == 0 and __version__ in out.stdout


def test_vault_life_cycle(tmp_path: Path) -> None:
    vault = tmp_path / "v.kapv"
    assert run("vault", "init", str(vault), "--name", "Dr Who").returncode == 0
    again = run("vault", "init", str(vault))
    assert again.returncode == 1 and one_line(again.stderr) and "already" in again.stderr

    check = run("vault", "check", str(vault))
    assert check.returncode == 0 and "Vault check: OK" in check.stdout

    wrong = run("vault", "check", str(vault), passphrase="wrong passphrase!")
    assert wrong.returncode == 2 and one_line(wrong.stderr)
    assert "Wrong passphrase or damaged" in wrong.stderr

    stats = run("vault", "stats", str(vault), "--json")
    data = json.loads(stats.stdout)
    assert data["schema_version"] >= 1 and data["counts"]["clients"] == 0
    assert data["file_size_bytes"] > 0

    backup = tmp_path / "b.kapbak"
    assert run("vault", "backup", str(vault), str(backup)).returncode == 0
    assert backup.exists()
    rk = run("vault", "rekey", str(vault), KAPCOMPANION_NEW_PASSPHRASE="another passphrase")
    assert rk.returncode == 0
    assert run("vault", "check", str(vault)).returncode == 2
    assert run("vault", "check", str(vault), passphrase="another passphrase").returncode == 0
    restored = run("vault", "restore", str(backup), str(vault))
    assert restored.returncode == 0 and "kept at" in restored.stdout
    assert run("vault", "check", str(vault)).returncode == 0


def test_short_passphrase_and_missing_vault(tmp_path: Path) -> None:
    short = run("vault", "init", str(tmp_path / "x.kapv"), passphrase="short")
    assert short.returncode == 1 and "at least 10" in short.stderr and one_line(short.stderr)
    missing = run("vault", "check", str(tmp_path / "none.kapv"))
    assert missing.returncode == 2 and one_line(missing.stderr)


def test_no_passphrase_without_terminal(tmp_path: Path) -> None:
    out = run("vault", "check", str(tmp_path / "x.kapv"), passphrase=None)
    assert out.returncode == 1 and "KAPCOMPANION_PASSPHRASE" in out.stderr


def test_usage_error_exit_code() -> None:
    assert run("vault").returncode != 0


@pytest.mark.slow
def test_demo_list_and_integrity(tmp_path: Path) -> None:
    vault = tmp_path / "demo.kapv"
    made = run("vault", "demo", str(vault), "--clients", "4")
    assert made.returncode == 0, made.stderr
    clients = json.loads(run("vault", "list", str(vault), "clients", "--json").stdout)
    assert len(clients) == 4 and all(c["name"] for c in clients)
    sessions = json.loads(run("vault", "list", str(vault), "sessions", "--json").stdout)
    assert sessions and {s["client_id"] for s in sessions} <= {c["id"] for c in clients}
    assert run("vault", "check", str(vault)).returncode == 0
    again = run("vault", "demo", str(vault))
    assert again.returncode == 1 and "already" in again.stderr


def test_unknown_verb_prints_usage_and_exits_2() -> None:
    out = run("nosuchverb")
    assert out.returncode == 2
    assert "usage: kapcompanion" in out.stderr and "invalid choice" in out.stderr
    unknown_option = run("--nosuch-option")
    assert unknown_option.returncode == 2 and "usage: kapcompanion" in unknown_option.stderr


@pytest.mark.parametrize(
    ("argv", "gui"),
    [
        ([], True),
        (["--demo"], True),
        (["--demo", "--quit-after", "4000"], True),
        (["-platform", "offscreen", "--demo"], True),
        (["--quit-after=10"], True),
        (["nosuchverb"], False),
        (["settings", "show"], False),
        (["--demo", "vault"], False),
        (["--nosuch"], False),
        (["--version"], False),
        (["-h"], False),
        (["--quit-after"], False),
    ],
)
def test_only_no_verb_or_the_app_options_open_the_window(argv: list[str], gui: bool) -> None:
    from kapcompanion.__main__ import wants_gui

    assert wants_gui(argv) is gui


def test_a_broken_sub_command_fails_loudly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kapcompanion import cli

    monkeypatch.setitem(sys.modules, "kapcompanion.cli.export", None)  # import raises
    assert cli.main(["doctor"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert one_line(err) and "broken" in err and "kapcompanion.cli.export" in err


def test_settings_show_and_set(tmp_path: Path) -> None:
    vault = tmp_path / "v.kapv"
    assert run("vault", "init", str(vault)).returncode == 0
    env = {"CLINIC_PASS": PASSPHRASE}
    shown = run("settings", "show", "--vault", str(vault), "--json", passphrase=None, **env)
    assert shown.returncode == 1 and "KAPCOMPANION_PASSPHRASE" in shown.stderr  # no env named
    shown = run(
        "settings", "show", "--vault", str(vault), "--passphrase-env", "CLINIC_PASS", "--json",
        passphrase=None, **env,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["paper_size"] == "a4"

    def set_(key: str, value: str) -> subprocess.CompletedProcess[str]:
        return run(
            "settings", "set", key, value, "--vault", str(vault), "--passphrase-env",
            "CLINIC_PASS", passphrase=None, **env,
        )  # fmt: skip

    done = set_("paper_size", "letter")
    assert done.returncode == 0 and "paper_size: a4 -> letter" in done.stdout
    assert set_("part2_notice", "yes").returncode == 0
    bad = set_("paper_size", "A5")
    assert bad.returncode == 1 and one_line(bad.stderr) and "a4, letter" in bad.stderr
    unknown = set_("paper_colour", "blue")
    assert unknown.returncode == 1 and "There is no setting 'paper_colour'" in unknown.stderr
    out_of_range = set_("vitals_recheck_minutes", "90")
    assert out_of_range.returncode == 1 and "at most 30 min" in out_of_range.stderr

    text = run("settings", "show", "--vault", str(vault)).stdout
    assert "paper_size = letter  (changed)" in text and "part2_notice = yes" in text
    assert "vitals_recheck_minutes = 5 min\t" in text

    from kapcompanion.core.settings import PAPER_SIZE
    from kapcompanion.store import settings as stored
    from kapcompanion.store.vault import Vault

    opened = Vault.open(vault, PASSPHRASE)
    try:
        assert stored.read(opened, PAPER_SIZE) == "letter"
        details = [
            json.loads(row[0])
            for row in opened.read(
                "SELECT detail FROM audit WHERE action = 'settings.update' ORDER BY id"
            )
        ]
    finally:
        opened.close()
    assert details == [
        {"key": "paper_size", "old": "a4", "new": "letter"},
        {"key": "part2_notice", "old": False, "new": True},
    ]


def test_doctor_tells_whether_sound_can_be_heard() -> None:
    """The same probe the app makes: libvlc's default output either opened a device or not."""
    from kapcompanion.audio.vlc_backend import VlcBackend

    done = run("doctor", "--json", passphrase=None)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # libvlc and ALSA messages go to the log, not the terminal
    report = json.loads(done.stdout)
    backend = VlcBackend()
    try:
        audible = backend.audible
    finally:
        backend.close()
    if audible:
        assert report["audio_output"] == "a sound device opened"
    else:
        assert report["audio_output"].startswith("none: VLC could not open an audio device")
        assert report["audio_output"].endswith("Music cannot be heard.")


def test_every_vault_verb_reads_the_passphrase_from_a_named_variable(tmp_path: Path) -> None:
    """``--passphrase-env NAME`` on the vault verbs too: the named variable is used, and
    when it is not set the command refuses instead of falling back to a prompt or the
    default variable."""
    vault = tmp_path / "named.kapv"
    env = {"CLINIC_PW": PASSPHRASE}
    made = run("vault", "init", str(vault), "--passphrase-env", "CLINIC_PW", passphrase=None, **env)
    assert made.returncode == 0, made.stderr
    for verb in (("stats",), ("list", "clients"), ("check",), ("anchor",)):
        out = run(
            "vault", verb[0], str(vault), *verb[1:], "--passphrase-env", "CLINIC_PW",
            passphrase=None, **env,
        )  # fmt: skip
        assert out.returncode == 0, (verb, out.stderr)
    backup = tmp_path / "copy.kapv"
    out = run("vault", "backup", str(vault), str(backup), "--passphrase-env", "CLINIC_PW",
              passphrase=None, **env)  # fmt: skip
    assert out.returncode == 0 and backup.exists(), out.stderr
    refused = run("vault", "stats", str(vault), "--passphrase-env", "NOT_SET_HERE")
    assert refused.returncode == 1 and "NOT_SET_HERE is not set" in refused.stderr
    assert one_line(refused.stderr)
    env2 = {"CLINIC_PW": PASSPHRASE, "CLINIC_PW2": "a new passphrase, long enough"}
    rekeyed = run(
        "vault", "rekey", str(vault), "--passphrase-env", "CLINIC_PW",
        "--new-passphrase-env", "CLINIC_PW2", passphrase=None, **env2,
    )  # fmt: skip
    assert rekeyed.returncode == 0, rekeyed.stderr
    again = run("vault", "stats", str(vault), "--passphrase-env", "CLINIC_PW2", passphrase=None,
                **env2)  # fmt: skip
    assert again.returncode == 0, again.stderr
