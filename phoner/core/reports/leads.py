"""The leads export: every ``vil_kontaktes`` with what the phoner captured, for consultants."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func

from phoner.core.display import format_date
from phoner.core.models import (
    Booking,
    BookingStatus,
    CallAttempt,
    Campaign,
    Company,
    Consultant,
    FollowUp,
    Jobcenter,
    MeetingStatus,
    Outcome,
    Round,
    VisitResult,
    utcnow,
)
from phoner.core.reports.common import (
    NO_JOBCENTER,
    TOTAL,
    final_outcome,
)
from phoner.core.visits import CONTACT_STATUSES, MEETING_STATUS_LABELS
from phoner.formats.report_output import Cell, Report, ReportTable


def _needs_labels(campaign: Campaign, workspace: Path | None) -> dict[str, str]:
    """Needs field key -> Danish label from the campaign's call script (keys if unreadable)."""
    from phoner.core.campaigns import campaign_script_or_none

    script = campaign_script_or_none(campaign, workspace=workspace)
    return {} if script is None else {f.key: f.label for f in script.needs_fields}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _visit_status_text(status: MeetingStatus | None) -> str:
    return "Booket, uden resultat endnu" if status is None else MEETING_STATUS_LABELS[status]


def leads_report(*, session: Session, campaign: Campaign, workspace: Path | None = None) -> Report:
    """Every ``vil_kontaktes`` with what the phoner captured: one sheet per jobcenter.

    The hand-over to consultants (the 2006 campaign's Excel sheet, done well): company,
    contact, the call (when, who, answers, needs, note), the booked visit if any, and the
    follow-up's owner and due date.
    """
    from phoner.core.display import format_local
    from phoner.core.phones import format_phone

    assert campaign.id is not None
    lead_ids = sa.select(col(Company.id)).where(
        col(Company.campaign_id) == campaign.id, final_outcome() == Outcome.VIL_KONTAKTES
    )
    # only the leads' own calls (by company_id), not a scan of every call in the campaign
    vk_attempt = (
        sa.select(
            col(CallAttempt.company_id).label("company_id"),
            func.max(col(CallAttempt.id)).label("attempt_id"),
        )
        .where(
            col(CallAttempt.company_id).in_(lead_ids),
            # "+ 0": a filter, not an index choice (SQLite would scan the campaign's calls)
            col(CallAttempt.campaign_id) + 0 == campaign.id,
            col(CallAttempt.outcome) == Outcome.VIL_KONTAKTES,
        )
        .group_by(col(CallAttempt.company_id))
        .subquery()
    )
    rows = session.execute(
        sa.select(Company, CallAttempt, col(Jobcenter.name), col(Round.number))
        .outerjoin(vk_attempt, vk_attempt.c.company_id == col(Company.id))
        .outerjoin(CallAttempt, col(CallAttempt.id) == vk_attempt.c.attempt_id)
        .outerjoin(Jobcenter, col(Jobcenter.id) == col(Company.jobcenter_id))
        .outerjoin(Round, col(Round.id) == col(Company.round_id))
        .where(col(Company.campaign_id) == campaign.id, final_outcome() == Outcome.VIL_KONTAKTES)
        .order_by(col(Jobcenter.name), col(Company.name))
    ).all()
    # subqueries, not IN lists of bound ids (compiling 10,000 parameters is slow)
    bookings: dict[int, tuple[Booking, str, MeetingStatus | None]] = {}
    follow: dict[int, tuple[FollowUp, str | None]] = {}
    if rows:
        for bk, kname, vstatus in session.execute(
            sa.select(Booking, col(Consultant.name), col(VisitResult.status))
            .join(Consultant, col(Consultant.id) == col(Booking.consultant_id))
            .outerjoin(VisitResult, col(VisitResult.booking_id) == col(Booking.id))
            .where(
                col(Booking.company_id).in_(lead_ids),
                col(Booking.status) == BookingStatus.BOOKED,
            )
            .order_by(col(Booking.start))
        ).all():
            bookings[bk.company_id] = (bk, kname, vstatus)  # the latest visit wins
        for f, kname in session.execute(
            sa.select(FollowUp, col(Consultant.name))
            .outerjoin(Consultant, col(Consultant.id) == col(FollowUp.consultant_id))
            .where(col(FollowUp.company_id).in_(lead_ids))
            .order_by(col(FollowUp.done_at).is_not(None), col(FollowUp.due_date))
        ).all():
            follow.setdefault(f.company_id, (f, kname))
    labels = _needs_labels(campaign, workspace)
    keys: list[str] = list(labels)
    for _, attempt, _, _ in rows:
        if attempt is not None:
            keys.extend(k for k in attempt.needs if k not in keys)
    columns = [
        "Firmanavn",
        "CVR-nr.",
        "Telefon",
        "Kontaktperson",
        "E-mail",
        "Adresse",
        "Postnr.",
        "By",
        "Kommune",
        "Branche",
        "Antal ansatte",
        "Omgang",
        "Ringet",
        "Telefonist",
        *(labels.get(k, k) for k in keys),
        "Svar i samtalen",
        "Note fra opkaldet",
        "Besøg booket",
        "Konsulent (besøg)",
        "Besøgsstatus",
        "Opfølgning: ansvarlig",
        "Opfølgning: frist",
        "Opfølgning: status",
    ]
    per_jc: dict[str, list[list[Cell]]] = defaultdict(list)
    overview: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for company, attempt, jc_name, round_no in rows:
        jname = jc_name or NO_JOBCENTER
        booking = bookings.get(company.id) if company.id is not None else None
        fu = follow.get(company.id) if company.id is not None else None
        answers = attempt.answers if attempt is not None else {}
        needs = attempt.needs if attempt is not None else {}
        if fu is None:
            fu_status = ""
        elif fu[0].done_at is not None:
            fu_status = f"Udført {format_local(fu[0].done_at, weekday=False)}"
        else:
            fu_status = "Åben"
        per_jc[jname].append(
            [
                company.name,
                company.cvr or "",
                ", ".join(format_phone(p) for p in company.phones),
                company.contact_person or "",
                company.email or "",
                company.address or "",
                company.postcode or "",
                company.city or "",
                company.municipality or "",
                company.industry or "",
                company.employees,
                round_no,
                format_local(attempt.ended_at) if attempt is not None else "",
                attempt.phoner if attempt is not None else "",
                *(_text(needs.get(k)) for k in keys),
                "; ".join(f"{q}: {_text(a)}" for q, a in answers.items()),
                (attempt.note or "") if attempt is not None else "",
                format_local(booking[0].start) if booking else "",
                booking[1] if booking else "",
                _visit_status_text(booking[2]) if booking else "",
                (fu[1] or "ingen") if fu else "",
                format_date(fu[0].due_date) if fu else "",
                fu_status,
            ]
        )
        o = overview[jname]
        o[0] += 1
        o[1] += 1 if booking and (booking[2] is None or booking[2] in CONTACT_STATUSES) else 0
        o[2] += 1 if fu and fu[0].done_at is None else 0
        o[3] += 1 if fu and fu[0].done_at is None and fu[1] is None else 0
    total = [sum(v[i] for v in overview.values()) for i in range(4)]
    overview_rows: list[list[Cell]] = [[j, *v] for j, v in sorted(overview.items())]
    overview_rows.append([TOTAL, *total])
    tables = [
        ReportTable(
            title="Oversigt",
            sheet="Oversigt",
            columns=[
                "Jobcenter",
                "Vil kontaktes",
                "Med besøg (booket/afholdt)",
                "Med åben opfølgning",
                "Åben opfølgning uden ansvarlig",
            ],
            rows=overview_rows,
            total_rows=1,
        )
    ]
    for jname in sorted(per_jc):
        tables.append(ReportTable(title=jname, sheet=jname, columns=columns, rows=per_jc[jname]))
    return Report(
        name="leads",
        title="Virksomheder, der vil kontaktes",
        campaign=campaign.name,
        data={
            "campaign": campaign.name,
            "jobcenters": {j: v[0] for j, v in sorted(overview.items())},
            "total": total[0],
        },
        tables=tables,
        notes=[
            f"Udtrukket {format_local(utcnow())} (dansk tid). Én fane pr. jobcenter.",
            "Ringet, besøg og frister er dansk tid.",
        ],
    )
