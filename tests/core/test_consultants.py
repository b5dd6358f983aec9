"""Consultant import (CSV/XLSX, Danish or English headers), lookup and tokens."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select

from phoner.core import consultants as cm
from phoner.core.db import Database
from phoner.core.errors import InvalidInput, NotFound
from phoner.core.models import AuditLog, Consultant, Jobcenter
from phoner.formats.tabular import write_xlsx

DANISH = (
    "Navn;E-mail;Jobcenter;Arbejdsdage;Arbejdstid;Maks besøg pr. dag;Transporttid;"
    "Besøgslængde;Fraværskalender;Afdeling\n"
    "Fatima Yilmaz;Fatima.Yilmaz@koege.dk;Køge;man-tor;08:00-15:00;2;45;90;;Vest\n"
    "Jesper Lind;jesper@koege.dk;Jobcenter Køge;;;;;;https://x.dk/fravaer.ics;\n"
    "Uden Mail;;Køge;;;;;;;\n"
    "Forkert Kommune;fk@x.dk;Atlantis;;;;;;;\n"
    "Dårlige dage;dd@x.dk;Roskilde;hver dag;;;;;;\n"
    "Fatima igen;fatima.yilmaz@koege.dk;Køge;;;;;;;\n"
    "Sen start;ss@x.dk;Roskilde;;16:00-08:00;;;;;\n"
)


def test_import_danish_csv_with_rejects_and_defaults(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "konsulenter.csv"
    path.write_text(DANISH, encoding="utf-8-sig")
    with db.session(write=True) as s:
        r = cm.import_consultants(session=s, path=path, actor="test")
    assert (r.created, r.updated, r.unchanged) == (3, 0, 0)
    assert r.unknown_columns == ["Afdeling"]
    reasons = {line: reason for line, reason, _cells in r.rejects}
    assert sorted(reasons) == [4, 6, 7, 8]
    assert "'E-mail'" in reasons[4] and "ikke en e-mailadresse" in reasons[4]
    # a name close to no municipality is a unit of its own, said out loud (issue 11)
    assert r.units_created == ["Atlantis"]
    assert r.notices == [
        "konsulenter.csv linje 5: 'Atlantis' er ikke en dansk kommune. Den er oprettet som "
        "en enhed uden kommune og region (fx en national enhed eller en ekstern mødebooker); "
        "dens besøg står under 'Ikke fordelt' i rapporter pr. område."
    ]
    assert "'Arbejdsdage'" in reasons[6] and "man-fre" in reasons[6]
    assert "linje 2" in reasons[7]  # duplicate e-mail
    assert "slutter" in reasons[8]
    with db.session() as s:
        f = cm.get_consultant(session=s, key="fatima.yilmaz@koege.dk")
        assert f.working_days == [0, 1, 2, 3]
        assert (f.work_start, f.work_end) == (dt.time(8), dt.time(15))
        assert (f.max_visits_per_day, f.travel_buffer_minutes, f.visit_minutes) == (2, 45, 90)
        assert len(f.feed_token) >= 40
        j = cm.get_consultant(session=s, key="Jesper Lind")
        assert j.working_days == [0, 1, 2, 3, 4] and j.visit_minutes == 60  # defaults
        assert j.absence_source == "https://x.dk/fravaer.ics"
        assert j.jobcenter_id == f.jobcenter_id
        jc = s.get(Jobcenter, f.jobcenter_id)
        assert jc is not None and jc.name == "Jobcenter Køge" and jc.rar_area
        assert cm.get_consultant(session=s, key="jesper").id == j.id  # unique partial name
        with pytest.raises(NotFound):
            cm.get_consultant(session=s, key="Ukendt Person")


def test_reimport_updates_by_email(db: Database, tmp_path: Path) -> None:
    first = tmp_path / "a.xlsx"
    write_xlsx(
        first,
        ["Name", "Email", "Job centre", "Working days", "Work start", "Work end", "Active"],
        [["Anne Holm", "anne@roskilde.dk", "Roskilde", "Mon-Fri", "9", "16:30", "yes"]],
    )
    with db.session(write=True) as s:
        r = cm.import_consultants(session=s, path=first)
    assert (r.created, r.rejects) == (1, [])
    with db.session() as s:
        token = cm.get_consultant(session=s, key="anne@roskilde.dk").feed_token
    second = tmp_path / "b.csv"
    second.write_text(
        "Navn,E-mail,Kommune,Maks besøg\nAnne Holm-Berg,ANNE@roskilde.dk,Roskilde,4\n",
        encoding="utf-8",
    )
    with db.session(write=True) as s:
        r = cm.import_consultants(session=s, path=second, actor="koordinator")
    assert (r.created, r.updated) == (0, 1)
    with db.session(write=True) as s:
        r = cm.import_consultants(session=s, path=second)
    assert (r.updated, r.unchanged) == (0, 1)
    with db.session() as s:
        a = cm.get_consultant(session=s, key="anne@roskilde.dk")
        assert a.name == "Anne Holm-Berg" and a.max_visits_per_day == 4
        assert (a.work_start, a.work_end) == (dt.time(9), dt.time(16, 30))  # kept
        assert a.feed_token == token  # re-import never changes the subscription URL
        assert len(s.exec(select(Consultant)).all()) == 1
        audit = s.exec(select(AuditLog).where(AuditLog.action == "update")).one()
        assert audit.old == {"name": "Anne Holm", "max_visits_per_day": 3}


def test_missing_required_columns(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Navn;Telefon\nA;1\n", encoding="utf-8")
    with sqlite_db.session(write=True) as s, pytest.raises(InvalidInput) as info:
        cm.import_consultants(session=s, path=path)
    assert "'E-mail'" in info.value.message and "'Jobcenter'" in info.value.message


def test_parse_days_and_times() -> None:
    assert cm.parse_days("man-fre") == [0, 1, 2, 3, 4]
    assert cm.parse_days("man, tir og tor") == [0, 1, 3]
    assert cm.parse_days("1-3") == [0, 1, 2]
    assert cm.parse_days("Mon-Thu") == [0, 1, 2, 3]
    for bad in ("", "fre-man", "hver dag", "8"):
        with pytest.raises(ValueError):
            cm.parse_days(bad)
    assert cm.parse_time("8.15") == dt.time(8, 15)
    with pytest.raises(ValueError):
        cm.parse_time("25:00")
