"""The reasons report: why companies said "Ikke interesseret", and who said "Ikke nu, men
senere" with the day they expect a need (the evaluations: "hvis man fornemmer, at de skal
lave noget til efteråret …").

Each company counts once, by its latest "Ikke interesseret" call (a company called twice
is not counted twice); calls saved before reasons were asked for show as "Ikke angivet".
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func

from phoner.core import vocabulary
from phoner.core.display import format_date
from phoner.core.models import CallAttempt, Campaign, Company, NotInterestedReason, Outcome
from phoner.core.reports.common import TOTAL, frac
from phoner.formats.report_output import Cell, Pct, Report, ReportTable

NOT_GIVEN = "Ikke angivet"


def _latest(campaign_id: int, outcome: Outcome) -> Any:
    """Subquery: each company's latest attempt with ``outcome`` in the campaign."""
    return (
        sa.select(func.max(col(CallAttempt.id)).label("attempt_id"))
        .where(col(CallAttempt.campaign_id) == campaign_id, col(CallAttempt.outcome) == outcome)
        .group_by(col(CallAttempt.company_id))
        .subquery()
    )


def reasons_report(*, session: Session, campaign: Campaign) -> Report:
    """Counts per "Ikke interesseret" reason, the "Andet" words, the "Ikke nu" list."""
    assert campaign.id is not None
    latest = _latest(campaign.id, Outcome.IKKE_INTERESSERET)
    rows = session.execute(
        sa.select(col(Company.name), col(CallAttempt.reason), col(CallAttempt.reason_text))
        .join(latest, latest.c.attempt_id == col(CallAttempt.id))
        .join(Company, col(Company.id) == col(CallAttempt.company_id))
        .order_by(col(Company.name), col(Company.id))
    ).all()
    counts: dict[NotInterestedReason | None, int] = {}
    others: list[list[Any]] = []
    for name, reason, text in rows:
        member = NotInterestedReason(reason) if reason is not None else None
        counts[member] = counts.get(member, 0) + 1
        if member == NotInterestedReason.ANDET:
            others.append([name, text or ""])
    total = len(rows)
    order: list[NotInterestedReason | None] = [*NotInterestedReason, None]
    later = _latest(campaign.id, Outcome.IKKE_NU)
    revisits = session.execute(
        sa.select(
            col(Company.name),
            col(Company.cvr),
            col(CallAttempt.phoner),
            col(CallAttempt.revisit_on),
            col(CallAttempt.callback_at),
        )
        .join(later, later.c.attempt_id == col(CallAttempt.id))
        .join(Company, col(Company.id) == col(CallAttempt.company_id))
        .order_by(col(CallAttempt.revisit_on), col(Company.name))
    ).all()
    data = {
        "campaign": campaign.name,
        "not_interested": {
            "total": total,
            "reasons": {
                (m.value if m is not None else "none"): {
                    "companies": counts.get(m, 0),
                    "share": frac(counts.get(m, 0), total),
                }
                for m in order
            },
            "other_texts": [{"company": n, "text": t} for n, t in others],
        },
        "not_now": [
            {
                "company": name,
                "cvr": cvr,
                "phoner": phoner,
                "revisit_on": revisit.isoformat() if revisit else None,
                "comes_back_at": back.isoformat() if back else None,
            }
            for name, cvr, phoner, revisit, back in revisits
        ],
    }
    reason_rows: list[list[Cell]] = [
        [
            vocabulary.label(m) if m is not None else NOT_GIVEN,
            counts.get(m, 0),
            Pct(counts.get(m, 0), total),
        ]
        for m in order
    ]
    reasons_table = ReportTable(
        title="Ikke interesseret: årsager",
        sheet="Årsager",
        columns=["Årsag", "Virksomheder", "Andel"],
        rows=[*reason_rows, [TOTAL, total, Pct(total, total)]],
        total_rows=1,
        notes=["Andel = virksomheder med årsagen / alle, der sagde 'Ikke interesseret'."],
    )
    other_table = ReportTable(
        title="Årsagen 'Andet': hvad virksomhederne sagde",
        sheet="Andet",
        columns=["Virksomhed", "Årsag"],
        rows=others,
    )
    later_table = ReportTable(
        title="Ikke nu, men senere",
        sheet="Senere",
        columns=["Virksomhed", "CVR", "Telefonist", "Forventer behov", "Ringes op igen fra"],
        rows=[
            [
                name,
                cvr or "",
                phoner,
                format_date(revisit) if revisit else "",
                format_date(back) if back else "",
            ]
            for name, cvr, phoner, revisit, back in revisits
        ],
        notes=["Virksomheden kommer tilbage i køen til telefonisterne fra den dag."],
    )
    return Report(
        name="reasons",
        title=f"Årsager og 'Ikke nu, men senere' – {campaign.name}",
        campaign=campaign.name,
        data=data,
        tables=[reasons_table, other_table, later_table],
    )
