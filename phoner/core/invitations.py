"""Calendar invitations for a booking change: which e-mails go to whom (read side only).

A booked visit reaches the consultant's and the company's own calendars at once by an
iMIP invitation (:mod:`phoner.formats.imip`), besides the consultant's feed. This module
decides, for one change of one booking, the messages to send; it writes nothing and sends
nothing (the outbox does).

=========  ===========================  ==========================================
change     consultant                   company (booking contact e-mail, else the
                                        company's e-mail; none: a reason instead)
=========  ===========================  ==========================================
book       REQUEST (SEQUENCE 0)         REQUEST
move       REQUEST (raised SEQUENCE)    REQUEST
handover   CANCEL to the old one,       REQUEST (raised SEQUENCE) of the same event,
           REQUEST to the new one       now naming the new consultant
cancel     CANCEL (STATUS:CANCELLED)    CANCEL
update     REQUEST (what the event      REQUEST
           shows changed)
=========  ===========================  ==========================================

A handover is a new booking with its own UID (:func:`phoner.core.booking.writes.move`):
each consultant's calendar (and feed) gets a clean change. The company keeps ONE event
for the visit however often it changes hands (:func:`company_event`): its UID is the
UID of the first booking of the ``moved_from`` chain, and its SEQUENCE is the booking's
own plus the final SEQUENCE of every booking before it in the chain, so it only ever
rises (the replaced bookings are cancelled and never change again).

For the consultant, UID and SEQUENCE are the booking's own (the feed's), so an
invitation and the feed describe the same event. The consultant's event text is the feed's
(:func:`phoner.core.feeds.event_description`), with the link to the visit's page
(:mod:`phoner.core.visit_pages`) as its last line and URL when the workspace has a saved
public address (without one the invitation has no link: the address is not known where
the booking is made; ``phoner outbox status`` says so); the company's tells what the visit is for,
who comes and how to reach them, and nothing the phoner noted about the company.
Invitations ask for no reply (``RSVP=FALSE``): phoner does not read replies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from enum import StrEnum

from sqlmodel import Session

from phoner.core import visit_pages, vocabulary
from phoner.core.clock import TZ, utcnow
from phoner.core.display import format_span, format_when
from phoner.core.errors import Conflict, InvalidInput, NotFound
from phoner.core.feeds import (
    FeedRow,
    event_description,
    event_summary,
    feed_row,
    full_address,
    page_url,
)
from phoner.core.models import (
    Booking,
    BookingStatus,
    CancelReason,
    Company,
    Consultant,
    Jobcenter,
)
from phoner.formats.imip import Invitation, Mailbox, Method, build_message, is_address


class Change(StrEnum):
    """What happened to the booking."""

    BOOK = "book"
    MOVE = "move"  # new time, same consultant (same booking, SEQUENCE raised)
    HANDOVER = "handover"  # another consultant (a new booking replacing the old)
    CANCEL = "cancel"
    UPDATE = "update"  # what the event shows changed (contact, address, …)


class Role(StrEnum):
    CONSULTANT = "consultant"
    COMPANY = "company"


@dataclass(frozen=True)
class InvitationDraft:
    """One e-mail to send: the recipient, what it does, and the message itself."""

    recipient: str
    role: Role
    method: Method
    sequence: int
    booking_id: int
    uid: str
    message: EmailMessage
    #: the booking whose UID the recipient's event carries: ``booking_id`` for the
    #: consultant, the first booking of a handover chain for the company (the outbox
    #: keeps one recipient's messages about one event in order by this id)
    event_booking_id: int

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass(frozen=True)
class Invitations:
    """The drafts of one change, and why a recipient gets none (Danish)."""

    drafts: tuple[InvitationDraft, ...]
    skipped: tuple[str, ...] = ()


def parse_organizer(text: str) -> Mailbox:
    """``"Jobcenter Køge <booking@koege.dk>"`` or a bare address as a :class:`Mailbox`."""
    name, email = parseaddr(text.strip())
    if not is_address(email):
        raise InvalidInput(
            f"Afsenderen af kalenderinvitationer {text!r} er ikke en e-mailadresse.",
            hint="Angiv kampagnens postkasse, fx booking@jobcenter.dk.",
        )
    return Mailbox(email=email, name=name)


@dataclass(frozen=True)
class _Visit:
    booking: Booking
    row: FeedRow
    company: Company
    consultant: Consultant
    jobcenter: str

    @property
    def company_mailbox(self) -> Mailbox | None:
        email = (self.booking.contact_email or self.company.email or "").strip()
        if not email:
            return None
        return Mailbox(email=email, name=self.booking.contact_person or self.company.name)


def _load(session: Session, booking_id: int) -> _Visit:
    booking = session.get(Booking, booking_id)
    row = feed_row(session=session, booking_id=booking_id)
    if booking is None or row is None:
        raise NotFound(f"Besøget med nummer {booking_id} findes ikke.")
    company = session.get(Company, booking.company_id)
    consultant = session.get(Consultant, booking.consultant_id)
    assert company is not None and consultant is not None
    jobcenter = session.get(Jobcenter, consultant.jobcenter_id)
    return _Visit(booking, row, company, consultant, jobcenter.name if jobcenter else "Jobcentret")


def company_event(session: Session, booking: Booking) -> tuple[str, int, int]:
    """The company's event of ``booking``: (UID, SEQUENCE, id of the booking whose UID
    it is). Follows ``details["moved_from"]`` back to the first booking of a handover
    chain; the SEQUENCE adds the final SEQUENCE of every earlier booking, so each handover
    (which cancels the old booking, raising its SEQUENCE) raises the company's by one."""
    assert booking.id is not None
    root, offset, seen = booking, 0, {booking.id}
    previous = booking.details.get("moved_from")
    while isinstance(previous, int) and previous not in seen:
        earlier = session.get(Booking, previous)
        if earlier is None:
            break
        assert earlier.id is not None
        seen.add(earlier.id)
        root, offset = earlier, offset + earlier.sequence
        previous = earlier.details.get("moved_from")
    assert root.id is not None
    return root.uid, booking.sequence + offset, root.id


# --------------------------------------------------------------------------- texts


def _company_description(v: _Visit) -> str:
    """The company's event text: purpose, who comes, when and where, what to expect.
    Nothing from the call (answers, needs, the phoner's note) and nothing about them."""
    b, c = v.booking, v.consultant
    minutes = round((b.end - b.start).total_seconds() / 60)
    return "\n".join(
        [
            f"Virksomhedskonsulent {c.name} fra {v.jobcenter} besøger {_one_line(v.company.name)}.",
            "",
            f"Tidspunkt: {format_span(b.start, b.end)}",
            f"Adresse: {full_address(v.company) or 'aftales med konsulenten'}",
            f"Formål: virksomhedsbesøg i kampagnen »{v.row.campaign}«",
            "",
            f"Hvad I kan forvente: {c.name} fortæller, hvordan {v.jobcenter} kan hjælpe jer "
            "med at finde medarbejdere, og hører om jeres behov. Besøget varer ca. "
            f"{minutes} minutter og er uforpligtende.",
            "",
            f"Kontakt: {c.name}, {c.email}",
            f"Passer tidspunktet ikke, så skriv til {c.email}, så finder vi en ny tid.",
        ]
    )


def _one_line(text: str) -> str:
    """A name inside a sentence or a subject: one line, single spaces."""
    return " ".join(text.split())


def _company_summary(v: _Visit) -> str:
    return f"Besøg af {v.consultant.name}, {v.jobcenter}"


def _cancelled_details(v: _Visit) -> str:
    b = v.booking
    return "\n".join(
        [
            f"Tidspunkt: {format_span(b.start, b.end)}",
            f"Adresse: {full_address(v.company) or 'ikke oplyst'}",
        ]
    )


def _reason(b: Booking) -> str:
    return vocabulary.label(b.cancel_reason).lower() if b.cancel_reason else "aflyst"


def _letter(greeting: str, head: str, body: str, signature: str) -> str:
    return "\n\n".join([greeting, head, body, f"Venlig hilsen\n{signature}"])


# --------------------------------------------------------------------------- drafts


@dataclass
class _Builder:
    session: Session
    organizer: Mailbox
    now: dt.datetime
    drafts: list[InvitationDraft]
    skipped: list[str]

    def add(
        self,
        v: _Visit,
        role: Role,
        method: Method,
        *,
        subject: str,
        text: str,
        description: str,
        url: str = "",
    ) -> None:
        b = v.booking
        assert b.id is not None
        uid, sequence, event_id = b.uid, b.sequence, b.id
        if role == Role.CONSULTANT:
            to = Mailbox(email=v.consultant.email.strip(), name=v.consultant.name)
            summary, reply_to = event_summary(v.row), None
        else:
            uid, sequence, event_id = company_event(self.session, b)
            found = v.company_mailbox
            if found is None:
                self.skipped.append(
                    f"{_one_line(v.company.name)}: ingen e-mailadresse til kalenderinvitationen "
                    "(ring i stedet)."
                )
                return
            to, summary = found, _company_summary(v)
            consultant = v.consultant.email.strip()
            reply_to = Mailbox(consultant, v.consultant.name) if is_address(consultant) else None
        if not is_address(to.email):
            whose = "konsulentens" if role == Role.CONSULTANT else "virksomhedens"
            self.skipped.append(
                f"{to.email!r} er ikke en gyldig e-mailadresse ({whose}); "
                "ret den, så kan invitationen sendes."
            )
            return
        if to.email.lower() == self.organizer.email.lower():
            self.skipped.append(
                f"{to.email} er selv afsender af kalenderinvitationerne og får ingen."
            )
            return
        inv = Invitation(
            method=method,
            uid=uid,
            sequence=sequence,
            start=b.start,
            end=b.end,
            summary=summary,
            location=full_address(v.company),
            description=description,
            organizer=self.organizer,
            attendee=to,
            stamp=self.now,
            tz=TZ,
            tzid=TZ.key,
            url=url,
        )
        message = build_message(inv, subject=subject, text=text, reply_to=reply_to)
        self.drafts.append(
            InvitationDraft(
                recipient=to.email,
                role=role,
                method=method,
                sequence=sequence,
                booking_id=b.id,
                uid=uid,
                message=message,
                event_booking_id=event_id,
            )
        )

    def consultant(self, v: _Visit, method: Method, subject: str, head: str) -> None:
        url = None
        if method == Method.REQUEST:  # a cancelled visit's page has nothing to register
            assert v.booking.id is not None
            url = page_url(
                visit_pages.saved_base_url(session=self.session), v.consultant, v.booking.id
            )
        description = event_description(v.row, url)
        text = _letter(f"Kære {v.consultant.name}", head, description, "phoner")
        self.add(
            v,
            Role.CONSULTANT,
            method,
            subject=subject,
            text=text,
            description=description,
            url=url or "",
        )

    def company(self, v: _Visit, method: Method, subject: str, head: str) -> None:
        b = v.booking
        greeting = f"Kære {b.contact_person}" if b.contact_person else "Kære modtager"
        if method == Method.CANCEL:
            details = _cancelled_details(v)
            description = f"{head}\n\n{details}"
            text = _letter(greeting, head, details, v.jobcenter)
        else:
            description = _company_description(v)
            text = _letter(greeting, head, description, v.jobcenter)
        self.add(v, Role.COMPANY, method, subject=subject, text=text, description=description)


def _require(v: _Visit, status: BookingStatus, change: Change) -> None:
    if v.booking.status != status:
        state = "aflyst" if status == BookingStatus.BOOKED else "ikke aflyst"
        raise Conflict(
            f"Besøget nr. {v.booking.id} er {state}; der kan ikke laves invitationer til "
            f"ændringen {change.value!r}."
        )


def invitation_drafts(
    *,
    session: Session,
    booking_id: int,
    change: Change | str,
    organizer: str | Mailbox,
    now: dt.datetime | None = None,
    previous_booking_id: int | None = None,
) -> Invitations:
    """The invitations to send for ``change`` of the booking ``booking_id`` (read only;
    never commits). ``organizer`` is the campaign's mailbox (the sender and ORGANIZER).

    For a handover, ``booking_id`` is the booking now in the calendar (what
    :func:`phoner.core.booking.writes.move` returns) and the replaced one is
    ``previous_booking_id`` or, when not given, the one it records as ``moved_from``.
    """
    change = Change(change)
    box = organizer if isinstance(organizer, Mailbox) else parse_organizer(organizer)
    out = _Builder(session=session, organizer=box, now=now or utcnow(), drafts=[], skipped=[])
    v = _load(session, booking_id)
    b, co, jc = v.booking, _one_line(v.company.name), v.jobcenter
    when = format_when(b.start)
    span = format_span(b.start, b.end)
    calendar_note = "Invitationen lægger besøget direkte i din kalender."
    if change == Change.BOOK:
        _require(v, BookingStatus.BOOKED, change)
        out.consultant(
            v,
            Method.REQUEST,
            f"Nyt: virksomhedsbesøg hos {co} {when}",
            f"Du skal på virksomhedsbesøg hos {co} {span}. {calendar_note}",
        )
        out.company(
            v,
            Method.REQUEST,
            f"Invitation: besøg fra {jc} {when}",
            f"Tak for aftalen. Her er invitationen til besøget {span}; "
            "den kan lægges direkte i jeres kalender.",
        )
    elif change == Change.MOVE:
        _require(v, BookingStatus.BOOKED, change)
        out.consultant(
            v,
            Method.REQUEST,
            f"Flyttet: virksomhedsbesøg hos {co} – nu {when}",
            f"Besøget hos {co} er flyttet til {span}. Invitationen opdaterer din kalender.",
        )
        out.company(
            v,
            Method.REQUEST,
            f"Ny tid: besøg fra {jc} – nu {when}",
            f"Besøget er flyttet til {span}. Invitationen opdaterer jeres kalender.",
        )
    elif change == Change.UPDATE:
        _require(v, BookingStatus.BOOKED, change)
        out.consultant(
            v,
            Method.REQUEST,
            f"Opdateret: virksomhedsbesøg hos {co} {when}",
            f"Oplysningerne om besøget hos {co} {span} er opdateret.",
        )
        out.company(
            v,
            Method.REQUEST,
            f"Opdateret: besøg fra {jc} {when}",
            f"Oplysningerne om besøget {span} er opdateret.",
        )
    elif change == Change.CANCEL and b.cancel_reason == CancelReason.FEJLBOOKING:
        _require(v, BookingStatus.CANCELLED, change)
        out.consultant(
            v,
            Method.CANCEL,
            f"Trukket tilbage: virksomhedsbesøg hos {co} {when}",
            f"Besøget hos {co} {span} blev booket ved en fejl og er trukket tilbage. "
            "Invitationen fjerner det fra din kalender.",
        )
        out.company(
            v,
            Method.CANCEL,
            f"Trukket tilbage: besøg fra {jc} {when}",
            f"Invitationen til et besøg fra {jc} {span} blev sendt ved en fejl og er "
            "trukket tilbage. Vi beklager.",
        )
    elif change == Change.CANCEL:
        _require(v, BookingStatus.CANCELLED, change)
        out.consultant(
            v,
            Method.CANCEL,
            f"Aflyst: virksomhedsbesøg hos {co} {when}",
            f"Besøget hos {co} {span} er aflyst ({_reason(b)}). "
            "Invitationen fjerner det fra din kalender.",
        )
        out.company(
            v,
            Method.CANCEL,
            f"Aflyst: besøg fra {jc} {when}",
            f"Besøget fra {jc} {span} er aflyst. Ønsker I en ny tid, så skriv til "
            f"{v.consultant.email}.",
        )
    else:
        _handover(session, out, v, previous_booking_id)
    return Invitations(drafts=tuple(out.drafts), skipped=tuple(out.skipped))


def _handover(session: Session, out: _Builder, new: _Visit, previous: int | None) -> None:
    _require(new, BookingStatus.BOOKED, Change.HANDOVER)
    previous = previous or new.booking.details.get("moved_from")
    if not isinstance(previous, int):
        raise Conflict(f"Besøget nr. {new.booking.id} har ikke overtaget noget andet besøg.")
    old = _load(session, previous)
    _require(old, BookingStatus.CANCELLED, Change.HANDOVER)
    co, jc = _one_line(new.company.name), new.jobcenter
    b, ob = new.booking, old.booking
    span, old_span = format_span(b.start, b.end), format_span(ob.start, ob.end)
    out.consultant(
        old,
        Method.CANCEL,
        f"Overdraget: virksomhedsbesøg hos {co} {format_when(ob.start)}",
        f"Besøget hos {co} {old_span} er overdraget til {new.consultant.name}. "
        "Invitationen fjerner det fra din kalender.",
    )
    out.consultant(
        new,
        Method.REQUEST,
        f"Overdraget til dig: virksomhedsbesøg hos {co} {format_when(b.start)}",
        f"Du har overtaget besøget hos {co} fra {old.consultant.name}: {span}. "
        "Invitationen lægger det direkte i din kalender.",
    )
    moved = "" if (b.start, b.end) == (ob.start, ob.end) else f" (før {old_span})"
    out.company(
        new,
        Method.REQUEST,
        f"Ny konsulent: besøg fra {jc} {format_when(b.start)}",
        f"Besøget {span}{moved} varetages nu af virksomhedskonsulent "
        f"{new.consultant.name} fra {jc} i stedet for {old.consultant.name}. "
        "Invitationen opdaterer aftalen i jeres kalender.",
    )
