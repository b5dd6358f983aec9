"""The consultants' pages' core service (phoner.core.visit_pages): tokens, what a page
shows, and registering a result with the CLI's rules."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from phoner.core import visit_pages as vp
from phoner.core.consultants import rotate_token
from phoner.core.db import Database
from phoner.core.errors import Conflict, InvalidInput, NotFound
from phoner.core.models import (
    AgreementCategory,
    AuditLog,
    Booking,
    Consultant,
    FollowUp,
    MeetingStatus,
    VisitResult,
)
from phoner.core.visits import list_visits, record_visit_result
from tests.support.booking import NOW, at
from tests.support.pages import (
    AFTER,
    DURING,
    PageWorld,
    book_company,
    page_world,
    twin_company,
)

EARLY = at("2027-03-15", "10:00")  # books visits before the world's usual one


def _consultant(db: Database, cid: int) -> Consultant:
    with db.session() as s:
        c = s.get(Consultant, cid)
        assert c is not None
        return c


def _save(db: Database, pw: PageWorld, fields: dict[str, str], now: dt.datetime = AFTER) -> int:
    with db.session(write=True) as s:
        found = vp.find_visit(session=s, token=pw.visit_token)
        assert found is not None
        booking, consultant = found
        form = vp.parse_form(fields, default_owner=consultant.id or 0)
        return vp.save_visit_form(
            session=s, booking=booking, consultant=consultant, form=form, now=now
        )


def test_a_visit_link_opens_its_own_visit_only(db: Database) -> None:
    pw = page_world(db)
    other = book_company(db, pw.world, pw.world.other_company_id, consultant=1)
    booking_id, tag = pw.visit_token.split("-", 1)
    assert int(booking_id) == pw.booking_id
    assert len(tag) == 32  # 192 bits of HMAC-SHA256, base64url
    with db.session() as s:
        found = vp.find_visit(session=s, token=pw.visit_token)
        assert found is not None and found[0].id == pw.booking_id
        # the same tag on another visit's number, or the consultant's page tag: nothing
        assert vp.find_visit(session=s, token=f"{other}-{tag}") is None
        assert vp.find_visit(session=s, token=pw.consultant_token) is None
        assert vp.find_consultant(session=s, token=pw.visit_token) is None
        # another consultant's secret for this visit: nothing
        foreign = s.get(Consultant, pw.world.consultant_ids[1])
        assert foreign is not None
        assert vp.find_visit(session=s, token=vp.visit_token(foreign, pw.booking_id)) is None
        for bad in [
            "",
            "x",
            f"{pw.booking_id}-",
            f"{pw.booking_id}-{tag[:-1]}",
            f"0-{tag}",
            f"99999999999-{tag}",
            f"{pw.booking_id}-{tag}x",
            f"{pw.booking_id}_{tag}",
            f"-{pw.booking_id}-{tag}",
            f"{pw.booking_id}-{tag[:-1]}=",
        ]:
            assert vp.find_visit(session=s, token=bad) is None, bad
            assert vp.find_consultant(session=s, token=bad) is None, bad


def test_rotate_revokes_every_page_link_and_the_new_ones_work(db: Database) -> None:
    pw = page_world(db)
    with db.session(write=True) as s:
        c = s.get(Consultant, pw.consultant_id)
        assert c is not None
        rotate_token(session=s, consultant=c, actor="koordinator")
        new_visit, new_page = vp.visit_token(c, pw.booking_id), vp.consultant_token(c)
    assert (new_visit, new_page) != (pw.visit_token, pw.consultant_token)
    with db.session() as s:
        assert vp.find_visit(session=s, token=pw.visit_token) is None
        assert vp.find_consultant(session=s, token=pw.consultant_token) is None
        assert vp.find_visit(session=s, token=new_visit) is not None
        assert vp.find_consultant(session=s, token=new_page) is not None


def test_an_inactive_or_replaced_consultant_has_no_page(db: Database) -> None:
    pw = page_world(db)
    with db.session(write=True) as s:
        b = s.get(Booking, pw.booking_id)
        assert b is not None
        b.consultant_id = pw.world.consultant_ids[1]  # the visit changed hands
        s.add(b)
    with db.session() as s:
        assert vp.find_visit(session=s, token=pw.visit_token) is None
        assert vp.find_consultant(session=s, token=pw.consultant_token) is not None
    with db.session(write=True) as s:
        c = s.get(Consultant, pw.consultant_id)
        assert c is not None
        c.active = False
        s.add(c)
    with db.session() as s:
        assert vp.find_consultant(session=s, token=pw.consultant_token) is None
    # an empty secret (a row written around the models) opens nothing
    with db.session(write=True) as s:
        c = s.get(Consultant, pw.consultant_id)
        assert c is not None
        c.active, c.page_secret = True, ""
        s.add(c)
    with db.session() as s:
        c = s.get(Consultant, pw.consultant_id)
        assert c is not None
        assert vp.find_consultant(session=s, token=vp.consultant_token(c)) is None


def test_csrf_token_is_bound_to_the_page_and_expires(db: Database) -> None:
    pw = page_world(db)
    c = _consultant(db, pw.consultant_id)
    other = _consultant(db, pw.world.consultant_ids[1])
    token = vp.csrf_token(c, pw.visit_token, now=NOW)
    assert vp.csrf_ok(c, pw.visit_token, token, now=NOW + dt.timedelta(hours=23))
    assert not vp.csrf_ok(c, pw.visit_token, token, now=NOW + dt.timedelta(hours=25))
    assert not vp.csrf_ok(c, pw.consultant_token, token, now=NOW)  # another page
    assert not vp.csrf_ok(other, pw.visit_token, token, now=NOW)  # another secret
    stamp, tag = token.split(".")
    assert not vp.csrf_ok(c, pw.visit_token, f"{int(stamp) + 60}.{tag}", now=NOW)
    for bad in ["", "x", tag, f"{stamp}.", f".{tag}"]:
        assert not vp.csrf_ok(c, pw.visit_token, bad, now=NOW)


def test_saving_registers_through_the_visits_service_audited_as_the_consultant(
    db: Database,
) -> None:
    pw = page_world(db)
    fields = {
        "status": "afholdt",
        "a_fleksjob": "2",
        "a_loentilskud": "0",
        "note": "Godt møde",
        "fu1_what": "Send 2 CV'er til fleksjob",
        "fu1_due": "2027-03-30",
    }
    assert _save(db, pw, fields) == 1
    assert _save(db, pw, fields) == 0  # the same form again: no second follow-up
    with db.session() as s:
        rows = list_visits(session=s, campaign_id=pw.world.campaign_id)
        assert [(r.booking_id, r.result and r.result.status, r.agreements) for r in rows] == [
            (pw.booking_id, MeetingStatus.AFHOLDT, {AgreementCategory.FLEKSJOB: 2})
        ]
        fus = s.exec(select(FollowUp).where(FollowUp.description.startswith("Send"))).all()  # type: ignore[attr-defined]
        assert [(f.consultant_id, f.due_date) for f in fus] == [
            (pw.consultant_id, dt.date(2027, 3, 30))
        ]
        audit = s.exec(
            select(AuditLog)
            .where(col(AuditLog.entity).in_(["visitresult", "followup"]))
            .where(AuditLog.action != "close")  # the booking closed the call follow-up
            .order_by(col(AuditLog.id))
        ).all()
        assert [(a.actor, a.action) for a in audit] == [
            ("k0@koege.demo.dk", "visit_result"),
            ("k0@koege.demo.dk", "create"),
            ("k0@koege.demo.dk", "visit_result_update"),
        ]
    # a second save with other values updates, audited with the old values
    _save(db, pw, {"status": "afkortet_telefonisk", "a_fleksjob": "1"})
    with db.session() as s:
        r = s.exec(select(VisitResult).where(VisitResult.booking_id == pw.booking_id)).one()
        assert (r.status, r.registered_by) == (
            MeetingStatus.AFKORTET_TELEFONISK,
            "k0@koege.demo.dk",
        )
        last = s.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
        assert last is not None and last.old is not None and last.new is not None
        assert (last.old["agreements"], last.new["agreements"]) == (
            {"fleksjob": 2},
            {"fleksjob": 1},
        )


def test_held_and_agreements_are_refused_before_the_visit_starts(db: Database) -> None:
    pw = page_world(db)
    for fields in [
        {"status": "afholdt"},
        {"status": "konsulent_udeblev"},
        {"status": "afkortet_telefonisk"},
    ]:
        with pytest.raises(InvalidInput, match="ikke begyndt endnu") as exc:
            _save(db, pw, fields, now=NOW)
        assert "ons 24.03.2027 kl. 09.00" in exc.value.message
    with pytest.raises(InvalidInput, match="aftaler kan først registreres"):
        _save(db, pw, {"status": "flyttet", "a_fleksjob": "1"}, now=NOW)
    with db.session() as s:
        assert s.exec(select(VisitResult)).first() is None
    # a cancellation may be registered before, with the company's reason
    _save(db, pw, {"status": "aflyst_af_virksomheden", "reason": "travlhed"}, now=NOW)
    # and once the visit has begun, "Afholdt" is taken
    _save(db, pw, {"status": "afholdt", "a_fleksjob": "2"}, now=DURING)
    with db.session() as s:
        r = s.exec(select(VisitResult)).one()
        assert (r.status, r.company_cancel_reason) == (MeetingStatus.AFHOLDT, None)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "status", "Vælg en status"),
        ({"status": "hemmelig"}, "status", "Vælg en status"),
        ({"status": "afholdt", "a_fleksjob": "to"}, "a_fleksjob", "Fleksjob: skriv antallet"),
        ({"status": "afholdt", "a_fleksjob": "-1"}, "a_fleksjob", "helt tal"),
        ({"status": "afholdt", "a_fleksjob": "10000"}, "a_fleksjob", "mellem 0 og 9999"),
        ({"status": "afholdt", "a_fleksjob": "²"}, "a_fleksjob", "helt tal"),
        ({"status": "afholdt", "fu2_due": "2027-03-30"}, "fu2_what", "Opfølgning 2: skriv"),
        ({"status": "afholdt", "fu1_what": "Ring"}, "fu1_due", "vælg en frist"),
        ({"status": "afholdt", "fu1_what": "Ring", "fu1_due": "31.02.2027"}, "fu1_due", "dato"),
        ({"status": "afholdt", "fu1_what": "x" * 501, "fu1_due": "2027-03-30"}, "fu1_what", "lang"),
        ({"status": "afholdt", "note": "x" * 2001}, "note", "Noten er for lang"),
        ({"status": "aflyst_af_virksomheden", "reason": "vejret"}, "reason", "årsagerne"),
        (
            {"status": "afholdt", "fu1_what": "R", "fu1_due": "2027-03-30", "fu1_owner": "x"},
            "fu1_owner",
            "ansvarlig",
        ),
    ],
)
def test_bad_form_input_names_the_field_in_danish(
    fields: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as exc:
        vp.parse_form(fields, default_owner=1)
    assert exc.value.field == field


def test_follow_up_owner_must_be_a_colleague_and_due_date_not_passed(db: Database) -> None:
    pw = page_world(db)
    base = {"status": "afholdt", "fu1_what": "Ring tilbage", "fu1_due": "2027-03-30"}
    with pytest.raises(InvalidInput, match="ansvarlig"):  # Roskilde's consultant
        _save(db, pw, {**base, "fu1_owner": str(pw.world.foreign_consultant_id)})
    with pytest.raises(InvalidInput, match=r"fristen 23\.03\.2027 er allerede passeret"):
        _save(db, pw, {**base, "fu1_due": "2027-03-23"})
    colleague = pw.world.consultant_ids[1]
    assert _save(db, pw, {**base, "fu1_owner": str(colleague)}) == 1
    with db.session() as s:
        fu = s.exec(select(FollowUp).where(FollowUp.description == "Ring tilbage")).one()
        assert fu.consultant_id == colleague


def test_a_cancelled_visit_takes_no_result(db: Database) -> None:
    from phoner.core.booking import service as bk
    from phoner.core.models import CancelReason

    pw = page_world(db)
    bk.cancel_booking(
        db=db, booking_id=pw.booking_id, reason=CancelReason.COMPANY_CANCELLED, actor="t", now=NOW
    )
    with pytest.raises(Conflict, match="aflyst"):
        _save(db, pw, {"status": "aflyst_af_virksomheden"})
    with db.session() as s:
        found = vp.find_visit(session=s, token=pw.visit_token)
        assert found is not None
        assert vp.visit_page(session=s, booking=found[0], consultant=found[1], now=AFTER).cancelled


def test_the_visit_page_shows_the_call_and_hides_other_consultants_visits(db: Database) -> None:
    pw = page_world(db)
    twin = twin_company(db, pw.world)
    earlier = book_company(db, pw.world, twin, consultant=1, day="2027-03-23", now=EARLY)
    with db.session(write=True) as s:
        record_visit_result(
            session=s,
            booking_id=earlier,
            status=MeetingStatus.AFHOLDT,
            actor="jesper",
            note="Privat: chefen er syg",
            now=AFTER,
        )
    with db.session() as s:
        found = vp.find_visit(session=s, token=pw.visit_token)
        assert found is not None
        page = vp.visit_page(session=s, booking=found[0], consultant=found[1], now=NOW)
    assert not page.started and page.when == "ons 24.03.2027 kl. 09.00–10.00"
    assert [(p.shown, p.tel) for p in page.phones] == [
        ("33 12 34 56", "+4533123456"),
        ("20 30 40 50", "+4520304050"),
    ]
    assert page.phoner_note == "Ring helst efter kl. 10; spørg efter Åse."
    assert [h.what for h in page.earlier_calls] == ["Vil kontaktes"]
    assert [(h.when, h.what, h.note) for h in page.earlier_visits] == [
        ("23.03.2027", "Afholdt (anden konsulent)", None)
    ]
    assert [o.label for o in page.owners] == ["Fatima Yilmaz (dig)", "Jesper Lind"]
    assert [c.label for c in page.categories][-2:] == [
        "Fleksjob",
        "Virksomhedspladser til flygtninge",
    ]


def test_the_consultant_page_lists_own_visits_and_follow_ups_in_order(db: Database) -> None:
    pw = page_world(db)  # Wednesday 24 March 09:00
    older = book_company(db, pw.world, twin_company(db, pw.world), day="2027-03-23", now=EARLY)
    later = book_company(db, pw.world, pw.world.other_company_id)
    book_company(db, pw.world, twin_company(db, pw.world, "Tredje"), consultant=1)  # colleague
    with db.session(write=True) as s:
        c = s.get(Consultant, pw.consultant_id)
        assert c is not None
        found = vp.find_visit(session=s, token=pw.visit_token)
        assert found is not None
        for what, due in [("Senere", "2027-04-09"), ("Overskredet", "2027-03-24")]:
            form = vp.parse_form(
                {"status": "flyttet", "fu1_what": what, "fu1_due": due}, default_owner=c.id or 0
            )
            vp.save_visit_form(session=s, booking=found[0], consultant=c, form=form, now=NOW)
        s.add(
            FollowUp(
                campaign_id=pw.world.campaign_id,
                company_id=pw.world.company_id,
                consultant_id=pw.world.consultant_ids[1],
                description="Kollegas",
                due_date=dt.date(2027, 3, 20),
            )
        )
    with db.session(write=True) as s:
        # Thursday 25 March: 23 and 24 March wait for a result (the 24th has one: flyttet)
        c = s.get(Consultant, pw.consultant_id)
        assert c is not None
        page = vp.consultant_page(session=s, consultant=c, now=at("2027-03-25", "12:00"))
    assert [v.token.split("-")[0] for v in page.waiting] == [str(older)]
    assert [v.token.split("-")[0] for v in page.coming] == [str(later)]
    assert [(f.description, f.overdue) for f in page.followups] == [
        ("Overskredet", True),
        ("Senere", False),
    ]
    with db.session(write=True) as s:
        c = s.get(Consultant, pw.consultant_id)
        assert c is not None
        theirs = s.exec(select(FollowUp).where(FollowUp.description == "Kollegas")).one()
        with pytest.raises(NotFound):
            vp.mark_followup_done(session=s, consultant=c, followup_id=theirs.id or 0)
        vp.mark_followup_done(session=s, consultant=c, followup_id=page.followups[0].id, now=AFTER)
        vp.mark_followup_done(session=s, consultant=c, followup_id=page.followups[0].id)  # twice
        done = s.get(FollowUp, page.followups[0].id)
        assert done is not None and (done.done_at, done.done_by) == (AFTER, "k0@koege.demo.dk")


def test_base_url_for_links_is_checked(db: Database) -> None:
    assert vp.check_base_url(" https://kalender.koege.dk/phoner/ ") == (
        "https://kalender.koege.dk/phoner"
    )
    assert vp.check_base_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    for bad in [
        "kalender.dk",
        "https://x.dk/?a=1",
        'https://x.dk/"><script>',
        "https://x dk",
        "javascript:alert(1)",
        "https://x.dk/#top",
    ]:
        with pytest.raises(InvalidInput, match="kan ikke bruges i links"):
            vp.check_base_url(bad)


def test_migration_0009_gives_every_consultant_their_own_secret(db: Database) -> None:
    from alembic import command

    from phoner.core.db import alembic_config

    def migrate(target: str, *, down: bool) -> None:
        with db.engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, target)

    pw = page_world(db)
    migrate("0008", down=True)
    with db.engine.connect() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("consultant")]
    assert "page_secret" not in columns
    db.upgrade()
    with db.session() as s:
        secrets = [c.page_secret for c in s.exec(select(Consultant)).all()]
        assert len(secrets) == 3 and len(set(secrets)) == 3
        assert all(len(x) >= 43 for x in secrets)  # 256 bits, base64url
        # the old links died with the old secrets; new ones work
        assert vp.find_visit(session=s, token=pw.visit_token) is None
        c = s.get(Consultant, pw.consultant_id)
        assert c is not None
        assert vp.find_visit(session=s, token=vp.visit_token(c, pw.booking_id)) is not None
