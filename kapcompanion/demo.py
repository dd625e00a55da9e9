"""Fictional sample data: every record kind, believable and deterministic for a seed.

Used by ``kapcompanion --demo``, ``kapcompanion vault demo``, the tests, the screenshots and the
benchmarks. Everyone here is invented. Sessions are run through the real session runner with a
simulated clock, so the demo exercises the same code the therapist does. Dates are laid out
relative to ``today`` (deterministic for a given seed and day).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from kapcompanion.core.checklist import (
    Checklist,
    MusicPreferences,
    carry_over,
    default_template,
    new_checklist,
    prefill_feedback,
    update_item,
)
from kapcompanion.core.checklist_template import ItemKind
from kapcompanion.core.course_plan import (
    AppointmentKind,
    PlannedAppointment,
    mark_done,
    mark_missed,
    move,
    plan_course,
)
from kapcompanion.core.discharge import Discharge
from kapcompanion.core.dose import DoseBand, DosePlan, Route, complete_plan
from kapcompanion.core.intake import Contact, Intake, Medication, SubstanceUse, interacting_groups
from kapcompanion.core.integration import IntegrationEntry, IntegrationKind
from kapcompanion.core.ledger import CountKind, Form, Product, Receipt
from kapcompanion.core.measures import MeasureContext, instrument
from kapcompanion.core.members import MemberRole
from kapcompanion.core.models import (
    Client,
    Course,
    DosingSession,
    EventKind,
    StoredDocument,
)
from kapcompanion.core.screening import (
    SCREENING_ITEMS,
    Answer,
    Prescriber,
    Screening,
    answer,
    apply_override,
)
from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.core.settings import PART2_NOTICE
from kapcompanion.core.touch import DistressPreference, TouchAgreement, TouchKind
from kapcompanion.core.vitals import VitalReading
from kapcompanion.paths import resource
from kapcompanion.services import ledger, measures, preparation, settings
from kapcompanion.services import members as practice
from kapcompanion.services.dose import replan_session
from kapcompanion.services.session import SessionRunner, plan_session
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault

PRACTITIONER = {
    "name": "Dr Alex Morgan (DEMO)",
    "credentials": "PsyD, licensed psychologist",
    "clinic": "Harbour Light KAP Clinic (fictional)",
    "licence_number": "DEMO-0000",
}

NAMES = [
    ("Mara Quinn", "Heron"),
    ("Zoë Ångström", "Birch"),
    ("Δημήτρης Παπαδόπουλος", "Olive"),
    ("Дмитрий Соколов", "Lark"),
    ("王小明", "Pine"),
    ("Aisha Bello", "Tide"),
    ("Tomás Ferreira", "Fern"),
    ("Ingrid Solberg", "Moss"),
    ("Kenji Watanabe", "Cedar"),
    ("Priya Raman", "Lotus"),
    ("Ciarán Ó Briain", "Wren"),
    ("Lucía Méndez", "Coral"),
    ("Samuel Okafor", "Reed"),
    ("Hannah Weiß", "Sparrow"),
    ("Nguyễn Thị Lan", "Willow"),
    ("Oskar Lindqvist", "Stone"),
]
INDICATIONS = [
    ["treatment_resistant_depression"],
    ["depression", "anxiety"],
    ["ptsd"],
    ["alcohol_use_disorder"],
    ["depression"],
    ["opioid_use_disorder"],
    ["anxiety"],
    ["existential_distress"],
    ["ptsd", "depression"],
    ["cocaine_stimulant_use_disorder"],
]
INTENTIONS = [
    "To meet the grief I keep putting off, gently.",
    "To feel what is underneath the tiredness.",
    "I want to see my drinking from a distance, without shame.",
    "To let my body feel safe for a while.",
    "To be curious instead of afraid.",
]
WORDS = [
    "It's like floating above a wide lake.",
    "I can see my father's hands.",
    "There is so much space here.",
    "I'm not scared, just very big.",
    "Everything is made of music.",
    "I forgot I was allowed to rest.",
]
OBSERVATIONS = [
    "Breathing slow and even; face relaxed.",
    "Tearful, then settled after a few minutes.",
    "Hands open on the blanket; occasional smile.",
    "Restless briefly, eased with grounding words.",
]


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.utc = start
        self.mono = 0.0

    def now(self) -> datetime:
        return self.utc

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.utc += timedelta(seconds=seconds)
        self.mono += seconds


#: the demo clinic's controlled-substance stock: ketamine 50 mg/mL in 10 mL multiple-dose vials
DEMO_VIAL = Product(
    "Ketamine hydrochloride injection (DEMO)",
    "ketamine",
    Form.VIAL,
    Decimal(50),
    Decimal(10),
)
#: sublingual doses are troches from a compounding pharmacy: not from the clinic's stock
TROCHE_REASON = (
    "Sublingual troche dispensed by the compounding pharmacy on the client's own prescription."
)
BOX = 10  # vials a delivery brings
#: when the first demo client's session is planned today (UTC, deterministic for the day)
TODAY_AT = time(16, 0)
#: the demo practice's second member, who witnesses wastes, and the PIN she set herself
DEMO_WITNESS = ("Jordan Lee (DEMO)", "RN")
DEMO_WITNESS_PIN = "2580"


@dataclass
class _Stock:
    """The demo's ledger: a box of vials received before the first session, another when the
    box is used up; each client's doses come from the client's open vial until it runs low or
    passes its beyond-use time. Deterministic: nothing here draws on the random generator."""

    received_on: date
    #: False for a vault without the ledger's tables (the tests' older schema versions)
    enabled: bool = True
    product_id: int | None = None
    spare: list[int] = field(default_factory=list)
    open_vial: dict[int, int] = field(default_factory=dict)  # client id -> container id
    boxes: int = 0
    wasted: bool = False
    left_unwitnessed: bool = False
    witness_id: int | None = None

    def vial(self, repos: Repos, client_id: int, mg: float, now: datetime) -> int:
        current = self.open_vial.get(client_id)
        if current is not None:
            state = ledger.container_state(repos, current, now)
            if state.balance_mg >= Decimal(str(mg)) and not state.beyond_use:
                return current
        if not self.spare:
            self.receive(repos)
        self.open_vial[client_id] = self.spare.pop(0)
        return self.open_vial[client_id]

    def lot(self, repos: Repos, container_id: int) -> str:
        return repos.ledger.container(container_id).lot

    def offered_lot(self, repos: Repos, when: datetime) -> str | None:
        """The lot of the vial a session's draw at ``when`` is offered from (None: no stock)."""
        offered = ledger.offered_container(repos, now=when)
        return self.lot(repos, offered) if offered is not None else None

    def close_vial(self, repos: Repos, client_id: int, day: date) -> None:
        """The client's last session of the demo is over: the vial's remainder is wasted with
        a witness (the first one waits for its witness: an open item on the ledger screen)."""
        vial = self.open_vial.pop(client_id, None)
        if vial is None or not self.enabled:
            return
        when = datetime.combine(day, time(17, 0), UTC)
        left = ledger.container_state(repos, vial, when).balance_mg
        if left <= 0:
            return
        witness = self.witness(repos) if self.left_unwitnessed else None
        self.left_unwitnessed = True
        ledger.waste(
            repos,
            vial,
            left,
            by=PRACTITIONER["name"],
            method="drug disposal container",
            reason="Remainder of the client's vial wasted at the end of the day's sessions.",
            witness_id=witness,
            witness_pin=DEMO_WITNESS_PIN,
            now=when,
        )

    def witness(self, repos: Repos) -> int:
        """The practice's nurse, added (and her PIN set) before her first witnessed waste."""
        if self.witness_id is None:
            # (a second demo filled into the same vault finds her already there)
            known = [m for m in practice.members(repos.vault) if m.name == DEMO_WITNESS[0]]
            if known:
                self.witness_id = known[0].id
                return known[0].id
            nurse = practice.add(repos.vault, *DEMO_WITNESS, MemberRole.NURSE)
            practice.set_pin(repos.vault, nurse.id, DEMO_WITNESS_PIN)
            self.witness_id = nurse.id
        return self.witness_id

    def receive(self, repos: Repos) -> None:
        if self.product_id is None:
            same = [p for p in ledger.products(repos) if p.name == DEMO_VIAL.name]
            self.product_id = (same[0] if same else ledger.add_product(repos, DEMO_VIAL)).id
        assert self.product_id is not None
        self.boxes += 1
        when = datetime.combine(self.received_on, time(9, 0), UTC)
        got = ledger.receive(
            repos,
            Receipt(
                supplier_name="Northwind Medical Supply (DEMO)",
                supplier_address="1 Harbour Road, Portsmouth, NH 03801",
                supplier_dea="AB1234563",
                invoice=f"NW-{self.received_on:%Y}-{self.boxes:03d}",
                received_on=self.received_on,
                product_id=self.product_id,
                quantity=BOX,
                lot=f"KX{2416 + self.boxes}",
                expiry=self.received_on + timedelta(days=3 * 365),
                received_by=PRACTITIONER["name"],
            ),
            now=when,
        )
        self.spare += [c.id or 0 for c in got.containers]
        if self.boxes == 1:  # the initial inventory, taken when the first box came in
            found = {s.container.id or 0: (s.balance_mg, False) for s in ledger.stock(repos, when)}
            ledger.count(
                repos, CountKind.INITIAL, PRACTITIONER["name"], found, now=when + timedelta(hours=1)
            )


def build_demo_vault(
    path: Path, passphrase: str, clients: int = 12, seed: int = 7, today: date | None = None
) -> Vault:
    """Create a NEW vault at ``path`` filled with fictional data and return it open."""
    vault = Vault.create(path, passphrase, PRACTITIONER)
    vault.set_json("clinic_settings", {"demo": True})
    settings.set_value(vault, PART2_NOTICE, True)
    fill_demo(Repos(vault), clients=clients, seed=seed, today=today)
    return vault


def fill_demo(
    repos: Repos,
    clients: int = 12,
    seed: int = 7,
    today: date | None = None,
    *,
    sessions_per_client: int | None = None,
    events_per_session: int | None = None,
    ledger: bool = True,
) -> None:
    rng = random.Random(seed)
    today = today or date.today()
    # every session lies after this (the earliest course starts 50 days before today)
    stock = _Stock(received_on=today - timedelta(days=60), enabled=ledger)
    upcoming: list[DosingSession] = []
    for i in range(clients):
        with repos.vault.transaction():  # one commit per client keeps large demos fast
            upcoming.append(
                _one_client(repos, rng, i, today, sessions_per_client, events_per_session, stock)
            )
    if stock.enabled:
        with repos.vault.transaction():
            _name_upcoming_lots(repos, stock, upcoming)


def _name_upcoming_lots(repos: Repos, stock: _Stock, upcoming: list[DosingSession]) -> None:
    """Each planned session names the lot of the vial its draw will be offered from: checked
    again once every client's doses are drawn (a later client may have used the last vial of
    the lot an earlier plan named; the plan is then changed, as the plan dialog would)."""
    for session in upcoming:
        plan = load(DosePlan, session.plan)
        if plan.route is Route.SUBLINGUAL or session.planned_for is None or session.id is None:
            continue
        lot = stock.offered_lot(repos, session.planned_for)
        if lot is None:  # the last vial went to an earlier client: the next box is in
            stock.receive(repos)
            lot = stock.offered_lot(repos, session.planned_for)
        if lot is not None and lot != plan.lot:
            replan_session(
                repos, session.id, replace(plan, lot=lot), planned_for=session.planned_for
            )


def _one_client(
    repos: Repos,
    rng: random.Random,
    i: int,
    today: date,
    sessions_per_client: int | None,
    events_per_session: int | None,
    stock: _Stock,
) -> DosingSession:
    name, pseudo = NAMES[i % len(NAMES)]
    if i >= len(NAMES):
        name, pseudo = f"{name} {i // len(NAMES) + 1}", f"{pseudo}{i // len(NAMES) + 1}"
    indications = INDICATIONS[i % len(INDICATIONS)]
    escort = Contact(
        name=rng.choice(["Sam Rivers", "Jo Park", "Leila Haddad", "Chris Doyle"]),
        phone=f"555-01{rng.randint(10, 99)}",
        relationship="partner",
    )
    client = repos.clients.add(
        Client(
            name=name,
            pseudonym=pseudo,
            dob=date(1958 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28)),
            pronouns=rng.choice(["she/her", "he/him", "they/them"]),
            phone=f"555-02{i:02d}",
            email=f"client{i}@example.invalid",
            emergency_contact=escort,
            escort=escort,
            indications=indications,
            identifier=f"KAP-{1000 + i}",
            notes="Fictional demo client. Referred by primary care.",
        )
    )
    assert client.id is not None
    cid = client.id
    start = today - timedelta(days=rng.randint(10, 50))
    course = repos.courses.save(
        Course(
            client_id=cid,
            indication=indications[0],
            planned_sessions=6,
            schedule="Twice a week for three weeks, integration the day after each session",
            started_on=start,
            goals="Less time in low mood; reconnect with friends.",
        )
    )
    _screening_and_intake(repos, rng, cid, i, escort, start)
    route = [Route.IM, Route.SUBLINGUAL, Route.IV, Route.IM][i % 4]
    weight = float(rng.randint(55, 95))  # one person: the weight moves by a kilogram at most
    n_done = sessions_per_client if sessions_per_client is not None else rng.randint(2, 5)
    baseline_phq = rng.randint(14, 24)
    plan_days = plan_course(start, 2, 3, True, time(10, 0), (4,), measure_visits=True)
    previous: Checklist | None = None
    for n in range(n_done):
        day = start + timedelta(days=3 * n + (n // 2))
        phq = max(2, baseline_phq - n * rng.randint(2, 4))
        context = MeasureContext.BASELINE if n == 0 else MeasureContext.PRE_SESSION
        item9 = 1 if (i == 2 and n == 0) else 0
        _measures(repos, rng, cid, day, phq, context, item9)
        previous = _session(
            repos,
            rng,
            cid,
            course.id,
            route,
            day,
            n,
            previous,
            events_per_session,
            stock,
            weight + rng.choice((-0.5, 0.0, 0.0, 0.5)),
        )
    if n_done:
        stock.close_vial(repos, cid, day)
    # the first client comes in today, prepared: a therapist opening the demo can start at once
    next_day, next_time = (
        (today, TODAY_AT) if i == 0 else (today + timedelta(days=1 + i % 5), time(10, 0))
    )
    # planned as the plan dialog plans: the dose checked and completed (mg/kg and total), the
    # route's phases; a plan stored without its total offered a draw of 0.0 mg at Ctrl+D
    plan = _dose(route, rng, weight)
    when = datetime.combine(next_day, next_time, UTC)
    lot = stock.offered_lot(repos, when) if stock.enabled else None
    if lot is not None and route is not Route.SUBLINGUAL:  # the lot its draw is offered from
        plan = replace(plan, lot=lot)
    upcoming = plan_session(
        repos,
        cid,
        plan,
        course_id=course.id,
        planned_for=when,
    )
    if i == 0:
        _prepare_today(repos, upcoming, previous, escort, today)
    assert upcoming.planned_for is not None
    done = _plan_progress(plan_days, n_done, upcoming.planned_for, today)
    repos.documents.save(
        StoredDocument(
            kind="course_plan",
            client_id=cid,
            course_id=course.id,
            data={"appointments": to_jsonable(done)},
        )
    )
    return upcoming


def _prepare_today(
    repos: Repos,
    session: DosingSession,
    previous: Checklist | None,
    escort: Contact,
    today: date,
) -> None:
    """Today's session's checklist, every required item done (consent reviewed a week ago, the
    touch agreement, intention, music, body, setting, aftercare) and saved as the preparation
    screen saves it, so the readiness gate lets the session start without an override."""
    template = preparation.current_template(repos.vault)
    when = datetime.combine(today, time(9, 0), UTC)
    checklist = new_checklist(template)
    if previous is not None:  # as "Carry over from last session" does
        checklist = preparation.carry_over_from(
            checklist, previous, template, "Music helped; keep the volume lower at the start."
        )
    values = {
        "treatment_goals": "Less time in low mood; reconnect with friends.",
        "intention": INTENTIONS[0],
        "stop_signal": "Raise my left hand",
        "who_to_call": "Clinic line 555-0100; partner at home",
        "rescue_medication": "Ondansetron 4 mg ODT for nausea",
    }
    for item in template.items:
        kind = ItemKind(item.kind)
        state = checklist.items.get(item.key)
        if kind is ItemKind.DATE:  # informed consent: reviewed and signed a week ago
            value = (today - timedelta(days=7)).isoformat()
            checklist = update_item(checklist, item.key, when, done=True, value=value)
        elif kind is ItemKind.TIME:  # fasting since last night
            checklist = update_item(checklist, item.key, when, done=True, value="21:30")
        elif kind is ItemKind.CONTACT:
            checklist = update_item(checklist, item.key, when, done=True, contact=escort)
        elif kind is ItemKind.MULTI:
            checklist = update_item(
                checklist, item.key, when, done=True, selected=list(item.options[:3])
            )
        elif kind is ItemKind.TEXT:
            kept = state.value if state is not None else ""
            text = kept or values.get(item.key, "")
            checklist = update_item(checklist, item.key, when, done=bool(text), value=text)
        else:
            checklist = update_item(checklist, item.key, when, done=True)
    checklist = replace(
        checklist,
        intention=INTENTIONS[0],
        touch=checklist.touch
        or TouchAgreement(
            welcome=[TouchKind.HAND_ON_SHOULDER, TouchKind.HOLDING_HAND],
            other_detail="",
            ask_first=True,
            when_distressed=DistressPreference.WORDS_ONLY,
            agreed_on=today - timedelta(days=7),
            withdrawn_at=None,
            withdrawn_note="",
        ),
        music=MusicPreferences(likes=["slow strings", "ocean sounds"], avoid=["Enya"], volume=30),
    )
    preparation.save_checklist(repos, session, None, checklist)


def _plan_progress(
    plan: list[PlannedAppointment], n_done: int, next_at: datetime, today: date
) -> list[PlannedAppointment]:
    """The plan as the course went: sessions held are done, the next one was moved to the
    upcoming session, any later past one was missed; future ones stay planned."""
    out: list[PlannedAppointment] = []
    moved = False
    for a in plan:
        if a.kind in (AppointmentKind.DOSING, AppointmentKind.INTEGRATION):
            held = (a.number or 0) <= n_done
        else:  # the baseline measure visit was held; boosters and the end are still ahead
            held = a.kind is AppointmentKind.MEASURE and a.number == 1
        if a.planned_for.date() >= today:
            out.append(a)
        elif held:
            out.append(mark_done(a))
        elif a.kind is AppointmentKind.DOSING and not moved:
            out.append(move(a, next_at, "Client asked to move it"))
            moved = True
        else:
            out.append(mark_missed(a, "Not held"))
    return out


#: the screening and the intake form come before the course starts (days before its start)
SCREENED_BEFORE = 21
INTAKE_BEFORE = 7


def _screening_and_intake(
    repos: Repos, rng: random.Random, cid: int, i: int, escort: Contact, start: date
) -> None:
    """Screened three weeks and the intake form written about a week before the course's
    first session (not on the day the demo was made)."""
    screened_on = start - timedelta(days=SCREENED_BEFORE)
    screening = Screening(screened_on=screened_on)
    for item in SCREENING_ITEMS:
        screening = answer(screening, item.key, Answer.NO)
    if i % 5 == 1:
        screening = answer(screening, "active_substance_use", Answer.YES, "Weekend cannabis")
    if i == 3:
        screening = answer(
            screening,
            "uncontrolled_hypertension",
            Answer.YES,
            "Readings 150/95 at intake; now treated",
        )
        screening = apply_override(
            screening,
            "Hypertension now controlled on amlodipine; cleared by Dr Lee (cardiology) in writing.",
            PRACTITIONER["name"],
            datetime.combine(screened_on, time(11, 0), UTC),
            prescriber=Prescriber("Dr Lee", "MD"),  # a label contraindication: the prescriber's
        )
    repos.documents.save(
        StoredDocument(kind="screening", client_id=cid, data=to_jsonable(screening)),
        at=datetime.combine(screened_on, time(11, 30), UTC),
    )
    meds = [
        Medication(name="sertraline", dose="100 mg daily", groups=interacting_groups("sertraline"))
    ]
    if i % 4 == 2:
        meds.append(
            Medication(
                name="lorazepam", dose="0.5 mg as needed", groups=interacting_groups("lorazepam")
            )
        )
    intake = Intake(
        indications=INDICATIONS[i % len(INDICATIONS)],
        medical_concerns="Mild asthma, well controlled." if i % 3 == 0 else "",
        medications=meds,
        substances=[SubstanceUse(substance="alcohol", route="oral", last_use="last week")],
        ace_answers=[rng.random() < 0.3 for _ in range(10)],
        support_people=[escort],
        escort=escort,
        notes="Lives with partner; works part time.",
    )
    written = datetime.combine(start - timedelta(days=INTAKE_BEFORE + i % 4), time(15, 30), UTC)
    repos.documents.save(
        StoredDocument(kind="intake", client_id=cid, data=to_jsonable(intake)), at=written
    )


def _measures(
    repos: Repos,
    rng: random.Random,
    cid: int,
    day: date,
    phq: int,
    context: MeasureContext,
    item9: int,
) -> None:
    """Forms saved through the measures service, which raises the item-9 flag itself."""
    taken = datetime.combine(day, time(9, 30), UTC)
    for inst_id, total in (("phq9", phq), ("gad7", max(1, phq - rng.randint(2, 6)))):
        inst = instrument(inst_id)
        if inst_id == "phq9":  # item 9 (self-harm) stays 0 unless this client is the example
            answers = _spread(total - item9, 8, 3, rng)
            answers[9] = item9
        else:
            answers = _spread(total, len(inst.items), 3, rng)
        saved = measures.save_response(
            repos, cid, inst_id, answers, taken_on=taken, context=context
        )
        if saved.positive:
            measures.save_safety_plan(
                repos,
                cid,
                "Safety plan reviewed: warning signs, coping steps, partner "
                "and crisis line numbers on the card. Client agreed to call if urges rise.",
                inst.short_name,
            )
            for flag in saved.flags:
                if flag.id is not None and context is not MeasureContext.BASELINE:
                    repos.flags.resolve(flag.id, "Reviewed at next visit; no current intent.")


def _spread(total: int, items: int, top: int, rng: random.Random) -> dict[int, int]:
    values = [0] * items
    for _ in range(min(total, items * top)):
        choices = [k for k in range(items) if values[k] < top]
        values[rng.choice(choices)] += 1
    return {k + 1: v for k, v in enumerate(values)}


def _dose(route: Route, rng: random.Random, weight: float) -> DosePlan:
    if route is Route.IV:
        return DosePlan(
            route=route,
            weight_kg=weight,
            mg_per_kg=0.5,
            infusion_minutes=40,
            lot=f"KV{rng.randint(1000, 9999)}",
            band=DoseBand.MODERATE,
        )
    if route is Route.SUBLINGUAL:
        return DosePlan(
            route=route,
            weight_kg=weight,
            total_mg=200.0,
            lot=f"SL{rng.randint(1000, 9999)}",
            band=DoseBand.LOW,
        )
    return DosePlan(
        route=route,
        weight_kg=weight,
        mg_per_kg=rng.choice([0.6, 0.75, 1.0]),
        lot=f"IM{rng.randint(1000, 9999)}",
        band=DoseBand.MODERATE,
    )


def _checklist(
    previous: Checklist | None, rng: random.Random, when: datetime, escort: Contact
) -> Checklist:
    template = default_template()
    cl = carry_over(previous, template) if previous else new_checklist(template)
    if previous:
        cl = prefill_feedback(cl, "Music helped; keep the volume lower at the start.")
    for item in template.items:
        kind = ItemKind(item.kind)
        if kind is ItemKind.DATE:
            cl = update_item(
                cl, item.key, when, done=True, value=(when.date() - timedelta(days=7)).isoformat()
            )
        elif kind is ItemKind.TIME:
            cl = update_item(cl, item.key, when, done=True, value="22:00")
        elif kind is ItemKind.CONTACT:
            cl = update_item(cl, item.key, when, done=True, contact=escort)
        elif kind is ItemKind.MULTI:
            cl = update_item(
                cl, item.key, when, done=True, selected=["dim lighting", "blanket", "eyeshade"]
            )
        elif kind is ItemKind.TEXT:
            text = {
                "intention": rng.choice(INTENTIONS),
                "stop_signal": "Raise my left hand",
                "rescue_medication": "Ondansetron 4 mg ODT for nausea",
                "who_to_call": "Clinic line 555-0100",
            }.get(item.key, "Reviewed together")
            cl = update_item(cl, item.key, when, done=True, value=cl.items[item.key].value or text)
        else:
            cl = update_item(cl, item.key, when, done=True)
    touch = TouchAgreement(
        welcome=[TouchKind.HAND_ON_SHOULDER, TouchKind.HOLDING_HAND],
        other_detail="",
        ask_first=True,
        when_distressed=DistressPreference.WORDS_ONLY,
        agreed_on=when.date() - timedelta(days=7),
        withdrawn_at=None,
        withdrawn_note="",
    )
    music = MusicPreferences(likes=["slow strings", "ocean sounds"], avoid=["Enya"], volume=35)
    return replace(
        cl,
        intention=cl.items["intention"].value,
        touch=previous.touch if previous and previous.touch else touch,
        music=music,
    )


def _session(
    repos: Repos,
    rng: random.Random,
    cid: int,
    course_id: int | None,
    route: Route,
    day: date,
    n: int,
    previous: Checklist | None,
    events_per_session: int | None,
    stock: _Stock,
    weight: float,
) -> Checklist:
    start = datetime.combine(day, time(10, 0), UTC)
    clock = _Clock(start)
    client = repos.clients.get(cid)
    escort = Contact(name=client.escort.name if client.escort else "Escort", phone="555-0199")
    plan = _dose(route, rng, weight)
    vial = None
    if stock.enabled and route is not Route.SUBLINGUAL:
        # the vial is chosen as the dose is planned: the plan names its lot (the dose is drawn
        # within a quarter of an hour of the start, so the vial is checked as of then)
        mg = complete_plan(plan).total_mg or 0.0
        vial = stock.vial(repos, cid, mg + 5, start + timedelta(minutes=15))
        plan = replace(plan, lot=stock.lot(repos, vial))
    session = plan_session(repos, cid, plan, course_id=course_id, planned_for=start)
    assert session.id is not None
    checklist = _checklist(previous, rng, start, escort)
    doc = repos.documents.save(
        StoredDocument(
            kind="checklist",
            client_id=cid,
            course_id=course_id,
            session_id=session.id,
            data=to_jsonable(checklist),
        )
    )
    run = SessionRunner(repos, session.id, now_utc=clock.now, monotonic=clock.monotonic)
    run.start(bell=True)
    clock.advance(rng.randint(8, 14) * 60)
    base = (rng.randint(112, 132), rng.randint(70, 84), rng.randint(62, 80))
    run.record_vitals(VitalReading(base[0], base[1], base[2], 98, taken_utc=clock.now()))
    _give_dose(repos, run, stock, vial, clock.now())
    total_min = sum(p.minutes for p in run.phases if p.kind.value != "arrival")
    n_events = events_per_session if events_per_session is not None else rng.randint(8, 14)
    step = max(30.0, total_min * 60 / (n_events + 2))
    phase_seen = ""
    for k in range(n_events):
        clock.advance(step * rng.uniform(0.6, 1.2))
        status = run.status()
        phase = status.current.value if status.current else "debrief"
        if phase != phase_seen:
            if phase_seen:
                run.record(EventKind.MUSIC_ENDED, _music(phase_seen, clock.now(), ended=True))
            run.record(EventKind.MUSIC_STARTED, _music(phase, clock.now()))
            phase_seen = phase
        if k % max(3, n_events // 6) == 0:
            up = 12 if phase == "peak" else 4
            run.record_vitals(
                VitalReading(
                    base[0] + up + rng.randint(-4, 6),
                    base[1] + up // 2 + rng.randint(-3, 4),
                    base[2] + rng.randint(-5, 8),
                    rng.choice([96, 97, 98]),
                    taken_utc=clock.now(),
                )
            )
        roll = rng.random()
        if roll < 0.35:
            run.record(EventKind.CLIENT_WORDS, {"text": rng.choice(WORDS)})
        elif roll < 0.65:
            run.record(EventKind.OBSERVATION, {"text": rng.choice(OBSERVATIONS)})
        elif roll < 0.75:
            run.record_touch(
                TouchKind.HAND_ON_SHOULDER, asked=True, note="Asked first; client nodded."
            )
        elif roll < 0.82:
            run.record(EventKind.NAUSEA, {"text": "Mild nausea, passed with breathing."})
        elif roll < 0.88:
            run.record(
                EventKind.MEDICATION_GIVEN,
                {"name": "ondansetron", "dose": "4 mg", "route": "ODT", "text": "for nausea"},
            )
        elif roll < 0.93:
            run.record(EventKind.DISTRESS, {"text": "Brief fear at peak; words of reassurance."})
        else:
            run.record(EventKind.NOTE, {"text": "Adjusted the blanket; room quiet."})
    if n == 0:
        run.extend_phase(10)
    clock.advance(20 * 60)
    if phase_seen:
        run.record(EventKind.MUSIC_ENDED, _music(phase_seen, clock.now(), ended=True))
    run.record_vitals(
        VitalReading(base[0] + 2, base[1] + 1, base[2] + 2, 98, taken_utc=clock.now())
    )
    discharge = Discharge(
        alert_oriented=True,
        vitals_near_baseline=True,
        walks_unassisted=True,
        escort_present=True,
        aftercare_reminded=True,
        escort_name=escort.name,
        aldrete={
            "activity": 2,
            "respiration": 2,
            "circulation": 2,
            "consciousness": 2,
            "oxygen_saturation": 2,
        },
        safety_note="Safety plan reviewed; client calm, no current intent."
        if run.safety_flag_active()
        else "",
    )
    wait = run.dose_wait()  # discharge waits the clinic's minimum time after the dose
    if wait is not None and wait.left_s > 0:
        clock.advance(wait.left_s + 5 * 60)
    run.end(
        discharge,
        rng.choice(
            [
                "Client described feeling 'spacious' and calm; grief felt less sharp.",
                "A tender session; client spoke about her father and felt lighter afterwards.",
                "Some nausea early; later deep rest. Wants more silence next time.",
            ]
        ),
    )
    _integration(repos, rng, cid, run.id, day)
    if n < 1:  # the oldest records are signed; newer ones wait for signature in the demo
        repos.sessions.sign(run.id, PRACTITIONER["name"])
        repos.documents.sign(doc.id or 0, PRACTITIONER["name"])
        repos.addenda.add(
            "session", run.id, "Addendum: client called next day; sleeping well.", cid
        )
    return checklist


def _give_dose(
    repos: Repos, run: SessionRunner, stock: _Stock, vial: int | None, now: datetime
) -> None:
    """The dose, drawn from the client's vial (the one whose lot the plan names) in the same
    transaction (sublingual troches come from the pharmacy: the reason says so); the very
    first draw leaves a witnessed waste."""
    if not stock.enabled:
        run.give_dose()
        return
    if run.plan.route is Route.SUBLINGUAL:
        run.give_dose(draw_reason=TROCHE_REASON)
        return
    assert vial is not None
    run.give_dose(container_id=vial)
    if not stock.wasted:
        stock.wasted = True
        ledger.waste(
            repos,
            vial,
            5,
            by=PRACTITIONER["name"],
            method="drug disposal container",
            reason="Drew 5 mg more than the dose; the syringe remainder was wasted.",
            witness_id=stock.witness(repos),
            witness_pin=DEMO_WITNESS_PIN,
            session_id=run.id,
            now=now + timedelta(minutes=2),
        )


def _music(phase: str, at: datetime, ended: bool = False) -> dict[str, Any]:
    """A play-log entry for the first shipped track of ``phase`` (as the player records it)."""
    tracks = sorted(resource("music").glob(f"{phase}-*.ogg"))
    location = tracks[0] if tracks else resource("music", f"{phase}.ogg")
    title = location.stem.split("-", 2)[-1].replace("-", " ").title()
    body: dict[str, Any] = {
        "title": title,
        "artist": "KAP Companion generative",
        "phase": phase,
        "location": str(location.relative_to(resource("music").parent.parent)),
    }
    body["ended_utc" if ended else "started_utc"] = at.isoformat()
    return body


def _integration(repos: Repos, rng: random.Random, cid: int, session_id: int, day: date) -> None:
    entry = IntegrationEntry(
        session_id=session_id,
        kind=IntegrationKind.NEXT_DAY,
        entry_date=day + timedelta(days=1),
        prompt_answers={
            "somatic.now": "My shoulders were loose all morning.",
            "insights.main": "I don't have to carry everything at once.",
            "challenges.big_decisions": "Felt an urge to quit my job today; we agreed to wait.",
            "commitments.step": "Walk by the water twice this week; call my sister.",
        },
        free_text="Slept deeply. Drew the lake I saw during the session.",
        mood=rng.randint(5, 8),
        title="Next-day integration",
        prompt_set_id="integration",
        prompt_set_version="1",
    )
    repos.documents.save(
        StoredDocument(
            kind="integration", client_id=cid, session_id=session_id, data=to_jsonable(entry)
        )
    )
