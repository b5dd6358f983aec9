"""The rounds report: per round and in total, companies, the four outcomes, answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from phoner.core.models import (
    Campaign,
    Outcome,
)
from phoner.core.reports.common import (
    ANSWER_OUTCOMES,
    NO_ROUND_LABEL,
    TOTAL,
    campaign_rounds,
    frac,
    outcomes_by_round,
)
from phoner.formats.report_output import Pct, Report, ReportTable


@dataclass
class _RoundCounts:
    companies: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)

    def add(self, outcome: Outcome | None, n: int) -> None:
        assert self.outcomes is not None
        self.companies += n
        if outcome is not None:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n

    @property
    def answered(self) -> int:
        assert self.outcomes is not None
        return sum(self.outcomes.get(o, 0) for o in ANSWER_OUTCOMES)

    def payload(self) -> dict[str, Any]:
        assert self.outcomes is not None
        return {
            "companies": self.companies,
            "outcomes": {o.value: self.outcomes.get(o, 0) for o in ANSWER_OUTCOMES},
            "answered": self.answered,
            "response_rate": frac(self.answered, self.companies),
        }


def rounds_report(*, session: Session, campaign: Campaign) -> Report:
    """Per round and in total: companies, the four outcomes, answered, response rate."""
    assert campaign.id is not None
    counts = outcomes_by_round(session, campaign.id)
    rows: list[tuple[int | None, _RoundCounts]] = []
    round_ids: dict[int | None, int | None] = {}
    for r in campaign_rounds(session, campaign.id):
        round_ids[r.id] = r.number
    for rid, number in round_ids.items():
        rc = _RoundCounts()
        for outcome, n in counts.get(rid, {}).items():
            rc.add(outcome, n)
        rows.append((number, rc))
    # companies whose round was deleted or that were called without a round
    orphans = _RoundCounts()
    for rid, per in counts.items():
        if rid not in round_ids:
            for outcome, n in per.items():
                orphans.add(outcome, n)
    if orphans.companies:
        rows.append((None, orphans))
    total = _RoundCounts()
    for _, rc in rows:
        assert rc.outcomes is not None
        total.companies += rc.companies
        for o, n in rc.outcomes.items():
            total.outcomes[o] = total.outcomes.get(o, 0) + n
    data = {
        "campaign": campaign.name,
        "rounds": [{"round": number, **rc.payload()} for number, rc in rows],
        "total": total.payload(),
    }

    def label(number: int | None) -> str:
        return NO_ROUND_LABEL if number is None else str(number)

    all_rows = [(label(n), rc) for n, rc in rows] + [(TOTAL, total)]
    counts_table = ReportTable(
        title="Antal virksomheder pr. omgang",
        sheet="Antal",
        columns=[
            "Omgang",
            "Virksomheder",
            *(o.label for o in ANSWER_OUTCOMES),
            "Besvaret",
            "Ikke besvaret",
            "Besvarelsesprocent",
        ],
        rows=[
            [
                name,
                rc.companies,
                *((rc.outcomes or {}).get(o, 0) for o in ANSWER_OUTCOMES),
                rc.answered,
                rc.companies - rc.answered,
                Pct(rc.answered, rc.companies),
            ]
            for name, rc in all_rows
        ],
        total_rows=1,
        notes=["Besvarelsesprocent = besvaret / virksomheder i omgangen."],
    )
    of_companies = ReportTable(
        title="Udfald i procent af alle virksomheder i omgangen",
        sheet="Pct af virksomheder",
        columns=["Omgang", "Virksomheder", *(o.label for o in ANSWER_OUTCOMES)],
        rows=[
            [
                name,
                rc.companies,
                *(Pct((rc.outcomes or {}).get(o, 0), rc.companies) for o in ANSWER_OUTCOMES),
            ]
            for name, rc in all_rows
        ],
        total_rows=1,
        notes=["Nævner: alle virksomheder i omgangen (evalueringernes opgørelse)."],
    )
    of_answered = ReportTable(
        title="Udfald i procent af de besvarede",
        sheet="Pct af besvarede",
        columns=["Omgang", "Besvaret", *(o.label for o in ANSWER_OUTCOMES)],
        rows=[
            [
                name,
                rc.answered,
                *(Pct((rc.outcomes or {}).get(o, 0), rc.answered) for o in ANSWER_OUTCOMES),
            ]
            for name, rc in all_rows
        ],
        total_rows=1,
        notes=["Nævner: virksomheder, der har besvaret (et af de fire udfald)."],
    )
    return Report(
        name="rounds",
        title="Omgange",
        campaign=campaign.name,
        data=data,
        tables=[counts_table, of_companies, of_answered],
        notes=[
            "En virksomhed tælles én gang, i sin egen omgang, med sit endelige udfald.",
            "Procenter er afrundet til hele procent; JSON-udgaven har de uafrundede brøker.",
        ],
    )
