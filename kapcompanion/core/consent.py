"""Consent documents: versioned templates, the signed record, and whether a consent is current.

A template is the clinic's wording of one consent (informed consent to ketamine-assisted
psychotherapy, the touch agreement, music and recording, a 42 CFR Part 2 disclosure). The
shipped defaults are JSON files in ``resources/consent``; a clinic edits its own versions,
kept in the vault (``services.consent``). A template never changes in place: every edit is a
new version with the same id, so a signed consent names the exact version it was signed
against and keeps the exact text that was shown (:class:`ConsentRecord`), whatever happens to
the template later.

A template's text is paragraphs; a paragraph starting ``## `` is a heading. ``{key}``
placeholders take the template's fields (route, dose band, recipient...) and the standard
values ``client_name`` and ``clinic``; :func:`render` fills them and refuses a missing one.

Pure Python: no Qt, no SQL.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from kapcompanion.core import serial, wording
from kapcompanion.core.data import read_json, resource_path
from kapcompanion.core.dose import DoseBand, Route
from kapcompanion.core.touch import format_date

#: document kinds in the vault
CONSENT_KIND = "consent"
WITHDRAWAL_KIND = "consent_withdrawal"
#: placeholders every template may use besides its own fields
STANDARD_VALUES = ("client_name", "clinic")
#: a signature needs at least this many pen points (a dot or a slip is not a signature)
MIN_POINTS = 10
HEADING = "## "

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class ConsentPurpose(StrEnum):
    KAP = "kap"
    TOUCH = "touch"
    MUSIC = "music"
    PART2 = "part2"
    OTHER = "other"


class FieldKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    ROUTE = "route"  # one of core.dose.Route
    BAND = "band"  # one of core.dose.DoseBand


BAND_ORDER = {DoseBand.LOW: 0, DoseBand.MODERATE: 1, DoseBand.HIGH: 2}
BAND_LABELS = {
    DoseBand.LOW: "low (psycholytic: you can talk)",
    DoseBand.MODERATE: "moderate",
    DoseBand.HIGH: "high",
}


class ConsentError(ValueError):
    """A template or a signature that cannot be used; the message says why, plainly."""


@dataclass(frozen=True)
class ConsentField:
    key: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    help: str = ""
    required: bool = True
    options: tuple[str, ...] = ()

    def choices(self) -> list[tuple[str, str]]:
        """(stored value, label) pairs for a field with fixed choices; empty for text."""
        if self.kind is FieldKind.ROUTE:
            return [(r.value, r.label) for r in Route]
        if self.kind is FieldKind.BAND:
            return [(b.value, BAND_LABELS[b]) for b in DoseBand]
        if self.kind is FieldKind.CHOICE:
            return [(o, o) for o in self.options]
        return []

    def shown(self, value: str) -> str:
        """The value as it reads in the text ("Intramuscular (IM)" for "im")."""
        for stored, label in self.choices():
            if stored == value:
                return label
        return value


@dataclass(frozen=True)
class ConsentTemplate:
    id: str
    version: int
    title: str
    paragraphs: tuple[str, ...]
    purpose: ConsentPurpose = ConsentPurpose.OTHER
    fields: tuple[ConsentField, ...] = ()
    #: needed, signed and current, before a dosing session may start
    required: bool = True
    #: offered only where the clinic enables 42 CFR Part 2 (settings.PART2_NOTICE)
    part2: bool = False
    sources: tuple[str, ...] = ()
    #: "id@version" this version was edited from
    based_on: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def field(self, key: str) -> ConsentField | None:
        return next((f for f in self.fields if f.key == key), None)


# --------------------------------------------------------------------------- templates
def validate_template(template: ConsentTemplate) -> list[str]:
    """Problems with a template, one plain sentence each (empty when it is usable)."""
    problems: list[str] = []
    if not _KEY.match(template.id.replace("-", "_")):
        problems.append("The template id must be lower-case letters, digits, - or _.")
    if template.version < 1:
        problems.append("The version must be 1 or more.")
    if not template.title.strip():
        problems.append("The consent needs a title.")
    if not any(p.strip() and not p.startswith(HEADING) for p in template.paragraphs):
        problems.append("The consent has no text.")
    keys: set[str] = set()
    for f in template.fields:
        if not _KEY.match(f.key):
            problems.append(f"The field {f.label!r} needs a key of lower-case letters and _.")
        elif f.key in keys or f.key in STANDARD_VALUES:
            problems.append(f"The field key {f.key!r} is used twice.")
        keys.add(f.key)
        if f.kind is FieldKind.CHOICE and not f.options:
            problems.append(f"The choice field {f.key!r} has no options.")
    known = keys | set(STANDARD_VALUES)
    for name in sorted({m for p in template.paragraphs for m in _PLACEHOLDER.findall(p)}):
        if name not in known:
            problems.append(
                f"The text uses {{{name}}}, which is neither a field nor a standard value."
            )
    return problems


def _checked(template: ConsentTemplate) -> ConsentTemplate:
    problems = validate_template(template)
    if problems:
        raise ConsentError(" ".join(problems))
    return template


def template_from_dict(data: Any) -> ConsentTemplate:
    if not isinstance(data, dict):
        raise ConsentError("A consent template must be a JSON object.")
    try:
        template = serial.load(ConsentTemplate, data)
    except (TypeError, ValueError, KeyError) as exc:
        raise ConsentError(f"The consent template cannot be read: {exc}") from exc
    if not isinstance(template.version, int) or isinstance(template.version, bool):
        raise ConsentError('"version" must be a whole number.')
    return _checked(template)


def template_to_dict(template: ConsentTemplate) -> dict[str, Any]:
    data: dict[str, Any] = serial.to_jsonable(template)
    return data


def load_template(path: Path) -> ConsentTemplate:
    try:
        return template_from_dict(read_json(path))
    except (ConsentError, ValueError) as exc:
        raise ConsentError(f"{path.name}: {exc}") from exc


def shipped_templates(folder: Path | None = None) -> list[ConsentTemplate]:
    """The defaults shipped in ``resources/consent``, in a fixed order (by purpose, then id)."""
    directory = folder or resource_path("consent")
    found = [load_template(p) for p in sorted(directory.glob("*.json"))]
    order = list(ConsentPurpose)
    return sorted(found, key=lambda t: (order.index(t.purpose), t.id))


def editable_text(template: ConsentTemplate) -> str:
    """The paragraphs as one plain text, a blank line between paragraphs (for the editor)."""
    return "\n\n".join(template.paragraphs)


def paragraphs_from_text(text: str) -> tuple[str, ...]:
    """Split edited text back into paragraphs (blank lines separate; lines inside join)."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return tuple(
        " ".join(line.strip() for line in b.splitlines() if line.strip())
        for b in blocks
        if b.strip()
    )


def revise(
    template: ConsentTemplate,
    *,
    title: str | None = None,
    text: str | None = None,
    required: bool | None = None,
    after: int | None = None,
) -> ConsentTemplate:
    """A new version of ``template`` with the changes; the original is untouched.

    ``after`` is the newest version number known for this id (a clinic edit of an older
    version still gets a number above every existing one)."""
    changed = dataclasses.replace(
        template,
        title=template.title if title is None else title.strip(),
        paragraphs=template.paragraphs if text is None else paragraphs_from_text(text),
        required=template.required if required is None else required,
        version=max(template.version, after or 0) + 1,
        based_on=template.ref,
    )
    if (changed.title, changed.paragraphs, changed.required) == (
        template.title,
        template.paragraphs,
        template.required,
    ):
        raise ConsentError("Nothing was changed, so no new version was made.")
    return _checked(changed)


def render(
    template: ConsentTemplate, values: dict[str, str], *, client_name: str, clinic: str
) -> str:
    """The exact text the client reads and signs; refuses a required field left empty."""
    missing = [f.label for f in template.fields if f.required and not values.get(f.key, "").strip()]
    if not client_name.strip():
        missing.insert(0, "the client's name")
    if missing:
        raise ConsentError("Fill in before signing: " + "; ".join(missing) + ".")
    for f in template.fields:
        value = values.get(f.key, "").strip()
        if value and f.choices() and value not in {c[0] for c in f.choices()}:
            raise ConsentError(f"{f.label}: {value!r} is not one of the choices.")
    shown = {
        f.key: f.shown(values.get(f.key, "").strip()) or "(not given)" for f in template.fields
    }
    shown["client_name"] = client_name.strip()
    shown["clinic"] = clinic.strip() or "this clinic"
    body = [
        _PLACEHOLDER.sub(lambda m: shown.get(m.group(1), m.group(0)), p)
        for p in template.paragraphs
    ]
    return "\n\n".join([template.title, *body])


def text_blocks(text: str) -> list[tuple[bool, str]]:
    """(is_heading, text) for each paragraph of a rendered consent (the first is the title)."""
    out: list[tuple[bool, str]] = []
    for index, block in enumerate(text.split("\n\n")):
        if index == 0 or block.startswith(HEADING):
            out.append((True, block.removeprefix(HEADING)))
        else:
            out.append((False, block))
    return out


# --------------------------------------------------------------------------- the signed record
@dataclass
class Stroke:
    """One pen-down to pen-up: points (x, y, milliseconds since the first point of the
    signature, pressure 0..1), x and y in pad pixels."""

    points: list[tuple[float, float, int, float]]
    device: str = "mouse"  # mouse, touch, stylus


@dataclass
class Signature:
    """A signature drawn on the pad, with the name typed beside it."""

    name: str
    utc: datetime
    strokes: list[Stroke]
    width: int
    height: int
    role: str = "client"  # client or witness
    #: SHA-256 of the rendered PNG kept as an attachment of the consent document
    image_sha256: str = ""

    @property
    def point_count(self) -> int:
        return sum(len(s.points) for s in self.strokes)


def signature_problem(signature: Signature) -> str | None:
    """Why a drawn signature cannot be accepted (None when it can)."""
    who = "the witness" if signature.role == "witness" else "the client"
    if not signature.name.strip():
        return f"Type the name of {who} beside the signature."
    if signature.point_count < MIN_POINTS:
        return f"The signature pad is empty or nearly so; ask {who} to sign in the box."
    for stroke in signature.strokes:
        for x, y, t, p in stroke.points:
            if not (-1 <= x <= signature.width + 1 and -1 <= y <= signature.height + 1):
                return "A point of the signature lies outside the pad; clear it and sign again."
            if t < 0 or not 0 <= p <= 1:
                return "The signature data is not valid; clear it and sign again."
    return None


@dataclass
class ConsentRecord:
    """A consent as signed: what was shown, who signed, and when. Kept as a document."""

    template_id: str
    template_version: int
    title: str
    purpose: ConsentPurpose
    text: str  # exactly what the client read
    values: dict[str, str]
    sources: list[str]
    client: Signature
    witness: Signature | None = None
    #: the countersignature (name and time); the document's own signature. The name of the
    #: practice member who countersigned, as it was then (records from before members name
    #: the vault's practitioner)
    practitioner: str = ""
    countersigned_utc: datetime | None = None
    #: the session this consent was signed for, if it was signed during preparation of one
    session_id: int | None = None
    #: the countersigner's credential as it was then, which practice member it was, and what
    #: confirmed them ("PIN" or "vault passphrase"); empty on records from before members
    countersigner_credential: str = ""
    countersigner_member_id: int | None = None
    countersign_confirmed: str = ""
    #: the witness's credential as it was then and which practice member it was
    witness_credential: str = ""
    witness_member_id: int | None = None

    @property
    def countersigned(self) -> bool:
        return self.countersigned_utc is not None

    @property
    def countersigned_by(self) -> str:
        """ "Dr Priya Lee, MD"; the name alone when no credential was recorded."""
        return _with_credential(self.practitioner, self.countersigner_credential)

    @property
    def witnessed_by(self) -> str:
        if self.witness is None:
            return ""
        return _with_credential(self.witness.name, self.witness_credential)


def _with_credential(name: str, credential: str) -> str:
    return f"{name}, {credential}" if name and credential else name


@dataclass
class Withdrawal:
    """The client withdrew a consent: a dated record of its own; the consent stays."""

    consent_id: int
    template_id: str
    template_version: int
    reason: str
    withdrawn_utc: datetime
    recorded_by: str
    #: withdrawn while this session was running (the record says so)
    during_session_id: int | None = None


def record_from_data(data: dict[str, Any]) -> ConsentRecord:
    return serial.load(ConsentRecord, data)


def withdrawal_from_data(data: dict[str, Any]) -> Withdrawal:
    return serial.load(Withdrawal, data)


# --------------------------------------------------------------------------- status
class ConsentState(StrEnum):
    CURRENT = "current"
    MISSING = "missing"
    AWAITING_COUNTERSIGNATURE = "awaiting_countersignature"
    OUTDATED = "outdated"  # a newer template version exists
    ROUTE_CHANGED = "route_changed"
    HIGHER_BAND = "higher_band"
    WITHDRAWN = "withdrawn"


STATE_WORDS = {
    ConsentState.CURRENT: "signed and current",
    ConsentState.MISSING: "not signed yet",
    ConsentState.AWAITING_COUNTERSIGNATURE: (
        "signed by the client; waiting for your countersignature"
    ),
    ConsentState.OUTDATED: "signed on an older version; the new version needs a new signature",
    ConsentState.ROUTE_CHANGED: "signed for another route; this session needs a new consent",
    ConsentState.HIGHER_BAND: "signed for a lower dose band; this session needs a new consent",
    ConsentState.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True)
class ConsentStatus:
    template_id: str
    title: str
    required: bool
    state: ConsentState
    #: the newest signed consent of this template (document id), if any
    document_id: int | None = None
    signed_version: int | None = None
    current_version: int = 1
    signed_utc: datetime | None = None
    withdrawn_utc: datetime | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state is ConsentState.CURRENT

    def describe(self) -> str:
        text = f"{self.title}: {STATE_WORDS[self.state]}"
        if self.state is ConsentState.WITHDRAWN and self.withdrawn_utc is not None:
            local = self.withdrawn_utc.astimezone()
            text += f" on {format_date(local.date())} {wording.time_of_day(local)}"
        return text + (f" ({self.detail})" if self.detail else "") + "."


@dataclass
class SignedConsent:
    """One consent document as the status check sees it."""

    document_id: int
    record: ConsentRecord
    withdrawal: Withdrawal | None = None


@dataclass(frozen=True)
class PlannedDose:
    route: Route | None = None
    band: DoseBand | None = None


def status_of(
    template: ConsentTemplate,
    signed: list[SignedConsent],
    planned: PlannedDose | None = None,
) -> ConsentStatus:
    """Whether the newest consent signed on ``template`` (its current version) is current.

    Only the newest signed consent counts: a withdrawn one is not replaced by an older one."""
    mine = [s for s in signed if s.record.template_id == template.id]
    base = ConsentStatus(template.id, template.title, template.required, ConsentState.MISSING)
    base = dataclasses.replace(base, current_version=template.version)
    if not mine:
        return base
    newest = max(mine, key=lambda s: (s.record.client.utc, s.document_id))
    rec = newest.record
    found = dataclasses.replace(
        base,
        document_id=newest.document_id,
        signed_version=rec.template_version,
        signed_utc=rec.client.utc,
    )
    if newest.withdrawal is not None:
        return dataclasses.replace(
            found, state=ConsentState.WITHDRAWN, withdrawn_utc=newest.withdrawal.withdrawn_utc
        )
    if not rec.countersigned:
        return dataclasses.replace(found, state=ConsentState.AWAITING_COUNTERSIGNATURE)
    if rec.template_version < template.version:
        return dataclasses.replace(
            found,
            state=ConsentState.OUTDATED,
            detail=f"signed version {rec.template_version}, now version {template.version}",
        )
    if planned is not None:
        route_field = next((f for f in template.fields if f.kind is FieldKind.ROUTE), None)
        if route_field is not None and planned.route is not None:
            signed_route = rec.values.get(route_field.key, "")
            if signed_route and signed_route != planned.route.value:
                return dataclasses.replace(
                    found,
                    state=ConsentState.ROUTE_CHANGED,
                    detail=f"signed for {route_field.shown(signed_route)}, "
                    f"planned {planned.route.label}",
                )
        band_field = next((f for f in template.fields if f.kind is FieldKind.BAND), None)
        if band_field is not None and planned.band is not None:
            raw = rec.values.get(band_field.key, "")
            try:
                signed_band = DoseBand(raw)
            except ValueError:
                signed_band = None
            if signed_band is not None and BAND_ORDER[planned.band] > BAND_ORDER[signed_band]:
                return dataclasses.replace(
                    found,
                    state=ConsentState.HIGHER_BAND,
                    detail=f"signed up to {signed_band.value}, planned {planned.band.value}",
                )
    return dataclasses.replace(found, state=ConsentState.CURRENT)


@dataclass(frozen=True)
class ConsentSummary:
    """Every consent the clinic asks for, and whether the required ones are all current."""

    statuses: tuple[ConsentStatus, ...] = field(default_factory=tuple)

    @property
    def ready(self) -> bool:
        return all(s.ok for s in self.statuses if s.required)

    @property
    def missing(self) -> list[ConsentStatus]:
        return [s for s in self.statuses if s.required and not s.ok]

    def describe(self) -> str:
        if self.ready:
            return "Consent: every required consent is signed and current."
        return "Consent not complete: " + " ".join(s.describe() for s in self.missing)


def canonical_strokes(signature: Signature) -> str:
    """The strokes as canonical JSON (what tests and the PDF compare)."""
    return json.dumps(serial.to_jsonable(signature.strokes), sort_keys=True, separators=(",", ":"))
