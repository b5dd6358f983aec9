"""One jobcenter rule for every caller (phoner.core.jobcenters.find_jobcenter)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from phoner.core import consultants
from phoner.core.db import Database
from phoner.core.errors import NotFound
from phoner.core.geography import municipality_code
from phoner.core.jobcenters import find_jobcenter, unit_notice
from phoner.core.lists import targeting
from phoner.core.lists.importer import import_list
from phoner.core.models import Company, Consultant, Jobcenter, JobcenterKind
from tests.support import builders as b
from tests.support.lists import valid_cvrs


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
        "Navn;E-mail;Jobcenter\nA;a@x.dk;Nord\nB;b@x.dk;Køge Kommune\nC;c@x.dk;Jobservice Danmark\n"
        "D;d@x.dk;Kobenhvn\nE;e@x.dk;Jobservice Danmrk\n",
        encoding="utf-8",
    )
    with sqlite_db.session(write=True) as s:
        s.add(Jobcenter(name="Jobcenter Nord", municipality="Aalborg"))
        s.flush()
        r = consultants.import_consultants(session=s, path=path)
        assert r.created == 5 and r.rejects == []
        assert r.jobcenters_created == [
            "Jobcenter Køge", "Jobservice Danmark", "Jobcenter København"
        ]  # fmt: skip
        # before: "Jobservice Danmark" was refused as "ikke en dansk kommune"
        assert r.units_created == ["Jobservice Danmark"]
        # the unit said out loud, and each close match read as what it matched
        assert r.notices == [
            f"k.csv linje 4: {unit_notice('Jobservice Danmark')}",
            "k.csv linje 5: 'Kobenhvn' er ikke stavet som en kommune; læst som København.",
            "k.csv linje 6: 'Jobservice Danmrk' er læst som 'Jobservice Danmark'.",
        ]
        unit = s.exec(select(Jobcenter).where(Jobcenter.name == "Jobservice Danmark")).one()
        assert unit.kind == JobcenterKind.UNIT
        assert (unit.municipality, unit.municipality_code, unit.rar_area) == (None, None, None)
        # the typo of the unit's name on line 6 is the same unit, not a second one
        by_email = {c.email: c.jobcenter_id for c in s.exec(select(Consultant)).all()}
        assert by_email["e@x.dk"] == by_email["c@x.dk"] == unit.id


@pytest.mark.parametrize(
    ("text", "municipality"),
    [
        ("Kobenhavn", "København"),
        ("Kobenhvn", "København"),
        ("Køge Kommune", "Køge"),
        ("Koge Kommune", "Køge"),
        ("Roskilds", "Roskilde"),
        ("Helsingor", "Helsingør"),
        ("Høje Tåstrup", "Høje-Taastrup"),
        ("Fakse", "Faxe"),
    ],
)
def test_a_typo_of_a_municipality_is_the_municipality_never_a_new_unit(
    sqlite_db: Database, text: str, municipality: str
) -> None:
    with sqlite_db.session(write=True) as s:
        jc = find_jobcenter(session=s, text=text, allow_unit=True)
        assert (jc.kind, jc.municipality) == (JobcenterKind.MUNICIPAL, municipality)
        assert jc.name == f"Jobcenter {municipality}"
        assert jc.municipality_code == municipality_code(municipality)


@pytest.mark.parametrize(
    "text", ["Jobservice Danmark", "Mødebookerne ApS", "Det fælleskommunale team Vest"]
)
def test_a_name_close_to_no_municipality_becomes_a_unit_only_when_allowed(
    sqlite_db: Database, text: str
) -> None:
    with sqlite_db.session(write=True) as s:
        with pytest.raises(NotFound, match="ikke en dansk kommune"):
            find_jobcenter(session=s, text=text)
        unit = find_jobcenter(session=s, text=text, allow_unit=True)
        assert (unit.name, unit.kind, unit.municipality) == (text, JobcenterKind.UNIT, None)
        assert find_jobcenter(session=s, text=text, create=False).id == unit.id
        assert "ikke en dansk kommune" in unit_notice(unit.name)


def test_migration_0010_keeps_every_jobcenter_and_what_hangs_on_it(db: Database) -> None:
    """0010 makes jobcenter.municipality nullable: on SQLite the table is rebuilt under
    the foreign keys of consultants, companies and campaign parts; no row is lost, and a
    downgrade gives a unit its name as municipality."""
    from alembic import command

    from phoner.core.db import alembic_config, head_revision
    from tests.support.booking import make_world

    make_world(db)
    with db.session(write=True) as s:
        find_jobcenter(session=s, text="Jobservice Danmark", allow_unit=True)

    def rows() -> dict[str, object]:
        with db.engine.connect() as conn:
            out: dict[str, object] = {
                t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("consultant", "company", "campaignjobcenter", "booking")
            }
            out["jobcenters"] = conn.execute(
                sa.text("SELECT id, name FROM jobcenter ORDER BY id")
            ).all()
        return out

    before = rows()

    def migrate(fn: Callable[..., None], target: str) -> None:
        with db.engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            fn(cfg, target)

    migrate(command.downgrade, "0009")
    with db.engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT municipality FROM jobcenter WHERE name = 'Jobservice Danmark'")
            ).scalar_one()
            == "Jobservice Danmark"
        )
    assert "kind" not in {c["name"] for c in sa.inspect(db.engine).get_columns("jobcenter")}
    assert rows() == before
    migrate(command.upgrade, "head")
    assert rows() == before and db.revision() == head_revision()
    with db.session(write=True) as s:
        s.add(Jobcenter(name="Mødebookerne", kind=JobcenterKind.UNIT))
        s.flush()
        kinds = {j.name: j.kind for j in s.exec(select(Jobcenter)).all()}
    assert kinds["Mødebookerne"] == JobcenterKind.UNIT
    assert kinds["Jobcenter Køge"] == JobcenterKind.MUNICIPAL
    with db.engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(
            sa.text(
                "INSERT INTO consultant (name, email, jobcenter_id) VALUES ('x', 'x@x.dk', 9999)"
            )
        )


def test_list_import_makes_a_unit_only_for_the_whole_file_and_says_so(
    db: Database, tmp_path: Path
) -> None:
    """``--jobcenter "Jobservice Danmark"`` creates the unit once, with a notice; in the
    Kommune column a typo is the municipality, and a stranger is no unit (the company has
    no jobcenter yet, flagged for clearing)."""
    cvrs = valid_cvrs(4)
    path = tmp_path / "liste.csv"
    path.write_text(
        "Firmanavn;CVR;Telefon;Kommune\n"
        f"A;{cvrs[0]};33 12 00 01;Kobenhvn\n"
        f"B;{cvrs[1]};33 12 00 02;Atlantis\n",
        encoding="utf-8",
    )
    national = tmp_path / "jobservice.csv"
    national.write_text(
        f"Firmanavn;CVR;Telefon;Kommune\nC;{cvrs[2]};33 12 00 03;Aarhus\n", encoding="utf-8"
    )
    with db.session(write=True) as s:
        camp = b.campaign(s, "Landsdækkende")
        targeting.set_targeting(session=s, campaign=camp, actor="t", municipalities=["København"])
        plain = import_list(session=s, campaign=camp, path=path)
        assert plain.warnings == [
            "Kolonnen Kommune: 'Kobenhvn' er ikke stavet som en kommune; læst som København."
        ]
        first = import_list(session=s, campaign=camp, path=national, jobcenter="Jobservice Danmark")
        assert first.warnings == [unit_notice("Jobservice Danmark")]
        again = import_list(session=s, campaign=camp, path=national, jobcenter="jobservice danmark")
        assert again.warnings == []  # found by its name, not created twice
        companies = {c.name: c for c in s.exec(select(Company)).all()}
        jobcenters = {j.id: j for j in s.exec(select(Jobcenter)).all()}
        a_jc = jobcenters[companies["A"].jobcenter_id or 0]
        assert a_jc.name == "Jobcenter København"
        assert companies["A"].out_of_target is None  # the typo is København: in target
        assert companies["B"].jobcenter_id is None
        assert "mangler_jobcenter" in companies["B"].flags
        c_jc = jobcenters[companies["C"].jobcenter_id or 0]
        assert (c_jc.name, c_jc.kind) == ("Jobservice Danmark", JobcenterKind.UNIT)
        assert sorted(j.name for j in jobcenters.values()) == [
            "Jobcenter København",
            "Jobservice Danmark",
        ]


def test_list_import_for_a_misspelt_municipality_is_that_municipality_said_out_loud(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "liste.csv"
    path.write_text(f"Firmanavn;CVR;Telefon\nA;{valid_cvrs(1)[0]};33 12 00 01\n", encoding="utf-8")
    with db.session(write=True) as s:
        camp = b.campaign(s, "Forår")
        summary = import_list(session=s, campaign=camp, path=path, jobcenter="Vordingbrog")
        assert summary.warnings == [
            "'Vordingbrog' er ikke stavet som en kommune; læst som Vordingborg."
        ]
        assert summary.jobcenters == ["Jobcenter Vordingborg"]
        assert [j.kind for j in s.exec(select(Jobcenter)).all()] == [JobcenterKind.MUNICIPAL]
