"""A preparation checklist with every item complete, for tests that start a session.

A session starts only when its preparation is complete, or when a written override covers
what is missing (never informed consent or the touch agreement): ``services.preparation``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from kapcompanion.core.checklist import (
    Checklist,
    ItemKind,
    MusicPreferences,
    default_template,
    new_checklist,
    update_item,
)
from kapcompanion.core.intake import Contact
from kapcompanion.core.models import DosingSession, StoredDocument
from kapcompanion.core.serial import to_jsonable
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind
from kapcompanion.store.repos import Repos

AT = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
AGREEMENT = TouchAgreement(
    [TouchKind.HAND_ON_SHOULDER], "", True, DistressPreference.WORDS_ONLY, date(2026, 2, 1)
)


def complete_checklist(
    *,
    touch: TouchAgreement | None = None,
    music: MusicPreferences | None = None,
    intention: str = "To rest",
    skip: tuple[str, ...] = (),
) -> Checklist:
    """Every item of the default template complete (except the keys in ``skip``)."""
    checklist = new_checklist(default_template())
    for item in default_template().items:
        if item.key in skip:
            continue
        kind = ItemKind(item.kind)
        value = {ItemKind.DATE: "2026-02-20", ItemKind.TIME: "07:30"}.get(kind, "Reviewed")
        contact = Contact("Sam Rivers", "555-0101") if kind is ItemKind.CONTACT else None
        checklist = update_item(checklist, item.key, AT, done=True, value=value, contact=contact)
    return replace(
        checklist,
        intention=intention,
        touch=touch or AGREEMENT,
        music=music or MusicPreferences(["strings"], [], 30),
    )


def prepare(repos: Repos, session: DosingSession, checklist: Checklist | None = None) -> None:
    """Store a complete checklist (or ``checklist``) for ``session``."""
    repos.documents.save(
        StoredDocument(
            kind="checklist",
            client_id=session.client_id,
            course_id=session.course_id,
            session_id=session.id,
            data=to_jsonable(checklist or complete_checklist()),
        )
    )
