"""The outbox: every e-mail phoner sends is a row first, and a sender delivers the rows.

Why a table and not a direct send: a booking, a move or a cancellation and the e-mail
it causes are written in ONE transaction (:func:`enqueue` is a building block that never
commits), so a committed change always has its message and a rolled-back change never
has one, whatever crashes afterwards.

The sender (:func:`send_due`; run continuously by ``phoner serve``, once by
``phoner outbox send``) and its guarantees:

- a message is *claimed* before it is sent, by a conditional update
  (``queued -> sending`` with ``claimed_at``, ``attempts + 1``), so two senders never send
  the same message; it is marked ``sent`` only by the claim that sent it;
- a crash between the commit and the send loses nothing (the row is queued); a crash
  after the send and before the mark sends it at most once more: a ``sending`` row whose
  claim is older than :data:`STALE_AFTER` goes back to the queue;
- the messages of one booking to one recipient leave in (sequence, id) order: a message
  waits while an earlier one is unsent (queued, sending or failed), so a CANCEL never
  overtakes the REQUEST it cancels;
- a temporary refusal (4xx, refused connection, timeout) is tried again after an
  exponential backoff (:func:`backoff`); a permanent one (5xx) marks the message
  ``failed`` with the server's answer, which :func:`retry` puts back in the queue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from phoner.core.errors import InvalidInput, NotFound
from phoner.core.mail import (
    OutgoingMail,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    is_placeholder,
    placeholder_sender_error,
)
from phoner.core.models import Campaign, OutboxKind, OutboxMessage, OutboxStatus, utcnow

if TYPE_CHECKING:  # phoner.core.db installs phoner.core.notify, which imports this module
    from phoner.core.db import Database

STALE_AFTER = dt.timedelta(minutes=10)  # a claim older than this was a crashed sender
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
MAX_ATTEMPTS = 20  # temporary failures before a message is given up (about 15 hours)
MAX_LAG = dt.timedelta(minutes=5)  # /health: an unsent message older than this is a problem

M = OutboxMessage


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th temporary failure: 30 s, 1 min, 2 min, ... 1 h."""
    wait: dt.timedelta = BACKOFF_FIRST * (2 ** min(max(0, attempts - 1), 20))
    return min(wait, BACKOFF_MAX)


# --------------------------------------------------------------------------- writing


def enqueue(
    session: Session,
    *,
    message: EmailMessage,
    recipient: str,
    kind: str,
    campaign_id: int,
    booking_id: int | None = None,
    sequence: int = 0,
    now: dt.datetime | None = None,
) -> int:
    """Queue ``message`` for ``recipient``; returns the outbox id. Never commits: call it
    in the transaction of the change that causes the message.

    Sets a Message-ID, a Date and a To header when the message has none (the sender adds
    the From header from the campaign's mailbox or PHONER_SMTP_FROM if it is missing).
    """
    now = now or utcnow()
    try:
        kind_ = OutboxKind(kind)
    except ValueError:
        raise ValueError(f"unknown outbox kind {kind!r}") from None
    recipient = recipient.strip()
    if not recipient or "@" not in recipient:
        raise InvalidInput(f"{recipient!r} er ikke en e-mailadresse; beskeden kan ikke sendes.")
    if message["Message-ID"] is None:
        campaign = session.get(Campaign, campaign_id)
        mailbox = campaign.mailbox if campaign is not None else None
        domain = mailbox.rsplit("@", 1)[1] if mailbox and "@" in mailbox else "phoner.local"
        message["Message-ID"] = make_msgid(domain=domain)
    if message["Date"] is None:
        message["Date"] = format_datetime(now)
    if message["To"] is None:
        message["To"] = recipient
    row = OutboxMessage(
        campaign_id=campaign_id,
        booking_id=booking_id,
        kind=kind_,
        recipient=recipient,
        subject=" ".join(str(message["Subject"] or "").split())[:500],
        message_id=str(message["Message-ID"]).strip()[:250],
        message=message.as_bytes(policy=policy.SMTP),
        sequence=sequence,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Delivered:
    id: int
    kind: str
    recipient: str
    booking_id: int | None


@dataclass(frozen=True)
class Refused:
    id: int
    kind: str
    recipient: str
    reason: str  # the server's answer
    final: bool  # True: failed for good; False: queued again (next_attempt_at)


@dataclass
class SendReport:
    via: str
    sent: list[Delivered] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    requeued_stale: int = 0
    problem: str | None = None  # why messages wait (no real sender address, server down)
    waiting: int = 0  # messages still queued after the run

    @property
    def failed(self) -> list[Refused]:
        return [r for r in self.refused if r.final]

    @property
    def deferred(self) -> list[Refused]:
        return [r for r in self.refused if not r.final]


def _earlier_unsent() -> sa.Exists:
    """An earlier message to the same recipient about the same booking is not sent."""
    earlier = aliased(OutboxMessage)
    return sa.exists().where(
        col(earlier.booking_id) == col(M.booking_id),
        col(earlier.recipient) == col(M.recipient),
        col(earlier.status) != OutboxStatus.SENT,
        sa.or_(
            col(earlier.sequence) < col(M.sequence),
            sa.and_(col(earlier.sequence) == col(M.sequence), col(earlier.id) < col(M.id)),
        ),
    )


def due_condition(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(M.status) == OutboxStatus.QUEUED,
        col(M.next_attempt_at) <= now,
        sa.not_(_earlier_unsent()),
    )


def requeue_stale(
    db: Database, *, now: dt.datetime, stale_after: dt.timedelta = STALE_AFTER
) -> int:
    """Put ``sending`` rows whose claim is older than ``stale_after`` back in the queue
    (their sender crashed; the message may have left, so it leaves at most once more)."""
    with db.session(write=True) as session:
        result = session.execute(
            sa.update(OutboxMessage)
            .where(
                col(M.status) == OutboxStatus.SENDING,
                col(M.claimed_at) < now - stale_after,
            )
            .values(
                status=OutboxStatus.QUEUED,
                claimed_at=None,
                next_attempt_at=now,
                last_error="Afsendelsen blev afbrudt (phoner stoppede undervejs); sendes igen.",
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _senders(session: Session, transport: Transport, override: str | None) -> dict[int, str | None]:
    """The sender address per campaign: its mailbox, else the override, else the
    transport's default; None where the transport would refuse the address."""
    out: dict[int, str | None] = {}
    for cid, mailbox in session.execute(sa.select(col(Campaign.id), col(Campaign.mailbox))):
        address = (mailbox or "").strip() or override or transport.default_sender
        if transport.needs_real_sender and is_placeholder(address):
            address = None
        out[int(cid)] = address
    return out


def _with_from(message: bytes, sender: str) -> bytes:
    headers = BytesHeaderParser(policy=policy.SMTP).parsebytes(message)
    if headers["From"] is not None:
        return message
    return f"From: {sender}\r\n".encode("ascii", "replace") + message


def _claim_next(
    db: Database, now: dt.datetime, senders: dict[int, str | None], batch: int = 10
) -> tuple[OutgoingMail, int] | None:
    """Claim the next due message: (what to send, the claim's attempt number)."""
    allowed = [cid for cid, s in senders.items() if s is not None]
    if not allowed:
        return None
    with db.session(write=True) as session:
        candidates = session.execute(
            sa.select(col(M.id))
            .where(due_condition(now), col(M.campaign_id).in_(allowed))
            .order_by(col(M.next_attempt_at), col(M.id))
            .limit(batch)
        ).scalars()
        for mid in list(candidates):
            claimed = session.execute(
                sa.update(OutboxMessage)
                .where(col(M.id) == mid, due_condition(now))
                .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=col(M.attempts) + 1)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                continue  # another sender took it
            row = session.get(OutboxMessage, mid)
            assert row is not None and row.id is not None
            sender = senders[row.campaign_id]
            assert sender is not None
            mail = OutgoingMail(
                id=row.id,
                kind=str(row.kind),
                booking_id=row.booking_id,
                sequence=row.sequence,
                sender=sender,
                recipient=row.recipient,
                message_id=row.message_id,
                message=_with_from(row.message, sender),
            )
            return mail, row.attempts
    return None


def _finish(db: Database, mail: OutgoingMail, attempt: int, **values: object) -> bool:
    """Update the row if this claim still holds it (a stale claim may have been retaken)."""
    with db.session(write=True) as session:
        result = session.execute(
            sa.update(OutboxMessage)
            .where(
                col(M.id) == mail.id,
                col(M.status) == OutboxStatus.SENDING,
                col(M.attempts) == attempt,
            )
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def send_due(
    db: Database,
    transport: Transport,
    *,
    now: dt.datetime | None = None,
    limit: int = 500,
    sender: str | None = None,
    stale_after: dt.timedelta = STALE_AFTER,
) -> SendReport:
    """Send the messages due at ``now`` (at most ``limit``), oldest first, in order per
    booking; returns what was sent, refused and why the rest waits. Closes the transport
    connection at the end (it reconnects on the next call)."""
    now = now or utcnow()
    report = SendReport(via=transport.description)
    report.requeued_stale = requeue_stale(db, now=now, stale_after=stale_after)
    with db.session() as session:
        senders = _senders(session, transport, sender)
        blocked = [cid for cid, s in senders.items() if s is None]
        if blocked:
            waiting = session.execute(
                sa.select(sa.func.count(col(M.id))).where(
                    col(M.status) == OutboxStatus.QUEUED, col(M.campaign_id).in_(blocked)
                )
            ).scalar_one()
            if waiting:
                err = placeholder_sender_error(sender or transport.default_sender)
                report.problem = f"{err.message} {err.hint}"
    try:
        while len(report.sent) + len(report.refused) < limit:
            claimed = _claim_next(db, now, senders)
            if claimed is None:
                break
            mail, attempt = claimed
            try:
                transport.send(mail)
            except TemporaryFailure as exc:
                final = attempt >= MAX_ATTEMPTS
                _finish(
                    db,
                    mail,
                    attempt,
                    status=OutboxStatus.FAILED if final else OutboxStatus.QUEUED,
                    claimed_at=None,
                    next_attempt_at=now + backoff(attempt),
                    last_error=exc.reason[:1000],
                )
                report.refused.append(
                    Refused(mail.id, mail.kind, mail.recipient, exc.reason, final)
                )
                if exc.stop:
                    report.problem = exc.reason
                    break
            except PermanentFailure as exc:
                _finish(db, mail, attempt, status=OutboxStatus.FAILED, last_error=exc.reason[:1000])
                report.refused.append(Refused(mail.id, mail.kind, mail.recipient, exc.reason, True))
            else:
                _finish(db, mail, attempt, status=OutboxStatus.SENT, sent_at=now, last_error=None)
                report.sent.append(Delivered(mail.id, mail.kind, mail.recipient, mail.booking_id))
    finally:
        transport.close()
    with db.session() as session:
        report.waiting = session.execute(
            sa.select(sa.func.count(col(M.id))).where(col(M.status) == OutboxStatus.QUEUED)
        ).scalar_one()
    return report


class OutboxMessageNotFound(NotFound):
    """``phoner outbox retry`` of a message id the outbox does not hold."""


def retry(db: Database, message_id: int, *, now: dt.datetime | None = None) -> str:
    """Put a failed (or waiting) message back in the queue to leave at once; returns its
    recipient. NotFound / InvalidInput (already sent) otherwise."""
    now = now or utcnow()
    with db.session(write=True) as session:
        row = session.get(OutboxMessage, message_id)
        if row is None:
            raise OutboxMessageNotFound(f"Besked nr. {message_id} findes ikke i udbakken.")
        if row.status == OutboxStatus.SENT:
            raise InvalidInput(f"Besked nr. {message_id} er allerede sendt ({row.recipient}).")
        if row.status == OutboxStatus.SENDING:
            raise InvalidInput(f"Besked nr. {message_id} er ved at blive sendt lige nu.")
        row.status = OutboxStatus.QUEUED
        row.attempts = 0
        row.next_attempt_at = now
        row.claimed_at = None
        session.add(row)
        return row.recipient


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class OutboxItem:
    id: int
    campaign_id: int
    booking_id: int | None
    kind: str
    recipient: str
    subject: str
    status: str
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str | None


@dataclass(frozen=True)
class OutboxSummary:
    counts: dict[str, int]  # per status
    due: int  # queued and sendable now
    oldest_due: dt.datetime | None  # since when the oldest sendable message waits
    last_sent_at: dt.datetime | None
    failed: list[OutboxItem]
    waiting: list[OutboxItem]  # queued or sending, oldest first

    def count(self, status: OutboxStatus) -> int:
        return self.counts.get(status.value, 0)


def _item(r: OutboxMessage) -> OutboxItem:
    assert r.id is not None
    return OutboxItem(
        r.id,
        r.campaign_id,
        r.booking_id,
        str(r.kind),
        r.recipient,
        r.subject,
        str(r.status),
        r.attempts,
        r.created_at,
        r.next_attempt_at,
        r.sent_at,
        r.last_error,
    )


def _where(campaign_id: int | None) -> Iterable[sa.ColumnElement[bool]]:
    return [] if campaign_id is None else [col(M.campaign_id) == campaign_id]


def counts(session: Session, *, campaign_id: int | None = None) -> dict[str, int]:
    rows = session.execute(
        sa.select(col(M.status), sa.func.count(col(M.id)))
        .where(*_where(campaign_id))
        .group_by(col(M.status))
    ).all()
    return {str(getattr(s, "value", s)): int(n) for s, n in rows}


def summary(
    session: Session,
    *,
    now: dt.datetime | None = None,
    campaign_id: int | None = None,
    limit: int = 50,
) -> OutboxSummary:
    """Counts per status, the oldest sendable message, and the failed and waiting ones."""
    now = now or utcnow()
    due_n, oldest = session.execute(
        sa.select(sa.func.count(col(M.id)), sa.func.min(col(M.next_attempt_at))).where(
            due_condition(now), *_where(campaign_id)
        )
    ).one()
    last_sent = session.execute(
        sa.select(sa.func.max(col(M.sent_at))).where(*_where(campaign_id))
    ).scalar()
    failed = session.exec(
        select(OutboxMessage)
        .where(col(M.status) == OutboxStatus.FAILED, *_where(campaign_id))
        .order_by(col(M.id))
        .limit(limit)
    ).all()
    waiting = session.exec(
        select(OutboxMessage)
        .where(col(M.status).in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]), *_where(campaign_id))
        .order_by(col(M.next_attempt_at), col(M.id))
        .limit(limit)
    ).all()
    return OutboxSummary(
        counts=counts(session, campaign_id=campaign_id),
        due=int(due_n),
        oldest_due=_aware(oldest),
        last_sent_at=_aware(last_sent),
        failed=[_item(r) for r in failed],
        waiting=[_item(r) for r in waiting],
    )


def _aware(value: object) -> dt.datetime | None:
    """Aggregates bypass the column type: SQLite gives back naive UTC (or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclass(frozen=True)
class Health:
    ok: bool
    queued: int
    due: int
    failed: int
    oldest_waiting_seconds: float | None  # since the oldest unsent message was queued
    last_sent_at: dt.datetime | None


def health(
    session: Session, *, now: dt.datetime | None = None, max_lag: dt.timedelta = MAX_LAG
) -> Health:
    """Is the outbox keeping up: no e-mail waiting to be sent for longer than ``max_lag``
    since it was queued.

    Counted from when it was queued, not from its next attempt: a message put back with a
    backoff (a dead SMTP server) is not sendable for a while, yet still undelivered; by its
    next attempt the health flapped to ok between the retries.
    """
    now = now or utcnow()
    s = summary(session, now=now, limit=0)
    oldest = _aware(
        session.execute(
            sa.select(sa.func.min(col(M.created_at))).where(
                col(M.status).in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])
            )
        ).scalar()
    )
    age = (now - oldest).total_seconds() if oldest is not None else None
    return Health(
        ok=age is None or age <= max_lag.total_seconds(),
        queued=s.count(OutboxStatus.QUEUED),
        due=s.due,
        failed=s.count(OutboxStatus.FAILED),
        oldest_waiting_seconds=round(max(age, 0.0), 1) if age is not None else None,
        last_sent_at=s.last_sent_at,
    )
