"""One jobcenter rule for every caller (phoner.core.jobcenters.find_jobcenter)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from phoner.core import consultants
from phoner.core.db import Database
from phoner.core.errors import NotFound
from phoner.core.jobcenters import find_jobcenter
from phoner.core.models import Jobcenter


@pytest.mark.parametrize(
    "text", ["Køge", " Køge Kommune ", "jobcenter køge", "Jobcenter Køge", "KØGE", "259"]
)
def test_every_way_to_write_a_municipality_finds_its_jobcenter(
    sqlite_db: Database, text: str
) -> None:
    with sqlite_db.session(write=True) as s:
        created = find_jobcenter(session=s, text="Køge")
        assert (created.name, created.municipality) == ("Jobcenter Køge", "Køge")
        assert created.municipality_code == 259 and created.rar_area
        assert find_jobcenter(session=s, text=text, create=False).id == created.id
        assert len(s.exec(select(Jobcenter)).all()) == 1


def test_a_jobcenter_by_its_own_name_with_or_without_the_word_jobcenter(
    sqlite_db: Database,
) -> None:
    with sqlite_db.session(write=True) as s:
        nord = Jobcenter(name="Jobcenter Nord", municipality="Aalborg")
        s.add(nord)
        s.flush()
        assert find_jobcenter(session=s, text="Jobcenter Nord").id == nord.id
        # before: the list import and sign-off said "'Nord' findes ikke"; only the
        # consultants import found it
        assert find_jobcenter(session=s, text="Nord", create=False).id == nord.id


def test_unknown_text_names_the_known_jobcenters(sqlite_db: Database) -> None:
    with sqlite_db.session(write=True) as s:
        find_jobcenter(session=s, text="Roskilde")
        with pytest.raises(NotFound, match="ikke en dansk kommune") as err:
            find_jobcenter(session=s, text="Atlantis")
        assert err.value.hint is not None and "Jobcenter Roskilde" in err.value.hint
        with pytest.raises(NotFound, match="har ingen virksomheder endnu"):
            find_jobcenter(session=s, text="Greve", create=False)
        assert find_jobcenter(session=s, text="Greve").name == "Jobcenter Greve"


def test_consultants_import_resolves_like_the_list_import(
    sqlite_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "k.csv"
    path.write_text(
        "Navn;E-mail;Jobcenter\nA;a@x.dk;Nord\nB;b@x.dk;Køge Kommune\nC;c@x.dk;Atlantis\n",
        encoding="utf-8",
    )
    with sqlite_db.session(write=True) as s:
        s.add(Jobcenter(name="Jobcenter Nord", municipality="Aalborg"))
        s.flush()
        r = consultants.import_consultants(session=s, path=path)
        assert r.created == 2 and r.jobcenters_created == ["Jobcenter Køge"]
        assert [(line, "Atlantis" in why) for line, why, _ in r.rejects] == [(4, True)]
