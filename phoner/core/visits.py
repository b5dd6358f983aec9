"""Visit results: what happened at a booked visit and what was agreed.

The consultant registers a :class:`~phoner.core.models.MeetingStatus` per booking (with the
company's reason when the company cancelled), the agreements made — counted as places the
company wants filled, per :class:`~phoner.core.models.AgreementCategory` — and a note.
The same service serves the TUI screen and ``phoner visits import`` (a jobcenter's
CSV/XLSX with one row per visit); every change is audited.

A held visit (held, or shortened/by phone: the consultant did talk to the company) is the
consultant's contact with the company: it is written to the contact history so later
campaigns can suppress the company, and reports use it for the call-to-contact lag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core import audit, importing, vocabulary
from phoner.core.clock import local_date
from phoner.core.companies import companies_with_cvr, valid_cvr
from phoner.core.errors import InvalidInput, VisitNotFound
from phoner.core.importing import ImportResult
from phoner.core.models import (
    Agreement,
    AgreementCategory,
    Booking,
    BookingStatus,
    Campaign,
    Company,
    CompanyCancelReason,
    Consultant,
    ContactHistory,
    ContactKind,
    FollowUp,
    Jobcenter,
    MeetingStatus,
    VisitResult,
    utcnow,
)
from phoner.formats import tabular

#: Labels by member (thin aliases to :mod:`phoner.core.vocabulary`, for reports and the TUI).
MEETING_STATUS_LABELS: dict[MeetingStatus, str] = vocabulary.labels(MeetingStatus)
CANCEL_REASON_LABELS: dict[CompanyCancelReason, str] = vocabulary.labels(CompanyCancelReason)

#: Most places one agreement can count (a typo guard; also keeps the value a 32-bit int).
MAX_PLACES = 9999

#: Statuses where the consultant actually talked with the company.
CONTACT_STATUSES: frozenset[MeetingStatus] = frozenset(
    {MeetingStatus.AFHOLDT, MeetingStatus.AFKORTET_TELEFONISK}
)


# --------------------------------------------------------------------------- register


@dataclass(frozen=True)
class VisitResultView:
    """A registered visit result (plain values: no ORM row leaves core)."""

    id: int
    booking_id: int
    status: MeetingStatus
    company_cancel_reason: CompanyCancelReason | None
    note: str | None


def _result_view(result: VisitResult) -> VisitResultView:
    assert result.id is not None
    return VisitResultView(
        id=result.id,
        booking_id=result.booking_id,
        status=result.status,
        company_cancel_reason=result.company_cancel_reason,
        note=result.note,
    )


def _validate(
    status: MeetingStatus,
    company_cancel_reason: CompanyCancelReason | None,
    agreements: Mapping[AgreementCategory, int],
) -> None:
    if company_cancel_reason is not None and status != MeetingStatus.AFLYST_AF_VIRKSOMHEDEN:
        raise InvalidInput(
            "En aflysningsårsag kan kun angives, når virksomheden har aflyst.",
            hint="Fjern årsagen, eller vælg status 'Aflyst af virksomheden'.",
        )
    for category, count in agreements.items():
        if count < 0:
            raise InvalidInput(
                f"Antallet af aftaler om {category.label} kan ikke være negativt ({count})."
            )
        if count > MAX_PLACES:
            raise InvalidInput(
                f"{count} pladser i {category.label} er for mange (højst {MAX_PLACES}).",
                hint="Skriv antallet af pladser, virksomheden ønsker besat.",
            )
    if any(n > 0 for n in agreements.values()) and status not in CONTACT_STATUSES:
        raise InvalidInput(
            f"Aftaler kan kun registreres for et afholdt besøg, ikke for status "
            f"'{MEETING_STATUS_LABELS[status]}'.",
            hint="Vælg status 'Afholdt' eller 'Afkortet/telefonisk', eller fjern aftalerne.",
        )


def record_visit_result(
    *,
    session: Session,
    booking_id: int,
    status: MeetingStatus,
    actor: str,
    company_cancel_reason: CompanyCancelReason | None = None,
    agreements: Mapping[AgreementCategory, int] | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> VisitResultView:
    """Register (or correct) the result of a booked visit.

    ``agreements`` maps each category to the number of places agreed; categories left out
    or with 0 have none. Registering again replaces the earlier result (audited with the
    old and new values). Returns what was stored, as plain values.
    """
    agreements = {c: int(n) for c, n in (agreements or {}).items()}
    _validate(status, company_cancel_reason, agreements)
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise VisitNotFound(f"Besøg (booking) nr. {booking_id} findes ikke.")
    now = now or utcnow()
    result = session.exec(select(VisitResult).where(VisitResult.booking_id == booking_id)).first()
    old: dict[str, object] | None = None
    existing: dict[AgreementCategory, Agreement] = {}
    if result is not None:
        existing = {
            a.category: a
            for a in session.exec(
                select(Agreement).where(Agreement.visit_result_id == result.id)
            ).all()
        }
        old = {
            "status": result.status.value,
            "company_cancel_reason": (
                result.company_cancel_reason.value if result.company_cancel_reason else None
            ),
            "note": result.note,
            "agreements": {c.value: a.count for c, a in existing.items()},
        }
        was_contact = result.status in CONTACT_STATUSES
        result.status = status
        result.company_cancel_reason = company_cancel_reason
        result.note = note
        result.registered_by = actor
        result.registered_at = now
    else:
        was_contact = False
        result = VisitResult(
            booking_id=booking_id,
            status=status,
            company_cancel_reason=company_cancel_reason,
            note=note,
            registered_by=actor,
            registered_at=now,
        )
    session.add(result)
    session.flush()
    assert result.id is not None
    for category, agreement in existing.items():
        if agreements.get(category, 0) <= 0:
            # keep the follow-ups promised for it, just detach them from the agreement
            for fu in session.exec(
                select(FollowUp).where(FollowUp.agreement_id == agreement.id)
            ).all():
                fu.agreement_id = None
                session.add(fu)
            session.flush()
            session.delete(agreement)
    for category, count in agreements.items():
        if count <= 0:
            continue
        agreement_row = existing.get(category)
        if agreement_row is None:
            agreement_row = Agreement(visit_result_id=result.id, category=category, count=count)
        else:
            agreement_row.count = count
        session.add(agreement_row)
    session.flush()
    if status in CONTACT_STATUSES and not was_contact:
        _add_contact_history(session, booking, status)
    audit.record(
        session,
        actor=actor,
        action="visit_result" if old is None else "visit_result_update",
        entity="visitresult",
        entity_id=result.id,
        campaign_id=booking.campaign_id,
        old=old,
        new={
            "booking_id": booking_id,
            "status": status.value,
            "company_cancel_reason": (
                company_cancel_reason.value if company_cancel_reason else None
            ),
            "note": note,
            "agreements": {c.value: n for c, n in agreements.items() if n > 0},
        },
    )
    return _result_view(result)


def _add_contact_history(session: Session, booking: Booking, status: MeetingStatus) -> None:
    company = session.get(Company, booking.company_id)
    if company is None or not company.cvr:
        return  # contact history is keyed by CVR; a company without one cannot be matched
    campaign = session.get(Campaign, booking.campaign_id)
    session.add(
        ContactHistory(
            cvr=company.cvr,
            jobcenter_id=company.jobcenter_id,
            campaign_name=campaign.name if campaign else None,
            contact_date=local_date(booking.start),
            kind=ContactKind.VISIT,
            outcome=status.value,
        )
    )


def agreements_of(*, session: Session, visit_result_id: int) -> dict[AgreementCategory, int]:
    rows = session.exec(select(Agreement).where(Agreement.visit_result_id == visit_result_id)).all()
    return {a.category: a.count for a in rows}


# --------------------------------------------------------------------------- list


@dataclass(frozen=True)
class VisitRow:
    """A booked visit with its company, consultant and (if registered) result, as plain
    values read in the session (no ORM row leaves core)."""

    booking_id: int
    start: dt.datetime
    company_name: str
    cvr: str | None
    consultant_name: str
    jobcenter_name: str | None
    result: VisitResultView | None
    agreements: dict[AgreementCategory, int] = field(default_factory=dict)


def list_visits(
    *,
    session: Session,
    campaign_id: int,
    consultant_id: int | None = None,
    missing_result: bool = False,
    include_cancelled: bool = False,
) -> list[VisitRow]:
    """Visits of a campaign by start time; ``missing_result`` keeps past visits without one."""
    query = (
        sa.select(Booking, Company, Consultant, Jobcenter, VisitResult)
        .join(Company, col(Company.id) == Booking.company_id)
        .join(Consultant, col(Consultant.id) == Booking.consultant_id)
        .outerjoin(Jobcenter, col(Jobcenter.id) == Company.jobcenter_id)
        .outerjoin(VisitResult, col(VisitResult.booking_id) == Booking.id)
        .where(col(Booking.campaign_id) == campaign_id)
    )
    if consultant_id is not None:
        query = query.where(col(Booking.consultant_id) == consultant_id)
    if not include_cancelled:
        query = query.where(col(Booking.status) == BookingStatus.BOOKED)
    if missing_result:
        query = query.where(col(VisitResult.id).is_(None), col(Booking.start) <= utcnow())
    rows = session.execute(query.order_by(col(Booking.start), col(Booking.id))).all()
    result_ids = [r.id for *_, r in rows if r is not None]
    agreements: dict[int, dict[AgreementCategory, int]] = {}
    if result_ids:
        for a in session.exec(
            select(Agreement).where(col(Agreement.visit_result_id).in_(result_ids))
        ).all():
            agreements.setdefault(a.visit_result_id, {})[a.category] = a.count
    out: list[VisitRow] = []
    for b, c, k, j, r in rows:
        assert b.id is not None
        out.append(
            VisitRow(
                booking_id=b.id,
                start=b.start,
                company_name=c.name,
                cvr=c.cvr,
                consultant_name=k.name,
                jobcenter_name=j.name if j else None,
                result=_result_view(r) if r is not None else None,
                agreements=agreements.get(r.id, {}) if r is not None and r.id is not None else {},
            )
        )
    return out


# --------------------------------------------------------------------------- import

#: Field -> headers it may appear under in a jobcenter's file.
IMPORT_ALIASES: dict[str, list[str]] = {
    "booking": ["Booking-id", "Booking id", "Bookingnr", "Besøgs-id", "Besøg id", "UID"],
    "cvr": ["CVR-nr.", "CVR nr", "CVR-nummer", "CVRNR"],
    "status": ["Mødestatus", "Status for besøget", "Besøgsstatus"],
    "reason": ["Aflysningsårsag", "Årsag til aflysning", "Aflyst pga"],
    "note": ["Note", "Bemærkning", "Bemærkninger", "Kommentar"],
}
for _cat in AgreementCategory:
    IMPORT_ALIASES[_cat.value] = [_cat.label, _cat.label.split("/")[0]]


@dataclass(kw_only=True)
class VisitImportResult(ImportResult):
    """What ``phoner visits import`` did: rows registered and rows rejected."""

    path: Path
    registered: int = 0
    updated: int = 0
    headers: list[str] = field(default_factory=list)

    @property
    def rejects_path(self) -> Path | None:
        """The rejects file (the common name is ``rejects_file``)."""
        return self.rejects_file


def _find_booking(
    session: Session, campaign: Campaign, booking_ref: str, cvr: str
) -> tuple[Booking | None, str | None]:
    """The booking a row is about, or (None, Danish reason)."""
    assert campaign.id is not None
    if booking_ref:
        booking: Booking | None = None
        # ASCII digits that fit an id column ("²".isdigit() is True; PostgreSQL's integer
        # ids stop at 2**31 - 1, a larger number is a database error, not "not found")
        if (
            booking_ref.isascii()
            and booking_ref.isdigit()
            and len(booking_ref) <= 10
            and int(booking_ref) < 2**31
        ):
            booking = session.get(Booking, int(booking_ref))
        if booking is None:
            booking = session.exec(select(Booking).where(Booking.uid == booking_ref)).first()
        if booking is None or booking.campaign_id != campaign.id:
            return None, f"booking {booking_ref!r} findes ikke i kampagnen"
        return booking, None
    try:
        normalized = valid_cvr(cvr)
    except InvalidInput as exc:
        return None, exc.message
    ids = [
        c.id for c in companies_with_cvr(session=session, campaign_id=campaign.id, cvr=normalized)
    ]
    bookings = session.exec(
        select(Booking)
        .where(Booking.campaign_id == campaign.id, col(Booking.company_id).in_(ids))
        .order_by(col(Booking.start).desc())
    ).all()
    if not bookings:
        return None, f"ingen booket besøg hos CVR {normalized} i kampagnen"
    active = [b for b in bookings if b.status == BookingStatus.BOOKED]
    if len(active) > 1:
        return None, (
            f"CVR {normalized} har {len(active)} bookede besøg; angiv booking-id i kolonnen "
            "Booking-id"
        )
    return (active[0] if active else bookings[0]), None


def import_visit_results(
    *,
    session: Session,
    campaign: Campaign,
    path: Path,
    actor: str,
    rejects_path: Path | None = None,
) -> VisitImportResult:
    """Register visit results from a CSV/XLSX file; bad rows are rejected, not fatal.

    Columns: ``Booking-id`` or ``CVR``, ``Status``, optionally ``Aflysningsårsag`` (the company's
    reason when it cancelled) and ``Note``, and one column per agreement category (the
    number of places). Rejected rows are written to ``rejects_path`` (default: next to the
    file, ``<name>.afviste.csv``) with line and reason so they can be fixed and re-imported.
    """
    table = tabular.read_table(path)
    hmap = tabular.map_headers(table.headers, IMPORT_ALIASES, ignore=tabular.REJECT_META_HEADERS)
    if not hmap.has("status") or not (hmap.has("cvr") or hmap.has("booking")):
        missing = [h for h in ("status",) if not hmap.has(h)]
        if not (hmap.has("cvr") or hmap.has("booking")):
            missing.append("CVR eller Booking-id")
        raise InvalidInput(
            f"{path}: filen mangler kolonnen {' og '.join(missing)}.",
            hint="Filen skal have kolonnerne CVR (eller Booking-id), Status og én kolonne "
            "pr. aftalekategori (fx Fleksjob, Løntilskud). Kolonnerne i filen er: "
            + ", ".join(repr(h) for h in table.headers)
            + ".",
        )
    out = VisitImportResult(path=path, headers=list(table.headers))
    seen: set[int] = set()

    def register(row: tabular.Row) -> str | None:
        return _import_row(session, campaign, hmap, row, actor, out, seen)

    for _ in importing.rows(table, register, out):
        pass  # registered by _import_row
    importing.write_rejects(out, source=path, headers=table.headers, target=rejects_path)
    return out


def _import_row(
    session: Session,
    campaign: Campaign,
    hmap: tabular.HeaderMap,
    row: tabular.Row,
    actor: str,
    out: VisitImportResult,
    seen: set[int],
) -> str | None:
    booking, why = _find_booking(
        session, campaign, row.get(hmap.index("booking")), row.get(hmap.index("cvr"))
    )
    if booking is None:
        return why
    assert booking.id is not None
    if booking.id in seen:
        return f"besøget (booking {booking.id}) står allerede på en tidligere linje i filen"
    status_text = row.get(hmap.index("status"))
    if not status_text:
        return "kolonnen Status er tom"
    status = vocabulary.lookup(MeetingStatus, status_text)
    if status is None:
        allowed = vocabulary.accepted(MeetingStatus)
        return f"ukendt status {status_text!r} (brug en af: {allowed})"
    reason_text = row.get(hmap.index("reason"))
    reason: CompanyCancelReason | None = None
    if reason_text and status == MeetingStatus.AFLYST_AF_VIRKSOMHEDEN:
        reason = vocabulary.lookup(CompanyCancelReason, reason_text)
        if reason is None:
            allowed = vocabulary.accepted(CompanyCancelReason)
            return f"ukendt aflysningsårsag {reason_text!r} (brug en af: {allowed})"
    agreements: dict[AgreementCategory, int] = {}
    for category in AgreementCategory:
        cell = row.get(hmap.index(category.value)).replace(" ", "")
        if not cell:
            continue
        if not (cell.isascii() and cell.isdigit()) or len(cell) > 6:
            header = hmap.header_of(category.value)
            return f"kolonnen {header!r}: {cell!r} er ikke et antal (et helt tal ≥ 0)"
        agreements[category] = int(cell)
    note = row.get(hmap.index("note")) or None
    had_result = (
        session.exec(select(VisitResult.id).where(VisitResult.booking_id == booking.id)).first()
        is not None
    )
    try:
        with session.begin_nested():
            record_visit_result(
                session=session,
                booking_id=booking.id,
                status=status,
                actor=actor,
                company_cancel_reason=reason,
                agreements=agreements,
                note=note,
            )
    except InvalidInput as exc:
        return exc.message
    seen.add(booking.id)
    if had_result:
        out.updated += 1
    else:
        out.registered += 1
    return None
