"""The consultants' web pages: the links in their calendar events, what the pages show,
and registering a visit's result from a phone (issue 13).

Served by :mod:`phoner.feed.pages`; everything a page needs is decided here, as plain
values, so the rules are tested without a web server.

Tokens (why per consultant, with a tag per visit):

- every consultant has one random secret, ``Consultant.page_secret`` (256 bits from
  :mod:`secrets`), that never appears in a URL;
- a visit's link is ``/besoeg/<booking id>-<tag>`` and the consultant's own page
  ``/konsulent/<consultant id>-<tag>``, where the tag is HMAC-SHA256 of the secret over
  what the link opens, 192 bits, base64url. A link opens exactly one visit (a forwarded
  event or invitation does not open the consultant's other visits), while the links need
  no row per visit: every visit ever booked has one, and ``phoner calendars rotate`` (a
  new secret with the new feed token) revokes all of a consultant's links at once;
- a link is checked on every request against the database (never cached): the
  consultant must be active and still own the visit; a wrong, old or malformed link is a
  plain "not found" (the server answers it with the same bare 404 as an unknown feed).

Forms are protected by a CSRF token bound to the page: ``<unix time>.<HMAC of the
secret over the page's link and the time>``, valid for :data:`CSRF_MAX_AGE`. Only the
page itself can show it; an old one asks the consultant to save again (nothing is lost).

What a visit page shows of other consultants: never their notes, results or names;
an earlier visit of the company by someone else is a date and "anden konsulent".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from phoner.core import feeds, vocabulary
from phoner.core import followups as fu_service
from phoner.core.booking.import_rows import parse_day
from phoner.core.clock import local_date, utcnow
from phoner.core.display import format_date, format_local, format_slot, format_stamp
from phoner.core.errors import Conflict, InvalidInput, NotFound
from phoner.core.models import (
    Agreement,
    AgreementCategory,
    Booking,
    BookingStatus,
    CallAttempt,
    Campaign,
    Company,
    CompanyCancelReason,
    Consultant,
    FollowUp,
    MeetingStatus,
    Setting,
    VisitResult,
)
from phoner.core.phones import format_phone
from phoner.core.visits import CONTACT_STATUSES, MAX_PLACES, record_visit_result

#: the workspace's saved public address (``phoner calendars urls --base-url URL --save``)
BASE_URL_KEY = "feed_base_url"
#: the address when none is given or saved (``phoner serve`` on this machine)
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
VISIT_PATH = "/besoeg/"
CONSULTANT_PATH = "/konsulent/"
CSRF_MAX_AGE = dt.timedelta(hours=24)
_TAG_CHARS = 32  # base64url characters of the HMAC tag: 192 bits
_LINK = re.compile(r"^([1-9][0-9]{0,9})-([A-Za-z0-9_-]{32})$")
_CSRF = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{32})$")
#: statuses that say the visit took place (or should have): not before it starts
_NOT_BEFORE_START: frozenset[MeetingStatus] = CONTACT_STATUSES | {MeetingStatus.KONSULENT_UDEBLEV}
#: how many follow-up rows the form offers (no JavaScript: fixed rows, empty ones ignored)
FOLLOWUP_ROWS = 3
MAX_NOTE = 2000
MAX_FOLLOWUP_TEXT = 500


# --------------------------------------------------------------------------- tokens


def _tag(secret: str, purpose: str, ident: int | str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{ident}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:_TAG_CHARS]


def visit_token(consultant: Consultant, booking_id: int) -> str:
    """The token of the visit page of ``booking_id`` (the consultant's own visit)."""
    return f"{booking_id}-{_tag(consultant.page_secret, 'besoeg', booking_id)}"


def consultant_token(consultant: Consultant) -> str:
    assert consultant.id is not None
    return f"{consultant.id}-{_tag(consultant.page_secret, 'konsulent', consultant.id)}"


def _split(token: str) -> tuple[int, str] | None:
    m = _LINK.match(token)
    if m is None or int(m.group(1)) >= 2**31:
        return None
    return int(m.group(1)), m.group(2)


def _valid(secret: str, purpose: str, ident: int, tag: str) -> bool:
    if not secret:
        return False
    return hmac.compare_digest(_tag(secret, purpose, ident).encode(), tag.encode())


def find_visit(*, session: Session, token: str) -> tuple[Booking, Consultant] | None:
    """The visit and its consultant a visit token opens, or None (wrong, old, malformed,
    the consultant inactive or no longer the visit's)."""
    parts = _split(token)
    if parts is None:
        return None
    booking = session.get(Booking, parts[0])
    if booking is None:
        _valid("x", "besoeg", parts[0], parts[1])  # the same work as a real check
        return None
    consultant = session.get(Consultant, booking.consultant_id)
    if consultant is None or not consultant.active:
        return None
    if not _valid(consultant.page_secret, "besoeg", parts[0], parts[1]):
        return None
    return booking, consultant


def find_consultant(*, session: Session, token: str) -> Consultant | None:
    """The active consultant a consultant-page token opens, or None."""
    parts = _split(token)
    if parts is None:
        return None
    consultant = session.get(Consultant, parts[0])
    if consultant is None or not consultant.active:
        return None
    if not _valid(consultant.page_secret, "konsulent", parts[0], parts[1]):
        return None
    return consultant


def csrf_token(consultant: Consultant, page: str, *, now: dt.datetime | None = None) -> str:
    """A form token for the page ``page`` (its path token), stamped with the time."""
    stamp = int((now or utcnow()).timestamp())
    return f"{stamp}.{_tag(consultant.page_secret, 'csrf:' + page, stamp)}"


def csrf_ok(
    consultant: Consultant, page: str, presented: str, *, now: dt.datetime | None = None
) -> bool:
    """Was ``presented`` given by ``page`` to this consultant within :data:`CSRF_MAX_AGE`?"""
    m = _CSRF.match(presented or "")
    if m is None or not consultant.page_secret:
        return False
    stamp = int(m.group(1))
    age = (now or utcnow()).timestamp() - stamp
    if age < -300 or age > CSRF_MAX_AGE.total_seconds():
        return False
    expected = _tag(consultant.page_secret, "csrf:" + page, stamp)
    return hmac.compare_digest(expected.encode(), m.group(2).encode())


# --------------------------------------------------------------------------- links


def check_base_url(url: str) -> str:
    """A public address for links: ``https://host[:port][/prefix]`` without a trailing
    slash, query, fragment, spaces or quotes (it goes into calendar events and e-mails)."""
    url = url.strip().rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~\-/%]*)?", url):
        raise InvalidInput(
            f"Adressen {url!r} kan ikke bruges i links: den skal begynde med https:// eller "
            "http:// og må ikke indeholde mellemrum, ?, # eller anførselstegn.",
            hint="Fx https://kalender.jobcenter.dk",
        )
    return url


def saved_base_url(*, session: Session) -> str | None:
    """The workspace's saved public address, or None when none is saved."""
    setting = session.get(Setting, BASE_URL_KEY)
    if setting is None or not setting.value.strip():
        return None
    try:
        return check_base_url(setting.value)
    except InvalidInput:
        return None


def visit_url(base: str, consultant: Consultant, booking_id: int) -> str:
    return f"{base}{VISIT_PATH}{visit_token(consultant, booking_id)}"


def consultant_url(base: str, consultant: Consultant) -> str:
    return f"{base}{CONSULTANT_PATH}{consultant_token(consultant)}"


def link_line(url: str) -> str:
    """The last line of a visit event's DESCRIPTION."""
    return f"Registrér resultatet af besøget: {url}"


#: why an invitation has no link (``phoner outbox status`` and the docs say it)
NO_BASE_URL_NOTE = (
    "Konsulenternes invitationer har intet link til besøgssiden, fordi arbejdsområdet "
    "ikke har en gemt offentlig adresse."
)


# --------------------------------------------------------------------------- read side


@dataclass(frozen=True)
class Phone:
    shown: str
    tel: str  # E.164, for a tel: link


@dataclass(frozen=True)
class HistoryLine:
    when: str
    what: str
    note: str | None = None


@dataclass(frozen=True)
class FollowUpLine:
    id: int
    description: str
    due: str
    due_iso: str
    overdue: bool
    company: str
    owner: str | None


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class SavedResult:
    status: str
    status_label: str
    reason: str
    reason_label: str | None
    agreements: dict[str, int]
    note: str
    registered: str  # "02.12.2026 kl. 10.15 af ..."


@dataclass(frozen=True)
class VisitPage:
    """Everything the visit page shows (plain values; times already in Danish)."""

    token: str
    booking_id: int
    consultant_id: int
    consultant_name: str
    consultant_page: str
    company: str
    cvr: str | None
    address: str
    contact_person: str | None
    phones: list[Phone]
    email: str | None
    when: str
    campaign: str
    booked_by: str
    started: bool
    cancelled: bool
    needs: list[tuple[str, str]]
    answers: list[tuple[str, str]]
    phoner_note: str | None
    earlier_calls: list[HistoryLine]
    earlier_visits: list[HistoryLine]
    result: SavedResult | None
    followups: list[FollowUpLine]
    owners: list[Choice]
    statuses: list[Choice]
    reasons: list[Choice]
    categories: list[Choice]
    today_iso: str


def _pairs(details: dict[str, Any], key: str) -> list[tuple[str, str]]:
    text = details.get(f"{key}_text")
    if text:
        return [(str(a), str(b)) for a, b in text]
    out = []
    for k, v in (details.get(key) or {}).items():
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        out.append((str(k).replace("_", " "), str(v)))
    return out


def _choices() -> tuple[list[Choice], list[Choice], list[Choice]]:
    statuses = [Choice(m.value, vocabulary.label(m)) for m in MeetingStatus]
    reasons = [Choice(m.value, vocabulary.label(m)) for m in CompanyCancelReason]
    categories = [Choice(m.value, vocabulary.label(m)) for m in AgreementCategory]
    return statuses, reasons, categories


def _saved(session: Session, booking_id: int) -> SavedResult | None:
    result = session.exec(select(VisitResult).where(VisitResult.booking_id == booking_id)).first()
    if result is None:
        return None
    agreements = {
        a.category.value: a.count
        for a in session.exec(select(Agreement).where(Agreement.visit_result_id == result.id))
    }
    reason = result.company_cancel_reason
    return SavedResult(
        status=result.status.value,
        status_label=vocabulary.label(result.status),
        reason=reason.value if reason else "",
        reason_label=vocabulary.label(reason) if reason else None,
        agreements=agreements,
        note=result.note or "",
        registered=f"{format_stamp(result.registered_at)} af {result.registered_by}",
    )


def _owners(session: Session, consultant: Consultant) -> list[Choice]:
    """Who may own a follow-up: the consultant first, then the active colleagues of the
    same jobcenter (names only)."""
    colleagues = session.exec(
        select(Consultant)
        .where(
            Consultant.jobcenter_id == consultant.jobcenter_id,
            col(Consultant.active).is_(True),
            Consultant.id != consultant.id,
        )
        .order_by(col(Consultant.name))
    ).all()
    return [Choice(str(consultant.id), f"{consultant.name} (dig)")] + [
        Choice(str(c.id), c.name) for c in colleagues
    ]


def _followup_lines(
    session: Session, *, consultant_id: int, company_id: int | None, today: dt.date
) -> list[FollowUpLine]:
    """The consultant's open follow-ups (of one company, or all): overdue first."""
    query = (
        select(FollowUp, Company)
        .join(Company, col(Company.id) == FollowUp.company_id)
        .where(FollowUp.consultant_id == consultant_id, col(FollowUp.done_at).is_(None))
        .order_by(col(FollowUp.due_date), col(FollowUp.id))
    )
    if company_id is not None:
        query = query.where(FollowUp.company_id == company_id)
    lines = [
        FollowUpLine(
            id=f.id or 0,
            description=f.description,
            due=format_date(f.due_date),
            due_iso=f.due_date.isoformat(),
            overdue=f.due_date < today,
            company=c.name,
            owner=None,
        )
        for f, c in session.exec(query).all()
    ]
    return sorted(lines, key=lambda x: not x.overdue)  # stable: by due date within


def visit_page(
    *,
    session: Session,
    booking: Booking,
    consultant: Consultant,
    now: dt.datetime | None = None,
) -> VisitPage:
    """What the visit page of ``booking`` shows its consultant."""
    now = now or utcnow()
    assert booking.id is not None and consultant.id is not None
    company = session.get(Company, booking.company_id)
    campaign = session.get(Campaign, booking.campaign_id)
    assert company is not None and campaign is not None
    details = booking.details or {}
    calls = session.exec(
        select(CallAttempt)
        .where(CallAttempt.company_id == company.id)
        .order_by(col(CallAttempt.ended_at).desc())
        .limit(20)
    ).all()
    earlier_calls = [
        HistoryLine(format_stamp(a.ended_at), vocabulary.label(a.outcome), a.note or None)
        for a in calls
    ]
    same = [company.id]
    if company.cvr:
        same = [
            c
            for c in session.exec(select(Company.id).where(Company.cvr == company.cvr)).all()
            if c is not None
        ]
    visits = session.exec(
        select(Booking, VisitResult)
        .outerjoin(VisitResult, col(VisitResult.booking_id) == Booking.id)
        .where(col(Booking.company_id).in_(same), Booking.id != booking.id)
        .where(col(Booking.start) < booking.start)
        .order_by(col(Booking.start).desc())
        .limit(20)
    ).all()
    earlier_visits: list[HistoryLine] = []
    for b, r in visits:
        if b.status == BookingStatus.CANCELLED:
            what = "aflyst"
        elif r is None:
            what = "intet resultat registreret"
        else:
            what = vocabulary.label(r.status)
        if b.consultant_id == consultant.id:
            earlier_visits.append(HistoryLine(format_date(b.start), what, r.note if r else None))
        else:  # another consultant's visit: when and what only
            earlier_visits.append(HistoryLine(format_date(b.start), f"{what} (anden konsulent)"))
    statuses, reasons, categories = _choices()
    contact = booking.contact_person or company.contact_person
    phones = [Phone(format_phone(p), p) for p in company.phones]
    if booking.contact_mobile and booking.contact_mobile not in company.phones:
        phones.insert(0, Phone(format_phone(booking.contact_mobile), booking.contact_mobile))
    return VisitPage(
        token=visit_token(consultant, booking.id),
        booking_id=booking.id,
        consultant_id=consultant.id,
        consultant_name=consultant.name,
        consultant_page=consultant_token(consultant),
        company=company.name,
        cvr=company.cvr,
        address=feeds.full_address(company),
        contact_person=contact,
        phones=phones,
        email=booking.contact_email or company.email,
        when=format_slot(booking.start, booking.end),
        campaign=campaign.name,
        booked_by=str(details.get("phoner") or booking.booked_by),
        started=now >= booking.start,
        cancelled=booking.status != BookingStatus.BOOKED,
        needs=_pairs(details, "needs"),
        answers=_pairs(details, "answers"),
        phoner_note=details.get("note") or None,
        earlier_calls=earlier_calls,
        earlier_visits=earlier_visits,
        result=_saved(session, booking.id),
        followups=_followup_lines(
            session, consultant_id=consultant.id, company_id=company.id, today=local_date(now)
        ),
        owners=_owners(session, consultant),
        statuses=statuses,
        reasons=reasons,
        categories=categories,
        today_iso=local_date(now).isoformat(),
    )


@dataclass(frozen=True)
class VisitLine:
    token: str
    when: str
    company: str
    address: str
    result: str | None = None  # the registered status (a coming visit may have one)


@dataclass(frozen=True)
class ConsultantPage:
    token: str
    name: str
    coming: list[VisitLine]
    waiting: list[VisitLine]
    followups: list[FollowUpLine]


def consultant_page(
    *, session: Session, consultant: Consultant, now: dt.datetime | None = None
) -> ConsultantPage:
    """The consultant's own page: coming visits, visits waiting for a result (oldest
    first) and open follow-ups (overdue first). Only the consultant's own."""
    now = now or utcnow()
    assert consultant.id is not None
    rows = session.exec(
        select(Booking, Company, VisitResult.status)
        .join(Company, col(Company.id) == Booking.company_id)
        .outerjoin(VisitResult, col(VisitResult.booking_id) == Booking.id)
        .where(Booking.consultant_id == consultant.id, Booking.status == BookingStatus.BOOKED)
        .order_by(col(Booking.start), col(Booking.id))
    ).all()
    coming: list[VisitLine] = []
    waiting: list[VisitLine] = []
    for b, c, result_status in rows:
        assert b.id is not None
        line = VisitLine(
            visit_token(consultant, b.id),
            format_slot(b.start, b.end),
            c.name,
            feeds.full_address(c),
            vocabulary.label(MeetingStatus(result_status)) if result_status is not None else None,
        )
        if b.start > now:
            coming.append(line)
        elif result_status is None:
            waiting.append(line)
    return ConsultantPage(
        token=consultant_token(consultant),
        name=consultant.name,
        coming=coming,
        waiting=waiting,
        followups=_followup_lines(
            session, consultant_id=consultant.id, company_id=None, today=local_date(now)
        ),
    )


# --------------------------------------------------------------------------- write side


@dataclass(frozen=True)
class FollowUpInput:
    description: str
    due: dt.date
    owner_id: int


@dataclass(frozen=True)
class VisitForm:
    """The visit page's form, read and checked (see :func:`parse_form`)."""

    status: MeetingStatus
    reason: CompanyCancelReason | None
    agreements: dict[AgreementCategory, int]
    note: str | None
    followups: list[FollowUpInput] = field(default_factory=list)


def parse_form(fields: Mapping[str, str], *, default_owner: int) -> VisitForm:
    """The visit form's fields as checked values; bad input raises :class:`InvalidInput`
    with a Danish message naming the field (``field`` is the input's name)."""
    status_text = fields.get("status", "").strip()
    try:
        status = MeetingStatus(status_text)
    except ValueError:
        raise InvalidInput("Vælg en status for besøget.", field="status") from None
    reason: CompanyCancelReason | None = None
    reason_text = fields.get("reason", "").strip()
    if reason_text and status == MeetingStatus.AFLYST_AF_VIRKSOMHEDEN:
        try:
            reason = CompanyCancelReason(reason_text)
        except ValueError:
            raise InvalidInput("Vælg en af årsagerne på listen.", field="reason") from None
    agreements: dict[AgreementCategory, int] = {}
    for category in AgreementCategory:
        cell = fields.get(f"a_{category.value}", "").strip().replace(" ", "")
        if not cell:
            continue
        if not (cell.isascii() and cell.isdigit()) or int(cell) > MAX_PLACES:
            raise InvalidInput(
                f"{vocabulary.label(category)}: skriv antallet af pladser som et helt tal "
                f"mellem 0 og {MAX_PLACES}.",
                field=f"a_{category.value}",
            )
        if int(cell) > 0:
            agreements[category] = int(cell)
    note = fields.get("note", "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"Noten er for lang (højst {MAX_NOTE} tegn).", field="note")
    followups: list[FollowUpInput] = []
    for i in range(1, FOLLOWUP_ROWS + 1):
        what = " ".join(fields.get(f"fu{i}_what", "").split())
        due_text = fields.get(f"fu{i}_due", "").strip()
        owner_text = fields.get(f"fu{i}_owner", "").strip()
        if not what and not due_text:
            continue
        if not what:
            raise InvalidInput(
                f"Opfølgning {i}: skriv hvad der skal følges op på.", field=f"fu{i}_what"
            )
        if len(what) > MAX_FOLLOWUP_TEXT:
            raise InvalidInput(
                f"Opfølgning {i}: teksten er for lang (højst {MAX_FOLLOWUP_TEXT} tegn).",
                field=f"fu{i}_what",
            )
        if not due_text:
            raise InvalidInput(f"Opfølgning {i}: vælg en frist (en dato).", field=f"fu{i}_due")
        try:  # the date picker sends ISO; a browser without one sends what was typed
            due = parse_day(due_text)
        except ValueError:
            raise InvalidInput(
                f"Opfølgning {i}: »{due_text[:40]}« er ikke en dato.",
                hint="Vælg fristen i kalenderen, eller skriv den som dd.mm.åååå (fx 15.01.2027).",
                field=f"fu{i}_due",
            ) from None
        owner = default_owner
        if owner_text:
            if not (owner_text.isascii() and owner_text.isdigit() and len(owner_text) < 10):
                raise InvalidInput(
                    f"Opfølgning {i}: vælg en ansvarlig på listen.", field=f"fu{i}_owner"
                )
            owner = int(owner_text)
        followups.append(FollowUpInput(what, due, owner))
    return VisitForm(status, reason, agreements, note or None, followups)


def actor_of(consultant: Consultant) -> str:
    """The consultant as the audit's actor (e-mail: unique, and what the coordinator
    knows them by)."""
    return consultant.email[:120]


def save_visit_form(
    *,
    session: Session,
    booking: Booking,
    consultant: Consultant,
    form: VisitForm,
    now: dt.datetime | None = None,
) -> int:
    """Register the form's result through :func:`phoner.core.visits.record_visit_result`
    (the CLI's and TUI's rules; a second save updates, audited) with the consultant as
    actor, and create its follow-ups. Returns how many follow-ups were created (an
    identical open one is not made twice, so a resent form adds nothing)."""
    now = now or utcnow()
    assert booking.id is not None and consultant.id is not None
    if booking.status != BookingStatus.BOOKED or booking.consultant_id != consultant.id:
        raise Conflict("Besøget er aflyst og kan ikke registreres her.")
    if now < booking.start:
        if form.status in _NOT_BEFORE_START:
            raise InvalidInput(
                f"Besøget er ikke begyndt endnu (det begynder {format_local(booking.start)}): "
                f"»{vocabulary.label(form.status)}« kan først registreres, når besøget er "
                "begyndt. En aflysning eller flytning kan registreres nu.",
                field="status",
            )
        if form.agreements:
            raise InvalidInput(
                "Besøget er ikke begyndt endnu: aftaler kan først registreres, når besøget "
                "er holdt.",
                hint="Gem aflysningen eller flytningen uden antal pladser.",
                field=f"a_{next(iter(form.agreements)).value}",
            )
    owners = {int(c.value) for c in _owners(session, consultant)}
    for i, f in enumerate(form.followups, start=1):
        if f.owner_id not in owners:
            raise InvalidInput(
                f"Opfølgning {i}: vælg en ansvarlig på listen.", field=f"fu{i}_owner"
            )
        if f.due < local_date(now):
            raise InvalidInput(
                f"Opfølgning {i}: fristen {format_date(f.due)} er allerede passeret.",
                hint="Vælg en frist fra i dag og frem.",
                field=f"fu{i}_due",
            )
    actor = actor_of(consultant)
    record_visit_result(
        session=session,
        booking_id=booking.id,
        status=form.status,
        actor=actor,
        company_cancel_reason=form.reason,
        agreements=form.agreements,
        note=form.note,
        now=now,
    )
    company = session.get(Company, booking.company_id)
    assert company is not None
    created = 0
    for f in form.followups:
        twin = session.exec(
            select(FollowUp.id).where(
                FollowUp.company_id == company.id,
                FollowUp.consultant_id == f.owner_id,
                FollowUp.description == f.description,
                FollowUp.due_date == f.due,
                col(FollowUp.done_at).is_(None),
            )
        ).first()
        if twin is not None:
            continue
        fu_service.create_followup(
            session=session,
            company=company,
            due_date=f.due,
            description=f.description,
            consultant_id=f.owner_id,
            actor=actor,
            now=now,
        )
        created += 1
    return created


def mark_followup_done(
    *,
    session: Session,
    consultant: Consultant,
    followup_id: int,
    now: dt.datetime | None = None,
) -> None:
    """Mark one of the consultant's own open follow-ups done (audited as them)."""
    followup = session.get(FollowUp, followup_id)
    if followup is None or followup.consultant_id != consultant.id:
        raise NotFound("Opfølgningen findes ikke på din liste.")
    if followup.done_at is not None:
        return  # pressed twice: already done is what the consultant wanted
    fu_service.mark_done(
        session=session, followup_id=followup_id, actor=actor_of(consultant), now=now
    )


def done_notice(*, session: Session, consultant: Consultant, flag: str | None) -> str | None:
    """The consultant page's notice after "Udført" (``?udfoert=<follow-up id>``): which
    follow-up was marked done, when it is the consultant's own and done; None without a
    flag. Anything else (an old ``=1`` bookmark, another's id) says it in general."""
    if not flag:
        return None
    followup = None
    if flag.isascii() and flag.isdigit() and len(flag) < 10:
        followup = session.get(FollowUp, int(flag))
    if followup is None or followup.consultant_id != consultant.id or followup.done_at is None:
        return "Opfølgningen er markeret som udført."
    company = session.get(Company, followup.company_id)
    where = f" hos {company.name}" if company is not None else ""
    return f"»{followup.description}«{where} er markeret som udført."
