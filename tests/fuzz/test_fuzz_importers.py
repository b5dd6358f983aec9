"""Hostile files into every importer: random bytes, wrong encodings, huge cells, formula
cells in XLSX, CSV injection, odd digits. Whatever comes in:

- nothing but a :class:`PhonerError` (a Danish message) ever reaches the user;
- every row is accounted for (read = imported + merged + rejected, or the importer's
  equivalent), counted against the rows the table reader sees;
- the rejects file written back for fixing is injection-safe.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from phoner.core import consultants, outcomes_import, visits
from phoner.core.errors import PhonerError
from phoner.core.lists import importer
from phoner.core.models import AgreementCategory, Campaign, Outcome
from tests.support.fuzz.checks import FUZZ, danish, rejects_safe, rows_seen
from tests.support.fuzz.files import hostile_files, sheets
from tests.support.fuzz.world import Base

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- list import

LIST_COLUMNS: dict[str, list[str]] = {
    "Firmanavn": ["Bager Hansen ApS", "Køge Rengøring", '=HYPERLINK("x","y")'],
    "CVR-nr.": ["12345674", "23456788", "DK-12345674", "1234567", "12 34 56 74"],
    "Telefon": ["33 12 34 56", "+45 33123456", "(+45) 3312-3456", "0045 56 12 34 56 / 20 30 40 50"],
    "Kontaktperson": ["Åse Ærenlund", "=1+1"],
    "Kommune": ["Ringsted", "Køge", "Roskilde", "Ærø", "København", "Atlantis"],
    "Antal ansatte": ["5", "10-19", "ca. 20", "0", "-3"],
    "Runde": ["1", "2", "runde 3", "0"],
    "E-mail": ["a@b.dk", "ikke en mail"],
    "Branche": ["812100 Rengøring", "56.10.10 Restauranter"],
    "Reklamebeskyttet": ["ja", "nej", "x"],
}


@FUZZ
@given(data=st.data())
def test_list_import(base: Base, data: st.DataObject) -> None:
    path = data.draw(hostile_files(sheets(LIST_COLUMNS, ["Firmanavn", "Telefon"]), base.folder))
    seen = rows_seen(path)
    rejects = base.folder / "liste.afviste.csv"
    rejects.unlink(missing_ok=True)
    try:
        with base.db.session(write=True) as s:
            camp = s.get(Campaign, base.campaign_id)
            assert camp is not None
            summary = importer.import_list(
                session=s, campaign=camp, path=path, rejects_path=rejects, actor="fuzz"
            )
    except PhonerError as exc:
        assert exc.message
        event(f"afvist: {type(exc).__name__}")
        return
    assert seen is not None
    assert summary.read == seen
    assert summary.read == summary.imported + summary.merged_duplicates + summary.rejected
    assert len(summary.rejects) == summary.rejected
    danish([r.reason for r in summary.rejects])
    event(f"importeret: {min(summary.imported + summary.merged_duplicates, 1)}")
    rejects_safe(summary.rejects_file)


# --------------------------------------------------------------------------- outcomes import


def _outcome_columns(base: Base) -> dict[str, list[str]]:
    return {
        "CVR": [*base.cvrs, "00000000", "12345678"],
        "Udfald": [o.value for o in Outcome] + [o.label for o in Outcome] + ["Måske"],
        "Runde": ["", "", "1", "99"],
        "Phoner": ["Ekstern A/S", "=1+1"],
        "Tidspunkt": [
            "2026-11-20 10:00",
            "20.11.2026 10.00",
            "",
            "2099-01-01 10:00",
            "31.02.2026 10:00",
        ],
        "Note": ["ringede tilbage", '=HYPERLINK("x")'],
        "Ring tilbage": ["", "2026-12-01 10:00", "2026-12-01 10:00", "i morgen"],
    }


@FUZZ
@given(data=st.data())
def test_outcomes_import(base: Base, data: st.DataObject) -> None:
    path = data.draw(hostile_files(sheets(_outcome_columns(base), ["CVR", "Udfald"]), base.folder))
    seen = rows_seen(path)
    rejects = base.folder / "udfald.afviste.csv"
    rejects.unlink(missing_ok=True)
    try:
        summary = outcomes_import.import_outcomes(
            db=base.db, path=path, campaign_name=base.campaign_name, rejects_path=rejects
        )
    except PhonerError as exc:
        assert exc.message
        event(f"afvist: {type(exc).__name__}")
        return
    assert seen is not None
    assert summary.read == seen
    assert summary.read == summary.recorded + summary.already_recorded + summary.rejected
    danish([r.reason for r in summary.rejects])
    event(f"registreret: {min(summary.recorded, 1)}")
    rejects_safe(summary.rejects_file)


# --------------------------------------------------------------------------- visits import


def _visit_columns(base: Base) -> dict[str, list[str]]:
    cols: dict[str, list[str]] = {
        "Booking-id": [str(i) for i in base.booking_ids] + ["0", "999999"],
        "CVR-nr.": base.cvrs,
        "Mødestatus": ["Afholdt", "afholdt", "Aflyst af virksomheden", "Flyttet", "Måske"],
        "Aflysningsårsag": ["Travlhed", "Glemt", "Månen"],
        "Note": ["god snak", "=1+1"],
    }
    for label in [c.label for c in AgreementCategory][:4]:
        cols[label] = ["0", "1", "2", "12", "to"]
    return cols


@FUZZ
@given(data=st.data())
def test_visits_import(base: Base, data: st.DataObject) -> None:
    path = data.draw(
        hostile_files(sheets(_visit_columns(base), ["Mødestatus", "Booking-id"]), base.folder)
    )
    seen = rows_seen(path)
    rejects = base.folder / "besoeg.afviste.csv"
    rejects.unlink(missing_ok=True)
    try:
        with base.db.session(write=True) as s:
            camp = s.get(Campaign, base.campaign_id)
            assert camp is not None
            result = visits.import_visit_results(
                session=s, campaign=camp, path=path, actor="fuzz", rejects_path=rejects
            )
    except PhonerError as exc:
        assert exc.message
        event(f"afvist: {type(exc).__name__}")
        return
    assert seen is not None
    assert seen == result.registered + result.updated + len(result.rejects)
    danish([r.reason for r in result.rejects])
    event(f"registreret: {min(result.registered + result.updated, 1)}")
    rejects_safe(result.rejects_path)


# --------------------------------------------------------------------------- consultants

CONSULTANT_COLUMNS: dict[str, list[str]] = {
    "Navn": ["Karen Mikkelsen", "Ærling Østergård", "=1+1"],
    "E-mail": ["karen@fuzz.dk", "ole@ringsted.dk", "OLE@RINGSTED.DK", "bo@koege.dk", "a@b"],
    "Jobcenter": ["Ringsted", "Jobcenter Køge", "Roskilde", "Atlantis", "Ærø"],
    "Arbejdsdage": ["man-fre", "man, tir, tor", "1-5", "fre-man", ""],
    "Arbejdstid": ["08:30-15:30", "8-16", "16-8", ""],
    "Maks besøg pr. dag": ["3", "4", "21", "²"],
    "Transporttid": ["30", "30 min", "241"],
    "Besøgslængde": ["60", "14", "480"],
    "Aktiv": ["ja", "nej", "", "måske"],
}


@FUZZ
@given(data=st.data())
def test_consultants_import(base: Base, data: st.DataObject) -> None:
    path = data.draw(
        hostile_files(sheets(CONSULTANT_COLUMNS, ["Navn", "E-mail", "Jobcenter"]), base.folder)
    )
    seen = rows_seen(path)
    try:
        with base.db.session(write=True) as s:
            result = consultants.import_consultants(session=s, path=path, actor="fuzz")
    except PhonerError as exc:
        assert exc.message
        event(f"afvist: {type(exc).__name__}")
        return
    assert seen is not None
    assert seen == result.created + result.updated + result.unchanged + len(result.rejects)
    danish([reason for _line, reason, _cells in result.rejects])
    event(f"oprettet: {min(result.created + result.updated, 1)}")


# --------------------------------------------------------------------------- regressions
# Inputs the fuzzing found crashing the importers (fixed); kept as plain examples.


def _csv(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_found_list_import_huge_round_and_head_count(base: Base) -> None:
    huge = "9" * 5000
    path = _csv(
        base.folder,
        "tal.csv",
        "Firmanavn;Telefon;Runde;Antal ansatte\n"
        f"A;33 12 34 56;{huge};5\nB;33 12 34 57;99999999999999999999;5\n"
        f"C;33 12 34 58;1;{huge}\nD;33 12 34 59;1;99999999999\n",
    )
    with base.db.session(write=True) as s:
        camp = s.get(Campaign, base.campaign_id)
        assert camp is not None
        summary = importer.import_list(session=s, campaign=camp, path=path, write_rejects=False)
    assert (summary.imported, summary.rejected) == (2, 2)
    assert all("runde" in r.reason for r in summary.rejects)


def test_found_visits_import_odd_digits(base: Base) -> None:
    path = _csv(
        base.folder,
        "besoeg.csv",
        "Booking-id;Mødestatus;Fleksjob\n"
        f"{'9' * 30};Afholdt;1\n{base.booking_ids[0]};Afholdt;²\n"
        f"{base.booking_ids[1]};Afholdt;{'9' * 30}\n{base.booking_ids[2]};Afholdt;2\n",
    )
    with base.db.session(write=True) as s:
        camp = s.get(Campaign, base.campaign_id)
        assert camp is not None
        result = visits.import_visit_results(session=s, campaign=camp, path=path, actor="t")
    assert result.registered == 1 and len(result.rejects) == 3


def test_found_consultants_import_too_long_and_odd_digits(base: Base) -> None:
    path = _csv(
        base.folder,
        "konsulenter.csv",
        "Navn;E-mail;Jobcenter;Maks besøg pr. dag\n"
        f"{'N' * 121};a@ringsted.dk;Ringsted;3\nBo;b@ringsted.dk;Ringsted;²\n"
        f"Bo;c@ringsted.dk;Ringsted;{'9' * 5000}\nBo;d@ringsted.dk;Ringsted;3\n",
    )
    with base.db.session(write=True) as s:
        result = consultants.import_consultants(session=s, path=path)
    assert result.created == 1 and len(result.rejects) == 3
    danish([reason for _line, reason, _cells in result.rejects])


def test_found_consultants_import_two_too_long_unit_names(base: Base) -> None:
    # Cut to the column's 120 characters, the second name equalled the first: the
    # import crashed on the unique name instead of refusing the rows.
    long = "9" * 130
    path = _csv(
        base.folder,
        "konsulenter.csv",
        "Navn;E-mail;Jobcenter\n"
        f"Bo;a@x.dk;{long}\nBo;b@x.dk;{long}1\nBo;c@x.dk;{'9' * 120}\nBo;d@x.dk;{'9' * 120}\n",
    )
    with base.db.session(write=True) as s:
        result = consultants.import_consultants(session=s, path=path)
    assert result.created == 2 and [line for line, _r, _c in result.rejects] == [2, 3]
    assert result.units_created == ["9" * 120]
    danish([reason for _line, reason, _cells in result.rejects])
    assert all("for lang" in reason for _line, reason, _cells in result.rejects)
