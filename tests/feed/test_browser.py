"""The consultant in a real browser: headless Chromium (Debian's package, Playwright) opens
the visit link from a feed served by ``phoner serve``, registers "Afholdt" with 2 fleksjob
places and a follow-up by the form's labels, and the reports and their own page show it.

Skipped without a chromium binary, failed instead with PHONER_TEST_BROWSER_REQUIRED=1
(.ci/run); the screenshots at 390 px are kept in test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import icalendar
import pytest

from phoner.core import visit_pages as vp
from phoner.core import workdays
from phoner.core.booking import service as bk
from phoner.core.clock import local_date, local_to_utc, utcnow
from phoner.core.db import Database, make_engine
from phoner.core.display import format_date
from phoner.core.models import Consultant
from tests.support.booking import make_world
from tests.support.browser import artifacts_dir, chromium, chromium_or_skip, serving_pages
from tests.support.pages import report_json

pytestmark = pytest.mark.browser

WIDTH = 390


def _past_working_day(days_ago: int) -> dt.date:
    day = local_date(utcnow()) - dt.timedelta(days=days_ago)
    while not workdays.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _book_a_visit_that_has_taken_place(db: Database) -> tuple[int, int, str]:
    """A visit last week at 09:00 (booked the week before, as the notice rule wants):
    (booking id, consultant id, feed token)."""
    w = make_world(db)
    day = _past_working_day(7)
    booked = local_to_utc(day - dt.timedelta(days=10), dt.time(10, 0))
    view = bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=w.consultant_ids[0],
        start=local_to_utc(day, dt.time(9, 0)),
        booked_by="telefonist1",
        attempt_id=w.attempt_id,
        now=booked,
    )
    assert view.id is not None
    with db.session() as s:
        c = s.get(Consultant, w.consultant_ids[0])
        assert c is not None
        return view.id, w.consultant_ids[0], c.feed_token


def test_a_consultant_registers_a_held_visit_from_the_calendar_link(
    sqlite_url: str, workspace: Path
) -> None:
    executable = chromium_or_skip()
    db = Database(make_engine(sqlite_url))
    try:
        booking_id, consultant_id, feed_token = _book_a_visit_that_has_taken_place(db)
    finally:
        db.dispose()
    due = local_date(utcnow()) + dt.timedelta(days=7)
    shots = artifacts_dir()
    with serving_pages(sqlite_url, workspace) as base, chromium(executable) as browser:
        feed = httpx.get(f"{base}/kalender/{feed_token}.ics", timeout=10)
        assert feed.status_code == 200
        (event,) = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
        link = str(event["URL"])
        assert link.startswith(f"{base}/besoeg/{booking_id}-")
        assert str(event["DESCRIPTION"]).splitlines()[-1].endswith(link)

        context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale="da-DK")
        page = context.new_page()
        problems: list[str] = []  # a CSP violation shows up here
        page.on(
            "console",
            lambda m: (
                problems.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text
                else None
            ),
        )
        missing: list[str] = []  # the stylesheet not found would show up here (a refused
        # form's own 400 is the page itself, not a missing resource)
        page.on(
            "response",
            lambda r: (
                missing.append(r.url)
                if r.status >= 400
                and r.request.resource_type != "document"
                and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        response = page.goto(link)
        assert response is not None and response.status == 200
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Hansen; Søn")
        # the stylesheet applied (CSP allows it) and nothing is wider than the phone
        colour = page.get_by_role("button", name="Gem").evaluate(
            "b => getComputedStyle(b).backgroundColor"
        )
        assert colour == "rgb(11, 87, 164)"
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        assert page.get_by_role("link", name="33 12 34 56").get_attribute("href") == (
            "tel:+4533123456"
        )

        page.get_by_label("Status", exact=True).select_option(label="Afholdt")
        page.get_by_label("Fleksjob", exact=True).fill("2")
        page.get_by_label("Note", exact=True).fill("Godt møde; de vil gerne have to i fleksjob.")
        page.get_by_label("Opfølgning 1: frist").fill(due.isoformat())
        # forgotten what: refused, the message under the field, the typing kept
        with page.expect_navigation():
            page.get_by_role("button", name="Gem").click()
        assert "Ikke gemt" in page.get_by_role("alert").inner_text()
        page.get_by_role("link", name="Gå til feltet").click()
        what = page.get_by_label("Opfølgning 1: hvad")
        assert what.evaluate("e => e === document.activeElement")
        below = page.locator("#fejl-felt")
        assert below.inner_text() == "Opfølgning 1: skriv hvad der skal følges op på."
        assert below.is_visible() and what.get_attribute("aria-describedby") == "fejl-felt"
        box = below.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        page.screenshot(path=str(shots / "besoeg-fejl-390.png"))
        assert page.get_by_label("Fleksjob", exact=True).input_value() == "2"
        assert page.get_by_label("Opfølgning 1: frist").input_value() == due.isoformat()
        what.fill("Send CV på 2 kandidater til fleksjob")
        page.get_by_role("button", name="Gem").click()
        page.wait_for_url("**?gemt=1*")
        assert "Gemt. Du kan rette resultatet" in page.get_by_role("status").inner_text()
        saved = page.locator("#registreret").inner_text()
        assert "Afholdt" in saved and "Fleksjob" in saved and "Godt møde" in saved
        page.screenshot(path=str(shots / "besoeg-390.png"), full_page=True)

        visits = report_json(sqlite_url, "visits")["total"]
        assert (visits["statuses"]["afholdt"], visits["agreements"]["fleksjob"]) == (1, 2)
        (mine,) = [
            r
            for r in report_json(sqlite_url, "followups")["consultants"]
            if r["consultant"] == "Fatima Yilmaz"
        ]
        assert (mine["open"], mine["overdue"]) == (1, 0)

        own = page.goto(f"{base}/konsulent/{_consultant_token(sqlite_url, consultant_id)}")
        assert own is not None and own.status == 200
        text = page.locator("main").inner_text()
        assert "Send CV på 2 kandidater til fleksjob" in text
        assert f"frist {format_date(due)}" in text
        assert "Ingen besøg venter på et resultat." in text
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        page.screenshot(path=str(shots / "konsulent-390.png"), full_page=True)
        page.get_by_role("button", name="Udført: Send CV på 2 kandidater til fleksjob").click()
        page.wait_for_url("**?udfoert=*")
        assert "Ingen åbne opfølgninger." in page.locator("main").inner_text()

        assert (problems, missing) == ([], [])
        wrong = page.goto(link[:-3] + "AAA")
        assert wrong is not None and wrong.status == 404
        assert page.locator("body").inner_text().strip() == "Ikke fundet."
        context.close()
    assert (shots / "besoeg-390.png").stat().st_size > 10_000


def _consultant_token(url: str, consultant_id: int) -> str:
    db = Database(make_engine(url))
    try:
        with db.session() as s:
            c = s.get(Consultant, consultant_id)
            assert c is not None
            return vp.consultant_token(c)
    finally:
        db.dispose()
