"""The consultants' pages over HTTP (Starlette's TestClient): /besoeg/<token> and
/konsulent/<token> on the feed server, their security and the links in the events."""

from __future__ import annotations

import datetime as dt
import email
import json
import tomllib
from email import policy
from fnmatch import fnmatch
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import httpx
import icalendar
from markupsafe import escape
from sqlmodel import col, func, select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core import visit_pages as vp
from phoner.core.consultants import rotate_token
from phoner.core.db import Database, make_engine
from phoner.core.invitations import Change, Role, invitation_drafts
from phoner.core.models import (
    AuditLog,
    Consultant,
    FollowUp,
    OutboxMessage,
    Setting,
    VisitResult,
)
from tests.support.booking import NOW
from tests.support.browser import serving_pages
from tests.support.imip import calendar_bytes, reparse, text_body
from tests.support.pages import (
    AFTER,
    BASE,
    HELD_FORM,
    HOSTILE,
    book_company,
    client,
    clock_at,
    consultant_path,
    csrf_of,
    page_world,
    post_form,
    report_json,
    visit_path,
)

REPO = Path(__file__).resolve().parents[2]
HELD = HELD_FORM


def _feed_token(db: Database, cid: int) -> str:
    with db.session() as s:
        c = s.get(Consultant, cid)
        assert c is not None
        return c.feed_token


def _results(db: Database) -> int:
    with db.session() as s:
        return len(s.exec(select(VisitResult)).all())


def _audits(db: Database) -> int:
    with db.session() as s:
        return int(s.exec(select(func.count(col(AuditLog.id)))).one())


# --------------------------------------------------------------------------- 404s


def test_a_wrong_old_or_malformed_token_is_the_feeds_bare_404(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    bare = c.get("/kalender/" + "A" * 43 + ".ics")
    assert bare.status_code == 404
    booking, tag = pw.visit_token.split("-", 1)
    wrong = [
        f"/besoeg/{booking}-{'A' * 32}",
        f"/besoeg/{int(booking) + 1}-{tag}",
        f"/besoeg/{pw.visit_token}/",
        f"/besoeg/{pw.visit_token[:-1]}",
        "/besoeg/",
        "/besoeg/%3Cscript%3E",
        f"/besoeg/{pw.consultant_token}",
        f"/konsulent/{pw.visit_token}",
        f"/konsulent/{pw.consultant_token}x",
        f"/konsulent/{pw.consultant_token}/",
        "/konsulent/1-" + "_" * 32,
    ]
    for path in wrong:
        for method in ("GET", "POST"):
            r = c.request(method, path, data={"csrf": "x", "status": "afholdt"})
            assert (r.status_code, r.text) == (404, bare.text), (method, path)
            assert r.headers["content-type"] == bare.headers["content-type"]
    for method in ("PUT", "DELETE", "PATCH"):
        assert c.request(method, visit_path(pw)).text == bare.text
    # rotated: the old links are dead at once, the new ones work
    with db.session(write=True) as s:
        consultant = s.get(Consultant, pw.consultant_id)
        assert consultant is not None
        rotate_token(session=s, consultant=consultant, actor="koordinator")
        new = vp.visit_token(consultant, pw.booking_id)
    assert c.get(visit_path(pw)).status_code == 404
    assert c.get(consultant_path(pw)).status_code == 404
    assert c.get(f"/besoeg/{new}").status_code == 200
    assert _results(db) == 0


# --------------------------------------------------------------------------- security


def _secure(r: object) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    for rule in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "style-src 'self'",
        "base-uri 'none'",
    ]:
        assert rule in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp


def test_every_page_answer_carries_the_security_headers(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    _secure(c.get(visit_path(pw)))
    _secure(c.get(consultant_path(pw)))
    _secure(post_form(c, visit_path(pw), {"status": "hemmelig"}))  # refused
    saved = post_form(c, visit_path(pw), HELD)
    assert saved.status_code == 303
    _secure(saved)
    _secure(
        c.post(
            visit_path(pw),
            content=b"x" * 20_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    )
    css = c.get("/static/phoner.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"


def test_get_changes_nothing(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    before = _audits(db)
    csrf = csrf_of(c.get(visit_path(pw)).text)
    for path in [visit_path(pw), consultant_path(pw)]:
        r = c.get(path, params={**HELD, "csrf": csrf, "followup": "1"})
        assert r.status_code == 200
        assert c.head(path).status_code == 200
    assert (_results(db), _audits(db)) == (0, before)


def test_a_post_needs_the_csrf_token_of_this_very_page(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    with db.session() as s:
        consultant = s.get(Consultant, pw.consultant_id)
        assert consultant is not None
        consultant_csrf = vp.csrf_token(consultant, pw.consultant_token, now=AFTER)
    old = client(db, clock_at(AFTER - dt.timedelta(days=2)))
    stale = csrf_of(old.get(visit_path(pw)).text)
    for csrf in ["", "1.2", consultant_csrf, stale]:
        r = post_form(c, visit_path(pw), HELD, csrf=csrf)
        assert r.status_code == 403
        assert "Siden var for gammel" in r.text
        # what was typed is still there, with a fresh token to save it
        assert "Send CV på 2 kandidater" in r.text and 'value="2"' in r.text
        assert csrf_of(r.text) not in ("", consultant_csrf, stale)
    assert _results(db) == 0
    r = c.post(consultant_path(pw), data={"followup": "1"}, follow_redirects=False)
    assert r.status_code == 403


def test_request_size_and_type_limits(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    path = visit_path(pw)
    csrf = csrf_of(c.get(path).text)
    form = {"content-type": "application/x-www-form-urlencoded"}
    big = c.post(path, content=f"csrf={csrf}&status=afholdt&note={'x' * 70_000}", headers=form)
    assert big.status_code == 413
    lying = c.post(path, content=b"status=afholdt", headers={**form, "content-length": "999999"})
    assert lying.status_code in (400, 413)
    many = "&".join(f"f{i}=1" for i in range(150))
    assert c.post(path, content=f"csrf={csrf}&{many}", headers=form).status_code == 400
    assert c.post(path, content=b"\xff\xfe=1", headers=form).status_code == 400
    multipart = c.post(path, files={"status": ("a.txt", b"afholdt")}, data={"csrf": csrf})
    assert multipart.status_code == 415
    as_json = c.post(path, json={"csrf": csrf, "status": "afholdt"})
    assert as_json.status_code == 415
    assert _results(db) == 0


def test_the_fullest_form_a_consultant_can_type_is_taken(db: Database) -> None:
    # The page's own limits (a 2000-character note, three 500-character follow-ups) in
    # characters that URL-encode to 9 bytes each made a 413 under the old 16 KiB limit,
    # and the typing was lost.
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    fields = {
        **HELD,
        "note": "–" * vp.MAX_NOTE,
        **{f"fu{i}_what": "€" * 500 for i in (1, 2, 3)},
        **{f"fu{i}_due": "2027-03-30" for i in (1, 2, 3)},
    }
    r = post_form(c, visit_path(pw), fields)
    assert r.status_code == 303, r.text[:300]
    with db.session() as s:
        result = s.exec(select(VisitResult)).one()
        assert result.note == "–" * vp.MAX_NOTE


def test_hostile_imported_text_is_escaped_on_every_page(db: Database) -> None:
    pw = page_world(db, hostile=True)
    c = client(db, clock_at(AFTER))
    shown = str(escape(HOSTILE))
    visit = c.get(visit_path(pw)).text
    # company, contact, address, city, e-mail, needs, answers, call note, phoner
    assert visit.count(shown) >= 11
    # a refused form shows the typed note and follow-up again, escaped
    refused = post_form(
        c,
        visit_path(pw),
        {
            "status": "afholdt",
            "a_fleksjob": "x",
            "note": HOSTILE,
            "fu1_what": HOSTILE,
            "fu1_due": "2027-03-30",
        },
    )
    assert refused.status_code == 400
    saved = post_form(c, visit_path(pw), {**HELD, "note": HOSTILE, "fu1_what": HOSTILE})
    assert saved.status_code == 303
    after = c.get(visit_path(pw)).text
    page = c.get(consultant_path(pw)).text
    for text in (visit, refused.text, after, page):
        assert "<script" not in text and "<img" not in text and "onerror=alert(1)>" not in text
    assert shown in refused.text and refused.text.count(shown) >= 13
    assert after.count(shown) >= 14  # + the saved note, the follow-up, in the form again
    assert page.count(shown) >= 4  # the consultant (title, heading), the follow-up, its company
    assert "(dig)" in visit and visit.count(shown) >= 14  # + campaign, the two owners


# --------------------------------------------------------------------------- the form


class _Form(HTMLParser):
    """The inputs and labels of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}  # id -> tag (visible inputs)
        self.labels: dict[str, str] = {}  # for -> text
        self._label: str | None = None
        self.buttons: list[str] = []
        self._button = False
        self.options: dict[str, list[str]] = {}
        self._select: str | None = None
        self._option = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            assert a.get("id"), f"an unlabelled {tag}: {a}"
            self.inputs[a["id"] or ""] = tag
        if tag == "select":
            self._select = a.get("id")
            self.options[a.get("id") or ""] = []
        if tag == "option":
            self._option = True
        if tag == "label":
            self._label = a.get("for")
            self.labels[self._label or ""] = ""
        if tag == "button":
            self._button = True
            self.buttons.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label = None
        if tag == "button":
            self._button = False
        if tag == "option":
            self._option = False

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.labels[self._label] += data
        if self._button:
            self.buttons[-1] += data
        if self._option and self._select:
            self.options[self._select].append(data)


def test_every_input_has_a_label_and_the_form_speaks_danish(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    form = _Form()
    form.feed(c.get(visit_path(pw)).text)
    assert set(form.inputs) == set(form.labels)
    assert form.labels["status"] == "Status" and form.inputs["status"] == "select"
    assert form.options["status"] == [
        "Vælg …",
        "Afholdt",
        "Aflyst af virksomheden",
        "Aflyst af konsulenten",
        "Konsulent udeblev",
        "Afkortet/telefonisk",
        "Flyttet",
    ]
    categories = [form.labels[i] for i in form.labels if i.startswith("a_")]
    assert categories[0] == "Jobordre/rekruttering"
    assert categories[-2:] == ["Fleksjob", "Virksomhedspladser til flygtninge"]
    assert len(categories) == 10
    assert form.labels["note"] == "Note"
    assert form.labels["fu1_what"] == "Opfølgning 1: hvad"
    assert form.options["fu1_owner"][0] == "Fatima Yilmaz (dig)"
    assert form.buttons == ["Gem"]
    page = _Form()
    page.feed(c.get(consultant_path(pw)).text)
    assert set(page.inputs) == set(page.labels)


def test_register_from_the_page_shows_in_the_reports_and_the_consultants_page(
    db: Database,
) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    r = post_form(c, visit_path(pw), HELD)
    assert r.status_code == 303
    assert r.headers["location"] == f"{pw.visit_token}?gemt=1#registreret"  # relative
    shown = c.get(visit_path(pw) + "?gemt=1").text
    assert "Gemt. Du kan rette resultatet" in shown
    assert "Afholdt" in shown and "Fint møde" in shown
    assert '<option value="afholdt" selected>' in shown  # the form holds what is saved
    total = report_json(db, "visits")["total"]
    assert (total["statuses"]["afholdt"], total["agreements"]["fleksjob"]) == (1, 2)
    followups = report_json(db, "followups")["consultants"]
    assert {"consultant": "Fatima Yilmaz", "open": 1, "overdue": 0, "done": 0}.items() <= {
        **followups[0]
    }.items()
    page = c.get(consultant_path(pw)).text
    assert "Send CV på 2 kandidater" in page and "Ingen besøg venter på et resultat." in page
    # a second save changes it (the CLI's rule: a later save replaces the result)
    r = post_form(c, visit_path(pw), {"status": "afkortet_telefonisk", "a_fleksjob": "1"})
    assert r.status_code == 303
    total = report_json(db, "visits")["total"]
    assert (total["statuses"]["afkortet_telefonisk"], total["agreements"]["fleksjob"]) == (1, 1)
    with db.session() as s:
        actions = s.exec(
            select(AuditLog.action, AuditLog.actor).where(AuditLog.entity == "visitresult")
        ).all()
    assert [tuple(a) for a in actions] == [
        ("visit_result", "k0@koege.demo.dk"),
        ("visit_result_update", "k0@koege.demo.dk"),
    ]


def test_held_before_the_visit_starts_is_refused_in_danish(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(NOW))
    page = c.get(visit_path(pw)).text
    assert "Besøget er ikke begyndt endnu" in page
    r = post_form(c, visit_path(pw), HELD)
    assert r.status_code == 400
    assert "»Afholdt« kan først registreres, når besøget er begyndt" in r.text
    # the field the message is about is marked for screen readers
    assert (
        'id="status" name="status" required aria-invalid="true" aria-describedby="fejl-felt"'
        in (r.text)
    )
    assert r.text.count("aria-invalid") == 1 and 'role="alert" id="fejl"' in r.text
    assert _results(db) == 0
    r = post_form(c, visit_path(pw), {"status": "aflyst_af_virksomheden", "reason": "travlhed"})
    assert r.status_code == 303
    assert "Aflyst af virksomheden (Travlhed)" in c.get(visit_path(pw)).text


def test_udfoert_marks_only_the_consultants_own_follow_up_done(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    assert post_form(c, visit_path(pw), HELD).status_code == 303
    with db.session(write=True) as s:
        mine = s.exec(select(FollowUp).where(FollowUp.consultant_id == pw.consultant_id)).one()
        theirs = FollowUp(
            campaign_id=pw.world.campaign_id,
            company_id=pw.world.company_id,
            consultant_id=pw.world.consultant_ids[1],
            description="Kollegas opfølgning",
            due_date=dt.date(2027, 3, 29),
        )
        s.add(theirs)
        s.flush()
        mine_id, theirs_id = mine.id, theirs.id
    page = c.get(consultant_path(pw)).text
    assert "Kollegas opfølgning" not in page
    r = post_form(c, consultant_path(pw), {"followup": str(theirs_id)})
    assert r.status_code == 400 and "findes ikke på din liste" in r.text
    r = post_form(c, consultant_path(pw), {"followup": str(mine_id)})
    assert r.status_code == 303
    assert r.headers["location"] == f"{pw.consultant_token}?udfoert={mine_id}"
    after = c.get(consultant_path(pw) + f"?udfoert={mine_id}").text
    assert "markeret som udført" in after and "Ingen åbne opfølgninger." in after
    with db.session() as s:
        done = {f.id: f.done_by for f in s.exec(select(FollowUp)).all()}
    assert (done[mine_id], done[theirs_id]) == ("k0@koege.demo.dk", None)
    assert report_json(db, "followups")["total"]["open"] == 1  # the colleague's


def test_the_consultants_page_links_their_feed_and_visits(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(NOW))
    page = c.get(consultant_path(pw)).text
    token = _feed_token(db, pw.consultant_id)
    assert f"webcal://kalender.koege.dk/phoner/kalender/{token}.ics" in page
    assert f'href="../besoeg/{pw.visit_token}"' in page  # relative: works under a prefix
    theirs = book_company(db, pw.world, pw.world.other_company_id, consultant=1)
    with db.session() as s:
        colleague = s.get(Consultant, pw.world.consultant_ids[1])
        assert colleague is not None
        link = vp.visit_token(colleague, theirs)
    page = c.get(consultant_path(pw)).text
    assert "Køge Bageri" not in page and link not in page


# --------------------------------------------------------------------------- the event link


def _event(body: bytes) -> icalendar.Event:
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_every_feed_event_links_to_its_visit_page(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    feed = c.get(f"/kalender/{_feed_token(db, pw.consultant_id)}.ics")
    ev = _event(feed.content)
    url = f"{BASE}/besoeg/{pw.visit_token}"
    assert str(ev["URL"]) == url
    assert str(ev["DESCRIPTION"]).splitlines()[-1] == f"Registrér resultatet af besøget: {url}"
    # the link opens the page through the same app, under the proxy's prefix
    assert c.get(url.removeprefix(BASE)).status_code == 200
    # serve --base-url wins over the saved address
    other = client(db, clock_at(AFTER), base_url="https://x.example.dk")
    body = other.get(f"/kalender/{_feed_token(db, pw.consultant_id)}.ics").content
    assert str(_event(body)["URL"]) == f"https://x.example.dk/besoeg/{pw.visit_token}"


def test_feed_without_a_public_address_has_no_link(db: Database) -> None:
    pw = page_world(db, base=None)
    c = client(db, clock_at(AFTER))
    ev = _event(c.get(f"/kalender/{_feed_token(db, pw.consultant_id)}.ics").content)
    assert "URL" not in ev and "/besoeg/" not in str(ev["DESCRIPTION"])


def test_rotating_or_a_new_address_changes_the_feeds_etag_and_links(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    first = c.get(f"/kalender/{_feed_token(db, pw.consultant_id)}.ics")
    with db.session(write=True) as s:
        setting = s.get(Setting, vp.BASE_URL_KEY)
        assert setting is not None
        setting.value = "https://ny.koege.dk"
        s.add(setting)
    second = c.get(
        f"/kalender/{_feed_token(db, pw.consultant_id)}.ics",
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert second.status_code == 200
    assert str(_event(second.content)["URL"]).startswith("https://ny.koege.dk/besoeg/")
    with db.session(write=True) as s:
        consultant = s.get(Consultant, pw.consultant_id)
        assert consultant is not None
        rotate_token(session=s, consultant=consultant, actor="t")
        new_link = vp.visit_token(consultant, pw.booking_id)
    third = c.get(f"/kalender/{_feed_token(db, pw.consultant_id)}.ics")
    assert str(_event(third.content)["URL"]).endswith(f"/besoeg/{new_link}")


# --------------------------------------------------------------------------- packaging


def test_templates_and_stylesheet_are_package_data() -> None:
    """A wheel install has the pages: every template and the stylesheet match the
    package-data globs of pyproject.toml."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["phoner"]
    root = resources.files("phoner.feed")
    files = [f"feed/templates/{p.name}" for p in root.joinpath("templates").iterdir()]
    files.append("feed/static/phoner.css")
    assert any(f.endswith(".html") for f in files)
    for f in files:
        assert any(fnmatch(f, g.replace("**/", "*")) for g in globs), f


def test_pages_are_built_for_a_phone_without_javascript(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    for page in (c.get(visit_path(pw)).text, c.get(consultant_path(pw)).text):
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        assert "<script" not in page and " on" not in page.split("<body>")[1].split(">")[0]
        assert '<link rel="stylesheet" href="../static/phoner.css">' in page
    assert '<a href="tel:+4533123456">33 12 34 56</a>' in c.get(visit_path(pw)).text


def test_the_consultants_invitation_links_the_visit_page_the_companys_never(
    db: Database,
) -> None:
    pw = page_world(db)
    with db.session() as s:
        drafts = invitation_drafts(
            session=s,
            booking_id=pw.booking_id,
            change=Change.UPDATE,
            organizer="Jobcenter Køge <booking@koege.dk>",
            now=NOW,
        ).drafts
    url = f"{BASE}/besoeg/{pw.visit_token}"
    mine, company = (reparse(d.message) for d in drafts)
    assert [d.role for d in drafts] == [Role.CONSULTANT, Role.COMPANY]
    ev = icalendar.Calendar.from_ical(calendar_bytes(mine)).walk("VEVENT")[0]
    assert str(ev["URL"]) == url
    assert str(ev["DESCRIPTION"]).splitlines()[-1] == f"Registrér resultatet af besøget: {url}"
    assert url in text_body(mine)  # clickable in the e-mail too
    theirs = calendar_bytes(company).decode()
    assert "URL" not in icalendar.Calendar.from_ical(theirs).walk("VEVENT")[0]
    assert "/besoeg/" not in theirs and "/besoeg/" not in text_body(company)


def test_invitations_without_a_saved_address_have_no_link_and_outbox_status_says_why(
    db: Database,
) -> None:
    pw = page_world(db, base=None)
    with db.session() as s:
        messages = s.exec(select(OutboxMessage)).all()
        assert messages and all(b"/besoeg/" not in m.message for m in messages)
    url = db.engine.url.render_as_string(hide_password=False)
    out = CliRunner().invoke(app, ["--db", url, "outbox", "status"]).output
    assert "Konsulenternes invitationer har intet link til besøgssiden" in out
    assert "phoner calendars urls --base-url https://... --save" in out
    # once the address is saved, the next booking's invitation to the consultant has it
    saved = CliRunner().invoke(
        app, ["--db", url, "calendars", "urls", "--base-url", BASE + "/", "--save"]
    )
    assert saved.exit_code == 0 and "Side med besøg og opfølgninger: " + BASE in saved.output
    assert "intet link" not in CliRunner().invoke(app, ["--db", url, "outbox", "status"]).output
    other = book_company(db, pw.world, pw.world.other_company_id)
    with db.session() as s:
        consultant = s.get(Consultant, pw.consultant_id)
        assert consultant is not None
        link = f"{BASE}/besoeg/{vp.visit_token(consultant, other)}".encode()
        sent = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.booking_id == other, OutboxMessage.recipient == consultant.email
            )
        ).one()
    msg = reparse(email.message_from_bytes(sent.message, policy=policy.default))  # type: ignore[arg-type]
    assert f"URL:{link.decode()}".encode() in calendar_bytes(msg).replace(b"\r\n ", b"")


# --------------------------------------------------------------------------- the CLI


def test_rotate_and_urls_give_the_consultants_page_link(db: Database) -> None:
    pw = page_world(db)
    url = db.engine.url.render_as_string(hide_password=False)
    listed = CliRunner().invoke(app, ["--db", url, "calendars", "urls", "--json"])

    pages = {c["email"]: c["page"] for c in json.loads(listed.output)["consultants"]}
    assert pages["k0@koege.demo.dk"] == f"{BASE}/konsulent/{pw.consultant_token}"
    rotated = CliRunner().invoke(app, ["--db", url, "calendars", "rotate", "k0@koege.demo.dk"])
    assert rotated.exit_code == 0, rotated.output
    assert "Alle gamle links til besøgssiderne" in rotated.output
    new = rotated.output.split("Ny side med besøg og opfølgninger: ")[1].split()[0]
    assert new != pages["k0@koege.demo.dk"]
    c = client(db, clock_at(AFTER))
    assert c.get(new.removeprefix(BASE)).status_code == 200
    assert c.get(consultant_path(pw)).status_code == 404


def test_serve_base_url_is_checked_saved_and_put_in_the_events(
    sqlite_url: str, workspace: Path
) -> None:
    bad = CliRunner().invoke(
        app, ["--db", sqlite_url, "serve", "--no-send", "--base-url", "https://x.dk/?a"]
    )
    assert bad.exit_code == 1 and "kan ikke bruges i links" in bad.output
    assert "Traceback" not in bad.output
    db = Database(make_engine(sqlite_url))
    try:
        pw = page_world(db, base=None)
        token = _feed_token(db, pw.consultant_id)
        with serving_pages(sqlite_url, workspace) as base:
            feed = httpx.get(f"{base}/kalender/{token}.ics", timeout=10)
            assert str(_event(feed.content)["URL"]) == f"{base}/besoeg/{pw.visit_token}"
            page = httpx.get(f"{base}/besoeg/{pw.visit_token}", timeout=10)
            assert page.status_code == 200 and "Registrér resultatet" in page.text
        with db.session() as s:
            assert vp.saved_base_url(session=s) == base  # for the invitations
    finally:
        db.dispose()


def test_a_refused_field_shows_its_message_next_to_it_and_keeps_the_typing(
    db: Database,
) -> None:
    """On a phone the faulty field is far below the message at the top: the message is
    repeated under the field itself, the top box links to the field, and nothing typed
    is lost."""
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    typed = {**HELD, "fu1_what": "", "fu1_due": "2027-03-30", "note": "Min note <b>"}
    r = post_form(c, visit_path(pw), typed)
    assert r.status_code == 400
    message = "Opfølgning 1: skriv hvad der skal følges op på."
    field = r.text.split('id="fu1_what"', 1)[1].split("</div>", 1)[0]
    assert 'aria-invalid="true" aria-describedby="fejl-felt"' in field
    assert f'<p class="field-error" id="fejl-felt">{message}</p>' in field
    assert r.text.count('id="fejl-felt"') == 1
    assert '<a href="#fu1_what">Gå til feltet</a>' in r.text
    assert 'value="2027-03-30"' in r.text and "Min note &lt;b&gt;</textarea>" in r.text
    assert 'value="2"' in r.text.split('id="a_fleksjob"', 1)[1].split(">", 1)[0]
    assert _results(db) == 0


def test_agreements_before_the_visit_mark_the_count_that_was_typed(db: Database) -> None:
    pw = page_world(db)
    c = client(db, clock_at(NOW))
    r = post_form(c, visit_path(pw), {"status": "flyttet", "a_fleksjob": "2"})
    assert r.status_code == 400 and "aftaler kan først registreres" in r.text
    field = r.text.split('id="a_fleksjob"', 1)[1].split("</div>", 1)[0]
    assert 'aria-invalid="true"' in field and 'class="field-error"' in field
    assert 'value="2"' in field


def test_a_due_date_typed_the_danish_way_is_taken_and_a_wrong_one_is_named(
    db: Database,
) -> None:
    """A browser without a date picker sends what the consultant typed: 30.03.2027 is a
    date; 31.02.2027 or "i morgen" is refused naming what was typed (and how to write it)."""
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    for typed in ("31.02.2027", "i morgen"):
        r = post_form(c, visit_path(pw), {**HELD, "fu1_due": typed})
        assert r.status_code == 400
        assert f"Opfølgning 1: »{typed}« er ikke en dato." in r.text
        assert "dd.mm.åååå (fx 15.01.2027)" in r.text
        assert f'value="{typed}"' in r.text
    r = post_form(c, visit_path(pw), {**HELD, "fu1_due": "30.03.2027"})
    assert r.status_code == 303
    with db.session() as s:
        due = s.exec(
            select(FollowUp.due_date).where(FollowUp.description == HELD["fu1_what"])
        ).one()
    assert due == dt.date(2027, 3, 30)


def test_udfoert_says_which_follow_up_was_done_and_a_resend_is_harmless(
    db: Database,
) -> None:
    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    assert post_form(c, visit_path(pw), HELD).status_code == 303
    with db.session() as s:
        fid = s.exec(select(FollowUp.id).where(FollowUp.description == HELD["fu1_what"])).one()
    page = c.get(consultant_path(pw)).text
    csrf = csrf_of(page)
    first = post_form(c, consultant_path(pw), {"followup": str(fid)}, csrf=csrf)
    # the back button and "Udført" again, or a double tap: the same form once more
    again = post_form(c, consultant_path(pw), {"followup": str(fid)}, csrf=csrf)
    assert (first.status_code, again.status_code) == (303, 303)
    assert first.headers["location"] == again.headers["location"]
    shown = c.get(consultant_path(pw) + "?" + first.headers["location"].split("?", 1)[1]).text
    assert "»Send CV på 2 kandidater« hos " in shown and "er markeret som udført." in shown
    # an old bookmark with ?udfoert=1 or another's id says it in general, naming nothing
    for flag in ("1", "999999", "x"):
        other = c.get(consultant_path(pw) + f"?udfoert={flag}").text
        assert "Opfølgningen er markeret som udført." in other and "»" not in other


def test_a_coming_visit_with_a_registered_cancellation_says_so_on_the_consultants_page(
    db: Database,
) -> None:
    """A cancellation registered before the visit leaves the booking in the calendar; the
    consultant's page listed it among the coming visits as if nothing had been saved."""
    pw = page_world(db)
    c = client(db, clock_at(NOW))
    before = c.get(consultant_path(pw)).text
    assert "Registreret:" not in before
    r = post_form(c, visit_path(pw), {"status": "aflyst_af_konsulenten"})
    assert r.status_code == 303
    coming = c.get(consultant_path(pw)).text.split("<h2>Kommende besøg</h2>", 1)[1]
    assert "<strong>Registreret: Aflyst af konsulenten</strong>" in coming


def test_a_visit_cancelled_while_the_page_was_open_gives_back_what_was_typed(
    db: Database,
) -> None:
    """The form is gone from a cancelled visit's page; the note typed before the
    cancellation was lost with it. Now it is shown back (escaped) to copy."""
    from phoner.core.booking import service as bk
    from phoner.core.models import CancelReason

    pw = page_world(db)
    c = client(db, clock_at(AFTER))
    csrf = csrf_of(c.get(visit_path(pw)).text)
    bk.cancel_booking(
        db=db, booking_id=pw.booking_id, reason=CancelReason.COMPANY_CANCELLED, actor="t", now=NOW
    )
    typed = {**HELD, "note": "Lang note <b>om mødet</b>"}
    r = post_form(c, visit_path(pw), typed, csrf=csrf)
    assert r.status_code == 400 and "Besøget er aflyst" in r.text
    assert "Det, du skrev (ikke gemt)" in r.text
    assert "Lang note &lt;b&gt;om mødet&lt;/b&gt;" in r.text
    assert "Opfølgning 1: Send CV på 2 kandidater · frist 2027-03-30" in r.text
    assert "<form" not in r.text and _results(db) == 0
    assert "Det, du skrev" not in c.get(visit_path(pw)).text
