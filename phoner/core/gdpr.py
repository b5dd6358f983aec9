"""Personal data: what phoner holds about people, and how it is purged or exported.

Contact persons, phone numbers, e-mail addresses and free-text notes are personal data
(GDPR). A campaign keeps them only as long as needed: :func:`purge` anonymises them for
companies whose last activity is older than a limit (``phoner gdpr purge`` or the
campaign's ``retention_days``), keeping everything the reports count — outcomes, rounds,
bookings' times and statuses, visit results, agreements per category, follow-up dates —
so every report gives the same figures before and after. :func:`export` shows everything
held about a company's people (a data subject's access request), including its entries on
the do-not-call register (kept by a purge: the register is why it is not called again).

The one table of personal fields is :data:`PERSONAL_FIELDS`; the audit log is scrubbed of
the same keys, since old/new values of a change may hold them too, and of every text of
those rows that holds one of the purged values (a follow-up's description names the
contact person; a cancel note may say why someone is ill).

:func:`purge_campaign` is the use case: it reaches every copy phoner controls. The rows
are blanked with SQLite's ``secure_delete`` on (freed space is zeroed), the WAL is
checkpointed and truncated (PostgreSQL: the tables are vacuumed), the built calendar
feeds are rewritten (feeds of no active consultant removed), and the purge stamp
(:data:`PURGE_STAMP_KEY`) tells a running feed server to drop its cached feeds. Backups
cannot be changed: the purge records that those taken before it must be rotated out
(``phoner backup --keep N``).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core import audit, models
from phoner.core.campaigns import get_campaign
from phoner.core.db import Database
from phoner.core.errors import InvalidInput
from phoner.core.models import (
    Agreement,
    AuditLog,
    Booking,
    CallAttempt,
    Campaign,
    CancelReason,
    Company,
    DoNotCall,
    FollowUp,
    OutboxMessage,
    Setting,
    VisitResult,
    utcnow,
)

ANONYMISED_FLAG = "anonymiseret"

#: table -> personal fields (set to None, or emptied for JSON/list fields)
PERSONAL_FIELDS: dict[type[Any], tuple[str, ...]] = {
    Company: ("contact_person", "email", "phones", "extra", "clearing_note"),
    CallAttempt: ("note", "needs", "answers", "reason_text"),
    Booking: ("contact_person", "contact_email", "contact_mobile", "details"),
    VisitResult: ("note",),
    Agreement: ("note",),
    FollowUp: ("note", "description"),
}
#: keys scrubbed from the audit log's old/new values
PERSONAL_KEYS = frozenset(
    {"contact_person", "email", "phones", "extra", "note", "needs", "answers", "details"}
    | {"contact_email", "contact_mobile", "clearing_note", "phone", "reason_text"}
)


#: keys of the audit log's old/new values that are free text (scrubbed for purged rows)
FREE_TEXT_KEYS = frozenset({"description", "reason", "kontaktperson", "beskrivelse"})
#: the Setting a purge changes, so a feed server drops feeds it built before it
PURGE_STAMP_KEY = "gdpr.purged_at"


def _empty(model: type[Any], name: str) -> Any:
    column = model.__table__.c[name]
    if isinstance(column.type, sa.JSON):
        return [] if name == "phones" else {}
    if not column.nullable:
        return ""
    return None


@dataclass
class PurgeResult:
    companies: int = 0
    attempts: int = 0
    bookings: int = 0
    visit_results: int = 0
    audit_entries: int = 0
    feeds_rebuilt: bool = False  # the built calendar files were rewritten
    feeds_written: int = 0
    feeds_removed: int = 0
    wal_truncated: bool | None = None  # None: not SQLite
    backups_before: dt.datetime | None = None  # backups older than this hold purged data


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


def _tainted(value: str, taint: frozenset[str]) -> bool:
    folded = value.casefold()
    return any(t in folded for t in taint)


@functools.cache
def _vocabulary() -> frozenset[str]:
    """phoner's own codes (every enum value of the models): never personal data."""
    values = {audit.PERSONAL_MARK}
    for obj in vars(models).values():
        if isinstance(obj, type) and issubclass(obj, enum.Enum):
            values.update(str(m.value) for m in obj)
    return frozenset(values)


def _is_code_or_time(value: str) -> bool:
    if value in _vocabulary():
        return True
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _scrub_value(value: Any, taint: frozenset[str]) -> Any:
    """Keep numbers, times and phoner's codes; any other text of a purged row's audit
    entry may be free text about a person (a note, a description) and is blanked."""
    if isinstance(value, str):
        keep = _is_code_or_time(value) and not (taint and _tainted(value, taint))
        return value if keep else None
    if isinstance(value, dict):
        return {
            k: (None if k in PERSONAL_KEYS or k in FREE_TEXT_KEYS else _scrub_value(v, taint))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_value(v, taint) for v in value]
    return value


def _scrub(
    value: dict[str, Any] | None, taint: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    if value is None:
        return None
    scrubbed: dict[str, Any] = _scrub_value(value, taint)
    return scrubbed


def _scrub_reason(reason: str | None) -> str | None:
    """Keep a reason only when it is one of phoner's own codes (a cancel reason), never
    the free text a user added to it."""
    if reason is None:
        return None
    code = reason.split(":", 1)[0].strip()
    return code if code in {r.value for r in CancelReason} else None


def _taint(session: Session, company_ids: list[int]) -> frozenset[str]:
    """The personal values held for these companies (casefolded, at least 4 characters),
    looked for in the free text of their audit entries."""
    values: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, str) and len(value.strip()) >= 4:
            values.add(value.strip().casefold())
        elif isinstance(value, list):
            for v in value:
                add(v)

    for row in session.exec(
        select(Company.contact_person, Company.email, Company.phones).where(
            col(Company.id).in_(company_ids)
        )
    ):
        for v in row:
            add(v)
    for booking_row in session.exec(
        select(Booking.contact_person, Booking.contact_email, Booking.contact_mobile).where(
            col(Booking.company_id).in_(company_ids)
        )
    ):
        for v in booking_row:
            add(v)
    return frozenset(values)


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
        raise InvalidInput("Alderen skal være et antal dage (0 eller flere).", field="older_than")
    assert campaign.id is not None
    if session.get_bind().dialect.name == "sqlite":
        # zero the space the old values leave behind instead of only marking it free
        session.execute(sa.text("PRAGMA secure_delete = ON"))
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    company_ids = [cid for cid, at in _last_activity(session, campaign.id).items() if at <= cutoff]
    result = PurgeResult()
    stamp = utcnow()
    for chunk_start in range(0, len(company_ids), 500):
        ids = company_ids[chunk_start : chunk_start + 500]
        taint = _taint(session, ids)
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
        # e-mails about these visits hold the contact's name and address: gone, sent or not
        session.execute(
            sa.delete(OutboxMessage).where(col(OutboxMessage.booking_id).in_(booking_ids))
        )
        result.audit_entries += _scrub_audit(session, campaign.id, ids, taint)
    audit.record(
        session,
        actor=actor,
        action="gdpr_purge",
        entity="campaign",
        entity_id=campaign.id,
        campaign_id=campaign.id,
        new={
            "older_than_days": older_than_days,
            "companies": result.companies,
            # backups cannot be purged: those taken before now must be rotated out
            "backups_before": stamp.isoformat(),
        },
    )
    result.backups_before = stamp
    if result.companies:
        _bump_purge_stamp(session, stamp)
    return result


def _bump_purge_stamp(session: Session, stamp: dt.datetime) -> None:
    """Change :data:`PURGE_STAMP_KEY` (a feed server compares it before using its cache)."""
    value = f"{stamp.isoformat()} {secrets.token_hex(4)}"
    setting = session.get(Setting, PURGE_STAMP_KEY)
    if setting is None:
        session.add(Setting(key=PURGE_STAMP_KEY, value=value))
    else:
        setting.value = value
        session.add(setting)


def purge_campaign(
    *,
    db: Database,
    campaign: str,
    older_than_days: int,
    actor: str,
    calendars_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Purge the campaign (:func:`purge`) and every copy of the purged data phoner controls:
    freed database space, the WAL, the built feeds in ``calendars_dir`` and (through the
    purge stamp) a running feed server's cache."""
    with db.session(write=True) as session:
        c = get_campaign(session=session, name=campaign)
        result = purge(
            session=session, campaign=c, older_than_days=older_than_days, actor=actor, now=now
        )
    models: list[Any] = [*PERSONAL_FIELDS, AuditLog, OutboxMessage]
    tables = tuple(str(m.__tablename__) for m in models)
    result.wal_truncated = db.wipe_freed_space(tables)
    if calendars_dir is not None and calendars_dir.is_dir():
        result.feeds_written, result.feeds_removed = _rebuild_feeds(db, calendars_dir)
        result.feeds_rebuilt = True
    return result


def _rebuild_feeds(db: Database, calendars_dir: Path) -> tuple[int, int]:
    """Rewrite the built feeds; remove those of no active consultant (they would keep
    the purged data until someone deletes them by hand)."""
    from phoner.core.feeds import write_feeds

    with db.session() as session:
        written = write_feeds(session=session, out_dir=calendars_dir)
    kept = {path.name for _c, path, _changed in written}
    removed = 0
    for stale in [*calendars_dir.glob("*.ics"), *calendars_dir.glob("*.ics.tmp")]:
        if stale.name not in kept and stale.is_file():
            stale.unlink()
            removed += 1
    return sum(1 for *_x, changed in written if changed), removed


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


def _scrub_audit(
    session: Session, campaign_id: int, company_ids: list[int], taint: frozenset[str]
) -> int:
    """Blank personal keys, free text and every text holding a purged value in the audit
    entries of the companies and all their rows."""
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
            old, new = _scrub(entry.old, taint), _scrub(entry.new, taint)
            reason = _scrub_reason(entry.reason)
            if old != entry.old or new != entry.new or reason != entry.reason:
                entry.old, entry.new, entry.reason = old, new, reason
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
    #: the do-not-call register's entries for the company (lifted ones too: they are kept)
    do_not_call: list[dict[str, Any]] = field(default_factory=list)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _register_entries(session: Session, cvr: str, companies: list[Company]) -> list[DoNotCall]:
    """The register's entries with ``cvr``, or with a P-number or phone of ``companies``,
    or blocking one of them, oldest first."""
    terms: list[Any] = [col(DoNotCall.cvr) == cvr]
    p_numbers = {c.p_number for c in companies if c.p_number}
    if p_numbers:
        terms.append(col(DoNotCall.p_number).in_(p_numbers))
    block_ids = {c.blocked_id for c in companies if c.blocked_id is not None}
    if block_ids:
        terms.append(col(DoNotCall.id).in_(block_ids))
    for p in sorted({p for c in companies for p in c.phones}):
        terms.append(sa.cast(col(DoNotCall.phones), sa.Text).like(f'%"{p}"%'))
    stmt = select(DoNotCall).where(sa.or_(*terms)).order_by(col(DoNotCall.id))
    return list(session.exec(stmt).all())


def export(*, session: Session, cvr: str) -> PersonRecord:
    """All personal data held about the company with ``cvr``, in every campaign, and its
    entries on the do-not-call register (also when no campaign holds it any more)."""
    rows = session.exec(
        select(Company, Campaign.name)
        .join(Campaign, col(Campaign.id) == col(Company.campaign_id))
        .where(Company.cvr == cvr)
    ).all()
    entries = _register_entries(session, cvr, [company for company, _ in rows])
    if not rows and not entries:
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
    for e in entries:
        record.do_not_call.append(
            {
                "nr": e.id,
                "cvr": e.cvr,
                "p_nummer": e.p_number,
                "telefoner": list(e.phones),
                "navn": e.company_name,
                "begrundelse": e.reason,
                "kilde": e.source,
                "kampagne": e.campaign_name,
                "oprettet": _iso(e.created_at),
                "oprettet_af": e.created_by,
                "ophævet": _iso(e.lifted_at),
                "ophævet_af": e.lifted_by,
                "ophævelsens_begrundelse": e.lift_reason,
            }
        )
    return record
