"""Research CSV: opt-in kinds, a data dictionary, formula-safe cells, shifted dates, and no
name, date of birth or free text unless asked (checked against the demo's own texts)."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import PASSPHRASE

from kapcompanion import demo as demo_module
from kapcompanion.cli import main
from kapcompanion.core.models import (
    Client,
    DosingSession,
    EventKind,
    SessionEvent,
    SessionStatus,
)
from kapcompanion.export.csv_research import KINDS, ResearchOptions, export_research_csv
from kapcompanion.export.errors import ExportError

TODAY = date(2025, 6, 2)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from kapcompanion.store.repos import Repos

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAPCOMPANION_HOME", str(tmp_path_factory.mktemp("home")))
        folder = tmp_path_factory.mktemp("demo")
        vault = demo_module.build_demo_vault(
            folder / "demo.kapv", PASSPHRASE, clients=4, today=TODAY
        )
        yield Repos(vault)
        vault.close()


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8-sig") for p in sorted(folder.glob("*.csv")))


def _free_texts(repos: Any) -> list[str]:
    """Every free text the demo writes: quotes, observations, notes, debriefs, intentions."""
    texts = [
        *demo_module.WORDS,
        *demo_module.OBSERVATIONS,
        "Mild nausea, passed with breathing.",
        "Brief fear at peak; words of reassurance.",
        "Adjusted the blanket; room quiet.",
        "Asked first; client nodded.",
        "ondansetron",
    ]
    for client in repos.clients.search(include_archived=True):
        texts.append(client.notes)
        for s in repos.sessions.for_client(client.id):
            if s.debrief:
                texts.append(s.debrief)
    return [t for t in texts if t]


def _identifying(repos: Any) -> list[str]:
    out = []
    for c in repos.clients.search(include_archived=True):
        out += [c.name, c.pseudonym, c.identifier, c.phone, c.email, c.dob.isoformat()]
        out += [c.dob.strftime("%d/%m/%Y"), c.dob.strftime("%m/%d/%Y")]
    return out


def test_default_export_carries_no_name_dob_or_free_text(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "research"
    result = export_research_csv(demo, out, ResearchOptions(kinds=KINDS))
    assert sorted(p.name for p in result.files) == sorted(
        [f"{k}.csv" for k in KINDS] + ["data_dictionary.csv"]
    )
    text = _all_text(out)
    for value in _identifying(demo):
        assert value not in text, value
    for value in _free_texts(demo):
        assert value not in text, value
    for name in demo_module.NAMES[:4]:  # also no part of a name (given or family)
        for part in name[0].split():
            assert part not in text, part
    assert {"name", "date_of_birth", "note", "text", "debrief"}.isdisjoint(
        _read(out / "sessions.csv")[0].keys()
        | _read(out / "events.csv")[0].keys()
        | _read(out / "vitals.csv")[0].keys()
    )
    assert result.subjects == 4
    subjects = {r["subject"] for r in _read(out / "sessions.csv")}
    assert subjects == {"S001", "S002", "S003", "S004"}
    # counts match the vault
    n_sessions = sum(len(demo.sessions.for_client(c.id)) for c in demo.clients.search())
    assert result.rows["sessions"] == n_sessions == len(_read(out / "sessions.csv"))
    n_measures = sum(
        len(demo.documents.find("measure", client_id=c.id)) for c in demo.clients.search()
    )
    assert len(_read(out / "measures.csv")) == n_measures


def test_names_dob_and_notes_only_when_asked(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "asked"
    options = ResearchOptions(
        kinds=["sessions", "events"], include_names=True, include_dob=True, include_notes=True
    )
    export_research_csv(demo, out, options)
    text = _all_text(out)
    clients = demo.clients.search(include_archived=True)
    for c in clients:
        assert c.name in text
        assert c.dob.isoformat() in text
        assert c.identifier not in text and c.phone not in text  # never, even when asked
    assert any(w in text for w in demo_module.WORDS)
    assert any(o in text for o in demo_module.OBSERVATIONS)
    dictionary = {r["column"] for r in _read(out / "data_dictionary.csv")}
    assert {"name", "date_of_birth", "text", "debrief"} <= dictionary


def test_only_the_kinds_asked_for(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "vitals-only"
    result = export_research_csv(demo, out, ResearchOptions(kinds=["vitals"]))
    assert sorted(p.name for p in out.iterdir()) == ["data_dictionary.csv", "vitals.csv"]
    assert list(result.rows) == ["vitals"]
    files = {r["file"] for r in _read(out / "data_dictionary.csv")}
    assert files == {"all files", "vitals.csv"}
    with pytest.raises(ExportError, match="at least one"):
        export_research_csv(demo, tmp_path / "none", ResearchOptions(kinds=[]))
    with pytest.raises(ExportError, match="Unknown record kind notes"):
        export_research_csv(demo, tmp_path / "bad", ResearchOptions(kinds=["notes"]))
    assert not (tmp_path / "none").exists() and not (tmp_path / "bad").exists()


def test_dictionary_names_every_column(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "dict"
    export_research_csv(
        demo, out, ResearchOptions(kinds=KINDS, include_names=True, include_notes=True)
    )
    dictionary = _read(out / "data_dictionary.csv")
    for kind in KINDS:
        with (out / f"{kind}.csv").open(encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f))
        known = {r["column"] for r in dictionary if r["file"] in (f"{kind}.csv", "all files")}
        for column in header:
            assert column in known or (column.startswith("item_") and "item_1..item_20" in known), (
                kind,
                column,
            )
    units = {(r["file"], r["column"]): r["unit"] for r in dictionary}
    assert units[("vitals.csv", "systolic")] == "mmHg"
    assert units[("doses.csv", "total_mg")] == "mg"


def _dose_times(repos: Any) -> dict[str, list[datetime]]:
    """name -> the real dose times of that client's sessions, in session order."""
    out = {}
    for c in repos.clients.search(include_archived=True):
        out[c.name] = [s.dose_utc for s in repos.sessions.for_client(c.id) if s.dose_utc]
    return out


def test_fixed_date_shift_moves_every_date_by_the_same_days(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "fixed"
    export_research_csv(
        demo, out, ResearchOptions(kinds=["doses"], date_shift=100, include_names=True)
    )
    real = _dose_times(demo)
    rows = [r for r in _read(out / "doses.csv") if r["dose_kind"] == "dose"]
    assert rows
    for r in rows:
        shifted = datetime.fromisoformat(r["time"])
        assert shifted + timedelta(days=100) in real[r["name"]]


def test_random_shift_is_per_subject_and_keeps_intervals(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "random"
    export_research_csv(
        demo,
        out,
        ResearchOptions(kinds=["doses"], date_shift="random", include_names=True),
        rng=random.Random(5),
    )
    real = _dose_times(demo)
    shifts: dict[str, set[timedelta]] = {}
    for r in _read(out / "doses.csv"):
        if r["dose_kind"] != "dose":
            continue
        index = int(r["session_number"]) - 1
        shifts.setdefault(r["name"], set()).add(
            real[r["name"]][index] - datetime.fromisoformat(r["time"])
        )
    assert all(len(s) == 1 for s in shifts.values())  # one shift per subject
    days = {next(iter(s)).days for s in shifts.values()}
    assert all(30 <= d <= 365 for d in days)
    assert len(days) > 1  # subjects are not all moved alike
    text = _all_text(out)
    for times in real.values():
        for t in times:
            assert t.isoformat() not in text


def test_cells_cannot_run_as_formulas(repos: Any, tmp_path: Path) -> None:
    client = repos.clients.add(Client(name="=HYPERLINK(1)", dob=date(1980, 1, 1)))
    session = repos.sessions.save(
        DosingSession(
            client_id=client.id,
            status=SessionStatus.ENDED,
            started_utc=datetime(2025, 1, 1, 9, tzinfo=UTC),
            dose_utc=datetime(2025, 1, 1, 9, 10, tzinfo=UTC),
            ended_utc=datetime(2025, 1, 1, 11, tzinfo=UTC),
            debrief="+cmd|' /C calc'!A0",
        )
    )
    repos.events.add(
        SessionEvent(
            session_id=session.id,
            kind=EventKind.NOTE,
            utc=datetime(2025, 1, 1, 9, 30, tzinfo=UTC),
            payload={"text": "@SUM(1+1)"},
        )
    )
    out = tmp_path / "safe"
    export_research_csv(
        repos,
        out,
        ResearchOptions(kinds=["sessions", "events"], include_names=True, include_notes=True),
    )
    sessions = _read(out / "sessions.csv")
    assert sessions[0]["name"] == "'=HYPERLINK(1)"
    assert sessions[0]["debrief"] == "'+cmd|' /C calc'!A0"
    events = _read(out / "events.csv")
    assert [e["text"] for e in events if e["event"] == "note"] == ["'@SUM(1+1)"]
    for path in out.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@")), cell


def test_audited_once_with_what_was_included(demo: Any, tmp_path: Path) -> None:
    def audits() -> list[str]:
        rows = demo.vault.read(
            "SELECT detail FROM audit WHERE action = 'export.research_csv' ORDER BY id"
        )
        return [str(r[0]) for r in rows]

    before = len(audits())
    export_research_csv(demo, tmp_path / "a", ResearchOptions(kinds=["vitals", "measures"]))
    (detail,) = audits()[before:]
    assert "4 subject(s)" in detail and "vitals" in detail and "measures" in detail
    assert "no names, dates of birth or notes" in detail and "real dates" in detail
    with pytest.raises(ExportError, match="does not exist"):
        export_research_csv(demo, tmp_path / "no" / "such", ResearchOptions(kinds=["vitals"]))
    assert len(audits()) == before + 1


def test_cli_csv_verb(
    demo: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RESEARCH_PW", PASSPHRASE)
    out = tmp_path / "cli"
    # the command takes the writer lock that the fixture's open vault holds: use a copy
    copy = demo.vault.backup_to(tmp_path / "copy.kapv")
    code = main(
        [
            "export", "csv", "--vault", str(copy), "--all", "--out", str(out),
            "--kinds", "doses,measures", "--date-shift", "random",
            "--passphrase-env", "RESEARCH_PW",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "4 subject(s)" in captured.out and "doses.csv" in captured.out
    assert "limited data set" not in captured.err and "not encrypted" in captured.err
    assert sorted(p.name for p in out.iterdir()) == [
        "data_dictionary.csv",
        "doses.csv",
        "measures.csv",
    ]
    assert main(["export", "csv", "--vault", "x", "--all", "--out", "y", "--kinds", "notes"]) == 2
    code = main(
        [
            "export", "csv", "--vault", str(copy), "--client", "1",
            "--out", str(tmp_path / "one"), "--kinds", "vitals", "--passphrase-env", "RESEARCH_PW",
        ]
    )  # fmt: skip
    assert code == 0
    assert "limited data set" in capsys.readouterr().err


def test_what_is_previewed_is_what_is_written(demo: Any, tmp_path: Path) -> None:
    """The app previews the prepared tables; writing them gives those very bytes (the same
    random subject codes and date shifts), and preparing writes and audits nothing."""
    from kapcompanion.export.csv_research import prepare_research_csv, write_research_csv

    before = len(demo.vault.audit_entries(action="export.research_csv"))
    seen: list[float] = []
    prepared = prepare_research_csv(
        demo,
        ResearchOptions(kinds=["vitals", "measures"], date_shift="random"),
        progress=lambda f, _m: seen.append(f),
    )
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert len(demo.vault.audit_entries(action="export.research_csv")) == before
    assert [f.name for f in prepared.files] == ["vitals.csv", "measures.csv", "data_dictionary.csv"]
    out = tmp_path / "study"
    result = write_research_csv(demo, out, prepared)
    for file in prepared.files:
        written = (out / file.name).read_bytes()
        assert written == file.text().encode("utf-8-sig")
        head = file.text(limit=3)
        assert written.decode("utf-8-sig").startswith(head)
    assert result.rows == prepared.rows
    audits = demo.vault.audit_entries(action="export.research_csv")
    assert len(audits) == before + 1 and audits[0].detail == prepared.detail
