"""Shared set-up for the booking, feed and reminder tests: a small campaign world."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from phoner.core.booking import service as bk
from phoner.core.booking.listing import BookingView
from phoner.core.clock import local_to_utc
from phoner.core.db import Database
from phoner.core.models import (
    CallAttempt,
    Campaign,
    Company,
    Consultant,
    FollowUp,
    FollowUpKind,
    Jobcenter,
    Outcome,
)

#: Monday 22 March 2027, 11:00 Copenhagen (CET). Easter: 25, 26, 28, 29 March are holidays;
#: DST starts Sunday 28 March. Two working days' notice -> earliest day Wednesday 24 March.
NOW = local_to_utc(dt.date(2027, 3, 22), dt.time(11, 0))


def at(day: str, hm: str) -> dt.datetime:
    """Copenhagen wall clock -> aware UTC."""
    return local_to_utc(dt.date.fromisoformat(day), dt.time.fromisoformat(hm))


@dataclass
class World:
    campaign_id: int
    company_id: int
    other_company_id: int
    consultant_ids: list[int]
    foreign_consultant_id: int
    attempt_id: int
    jobcenter_id: int


def book_world_visit(
    db: Database,
    w: World,
    *,
    consultant: int = 0,
    day: str = "2027-03-24",
    hm: str = "09:00",
    booked_by: str = "telefonist1",
    **kw: object,
) -> BookingView:
    """Book the world's company with its ``consultant``-th consultant (the usual visit:
    Wednesday 24 March 2027 09:00, the first day the notice allows)."""
    return bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=w.consultant_ids[consultant],
        start=at(day, hm),
        booked_by=booked_by,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def make_world(db: Database, *, consultants: int = 2, **campaign_settings: object) -> World:
    with db.session(write=True) as s:
        return _make(s, consultants, campaign_settings)


def _make(s: Session, n: int, settings: dict[str, object]) -> World:
    koege = Jobcenter(name="Jobcenter Køge", municipality="Køge", rar_area="Sjælland")
    roskilde = Jobcenter(name="Jobcenter Roskilde", municipality="Roskilde", rar_area="Sjælland")
    s.add_all([koege, roskilde])
    s.flush()
    assert koege.id is not None and roskilde.id is not None
    campaign = Campaign(name="Forår 2027", script_path="scripts/x.toml", script_hash="x")
    for key, value in settings.items():
        setattr(campaign, key, value)
    s.add(campaign)
    s.flush()
    assert campaign.id is not None
    names = ["Fatima Yilmaz", "Jesper Lind", "Anne Holm", "Bo Dahl", "Eva Lund"]
    cons = [
        Consultant(
            name=names[i % len(names)] + ("" if i < len(names) else f" {i}"),
            email=f"k{i}@koege.demo.dk",
            jobcenter_id=koege.id,
            feed_token=secrets.token_urlsafe(32),
        )
        for i in range(n)
    ]
    foreign = Consultant(
        name="Mikkel Roskilde",
        email="mikkel@roskilde.demo.dk",
        jobcenter_id=roskilde.id,
        feed_token=secrets.token_urlsafe(32),
    )
    s.add_all([*cons, foreign])
    company = Company(
        campaign_id=campaign.id,
        jobcenter_id=koege.id,
        name='Hansen; Søn, & "Co"\nØstergaard 😀 ApS',
        cvr="12345674",
        phones=["+4533123456", "+4520304050"],
        contact_person="Åse Kjær",
        email="aase@hansen.dk",
        address="Nørregade 12",
        postcode="4600",
        city="Køge",
        municipality="Køge",
        industry="812100 Rengøring",
        employees=12,
    )
    other = Company(
        campaign_id=campaign.id,
        jobcenter_id=koege.id,
        name="Køge Bageri",
        phones=["+4556656565"],
        municipality="Køge",
    )
    s.add_all([company, other])
    s.flush()
    assert company.id is not None and other.id is not None
    attempt = CallAttempt(
        company_id=company.id,
        campaign_id=campaign.id,
        phoner="telefonist1",
        ended_at=NOW - dt.timedelta(minutes=5),
        outcome=Outcome.VIL_KONTAKTES,
        answers={"kender_fleksjob": "ja", "besoeg": "ja"},
        needs={"jobfunktion": "Rengøring", "timer_pr_uge": 10, "faglaert": "ufaglært"},
        note="Ring helst efter kl. 10; spørg efter Åse.",
    )
    s.add(attempt)
    s.flush()
    assert attempt.id is not None
    s.add(
        FollowUp(
            campaign_id=campaign.id,
            company_id=company.id,
            kind=FollowUpKind.CALL_COMPANY,
            attempt_id=attempt.id,
            due_date=dt.date(2027, 3, 25),
            description="Konsulent kontakter virksomheden",
        )
    )
    s.flush()
    ids = [c.id for c in cons]
    assert all(i is not None for i in ids) and foreign.id is not None
    return World(
        campaign_id=campaign.id,
        company_id=company.id,
        other_company_id=other.id,
        consultant_ids=[i for i in ids if i is not None],
        foreign_consultant_id=foreign.id,
        attempt_id=attempt.id,
        jobcenter_id=koege.id,
    )


def clear_outbox(db: Database) -> None:
    """Drop every queued e-mail (a booking queues its invitations; tests of the outbox
    or of reminders start from an empty outbox)."""
    from sqlmodel import delete

    from phoner.core.models import OutboxMessage

    with db.session(write=True) as s:
        s.exec(delete(OutboxMessage))  # type: ignore[call-overload]
