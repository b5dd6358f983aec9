"""Small builders for tests of follow-ups, visits and reports: a campaign with known data."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from sqlmodel import Session

from phoner.core import campaigns, geography
from phoner.core.models import (
    Booking,
    CallAttempt,
    Campaign,
    Company,
    Consultant,
    Jobcenter,
    Outcome,
    Round,
)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fleksjob.toml"
UTC = dt.UTC
FINAL = {
    Outcome.VIL_KONTAKTES,
    Outcome.IKKE_INTERESSERET,
    Outcome.HAR_FLEKSJOBBERE,
    Outcome.HAR_KONTAKT,
    Outcome.LUKKET,
}


def campaign(session: Session, name: str = "Test", **settings: object) -> Campaign:
    return campaigns.create_campaign(session=session, name=name, script=SCRIPT, **settings)


def jobcenter(session: Session, municipality: str, *, area: bool = True) -> Jobcenter:
    jc = Jobcenter(
        name=f"Jobcenter {municipality}",
        municipality=municipality,
        rar_area=geography.rar_area(municipality) if area else None,
    )
    session.add(jc)
    session.flush()
    return jc


def consultant(session: Session, jc: Jobcenter, name: str) -> Consultant:
    assert jc.id is not None
    k = Consultant(
        name=name,
        email=f"{name.lower().replace(' ', '.')}@{jc.municipality.lower()}.dk",
        jobcenter_id=jc.id,
        feed_token=secrets.token_hex(12),
    )
    session.add(k)
    session.flush()
    return k


def round_(session: Session, c: Campaign, number: int) -> Round:
    assert c.id is not None
    r = Round(campaign_id=c.id, number=number)
    session.add(r)
    session.flush()
    return r


def company(
    session: Session,
    c: Campaign,
    jc: Jobcenter | None,
    r: Round | None,
    name: str,
    *,
    cvr: str | None = None,
    **fields: object,
) -> Company:
    assert c.id is not None
    co = Company(
        campaign_id=c.id,
        jobcenter_id=jc.id if jc else None,
        round_id=r.id if r else None,
        name=name,
        cvr=cvr,
        municipality=jc.municipality if jc else None,
        **fields,
    )
    session.add(co)
    session.flush()
    return co


def call(
    session: Session,
    co: Company,
    outcome: Outcome,
    at: dt.datetime,
    *,
    phoner: str = "tlf1",
    round_id: int | None = None,
    needs: dict[str, object] | None = None,
    note: str | None = None,
) -> CallAttempt:
    """Record a call the way the queue does: attempt row + company state."""
    assert co.id is not None
    a = CallAttempt(
        company_id=co.id,
        campaign_id=co.campaign_id,
        round_id=round_id if round_id is not None else co.round_id,
        phoner=phoner,
        started_at=at - dt.timedelta(minutes=3),
        ended_at=at,
        outcome=outcome,
        needs=needs or {},
        note=note,
        source="cli",
    )
    session.add(a)
    co.attempts += 1
    co.last_outcome = outcome
    if outcome in FINAL:
        co.final_outcome = outcome
    session.add(co)
    session.flush()
    return a


def book(
    session: Session,
    co: Company,
    k: Consultant,
    start: dt.datetime,
    *,
    booked_by: str = "tlf1",
    created_at: dt.datetime | None = None,
    attempt: CallAttempt | None = None,
) -> Booking:
    assert co.id is not None and k.id is not None
    b = Booking(
        uid=secrets.token_hex(10),
        campaign_id=co.campaign_id,
        company_id=co.id,
        consultant_id=k.id,
        attempt_id=attempt.id if attempt else None,
        start=start,
        end=start + dt.timedelta(hours=1),
        booked_by=booked_by,
        created_at=created_at or start - dt.timedelta(days=7),
    )
    session.add(b)
    session.flush()
    return b
