"""A canary written into every text field never appears in plaintext on disk."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from support import PASSPHRASE

from kapcompanion.core.models import (
    Client,
    ContactInfo,
    Course,
    DosingSession,
    EventKind,
    FlagKind,
    SessionEvent,
    StoredDocument,
)
from kapcompanion.logs import setup_logging
from kapcompanion.paths import app_dirs
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

CANARY = "ZQXcanary7731"


def c(label: str) -> str:
    return f"{CANARY}-{label}"


def test_canary_absent_from_vault_wal_shm_backups_and_log(tmp_path: Path) -> None:
    dirs = app_dirs().ensure()
    log = setup_logging(dirs.logs)
    path = tmp_path / "canary.kapv"
    v = Vault.create(path, PASSPHRASE, {"name": c("practitioner"), "clinic": c("clinic")})
    r = Repos(v)
    contact = ContactInfo(name=c("contact"), phone=c("phone"), relationship=c("rel"))
    client = r.clients.add(
        Client(
            name=c("name"),
            pseudonym=c("pseudo"),
            dob=date(1980, 1, 2),
            pronouns=c("pronouns"),
            phone=c("phone"),
            email=c("email"),
            address=c("address"),
            emergency_contact=contact,
            escort=contact,
            indications=[c("indication")],
            identifier=c("id"),
            notes=c("notes"),
        )
    )
    assert client.id is not None
    course = r.courses.save(
        Course(
            client_id=client.id,
            indication=c("ind"),
            schedule=c("sched"),
            goals=c("goals"),
            notes=c("cnotes"),
        )
    )
    s = r.sessions.save(
        DosingSession(
            client_id=client.id,
            course_id=course.id,
            plan={"lot": c("lot")},
            readiness_override=c("override"),
            discharge={"safety_note": c("safety")},
            debrief=c("debrief"),
        )
    )
    assert s.id is not None
    now = datetime.now(UTC)
    for kind in EventKind:
        ev = r.events.add(
            SessionEvent(session_id=s.id, kind=kind, utc=now, payload={"text": c(kind.value)}),
            client.id,
        )
    r.events.correct(ev, {"text": c("corrected")}, c("reason"), now, client.id)
    r.vitals.add(s.id, {"systolic": 120, "note": c("vitals"), "flags": [c("flag")]}, client.id)
    for doc_kind in ("screening", "intake", "checklist", "integration", "measure", "safety_plan"):
        doc = r.documents.save(
            StoredDocument(
                kind=doc_kind, client_id=client.id, session_id=s.id, data={"text": c(doc_kind)}
            )
        )
    assert doc.id is not None
    r.documents.attach(
        doc.id, c("image.png"), "image/png", c("imagebytes").encode(), c("thumb").encode()
    )
    r.documents.sign(doc.id, c("signer"))
    r.addenda.add("safety_plan", doc.id, c("addendum"), client.id)
    flag = r.flags.raise_flag(client.id, FlagKind.SUICIDE_RISK, c("source"), c("reason"))
    assert flag.id is not None
    r.flags.resolve(flag.id, c("resolution"))
    v.set_json("clinic_settings", {"footer": c("settings")})
    # while open: the WAL and shared-memory files exist and hold recent pages
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    assert wal.exists() and wal.stat().st_size > 0
    open_snapshots = [path.read_bytes(), wal.read_bytes(), shm.read_bytes()]
    backup = v.backup_to(tmp_path / "canary.kapbak")
    auto = v.auto_backup(dirs.backups)
    v.close()

    needle = CANARY.encode()
    needles = [needle, CANARY.encode("utf-16-le"), CANARY.encode("utf-16-be")]
    files = [path, backup, auto, *dirs.logs.glob("*")]
    assert log.exists()
    for blob in open_snapshots + [f.read_bytes() for f in files]:
        for n in needles:
            assert n not in blob
    # and the canary really is in there, encrypted: it decrypts back
    v = Vault.open(path, PASSPHRASE)
    assert Repos(v).clients.get(client.id).name == c("name")
    v.close()
