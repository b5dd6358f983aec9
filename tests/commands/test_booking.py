"""``phoner book``, ``booking``, ``consultants``, ``calendars`` and ``reminders`` commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from phoner.cli import app
from phoner.core.clock import local_date, to_local
from phoner.core.db import Database
from tests.support.booking import make_world

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
