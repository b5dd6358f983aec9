"""The visits report: booked, held, cancelled visits and agreements by area and jobcenter.

Areas are those of one area scheme (:data:`phoner.core.geography.SCHEMES`): the one asked
for, else the one in force on the day of the campaign's first booked visit (none booked:
today). A jobcenter's area comes from its municipality code at report time, so the same
campaign reports in either scheme; a unit that is not a municipality (Jobservice Danmark)
and a company without a jobcenter count under "Ikke fordelt", never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from phoner.core import geography
from phoner.core.clock import local_date, local_today
from phoner.core.display import format_date
from phoner.core.errors import InvalidInput
from phoner.core.jobcenters import area_of
from phoner.core.models import (
    Agreement,
    AgreementCategory,
    Booking,
    BookingStatus,
    Campaign,
    CancelReason,
    Company,
    CompanyCancelReason,
    Jobcenter,
    MeetingStatus,
    VisitResult,
)
from phoner.core.reports.common import (
    NO_JOBCENTER,
    TOTAL,
    counted_booking,
    frac,
)
from phoner.core.visits import CANCEL_REASON_LABELS, MEETING_STATUS_LABELS
from phoner.formats.report_output import Cell, Pct, Report, ReportTable

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
            "feedback_rate": frac(self.feedback, self.booked),
            "statuses": dict(self.statuses or {}),
            "company_cancel_reasons": dict(self.reasons or {}),
            "agreements": dict(self.agreements),
            "agreements_total": sum(self.agreements.values()),
        }


def area_scheme(
    *, session: Session, campaign: Campaign, key: str | None = None
) -> tuple[geography.AreaScheme, str]:
    """The scheme a report of the campaign groups by, and why (a Danish sentence): the
    one named ``key``, else the one in force on the day of the first booked visit (none
    booked: today)."""
    assert campaign.id is not None
    if key is not None:
        scheme = geography.SCHEMES.get(key)
        if scheme is None:
            raise InvalidInput(
                f"Områdeinddelingen {key!r} findes ikke.",
                hint="Vælg en af: " + ", ".join(geography.SCHEMES) + ".",
            )
        return scheme, "valgt til denne rapport"
    first = session.execute(
        sa.select(func.min(col(Booking.start))).where(
            col(Booking.campaign_id) == campaign.id, counted_booking()
        )
    ).scalar_one_or_none()
    if first is None:
        day = local_today()
        scheme = geography.scheme_on(day)
        return scheme, f"gældende i dag ({format_date(day)}); kampagnen har ingen bookede besøg"
    day = local_date(first)
    scheme = geography.scheme_on(day)
    return scheme, f"gældende ved kampagnens første bookede besøg ({format_date(day)})"


def visits_report(*, session: Session, campaign: Campaign, areas: str | None = None) -> Report:
    """Booked, held, cancelled (by reason), no-shows, short/phone, feedback; agreements
    per category, by area of the scheme ``areas`` (see :func:`area_scheme`; its areas +
    "Ikke fordelt") and by jobcenter, with a national total.
    """
    assert campaign.id is not None
    scheme, why = area_scheme(session=session, campaign=campaign, key=areas)
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
            col(Company.jobcenter_id),
            status_key.label("status"),
            reason_key.label("reason"),
            func.count(col(Booking.id)),
            func.count(col(VisitResult.id)),
        )
        .select_from(Booking)
        .join(Company, col(Company.id) == col(Booking.company_id))
        .outerjoin(VisitResult, col(VisitResult.booking_id) == col(Booking.id))
        .where(col(Booking.campaign_id) == campaign.id, counted_booking())
        .group_by(col(Company.jobcenter_id), status_key, reason_key)
    )
    # The few jobcenters themselves, for their names and areas (computed in Python from
    # the municipality code: the area depends on the scheme, not on a stored column).
    jc_info: dict[int | None, tuple[str, str]] = {None: (NO_JOBCENTER, geography.NO_AREA)}
    kinds: dict[str, str | None] = {NO_JOBCENTER: None}
    for jc in session.exec(select(Jobcenter)).all():
        jc_info[jc.id] = (jc.name, area_of(jc, scheme))
        kinds[jc.name] = str(jc.kind)
    area_by_name = dict(jc_info.values())
    areas_: dict[str, _VisitGroup] = {a: _VisitGroup() for a in (*scheme.areas, geography.NO_AREA)}
    jobcenters: dict[str, _VisitGroup] = defaultdict(_VisitGroup)
    for jc_id, status, reason, n_booked, n_feedback in session.execute(base).all():
        g = _VisitGroup()
        g.booked = int(n_booked)
        g.feedback = int(n_feedback)
        assert g.statuses is not None and g.reasons is not None
        g.statuses[str(status)] += int(n_booked)
        if str(status) == MeetingStatus.AFLYST_AF_VIRKSOMHEDEN.value:
            g.reasons[str(reason)] += int(n_booked)
        jc_name, area = jc_info.get(jc_id, (NO_JOBCENTER, geography.NO_AREA))
        areas_[area].merge(g)
        jobcenters[jc_name].merge(g)
    agreement_rows = session.execute(
        sa.select(
            col(Company.jobcenter_id),
            col(Agreement.category),
            func.sum(col(Agreement.count)),
        )
        .select_from(Agreement)
        .join(VisitResult, col(VisitResult.id) == col(Agreement.visit_result_id))
        .join(Booking, col(Booking.id) == col(VisitResult.booking_id))
        .join(Company, col(Company.id) == col(Booking.company_id))
        .where(col(Booking.campaign_id) == campaign.id, counted_booking())
        .group_by(col(Company.jobcenter_id), col(Agreement.category))
    ).all()
    for jc_id, category, n in agreement_rows:
        key = category.value if isinstance(category, AgreementCategory) else str(category)
        jc_name, area = jc_info.get(jc_id, (NO_JOBCENTER, geography.NO_AREA))
        a_group = areas_[area]
        j_group = jobcenters[jc_name]
        assert a_group.agreements is not None and j_group.agreements is not None
        a_group.agreements[key] += int(n or 0)
        j_group.agreements[key] += int(n or 0)
    total = _VisitGroup()
    for g in areas_.values():
        total.merge(g)
    jc_sorted = sorted(jobcenters.items())
    data = {
        "campaign": campaign.name,
        "area_scheme": scheme.key,
        "area_scheme_title": scheme.title,
        "areas": [{"area": a, **g.payload()} for a, g in areas_.items()],
        "jobcenters": [
            {"jobcenter": j, "kind": kinds.get(j), "area": area_by_name[j], **g.payload()}
            for j, g in jc_sorted
        ],
        "total": total.payload(),
    }
    status_cols = [VISIT_STATUS_LABELS[k] for k in VISIT_STATUS_KEYS]
    cat_cols = [c.label for c in AgreementCategory]

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
    area_items = [*areas_.items(), ("Hele landet", total)]
    scheme_line = f"{scheme.title} ({scheme.key})"
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
            title=f"Besøg pr. område – {scheme_line}",
            sheet="Besøg pr. område",
            columns=[scheme.column, *visit_cols],
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
            title=f"Aftaler pr. område (antal pladser) – {scheme_line}",
            sheet="Aftaler pr. område",
            columns=[scheme.column, *cat_cols, "Aftaler i alt"],
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
            f"Områdeinddeling: {scheme_line}, {why}.",
            f"Besøg uden område (virksomhed uden jobcenter, eller en enhed, der ikke er en "
            f"kommune, fx Jobservice Danmark) står under '{geography.NO_AREA}'.",
        ],
    )
