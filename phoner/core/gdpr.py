"""Personal data: what phoner holds about people, and how it is purged or exported.

Contact persons, phone numbers, e-mail addresses and free-text notes are personal data
(GDPR). A campaign keeps them only as long as needed: :func:`purge` anonymises them for
companies whose last activity is older than a limit (``phoner gdpr purge`` or the
campaign's ``retention_days``), keeping everything the reports count — outcomes, rounds,
bookings' times and statuses, visit results, agreements per category, follow-up dates —
so every report gives the same figures before and after. :func:`export` shows everything
held about a company's people (a data subject's access request).

The one table of personal fields is :data:`PERSONAL_FIELDS`; the audit log is scrubbed of
the same keys, since old/new values of a change may hold them too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core import audit
from phoner.core.errors import InvalidInput
from phoner.core.models import (
    Agreement,
    AuditLog,
    Booking,
    CallAttempt,
    Campaign,
    Company,
    FollowUp,
    VisitResult,
    utcnow,
)

ANONYMISED_FLAG = "anonymiseret"

#: table -> personal fields (set to None, or emptied for JSON/list fields)
PERSONAL_FIELDS: dict[type[Any], tuple[str, ...]] = {
    Company: ("contact_person", "email", "phones", "extra", "clearing_note"),
    CallAttempt: ("note", "needs", "answers"),
    Booking: ("contact_person", "contact_email", "contact_mobile", "details"),
    VisitResult: ("note",),
    Agreement: ("note",),
    FollowUp: ("note",),
}
#: keys scrubbed from the audit log's old/new values
PERSONAL_KEYS = frozenset(
    {"contact_person", "email", "phones", "extra", "note", "needs", "answers", "details"}
    | {"contact_email", "contact_mobile", "clearing_note", "phone"}
)


def _empty(model: type[Any], name: str) -> Any:
    column = model.__table__.c[name]
    if isinstance(column.type, sa.JSON):
        return [] if name == "phones" else {}
    return None


@dataclass
class PurgeResult:
    companies: int = 0
    attempts: int = 0
    bookings: int = 0
    visit_results: int = 0
    audit_entries: int = 0


def _last_activity(session: Session, campaign_id: int) -> dict[int, dt.datetime]:
    """Per company: the latest of its own update, its calls and its bookings."""
    last: dict[int, dt.datetime] = {}

    def bump(rows: Any) -> None:
        for company_id, at in rows:
            if at is not None and (company_id not in last or at > last[company_id]):
                last[company_id] = at

    bump(
        session.exec(
            select(Company.id, Company.updated_at).where(Company.campaign_id == campaign_id)
        ).all()
    )
    bump(
        session.exec(
            select(CallAttempt.company_id, sa.func.max(CallAttempt.ended_at))
            .where(CallAttempt.campaign_id == campaign_id)
            .group_by(col(CallAttempt.company_id))
        ).all()
    )
    bump(
        session.exec(
            select(Booking.company_id, sa.func.max(Booking.end))
            .where(Booking.campaign_id == campaign_id)
            .group_by(col(Booking.company_id))
        ).all()
    )
    return last


def _scrub(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {k: (None if k in PERSONAL_KEYS else v) for k, v in value.items()}


def purge(
    *,
    session: Session,
    campaign: Campaign,
    older_than_days: int,
    actor: str,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Anonymise personal data of the campaign's companies inactive for ``older_than_days``."""
    if older_than_days < 0:
        raise InvalidInput("--older-than skal være et antal dage (0 eller flere).")
    assert campaign.id is not None
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    company_ids = [cid for cid, at in _last_activity(session, campaign.id).items() if at <= cutoff]
    result = PurgeResult()
    for chunk_start in range(0, len(company_ids), 500):
        ids = company_ids[chunk_start : chunk_start + 500]
        result.companies += _blank(session, Company, col(Company.id).in_(ids))
        for company in session.exec(select(Company).where(col(Company.id).in_(ids))):
            if ANONYMISED_FLAG not in company.flags:
                company.flags = [*company.flags, ANONYMISED_FLAG]
                session.add(company)
        result.attempts += _blank(session, CallAttempt, col(CallAttempt.company_id).in_(ids))
        booking_ids = select(Booking.id).where(col(Booking.company_id).in_(ids))
        result.bookings += _blank(session, Booking, col(Booking.id).in_(booking_ids))
        visit_ids = select(VisitResult.id).where(col(VisitResult.booking_id).in_(booking_ids))
        result.visit_results += _blank(session, VisitResult, col(VisitResult.id).in_(visit_ids))
        _blank(session, Agreement, col(Agreement.visit_result_id).in_(visit_ids))
        _blank(session, FollowUp, col(FollowUp.company_id).in_(ids))
        result.audit_entries += _scrub_audit(session, campaign.id, ids)
    audit.record(
        session,
        actor=actor,
        action="gdpr_purge",
        entity="campaign",
        entity_id=campaign.id,
        campaign_id=campaign.id,
        new={"older_than_days": older_than_days, "companies": result.companies},
    )
    return result


def _blank(session: Session, model: type[Any], where: Any) -> int:
    values = {name: _empty(model, name) for name in PERSONAL_FIELDS[model]}
    res = session.execute(sa.update(model).where(where).values(**values))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def _related_ids(session: Session, company_ids: list[int]) -> dict[str, list[int]]:
    """The ids, per audited entity, of every row that belongs to these companies."""
    bookings = select(Booking.id).where(col(Booking.company_id).in_(company_ids))
    visit_results = select(VisitResult.id).where(col(VisitResult.booking_id).in_(bookings))
    queries: dict[str, Any] = {
        "callattempt": select(CallAttempt.id).where(col(CallAttempt.company_id).in_(company_ids)),
        "booking": bookings,
        "visitresult": visit_results,
        "agreement": select(Agreement.id).where(col(Agreement.visit_result_id).in_(visit_results)),
        "followup": select(FollowUp.id).where(col(FollowUp.company_id).in_(company_ids)),
    }
    related = {entity: [int(i) for i in session.exec(q).all()] for entity, q in queries.items()}
    related["company"] = company_ids
    return related


def _scrub_audit(session: Session, campaign_id: int, company_ids: list[int]) -> int:
    """Blank personal keys in the audit entries of the companies and all their rows."""
    changed = 0
    for entity, ids in _related_ids(session, company_ids).items():
        if not ids:
            continue
        entries = session.exec(
            select(AuditLog).where(
                col(AuditLog.entity) == entity,
                col(AuditLog.entity_id).in_(ids),
            )
        ).all()
        for entry in entries:
            old, new = _scrub(entry.old), _scrub(entry.new)
            if old != entry.old or new != entry.new:
                entry.old, entry.new = old, new
                session.add(entry)
                changed += 1
    return changed


@dataclass
class PersonRecord:
    """Everything phoner holds about the people of one company (across campaigns)."""

    cvr: str
    companies: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    visit_notes: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export(*, session: Session, cvr: str) -> PersonRecord:
    """All personal data held about the company with ``cvr``, in every campaign."""
    rows = session.exec(
        select(Company, Campaign.name)
        .join(Campaign, col(Campaign.id) == col(Company.campaign_id))
        .where(Company.cvr == cvr)
    ).all()
    if not rows:
        raise InvalidInput(
            f"Der er ingen virksomhed med CVR {cvr} i databasen.",
            hint="Tjek nummeret (8 cifre).",
        )
    record = PersonRecord(cvr=cvr)
    ids = []
    for company, campaign_name in rows:
        assert company.id is not None
        ids.append(company.id)
        record.companies.append(
            {
                "kampagne": campaign_name,
                "navn": company.name,
                "kontaktperson": company.contact_person,
                "email": company.email,
                "telefoner": company.phones,
                "ekstra": company.extra,
                "clearingnote": company.clearing_note,
            }
        )
    for a in session.exec(
        select(CallAttempt)
        .where(col(CallAttempt.company_id).in_(ids))
        .order_by(col(CallAttempt.ended_at))
    ):
        record.calls.append(
            {
                "tidspunkt": _iso(a.ended_at),
                "phoner": a.phoner,
                "udfald": a.outcome.value,
                "note": a.note,
                "behov": a.needs,
                "svar": a.answers,
            }
        )
    for b in session.exec(
        select(Booking).where(col(Booking.company_id).in_(ids)).order_by(col(Booking.start))
    ):
        record.bookings.append(
            {
                "start": _iso(b.start),
                "kontaktperson": b.contact_person,
                "email": b.contact_email,
                "mobil": b.contact_mobile,
                "detaljer": b.details,
            }
        )
        for v in session.exec(select(VisitResult).where(VisitResult.booking_id == b.id)):
            record.visit_notes.append({"besøg": _iso(b.start), "note": v.note})
    for f in session.exec(select(FollowUp).where(col(FollowUp.company_id).in_(ids))):
        record.followups.append(
            {"beskrivelse": f.description, "frist": _iso(f.due_date), "note": f.note}
        )
    return record
