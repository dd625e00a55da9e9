"""The session summary: dose, times, phase lengths, vitals with flags, events and music played.

``summary_html`` builds it from the vault alone (no runner, no Qt), so the same text serves
a running session, an ended one and a test. Every value read from the record is escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from kapcompanion.core import wording
from kapcompanion.core.clock import PhaseChange, PhaseKind, PlannedPhase, format_offset, timeline
from kapcompanion.core.discharge import ALDRETE_CRITERIA, Discharge, aldrete_total
from kapcompanion.core.dose import DosePlan
from kapcompanion.core.models import DosingSession, EventKind, SessionEvent, SessionStatus
from kapcompanion.core.serial import load
from kapcompanion.services import clients as client_service
from kapcompanion.services import session as session_service
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.session import describe as words
from kapcompanion.ui.session.rems_box import RemsBox
from kapcompanion.ui.widgets.fit import fit_to_screen

if TYPE_CHECKING:
    from kapcompanion.services.handles import Repos

HIDDEN_IN_EVENTS = (EventKind.MUSIC_STARTED, EventKind.MUSIC_ENDED, EventKind.VITALS)


def local(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    here = dt.astimezone()
    return f"{wording.date_time(here)} {here.tzname() or ''}".rstrip()


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th align='left'>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table cellspacing='0' cellpadding='4' border='1'><tr>{cells}</tr>{body}</table>"


def phase_rows(session: DosingSession) -> list[list[str]]:
    phases = [load(PlannedPhase, p) for p in session.phases]
    changes = [load(PhaseChange, c) for c in session.phase_changes]
    planned = {p.kind: p.minutes for p in phases}
    rows = []
    upto = None  # how far the session got, in seconds from the dose
    if session.dose_utc:
        end = session.ended_utc or datetime.now(UTC)
        upto = (end - session.dose_utc).total_seconds()
    spans = timeline(phases, changes)
    last = spans[-1] if spans and spans[-1].kind is not PhaseKind.ARRIVAL else None
    for span in spans:
        if span.kind is PhaseKind.ARRIVAL:
            actual = (
                (session.dose_utc - session.started_utc).total_seconds()
                if session.dose_utc and session.started_utc
                else None
            )
        elif upto is None or upto <= span.start_s:
            actual = None  # not reached
        elif span is last:  # the last phase lasts until the session ends, plan or not
            actual = upto - span.start_s
        else:
            actual = min(span.end_s, upto) - span.start_s
        shown = f"{actual / 60:.1f} min" if actual is not None else "—"
        if actual is not None and upto is not None and span.start_s < upto < span.end_s:
            shown += " (running)" if session.ended_utc is None else " (ended here)"
        elif span is last and upto is not None and upto - span.end_s >= 60:
            shown += " (running past the plan)" if session.ended_utc is None else " (ran on)"
        rows.append([escape(span.kind.label), f"{planned.get(span.kind, 0):g} min", shown])
    return rows


def music_rows(events: list[SessionEvent]) -> list[list[str]]:
    ends: dict[tuple[str, str], str] = {}
    for e in events:
        if e.kind is EventKind.MUSIC_ENDED:
            key = (str(e.payload.get("location")), str(e.payload.get("started_utc")))
            ends[key] = str(e.payload.get("ended_utc") or "")
    rows = []
    for e in events:
        if e.kind is not EventKind.MUSIC_STARTED:
            continue
        p = e.payload
        key = (str(p.get("location")), str(p.get("started_utc")))
        rows.append(
            [
                escape(str(p.get("title") or "")),
                escape(str(p.get("artist") or "")),
                escape(str(p.get("phase") or "").capitalize()),
                escape(local(_parse(p.get("started_utc")))),
                escape(local(_parse(ends.get(key)))) if ends.get(key) else "(not recorded)",
            ]
        )
    return rows


def summary_html(repos: Repos, session_id: int, name: str) -> str:
    facts = session_service.session_facts(repos, session_id)
    session, events, vitals = facts.session, facts.events, facts.vitals
    plan = load(DosePlan, session.plan) if session.plan else None
    out = [f"<h2>Session {session.number} · {escape(name)}</h2>"]
    out.append(f"<p>Status: <b>{escape(session.status.value)}</b>")
    out.append(" · signed" if session.signed_utc else " · not signed")
    out.append("</p><h3>Dose</h3>")
    if plan is not None:
        bits = [escape(words.dose_text(plan))]
        if plan.lot:
            bits.append(f"lot {escape(plan.lot)}")
        if plan.band:
            bits.append(f"{escape(plan.band.value)} band")
        out.append("<p>" + " · ".join(bits) + "</p>")
        if plan.out_of_range_reason:
            out.append(
                f"<p>Outside the usual range; reason: {escape(plan.out_of_range_reason)}</p>"
            )
    else:
        out.append("<p>No dose plan.</p>")
    if session.readiness_override:
        out.append(
            f"<p>Started with preparation items missing; reason: "
            f"{escape(session.readiness_override)}</p>"
        )
    out.append("<h3>Times</h3>")
    out.append(
        _table(
            ["Planned", "Started", "Dose", "Ended"],
            [
                [
                    escape(local(t))
                    for t in (
                        session.planned_for,
                        session.started_utc,
                        session.dose_utc,
                        session.ended_utc,
                    )
                ]
            ],
        )
    )
    if session.phases:
        out.append("<h3>Phases</h3>")
        out.append(_table(["Phase", "Planned", "Actual"], phase_rows(session)))
    out.append("<h3>Vitals</h3>")
    if vitals:
        rows = []
        for r in vitals:
            when = "before dose" if r.pre_dose else format_offset(r.offset_s or 0.0)
            bp = f"{r.systolic}/{r.diastolic} mmHg" if r.systolic is not None else "—"
            flags = " ".join(r.flags)
            rows.append(
                [
                    escape(when),
                    escape(bp),
                    f"{r.heart_rate} bpm" if r.heart_rate is not None else "—",
                    f"{r.spo2}%" if r.spo2 is not None else "—",
                    f"<b>⚑ {escape(flags)}</b>" if flags else "",
                ]
            )
        out.append(_table(["Time", "BP", "HR", "SpO2", "Flags"], rows))
    else:
        out.append("<p>No vitals recorded.</p>")
    out.append("<h3>Events</h3><ul>")
    corrected = words.corrected_ids(events)
    for e in events:
        if e.kind not in HIDDEN_IN_EVENTS:
            out.append(f"<li>{escape(words.line(e, e.id in corrected, session))}</li>")
    out.append("</ul><h3>Music played</h3>")
    rows = music_rows(events)
    out.append(
        _table(["Title", "Artist", "Phase", "Started", "Ended"], rows)
        if rows
        else "<p>No music was recorded.</p>"
    )
    if session.discharge.get("transfer_to"):
        stored = session.discharge
        out.append("<h3>Transfer to emergency care</h3><ul>")
        out.append(f"<li>Handed over to {escape(str(stored['transfer_to']))}</li>")
        out.append(f"<li>Why: {escape(str(stored.get('transfer_reason') or ''))}</li>")
        out.append(f"<li>By {escape(str(stored.get('transfer_by') or 'not recorded'))}</li>")
        out.append("</ul>")
    elif session.discharge:
        d = load(Discharge, session.discharge)
        total = aldrete_total(d.aldrete)
        out.append("<h3>Discharge</h3><ul>")
        for label, ok in (
            ("Alert and oriented", d.alert_oriented),
            ("Vitals back near baseline", d.vitals_near_baseline),
            ("Walks unassisted", d.walks_unassisted),
            ("Escort present" + (f" ({d.escort_name})" if d.escort_name else ""), d.escort_present),
            ("Aftercare reminded", d.aftercare_reminded),
        ):
            out.append(f"<li>{'✓' if ok else '✗'} {escape(label)}</li>")
        scores = ", ".join(
            f"{c.label} {d.aldrete.get(c.key)}"
            for c in ALDRETE_CRITERIA
            if d.aldrete.get(c.key) is not None
        )
        out.append(
            f"<li>Modified Aldrete: {total if total is not None else 'not scored'}"
            + (f" of 10 ({escape(scores)})" if total is not None else "")
            + "</li>"
        )
        if d.safety_note:
            out.append(f"<li>Safety note: {escape(d.safety_note)}</li>")
        out.append("</ul>")
    if session.debrief:
        out.append(f"<h3>Debrief</h3><p>{escape(session.debrief)}</p>")
    return "".join(out)


class SummaryDialog(QDialog):
    def __init__(self, ctx: AppContext, session_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionSummary")
        session = session_service.get_session(ctx.repos, session_id)
        name = client_service.get(ctx.repos, session.client_id).first_name
        self.setWindowTitle(ctx.title(f"Session {session.number} summary"))
        self.browser = QTextBrowser(self)
        self.browser.setAccessibleName("Session summary")
        self.browser.setOpenLinks(False)
        self.browser.setHtml(summary_html(ctx.repos, session_id, name))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        # an ended esketamine session: its REMS form, due within 7 days (issue 16)
        self.rems: RemsBox | None = None
        if session.plan.get("drug") == "esketamine" and session.status is SessionStatus.ENDED:
            self.rems = RemsBox(ctx, session_id, self)
            layout.addWidget(self.rems)
        layout.addWidget(buttons)
        fit_to_screen(self, 820, 640)
        self.browser.setFocus()
