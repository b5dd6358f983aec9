"""A purge reaches every copy phoner controls.

A marker is planted in every personal and free-text field (through the services where
they put it there: a booking's contact, a cancel note, a follow-up's description, an
audit entry's values), then the campaign is purged and the marker is looked for in the
raw database bytes (with -wal), in the built calendar files and in the feed a running
server serves (it had cached the feed before the purge).
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel, select

from phoner.core import audit, feeds, gdpr
from phoner.core import followups as fu
from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.models import (
    Agreement,
    AgreementCategory,
    CallAttempt,
    CancelReason,
    Company,
    Consultant,
    MeetingStatus,
    VisitResult,
)
from phoner.feed.server import create_app
from tests.support.booking import NOW, at, make_world

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

MARK = "zqxmarker"
PHONE = "+4571829304"  # a phone number is personal data too: its digits are looked for
LATER = dt.datetime(2028, 1, 10, 12, 0, tzinfo=dt.UTC)


def _plant(db: Database) -> tuple[int, str]:
    """Put the marker everywhere; returns the consultant id and the feed token."""
    w = make_world(db, consultants=1)
    cid = w.consultant_ids[0]
    with db.session(write=True) as s:
        company = s.get(Company, w.company_id)
        attempt = s.get(CallAttempt, w.attempt_id)
        assert company is not None and attempt is not None
        company.contact_person = f"{MARK} Person"
        company.email = f"{MARK}@privat.dk"
        company.phones = [PHONE]
        company.extra = {"Privat": f"{MARK} extra"}
        company.clearing_note = f"{MARK} clearing"
        attempt.note = f"{MARK} note"
        attempt.needs = {"jobfunktion": f"{MARK} needs"}
        attempt.answers = {"besoeg": f"{MARK} svar"}
        s.add_all([company, attempt])
    cancelled = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=cid,
        start=at("2027-03-24", "13:30"),
        booked_by="telefonist1",
        contact_person=f"{MARK} Anden",
        now=NOW,
    )
    assert cancelled.id is not None
    bk.cancel_booking(
        db=db,
        booking_id=cancelled.id,
        reason=CancelReason.COMPANY_CANCELLED,
        actor="telefonist1",
        note=f"{MARK} er syg (kræft)",
        now=NOW,
    )
    booked = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=cid,
        start=at("2027-03-24", "09:00"),
        booked_by="telefonist1",
        attempt_id=w.attempt_id,
        contact_person=f"{MARK} Kontakt",
        contact_email=f"kontakt.{MARK}@privat.dk",
        contact_mobile="+4561728394",
        now=NOW,
    )
    assert booked.id is not None
    with db.session(write=True) as s:
        company = s.get(Company, w.company_id)
        assert company is not None
        fu.create_followup(
            session=s,
            company=company,
            due_date=dt.date(2027, 4, 1),
            description=f"Ring til {MARK} om hendes sygdom",
            consultant_id=cid,
            actor="telefonist1",
            now=NOW,
        )
        visit = VisitResult(
            booking_id=booked.id,
            status=MeetingStatus.AFHOLDT,
            note=f"{MARK} visit",
            registered_by="k",
        )
        s.add(visit)
        s.flush()
        s.add(
            Agreement(
                visit_result_id=visit.id,
                category=AgreementCategory.JOBORDRE,
                note=f"{MARK} aftale",
            )
        )
        audit.record(
            s,
            actor="telefonist1",
            action="update",
            entity="company",
            entity_id=w.company_id,
            campaign_id=w.campaign_id,
            new={"kontaktperson": f"{MARK} ny", "nested": {"x": [f"{MARK} dybt"]}},
            reason=f"{MARK} fordi",
        )
        token = s.get(Consultant, cid).feed_token  # type: ignore[union-attr]
    return cid, token


def _found(data: bytes) -> list[str]:
    """Which of the planted values ``data`` still holds (iCalendar lines unfolded)."""
    text = data.replace(b"\r\n ", b"").decode("utf-8", "replace").casefold()
    return [needle for needle in (MARK, PHONE[3:], "61728394") if needle in text]


def _database_bytes(db: Database) -> bytes:
    if db.is_sqlite:
        path = Path(str(db.engine.url.database))
        parts = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
        return b"".join(p.read_bytes() for p in parts if p.exists())
    chunks = []
    with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(sa.text(f'SELECT t::text FROM "{table.name}" t')).scalars()
            chunks.extend(str(r).encode() for r in rows)
    return b"\n".join(chunks)


def test_purge_leaves_no_copy_of_personal_data(db: Database, tmp_path: Path) -> None:
    cid, token = _plant(db)
    calendars = tmp_path / "calendars"
    with db.session() as s:
        built = {
            c.id: path for c, path, _changed in feeds.write_feeds(session=s, out_dir=calendars)
        }
    stale = calendars / "tidligere-konsulent-99.ics"  # a feed of no active consultant
    stale.write_bytes(built[cid].read_bytes())
    client = TestClient(create_app(db, record_fetches=False))
    served = client.get(f"/kalender/{token}.ics")
    assert served.status_code == 200
    # every copy holds the marker before the purge (so the test can fail)
    assert MARK in _found(served.content)
    assert MARK in _found(built[cid].read_bytes()) and MARK in _found(stale.read_bytes())
    assert MARK in _found(_database_bytes(db))

    result = gdpr.purge_campaign(
        db=db,
        campaign="Forår 2027",
        older_than_days=0,
        actor="dpo",
        calendars_dir=calendars,
        now=LATER,
    )
    assert result.companies == 2 and result.backups_before is not None
    assert result.wal_truncated is (True if db.is_sqlite else None)
    assert result.feeds_removed == 1 and not stale.exists()

    assert _found(_database_bytes(db)) == []
    files = list(calendars.glob("*.ics"))
    assert files and all(_found(f.read_bytes()) == [] for f in files)
    again = client.get(f"/kalender/{token}.ics")  # within CACHE_SECONDS of the first fetch
    assert again.status_code == 200 and _found(again.content) == []
    assert again.headers["etag"] != served.headers["etag"]
    with db.session() as s:
        record = gdpr.export(session=s, cvr="12345674")
        assert _found(repr(record).encode()) == []
        purge = s.exec(select(gdpr.AuditLog).where(gdpr.AuditLog.action == "gdpr_purge")).one()
        assert purge.new and "backups_before" in purge.new
    assert cid


def test_a_cancel_reason_code_survives_the_purge(db: Database) -> None:
    """The reason's code (counted in reports) stays; only the note after it goes."""
    _plant(db)
    gdpr.purge_campaign(db=db, campaign="Forår 2027", older_than_days=0, actor="dpo", now=LATER)
    with db.session() as s:
        reasons = s.exec(select(gdpr.AuditLog.reason).where(gdpr.AuditLog.action == "cancel")).all()
    assert reasons == [CancelReason.COMPANY_CANCELLED.value]
