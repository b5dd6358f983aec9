"""The follow-ups report: open, done and overdue follow-ups; the lag from call to contact."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from phoner.core.clock import local_date
from phoner.core.display import format_date
from phoner.core.models import (
    Booking,
    CallAttempt,
    Campaign,
    Company,
    Consultant,
    FollowUp,
    Jobcenter,
    Outcome,
    VisitResult,
    utcnow,
)
from phoner.core.reports.common import (
    NO_CONSULTANT,
    NO_JOBCENTER,
    NO_ROUND_LABEL,
    TOTAL,
    campaign_rounds,
    final_outcome,
    percentile,
)
from phoner.core.visits import CONTACT_STATUSES
from phoner.formats.report_output import Num, Pct, Report, ReportTable


def _call_to_contact(session: Session, campaign_id: int) -> list[tuple[int | None, float | None]]:
    """(round id, lag in days or None if no contact yet) per company wanting contact."""
    first_call = (
        sa.select(
            col(CallAttempt.company_id).label("company_id"),
            func.min(col(CallAttempt.ended_at)).label("called_at"),
        )
        .where(
            col(CallAttempt.campaign_id) == campaign_id,
            col(CallAttempt.outcome) == Outcome.VIL_KONTAKTES,
        )
        .group_by(col(CallAttempt.company_id))
        .subquery()
    )
    fu_done = (
        sa.select(
            col(FollowUp.company_id).label("company_id"),
            func.min(col(FollowUp.done_at)).label("at"),
        )
        .where(col(FollowUp.campaign_id) == campaign_id, col(FollowUp.done_at).is_not(None))
        .group_by(col(FollowUp.company_id))
        .subquery()
    )
    visit_held = (
        sa.select(
            col(Booking.company_id).label("company_id"),
            func.min(col(Booking.start)).label("at"),
        )
        .join(VisitResult, col(VisitResult.booking_id) == col(Booking.id))
        .where(
            col(Booking.campaign_id) == campaign_id,
            col(VisitResult.status).in_(list(CONTACT_STATUSES)),
        )
        .group_by(col(Booking.company_id))
        .subquery()
    )
    rows = session.execute(
        sa.select(col(Company.round_id), first_call.c.called_at, fu_done.c.at, visit_held.c.at)
        .join(first_call, first_call.c.company_id == col(Company.id))
        .outerjoin(fu_done, fu_done.c.company_id == col(Company.id))
        .outerjoin(visit_held, visit_held.c.company_id == col(Company.id))
        .where(
            col(Company.campaign_id) == campaign_id,
            final_outcome() == Outcome.VIL_KONTAKTES,
        )
    ).all()
    out: list[tuple[int | None, float | None]] = []
    for round_id, called, fu_at, visit_at in rows:
        called_at = _aware(called)
        contacts = [t for t in (_aware(fu_at), _aware(visit_at)) if t is not None]
        if called_at is None or not contacts:
            out.append((round_id, None))
            continue
        lag = (min(contacts) - called_at).total_seconds() / 86400
        out.append((round_id, max(0.0, lag)))
    return out


def _aware(value: Any) -> dt.datetime | None:
    """Timestamps from aggregates come back as datetime (or text on SQLite): make them UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def followups_report(
    *, session: Session, campaign: Campaign, today: dt.date | None = None
) -> Report:
    """Follow-ups open, done and overdue per jobcenter and consultant; call-to-contact lag."""
    assert campaign.id is not None
    today = today or local_date(utcnow())
    is_open = col(FollowUp.done_at).is_(None)
    overdue = sa.and_(is_open, col(FollowUp.due_date) < today)
    jc_id = func.coalesce(col(Consultant.jobcenter_id), col(Company.jobcenter_id))
    rows = session.execute(
        sa.select(
            jc_id.label("jobcenter_id"),
            col(FollowUp.consultant_id),
            func.sum(sa.case((is_open, 1), else_=0)),
            func.sum(sa.case((overdue, 1), else_=0)),
            func.sum(sa.case((is_open, 0), else_=1)),
        )
        .join(Company, col(Company.id) == col(FollowUp.company_id))
        .outerjoin(Consultant, col(Consultant.id) == col(FollowUp.consultant_id))
        .where(col(FollowUp.campaign_id) == campaign.id)
        .group_by(jc_id, col(FollowUp.consultant_id))
    ).all()
    jc_names = {j.id: j.name for j in session.exec(select(Jobcenter)).all()}
    k_names = {k.id: k.name for k in session.exec(select(Consultant)).all()}
    per_consultant: list[dict[str, Any]] = []
    per_jc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    total = [0, 0, 0]
    for jid, kid, n_open, n_over, n_done in rows:
        jname = jc_names.get(jid, NO_JOBCENTER)
        kname = k_names.get(kid, NO_CONSULTANT)
        vals = [int(n_open or 0), int(n_over or 0), int(n_done or 0)]
        per_consultant.append(
            {
                "jobcenter": jname,
                "consultant": kname,
                "open": vals[0],
                "overdue": vals[1],
                "done": vals[2],
            }
        )
        for i, v in enumerate(vals):
            per_jc[jname][i] += v
            total[i] += v
    per_consultant.sort(key=lambda d: (d["jobcenter"], d["consultant"]))
    # lag per round
    lags = _call_to_contact(session, campaign.id)
    numbers = {r.id: r.number for r in campaign_rounds(session, campaign.id)}
    by_round: dict[int | None, list[float | None]] = defaultdict(list)
    for rid, lag in lags:
        by_round[numbers.get(rid) if rid in numbers else None].append(lag)

    def lag_entry(values: list[float | None]) -> dict[str, Any]:
        measured = [v for v in values if v is not None]
        return {
            "wants_contact": len(values),
            "contacted": len(measured),
            "not_contacted": len(values) - len(measured),
            "median_days": statistics.median(measured) if measured else None,
            "p90_days": percentile(measured, 0.9),
        }

    round_keys = sorted(numbers.values())
    if None in by_round:
        round_keys_all: list[int | None] = [*round_keys, None]
    else:
        round_keys_all = list(round_keys)
    lag_rows = [(k, lag_entry(by_round.get(k, []))) for k in round_keys_all]
    lag_total = lag_entry([v for vs in by_round.values() for v in vs])
    data = {
        "campaign": campaign.name,
        "today": today.isoformat(),
        "consultants": per_consultant,
        "jobcenters": [
            {"jobcenter": j, "open": v[0], "overdue": v[1], "done": v[2]}
            for j, v in sorted(per_jc.items())
        ],
        "total": {"open": total[0], "overdue": total[1], "done": total[2]},
        "lag": [{"round": k, **entry} for k, entry in lag_rows],
        "lag_total": lag_total,
    }

    def fu_row(first: list[str], v: list[int]) -> list[Any]:
        return [*first, v[0], v[1], Pct(v[1], v[0]), v[2], v[0] + v[2]]

    fu_cols = ["Åbne", "Heraf overskredet", "Overskredet %", "Udført", "I alt"]
    jc_table = ReportTable(
        title="Opfølgninger pr. jobcenter",
        sheet="Pr. jobcenter",
        columns=["Jobcenter", *fu_cols],
        rows=[fu_row([j], v) for j, v in sorted(per_jc.items())] + [fu_row([TOTAL], total)],
        total_rows=1,
        notes=[
            f"Overskredet = ikke udført og fristen var før {format_date(today)}. "
            "Overskredet % = overskredne / åbne."
        ],
    )
    k_table = ReportTable(
        title="Opfølgninger pr. konsulent",
        sheet="Pr. konsulent",
        columns=["Jobcenter", "Konsulent", *fu_cols],
        rows=[
            fu_row([d["jobcenter"], d["consultant"]], [d["open"], d["overdue"], d["done"]])
            for d in per_consultant
        ]
        + [fu_row([TOTAL, ""], total)],
        total_rows=1,
    )

    def lag_row(name: str, entry: dict[str, Any]) -> list[Any]:
        return [
            name,
            entry["wants_contact"],
            entry["contacted"],
            entry["not_contacted"],
            Num(entry["median_days"]),
            Num(entry["p90_days"]),
        ]

    lag_table = ReportTable(
        title="Tid fra opkald til konsulentens første kontakt (dage)",
        sheet="Tid til kontakt",
        columns=[
            "Omgang",
            "Vil kontaktes",
            "Kontaktet",
            "Ikke kontaktet endnu",
            "Median",
            "90 %-fraktil",
        ],
        rows=[lag_row(NO_ROUND_LABEL if k is None else str(k), e) for k, e in lag_rows]
        + [lag_row(TOTAL, lag_total)],
        total_rows=1,
        notes=[
            "Fra telefonistens første opkald med udfaldet 'vil kontaktes' til den første "
            "udførte opfølgning eller det første afholdte (evt. afkortede/telefoniske) besøg. "
            "Median og 90 %-fraktil er over de kontaktede virksomheder."
        ],
    )
    return Report(
        name="followups",
        title="Opfølgninger",
        campaign=campaign.name,
        data=data,
        tables=[jc_table, k_table, lag_table],
    )
