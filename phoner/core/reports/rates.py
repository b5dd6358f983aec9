"""The AAPOR report: response, cooperation, refusal and contact rates per round and phoner."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func

from phoner.core.models import (
    AAPOR_CLASS,
    AaporClass,
    CallAttempt,
    Campaign,
    Company,
    Outcome,
)
from phoner.core.reports.common import (
    NO_ROUND_LABEL,
    TOTAL,
    as_outcome,
    campaign_rounds,
    final_outcome,
    outcomes_by_round,
)
from phoner.formats.report_output import Pct, Report, ReportTable

RATE_NAMES: tuple[str, ...] = (
    "RR1",
    "RR2",
    "RR3",
    "RR4",
    "RR5",
    "RR6",
    "COOP1",
    "COOP2",
    "COOP3",
    "COOP4",
    "REF1",
    "REF2",
    "REF3",
    "CON1",
    "CON2",
    "CON3",
)


def aapor_rates(counts: Mapping[AaporClass, int], e: float) -> dict[str, Pct]:
    """AAPOR Standard Definitions rates as (numerator, denominator) pairs.

    ``e`` is the estimated share of unknown-eligibility cases (UH + UO) that are eligible.
    """
    g = {k: float(counts.get(k, 0)) for k in AaporClass}
    i, p, r, nc, o = (
        g[AaporClass.I],
        g[AaporClass.P],
        g[AaporClass.R],
        g[AaporClass.NC],
        g[AaporClass.O],
    )
    u = g[AaporClass.UH] + g[AaporClass.UO]
    known = (i + p) + (r + nc + o)
    d_all = known + u
    d_e = known + e * u
    contacted = (i + p) + r + o
    return {
        "RR1": Pct(i, d_all),
        "RR2": Pct(i + p, d_all),
        "RR3": Pct(i, d_e),
        "RR4": Pct(i + p, d_e),
        "RR5": Pct(i, known),
        "RR6": Pct(i + p, known),
        "COOP1": Pct(i, (i + p) + r + o),
        "COOP2": Pct(i + p, (i + p) + r + o),
        "COOP3": Pct(i, (i + p) + r),
        "COOP4": Pct(i + p, (i + p) + r),
        "REF1": Pct(r, d_all),
        "REF2": Pct(r, d_e),
        "REF3": Pct(r, known),
        "CON1": Pct(contacted, d_all),
        "CON2": Pct(contacted, d_e),
        "CON3": Pct(contacted, known),
    }


def _classes(per_outcome: Mapping[Outcome | None, int]) -> dict[AaporClass, int]:
    out = {k: 0 for k in AaporClass}
    for outcome, n in per_outcome.items():
        if outcome is not None:
            out[AAPOR_CLASS[outcome]] += n
    return out


def rates_report(*, session: Session, campaign: Campaign) -> Report:
    """AAPOR response, cooperation, refusal and contact rates per round and per phoner."""
    assert campaign.id is not None
    e = campaign.aapor_e
    by_round = outcomes_by_round(session, campaign.id)
    numbers = {r.id: r.number for r in campaign_rounds(session, campaign.id)}
    # per phoner: the phoner of each company's last call
    if session.get_bind().dialect.name == "sqlite":
        # the company's last call through the company_id index: one seek per company
        last = aliased(CallAttempt)
        last_id = (
            sa.select(func.max(col(last.id)))
            .where(col(last.company_id) == col(Company.id))
            .scalar_subquery()
        )
        query = (
            sa.select(col(CallAttempt.phoner), final_outcome(), func.count())
            .select_from(Company)
            .join(CallAttempt, col(CallAttempt.id) == last_id)
            .where(col(Company.campaign_id) == campaign.id)
        )
    else:
        # PostgreSQL hash-aggregates the last call of every company in one pass
        lasts = (
            sa.select(
                col(CallAttempt.company_id).label("company_id"),
                func.max(col(CallAttempt.id)).label("last_id"),
            )
            .where(col(CallAttempt.campaign_id) == campaign.id)
            .group_by(col(CallAttempt.company_id))
            .subquery()
        )
        query = (
            sa.select(col(CallAttempt.phoner), final_outcome(), func.count())
            .select_from(lasts)
            .join(CallAttempt, col(CallAttempt.id) == lasts.c.last_id)
            .join(Company, col(Company.id) == lasts.c.company_id)
        )
    phoner_rows = session.execute(
        query.where(final_outcome().is_not(None)).group_by(col(CallAttempt.phoner), final_outcome())
    ).all()
    by_phoner: dict[str, dict[Outcome | None, int]] = defaultdict(dict)
    for phoner, value, n in phoner_rows:
        by_phoner[phoner][as_outcome(value)] = int(n)

    def entry(
        per_outcome: Mapping[Outcome | None, int],
    ) -> tuple[dict[AaporClass, int], dict[str, Pct]]:
        classes = _classes(per_outcome)
        return classes, aapor_rates(classes, e)

    def payload(classes: dict[AaporClass, int], rates: dict[str, Pct]) -> dict[str, Any]:
        return {
            "cases": sum(classes.values()),
            "dispositions": {k.value: classes[k] for k in AaporClass},
            "rates": {name: rates[name].value for name in RATE_NAMES},
        }

    round_entries: list[tuple[str, int | None, dict[AaporClass, int], dict[str, Pct]]] = []
    for rid, number in numbers.items():
        classes, rates = entry(by_round.get(rid, {}))
        round_entries.append((str(number), number, classes, rates))
    orphan: dict[Outcome | None, int] = defaultdict(int)
    for rid, per in by_round.items():
        if rid not in numbers:
            for o, n in per.items():
                orphan[o] += n
    if any(o is not None for o in orphan):
        classes, rates = entry(orphan)
        round_entries.append((NO_ROUND_LABEL, None, classes, rates))
    total_outcomes: dict[Outcome | None, int] = defaultdict(int)
    for per in by_round.values():
        for o, n in per.items():
            total_outcomes[o] += n
    t_classes, t_rates = entry(total_outcomes)
    phoner_entries = [(name, *entry(per)) for name, per in sorted(by_phoner.items())]
    data = {
        "campaign": campaign.name,
        "e": e,
        "rounds": [{"round": number, **payload(c, r)} for _, number, c, r in round_entries],
        "phoners": [{"phoner": name, **payload(c, r)} for name, c, r in phoner_entries],
        "total": payload(t_classes, t_rates),
    }
    classes_cols = [k.value for k in AaporClass]

    def disp_table(
        title: str, sheet: str, first: str, items: list[tuple[str, dict[AaporClass, int]]]
    ) -> ReportTable:
        return ReportTable(
            title=title,
            sheet=sheet,
            columns=[first, "Sager", *classes_cols],
            rows=[[name, sum(c.values()), *(c[k] for k in AaporClass)] for name, c in items],
            total_rows=1,
        )

    def rate_table(
        title: str, sheet: str, first: str, items: list[tuple[str, dict[str, Pct]]]
    ) -> ReportTable:
        return ReportTable(
            title=title,
            sheet=sheet,
            columns=[first, *RATE_NAMES],
            rows=[[name, *(r[n] for n in RATE_NAMES)] for name, r in items],
            total_rows=1,
        )

    tables = [
        disp_table(
            "AAPOR-dispositioner pr. omgang (antal virksomheder)",
            "Dispositioner omgang",
            "Omgang",
            [(n, c) for n, _, c, _ in round_entries] + [(TOTAL, t_classes)],
        ),
        rate_table(
            "AAPOR-rater pr. omgang",
            "Rater omgang",
            "Omgang",
            [(n, r) for n, _, _, r in round_entries] + [(TOTAL, t_rates)],
        ),
        disp_table(
            "AAPOR-dispositioner pr. telefonist (virksomhedens sidste opkald)",
            "Dispositioner telefonist",
            "Telefonist",
            [(n, c) for n, c, _ in phoner_entries] + [(TOTAL, t_classes)],
        ),
        rate_table(
            "AAPOR-rater pr. telefonist",
            "Rater telefonist",
            "Telefonist",
            [(n, r) for n, _, r in phoner_entries] + [(TOTAL, t_rates)],
        ),
    ]
    e_text = f"{e:g}".replace(".", ",")
    return Report(
        name="rates",
        title="AAPOR-rater",
        campaign=campaign.name,
        data=data,
        tables=tables,
        notes=[
            "Kun virksomheder, der er ringet til, indgår (én gang, med deres endelige udfald).",
            "Klasser: I = de fire besvarede udfald (også 'ikke interesseret': virksomheden "
            "har besvaret spørgsmålene), NC = ring tilbage, UH = ikke truffet/optaget, "
            "UO = forkert nummer, NE = lukket, R = frabeder sig henvendelser (en afvisning). "
            "P og O bruges ikke af phoners udfald.",
            f"e (andel af ukendte, der antages at være i målgruppen) = {e_text}; "
            "ændres i kampagnens indstilling aapor_e.",
            "Nævnere: RR1/RR2/REF1/CON1 = I+P+R+NC+O+UH+UO; RR3/RR4/REF2/CON2 = "
            "I+P+R+NC+O+e·(UH+UO); RR5/RR6/REF3/CON3 = I+P+R+NC+O; COOP1/2 = I+P+R+O; "
            "COOP3/4 = I+P+R.",
        ],
    )
