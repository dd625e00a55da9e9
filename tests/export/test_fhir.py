"""FHIR R4 export: the demo vault goes out as bundles that fhir.resources reads back the same.

No HAPI validator here (it needs a download); every resource is validated by the
``fhir.resources`` R4B models instead, each on its own and as part of its bundle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from support import PASSPHRASE

from kapcompanion.core.dose import DosePlan, Route, complete_plan
from kapcompanion.core.measures import MeasureResponse
from kapcompanion.core.models import EventKind, SessionEvent
from kapcompanion.core.serial import load
from kapcompanion.core.vitals import VitalReading
from kapcompanion.export import fhir_codes as fc
from kapcompanion.export.errors import ExportError
from kapcompanion.export.fhir_export import build_client_bundle, export_fhir, validate_bundle_json

TODAY = date(2025, 6, 2)
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"

#: the codes, checked by hand against LOINC, RxNorm and SNOMED CT (sources in fhir_codes)
EXPECTED_CODES: dict[str, tuple[str, str]] = {
    "bp_panel": (LOINC, "85354-9"),
    "systolic": (LOINC, "8480-6"),
    "diastolic": (LOINC, "8462-4"),
    "heart_rate": (LOINC, "8867-4"),
    "spo2_pulse_ox": (LOINC, "59408-5"),
    "spo2": (LOINC, "2708-6"),
    "phq9_total": (LOINC, "44261-6"),
    "gad7_total": (LOINC, "70274-6"),
    "pcl5_total": (LOINC, "101698-9"),
    "ketamine": (RXNORM, "6130"),
    "esketamine": (RXNORM, "2180323"),
    "route_iv": (SNOMED, "47625008"),
    "route_im": (SNOMED, "78421000"),
    "route_sublingual": (SNOMED, "37839007"),
    "route_intranasal": (SNOMED, "46713006"),
    "route_oral": (SNOMED, "26643006"),
}
EXPECTED_UNITS = {"mmHg": "mm[Hg]", "heart rate": "/min", "spo2": "%", "dose": "mg"}


def _code(c: fc.Code) -> tuple[str, str]:
    return (c.system, c.code)


def test_code_table_matches_the_published_codes() -> None:
    actual = {
        "bp_panel": _code(fc.BP_PANEL),
        "systolic": _code(fc.SYSTOLIC),
        "diastolic": _code(fc.DIASTOLIC),
        "heart_rate": _code(fc.HEART_RATE),
        "spo2_pulse_ox": _code(fc.SPO2_PULSE_OX),
        "spo2": _code(fc.SPO2),
        "phq9_total": _code(fc.MEASURES["phq9"].total),
        "gad7_total": _code(fc.MEASURES["gad7"].total),
        "pcl5_total": _code(fc.MEASURES["pcl5"].total),
        "ketamine": _code(fc.medication_code("")),
        "esketamine": _code(fc.medication_code("Esketamine")),
        **{f"route_{r.value}": _code(fc.ROUTES[r]) for r in Route},
    }
    assert actual == EXPECTED_CODES
    assert (fc.MM_HG.code, fc.PER_MIN.code, fc.PERCENT.code, fc.MG.code) == tuple(
        EXPECTED_UNITS.values()
    )
    # no LOINC term for the AAQ-II total: our own system, never LOINC
    assert fc.MEASURES["aaq2"].total.system == fc.LOCAL_MEASURES
    assert fc.measure_codes("unknown").total.system == fc.LOCAL_MEASURES


# --------------------------------------------------------------------------- the demo vault
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from kapcompanion.demo import build_demo_vault
    from kapcompanion.store.repos import Repos

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAPCOMPANION_HOME", str(tmp_path_factory.mktemp("home")))
        folder = tmp_path_factory.mktemp("demo")
        vault = build_demo_vault(folder / "demo.kapv", PASSPHRASE, clients=4, today=TODAY)
        repos = Repos(vault)
        _add_extra_dose(repos)
        yield repos
        vault.close()


def _add_extra_dose(repos: Any) -> None:
    """Client 1's first session gets an extra dose, later corrected (from 20 to 25 mg)."""
    session = repos.sessions.for_client(1)[0]
    assert session.dose_utc is not None
    extra = repos.events.add(
        SessionEvent(
            session_id=session.id,
            kind=EventKind.EXTRA_DOSE,
            utc=session.dose_utc + timedelta(minutes=20),
            payload={"total_mg": 20.0, "route": "im", "lot": "XB-77", "text": "booster"},
        ),
        1,
    )
    repos.events.correct(
        extra,
        {"total_mg": 25.0},
        "Typed 20 by mistake; syringe label says 25 mg",
        session.dose_utc + timedelta(minutes=60),
        1,
    )


def _resources(bundle: Bundle, kind: str) -> list[Any]:
    return [e.resource for e in bundle.entry or [] if e.resource.get_resource_type() == kind]


def _vault_doses(repos: Any, client_id: int) -> list[tuple[datetime, Decimal, str]]:
    """Every dose given, read straight from the vault: (time, mg, SNOMED route)."""
    out = []
    for s in repos.sessions.for_client(client_id):
        plan = complete_plan(load(DosePlan, s.plan)) if s.plan else None
        events = repos.events.for_session(s.id)
        fixes = {e.corrects_id: e.payload["payload"] for e in events if e.corrects_id}
        for e in events:
            if e.kind is EventKind.DOSE_GIVEN:
                assert plan is not None and plan.total_mg is not None
                when, mg, route = s.dose_utc, plan.total_mg, plan.route
            elif e.kind is EventKind.EXTRA_DOSE:
                payload = {**e.payload, **fixes.get(e.id, {})}
                when, mg, route = e.utc, payload["total_mg"], Route(payload["route"])
            else:
                continue
            out.append((when, Decimal(str(mg)), fc.ROUTES[route].code))
    return sorted(out)


def _fhir_doses(bundle: Bundle) -> list[tuple[datetime, Decimal, str]]:
    out = []
    for ma in _resources(bundle, "MedicationAdministration"):
        assert ma.medicationCodeableConcept.coding[0].code == "6130"
        assert ma.medicationCodeableConcept.coding[0].system == RXNORM
        assert ma.dosage.dose.code == "mg" and ma.dosage.dose.system == fc.UCUM
        route = ma.dosage.route.coding[0]
        assert route.system == SNOMED
        out.append((ma.effectiveDateTime, ma.dosage.dose.value, route.code))
    return sorted(out)


def _vault_vitals(repos: Any, client_id: int) -> list[tuple[Any, ...]]:
    out = []
    for s in repos.sessions.for_client(client_id):
        for _vid, r in repos.vitals.for_session(s.id, VitalReading):
            out.append((r.taken_utc, r.systolic, r.diastolic, r.heart_rate, r.spo2))
    return sorted(out)


def _fhir_vitals(bundle: Bundle) -> list[tuple[Any, ...]]:
    """Readings put back together from their Observations (by encounter and time)."""
    readings: dict[tuple[str, datetime], dict[str, int]] = {}
    for obs in _resources(bundle, "Observation"):
        if obs.category[0].coding[0].code != "vital-signs":
            continue
        key = (obs.encounter.reference, obs.effectiveDateTime)
        reading = readings.setdefault(key, {})
        codes = [c.code for c in obs.code.coding]
        if codes == ["85354-9"]:
            for comp in obs.component:
                assert comp.valueQuantity.code == "mm[Hg]"
                name = {"8480-6": "sys", "8462-4": "dia"}[comp.code.coding[0].code]
                reading[name] = int(comp.valueQuantity.value)
        elif codes == ["8867-4"]:
            assert obs.valueQuantity.code == "/min"
            reading["hr"] = int(obs.valueQuantity.value)
        elif codes == ["59408-5", "2708-6"]:
            assert obs.valueQuantity.code == "%"
            reading["spo2"] = int(obs.valueQuantity.value)
        else:
            raise AssertionError(f"unexpected vital sign code {codes}")
    return sorted(
        (when, r.get("sys"), r.get("dia"), r.get("hr"), r.get("spo2"))
        for (_enc, when), r in readings.items()
    )


def _vault_scores(repos: Any, client_id: int) -> list[tuple[Any, ...]]:
    out = []
    for doc in repos.documents.find("measure", client_id=client_id):
        r = load(MeasureResponse, doc.data)
        out.append((fc.MEASURES[r.instrument_id].total.code, r.taken_on, r.score))
    return sorted(out)


def _fhir_scores(bundle: Bundle) -> list[tuple[Any, ...]]:
    return sorted(
        (o.code.coding[0].code, o.effectiveDateTime, o.valueInteger)
        for o in _resources(bundle, "Observation")
        if o.category[0].coding[0].code == "survey"
    )


def test_round_trip_gives_the_same_counts_and_values(demo: Any, tmp_path: Path) -> None:
    repos = demo
    clients = repos.clients.search(include_archived=True)
    assert len(clients) == 4
    for client in clients:
        out = tmp_path / f"client-{client.id}.json"
        result = export_fhir(repos, out, [client.id])
        assert result.clients == 1
        bundle = Bundle.model_validate_json(out.read_bytes())  # read back with the library
        assert bundle.type == "collection"
        doses, vitals = _vault_doses(repos, client.id), _vault_vitals(repos, client.id)
        scores = _vault_scores(repos, client.id)
        assert doses and vitals and scores
        assert _fhir_doses(bundle) == doses
        assert _fhir_vitals(bundle) == vitals
        assert _fhir_scores(bundle) == scores
        sessions = repos.sessions.for_client(client.id)
        assert len(_resources(bundle, "Encounter")) == len(sessions)
        assert len(_resources(bundle, "QuestionnaireResponse")) == len(scores)
        assert len(_resources(bundle, "EpisodeOfCare")) == len(repos.courses.for_client(client.id))
        patient = _resources(bundle, "Patient")[0]
        assert patient.name[0].text == client.name
        assert patient.birthDate == client.dob
        assert patient.identifier[0].value == client.identifier
        assert patient.extension[0].url == fc.PRONOUNS_EXTENSION
        assert patient.extension[0].extension[0].valueCodeableConcept.text == client.pronouns


def test_the_corrected_extra_dose_goes_out_corrected(demo: Any) -> None:
    bundle = build_client_bundle(demo, 1).bundle
    extras = [
        ma
        for ma in _resources(bundle, "MedicationAdministration")
        if ma.category.text == "extra dose"
    ]
    assert len(extras) == 1
    assert extras[0].dosage.dose.value == Decimal("25.0")
    notes = [n.text for n in extras[0].note]
    assert "Lot XB-77" in notes
    assert any("syringe label says 25 mg" in n for n in notes)


def test_every_resource_validates_on_its_own(demo: Any) -> None:
    bundle = build_client_bundle(demo, 2, anchor="12:abcdef").bundle
    kinds = set()
    for entry in bundle.entry:
        resource = entry.resource
        kind = resource.get_resource_type()
        kinds.add(kind)
        cls = get_fhir_model_class(kind)
        again = cls.model_validate_json(resource.model_dump_json(exclude_none=True))
        assert again.model_dump(exclude_none=True) == resource.model_dump(exclude_none=True)
        assert entry.fullUrl == f"urn:uuid:{resource.id}"
    assert kinds == {
        "Patient",
        "Practitioner",
        "Organization",
        "Consent",
        "EpisodeOfCare",
        "Encounter",
        "MedicationAdministration",
        "Observation",
        "QuestionnaireResponse",
        "Provenance",
    }
    # every reference points at an entry of the bundle
    text = bundle.model_dump_json(exclude_none=True)
    urls = {e.fullUrl for e in bundle.entry}
    refs = {
        v
        for v in _walk(json.loads(text))
        if isinstance(v, str) and v.startswith("urn:uuid:") and v not in urls
    }
    assert refs <= {bundle.identifier.value}


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference":
                yield value
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
    else:
        yield node


def test_provenance_names_the_app_and_the_anchor(demo: Any) -> None:
    bundle = build_client_bundle(demo, 2, anchor="12:abcdef").bundle
    (prov,) = _resources(bundle, "Provenance")
    assert prov.agent[0].who.display.startswith("KAP Companion ")
    assert prov.agent[0].type.coding[0].code == "assembler"
    assert prov.entity[0].what.identifier.value == "12:abcdef"
    assert len(prov.target) == len(bundle.entry or []) - 1


def test_touch_agreement_is_a_consent(demo: Any) -> None:
    import base64

    bundle = build_client_bundle(demo, 1).bundle
    (consent,) = _resources(bundle, "Consent")
    assert consent.status == "active"
    assert consent.scope.coding[0].code == "treatment"
    assert consent.provision.type == "permit"
    # on the wire the text is base64 (the model holds it decoded)
    wire = json.loads(consent.model_dump_json(exclude_none=True))["sourceAttachment"]["data"]
    text = base64.b64decode(wire).decode("utf-8")
    assert text == consent.sourceAttachment.data.decode("utf-8")
    assert "hand on the shoulder" in text


def test_whole_vault_is_one_bundle_per_client(demo: Any, tmp_path: Path) -> None:
    out = tmp_path / "vault.json"
    before = demo.vault.read("SELECT count(*) FROM audit WHERE action = 'export.fhir'")[0][0]
    result = export_fhir(demo, out)
    outer = Bundle.model_validate_json(out.read_bytes())
    inner = [e.resource for e in outer.entry]
    assert len(inner) == result.clients == 4
    assert all(b.get_resource_type() == "Bundle" and b.type == "collection" for b in inner)
    names = sorted(_resources(b, "Patient")[0].name[0].text for b in inner)  # type: ignore[arg-type]
    assert names == sorted(c.name for c in demo.clients.search(include_archived=True))
    rows = demo.vault.read(
        "SELECT detail, record_type FROM audit WHERE action = 'export.fhir' ORDER BY id"
    )
    assert len(rows) == before + 1
    detail, record_type = rows[-1]
    assert record_type == "vault"
    assert "4 client(s)" in detail and "MedicationAdministration" in detail
    assert str(out) not in detail


def test_unwritable_target_writes_nothing_and_audits_nothing(demo: Any, tmp_path: Path) -> None:
    before = demo.vault.read("SELECT count(*) FROM audit WHERE action = 'export.fhir'")[0][0]
    with pytest.raises(ExportError, match="does not exist"):
        export_fhir(demo, tmp_path / "missing" / "x.json", [1])
    after = demo.vault.read("SELECT count(*) FROM audit WHERE action = 'export.fhir'")[0][0]
    assert after == before


def test_a_broken_bundle_is_refused_in_plain_words() -> None:
    bad = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:1",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"text": "HR"},
                    "valueQuantity": {"value": "seventy"},
                },
            }
        ],
    }
    with pytest.raises(ExportError, match="did not validate"):
        validate_bundle_json(json.dumps(bad))


def test_esketamine_when_the_record_names_it(demo: Any, tmp_path: Path) -> None:
    """An esketamine session, dosed through the runner on a copy of the demo vault: its dose
    is coded as esketamine, every other dose of the client as ketamine."""
    from readiness_support import prepare

    from kapcompanion.services.session import SessionRunner, plan_session
    from kapcompanion.store.repos import Repos
    from kapcompanion.store.vault import Vault

    copy = Vault.open(demo.vault.backup_to(tmp_path / "copy.kapv"), PASSPHRASE)
    try:
        repos = Repos(copy)
        plan = DosePlan(
            route=Route.INTRANASAL, weight_kg=70, total_mg=56, drug="esketamine", devices=2
        )
        session = plan_session(repos, 3, plan)
        assert session.id is not None
        prepare(repos, session)
        runner = SessionRunner(repos, session.id)
        runner.start(bell=False)
        runner.give_dose(draw_reason="Brought by the client from the REMS pharmacy this morning.")
        bundle = build_client_bundle(repos, 3).bundle
    finally:
        copy.close()
    (enc,) = [
        e for e in _resources(bundle, "Encounter") if e.type[0].text.endswith(f" {session.number}")
    ]
    codes = {
        (ma.context.reference == f"urn:uuid:{enc.id}", ma.medicationCodeableConcept.coding[0].code)
        for ma in _resources(bundle, "MedicationAdministration")
    }
    assert codes == {(True, "2180323"), (False, "6130")}


def test_dates_are_zoned(demo: Any) -> None:
    bundle = build_client_bundle(demo, 1, now=datetime(2025, 6, 2, 12, tzinfo=UTC)).bundle
    assert bundle.timestamp.tzinfo is not None
    for ma in _resources(bundle, "MedicationAdministration"):
        assert ma.effectiveDateTime.tzinfo is not None
