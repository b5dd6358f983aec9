"""The consultants' pages under test: a booked visit (optionally with hostile text in
every imported field), its links, an in-process client with a settable clock, and
reading a page's form."""

from __future__ import annotations

import html
import re
import warnings
from dataclasses import dataclass
from typing import Any

from phoner.core import visit_pages as vp
from phoner.core.db import Database
from phoner.core.models import Booking, CallAttempt, Campaign, Company, Consultant, Setting
from phoner.feed.server import create_app
from tests.support.booking import NOW, World, at, book_world_visit, make_world
from tests.support.clock import Clock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from starlette.testclient import TestClient

#: markup and quotes, as an imported spreadsheet cell may hold them
HOSTILE = '<script>alert("x\'y")</script><img src=x onerror=alert(1)> & "\''

BASE = "https://kalender.koege.dk/phoner"
#: the usual visit starts Wednesday 24 March 2027 09:00; NOW is two days before
DURING = at("2027-03-24", "09:30")
AFTER = at("2027-03-24", "11:00")
#: the visit form as a consultant fills it after a good visit
HELD_FORM = {
    "status": "afholdt",
    "a_fleksjob": "2",
    "note": "Fint møde",
    "fu1_what": "Send CV på 2 kandidater",
    "fu1_due": "2027-03-30",
}


@dataclass
class PageWorld:
    world: World
    booking_id: int
    consultant_id: int
    visit_token: str
    consultant_token: str


def _tokens(db: Database, booking_id: int, consultant_id: int) -> tuple[str, str]:
    with db.session() as s:
        c = s.get(Consultant, consultant_id)
        assert c is not None
        return vp.visit_token(c, booking_id), vp.consultant_token(c)


def page_world(db: Database, *, hostile: bool = False, base: str | None = BASE) -> PageWorld:
    """The booking world's usual visit, booked from the call (needs, answers, note); with
    ``hostile``, :data:`HOSTILE` in every imported or typed field the pages show (the
    company's, the call's, the booking's, the consultants' names, the campaign's). With
    ``base``, the workspace's public address is saved."""
    w = make_world(db)
    if hostile:
        with db.session(write=True) as s:
            company = s.get(Company, w.company_id)
            assert company is not None
            for name in ("name", "contact_person", "address", "city", "industry", "email"):
                setattr(company, name, f"{name} {HOSTILE}")
            company.cvr = "12345674"
            s.add(company)
            attempt = s.get(CallAttempt, w.attempt_id)
            assert attempt is not None
            attempt.note = f"note {HOSTILE}"
            attempt.needs = {f"behov {HOSTILE}": f"svar {HOSTILE}"}
            attempt.answers = {f"spm {HOSTILE}": f"svar {HOSTILE}"}
            s.add(attempt)
            for cid in w.consultant_ids:
                consultant = s.get(Consultant, cid)
                assert consultant is not None
                consultant.name = f"{consultant.name} {HOSTILE}"
                s.add(consultant)
            campaign = s.get(Campaign, w.campaign_id)
            assert campaign is not None
            campaign.name = f"Forår 2027 {HOSTILE}"
            s.add(campaign)
    b = book_world_visit(
        db, w, attempt_id=w.attempt_id, contact_person=f"Åse {HOSTILE}" if hostile else None
    )
    assert b.id is not None
    cid = w.consultant_ids[0]
    if hostile:
        with db.session(write=True) as s:
            booking = s.get(Booking, b.id)
            assert booking is not None
            booking.details = {
                **booking.details,
                "note": f"telefonist {HOSTILE}",
                "phoner": f"tlf {HOSTILE}",
            }
            s.add(booking)
    if base:
        with db.session(write=True) as s:
            s.add(Setting(key=vp.BASE_URL_KEY, value=base))
    visit, consultant = _tokens(db, b.id, cid)
    return PageWorld(w, b.id, cid, visit, consultant)


def client(db: Database, clock: Clock, **kw: Any) -> TestClient:
    """The whole server app in process (feeds and pages), at ``clock``'s time."""
    return TestClient(create_app(db, record_fetches=False, clock=clock, **kw))


def clock_at(when: Any = NOW) -> Clock:
    return Clock(when)


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m is not None, "no CSRF token on the page"
    return html.unescape(m.group(1))


def visit_path(pw: PageWorld) -> str:
    return f"/besoeg/{pw.visit_token}"


def consultant_path(pw: PageWorld) -> str:
    return f"/konsulent/{pw.consultant_token}"


def post_form(c: TestClient, path: str, fields: dict[str, str], *, csrf: str | None = None) -> Any:
    """POST ``fields`` as the page's form would (with a fresh CSRF token from the page
    unless one is given); redirects are not followed."""
    if csrf is None:
        csrf = csrf_of(c.get(path).text)
    return c.post(path, data={"csrf": csrf, **fields}, follow_redirects=False)


def report_json(db: Database | str, name: str, campaign: str = "Forår 2027") -> Any:
    """``phoner report NAME --format json`` for the campaign (of a database or URL), read
    back."""
    import json

    from typer.testing import CliRunner

    from phoner.cli import app

    url = db if isinstance(db, str) else db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--db", url, "report", name, "-c", campaign, "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def book_company(
    db: Database,
    w: World,
    company_id: int,
    *,
    consultant: int = 0,
    day: str = "2027-03-30",
    hm: str = "10:00",
    now: Any = NOW,
) -> int:
    """Book ``company_id`` with the world's ``consultant``-th consultant; an earlier
    ``now`` books a visit before the world's usual one (the notice rule)."""
    from phoner.core.booking import service as bk

    b = bk.book_visit(
        db=db,
        company_id=company_id,
        consultant_id=w.consultant_ids[consultant],
        start=at(day, hm),
        booked_by="telefonist2",
        now=now,
    )
    assert b.id is not None
    return b.id


def twin_company(db: Database, w: World, name: str = "Hansen & Søn (afdeling)") -> int:
    """Another company row with the world's company's CVR (as a later list holds it)."""
    with db.session(write=True) as s:
        company = s.get(Company, w.company_id)
        assert company is not None
        twin = Company(
            campaign_id=w.campaign_id,
            jobcenter_id=company.jobcenter_id,
            name=name,
            cvr=company.cvr,
            phones=["+4533999999"],
            municipality="Køge",
        )
        s.add(twin)
        s.flush()
        assert twin.id is not None
        return twin.id
