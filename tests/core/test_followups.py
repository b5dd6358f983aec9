"""Follow-ups: created after vil_kontaktes, owned, due in working days, listed overdue first."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest
from sqlmodel import Session, select

from phoner.core import campaigns, followups, workdays
from phoner.core.db import Database
from phoner.core.errors import Conflict, InvalidInput, NotFound
from phoner.core.models import (
    AuditLog,
    Booking,
    CallAttempt,
    Campaign,
    Company,
    Consultant,
    FollowUp,
    FollowUpKind,
    Jobcenter,
    Outcome,
)

REPO = Path(__file__).resolve().parents[2]
UTC = dt.UTC


def _setup(
    session: Session, *, consultants: int = 2
) -> tuple[Campaign, Jobcenter, list[Consultant]]:
    campaign = campaigns.create_campaign(
        session=session, name="Test", script=REPO / "scripts" / "fleksjob.toml"
    )
    jc = Jobcenter(name="Jobcenter Ringsted", municipality="Ringsted", rar_area="Sjælland")
    session.add(jc)
    session.flush()
    assert jc.id is not None
    cons = []
    for i in range(consultants):
        c = Consultant(
            name=f"Konsulent {i}",
            email=f"k{i}@x.dk",
            jobcenter_id=jc.id,
            feed_token=secrets.token_hex(8),
        )
        session.add(c)
        cons.append(c)
    session.flush()
    return campaign, jc, cons


def _company(session: Session, campaign: Campaign, jc: Jobcenter | None, name: str) -> Company:
    assert campaign.id is not None
    c = Company(
        campaign_id=campaign.id,
        jobcenter_id=jc.id if jc else None,
        name=name,
        contact_person="Anne Hansen",
    )
    session.add(c)
    session.flush()
    return c


def _attempt(session: Session, company: Company, outcome: Outcome, at: dt.datetime) -> CallAttempt:
    assert company.id is not None
    a = CallAttempt(
        company_id=company.id,
        campaign_id=company.campaign_id,
        phoner="tlf1",
        ended_at=at,
        outcome=outcome,
    )
    session.add(a)
    session.flush()
    return a


def test_add_working_days_skips_weekends_and_holidays() -> None:
    # Friday 2026-04-03 is Good Friday; Monday 2026-04-06 Easter Monday.
    assert workdays.add_working_days(dt.date(2026, 4, 1), 1) == dt.date(2026, 4, 7)
    assert workdays.add_working_days(dt.date(2026, 11, 20), 3) == dt.date(2026, 11, 25)
    assert workdays.add_working_days(dt.date(2026, 12, 23), 2) == dt.date(2026, 12, 29)


def test_call_followup_owner_due_and_audit(db: Database) -> None:
    with db.session(write=True) as s:
        campaign, jc, (k0, k1) = _setup(s)
        a = _company(s, campaign, jc, "A")
        b = _company(s, campaign, jc, "B")
        # Friday 20 Nov 2026, 15:00 Copenhagen -> 3 working days = Wed 25 Nov
        at = dt.datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
        fa = followups.create_call_followup(
            session=s,
            company=a,
            attempt=_attempt(s, a, Outcome.VIL_KONTAKTES, at),
            campaign=campaign,
        )
        assert fa is not None
        assert fa.kind == FollowUpKind.CALL_COMPANY
        assert fa.due_date == dt.date(2026, 11, 25)
        assert fa.consultant_id == k0.id
        fb = followups.create_call_followup(
            session=s,
            company=b,
            attempt=_attempt(s, b, Outcome.VIL_KONTAKTES, at),
            campaign=campaign,
        )
        assert fb is not None
        assert fb.consultant_id == k1.id  # fewest open follow-ups
        # a second vil_kontaktes for A gives back the open one, no duplicate
        again = followups.create_call_followup(
            session=s,
            company=a,
            attempt=_attempt(s, a, Outcome.VIL_KONTAKTES, at),
            campaign=campaign,
        )
        assert again is not None and again.id == fa.id
        audits = s.exec(select(AuditLog).where(AuditLog.entity == "followup")).all()
        assert len(audits) == 2
        assert s.exec(select(FollowUp)).all().__len__() == 2


def test_no_followup_for_other_outcomes_or_booked_visit(db: Database) -> None:
    with db.session(write=True) as s:
        campaign, jc, (k0, _k1) = _setup(s)
        a = _company(s, campaign, jc, "A")
        at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        assert (
            followups.create_call_followup(
                session=s,
                company=a,
                attempt=_attempt(s, a, Outcome.IKKE_INTERESSERET, at),
                campaign=campaign,
            )
            is None
        )
        att = _attempt(s, a, Outcome.VIL_KONTAKTES, at)
        assert a.id is not None and campaign.id is not None and k0.id is not None
        s.add(
            Booking(
                uid="u1",
                campaign_id=campaign.id,
                company_id=a.id,
                consultant_id=k0.id,
                attempt_id=att.id,
                start=at + dt.timedelta(days=7),
                end=at + dt.timedelta(days=7, hours=1),
                booked_by="tlf1",
            )
        )
        assert (
            followups.create_call_followup(session=s, company=a, attempt=att, campaign=campaign)
            is None
        )


def test_no_consultant_gives_unowned_followup(db: Database) -> None:
    with db.session(write=True) as s:
        campaign, jc, _ = _setup(s, consultants=0)
        a = _company(s, campaign, jc, "A")
        nojc = _company(s, campaign, None, "B")
        at = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        fa = followups.create_call_followup(
            session=s,
            company=a,
            attempt=_attempt(s, a, Outcome.VIL_KONTAKTES, at),
            campaign=campaign,
        )
        fb = followups.create_call_followup(
            session=s,
            company=nojc,
            attempt=_attempt(s, nojc, Outcome.VIL_KONTAKTES, at),
            campaign=campaign,
        )
        assert fa is not None and fa.consultant_id is None
        assert fb is not None and fb.consultant_id is None


def test_inactive_consultant_not_picked(db: Database) -> None:
    with db.session(write=True) as s:
        campaign, jc, (k0, k1) = _setup(s)
        k0.active = False
        s.add(k0)
        a = _company(s, campaign, jc, "A")
        at = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        fa = followups.create_call_followup(
            session=s,
            company=a,
            attempt=_attempt(s, a, Outcome.VIL_KONTAKTES, at),
            campaign=campaign,
        )
        assert fa is not None and fa.consultant_id == k1.id


def test_mark_done_and_list_overdue_first(db: Database) -> None:
    today = dt.date(2026, 11, 23)
    with db.session(write=True) as s:
        campaign, jc, (k0, k1) = _setup(s)
        assert campaign.id is not None
        a = _company(s, campaign, jc, "A")
        b = _company(s, campaign, jc, "B")
        c = _company(s, campaign, jc, "C")
        f_future = followups.create_followup(
            session=s,
            company=a,
            due_date=today + dt.timedelta(days=2),
            description="x",
            consultant_id=k0.id,
            actor="coord",
        )
        f_over = followups.create_followup(
            session=s,
            company=b,
            due_date=today - dt.timedelta(days=1),
            description="y",
            consultant_id=k1.id,
            actor="coord",
        )
        f_done = followups.create_followup(
            session=s,
            company=c,
            due_date=today - dt.timedelta(days=5),
            description="z",
            consultant_id=k0.id,
            actor="coord",
        )
        assert f_done.id is not None and f_over.id is not None
        followups.mark_done(session=s, followup_id=f_done.id, actor="k0", note="ringet")
        with pytest.raises(Conflict):
            followups.mark_done(session=s, followup_id=f_done.id, actor="k0")
        with pytest.raises(NotFound):
            followups.mark_done(session=s, followup_id=9999, actor="k0")
        with pytest.raises(InvalidInput):
            followups.create_followup(
                session=s,
                company=a,
                due_date=today,
                description="  ",
                consultant_id=None,
                actor="x",
            )
        rows = followups.list_followups(session=s, campaign_id=campaign.id, today=today)
        assert [r.id for r in rows] == [f_over.id, f_future.id]
        assert [r.overdue for r in rows] == [True, False]
        assert rows[0].consultant_name == "Konsulent 1"
        assert rows[0].jobcenter_name == "Jobcenter Ringsted"
        all_rows = followups.list_followups(
            session=s, campaign_id=campaign.id, today=today, include_done=True
        )
        assert [r.id for r in all_rows] == [f_over.id, f_future.id, f_done.id]
        assert all_rows[2].done and not all_rows[2].overdue
        mine = followups.list_followups(
            session=s, campaign_id=campaign.id, today=today, consultant_id=k0.id
        )
        assert [r.id for r in mine] == [f_future.id]
        over = followups.list_followups(
            session=s, campaign_id=campaign.id, today=today, only_overdue=True
        )
        assert [r.id for r in over] == [f_over.id]
        done = s.get(FollowUp, f_done.id)
        assert done is not None and done.done_by == "k0" and done.note == "ringet"
