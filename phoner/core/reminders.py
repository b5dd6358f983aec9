"""Reminders to companies before their visit, and notices to consultants of changes.

Feed clients refresh slowly (Google can take 12 hours), so a moved or cancelled visit is
also announced to the consultant by e-mail. Companies get a reminder a set number of
working days before the visit (``Campaign.reminder_days_before``).

Messages go out through SMTP when it is configured, otherwise they are written as .eml
files into a folder (to send from a mail program). Each message is sent once: it is
*claimed* first with a conditional update (``... WHERE reminder_sent_at IS NULL``), so
two runs at the same time never send the same reminder; a failed send releases the
claim so the next run retries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core import vocabulary
from phoner.core.clock import local_date, to_local
from phoner.core.db import Database
from phoner.core.display import WEEKDAYS_DA
from phoner.core.errors import InvalidInput, SendFailed
from phoner.core.feeds import full_address
from phoner.core.models import (
    Booking,
    BookingStatus,
    Campaign,
    Company,
    Consultant,
    Jobcenter,
    utcnow,
)
from phoner.core.phones import format_phone
from phoner.core.workdays import subtract_working_days
from phoner.formats.private_files import write_private_bytes

DEFAULT_SENDER = "ikke-svar@phoner.local"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULT_SENDER
    starttls: bool = False
    use_ssl: bool = False
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpConfig | None:
        """From ``PHONER_SMTP_HOST`` (+ ``_PORT``, ``_USER``, ``_PASSWORD``, ``_FROM``,
        ``_STARTTLS``, ``_SSL``); None when no host is set."""
        e = os.environ if env is None else env
        host = e.get("PHONER_SMTP_HOST", "").strip()
        if not host:
            return None
        try:
            port = int(e.get("PHONER_SMTP_PORT", "") or 25)
        except ValueError:
            raise InvalidInput(
                f"PHONER_SMTP_PORT={e.get('PHONER_SMTP_PORT')!r} er ikke et portnummer."
            ) from None
        yes = {"1", "ja", "yes", "true"}
        return cls(
            host=host,
            port=port,
            user=e.get("PHONER_SMTP_USER") or None,
            password=e.get("PHONER_SMTP_PASSWORD") or None,
            sender=e.get("PHONER_SMTP_FROM") or DEFAULT_SENDER,
            starttls=e.get("PHONER_SMTP_STARTTLS", "").lower() in yes,
            use_ssl=e.get("PHONER_SMTP_SSL", "").lower() in yes,
        )


@dataclass(frozen=True)
class Outgoing:
    """One message that is due: a company reminder or a consultant notice."""

    kind: str  # "reminder" | "notice"
    booking_id: int
    sequence: int
    to: str
    subject: str
    body: str


@dataclass
class SendResult:
    sent: list[Outgoing] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (booking id, reason)
    via: str = "eml"
    folder: Path | None = None


# --------------------------------------------------------------------------- what is due


def _when(ts: dt.datetime) -> str:
    local = to_local(ts)
    return f"{WEEKDAYS_DA[local.weekday()]} den {local:%d.%m.%Y} kl. {local:%H:%M}"


def _reminder(b: Booking, co: Company, c: Consultant, jobcenter: str, to: str) -> Outgoing:
    assert b.id is not None
    greeting = f"Kære {b.contact_person}" if b.contact_person else "Kære modtager"
    address = full_address(co)
    body = "\n".join(
        [
            f"{greeting}",
            "",
            f"Vi minder om, at virksomhedskonsulent {c.name} fra {jobcenter} kommer på besøg "
            f"hos {co.name} {_when(b.start)}–{to_local(b.end):%H:%M}"
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
        booking_id=b.id,
        sequence=b.sequence,
        to=to,
        subject=f"Påmindelse: besøg fra {jobcenter} {_when(b.start)}",
        body=body,
    )


def _notice(b: Booking, co: Company, c: Consultant) -> Outgoing:
    assert b.id is not None
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
            f"Besøget hos {co.name} er flyttet til {_when(b.start)}–{to_local(b.end):%H:%M}. "
            "Din kalender i phoner er opdateret, men din kalenderapp kan være flere timer "
            "om at vise det."
        )
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
            "",
            "Venlig hilsen",
            "phoner",
        ]
    )
    return Outgoing(
        kind="notice",
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
    rows = session.exec(
        select(Booking, Company, Consultant, Campaign)
        .join(Company, col(Company.id) == col(Booking.company_id))
        .join(Consultant, col(Consultant.id) == col(Booking.consultant_id))
        .join(Campaign, col(Campaign.id) == col(Booking.campaign_id))
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
    for b, co, c, camp in rows:
        assert b.id is not None
        jobcenter = jobcenters.get(c.jobcenter_id, "Jobcentret")
        if (
            b.status == BookingStatus.BOOKED
            and b.reminder_sent_at is None
            and today >= subtract_working_days(local_date(b.start), camp.reminder_days_before)
        ):
            to = b.contact_email or co.email
            if to:
                out.append(_reminder(b, co, c, jobcenter, to))
            else:
                skipped.append(
                    (b.id, f"{co.name}: ingen e-mailadresse til påmindelsen (ring i stedet).")
                )
        if b.consultant_notified_at is None and (
            b.sequence > 0 or b.status == BookingStatus.CANCELLED
        ):
            out.append(_notice(b, co, c))
    return out, skipped


# --------------------------------------------------------------------------- sending


def _email(msg: Outgoing, sender: str, now: dt.datetime) -> EmailMessage:
    em = EmailMessage()
    em["From"] = sender
    em["To"] = msg.to
    em["Subject"] = " ".join(msg.subject.split())  # no line breaks in a header
    em["Date"] = format_datetime(now)
    em["Message-ID"] = make_msgid(domain="phoner.local")
    em["Auto-Submitted"] = "auto-generated"
    em.set_content(msg.body)
    return em


def _column(kind: str) -> Any:
    return (
        col(Booking.reminder_sent_at) if kind == "reminder" else col(Booking.consultant_notified_at)
    )


def _claim(db: Database, msg: Outgoing, now: dt.datetime) -> bool:
    """Mark the message sent, if nobody else has; True if this run may send it."""
    column = _column(msg.kind)
    with db.session(write=True) as session:
        result = session.execute(
            sa.update(Booking)
            .where(
                col(Booking.id) == msg.booking_id,
                col(Booking.sequence) == msg.sequence,
                column.is_(None),
            )
            .values({column.key: now})
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def _release(db: Database, msg: Outgoing) -> None:
    column = _column(msg.kind)
    with db.session(write=True) as session:
        session.execute(
            sa.update(Booking).where(col(Booking.id) == msg.booking_id).values({column.key: None})
        )


def send_due(
    *,
    db: Database,
    out_dir: Path,
    smtp: SmtpConfig | None = None,
    sender: str | None = None,
    now: dt.datetime | None = None,
) -> SendResult:
    """Send every due reminder and notice once: via SMTP if configured, else .eml files."""
    now = now or utcnow()
    with db.session() as session:
        due, skipped = due_messages(session=session, now=now)
    result = SendResult(skipped=skipped, via="smtp" if smtp else "eml", folder=None)
    from_addr = sender or (smtp.sender if smtp else DEFAULT_SENDER)
    client: smtplib.SMTP | None = None
    try:
        for msg in due:
            em = _email(msg, from_addr, now)
            if not _claim(db, msg, now):
                continue  # another run took it, or the booking changed meanwhile
            try:
                if smtp is not None:
                    if client is None:
                        client = _connect(smtp)
                    client.send_message(em)
                else:
                    name = f"{msg.kind}-besoeg{msg.booking_id}-v{msg.sequence}.eml"
                    write_private_bytes(out_dir / name, bytes(em))
                    result.folder = out_dir
            except (smtplib.SMTPException, OSError) as exc:
                _release(db, msg)
                target = f"SMTP-serveren {smtp.host}:{smtp.port}" if smtp else str(out_dir)
                raise SendFailed(
                    f"Kunne ikke sende til {msg.to} via {target} ({exc}). "
                    f"{len(result.sent)} beskeder blev sendt før fejlen.",
                    hint="Tjek forbindelsen/indstillingerne og send igen; "
                    "allerede sendte beskeder sendes ikke igen.",
                ) from exc
            result.sent.append(msg)
    finally:
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException):
                client.quit()
    return result


def _connect(cfg: SmtpConfig) -> smtplib.SMTP:
    client: smtplib.SMTP
    if cfg.use_ssl:
        client = smtplib.SMTP_SSL(
            cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        if cfg.starttls:
            client.starttls(context=ssl.create_default_context())
    if cfg.user:
        client.login(cfg.user, cfg.password or "")
    return client
