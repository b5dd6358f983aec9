"""``phoner book``, ``booking``, ``consultants``, ``calendars`` and ``reminders`` commands."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core import blocks
from phoner.core.booking import service as bk
from phoner.core.clock import local_date, to_local
from phoner.core.db import Database
from phoner.core.errors import CompanyNotBookable
from phoner.core.models import AuditLog, Booking, ClearingReason, ClearingState, Company
from phoner.tui import usecases
from phoner.tui.errors import error_text
from tests.support.booking import NOW, make_world

runner = CliRunner()
CAMPAIGN = "Forår 2027"


def invoke(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_book_move_cancel_from_the_command_line(db: Database, db_url: str, workspace: Path) -> None:
    make_world(db)
    code, out = invoke(db_url, "book", "--campaign", CAMPAIGN, "--cvr", "12345674", "--json")
    assert code == 0, out
    slots = json.loads(out)["slots"]
    assert len(slots) == 10 and slots[0]["start"] <= slots[-1]["start"]
    first = dt.datetime.fromisoformat(slots[0]["start"])
    at = f"{first:%Y-%m-%d %H:%M}"
    # beyond the horizon: refused with the rule and an alternative, exit non-zero
    far = local_date(dt.datetime.now(dt.UTC)) + dt.timedelta(days=60)
    code, out = invoke(
        db_url,
        "book",
        "--campaign",
        CAMPAIGN,
        "--cvr",
        "12345674",
        "--consultant",
        slots[0]["consultant"],
        "--at",
        f"{far} 09:00",
    )
    assert code == 1
    assert "Uden for bookinghorisonten (seneste dag er" in out and "ledige tid:" in out
    code, out = invoke(
        db_url,
        "book",
        "--campaign",
        CAMPAIGN,
        "--cvr",
        "12345674",
        "--consultant",
        slots[0]["consultant"],
        "--at",
        "i morgen",
    )
    assert code == 1 and "ÅÅÅÅ-MM-DD" in out
    code, out = invoke(
        db_url,
        "book",
        "--campaign",
        CAMPAIGN,
        "--cvr",
        "1234 5674",
        "--consultant",
        slots[0]["consultant"],
        "--at",
        at,
        "--mobile",
        "20 30 40 50",
        "--by",
        "telefonist1",
    )
    assert code == 0, out
    assert out.startswith("Besøg nr. 1 er booket: Hansen") and slots[0]["consultant"] in out
    code, out = invoke(db_url, "booking", "list", "--json")
    rows = json.loads(out)["bookings"]
    assert [(r["id"], r["contact_mobile"], r["sequence"]) for r in rows] == [(1, "+4520304050", 0)]
    new_at = first + dt.timedelta(hours=1, minutes=30)
    code, out = invoke(db_url, "booking", "move", "1", "--at", f"{new_at:%Y-%m-%d %H:%M}")
    assert code == 0, out
    assert f"kl. {to_local(new_at):%H.%M}" in out
    # so far invitations only: the consultant takes them, so no change notice
    code, out = invoke(db_url, "reminders")
    assert code == 0 and "Intet er forfaldent" in out, out
    # a consultant on the feed alone gets the notice instead of an invitation
    code, out = invoke(db_url, "consultants", "set", slots[0]["consultant"], "--delivery", "feed")
    assert code == 0, out
    code, out = invoke(db_url, "booking", "cancel", "1", "--reason", "virksomhed")
    assert code == 0 and "Virksomheden aflyste" in out
    code, out = invoke(db_url, "booking", "cancel", "1", "--reason", "virksomhed")
    assert code == 1 and "allerede aflyst" in out
    code, out = invoke(db_url, "booking", "list", "--all", "--json")
    assert json.loads(out)["bookings"][0]["status"] == "cancelled"
    code, out = invoke(db_url, "reminders")
    assert code == 0 and "Aflyst: virksomhedsbesøg" in out
    code, out = invoke(db_url, "reminders", "--due", "--out", str(workspace / "ud"))
    assert code == 0 and "1 beskeder til konsulenter" in out
    # book, move: REQUEST to consultant and company; cancel: CANCEL to the company, notice
    assert "6 e-mails sendt som .eml-filer" in out, out
    names = sorted(p.name.split("-", 1)[1] for p in (workspace / "ud").glob("*.eml"))
    assert names == [
        "cancellation-besoeg1-v2.eml",
        "confirmation-besoeg1-v0.eml",
        "invitation-besoeg1-v0.eml",
        "invitation-besoeg1-v1.eml",
        "invitation-besoeg1-v1.eml",
        "notice-besoeg1-v2.eml",
    ]


def test_consultants_and_calendars(sqlite_db: Database, sqlite_url: str, workspace: Path) -> None:
    csv = workspace / "konsulenter.csv"
    csv.write_text(
        "Navn;E-mail;Jobcenter\nKaren Mikkelsen;karen@ringsted.dk;Ringsted\n;x@y.dk;Ringsted\n",
        encoding="utf-8-sig",
    )
    code, out = invoke(sqlite_url, "consultants", "import", str(csv))
    assert code == 0, out
    assert "1 konsulenter oprettet" in out and "1 afvist" in out
    assert (workspace / "konsulenter.afviste.csv").is_file()
    code, out = invoke(sqlite_url, "consultants", "list", "--json")
    (karen,) = json.loads(out)["consultants"]
    assert karen["jobcenter"] == "Jobcenter Ringsted" and karen["work_start"] == "08:30"
    code, out = invoke(
        sqlite_url, "calendars", "urls", "--base-url", "https://kalender.kommune.dk/", "--save"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Karen Mikkelsen <karen@ringsted.dk>"
    assert lines[1].startswith("  https://kalender.kommune.dk/kalender/")
    assert lines[2].startswith("  webcal://kalender.kommune.dk/kalender/")
    code, out = invoke(sqlite_url, "calendars", "urls", "--json")
    data = json.loads(out)
    assert data["base_url"] == "https://kalender.kommune.dk"  # saved
    old_url = data["consultants"][0]["url"]
    code, out = invoke(sqlite_url, "calendars", "status", "--json")
    (st,) = json.loads(out)["consultants"]
    assert st["last_fetch"] is None and st["needs_chasing"]
    code, out = invoke(sqlite_url, "calendars", "rotate", "karen@ringsted.dk")
    assert code == 0 and "den gamle virker ikke længere" in out and old_url not in out
    code, out = invoke(sqlite_url, "calendars", "build", "--out", str(workspace / "kal"))
    assert code == 0 and "1 kalendere" in out and "1 ændret" in out
    code, out = invoke(sqlite_url, "calendars", "build", "--out", str(workspace / "kal"))
    assert "0 ændret, 1 uændret" in out
    assert [p.name for p in (workspace / "kal").iterdir()] == ["karen-1.ics"]
    code, out = invoke(sqlite_url, "calendars", "urls", "--base-url", "ftp://x")
    assert code == 1 and "https://" in out


def _set_company(db: Database, company_id: int, **fields: object) -> None:
    with db.session(write=True) as s:
        company = s.get(Company, company_id)
        assert company is not None
        for name, value in fields.items():
            setattr(company, name, value)
        s.add(company)


def test_book_refuses_removed_and_out_of_target_unless_anyway_by(
    sqlite_db: Database, sqlite_url: str, workspace: Path
) -> None:
    w = make_world(sqlite_db)
    _set_company(
        sqlite_db,
        w.company_id,
        clearing_state=ClearingState.REMOVE,
        clearing_proposal=ClearingReason.KENDT_VIRKSOMHED,
    )
    _set_company(sqlite_db, w.other_company_id, cvr="10000009", out_of_target="under 5 ansatte")
    base = ("book", "--campaign", CAMPAIGN)
    # listing the free times is refused too: it is the first step of a booking
    code, out = invoke(sqlite_url, *base, "--cvr", "12345674")
    assert code == 1
    assert "fjernet af jobcentret i clearingen (kendt virksomhed)" in out
    assert "--anyway --by NAVN" in out
    code, out = invoke(sqlite_url, *base, "--cvr", "12345674", "--anyway", "--json")
    assert code == 1 and "--by" in out  # an exception needs a name
    code, out = invoke(sqlite_url, *base, "--cvr", "12345674", "--anyway", "--by", "Mette")
    assert code == 0 and "Første ledige tider" in out
    code, out = invoke(sqlite_url, *base, "--cvr", "10000009", "--anyway", "--by", "M", "--json")
    slots = json.loads(out)["slots"]
    first = dt.datetime.fromisoformat(slots[0]["start"])
    at = ("--consultant", slots[0]["consultant"], "--at", f"{first:%Y-%m-%d %H:%M}")
    code, out = invoke(sqlite_url, *base, "--cvr", "10000009", *at, "--by", "Mette")
    assert code == 1 and "uden for kampagnens målgruppe (under 5 ansatte)" in out
    with sqlite_db.session() as s:
        assert s.exec(select(Booking)).first() is None
    code, out = invoke(sqlite_url, *base, "--cvr", "10000009", *at, "--anyway", "--by", "Mette")
    assert code == 0, out
    with sqlite_db.session() as s:
        booking = s.exec(select(Booking)).one()
        entry = s.exec(select(AuditLog).where(AuditLog.action == "book_exception")).one()
        assert (entry.actor, entry.entity_id) == ("Mette", booking.id)
        assert entry.reason is not None and "uden for kampagnens målgruppe" in entry.reason
        assert booking.booked_by == "Mette"


def test_tui_booking_path_refuses_a_removed_company(sqlite_db: Database) -> None:
    """The TUI books through the same use case (``usecases.book_visit``): no --anyway there."""
    w = make_world(sqlite_db)
    _set_company(sqlite_db, w.company_id, clearing_state=ClearingState.REMOVE)
    with sqlite_db.session() as s:
        (slot,) = bk.find_slots(session=s, company_id=w.company_id, now=NOW, limit=1)
    with pytest.raises(CompanyNotBookable) as info:
        usecases.book_visit(
            db=sqlite_db,
            company_id=w.company_id,
            consultant_id=slot.consultant_id,
            start=slot.start,
            booked_by="telefonist1",
            now=NOW,
        )
    assert "fjernet af jobcentret" in info.value.message
    assert "koordinerer" in error_text(info.value) and "--" not in error_text(info.value)


def test_serve_on_a_taken_port_says_so_in_danish_before_anything_runs(
    sqlite_url: str, workspace: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["--db", sqlite_url, "serve", "--port", str(port), "--no-send"])
    assert result.exit_code == 1
    assert "kører" not in result.output  # never announced as running
    assert f"Port {port} på 127.0.0.1 er allerede i brug" in result.stderr
    assert "--port" in result.stderr and "address already in use" not in result.output.lower()


def test_book_refuses_a_company_on_the_do_not_call_register_unless_anyway_by(
    sqlite_db: Database, sqlite_url: str, workspace: Path
) -> None:
    make_world(sqlite_db)
    with sqlite_db.session(write=True) as s:
        blocks.add_block(session=s, actor="Karen", cvr="12345674", reason="Ringede selv")
    base = ("book", "--campaign", CAMPAIGN, "--cvr", "12345674")
    code, out = invoke(sqlite_url, *base)
    assert code == 1 and "har frabedt sig henvendelser (spærrelisten)" in out, out
    code, out = invoke(sqlite_url, *base, "--anyway", "--by", "Mette")
    assert code == 0 and "Første ledige tider" in out, out
