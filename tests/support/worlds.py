"""World builders for tests: a campaign with known figures, the demo campaign.

``reports_world`` is the campaign the report tests know by heart (13 companies over four
rounds, bookings, visit results and follow-ups); the TUI's coordinator screens are tested
on it too. ``make_campaign`` is the calling queue's campaign: one signed-off jobcenter,
active rounds and ``n`` companies (MONDAY_10 is inside its calling hours).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from sqlmodel import Session

from phoner.core import campaigns, followups, visits
from phoner.core.clock import TZ
from phoner.core.db import Database, make_engine
from phoner.core.demo import build_demo
from phoner.core.jobcenters import find_jobcenter
from phoner.core.lists.importer import import_list
from phoner.core.models import (
    AgreementCategory,
    BookingStatus,
    CallState,
    Campaign,
    CampaignJobcenter,
    CancelReason,
    ClearingState,
    Company,
    CompanyCancelReason,
    Consultant,
    FollowUpKind,
    Jobcenter,
    MeetingStatus,
    Outcome,
    Round,
    RoundState,
)
from tests.support import builders as b

REPO = Path(__file__).resolve().parents[2]
UTC = dt.UTC

#: The reports world's today (a Tuesday).
TODAY = dt.date(2026, 10, 20)


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def reports_world(s: Session) -> Campaign:
    c = b.campaign(s, "Efterår", aapor_e=0.5)
    ringsted = b.jobcenter(s, "Ringsted")
    aalborg = b.jobcenter(s, "Aalborg")
    nowhere = b.jobcenter(s, "Atlantis", area=False)
    karen = b.consultant(s, ringsted, "Karen")
    ole = b.consultant(s, ringsted, "Ole")
    niels = b.consultant(s, aalborg, "Niels")
    pia = b.consultant(s, nowhere, "Pia")
    r1, r2, _r3, r4 = (b.round_(s, c, n) for n in (1, 2, 3, 4))
    co = {}
    for name in "ABCDEFGH":
        co[name] = b.company(s, c, ringsted, r1, name)
    b.company(s, c, ringsted, r1, "R", clearing_state=ClearingState.REMOVE)
    for name in "JKL":
        co[name] = b.company(s, c, aalborg, r2, name)
    for name in "MN":
        co[name] = b.company(s, c, nowhere, r4, name)
    a_call = b.call(s, co["A"], Outcome.VIL_KONTAKTES, at(5, 9), phoner="tlf1")
    b_call = b.call(s, co["B"], Outcome.VIL_KONTAKTES, at(5, 9, 20), phoner="tlf1")
    b.call(s, co["C"], Outcome.IKKE_INTERESSERET, at(5, 9, 10), phoner="tlf2")
    b.call(s, co["D"], Outcome.HAR_FLEKSJOBBERE, at(5, 10, 5), phoner="tlf2")
    b.call(s, co["E"], Outcome.IKKE_TRUFFET, at(5, 10, 30), phoner="tlf1")
    b.call(s, co["E"], Outcome.IKKE_TRUFFET, at(6, 8), phoner="tlf1")
    b.call(s, co["F"], Outcome.IKKE_TRUFFET, at(5, 10, 45), phoner="tlf1")
    assert r2.id is not None
    b.call(s, co["F"], Outcome.HAR_KONTAKT, at(19, 9), phoner="tlf2", round_id=r2.id)
    b.call(s, co["G"], Outcome.LUKKET, at(5, 11), phoner="tlf2")
    b.call(s, co["J"], Outcome.VIL_KONTAKTES, at(19, 9, 30), phoner="tlf2")
    b.call(s, co["K"], Outcome.RING_TILBAGE, at(19, 9), phoner="tlf1")
    b.call(s, co["L"], Outcome.FORKERT_NUMMER, at(19, 22, 30), phoner="tlf1")
    b.call(s, co["M"], Outcome.IKKE_TRUFFET, at(2, 8, month=11), phoner="tlf1")
    b.call(s, co["N"], Outcome.OPTAGET, at(2, 8, 30, month=11), phoner="tlf1")
    # A: booked, moved (old booking cancelled as moved), the new one held
    a0 = b.book(s, co["A"], karen, at(8, 9), created_at=at(5, 9, 1), attempt=a_call)
    a0.status, a0.cancel_reason = BookingStatus.CANCELLED, CancelReason.MOVED
    s.add(a0)
    a1 = b.book(s, co["A"], karen, at(9, 9), created_at=at(6, 8, 5), booked_by="tlf1")
    assert a1.id is not None
    result = visits.record_visit_result(
        session=s,
        booking_id=a1.id,
        status=MeetingStatus.AFHOLDT,
        actor="karen",
        agreements={AgreementCategory.FLEKSJOB: 2, AgreementCategory.LOENTILSKUD: 1},
    )
    # B: booked, cancelled by the consultant in phoner -> call follow-up, done 2 days later
    b0 = b.book(s, co["B"], ole, at(12, 9), created_at=at(5, 9, 21), attempt=b_call)
    b0.status, b0.cancel_reason = BookingStatus.CANCELLED, CancelReason.CONSULTANT_CANCELLED
    s.add(b0)
    fu_b = followups.create_call_followup(
        session=s, company=co["B"], attempt=b_call, campaign=c, now=at(5, 9, 30)
    )
    assert fu_b is not None and fu_b.id is not None and fu_b.consultant_id == karen.id
    followups.mark_done(session=s, followup_id=fu_b.id, actor="karen", now=at(7, 9, 20))
    # J: booked in Aalborg, cancelled by the company (travlhed)
    jb = b.book(s, co["J"], niels, at(23, 9), created_at=at(19, 9, 31), booked_by="tlf2")
    assert jb.id is not None
    visits.record_visit_result(
        session=s,
        booking_id=jb.id,
        status=MeetingStatus.AFLYST_AF_VIRKSOMHEDEN,
        company_cancel_reason=CompanyCancelReason.TRAVLHED,
        actor="niels",
    )
    # N: booked, no result yet (no RAR area)
    b.book(s, co["N"], pia, at(9, 9, month=11), created_at=at(2, 8, 31, month=11))
    # more follow-ups: agreement (overdue), other (not due), unowned (overdue)
    assert result.id is not None
    from sqlmodel import select

    from phoner.core.models import Agreement

    ag = s.exec(
        select(Agreement).where(
            Agreement.visit_result_id == result.id,
            Agreement.category == AgreementCategory.FLEKSJOB,
        )
    ).one()
    followups.create_agreement_followup(
        session=s,
        agreement=ag,
        company=co["A"],
        consultant_id=karen.id,
        due_date=dt.date(2026, 10, 12),
        description="Send to kandidater",
        actor="karen",
    )
    followups.create_followup(
        session=s,
        company=co["C"],
        due_date=dt.date(2026, 10, 25),
        description="Ring i foråret",
        consultant_id=ole.id,
        actor="koord",
        kind=FollowUpKind.OTHER,
    )
    followups.create_followup(
        session=s,
        company=co["M"],
        due_date=dt.date(2026, 10, 1),
        description="Find rette person",
        consultant_id=None,
        actor="koord",
    )
    return c


def demo_database(root: Path) -> Path:
    """The demo campaign in ``root/demo.db`` (with the repository's scripts beside it)."""
    shutil.copytree(REPO / "scripts", root / "scripts")
    path = root / "demo.db"
    db = Database(make_engine(f"sqlite:///{path}"))
    db.upgrade()
    build_demo(db=db, workspace=root)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


#: Three companies of Køge for the clearing screen: plain, reklamebeskyttet, plain.
CLEARING_CVRS = ("12345674", "23456788", "34567891")


def clearing_world(db: Database, folder: Path) -> tuple[int, int]:
    """A campaign with Køge's three companies imported; returns (campaign id, jobcenter id)."""
    a, b_, c = CLEARING_CVRS
    path = folder / "l.csv"
    path.write_text(
        "Navn;CVR;Telefon;Kommune;Reklamebeskyttet\n"
        f"Alfa ApS;{a};33 12 34 56;Køge;\n"
        f"Beta ApS;{b_};33 12 34 57;Køge;ja\n"
        f"Gamma ApS;{c};33 12 34 58;Køge;\n",
        encoding="utf-8",
    )
    with db.session(write=True) as s:
        camp = campaigns.create_campaign(
            session=s, name="K", script=REPO / "scripts" / "fleksjob.toml"
        )
        import_list(session=s, campaign=camp, path=path)
        jc = find_jobcenter(session=s, text="Køge", create=False)
        assert camp.id is not None and jc.id is not None
        return camp.id, jc.id


SCRIPT = REPO / "scripts" / "fleksjob.toml"
#: Monday 23 November 2026, 10:00 in Copenhagen: inside calling hours.
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ).astimezone(dt.UTC)


class Setup:
    def __init__(self, campaign_id: int, round_ids: list[int], jobcenter_id: int) -> None:
        self.campaign_id = campaign_id
        self.round_ids = round_ids
        self.jobcenter_id = jobcenter_id


def make_campaign(
    db: Database,
    n: int,
    *,
    name: str = "Test",
    rounds: int = 1,
    bulk: bool = False,
    consultant: bool = True,
    **settings: Any,
) -> Setup:
    """A campaign with one signed-off jobcenter, active rounds and ``n`` companies."""
    with db.session(write=True) as session:
        jc = Jobcenter(name=f"Jobcenter {name}", municipality="Ringsted")
        session.add(jc)
        session.flush()
        assert jc.id is not None
        if consultant:
            session.add(
                Consultant(
                    name="Karen",
                    email=f"karen@{name.lower()}.dk",
                    jobcenter_id=jc.id,
                    feed_token=f"tok-{name}",
                )
            )
        campaign = campaigns.create_campaign(session=session, name=name, script=SCRIPT, **settings)
        assert campaign.id is not None
        round_objs = [
            Round(campaign_id=campaign.id, number=i + 1, state=RoundState.ACTIVE)
            for i in range(rounds)
        ]
        session.add_all(round_objs)
        session.add(
            CampaignJobcenter(campaign_id=campaign.id, jobcenter_id=jc.id, signed_off_at=MONDAY_10)
        )
        session.flush()
        round_ids = [r.id for r in round_objs if r.id is not None]
        rows = [
            {
                "campaign_id": campaign.id,
                "jobcenter_id": jc.id,
                "round_id": round_ids[i % rounds],
                "cvr": f"{10000000 + i}",
                "name": f"Firma {i}",
                "phones": ["+4533123456"],
                "call_state": CallState.NEW,
                "clearing_state": ClearingState.PENDING,
            }
            for i in range(n)
        ]
        if bulk:
            session.execute(Company.__table__.insert(), rows)  # type: ignore[attr-defined]
        else:
            session.add_all([Company(**r) for r in rows])
        return Setup(campaign.id, round_ids, jc.id)
