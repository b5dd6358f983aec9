"""Reminders to companies before their visit, and notices to consultants of changes.

Feed clients refresh slowly (Google can take 12 hours), so a moved or cancelled visit is
also announced by e-mail to a consultant on ``feed`` delivery; a consultant who takes
invitations (``invitation``/``both``) gets the change as a calendar invitation instead
(:mod:`phoner.core.notify`), never both. The notice of a moved visit ends with the link
to the visit's page (:mod:`phoner.core.visit_pages`) when the workspace has a saved
public address, as the consultant's invitation does; a cancelled visit's notice (also
the first consultant's after a handover: their visit is cancelled, the new one is the
other consultant's) has none, and a company's reminder never has one. Companies get a
reminder a set number of working days before the visit (``Campaign.reminder_days_before``).

Due messages are queued in the outbox (:mod:`phoner.core.outbox`), which delivers them
through SMTP when it is configured, otherwise as .eml files in ``udbakke/``. Each one is
queued once: the booking is *claimed* with a conditional update (``... WHERE
reminder_sent_at IS NULL``) in the transaction that writes the outbox row, so two runs
at the same time never queue the same reminder; the outbox retries a failed send.
``phoner serve`` queues and sends them continuously, ``phoner reminders --due`` once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core import outbox, visit_pages, vocabulary
from phoner.core.clock import local_date
from phoner.core.consultants import wants_invitations
from phoner.core.db import Database
from phoner.core.display import format_span as _span
from phoner.core.display import format_when as _when
from phoner.core.feeds import full_address, page_url
from phoner.core.mail import DEFAULT_SENDER as DEFAULT_SENDER
from phoner.core.mail import SmtpConfig as SmtpConfig
from phoner.core.mail import Transport
from phoner.core.models import (
    Booking,
    BookingStatus,
    Campaign,
    Company,
    Consultant,
    Jobcenter,
    VisitResult,
    utcnow,
)
from phoner.core.outbox import SendReport
from phoner.core.phones import format_phone
from phoner.core.workdays import subtract_working_days


@dataclass(frozen=True)
class Outgoing:
    """One message that is due: a company reminder or a consultant notice."""

    kind: str  # "reminder" | "notice"
    campaign_id: int
    booking_id: int
    sequence: int
    to: str
    subject: str
    body: str


@dataclass
class QueueResult:
    queued: list[Outgoing] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (booking id, reason)


@dataclass(frozen=True)
class SendResult:
    queued: list[Outgoing]  # put in the outbox by this run
    skipped: list[tuple[int, str]]  # (booking id, why it cannot get a reminder)
    outbox: SendReport  # what the outbox sent (this run's and earlier messages)


# --------------------------------------------------------------------------- what is due


def _reminder(b: Booking, co: Company, c: Consultant, jobcenter: str, to: str) -> Outgoing:
    assert b.id is not None
    greeting = f"Kære {b.contact_person}" if b.contact_person else "Kære modtager"
    address = full_address(co)
    body = "\n".join(
        [
            f"{greeting}",
            "",
            f"Vi minder om, at virksomhedskonsulent {c.name} fra {jobcenter} kommer på besøg "
            f"hos {co.name} {_span(b.start, b.end)}"
            + (f" på adressen {address}." if address else "."),
            "",
            "Passer tidspunktet ikke længere, så giv venligst besked til konsulenten på "
            f"{c.email}, så finder vi en ny tid.",
            "",
            "Venlig hilsen",
            jobcenter,
        ]
    )
    return Outgoing(
        kind="reminder",
        campaign_id=b.campaign_id,
        booking_id=b.id,
        sequence=b.sequence,
        to=to,
        subject=f"Påmindelse: besøg fra {jobcenter} {_when(b.start)}",
        body=body,
    )


def _notice(b: Booking, co: Company, c: Consultant, base: str | None = None) -> Outgoing:
    """The consultant's notice of the change; with ``base`` (the saved public address),
    a moved visit's notice links to its page (a cancelled visit's has none: nothing is
    left to register, and after a handover the visit is the other consultant's)."""
    assert b.id is not None
    url = None
    phones = ", ".join(format_phone(p) for p in co.phones) or "ikke oplyst"
    if b.status == BookingStatus.CANCELLED:
        reason = vocabulary.label(b.cancel_reason) if b.cancel_reason else "aflyst"
        subject = f"Aflyst: virksomhedsbesøg hos {co.name} {_when(b.start)}"
        head = (
            f"Besøget hos {co.name} {_when(b.start)} er aflyst ({reason.lower()}). "
            "Det er fjernet fra din kalender i phoner."
        )
    else:
        subject = f"Flyttet: virksomhedsbesøg hos {co.name} – nu {_when(b.start)}"
        head = (
            f"Besøget hos {co.name} er flyttet til {_span(b.start, b.end)}. "
            "Din kalender i phoner er opdateret, men din kalenderapp kan være flere timer "
            "om at vise det."
        )
        if c.active:  # an inactive consultant's links open nothing
            url = page_url(base, c, b.id)
    body = "\n".join(
        [
            f"Kære {c.name}",
            "",
            head,
            "",
            f"Virksomhed: {co.name}",
            f"Adresse: {full_address(co) or 'ikke oplyst'}",
            f"Kontaktperson: {b.contact_person or co.contact_person or 'ikke oplyst'}",
            f"Telefon: {phones}",
            f"Besøg nr.: {b.id}",
            *(["", visit_pages.link_line(url)] if url else []),
            "",
            "Venlig hilsen",
            "phoner",
        ]
    )
    return Outgoing(
        kind="notice",
        campaign_id=b.campaign_id,
        booking_id=b.id,
        sequence=b.sequence,
        to=c.email,
        subject=subject,
        body=body,
    )


def due_messages(
    *, session: Session, now: dt.datetime | None = None
) -> tuple[list[Outgoing], list[tuple[int, str]]]:
    """Messages due now, and bookings that need a reminder but cannot get one (why)."""
    now = now or utcnow()
    today = local_date(now)
    # A result registered before the day is a cancellation or a move the consultant was
    # told of ("Afholdt" is refused before the start): that visit is not reminded of.
    rows = session.execute(  # sa.select: SQLModel's select takes four entities at most
        sa.select(Booking, Company, Consultant, Campaign, col(VisitResult.id))
        .join(Company, col(Company.id) == col(Booking.company_id))
        .join(Consultant, col(Consultant.id) == col(Booking.consultant_id))
        .join(Campaign, col(Campaign.id) == col(Booking.campaign_id))
        .outerjoin(VisitResult, col(VisitResult.booking_id) == col(Booking.id))
        .where(
            col(Booking.start) > now,
            sa.or_(
                sa.and_(
                    col(Booking.status) == BookingStatus.BOOKED,
                    col(Booking.reminder_sent_at).is_(None),
                ),
                sa.and_(
                    col(Booking.consultant_notified_at).is_(None),
                    sa.or_(
                        col(Booking.sequence) > 0,
                        col(Booking.status) == BookingStatus.CANCELLED,
                    ),
                ),
            ),
        )
        .order_by(col(Booking.start), col(Booking.id))
    ).all()
    out: list[Outgoing] = []
    skipped: list[tuple[int, str]] = []
    jobcenters = {jc.id: jc.name for jc in session.exec(select(Jobcenter)).all()}
    base = visit_pages.saved_base_url(session=session) if rows else None
    for b, co, c, camp, result_id in rows:
        assert b.id is not None
        jobcenter = jobcenters.get(c.jobcenter_id, "Jobcentret")
        if (
            b.status == BookingStatus.BOOKED
            and b.reminder_sent_at is None
            and result_id is None
            and today >= subtract_working_days(local_date(b.start), camp.reminder_days_before)
        ):
            to = b.contact_email or co.email
            if to:
                out.append(_reminder(b, co, c, jobcenter, to))
            else:
                skipped.append(
                    (b.id, f"{co.name}: ingen e-mailadresse til påmindelsen (ring i stedet).")
                )
        if (
            b.consultant_notified_at is None
            and (b.sequence > 0 or b.status == BookingStatus.CANCELLED)
            and not wants_invitations(c)
        ):
            out.append(_notice(b, co, c, base))
    return out, skipped


# --------------------------------------------------------------------------- queueing


def _email(msg: Outgoing) -> EmailMessage:
    """The message without From (the sender adds the campaign's address)."""
    em = EmailMessage()
    em["To"] = msg.to
    em["Subject"] = " ".join(msg.subject.split())  # no line breaks in a header
    em["Auto-Submitted"] = "auto-generated"
    em.set_content(msg.body)
    return em


def _column(kind: str) -> Any:
    return (
        col(Booking.reminder_sent_at) if kind == "reminder" else col(Booking.consultant_notified_at)
    )


def enqueue_due(*, session: Session, now: dt.datetime | None = None) -> QueueResult:
    """Queue every due reminder and notice in the outbox, once. A building block: the
    booking's stamp (``reminder_sent_at`` / ``consultant_notified_at``, now meaning
    "queued at") is set by a conditional update in the same transaction as the outbox
    row, so two runs never queue the same message and a rolled-back run queues none."""
    now = now or utcnow()
    due, skipped = due_messages(session=session, now=now)
    result = QueueResult(skipped=skipped)
    for msg in due:
        column = _column(msg.kind)
        claimed = session.execute(
            sa.update(Booking)
            .where(
                col(Booking.id) == msg.booking_id,
                col(Booking.sequence) == msg.sequence,
                column.is_(None),
            )
            .values({column.key: now})
        )
        if getattr(claimed, "rowcount", 0) != 1:
            continue  # another run queued it, or the booking changed meanwhile
        outbox.enqueue(
            session,
            message=_email(msg),
            recipient=msg.to,
            kind=msg.kind,
            campaign_id=msg.campaign_id,
            booking_id=msg.booking_id,
            sequence=msg.sequence,
            now=now,
        )
        result.queued.append(msg)
    return result


def queue_due(*, db: Database, now: dt.datetime | None = None) -> QueueResult:
    """:func:`enqueue_due` in a unit of work of its own."""
    with db.session(write=True) as session:
        return enqueue_due(session=session, now=now)


def send_due(
    *,
    db: Database,
    transport: Transport,
    sender: str | None = None,
    now: dt.datetime | None = None,
) -> SendResult:
    """Queue what is due, then deliver everything due in the outbox (``phoner reminders
    --due``): the queued reminders and notices, and whatever else waits."""
    now = now or utcnow()
    queued = queue_due(db=db, now=now)
    report = outbox.send_due(db, transport, now=now, sender=sender)
    return SendResult(queued=queued.queued, skipped=queued.skipped, outbox=report)
