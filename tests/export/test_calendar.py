"""The calendar export from a real vault: move twice, cancel, pseudonyms, atomic, audited, and
``kapcompanion export calendar``; the files are read back with the ``icalendar`` package."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from support import PASSPHRASE

from kapcompanion.cli import main
from kapcompanion.core import serial
from kapcompanion.core.course_plan import cancel, move, plan_course
from kapcompanion.core.models import Client, Course, StoredDocument
from kapcompanion.export.calendar import calendar_export, export_calendar, load_plan
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

START = date.today() + timedelta(days=14)


def events(path: Path) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert isinstance(calendar, icalendar.Calendar)
    assert all(c.errors == [] for c in calendar.walk())
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT") if isinstance(e, icalendar.Event)}


def audit(vault: Vault) -> list[str]:
    return [str(d) for (d,) in vault.read("SELECT detail FROM audit WHERE action = 'export.ics'")]


@pytest.fixture
def planned(vault: Any) -> tuple[Repos, int, StoredDocument]:
    repos = Repos(vault)
    client = repos.clients.add(Client(name="Mara Quinn", pseudonym="Heron"))
    assert client.id is not None
    course = repos.courses.save(Course(client_id=client.id, indication="Depression"))
    plan = plan_course(START, 2, 1, integration_between=False, time_of_day=time(10, 0))
    doc = repos.documents.save(
        StoredDocument(
            kind="course_plan",
            client_id=client.id,
            course_id=course.id,
            data={"appointments": serial.to_jsonable(plan)},
        )
    )
    return repos, client.id, doc


def resave(repos: Repos, doc: StoredDocument, change: Any) -> StoredDocument:
    appts = change(load_plan(doc))
    return repos.documents.save(
        StoredDocument(
            id=doc.id,
            kind=doc.kind,
            client_id=doc.client_id,
            course_id=doc.course_id,
            data={"appointments": serial.to_jsonable(appts)},
        )
    )


def test_move_twice_then_cancel_through_the_vault(
    planned: tuple[Repos, int, StoredDocument], tmp_path: Path
) -> None:
    repos, cid, doc = planned
    out = tmp_path / "cal" / "plan.ics"
    out.parent.mkdir()
    export_calendar(repos, out, client_ids=[cid])
    first = events(out)
    assert set(first) == {"Heron: dosing session 1", "Heron: dosing session 2"}
    assert "Mara" not in out.read_text(encoding="utf-8")
    uid = str(first["Heron: dosing session 2"]["UID"])

    def move_second(days: int) -> Any:
        return lambda appts: [
            move(a, a.when + timedelta(days=days)) if a.number == 2 else a for a in appts
        ]

    doc = resave(repos, doc, move_second(1))
    doc = resave(repos, doc, move_second(1))
    export_calendar(repos, out, client_ids=[cid])
    moved = events(out)["Heron: dosing session 2"]
    assert str(moved["UID"]) == uid and moved.decoded("SEQUENCE") == 2
    assert moved["STATUS"] == "CONFIRMED"
    assert moved.decoded("DTSTART") == first["Heron: dosing session 2"].decoded(
        "DTSTART"
    ) + timedelta(days=2)

    doc = resave(repos, doc, lambda appts: [cancel(a) if a.number == 2 else a for a in appts])
    result = export_calendar(repos, out, client_ids=[cid])
    assert (result.events, result.cancelled) == (1, 1)
    gone = events(out)["Heron: dosing session 2"]
    assert str(gone["UID"]) == uid and gone["STATUS"] == "CANCELLED"
    assert gone.decoded("SEQUENCE") == 3
    assert sorted(p.name for p in out.parent.iterdir()) == ["plan.ics"]  # no temporary left
    assert out.stat().st_mode & 0o077 == 0
    assert audit(repos.vault) == [
        "2 appointment(s) of 1 client(s); names not included (pseudonyms)",
        "2 appointment(s) of 1 client(s); names not included (pseudonyms)",
        "1 appointment(s) of 1 client(s), 1 cancellation(s); names not included (pseudonyms)",
    ]


def test_a_failed_write_keeps_the_old_file_and_audits_nothing(
    planned: tuple[Repos, int, StoredDocument], tmp_path: Path
) -> None:
    repos, cid, _doc = planned
    with pytest.raises(OSError):
        export_calendar(repos, tmp_path / "missing" / "x.ics", client_ids=[cid])
    assert audit(repos.vault) == []
    assert calendar_export(repos).events == 2  # the text alone writes nothing


def test_export_calendar_on_the_command_line(
    planned: tuple[Repos, int, StoredDocument],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repos, cid, _doc = planned
    path = str(repos.vault.path)
    repos.vault.close()
    monkeypatch.setenv("KAPCOMPANION_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "all.ics"
    assert main(["export", "calendar", "--vault", path, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"2 appointment(s) of 1 client(s) written to {out}")
    assert "pseudonyms only; the file is not encrypted" in said
    assert set(events(out)) == {"Heron: dosing session 1", "Heron: dosing session 2"}

    named = tmp_path / "named.ics"
    argv = ["export", "calendar", "--vault", path, "--out", str(named), "--include-names"]
    assert main([*argv, "--client", str(cid)]) == 0
    assert set(events(named)) == {"Mara Quinn: dosing session 1", "Mara Quinn: dosing session 2"}

    capsys.readouterr()
    assert main([*argv, "--client", "999"]) == 1
    assert "Client 999 does not exist" in capsys.readouterr().err
    assert main(["export", "calendar", "--vault", path, "--out", str(tmp_path / "no" / "x")]) == 1
    assert "folder that exists" in capsys.readouterr().err
    opened = Vault.open(Path(path), PASSPHRASE)
    try:
        assert len(audit(opened)) == 2
    finally:
        opened.close()
