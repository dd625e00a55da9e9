"""Consent templates and the status rule, without a vault: versions, rendering, currency."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from consent_support import drawn

from kapcompanion.core.consent import (
    ConsentError,
    ConsentPurpose,
    ConsentRecord,
    ConsentState,
    ConsentTemplate,
    PlannedDose,
    SignedConsent,
    Withdrawal,
    editable_text,
    render,
    revise,
    shipped_templates,
    signature_problem,
    status_of,
    text_blocks,
)
from kapcompanion.core.dose import DoseBand, Route


def kap() -> ConsentTemplate:
    return next(t for t in shipped_templates() if t.purpose is ConsentPurpose.KAP)


def test_the_four_shipped_consents_load_and_name_what_the_issue_asks() -> None:
    templates = shipped_templates()
    assert [t.purpose for t in templates] == [
        ConsentPurpose.KAP,
        ConsentPurpose.TOUCH,
        ConsentPurpose.MUSIC,
        ConsentPurpose.PART2,
    ]
    text = " ".join(templates[0].paragraphs).lower()
    for needed in (
        "off-label",
        "{route}",
        "dissociation",
        "nausea",
        "blood pressure",
        "do not eat",
        "do not drive",
        "major decisions",
        "right to stop",
        "once a dose has been given",
        "cannot be reversed",
    ):
        assert needed in text, needed
    part2 = templates[3]
    assert part2.part2 and not part2.required
    assert {f.key for f in part2.fields} >= {"recipient", "purpose"}
    assert all(t.sources for t in templates)


def test_render_fills_fields_with_their_labels_and_refuses_missing_ones() -> None:
    t = kap()
    text = render(t, {"route": "im", "band": "moderate"}, client_name="Ada", clinic="Elm Clinic")
    assert "Route for your sessions: Intramuscular (IM)." in text
    assert "Elm Clinic" in text and "Signed by Ada." in text and "{" not in text
    assert text_blocks(text)[0] == (True, t.title)
    with pytest.raises(ConsentError, match="Highest dose band"):
        render(t, {"route": "im"}, client_name="Ada", clinic="")
    with pytest.raises(ConsentError, match="not one of the choices"):
        render(t, {"route": "rectal", "band": "low"}, client_name="Ada", clinic="")


def test_an_edit_is_a_new_version_and_the_old_one_is_unchanged() -> None:
    t = kap()
    new = revise(t, text=editable_text(t) + "\n\nBring a warm layer; the room can feel cold.")
    assert (new.id, new.version, new.based_on) == (t.id, t.version + 1, t.ref)
    assert new.paragraphs[-1] == "Bring a warm layer; the room can feel cold."
    assert t.paragraphs[-1] != new.paragraphs[-1]
    assert revise(t, title="Consent", after=5).version == 6
    with pytest.raises(ConsentError, match="Nothing was changed"):
        revise(t, text=editable_text(t))
    with pytest.raises(ConsentError, match="neither a field"):
        revise(t, text="Hello {nickname}.")


def _signed(
    version: int,
    *,
    route: str = "im",
    band: str = "moderate",
    countersigned: bool = True,
    withdrawn: bool = False,
    doc_id: int = 1,
) -> SignedConsent:
    sig = drawn()
    record = ConsentRecord(
        template_id="kap-informed-consent",
        template_version=version,
        title="t",
        purpose=ConsentPurpose.KAP,
        text="t",
        values={"route": route, "band": band},
        sources=[],
        client=sig,
        practitioner="Dr Test" if countersigned else "",
        countersigned_utc=sig.utc if countersigned else None,
    )
    w = None
    if withdrawn:
        w = Withdrawal(
            doc_id,
            record.template_id,
            version,
            "The client no longer wishes to go on.",
            sig.utc + timedelta(days=1),
            "Dr Test",
        )
    return SignedConsent(doc_id, record, w)


def test_status_asks_for_reconsent_on_version_route_band_and_withdrawal() -> None:
    t = kap()
    assert status_of(t, []).state is ConsentState.MISSING
    assert status_of(t, [_signed(1)]).state is ConsentState.CURRENT
    assert status_of(t, [_signed(1, countersigned=False)]).state is (
        ConsentState.AWAITING_COUNTERSIGNATURE
    )
    newer = dataclasses.replace(t, version=2)
    outdated = status_of(newer, [_signed(1)])
    assert outdated.state is ConsentState.OUTDATED and "now version 2" in outdated.describe()
    same = PlannedDose(Route.IM, DoseBand.LOW)
    assert status_of(t, [_signed(1)], same).state is ConsentState.CURRENT
    other_route = status_of(t, [_signed(1)], PlannedDose(Route.SUBLINGUAL, DoseBand.LOW))
    assert other_route.state is ConsentState.ROUTE_CHANGED
    higher = status_of(t, [_signed(1)], PlannedDose(Route.IM, DoseBand.HIGH))
    assert higher.state is ConsentState.HIGHER_BAND
    withdrawn = status_of(t, [_signed(1, doc_id=1), _signed(1, withdrawn=True, doc_id=2)])
    assert withdrawn.state is ConsentState.WITHDRAWN and "withdrawn on" in withdrawn.describe()


def test_a_signature_needs_a_name_and_real_strokes() -> None:
    assert signature_problem(drawn()) is None
    assert "Type the name" in (signature_problem(drawn(name=" ")) or "")
    assert "empty" in (signature_problem(drawn(points=3)) or "")
    wild = drawn()
    wild.strokes[0].points.append((9999.0, 1.0, 5, 0.5))
    assert "outside the pad" in (signature_problem(wild) or "")
