"""The course summary PDF, rendered from :class:`CourseSummaryData` alone.

One page-flow for the whole client: the courses, every session in one table, each outcome
measure as a chart over its published severity bands with the scores and the progress in
words, and the safety flags with how each was resolved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from kapcompanion.core.dose import fmt
from kapcompanion.core.intake import indication_label
from kapcompanion.core.models import FlagKind
from kapcompanion.export import pdfkit as pk
from kapcompanion.export import tables as tb
from kapcompanion.export.charts import band_colour, measure_chart
from kapcompanion.export.describe import fmt_date, fmt_datetime
from kapcompanion.export.records import CourseSummaryData, MeasureSeries
from kapcompanion.export.session_pdf import (
    addenda_section,
    end_with_anchor,
    furniture,
    identity_rows,
    title_block,
)

_FLAG_LABELS = {
    FlagKind.SUICIDE_RISK: "Suicide risk",
    FlagKind.SCREENING_OVERRIDE: "Screening override",
}


def _courses(d: CourseSummaryData, width: float) -> list[Flowable]:
    out: list[Flowable] = [pk.h1("Courses")]
    rows = []
    for c in d.courses:
        dates = fmt_date(c.started_on) + (f" to {fmt_date(c.ended_on)}" if c.ended_on else "")
        rows.append(
            [
                indication_label(c.indication) if c.indication else "",
                str(c.planned_sessions),
                c.status.value,
                dates,
                c.goals,
            ]
        )
    out.extend(
        tb.grid(
            ["Indication", "Sessions planned", "Status", "Dates", "Goals"],
            rows,
            [w * width for w in (0.2, 0.11, 0.11, 0.2, 0.38)],
            empty="No course is recorded.",
        )
    )
    return out


def _screening(d: CourseSummaryData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Screening")]
    sc = d.screening
    if sc is None:
        return [*out, pk.para("No screening is recorded.", st.muted)]
    rows: list[tuple[str, tb.Cell]] = [
        ("Outcome", sc.outcome + (" (by override)" if sc.overridden else "")),
        ("Screened on", fmt_date(sc.screened_on) or "Not recorded"),
    ]
    if sc.override_reason:
        rows.append(("Override", f"{sc.override_reason} (by {sc.override_by or 'unknown'})"))
    if sc.findings:
        rows.append(
            ("Findings", "; ".join(f"{label}: {answer}" for label, answer, _n in sc.findings))
        )
    out.extend(tb.kv_table(rows, width))
    return out


def _sessions(d: CourseSummaryData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Sessions")]
    rows, flagged = [], []
    tz = d.header.tz
    for i, s in enumerate(d.sessions):
        rows.append(
            [
                str(s.number),
                fmt_date(s.when, tz) if s.when else "",
                s.status,
                s.route,
                "" if s.mg_per_kg is None else f"{fmt(s.mg_per_kg)} mg/kg",
                "" if s.total_mg is None else f"{fmt(s.total_mg)} mg",
                s.band,
                str(s.flagged_vitals),
                str(s.alerts),
                "" if s.aldrete is None else f"{s.aldrete}/10",
                "Yes" if s.signed else "No",
            ]
        )
        if s.flagged_vitals:
            flagged.append((i, 7))
        if s.alerts:
            flagged.append((i, 8))
        if not s.signed and s.status == "ended":
            flagged.append((i, 10))
    widths = (0.04, 0.12, 0.09, 0.10, 0.11, 0.09, 0.11, 0.08, 0.08, 0.09, 0.09)
    out.extend(
        tb.grid(
            [
                "#",
                "Date",
                "Status",
                "Route",
                "Dose",
                "Total",
                "Band",
                "Flags",
                "Alerts",
                "Aldrete",
                "Signed",
            ],
            rows,
            [w * width for w in widths],
            flagged=flagged,
            empty="No sessions are recorded.",
        )
    )
    out.append(
        pk.para(
            "Flags: vital-sign readings outside the clinic's thresholds. Alerts: adverse "
            "events, distress and nausea recorded in the session timeline.",
            st.muted,
        )
    )
    return out


def _band_legend(series: MeasureSeries, width: float) -> Flowable:
    st = pk.styles()
    cells = []
    for lower, upper, label in series.bands:
        cells.append([Spacer(6, 6), pk.para(f"{lower}-{upper}: {label}", st.small)])
    table = Table(cells, colWidths=[8, width - 8], hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for index in range(len(series.bands)):
        colour = band_colour(index, len(series.bands))
        commands.append(("BACKGROUND", (0, index), (0, index), colour))
        commands.append(("BOX", (0, index), (0, index), 0.3, colors.grey))
    table.setStyle(TableStyle(commands))
    return table


def _measure(series: MeasureSeries, width: float, tz: Any, lead: list[Flowable]) -> list[Flowable]:
    """One instrument; ``lead`` (the section heading) is kept on the chart's page, as
    reportlab's keepWithNext cannot join a heading to a KeepTogether block."""
    st = pk.styles()
    heading = pk.h2(f"{series.short_name}: {series.name}")
    out: list[Flowable] = []
    chart = measure_chart(
        [(when, score) for when, score, _b, _c in series.points],
        series.min_score,
        series.max_score,
        series.bands,
        width,
    )
    block: list[Flowable] = [*lead, heading]
    if chart is not None:
        block.append(chart)
        if series.bands:
            block.append(_band_legend(series, width))
    out.append(KeepTogether(block))  # never a heading alone at the foot of a page
    rows = [
        [fmt_date(when, tz), context, str(score), band]
        for when, score, band, context in series.points
    ]
    out.append(Spacer(1, 2 * mm))
    out.extend(
        tb.grid(
            ["Date", "Context", "Score", "Band"],
            rows,
            [width * 0.2, width * 0.2, width * 0.1, width * 0.5],
            empty="No scored form yet.",
        )
    )
    if series.incomplete:
        out.append(
            pk.para(
                f"{series.incomplete} incomplete form(s) without a total are not charted.", st.muted
            )
        )
    if series.words:
        out.append(pk.para(series.words, st.body))
    for when, flag in series.flags:
        out.append(pk.para(f"Safety flag on {fmt_date(when, tz)}: {flag}", st.cell_flag))
    return out


def _measures(d: CourseSummaryData, width: float) -> list[Flowable]:
    st = pk.styles()
    heading = pk.h1("Outcome measures")
    if not d.measures:
        return [heading, pk.para("No outcome measures are recorded.", st.muted)]
    out: list[Flowable] = []
    for index, series in enumerate(d.measures):
        out += _measure(series, width, d.header.tz, [heading] if index == 0 else [])
    return out


def _flags(d: CourseSummaryData, width: float) -> list[Flowable]:
    st = pk.styles()
    out: list[Flowable] = [pk.h1("Safety flags")]
    rows, flagged = [], []
    tz = d.header.tz
    for i, f in enumerate(d.flags):
        resolved = "Active" if f.resolved_utc is None else fmt_datetime(f.resolved_utc, tz)
        if f.resolved_by:
            resolved += f" by {f.resolved_by}"
        rows.append(
            [
                _FLAG_LABELS.get(f.kind, str(f.kind)),
                fmt_datetime(f.raised_utc, tz),
                f.source,
                f.reason,
                resolved,
                f.resolution_note,
            ]
        )
        if f.resolved_utc is None:
            flagged.append((i, 4))
    out.extend(
        tb.grid(
            ["Flag", "Raised", "Source", "Reason", "Resolved", "Resolution"],
            rows,
            [w * width for w in (0.13, 0.15, 0.12, 0.22, 0.15, 0.23)],
            flagged=flagged,
            empty="No safety flags were raised.",
        )
    )
    out.append(pk.h2("Safety plan"))
    out.extend(pk.text_flowables(d.safety_plan, st.quote, "No safety plan recorded."))
    return out


def course_story(d: CourseSummaryData, width: float) -> list[Flowable]:
    n = len(d.sessions)
    exported = fmt_date(d.header.generated_utc, d.header.tz)
    subtitle = f"{n} session{'s' if n != 1 else ''} · exported {exported}"
    story: list[Flowable] = title_block(d.header, "KAP course summary", subtitle)
    story.extend(tb.kv_table(identity_rows(d.header), width))
    story += _courses(d, width)
    story += _screening(d, width)
    story += _sessions(d, width)
    story += _measures(d, width)
    story += _flags(d, width)
    story += addenda_section(d.addenda, d.header)
    return end_with_anchor(story, d.header)


def build_course_pdf(
    data: CourseSummaryData,
    target: IO[bytes],
    encrypt: Any = None,
    on_page: Callable[[int], None] | None = None,
) -> None:
    """Lay out the course summary into ``target``; ``on_page(n)`` after each page."""
    doc = pk.RecordDoc(target, furniture(data.header, "Course summary"), encrypt=encrypt)
    with pk.lean_reportlab():
        doc.build_story(course_story(data, doc.content_width), on_page=on_page)
