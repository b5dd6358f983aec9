"""The campaign reports jobcenters and evaluators ask for, computed in the database.

Every report is an aggregate query (GROUP BY) over the campaign, so a campaign of 100,000
companies and 400,000 calls reports interactively; only small per-group results come back
to Python. Each function returns a :class:`~phoner.formats.report_output.Report`: a JSON
payload with raw counts and unrounded fractions, and tables with whole percentages and
their denominators stated.

Counting rules (the evaluations' conventions):

- a company counts once, in *its own* round (``Company.round_id``), with its final
  outcome: ``Company.final_outcome``, else the outcome of its last call
  (``Company.last_outcome``), however many times and in whichever rounds it was called;
- *answered* (besvaret) = one of the four substantive outcomes;
- *companies in the round* = companies of the round that were called, plus those not
  called yet that the jobcenter's clearing kept and that are in the target group
  (companies removed in clearing and never called are not part of the campaign);
- AAPOR rates use :data:`~phoner.core.models.AAPOR_CLASS` and the campaign's ``aapor_e``.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from phoner.core import geography
from phoner.core.followups import LOCAL_TZ, local_date
from phoner.core.lists.eligibility import kept_clause
from phoner.core.models import (
    AAPOR_CLASS,
    AGREEMENT_LABELS,
    SUBSTANTIVE_OUTCOMES,
    AaporClass,
    Agreement,
    AgreementCategory,
    Booking,
    BookingStatus,
    CallAttempt,
    Campaign,
    CampaignJobcenter,
    CancelReason,
    Company,
    CompanyCancelReason,
    Consultant,
    FollowUp,
    Jobcenter,
    MeetingStatus,
    Outcome,
    Round,
    RoundState,
    VisitResult,
    utcnow,
)
from phoner.core.visits import CANCEL_REASON_LABELS, CONTACT_STATUSES, MEETING_STATUS_LABELS
from phoner.formats.report_output import Cell, Num, Pct, Report, ReportTable

#: The four substantive outcomes in the evaluations' column order.
ANSWER_OUTCOMES: tuple[Outcome, ...] = (
    Outcome.VIL_KONTAKTES,
    Outcome.IKKE_INTERESSERET,
    Outcome.HAR_FLEKSJOBBERE,
    Outcome.HAR_KONTAKT,
)
NO_ROUND_LABEL = "Uden omgang"
NO_JOBCENTER = "Uden jobcenter"
NO_CONSULTANT = "Ingen ansvarlig"
TOTAL = "I alt"


def _frac(num: float, den: float) -> float | None:
    return None if not den else num / den


def final_outcome() -> ColumnElement[Any]:
    """SQL: the company's final outcome (final, else the last call's)."""
    return func.coalesce(col(Company.final_outcome), col(Company.last_outcome))


def _as_outcome(value: Any) -> Outcome | None:
    if value is None:
        return None
    return value if isinstance(value, Outcome) else Outcome(str(value))


def _in_campaign_clause(campaign_id: int) -> ColumnElement[bool]:
    """Companies that are part of the campaign's reported population (see module doc)."""
    return sa.and_(
        col(Company.campaign_id) == campaign_id,
        sa.or_(
            final_outcome().is_not(None),
            sa.and_(kept_clause(), col(Company.out_of_target).is_(None)),
        ),
    )


def _rounds(session: Session, campaign_id: int) -> list[Round]:
    return list(
        session.exec(
            select(Round).where(Round.campaign_id == campaign_id).order_by(col(Round.number))
        ).all()
    )


# --------------------------------------------------------------------------- rounds


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
            "response_rate": _frac(self.answered, self.companies),
        }


def _outcomes_by_round(
    session: Session, campaign_id: int
) -> dict[int | None, dict[Outcome | None, int]]:
    """Companies per (round id, final outcome) for the reported population."""
    outcome = final_outcome().label("outcome")
    rows = session.execute(
        sa.select(col(Company.round_id), outcome, func.count().label("n"))
        .where(
            _in_campaign_clause(campaign_id),
            sa.or_(col(Company.round_id).is_not(None), final_outcome().is_not(None)),
        )
        .group_by(col(Company.round_id), final_outcome())
    ).all()
    out: dict[int | None, dict[Outcome | None, int]] = defaultdict(dict)
    for round_id, value, n in rows:
        out[round_id][_as_outcome(value)] = int(n)
    return out


def rounds_report(*, session: Session, campaign: Campaign) -> Report:
    """Per round and in total: companies, the four outcomes, answered, response rate."""
    assert campaign.id is not None
    counts = _outcomes_by_round(session, campaign.id)
    rows: list[tuple[int | None, _RoundCounts]] = []
    round_ids: dict[int | None, int | None] = {}
    for r in _rounds(session, campaign.id):
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


# --------------------------------------------------------------------------- AAPOR rates

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
    by_round = _outcomes_by_round(session, campaign.id)
    numbers = {r.id: r.number for r in _rounds(session, campaign.id)}
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
        by_phoner[phoner][_as_outcome(value)] = int(n)

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
            "UO = forkert nummer, NE = lukket. P, R og O bruges ikke af phoners udfald.",
            f"e (andel af ukendte, der antages at være i målgruppen) = {e_text}; "
            "ændres i kampagnens indstilling aapor_e.",
            "Nævnere: RR1/RR2/REF1/CON1 = I+P+R+NC+O+UH+UO; RR3/RR4/REF2/CON2 = "
            "I+P+R+NC+O+e·(UH+UO); RR5/RR6/REF3/CON3 = I+P+R+NC+O; COOP1/2 = I+P+R+O; "
            "COOP3/4 = I+P+R.",
        ],
    )


# --------------------------------------------------------------------------- follow-ups


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) of ``values``; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


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
    numbers = {r.id: r.number for r in _rounds(session, campaign.id)}
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
            f"Overskredet = ikke udført og fristen var før {today:%d-%m-%Y}. "
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


# --------------------------------------------------------------------------- visits

#: Status columns of the visits report, in order (``afventer``: no result yet).
VISIT_STATUS_KEYS: tuple[str, ...] = (*(s.value for s in MeetingStatus), "afventer")
VISIT_STATUS_LABELS: dict[str, str] = {
    **{s.value: label for s, label in MEETING_STATUS_LABELS.items()},
    "afventer": "Uden tilbagemelding",
}
CANCEL_KEYS: tuple[str, ...] = (*(r.value for r in CompanyCancelReason), "ikke_oplyst")
CANCEL_KEY_LABELS: dict[str, str] = {
    **{r.value: label for r, label in CANCEL_REASON_LABELS.items()},
    "ikke_oplyst": "Ikke oplyst",
}


def _counted_booking() -> ColumnElement[bool]:
    """A booking that counts as a booked visit (a moved booking counts once: the new one)."""
    return sa.not_(
        sa.and_(
            col(Booking.status) == BookingStatus.CANCELLED,
            col(Booking.cancel_reason) == CancelReason.MOVED,
        )
    )


@dataclass
class _VisitGroup:
    booked: int = 0
    feedback: int = 0
    statuses: dict[str, int] | None = None
    reasons: dict[str, int] | None = None
    agreements: dict[str, int] | None = None

    def __post_init__(self) -> None:
        self.statuses = {k: 0 for k in VISIT_STATUS_KEYS}
        self.reasons = {k: 0 for k in CANCEL_KEYS}
        self.agreements = {c.value: 0 for c in AgreementCategory}

    def merge(self, other: _VisitGroup) -> None:
        assert self.statuses and self.reasons and self.agreements is not None
        assert other.statuses and other.reasons and other.agreements is not None
        self.booked += other.booked
        self.feedback += other.feedback
        for k, v in other.statuses.items():
            self.statuses[k] += v
        for k, v in other.reasons.items():
            self.reasons[k] += v
        for k, v in other.agreements.items():
            self.agreements[k] += v

    def payload(self) -> dict[str, Any]:
        assert self.agreements is not None
        return {
            "booked": self.booked,
            "feedback": self.feedback,
            "feedback_rate": _frac(self.feedback, self.booked),
            "statuses": dict(self.statuses or {}),
            "company_cancel_reasons": dict(self.reasons or {}),
            "agreements": dict(self.agreements),
            "agreements_total": sum(self.agreements.values()),
        }


def _area_of(value: Any) -> str:
    return value if value in geography.RAR_AREAS else geography.NO_AREA


def visits_report(*, session: Session, campaign: Campaign) -> Report:
    """Booked, held, cancelled (by reason), no-shows, short/phone, feedback; agreements
    per category, by RAR area (8 + "Ikke fordelt") and by jobcenter, with a national total.
    """
    assert campaign.id is not None
    status_key = sa.case(
        (col(VisitResult.status).is_not(None), sa.cast(col(VisitResult.status), sa.String)),
        (
            sa.and_(
                col(Booking.status) == BookingStatus.CANCELLED,
                col(Booking.cancel_reason) == CancelReason.COMPANY_CANCELLED,
            ),
            MeetingStatus.AFLYST_AF_VIRKSOMHEDEN.value,
        ),
        (
            sa.and_(
                col(Booking.status) == BookingStatus.CANCELLED,
                col(Booking.cancel_reason) == CancelReason.CONSULTANT_CANCELLED,
            ),
            MeetingStatus.AFLYST_AF_KONSULENTEN.value,
        ),
        else_="afventer",
    )
    reason_key = sa.case(
        (
            col(VisitResult.company_cancel_reason).is_not(None),
            sa.cast(col(VisitResult.company_cancel_reason), sa.String),
        ),
        else_="ikke_oplyst",
    )
    base = (
        sa.select(
            col(Jobcenter.rar_area),
            col(Jobcenter.name),
            status_key.label("status"),
            reason_key.label("reason"),
            func.count(col(Booking.id)),
            func.count(col(VisitResult.id)),
        )
        .select_from(Booking)
        .join(Company, col(Company.id) == col(Booking.company_id))
        .outerjoin(Jobcenter, col(Jobcenter.id) == col(Company.jobcenter_id))
        .outerjoin(VisitResult, col(VisitResult.booking_id) == col(Booking.id))
        .where(col(Booking.campaign_id) == campaign.id, _counted_booking())
        .group_by(col(Jobcenter.rar_area), col(Jobcenter.name), status_key, reason_key)
    )
    areas: dict[str, _VisitGroup] = {
        a: _VisitGroup() for a in (*geography.RAR_AREAS, geography.NO_AREA)
    }
    jobcenters: dict[str, _VisitGroup] = defaultdict(_VisitGroup)
    for area_value, jc_name, status, reason, n_booked, n_feedback in session.execute(base).all():
        g = _VisitGroup()
        g.booked = int(n_booked)
        g.feedback = int(n_feedback)
        assert g.statuses is not None and g.reasons is not None
        g.statuses[str(status)] += int(n_booked)
        if str(status) == MeetingStatus.AFLYST_AF_VIRKSOMHEDEN.value:
            g.reasons[str(reason)] += int(n_booked)
        areas[_area_of(area_value)].merge(g)
        jobcenters[jc_name or NO_JOBCENTER].merge(g)
    agreement_rows = session.execute(
        sa.select(
            col(Jobcenter.rar_area),
            col(Jobcenter.name),
            col(Agreement.category),
            func.sum(col(Agreement.count)),
        )
        .select_from(Agreement)
        .join(VisitResult, col(VisitResult.id) == col(Agreement.visit_result_id))
        .join(Booking, col(Booking.id) == col(VisitResult.booking_id))
        .join(Company, col(Company.id) == col(Booking.company_id))
        .outerjoin(Jobcenter, col(Jobcenter.id) == col(Company.jobcenter_id))
        .where(col(Booking.campaign_id) == campaign.id, _counted_booking())
        .group_by(col(Jobcenter.rar_area), col(Jobcenter.name), col(Agreement.category))
    ).all()
    for area_value, jc_name, category, n in agreement_rows:
        key = category.value if isinstance(category, AgreementCategory) else str(category)
        a_group = areas[_area_of(area_value)]
        j_group = jobcenters[jc_name or NO_JOBCENTER]
        assert a_group.agreements is not None and j_group.agreements is not None
        a_group.agreements[key] += int(n or 0)
        j_group.agreements[key] += int(n or 0)
    total = _VisitGroup()
    for g in areas.values():
        total.merge(g)
    jc_sorted = sorted(jobcenters.items())
    data = {
        "campaign": campaign.name,
        "areas": [{"area": a, **g.payload()} for a, g in areas.items()],
        "jobcenters": [{"jobcenter": j, **g.payload()} for j, g in jc_sorted],
        "total": total.payload(),
    }
    status_cols = [VISIT_STATUS_LABELS[k] for k in VISIT_STATUS_KEYS]
    cat_cols = [AGREEMENT_LABELS[c] for c in AgreementCategory]

    def visit_row(name: str, g: _VisitGroup) -> list[Any]:
        assert g.statuses is not None
        return [
            name,
            g.booked,
            g.feedback,
            Pct(g.feedback, g.booked),
            *(g.statuses[k] for k in VISIT_STATUS_KEYS),
        ]

    def agreement_row(name: str, g: _VisitGroup) -> list[Any]:
        assert g.agreements is not None
        return [
            name,
            *(g.agreements[c.value] for c in AgreementCategory),
            sum(g.agreements.values()),
        ]

    visit_cols = ["Bookede besøg", "Med tilbagemelding", "Tilbagemeldingsprocent", *status_cols]
    area_items = [*areas.items(), ("Hele landet", total)]
    jc_items = [*jc_sorted, ("Hele landet", total)]
    assert total.reasons is not None
    n_cancel = sum(total.reasons.values())
    reason_rows: list[list[Cell]] = [
        [CANCEL_KEY_LABELS[k], total.reasons[k], Pct(total.reasons[k], n_cancel)]
        for k in CANCEL_KEYS
    ]
    reason_rows.append([TOTAL, n_cancel, Pct(n_cancel, n_cancel)])
    tables = [
        ReportTable(
            title="Besøg pr. RAR-område",
            sheet="Besøg pr. område",
            columns=["RAR-område", *visit_cols],
            rows=[visit_row(n, g) for n, g in area_items],
            total_rows=1,
            notes=[
                "Tilbagemeldingsprocent = besøg med registreret resultat / bookede besøg. "
                "Et flyttet besøg tæller én gang (den nye booking).",
                "Besøg aflyst i phoner før besøget tæller som aflyst (virksomhed/konsulent), "
                "også uden tilbagemelding.",
            ],
        ),
        ReportTable(
            title="Aftaler pr. RAR-område (antal pladser)",
            sheet="Aftaler pr. område",
            columns=["RAR-område", *cat_cols, "Aftaler i alt"],
            rows=[agreement_row(n, g) for n, g in area_items],
            total_rows=1,
        ),
        ReportTable(
            title="Besøg pr. jobcenter",
            sheet="Besøg pr. jobcenter",
            columns=["Jobcenter", *visit_cols],
            rows=[visit_row(n, g) for n, g in jc_items],
            total_rows=1,
        ),
        ReportTable(
            title="Aftaler pr. jobcenter (antal pladser)",
            sheet="Aftaler pr. jobcenter",
            columns=["Jobcenter", *cat_cols, "Aftaler i alt"],
            rows=[agreement_row(n, g) for n, g in jc_items],
            total_rows=1,
        ),
        ReportTable(
            title="Aflyst af virksomheden, pr. årsag",
            sheet="Aflysningsårsager",
            columns=["Årsag", "Antal", "Andel"],
            rows=reason_rows,
            total_rows=1,
            notes=["Andel = af alle besøg aflyst af virksomheden."],
        ),
    ]
    return Report(
        name="visits",
        title="Besøg og aftaler",
        campaign=campaign.name,
        data=data,
        tables=tables,
        notes=[
            f"Besøg uden RAR-område (jobcenter ukendt) står under '{geography.NO_AREA}'.",
        ],
    )


# --------------------------------------------------------------------------- phoners


def _utc_hour(session: Session, column: Any) -> ColumnElement[Any]:
    """SQL: the hour of a timestamp, a cheap grouping key.

    SQLite: the stored UTC text cut to ``YYYY-MM-DD HH``. PostgreSQL: ``date_trunc`` to the
    hour (in the session's time zone, which is UTC or Danish time: whole hours either way).
    Danish time is a whole number of hours off UTC, so every bucket is exactly one local
    clock hour; Python turns the few thousand buckets into local days.
    """
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 13)  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)
    return func.date_trunc("hour", column)


@lru_cache(maxsize=65536)
def _local_day(bucket: str | dt.datetime) -> dt.date:
    if isinstance(bucket, dt.datetime):
        aware = bucket if bucket.tzinfo else bucket.replace(tzinfo=dt.UTC)
        return aware.astimezone(LOCAL_TZ).date()
    utc = dt.datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
    return utc.astimezone(LOCAL_TZ).date()


_OUTCOME_CODES: tuple[str, ...] = tuple(o.value for o in Outcome)
_ANSWER_CODES: tuple[str, ...] = tuple(o.value for o in ANSWER_OUTCOMES)
_OTHER_CODES: tuple[str, ...] = tuple(o.value for o in Outcome if o not in SUBSTANTIVE_OUTCOMES)


@dataclass
class _PhonerDay:
    calls: int = 0
    hours: int = 0  # clock hours (per phoner and day) with at least one call
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_OUTCOME_CODES, 0))
    bookings: int = 0

    def merge(self, other: _PhonerDay) -> None:
        self.calls += other.calls
        self.hours += other.hours
        self.bookings += other.bookings
        for k, v in other.outcomes.items():
            self.outcomes[k] += v

    @property
    def active_hours(self) -> int:
        return self.hours

    def payload(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "active_hours": self.active_hours,
            "calls_per_hour": _frac(self.calls, self.active_hours),
            "outcomes": dict(self.outcomes),
            "answered": sum(self.outcomes[o] for o in _ANSWER_CODES),
            "bookings": self.bookings,
        }


def phoners_report(*, session: Session, campaign: Campaign) -> Report:
    """Per phoner and day (Copenhagen): calls, active hours, calls per hour, outcomes, bookings."""
    assert campaign.id is not None
    hour = _utc_hour(session, col(CallAttempt.ended_at))
    outcome_col = col(CallAttempt.outcome)
    # one pass, one sort: calls per phoner-hour with the outcomes pivoted into columns
    pivot = [func.sum(sa.case((outcome_col == o, 1), else_=0)) for o in Outcome]
    days: dict[tuple[str, dt.date], _PhonerDay] = defaultdict(_PhonerDay)
    for phoner, bucket, n, *per_outcome in session.execute(
        sa.select(col(CallAttempt.phoner), hour, func.count(), *pivot)
        .where(col(CallAttempt.campaign_id) == campaign.id)
        .group_by(col(CallAttempt.phoner), hour)
    ).all():
        d = days[(phoner, _local_day(bucket))]
        d.calls += int(n)
        d.hours += 1
        for code, k in zip(_OUTCOME_CODES, per_outcome, strict=True):
            d.outcomes[code] += int(k or 0)
    b_hour = _utc_hour(session, col(Booking.created_at))
    for phoner, bucket, n in session.execute(
        sa.select(col(Booking.booked_by), b_hour, func.count())
        .where(col(Booking.campaign_id) == campaign.id, _counted_booking())
        .group_by(col(Booking.booked_by), b_hour)
    ).all():
        days[(phoner, _local_day(bucket))].bookings += int(n)
    per_phoner: dict[str, _PhonerDay] = defaultdict(_PhonerDay)
    per_phoner_days: dict[str, list[tuple[dt.date, _PhonerDay]]] = defaultdict(list)
    for (phoner, local_day), d in sorted(days.items()):
        per_phoner[phoner].merge(d)
        per_phoner_days[phoner].append((local_day, d))
    total = _PhonerDay()
    for d in per_phoner.values():
        total.merge(d)
    data = {
        "campaign": campaign.name,
        "phoners": [
            {
                "phoner": p,
                **per_phoner[p].payload(),
                "days": [{"date": day.isoformat(), **d.payload()} for day, d in per_phoner_days[p]],
            }
            for p in sorted(per_phoner)
        ],
        "total": total.payload(),
    }

    def row(first: list[str], d: _PhonerDay) -> list[Any]:
        return [
            *first,
            d.calls,
            d.active_hours,
            Num(_frac(d.calls, d.active_hours)),
            *(d.outcomes[o] for o in _ANSWER_CODES),
            sum(d.outcomes[o] for o in _OTHER_CODES),
            d.bookings,
        ]

    cols = [
        "Opkald",
        "Aktive timer",
        "Opkald pr. time",
        *(o.label for o in ANSWER_OUTCOMES),
        "Andre udfald",
        "Bookede besøg",
    ]
    day_rows = [
        row([p, day.strftime("%d-%m-%Y")], d)
        for p in sorted(per_phoner)
        for day, d in per_phoner_days[p]
    ]
    return Report(
        name="phoners",
        title="Telefonister",
        campaign=campaign.name,
        data=data,
        tables=[
            ReportTable(
                title="Pr. telefonist",
                sheet="Pr. telefonist",
                columns=["Telefonist", *cols],
                rows=[row([p], per_phoner[p]) for p in sorted(per_phoner)] + [row([TOTAL], total)],
                total_rows=1,
            ),
            ReportTable(
                title="Pr. telefonist pr. dag",
                sheet="Pr. dag",
                columns=["Telefonist", "Dag", *cols],
                rows=day_rows,
            ),
        ],
        notes=[
            "Udfald tæller opkald (ikke virksomheder). Aktive timer = antal klokketimer med "
            "mindst ét opkald; opkald pr. time = opkald / aktive timer. Dage og timer er "
            "dansk tid.",
            "Bookede besøg tælles på den dag, de blev booket; et flyttet besøg tæller én gang.",
        ],
    )


# --------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class RoundProgress:
    number: int | None
    state: RoundState | None
    companies: int
    called: int
    answered: int
    outcomes: dict[Outcome, int]


@dataclass(frozen=True)
class FeedLag:
    consultant: str
    jobcenter: str | None
    last_fetch: dt.datetime | None
    unseen_bookings: int


@dataclass(frozen=True)
class Dashboard:
    campaign: str
    rounds: list[RoundProgress]
    outcomes: dict[Outcome, int]  # final outcomes over the campaign
    not_called: int
    followups_open: int
    followups_overdue: int
    overdue_by_consultant: list[tuple[str, int]]
    feed_lagging: list[FeedLag]


def dashboard(*, session: Session, campaign: Campaign, today: dt.date | None = None) -> Dashboard:
    """What the coordinator's dashboard shows, in a handful of aggregate queries."""
    assert campaign.id is not None
    today = today or local_date(utcnow())
    counts = _outcomes_by_round(session, campaign.id)
    rounds = _rounds(session, campaign.id)
    progress: list[RoundProgress] = []
    known = set()
    for r in rounds:
        known.add(r.id)
        per = counts.get(r.id, {})
        progress.append(_progress(r.number, r.state, per))
    orphan: dict[Outcome | None, int] = defaultdict(int)
    for rid, per in counts.items():
        if rid not in known:
            for o, n in per.items():
                orphan[o] += n
    if orphan:
        progress.append(_progress(None, None, orphan))
    outcomes: dict[Outcome, int] = defaultdict(int)
    not_called = 0
    for per in counts.values():
        for o, n in per.items():
            if o is None:
                not_called += n
            else:
                outcomes[o] += n
    is_open = col(FollowUp.done_at).is_(None)
    overdue = sa.and_(is_open, col(FollowUp.due_date) < today)
    fu_rows = session.execute(
        sa.select(
            col(FollowUp.consultant_id),
            func.sum(sa.case((is_open, 1), else_=0)),
            func.sum(sa.case((overdue, 1), else_=0)),
        )
        .where(col(FollowUp.campaign_id) == campaign.id)
        .group_by(col(FollowUp.consultant_id))
    ).all()
    k_names = {k.id: k.name for k in session.exec(select(Consultant)).all()}
    open_total = sum(int(o or 0) for _, o, _ in fu_rows)
    overdue_total = sum(int(v or 0) for _, _, v in fu_rows)
    overdue_by = sorted(
        ((k_names.get(kid, NO_CONSULTANT), int(v or 0)) for kid, _, v in fu_rows if v),
        key=lambda t: (-t[1], t[0]),
    )
    return Dashboard(
        campaign=campaign.name,
        rounds=progress,
        outcomes=dict(outcomes),
        not_called=not_called,
        followups_open=open_total,
        followups_overdue=overdue_total,
        overdue_by_consultant=overdue_by,
        feed_lagging=feed_lagging(session=session, campaign=campaign),
    )


def _progress(
    number: int | None, state: RoundState | None, per: Mapping[Outcome | None, int]
) -> RoundProgress:
    outcomes = {o: n for o, n in per.items() if o is not None}
    return RoundProgress(
        number=number,
        state=state,
        companies=sum(per.values()),
        called=sum(outcomes.values()),
        answered=sum(outcomes.get(o, 0) for o in ANSWER_OUTCOMES),
        outcomes=outcomes,
    )


def feed_lagging(*, session: Session, campaign: Campaign) -> list[FeedLag]:
    """Consultants of the campaign who never fetched their feed or have not seen bookings."""
    assert campaign.id is not None
    in_campaign = sa.or_(
        col(Consultant.jobcenter_id).in_(
            sa.select(col(CampaignJobcenter.jobcenter_id)).where(
                col(CampaignJobcenter.campaign_id) == campaign.id
            )
        ),
        col(Consultant.id).in_(
            sa.select(col(Booking.consultant_id)).where(col(Booking.campaign_id) == campaign.id)
        ),
    )
    unseen = (
        sa.select(col(Booking.consultant_id).label("kid"), func.count().label("n"))
        .join(Consultant, col(Consultant.id) == col(Booking.consultant_id))
        .where(
            col(Booking.campaign_id) == campaign.id,
            sa.or_(
                col(Consultant.last_feed_fetch_at).is_(None),
                col(Booking.modified_at) > col(Consultant.last_feed_fetch_at),
            ),
        )
        .group_by(col(Booking.consultant_id))
        .subquery()
    )
    rows = session.execute(
        sa.select(Consultant, col(Jobcenter.name), func.coalesce(unseen.c.n, 0))
        .outerjoin(Jobcenter, col(Jobcenter.id) == col(Consultant.jobcenter_id))
        .outerjoin(unseen, unseen.c.kid == col(Consultant.id))
        .where(in_campaign, col(Consultant.active).is_(True))
        .where(sa.or_(col(Consultant.last_feed_fetch_at).is_(None), unseen.c.n > 0))
        .order_by(col(Jobcenter.name), col(Consultant.name))
    ).all()
    return [
        FeedLag(
            consultant=k.name,
            jobcenter=jname,
            last_fetch=k.last_feed_fetch_at,
            unseen_bookings=int(n),
        )
        for k, jname, n in rows
    ]


REPORTS = {
    "rounds": rounds_report,
    "rates": rates_report,
    "visits": visits_report,
    "phoners": phoners_report,
}


def build_report(name: str, *, session: Session, campaign: Campaign) -> Report:
    """A report by its command name (rounds, rates, followups, visits, phoners)."""
    if name == "followups":
        return followups_report(session=session, campaign=campaign)
    return REPORTS[name](session=session, campaign=campaign)


# --------------------------------------------------------------------------- leads export


def _needs_labels(campaign: Campaign) -> dict[str, str]:
    """Needs field key -> Danish label from the campaign's call script (keys if unreadable)."""
    from pathlib import Path

    from phoner.core import call_scripts
    from phoner.core.errors import PhonerError

    try:
        script = call_scripts.load_script(Path(campaign.script_path))
    except (PhonerError, OSError, ValueError):
        return {}
    return {f.key: f.label for f in script.needs_fields}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _visit_status_text(status: MeetingStatus | None) -> str:
    return "Booket, uden resultat endnu" if status is None else MEETING_STATUS_LABELS[status]


def leads_report(*, session: Session, campaign: Campaign) -> Report:
    """Every ``vil_kontaktes`` with what the phoner captured: one sheet per jobcenter.

    The hand-over to consultants (the 2006 campaign's Excel sheet, done well): company,
    contact, the call (when, who, answers, needs, note), the booked visit if any, and the
    follow-up's owner and due date.
    """
    from phoner.core.phones import format_phone
    from phoner.core.workdays import format_local

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
    labels = _needs_labels(campaign)
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
                fu[0].due_date.strftime("%d-%m-%Y") if fu else "",
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
