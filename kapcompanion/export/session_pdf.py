"""The session record PDF, rendered from :class:`SessionRecordData` alone.

Order follows the session itself: who and when, screening, preparation (checklist, the
client's intention, the touch agreement quoted in full), the dose, vitals, phases and
music, the event timeline, discharge, debrief and integration, then signatures and
addenda. Every number carries its unit; times show the local clock and the session clock
(+h:mm:ss from the dose).
"""

from __future__ import annotations

from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from kapcompanion.core.clock import format_offset
from kapcompanion.core.discharge import ALDRETE_CRITERIA, ALDRETE_PASS
from kapcompanion.core.dose import fmt
from kapcompanion.core.intake import indication_label
from kapcompanion.core.models import SessionStatus
from kapcompanion.export import pdfkit as pk
from kapcompanion.export import tables as tb
from kapcompanion.export.charts import VitalPoint, vitals_chart
from kapcompanion.export.describe import fmt_date, fmt_datetime, fmt_time, tz_label
from kapcompanion.export.records import (
    AddendumLine,
    RecordHeader,
    SessionRecordData,
    Signature,
)


def _num(value: float | None, unit: str) -> str:
    return "" if value is None else f"{fmt(value)} {unit}"


def _clock(offset_s: float | None) -> str:
    return format_offset(offset_s) if offset_s is not None else ""


def subject_line(header: RecordHeader, width: float | None = None) -> str:
    """Name, date of birth and identifier; with ``width`` (points at the header's 7.5 pt)
    the name is shortened first, so the date of birth and identifier stay readable."""
    c = header.client
    rest = []
    if c.dob is not None:
        rest.append(f"born {fmt_date(c.dob)}")
    if c.identifier:
        rest.append(f"ID {pk.fit(c.identifier, 120, 7.5)}")
    tail = "".join(f" · {r}" for r in rest)
    name = c.name or c.pseudonym
    if width is not None:
        name = pk.fit(name, max(60.0, width - pk.text_width(tail, 7.5)), 7.5)
    return name + tail


def clinic_line(header: RecordHeader) -> str:
    p = header.practitioner
    who = ", ".join(x for x in (p.name, p.credentials) if x)
    return " · ".join(x for x in (p.clinic, who) if x) or "KAP Companion"


def furniture(header: RecordHeader, title: str) -> pk.PageFurniture:
    p = header.practitioner
    page = pk.PAGE_SIZES[header.page_size]
    at = header.generated_utc
    when = f"{fmt_datetime(at, header.tz)} {tz_label(header.tz, at)}"
    generated = pk.generated_line(when, p.name, header.anchor, page)
    return pk.PageFurniture(
        title=title,
        subject=subject_line(header, pk.header_subject_width(page)),
        clinic=clinic_line(header),
        generated=generated,
        part2=header.part2,
        page_size=page,
    )


def identity_rows(header: RecordHeader) -> list[tuple[str, tb.Cell]]:
    c, p = header.client, header.practitioner
    rows: list[tuple[str, tb.Cell]] = [("Client", c.name or c.pseudonym)]
    if c.pseudonym and c.name:
        rows.append(("Pseudonym", c.pseudonym))
    rows.append(("Date of birth", fmt_date(c.dob) if c.dob else "Not recorded"))
    rows.append(("Client identifier", c.identifier or "Not recorded"))
    practitioner = ", ".join(x for x in (p.name, p.credentials) if x) or "Not recorded"
    if p.licence_number:
        practitioner += f" (licence {p.licence_number})"
    rows.append(("Practitioner", practitioner))
    rows.append(("Clinic", p.clinic or "Not recorded"))
    return rows


def title_block(header: RecordHeader, title: str, subtitle: str) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.para(title, st.title), pk.para(subtitle, st.muted)]
    if header.part2:
        out.append(
            pk.raw_para("<b>Notice (42 CFR 2.32).</b> " + pk.markup(pk.PART2_STATEMENT), st.notice)
        )
    return out


def signature_block(label: str, sig: Signature, header: RecordHeader) -> list[Flowable]:
    st = pk.styles()
    if sig.signed:
        text = f"{label}: signed electronically by {sig.by or 'the practitioner'}"
        if sig.utc is not None:
            text += f" on {fmt_datetime(sig.utc, header.tz)}"
        return [Spacer(1, 1.5 * mm), pk.para(text + ".", st.body)]
    return [Spacer(1, 1.5 * mm), pk.para(f"{label}: NOT SIGNED (draft record).", st.cell_flag)]


def addenda_section(addenda: list[AddendumLine], header: RecordHeader) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Addenda")]
    if not addenda:
        out.append(pk.para("No addenda.", st.muted))
        return out
    for a in addenda:
        head = f"{fmt_datetime(a.utc, header.tz)} · {a.author or 'unknown author'} · {a.about}"
        out.append(pk.para(head, st.cell_bold))
        out.extend(pk.text_flowables(a.text, st.quote))
    return out


# --------------------------------------------------------------------------- sections
def _overview(d: SessionRecordData, width: float) -> list[Flowable]:
    s, h = d.session, d.header
    rows = identity_rows(h)
    if d.course is not None:
        course = indication_label(d.course.indication) if d.course.indication else "Course"
        course += f" · {d.course.planned_sessions} sessions planned · {d.course.status.value}"
        if d.course.started_on:
            course += f" · started {fmt_date(d.course.started_on)}"
        rows.append(("Course", course))
    planned = f" of {d.course.planned_sessions}" if d.course else ""
    rows.append(("Session", f"Session {s.number}{planned} · status {s.status.value}"))
    rows.append(("Date", fmt_date(d.session_date, h.tz) or "Not recorded"))
    times = [
        ("started", s.started_utc),
        ("dose", s.dose_utc),
        ("ended", s.ended_utc),
    ]
    shown = ", ".join(f"{n} {fmt_time(t, h.tz)}" for n, t in times if t is not None)
    when = d.session_date or h.generated_utc
    rows.append(("Times", (shown or "Not recorded") + f" ({tz_label(h.tz, when)})"))
    return tb.kv_table(rows, width)


def _screening(d: SessionRecordData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Screening")]
    sc = d.screening
    if sc is None:
        return [*out, pk.para("No screening is recorded for this client.", st.muted)]
    rows: list[tuple[str, tb.Cell]] = [
        ("Outcome", sc.outcome + (" (by override)" if sc.overridden else "")),
        ("Screened on", fmt_date(sc.screened_on) or "Not recorded"),
    ]
    if sc.override_reason:
        by = sc.override_by or "unknown"
        at = f" on {fmt_datetime(sc.override_at, d.header.tz)}" if sc.override_at else ""
        rows.append(("Override", f"{sc.override_reason} (by {by}{at})"))
    out.extend(tb.kv_table(rows, width))
    if sc.findings:
        out.append(pk.h2("Findings (items not answered \u201cno\u201d)"))
        out.extend(
            tb.grid(
                ["Item", "Answer", "Note"],
                [[label, answer, note] for label, answer, note in sc.findings],
                [width * 0.42, width * 0.12, width * 0.46],
                flagged=[(i, 1) for i, f in enumerate(sc.findings) if f[1] == "yes"],
            )
        )
    if not sc.overridden and sc.reasons:
        out.append(pk.para("; ".join(sc.reasons), st.muted))
    out.extend(signature_block("Screening", sc.signature, d.header))
    return out


def _preparation(d: SessionRecordData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Preparation")]
    cl = d.checklist
    if cl is None:
        return [*out, pk.para("No preparation checklist is recorded for this session.", st.muted)]
    out.append(pk.para(f"Checklist: {cl.template}", st.muted))
    rows, flagged = [], []
    for i, line in enumerate(cl.lines):
        label = line.label + ("" if line.required else " (optional)")
        rows.append([line.section, label, "Done" if line.done else "Not done", line.value])
        if line.required and not line.done:
            flagged.append((i, 2))
    out.extend(
        tb.grid(
            ["Section", "Item", "Status", "Content"],
            rows,
            [width * 0.16, width * 0.34, width * 0.12, width * 0.38],
            flagged=flagged,
        )
    )
    if cl.readiness_override or d.session.readiness_override:
        reason = cl.readiness_override or d.session.readiness_override
        by = f" by {cl.override_by}" if cl.override_by else ""
        at = f" on {fmt_datetime(cl.override_at, d.header.tz)}" if cl.override_at else ""
        out.append(pk.h2("Started with items missing"))
        out.extend(pk.text_flowables(f"Override{by}{at}. Reason: {reason}", st.body))
    out.append(pk.h2("This session's intention, in the client's words"))
    out.extend(pk.text_flowables(cl.intention, st.quote, "No intention recorded."))
    out.append(pk.h2("Touch agreement (quoted in full)"))
    out.extend(pk.text_flowables(cl.touch_text, st.quote, "No touch agreement recorded."))
    out.append(pk.h2("Music preferences"))
    out.extend(pk.text_flowables(cl.music, st.body, "No music preferences recorded."))
    out.extend(signature_block("Preparation checklist", cl.signature, d.header))
    return out


def _dose(d: SessionRecordData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Dose")]
    if d.plan is not None:
        p = d.plan
        out.append(
            pk.para(
                f"Route: {p.route.label}. Weight {p.weight.text()}. Planned "
                f"{_num(p.mg_per_kg, 'mg/kg') or '-'} = {_num(p.total_mg, 'mg') or '-'}.",
                st.body,
            )
        )
        if p.esketamine:  # issue 16: the drug said in words, with its devices
            devices = p.devices or (int((p.total_mg or 0) // 28))
            out.append(
                pk.para(f"Drug: esketamine (Spravato), {devices} device(s) of 28 mg.", st.body)
            )
        if p.above_usual:
            out.append(  # the mark of issue 19; the reason is in the plan notes
                pk.raw_para(
                    "<b>Above the usual range</b>: confirmed on planning "
                    f"(“{pk.markup(p.confirmed)}”).",
                    st.body,
                )
            )
    rows = [
        [
            line.what,
            line.route,
            _num(line.mg_per_kg, "mg/kg"),
            _num(line.total_mg, "mg"),
            fmt_time(line.utc, d.header.tz),
            _clock(line.offset_s),
            line.detail,
        ]
        for line in d.doses
    ]
    out.extend(
        tb.grid(
            ["", "Route", "Dose", "Total", "Time", "Clock", "Details"],
            rows,
            [w * width for w in (0.1, 0.14, 0.12, 0.1, 0.08, 0.1, 0.36)],
            bold_cols=[0],
            empty="No dose plan or dose recorded.",
        )
    )
    for note in d.plan_notes:
        out.append(pk.para(note, st.muted))
    if d.ledger:  # issue 23: each draw as the controlled-substance ledger booked it
        out.append(pk.raw_para("<b>Controlled-substance ledger</b>", st.body))
        out.extend(pk.para(f"\u2022 {line}", st.body) for line in d.ledger)
    return out


def _vitals(d: SessionRecordData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Vital signs")]
    rows, flagged, points = [], [], []
    dose = d.session.dose_utc
    for i, v in enumerate(d.vitals):
        r = v.reading
        # From the actual dose, as in the timeline (a pre-dose reading has no offset).
        offset = (r.taken_utc - dose).total_seconds() if dose is not None else r.offset_s
        bp = (
            f"{r.systolic}/{r.diastolic}"
            if r.systolic is not None and r.diastolic is not None
            else ""
        )
        notes = " ".join([*r.flags, r.note]).strip()
        if r.pre_dose:
            notes = ("Before dosing. " + notes).strip()
        rows.append(
            [
                _clock(offset),
                fmt_time(r.taken_utc, d.header.tz),
                bp,
                "" if r.heart_rate is None else str(r.heart_rate),
                "" if r.spo2 is None else f"{r.spo2}",
                notes,
            ]
        )
        if v.flagged & {"systolic", "diastolic"} and bp:
            flagged.append((i, 2))
        if "heart_rate" in v.flagged and r.heart_rate is not None:
            flagged.append((i, 3))
        if "spo2" in v.flagged and r.spo2 is not None:
            flagged.append((i, 4))
        if offset is not None:
            points.append(
                VitalPoint(offset / 60.0, r.systolic, r.diastolic, r.heart_rate, r.spo2, v.flagged)
            )
    out.extend(
        tb.grid(
            ["Clock", "Time", "BP (mmHg)", "HR (bpm)", "SpO2 (%)", "Flags and notes"],
            rows,
            [w * width for w in (0.11, 0.08, 0.12, 0.1, 0.1, 0.49)],
            flagged=flagged,
            empty="No vital signs recorded.",
        )
    )
    legend: list[Flowable] = []
    if flagged:
        legend.append(
            pk.para(f"{pk.FLAG_MARK} marks a value outside the clinic's thresholds.", st.muted)
        )
    chart = vitals_chart(
        points,
        width,
        systolic_limit=d.thresholds.systolic_at_or_above,
        spo2_limit=d.thresholds.spo2_below,
    )
    if chart is not None:
        legend += [Spacer(1, 3 * mm), chart]
    if legend:
        out.append(KeepTogether(legend))
    return out


def _phases_music(d: SessionRecordData, width: float) -> list[Flowable]:
    out: list[Flowable] = [pk.h1("Phases and music")]
    rows = []
    for ph in d.phases:
        span = ""
        if ph.start_s is not None and ph.end_s is not None:
            span = f"{format_offset(ph.start_s)} to {format_offset(ph.end_s)}"
        planned = _num(ph.planned_min, "min")
        rows.append([ph.label, planned, span, "; ".join(ph.changes)])
    out.extend(
        tb.grid(
            ["Phase", "Planned", "As it ran (clock)", "Changes"],
            rows,
            [width * 0.2, width * 0.12, width * 0.3, width * 0.38],
            bold_cols=[0],
            empty="No phases recorded.",
        )
    )
    music = []
    for ph in d.phases:
        for index, t in enumerate(ph.tracks):
            ended = fmt_time(t.ended_utc, d.header.tz)
            times = fmt_time(t.started_utc, d.header.tz) + (f" to {ended}" if ended else "")
            music.append(
                [ph.label if index == 0 else "", _clock(t.offset_s), times, t.title, t.artist]
            )
    out.append(pk.h2("Music that played, by phase"))
    out.extend(
        tb.grid(
            ["Phase", "Clock", "Time", "Title", "Artist"],
            music,
            [w * width for w in (0.16, 0.1, 0.15, 0.36, 0.23)],
            bold_cols=[0],
            empty="No music was recorded.",
        )
    )
    return out


def _events(d: SessionRecordData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Event timeline")]
    rows: list[list[tb.Cell]] = []
    flagged = []
    for i, e in enumerate(d.timeline):
        detail: tb.Rich = [(e.text, st.cell)]
        for c in e.corrections:
            when = fmt_datetime(c.utc, d.header.tz)
            text = f"Corrected {when}: {c.text or '(no content)'} Reason: {c.reason}"
            detail.append((text, st.cell_bold))
        rows.append([e.offset, fmt_time(e.utc, d.header.tz), e.label, detail])
        if e.alert:
            flagged.append((i, 2))
    out.extend(
        tb.grid(
            ["Clock", "Time", "Event", "Details"],
            rows,
            [w * width for w in (0.11, 0.08, 0.19, 0.62)],
            flagged=flagged,
            empty="No events recorded.",
        )
    )
    return out


def _discharge(d: SessionRecordData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Discharge")]
    dc = d.discharge
    if dc is None:
        return [*out, pk.para("No discharge is recorded.", st.muted)]
    stored = d.session.discharge
    if stored.get("transfer_to"):  # a handover to emergency care: no home criteria
        after = stored.get("minutes_after_dose")
        handover: list[tuple[str, tb.Cell]] = [
            ("Handed over to", str(stored["transfer_to"])),
            ("Why", str(stored.get("transfer_reason") or "")),
            ("Handed over by", str(stored.get("transfer_by") or "Not recorded")),
            ("At", fmt_datetime(dc.discharged_at, d.header.tz) or "Not recorded"),
        ]
        if isinstance(after, int | float):
            handover.append(("Time since the last dose", f"{after:g} min"))
        return [
            pk.h1("Transfer to emergency care"),
            pk.para(
                "The session ended with a handover to emergency care, not a discharge home; "
                "the discharge criteria did not apply.",
                st.body,
            ),
            *tb.kv_table(handover, width, label_width=55 * mm),
        ]
    yes = {True: "Yes", False: "No"}
    escort = yes[dc.escort_present] + (f" ({dc.escort_name})" if dc.escort_name.strip() else "")
    rows: list[tuple[str, tb.Cell]] = [
        ("Alert and oriented", yes[dc.alert_oriented]),
        ("Vitals back near baseline", yes[dc.vitals_near_baseline]),
        ("Walks unassisted", yes[dc.walks_unassisted]),
        ("Escort present", escort),
        ("Aftercare reminded", yes[dc.aftercare_reminded]),
        ("Discharged at", fmt_datetime(dc.discharged_at, d.header.tz) or "Not recorded"),
    ]
    out.extend(tb.kv_table(rows, width, label_width=55 * mm))
    out.append(pk.h2("Modified Aldrete score"))
    arows, flagged = [], []
    for i, crit in enumerate(ALDRETE_CRITERIA):
        value = dc.aldrete.get(crit.key)
        if isinstance(value, int) and 0 <= value <= 2:
            arows.append([crit.label, str(value), crit.levels[value]])
            if value < 2:
                flagged.append((i, 1))
        else:
            arows.append([crit.label, "", "Not scored"])
    out.extend(
        tb.grid(
            ["Criterion", "Score", "Description"],
            arows,
            [width * 0.25, width * 0.1, width * 0.65],
            flagged=flagged,
        )
    )
    total = d.aldrete_total
    if dc.aldrete_not_scored:
        reason = dc.aldrete_not_scored_reason.strip() or "no reason recorded"
        out.append(pk.para(f"Not scored for this session. Reason: {reason}", st.cell_bold))
    elif total is None:
        out.append(pk.para("Total: not complete.", st.body))
    else:
        verdict = "meets" if total >= ALDRETE_PASS else "is below"
        out.append(
            pk.para(
                f"Total: {total} of 10 ({verdict} the discharge rule of {ALDRETE_PASS} or more).",
                st.cell_bold if total >= ALDRETE_PASS else st.cell_flag,
            )
        )
    if d.discharge_missing:
        out.append(
            pk.para("Not yet met at discharge: " + "; ".join(d.discharge_missing), st.cell_flag)
        )
    if dc.safety_note.strip():
        out.append(pk.h2("Safety note"))
        out.extend(pk.text_flowables(dc.safety_note, st.quote))
    return out


def _notes(d: SessionRecordData) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Debrief")]
    out.extend(pk.text_flowables(d.debrief, st.body, "No debrief recorded."))
    out.append(pk.h1("Integration"))
    if not d.integration:
        out.append(pk.para("No integration entries are linked to this session.", st.muted))
    for note in d.integration:
        head = f"{fmt_date(note.entry_date)} · {note.kind}" + (
            f" · {note.title}" if note.title else ""
        )
        out.append(pk.h2(head))
        if note.mood is not None:
            out.append(pk.para(f"Mood: {note.mood} of 10", st.muted))
        for question, answer in note.answers:
            out.append(pk.para(question, st.cell_bold))
            out.extend(pk.text_flowables(answer, st.quote))
        if note.free_text.strip():
            out.extend(pk.text_flowables(note.free_text, st.body))
        out.extend(signature_block("Entry", note.signature, d.header))
    return out


def _signatures(d: SessionRecordData, width: float) -> list[Flowable]:
    st = pk.styles()
    p = d.header.practitioner
    out: list[Flowable] = [pk.h1("Signature")]
    out.extend(signature_block("Session record", d.signature, d.header))
    if d.session.status is not SessionStatus.ENDED:
        out.append(
            pk.para("The session had not ended when this record was exported.", st.cell_flag)
        )
    name = ", ".join(x for x in (p.name, p.credentials) if x)
    lines = [
        ("Practitioner", name or "Not recorded"),
        ("Licence number", p.licence_number or "Not recorded"),
        ("Signature", ""),
        ("Date", ""),
    ]
    # Room to sign and date by hand on a printout.
    table = tb.signature_table(lines, width * 0.7, 35 * mm, tall=(2, 3), tall_height=11 * mm)
    out.append(KeepTogether([Spacer(1, 2 * mm), table]))
    return out


def session_story(d: SessionRecordData, width: float) -> list[Flowable]:
    """The flowables of the session record, in reading order."""
    s = d.session
    subtitle = f"Session {s.number}"
    if d.course is not None:
        subtitle += f" of {d.course.planned_sessions}"
    if d.session_date is not None:
        subtitle += f" · {fmt_date(d.session_date, d.header.tz)}"
    story: list[Flowable] = title_block(d.header, "KAP session record", subtitle)
    story += _overview(d, width)
    story += _screening(d, width)
    story += _preparation(d, width)
    story += _dose(d, width)
    story += _vitals(d, width)
    story += _phases_music(d, width)
    story += _events(d, width)
    story += _discharge(d, width)
    story += _notes(d)
    story += _signatures(d, width)
    if d.after_signing is None:
        story += addenda_section(d.addenda, d.header)
    else:
        story += after_signing_section(d)
    return end_with_anchor(story, d.header)


def after_signing_section(d: SessionRecordData) -> list[Flowable]:
    """A signed record prints as signed; what came later is listed here, dated."""
    st = pk.styles()
    out: list[Flowable] = [pk.h1("After signing")]
    if d.seal:
        out.append(
            pk.para(
                "Everything above is the record as signed (seal " + d.seal[:16] + "); what was "
                "recorded later is listed here with its date.",
                st.muted,
            )
        )
    later = sorted([*d.addenda, *(d.after_signing or [])], key=lambda a: a.utc)
    if not later:
        out.append(pk.para("Nothing was recorded after signing.", st.muted))
    for a in later:
        head = " · ".join(x for x in (fmt_datetime(a.utc, d.header.tz), a.author, a.about) if x)
        out.append(pk.para(head, st.cell_bold))
        out.extend(pk.text_flowables(a.text, st.quote))
    return out


def anchor_section(header: RecordHeader) -> list[Flowable]:
    """The full anchor on the last page: note it elsewhere to pin the trail up to now."""
    if not header.anchor:
        return []
    st = pk.styles()
    return [
        Spacer(1, 3 * mm),
        pk.para(
            f"Audit anchor at export: {header.anchor}. Keep this line: checking the vault "
            "against it (the vault check command with this anchor) shows whether its audit "
            "trail up to this export is unchanged.",
            st.muted,
        ),
    ]


def end_with_anchor(story: list[Flowable], header: RecordHeader) -> list[Flowable]:
    """The story with the anchor line kept together with the last lines before it: a last
    page holding nothing but the anchor says nothing to the reader."""
    anchor = anchor_section(header)
    if not anchor:
        return story
    keep = min(2, len(story))
    return [*story[: len(story) - keep], KeepTogether([*story[len(story) - keep :], *anchor])]


def build_session_pdf(data: SessionRecordData, target: IO[bytes], encrypt: Any = None) -> None:
    """Lay out the session record into ``target`` (a binary file object)."""
    doc = pk.RecordDoc(target, furniture(data.header, "Session record"), encrypt=encrypt)
    with pk.lean_reportlab():
        doc.build_story(session_story(data, doc.content_width))
