"""Bookings made elsewhere: ``phoner booking import`` (phoner.core.booking.importing)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from phoner.core import blocks
from phoner.core.booking import import_rows, import_writes
from phoner.core.booking import importing as bi
from phoner.core.booking.importing import import_bookings
from phoner.core.booking.rules import Rule
from phoner.core.campaigns import get_campaign
from phoner.core.db import Database
from phoner.core.errors import InvalidInput
from phoner.core.feeds import consultant_feed
from phoner.core.models import (
    AuditLog,
    Booking,
    BookingStatus,
    Campaign,
    Company,
    Consultant,
    FollowUp,
    MeetingStatus,
    OutboxMessage,
    VisitResult,
)
from phoner.core.reminders import due_messages
from phoner.core.reports.visits import visits_report
from phoner.core.visits import import_visit_results
from tests.support.booking import NOW, at, book_world_visit, clear_outbox
from tests.support.booking_files import (
    HEADERS,
    WORLD_CVR,
    ImportWorld,
    add_consultant,
    cvrs,
    import_world,
    write_bookings,
    write_bookings_xlsx,
)

CAMPAIGN = "Forår 2027"


def run(db: Database, path: Path, **kw: object) -> bi.BookingImportSummary:
    return import_bookings(
        db=db, path=path, campaign_name=CAMPAIGN, actor="koordinator", now=NOW, **kw
    )  # type: ignore[arg-type]


def bookings(db: Database) -> list[Booking]:
    with db.session() as s:
        return list(s.exec(select(Booking).order_by(col(Booking.start), col(Booking.id))).all())


def rejects(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=";"))


@pytest.fixture
def iw(db: Database) -> ImportWorld:
    return import_world(db, companies=8, consultants=3)


def test_good_rows_go_in_as_bookings_and_the_summary_says_so(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    k0, k1, _ = iw.consultant_emails
    path = write_bookings(
        tmp_path / "bookinger.csv",
        [
            [
                iw.cvrs[0],
                k0,
                "2027-03-24 09:00",
                "90",
                "Ole Hansen",
                "ole@firma1.dk",
                "Parkér bagved",
            ],
            [iw.cvrs[1], "Jesper Lind", "24-03-2027 kl. 13.00", "", "", "", ""],
        ],
    )
    s = run(db, path)
    assert s.to_json() == {
        "read": 2,
        "imported": 2,
        "unchanged": 0,
        "cancelled": 0,
        "rejected": 0,
        "rejects_file": None,
        "outside_rules": dict.fromkeys(bi.RULE_LABELS, 0),
        "outside_rules_rows": 0,
    }
    first, second = bookings(db)
    assert (first.start, first.end) == (at("2027-03-24", "09:00"), at("2027-03-24", "10:30"))
    assert first.status == BookingStatus.BOOKED and first.live
    assert first.contact_person == "Ole Hansen" and first.contact_email == "ole@firma1.dk"
    assert first.details == {"source": "import", "note": "Parkér bagved"}
    assert first.booked_by == "koordinator"
    # no Varighed: the consultant's usual 60 minutes; contact from the company
    assert second.consultant_id == iw.world.consultant_ids[1]
    assert second.end - second.start == dt.timedelta(minutes=60)
    assert second.contact_email == "kontakt2@firma.dk"
    assert first.consultant_id == iw.world.consultant_ids[0] and k1
    with db.session() as ses:
        entries = ses.exec(
            select(AuditLog).where(AuditLog.entity == "booking").order_by(col(AuditLog.id))
        ).all()
    assert [(e.action, e.entity_id, e.actor, e.reason) for e in entries] == [
        ("book", first.id, "koordinator", "importeret (linje 2)"),
        ("book", second.id, "koordinator", "importeret (linje 3)"),
    ]
    assert entries[0].new == {
        "consultant_id": first.consultant_id,
        "start": first.start.isoformat(),
        "end": first.end.isoformat(),
        "status": "booked",
        "sequence": 0,
    }


def test_a_long_file_goes_in_batches_and_reports_its_progress(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    k0, k1, k2 = iw.consultant_emails
    rows = [
        [cvr, (k0, k1, k2)[n % 3], f"2027-04-{6 + n // 3:02d} 09:00", "60", "", "", ""]
        for n, cvr in enumerate(iw.cvrs)
    ]
    seen: list[tuple[int, int]] = []
    s = run(
        db,
        write_bookings(tmp_path / "b.csv", rows),
        batch_rows=3,
        progress=lambda p: seen.append((p.rows_done, p.rows_total)),
    )
    assert s.imported == 8 and len(bookings(db)) == 8
    assert seen == [(0, 8), (3, 8), (6, 8), (8, 8), (8, 8)]


def test_importing_the_same_file_again_changes_nothing(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [iw.cvrs[0], k0, "2027-03-24 09:00", "60", "", "", ""],
            [iw.cvrs[1], k0, "2027-03-24 12:00", "60", "", "", ""],
            ["99999999", k0, "2027-03-24 14:00", "60", "", "", ""],
        ],
    )
    assert run(db, path).imported == 2
    with db.session() as s:
        audits = s.exec(select(func.count()).select_from(AuditLog)).one()
    before = [(b.id, b.sequence, b.modified_at) for b in bookings(db)]
    again = run(db, path)
    assert (again.read, again.imported, again.unchanged, again.rejected) == (3, 0, 2, 1)
    assert [(b.id, b.sequence, b.modified_at) for b in bookings(db)] == before
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(AuditLog)).one() == audits


def test_an_import_sends_no_invitations(db: Database, iw: ImportWorld, tmp_path: Path) -> None:
    """The visits are in the consultants' calendars already: the outbox stays empty (an
    ordinary booking of the same company would queue two invitations)."""
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [cvr, k0, f"2027-03-{24 + i} 09:00", "60", "", "", ""]
            for i, cvr in enumerate(iw.cvrs[:3])
        ],
    )
    assert run(db, path).imported == 3
    with db.session() as s:
        assert s.exec(select(OutboxMessage)).all() == []
        assert all(b.consultant_notified_at is not None for b in s.exec(select(Booking)).all())


def test_a_clash_with_the_consultants_other_visit_is_rejected_with_line_and_reason(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    book_world_visit(db, iw.world)  # consultant 0, Wednesday 24 March 09:00-10:00, in phoner
    k0, k1, _ = iw.consultant_emails
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [iw.cvrs[0], k0, "2027-03-24 09:30", "60", "", "", ""],  # overlaps phoner's
            [iw.cvrs[1], k1, "2027-03-24 11:00", "60", "", "", ""],
            [iw.cvrs[2], k1, "2027-03-24 11:45", "60", "", "", ""],  # overlaps line 3
            [iw.cvrs[3], k0, "2027-03-24 13:00", "60", "", "", ""],
        ],
    )
    s = run(db, path)
    assert (s.imported, s.rejected) == (2, 2)
    assert s.rejects_file == tmp_path / "b.afviste.csv"
    out = rejects(s.rejects_file)
    assert out[0] == ["Linje", "Årsag", *HEADERS]
    assert [r[0] for r in out[1:]] == ["2", "4"]
    assert "Fatima Yilmaz har allerede et besøg ons 24.03.2027 kl. 09.00" in out[1][1]
    assert "(besøg nr." in out[1][1] and "Ret tidspunktet eller konsulenten" in out[1][1]
    assert "(linje 3)" in out[2][1]
    assert out[1][2:] == [iw.cvrs[0], k0, "2027-03-24 09:30", "60", "", "", ""]


def test_back_to_back_visits_made_elsewhere_go_in_and_count_as_too_close(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    """Own times that touch are no clash; the travel buffer is a counted rule. The
    database's guard (PostgreSQL's exclusion constraint on the blocked time) holds: the
    imported visits and phoner's visit before them have their blocked time cut back."""
    phoner_visit = book_world_visit(db, iw.world, hm="09:00")  # 09:00-10:00 +30 min travel
    clear_outbox(db)  # its own invitations
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [iw.cvrs[0], k0, "2027-03-24 10:00", "60", "", "", ""],
            [iw.cvrs[1], k0, "2027-03-24 11:00", "60", "", "", ""],
        ],
    )
    s = run(db, path)
    assert (s.imported, s.rejected) == (2, 0)
    assert s.outside_rules[Rule.OVERLAP.value] == 2  # the rows; phoner's visit is no row
    assert s.outside_rules[Rule.MAX_PER_DAY.value] == 0  # 3 visits: the cap, not above it
    by_start = {b.start: b for b in bookings(db)}
    assert by_start[phoner_visit.start].blocked_end == at("2027-03-24", "10:00")
    assert by_start[at("2027-03-24", "10:00")].blocked_end == at("2027-03-24", "11:00")
    assert by_start[at("2027-03-24", "11:00")].blocked_end == at("2027-03-24", "12:30")
    with db.session() as ses:  # cutting phoner's visit back sends its calendars nothing
        assert ses.exec(select(OutboxMessage)).all() == []


def test_a_second_live_booking_of_a_company_is_rejected(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    book_world_visit(db, iw.world)
    k1 = iw.consultant_emails[1]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [WORLD_CVR, k1, "2027-03-26 09:00", "60", "", "", ""],  # booked in phoner already
            [iw.cvrs[0], k1, "2027-03-30 09:00", "60", "", "", ""],
            [iw.cvrs[0], k1, "2027-03-31 09:00", "60", "", "", ""],  # second one in the file
            [iw.cvrs[1], k1, "2027-02-01 09:00", "60", "", "", ""],  # past visits: both in
            [iw.cvrs[1], k1, "2027-02-15 09:00", "60", "", "", ""],
        ],
    )
    s = run(db, path)
    assert (s.imported, s.rejected) == (3, 2)
    assert [r.line for r in s.rejects] == [2, 4]
    assert "har allerede et booket besøg ons 24.03.2027 kl. 09.00 (nr." in s.rejects[0].reason
    assert "har allerede et booket besøg på linje 3" in s.rejects[1].reason


def test_past_visits_are_imported_and_not_live(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv", [[iw.cvrs[0], k0, "2026-10-05 10:00", "60", "", "", ""]]
    )
    s = run(db, path)
    assert (s.imported, s.rejected) == (1, 0)
    (b,) = bookings(db)
    assert b.status == BookingStatus.BOOKED and not b.live
    # a past visit without "Booket den" is not measured for notice and horizon
    assert s.outside_rules[Rule.NOTICE.value] == 0 and s.outside_rules_rows == 0


def test_rows_outside_the_booking_rules_are_imported_and_counted_per_rule(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    k0, k1, _ = iw.consultant_emails
    foreign = "mikkel@roskilde.demo.dk"
    c = iw.cvrs
    rows = [
        [c[0], k0, "2027-03-23 09:00", "60"],  # tomorrow: notice (2 working days)
        [c[1], k0, "2027-05-20 09:00", "60"],  # 59 days ahead: horizon (42 days)
        [c[2], k0, "2027-03-25 09:00", "60"],  # Skærtorsdag: holiday
        [c[3], k0, "2027-03-27 09:00", "60"],  # Saturday: working day
        [c[4], k1, "2027-03-30 07:00", "60"],  # before 08:30: working hours
        [c[5], k1, "2027-03-31 09:10", "60"],  # not on a quarter hour
        [c[6], foreign, "2027-04-01 09:00", "60"],  # another jobcenter's consultant
    ]
    path = write_bookings(tmp_path / "b.csv", rows, headers=HEADERS[:4])
    s = run(db, path)
    assert (s.imported, s.rejected) == (7, 0)
    counts = {k: v for k, v in s.outside_rules.items() if v}
    assert counts == {
        Rule.NOTICE.value: 1,
        Rule.HORIZON.value: 1,
        Rule.HOLIDAY.value: 1,
        Rule.WORKING_DAY.value: 1,
        Rule.WORKING_HOURS.value: 1,
        Rule.QUARTER.value: 1,
        Rule.JOBCENTER.value: 1,
    }
    assert s.outside_rules_rows == 7


def test_visits_above_the_daily_cap_and_with_booked_on_are_counted(
    db: Database, tmp_path: Path
) -> None:
    iw = import_world(db, companies=5, consultants=1)
    k0 = iw.consultant_emails[0]
    rows = [
        [cvr, k0, f"2027-04-06 {h}", "30", "19-03-2027"]
        for cvr, h in zip(iw.cvrs, ["09:00", "10:00", "11:00", "12:00"], strict=False)
    ]
    path = write_bookings(
        tmp_path / "b.csv", rows, headers=["CVR", "Konsulent", "Start", "Varighed", "Booket den"]
    )
    s = run(db, path)
    assert s.imported == 4
    # booked on 19 March for 6 April: notice and horizon kept; the 4th visit is over 3
    assert {k: v for k, v in s.outside_rules.items() if v} == {Rule.MAX_PER_DAY.value: 1}
    assert all(b.created_at == at("2027-03-19", "00:00") for b in bookings(db))


def test_status_aflyst_imports_a_cancelled_visit_and_cancels_a_booked_one(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    k0 = iw.consultant_emails[0]
    headers = ["CVR", "Konsulent", "Start", "Status"]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [iw.cvrs[0], k0, "2027-03-24 09:00", "booket"],
            [iw.cvrs[1], k0, "2027-03-24 09:00", "Aflyst"],  # a cancelled one: no clash
        ],
        headers=headers,
    )
    s = run(db, path)
    assert (s.imported, s.rejected) == (2, 0)
    statuses = sorted(b.status.value for b in bookings(db))
    assert statuses == ["booked", "cancelled"]
    with db.session() as s2:  # both are booked visits in the report, the cancelled one too
        campaign = s2.get(Campaign, iw.world.campaign_id)
        assert campaign is not None
        report = visits_report(session=s2, campaign=campaign)
    assert report.data["total"]["booked"] == 2
    path = write_bookings(
        tmp_path / "b.csv", [[iw.cvrs[0], k0, "2027-03-24 09:00", "aflyst"]], headers=headers
    )
    s = run(db, path)
    assert (s.imported, s.cancelled, s.unchanged) == (0, 1, 0)
    assert all(b.status == BookingStatus.CANCELLED for b in bookings(db))
    with db.session() as s2:
        assert s2.exec(select(OutboxMessage)).all() == []


def test_date_and_time_in_two_columns_and_end_instead_of_duration(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv",
        [[iw.cvrs[0], k0, "24.03.2027", "9.15", "10:45"]],
        headers=["CVR-nr.", "Konsulent", "Dato", "Tid", "Slut"],
    )
    assert run(db, path).imported == 1
    (b,) = bookings(db)
    assert (b.start, b.end) == (at("2027-03-24", "09:15"), at("2027-03-24", "10:45"))


def test_an_excel_file_with_real_date_cells(db: Database, iw: ImportWorld, tmp_path: Path) -> None:
    k0, k1, _ = iw.consultant_emails
    path = write_bookings_xlsx(
        tmp_path / "b.xlsx",
        ["CVR", "Konsulent", "Start", "Varighed", "Booket den"],
        [
            [int(iw.cvrs[0]), k0, dt.datetime(2027, 3, 24, 9, 0), 45, dt.date(2027, 3, 1)],
            [int(iw.cvrs[1]), k1, dt.datetime(2027, 8, 2, 13, 30), 60, None],  # summer time
        ],
    )
    s = run(db, path)
    assert (s.imported, s.rejected) == (2, 0), s.rejects
    first, second = bookings(db)
    assert (first.start, first.end) == (at("2027-03-24", "09:00"), at("2027-03-24", "09:45"))
    assert second.start == at("2027-08-02", "13:30")
    assert second.start.hour == 11  # 13:30 Danish summer time is 11:30 UTC
    path = write_bookings_xlsx(
        tmp_path / "c.xlsx",
        ["CVR", "Konsulent", "Dato", "Tid"],
        [[int(iw.cvrs[2]), k0, dt.date(2027, 3, 26), dt.time(10, 30)]],
    )
    assert run(db, path).imported == 1
    assert at("2027-03-26", "10:30") in {b.start for b in bookings(db)}


BAD_ROWS = [
    (["12345675", "k0@koege.demo.dk", "2027-03-24 09:00", "60"], "'CVR': Ugyldigt CVR-nummer"),
    (["{unknown}", "k0@koege.demo.dk", "2027-03-24 09:00", "60"], "står ikke på kampagnens liste"),
    (
        ["{cvr}", "Ukendt Person", "2027-03-24 09:00", "60"],
        "konsulenten 'Ukendt Person' findes ikke",
    ),
    (["{cvr}", "", "2027-03-24 09:00", "60"], "kolonnen 'Konsulent' er tom"),
    (
        ["{cvr}", "k0@koege.demo.dk", "31-02-2027 09:00", "60"],
        "kolonnen 'Start': '31-02-2027 09:00' er ikke et tidspunkt. "
        "Skriv dansk tid som ÅÅÅÅ-MM-DD TT:MM",
    ),
    (["{cvr}", "k0@koege.demo.dk", "2027-03-24", "60"], "'2027-03-24' har intet klokkeslæt"),
    (["{cvr}", "k0@koege.demo.dk", "", "60"], "kolonnen 'Start' er tom"),
    (
        ["{cvr}", "k0@koege.demo.dk", "2027-03-24 09:00", "en time"],
        "kolonnen 'Varighed': 'en time' er ikke en varighed. Skriv antal minutter",
    ),
    (["{cvr}", "k0@koege.demo.dk", "2027-03-24 09:00", "0"], "er ikke en varighed"),
    (["{cvr}", "k0@koege.demo.dk", "2027-03-24 09:00", "9999"], "er ikke en varighed"),
]


@pytest.mark.parametrize(("cells", "reason"), BAD_ROWS)
def test_bad_rows_are_rejected_with_column_and_what_to_do(
    sqlite_db: Database, tmp_path: Path, cells: list[str], reason: str
) -> None:
    iw = import_world(sqlite_db, companies=2)
    unknown = cvrs(1, first=5_000_000)[0]
    row = [c.replace("{cvr}", iw.cvrs[0]).replace("{unknown}", unknown) for c in cells]
    good = [iw.cvrs[1], "k1@koege.demo.dk", "2027-03-24 09:00", "60"]
    path = write_bookings(tmp_path / "b.csv", [row, good], headers=HEADERS[:4])
    s = run(sqlite_db, path)
    assert (s.imported, s.rejected) == (1, 1)  # the good row goes in next to it
    assert s.rejects[0].line == 2
    assert reason in s.rejects[0].reason


def test_more_bad_cells(sqlite_db: Database, tmp_path: Path) -> None:
    iw = import_world(sqlite_db, companies=6)
    add_consultant(sqlite_db, iw.world, "Fatima Yilmaz", "fatima2@koege.demo.dk")
    k0 = iw.consultant_emails[0]
    c = iw.cvrs
    headers = ["CVR", "Konsulent", "Start", "Slut", "E-mail", "Mobil", "Status", "Booket den"]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [c[0], "Fatima Yilmaz", "2027-03-24 09:00", "", "", "", "", ""],
            [c[1], k0, "2027-03-24 11:00", "10:30", "", "", "", ""],
            [c[2], k0, "2027-03-24 13:00", "", "ikke en mail", "", "", ""],
            [c[3], k0, "2027-03-25 13:00", "", "", "12", "", ""],
            [c[4], k0, "2027-03-26 13:00", "", "", "", "måske", ""],
            [c[5], k0, "2027-03-29 13:00", "", "", "", "", "2099-01-01"],
        ],
        headers=headers,
    )
    s = run(sqlite_db, path)
    assert s.imported == 0
    reasons = [r.reason for r in s.rejects]
    assert (
        "der er 2 konsulenter, der hedder 'Fatima Yilmaz' (fatima2@koege.demo.dk, "
        "k0@koege.demo.dk). Skriv konsulentens e-mail i stedet." in reasons[0]
    )
    assert "kolonnen 'Slut': slut ons 24.03.2027 kl. 10.30 er ikke efter start" in reasons[1]
    assert "kolonnen 'E-mail': 'ikke en mail' er ikke en e-mailadresse" in reasons[2]
    assert "kolonnen 'Mobil': '12' er ikke et telefonnummer" in reasons[3]
    assert "kolonnen 'Status': 'måske' er ikke en status. Skriv booket eller aflyst" in reasons[4]
    assert "kolonnen 'Booket den': '2099-01-01' ligger i fremtiden" in reasons[5]


def test_a_missing_column_names_the_file_and_the_columns_it_has(
    sqlite_db: Database, tmp_path: Path
) -> None:
    import_world(sqlite_db, companies=1)
    path = write_bookings(tmp_path / "b.csv", [["12345674", "2027-03-24 09:00"]], ["CVR", "Start"])
    with pytest.raises(InvalidInput) as err:
        run(sqlite_db, path)
    assert err.value.message == f"{path}: filen mangler kolonnen Konsulent."
    assert "Kolonnerne i filen er: 'CVR', 'Start'." in (err.value.hint or "")
    path = write_bookings(
        tmp_path / "c.csv", [["12345674", "x", "2027-03-24"]], ["CVR", "Konsulent", "Dato"]
    )
    with pytest.raises(InvalidInput) as err:
        run(sqlite_db, path)
    assert "mangler kolonnen Tid" in err.value.message


def test_imported_bookings_are_ordinary_bookings(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    """In the consultant's feed, reminded to the company, closing the company's open
    "call the company" follow-up, and ``visits import`` registers their results by CVR."""
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [WORLD_CVR, k0, "2027-03-24 09:00", "60", "", "", ""],
            [iw.cvrs[0], k0, "2026-10-05 10:00", "60", "", "", ""],
        ],
    )
    assert run(db, path).imported == 2
    future, past = sorted(bookings(db), key=lambda b: b.start, reverse=True)
    with db.session() as s:
        (fu,) = s.exec(select(FollowUp)).all()
        assert fu.done_at == NOW and fu.done_by == "koordinator"
        assert f"(nr. {future.id}, importeret)" in (fu.note or "")
        consultant = s.get(Consultant, iw.world.consultant_ids[0])
        assert consultant is not None
        assert consultant_feed(session=s, consultant=consultant).events == 2
        due, skipped = due_messages(session=s, now=at("2027-03-23", "08:00"))
    assert [(m.kind, m.booking_id, m.to) for m in due] == [
        ("reminder", future.id, "aase@hansen.dk")
    ]
    assert skipped == []
    results = tmp_path / "resultater.csv"
    write_bookings(results, [[iw.cvrs[0], "afholdt", "2"]], headers=["CVR", "Status", "Fleksjob"])
    with db.session(write=True) as s:
        camp = get_campaign(session=s, name=CAMPAIGN)
        res = import_visit_results(session=s, campaign=camp, path=results, actor="jc")
    assert (res.registered, res.rejected) == (1, 0)
    with db.session() as s:
        (vr,) = s.exec(select(VisitResult)).all()
        assert vr.booking_id == past.id and vr.status == MeetingStatus.AFHOLDT


def test_a_booking_made_in_phoner_during_the_import_makes_a_reject_not_a_crash(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    """A phoner books the file's company (and consultant time) after the file was checked:
    the batch's own re-check refuses the row."""
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [WORLD_CVR, k0, "2027-03-24 09:30", "60", "", "", ""],
            [iw.cvrs[0], k0, "2027-03-25 09:00", "60", "", "", ""],
        ],
    )
    booked: list[int] = []

    def phoner_books(p: bi.BookingImportProgress) -> None:
        if not booked:
            booked.append(book_world_visit(db, iw.world).id)  # 24 March 09:00, consultant 0

    s = run(db, path, progress=phoner_books)
    assert (s.imported, s.rejected) == (1, 1)
    assert s.rejects[0].line == 2
    assert "blev booket ons 24.03.2027 kl. 09.00" in s.rejects[0].reason
    assert "under importen" in s.rejects[0].reason


def test_when_the_database_refuses_a_batch_the_rows_are_written_one_by_one(
    db: Database, iw: ImportWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database's own guarantees (one live booking per company; on PostgreSQL also
    the consultant's time) refuse a row the checks did not see: that row is rejected,
    the others in its batch go in."""
    monkeypatch.setattr(import_writes, "recheck", lambda _s, _p, batch, _m, _r: batch)
    k1 = iw.consultant_emails[1]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [iw.cvrs[0], k1, "2027-03-30 09:00", "60", "", "", ""],
            [WORLD_CVR, k1, "2027-03-30 11:00", "60", "", "", ""],
            [iw.cvrs[1], k1, "2027-03-30 13:00", "60", "", "", ""],
        ],
    )
    booked: list[int] = []

    def phoner_books(p: bi.BookingImportProgress) -> None:
        if not booked:
            booked.append(book_world_visit(db, iw.world).id)

    s = run(db, path, progress=phoner_books)
    assert (s.imported, s.rejected) == (2, 1)
    assert s.rejects[0].line == 3
    assert "booket i phoner i samme øjeblik" in s.rejects[0].reason
    assert len(bookings(db)) == 3


def test_postgresqls_guard_on_consultant_time_makes_a_reject(
    pg_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the exclusion constraint on a consultant's time refuses an overlap
    the checks did not see (another company, same consultant): a reject, not a crash."""
    iw = import_world(pg_db, companies=3)
    monkeypatch.setattr(import_writes, "recheck", lambda _s, _p, batch, _m, _r: batch)
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [iw.cvrs[0], k0, "2027-03-24 09:30", "60", "", "", ""],
            [iw.cvrs[1], k0, "2027-03-24 13:00", "60", "", "", ""],
        ],
    )
    booked: list[int] = []

    def phoner_books(p: bi.BookingImportProgress) -> None:
        if not booked:
            booked.append(book_world_visit(pg_db, iw.world).id)

    s = run(pg_db, path, progress=phoner_books)
    assert (s.imported, s.rejected) == (1, 1)
    assert s.rejects[0].line == 2 and "i samme øjeblik" in s.rejects[0].reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-24 09:00", ("2027-03-24", "09:00")),
        ("2027-03-24T09:00", ("2027-03-24", "09:00")),
        ("24-03-2027 kl. 9.00", ("2027-03-24", "09:00")),
        ("24.03.27 14:30", ("2027-03-24", "14:30")),
        ("24/3/2027 08.15", ("2027-03-24", "08:15")),
        ("2027-08-02 13:30", ("2027-08-02", "13:30")),  # summer time
        ("2027-03-24 09:00:00", ("2027-03-24", "09:00")),
    ],
)
def test_start_cells_in_danish_time(text: str, expected: tuple[str, str]) -> None:
    assert import_rows.parse_moment(text) == at(*expected)


@pytest.mark.parametrize(
    "text", ["31-02-2027 09:00", "2027-03-24", "24-03/2027 09:00", "i morgen", "2027-03-24 9"]
)
def test_unreadable_start_cells(text: str) -> None:
    with pytest.raises(ValueError):
        import_rows.parse_moment(text)


@pytest.mark.parametrize(
    ("text", "minutes"), [("60", 60), ("45 min", 45), ("1:30", 90), ("1,5 t", 90), ("2 timer", 120)]
)
def test_durations(text: str, minutes: int) -> None:
    assert import_rows.parse_minutes(text) == minutes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("２０２７-０３-２４ ０９:００", ("2027-03-24", "09:00")),  # full-width
        ("²⁰²⁷-⁰³-²⁴ ⁰⁹:⁰⁰", ("2027-03-24", "09:00")),  # superscript
        ("٢٤-٠٣-٢٠٢٧ kl. ٩.٣٠", ("2027-03-24", "09:30")),  # Arabic-Indic
    ],
)
def test_found_start_cells_in_other_digits(text: str, expected: tuple[str, str]) -> None:
    # Superscript digits were "not a time" while Arabic-Indic ones were read (the regex's
    # \d): one rule for every digit field now (phoner.core.digits.ascii_digits).
    assert import_rows.parse_moment(text) == at(*expected)


def test_found_clock_and_duration_in_other_digits() -> None:
    assert import_rows.parse_clock("⁰⁸.³⁰") == dt.time(8, 30)
    assert import_rows.parse_minutes("⁶⁰ min") == 60
    assert import_rows.parse_minutes("¹:³⁰") == 90
    with pytest.raises(ValueError):
        import_rows.parse_minutes("9" * 5000 + ":00")


def test_branches_by_p_number_and_who_booked(db: Database, iw: ImportWorld, tmp_path: Path) -> None:
    """A CVR on the list three times (head office, two branches) needs the P-nr.; a
    P-nr. alone is enough; ``Booket af`` is who booked (the calendar event shows it)."""
    with db.session(write=True) as s:
        for n, pnr in enumerate(["1000000001", "1000000002"]):
            s.add(
                Company(
                    campaign_id=iw.world.campaign_id,
                    jobcenter_id=iw.world.jobcenter_id,
                    name=f"Kæden filial {n + 1}",
                    cvr=iw.cvrs[7],
                    p_number=pnr,
                )
            )
    with db.session() as s:
        branch_cvr = s.exec(select(Company.cvr).where(Company.p_number == "1000000001")).one()
    k0 = iw.consultant_emails[0]
    headers = ["CVR", "P-nr.", "Konsulent", "Start", "Booket af"]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [branch_cvr, "", k0, "2027-03-24 09:00", ""],
            [branch_cvr, "1000000002", k0, "2027-03-24 11:00", "Bureau A/S"],
            ["", "1000000001", k0, "2027-03-24 13:00", ""],
        ],
        headers=headers,
    )
    s = run(db, path)
    assert (s.imported, s.rejected) == (2, 1)
    assert (
        "står 3 gange på kampagnens liste (fx filialer). Skriv P-nummeret i kolonnen 'P-nr.'"
        in (s.rejects[0].reason)
    )
    with db.session() as ses:
        rows = ses.exec(
            select(Company.p_number, Booking.booked_by)
            .join(Company, col(Company.id) == Booking.company_id)
            .order_by(col(Booking.start))
        ).all()
    assert rows == [("1000000002", "Bureau A/S"), ("1000000001", "koordinator")]


def test_a_company_on_the_do_not_call_register_is_imported_and_counted_not_bookable(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    with db.session(write=True) as s:
        blocks.add_block(session=s, actor="Karen", cvr=iw.cvrs[0])
    path = write_bookings(
        tmp_path / "b.csv",
        [[iw.cvrs[0], iw.consultant_emails[0], "2027-03-24 09:00", "60"]],
        headers=HEADERS[:4],
    )
    s = run(db, path)
    assert (s.imported, s.rejected) == (1, 0)  # a visit booked elsewhere is a fact
    assert {k: v for k, v in s.outside_rules.items() if v} == {bi.NOT_BOOKABLE: 1}


def test_found_p_number_in_other_digits_or_through_excel(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    # The P-nr. cell kept every character str.isdigit() accepts: a P-number in
    # superscript or Arabic-Indic digits was "not on the list", one that went through
    # Excel as a number ("1000000001.0") was "not 10 digits", and letters were dropped
    # unseen ("P1000000001" matched).
    with db.session(write=True) as s:
        for n, pnr in enumerate(["1000000001", "1000000002", "1000000003"]):
            s.add(
                Company(
                    campaign_id=iw.world.campaign_id,
                    jobcenter_id=iw.world.jobcenter_id,
                    name=f"Filial {n + 1}",
                    cvr=iw.cvrs[7],
                    p_number=pnr,
                )
            )
    k0 = iw.consultant_emails[0]
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [
                "1000000001".translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")),
                k0,
                "2027-03-24 09:00",
            ],
            [
                "1000000002".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
                k0,
                "2027-03-24 11:00",
            ],
            ["1000000003.0", k0, "2027-03-24 13:00"],
            ["P1000000001", k0, "2027-03-24 15:00"],
        ],
        headers=["P-nr.", "Konsulent", "Start"],
    )
    s = run(db, path)
    assert (s.imported, [r.line for r in s.rejects]) == (3, [5])
    assert "'P1000000001' er ikke et P-nummer" in s.rejects[0].reason


def test_a_row_with_several_bad_cells_names_them_all(
    db: Database, iw: ImportWorld, tmp_path: Path
) -> None:
    # Only the first bad cell was named: fixed and imported again, the row came back
    # with the next one.
    path = write_bookings(
        tmp_path / "b.csv",
        [
            ["1234", "ingen@nogen.dk", "2027-03-24 25:00", "måske", "i går"],
            [iw.cvrs[0], iw.consultant_emails[0], "2027-03-24 09:00", "", ""],
        ],
        headers=["CVR", "Konsulent", "Start", "Status", "Booket den"],
    )
    s = run(db, path)
    assert (s.imported, [r.line for r in s.rejects]) == (1, [2])
    reason = s.rejects[0].reason
    for column in ("'CVR'", "'Konsulent'", "'Start'", "'Status'", "'Booket den'"):
        assert f"kolonnen {column}" in reason


def test_a_too_long_contact_or_booked_by_is_refused_not_cut(
    sqlite_db: Database, tmp_path: Path
) -> None:
    # They were cut to the column's width without a word (a wrong column pasted in).
    iw = import_world(sqlite_db, companies=3)
    k0 = iw.consultant_emails[0]
    c = iw.cvrs
    path = write_bookings(
        tmp_path / "b.csv",
        [
            [c[0], k0, "2027-03-24 09:00", "K" * 201, ""],
            [c[1], k0, "2027-03-25 09:00", "", "B" * 121],
            [c[2], k0, "2027-03-26 09:00", "K" * 200, "B" * 120],
        ],
        headers=["CVR", "Konsulent", "Start", "Kontaktperson", "Booket af"],
    )
    s = run(sqlite_db, path)
    assert s.imported == 1 and [r.line for r in s.rejects] == [2, 3]
    assert "kolonnen 'Kontaktperson': 201 tegn er for langt (højst 200)" in s.rejects[0].reason
    assert "kolonnen 'Booket af': 121 tegn er for langt (højst 120)" in s.rejects[1].reason
    with sqlite_db.session() as session:
        booking = session.exec(select(Booking)).one()
        assert booking.contact_person == "K" * 200 and booking.booked_by == "B" * 120
