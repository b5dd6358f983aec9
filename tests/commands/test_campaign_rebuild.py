"""A finished campaign rebuilt from the raw files it left behind (issue 11, "done when").

Company lists with a Kommune column (municipalities in every region, one of them written
with a typo), the national unit Jobservice Danmark's own list, a consultants sheet, a
bookings sheet and a results sheet go in through the commands a coordinator would use;
``phoner report visits`` must then give booked visits, visits with feedback and
agreements per category for every area of both schemes, "Ikke fordelt" and the whole
country, exactly as counted here from the files themselves, with this file's own map of
the municipalities to their areas (not phoner's).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core.models import AgreementCategory
from phoner.formats.report_output import Pct, Report, ReportTable, render_text
from tests.support.lists import valid_cvrs

runner = CliRunner()
CAMPAIGN = ("--campaign", "Virksomhedskampagnen")
NO_AREA = "Ikke fordelt"

#: This test's own knowledge: municipality -> (RAR area 2015-2024, region from 2025).
AREAS = {
    "Køge": ("Sjælland", "Sjælland"),
    "Roskilde": ("Sjælland", "Sjælland"),
    "København": ("Hovedstaden", "Hovedstaden"),
    "Bornholm": ("Bornholm", "Hovedstaden"),
    "Aarhus": ("Østjylland", "Midtjylland"),
    "Herning": ("Vestjylland", "Midtjylland"),
    "Odense": ("Fyn", "Syddanmark"),
    "Kolding": ("Sydjylland", "Syddanmark"),
    "Aalborg": ("Nordjylland", "Nordjylland"),
}
#: How the files write them ("Kobenhvn" is a typo, "Køge Kommune" a long form).
SPELLINGS = {"Kobenhvn": "København", "Køge Kommune": "Køge", "Kobenhavn": "København"}
SCHEME_AREAS = {
    "rar-2015": [
        "Nordjylland", "Vestjylland", "Østjylland", "Fyn", "Sydjylland", "Bornholm",
        "Hovedstaden", "Sjælland",
    ],
    "rbr-2025": ["Nordjylland", "Midtjylland", "Syddanmark", "Sjælland", "Hovedstaden"],
}  # fmt: skip

CVR = valid_cvrs(14)
# (name, CVR, Kommune cell): the municipalities' own list
MUNICIPAL_LIST = [
    ("Køge Tømrer ApS", CVR[0], "Køge"),
    ("Køge Bageri", CVR[1], "Køge Kommune"),
    ("Nørrebro IT", CVR[2], "København"),
    ("Vesterbro Vinduer", CVR[3], "Kobenhvn"),
    ("Rønne Røgeri", CVR[4], "Bornholm"),
    ("Aarhus Smedie", CVR[5], "Aarhus"),
    ("Herning Tekstil", CVR[6], "Herning"),
    ("Odense Cykler", CVR[7], "Odense"),
    ("Kolding Kran", CVR[8], "Kolding"),
    ("Aalborg Akvavit", CVR[9], "Aalborg"),
    ("Roskilde Rør", CVR[10], "Roskilde"),  # never booked: Sjælland still counts it as 0
]
# Jobservice Danmark's large companies: a Kommune column, but the unit holds the visits
NATIONAL_LIST = [
    ("Store Rederi A/S", CVR[11], "København"),
    ("Pumpefabrikken A/S", CVR[12], "Aarhus"),
    ("Klodsfabrikken A/S", CVR[13], "Billund"),
]
CONSULTANTS = [
    ("Karen Køge", "karen@koege.dk", "Køge"),
    ("Kim København", "kim@kk.dk", "København"),
    ("Klara København", "klara@kk.dk", "Kobenhavn"),  # typo: still København
    ("Bo Bornholm", "bo@brk.dk", "Bornholm"),
    ("Aase Aarhus", "aase@aarhus.dk", "Aarhus"),
    ("Henrik Herning", "henrik@herning.dk", "Herning"),
    ("Ole Odense", "ole@odense.dk", "Odense"),
    ("Kaj Kolding", "kaj@kolding.dk", "Kolding"),
    ("Alma Aalborg", "alma@aalborg.dk", "Aalborg"),
    ("Jens Jobservice", "jens@jobservice.dk", "Jobservice Danmark"),
]
# (CVR, consultant, start): the first visit is in December 2024, under the RAR areas;
# a contractor booked them, so they go in with ``phoner booking import`` (facts, all past)
BOOKINGS = [
    (CVR[0], "karen@koege.dk", "2024-12-10 10:00"),
    (CVR[1], "karen@koege.dk", "2025-01-14 10:00"),
    (CVR[2], "kim@kk.dk", "2025-01-15 10:00"),
    (CVR[3], "klara@kk.dk", "2025-01-15 10:00"),
    (CVR[4], "bo@brk.dk", "2025-01-16 10:00"),
    (CVR[5], "aase@aarhus.dk", "2025-01-20 10:00"),
    (CVR[6], "henrik@herning.dk", "2025-01-21 10:00"),
    (CVR[7], "ole@odense.dk", "2025-01-22 10:00"),
    (CVR[8], "kaj@kolding.dk", "2025-01-23 10:00"),
    (CVR[9], "alma@aalborg.dk", "2025-01-27 10:00"),  # no result comes back
    (CVR[11], "jens@jobservice.dk", "2025-01-14 10:00"),
    (CVR[12], "jens@jobservice.dk", "2025-01-15 10:00"),
    (CVR[13], "jens@jobservice.dk", "2025-01-16 10:00"),  # no result comes back
]
RESULT_HEADERS = [
    "CVR",
    "Status",
    "Aflysningsårsag",
    "Fleksjob",
    "Løntilskud",
    "Virksomhedspraktik",
    "Jobordre/rekruttering",
]
RESULTS = [
    [CVR[0], "afholdt", "", "2", "1", "", ""],
    [CVR[1], "aflyst_af_virksomheden", "travlhed", "", "", "", ""],
    [CVR[2], "afholdt", "", "1", "", "2", ""],
    [CVR[3], "afholdt", "", "", "1", "", "1"],
    [CVR[4], "afholdt", "", "1", "", "", ""],
    [CVR[5], "afholdt", "", "", "", "1", "3"],
    [CVR[6], "afkortet_telefonisk", "", "1", "", "", ""],
    [CVR[7], "afholdt", "", "", "2", "", ""],
    [CVR[8], "konsulent_udeblev", "", "", "", "", ""],
    [CVR[11], "afholdt", "", "3", "", "", "2"],
    [CVR[12], "afholdt", "", "", "1", "1", ""],
]
CATEGORY_OF = {
    "Fleksjob": "fleksjob",
    "Løntilskud": "loentilskud",
    "Virksomhedspraktik": "virksomhedspraktik",
    "Jobordre/rekruttering": "jobordre_rekruttering",
}


def run(db_url: str, *args: str) -> Result:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    return result


def _write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(headers)
        w.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _company_rows(companies: list[tuple[str, str, str]], first: int) -> list[list[str]]:
    return [
        [name, cvr, f"33 12 {first + i:02d} 00", kommune, "25"]
        for i, (name, cvr, kommune) in enumerate(companies)
    ]


def _files(folder: Path) -> dict[str, Path]:
    company_headers = ["Firmanavn", "CVR-nr.", "Telefon", "Kommune", "Antal ansatte"]
    return {
        "municipal": _write(
            folder / "kommunernes_liste.csv", company_headers, _company_rows(MUNICIPAL_LIST, 1)
        ),
        "national": _write(
            folder / "jobservice_danmark.csv", company_headers, _company_rows(NATIONAL_LIST, 50)
        ),
        "consultants": _write(
            folder / "konsulenter.csv",
            ["Navn", "E-mail", "Jobcenter"],
            [list(c) for c in CONSULTANTS],
        ),
        "bookings": _write(
            folder / "bookinger.csv", ["CVR", "Konsulent", "Start"], [list(b) for b in BOOKINGS]
        ),
        "results": _write(folder / "resultater.csv", RESULT_HEADERS, RESULTS),
    }


def _expected(files: dict[str, Path]) -> dict[str, dict[str, dict[str, object]]]:
    """Per scheme and area: booked, feedback and agreements, counted from the files."""
    area_of_cvr: dict[str, tuple[str, str]] = {}
    for row in _read(files["municipal"]):
        kommune = SPELLINGS.get(row["Kommune"], row["Kommune"])
        area_of_cvr[row["CVR-nr."]] = AREAS[kommune]
    for row in _read(files["national"]):
        area_of_cvr[row["CVR-nr."]] = (NO_AREA, NO_AREA)  # the unit has no region
    out: dict[str, dict[str, dict[str, object]]] = {}
    for i, scheme in enumerate(SCHEME_AREAS):
        names = [*SCHEME_AREAS[scheme], NO_AREA]
        empty = {c.value: 0 for c in AgreementCategory}
        table: dict[str, dict[str, object]] = {
            a: {"booked": 0, "feedback": 0, "agreements": dict(empty)} for a in names
        }
        total: dict[str, object] = {"booked": 0, "feedback": 0, "agreements": dict(empty)}
        for row in _read(files["bookings"]):
            for group in (table[area_of_cvr[row["CVR"]][i]], total):
                group["booked"] = int(str(group["booked"])) + 1
        for row in _read(files["results"]):
            for group in (table[area_of_cvr[row["CVR"]][i]], total):
                group["feedback"] = int(str(group["feedback"])) + 1
                agreements = group["agreements"]
                assert isinstance(agreements, dict)
                for header, category in CATEGORY_OF.items():
                    agreements[category] += int(row[header] or 0)
        out[scheme] = {**table, "Hele landet": total}
    return out


def _whole_percent(num: int, den: int) -> str:
    """Half up, in integers: floor(100 * num / den + 1/2)."""
    return "–" if not den else f"{(200 * num + den) // (2 * den)} %"


def test_a_finished_campaign_rebuilt_from_its_files_reports_every_area_exactly(
    db_url: str, workspace: Path
) -> None:
    files = _files(workspace)
    run(db_url, "init")
    run(db_url, "campaign", "create", CAMPAIGN[1], "--script", "scripts/fleksjob.toml")
    r = run(db_url, "list", "import", str(files["municipal"]), *CAMPAIGN, "--json")
    assert json.loads(r.stdout)["imported"] == len(MUNICIPAL_LIST)
    assert "'Kobenhvn' er ikke stavet som en kommune; læst som København." in r.stderr
    r = run(
        db_url, "list", "import", str(files["national"]), *CAMPAIGN,
        "--jobcenter", "Jobservice Danmark",
    )  # fmt: skip
    assert "'Jobservice Danmark' er ikke en dansk kommune" in r.stderr
    assert "Jobservice Danmark" in r.stdout
    r = run(db_url, "consultants", "import", str(files["consultants"]), "--json")
    assert json.loads(r.stdout)["created"] == len(CONSULTANTS)
    assert json.loads(r.stdout)["units_created"] == []  # the list import made it already
    r = run(db_url, "jobcenters", "list", "--json")
    units = {j["name"]: j for j in json.loads(r.stdout)["jobcenters"]}
    # the typos are the municipality's jobcenter, never a unit of their own
    assert sorted(units) == sorted(["Jobservice Danmark", *(f"Jobcenter {m}" for m in AREAS)])
    assert units["Jobservice Danmark"]["kind"] == "enhed"
    assert units["Jobservice Danmark"]["areas"] == {"rar-2015": NO_AREA, "rbr-2025": NO_AREA}
    assert units["Jobservice Danmark"]["consultants"] == 1
    assert units["Jobcenter København"]["consultants"] == 2
    assert units["Jobcenter København"]["companies"] == 2
    assert units["Jobcenter Bornholm"]["areas"] == {
        "rar-2015": "Bornholm",
        "rbr-2025": "Hovedstaden",
    }
    r = run(db_url, "booking", "import", str(files["bookings"]), *CAMPAIGN, "--json")
    summary = json.loads(r.stdout)
    assert (summary["imported"], summary["rejected"]) == (len(BOOKINGS), 0), r.stdout
    r = run(db_url, "visits", "import", str(files["results"]), *CAMPAIGN, "--json")
    assert json.loads(r.stdout)["registered"] == len(RESULTS), r.stdout

    expected = _expected(files)
    # without --areas: the scheme in force on the first booked visit (10 December 2024)
    r = run(db_url, "report", "visits", *CAMPAIGN, "-f", "json")
    assert json.loads(r.stdout)["area_scheme"] == "rar-2015"
    for scheme in SCHEME_AREAS:
        r = run(db_url, "report", "visits", *CAMPAIGN, "--areas", scheme, "-f", "json")
        data = json.loads(r.stdout)
        assert data["area_scheme"] == scheme
        got = {
            a["area"]: {
                "booked": a["booked"],
                "feedback": a["feedback"],
                "agreements": a["agreements"],
            }
            for a in data["areas"]
        }
        got["Hele landet"] = {k: data["total"][k] for k in ("booked", "feedback", "agreements")}
        assert list(got) == [*SCHEME_AREAS[scheme], NO_AREA, "Hele landet"]
        assert got == expected[scheme]
        jcs = {j["jobcenter"]: j for j in data["jobcenters"]}
        assert (jcs["Jobservice Danmark"]["kind"], jcs["Jobservice Danmark"]["area"]) == (
            "enhed",
            NO_AREA,
        )
        assert jcs["Jobcenter Bornholm"]["area"] == AREAS["Bornholm"][scheme == "rbr-2025"]
        # the table says which scheme it used and shows each rate in whole percent
        r = run(db_url, "report", "visits", *CAMPAIGN, "--areas", scheme)
        assert "Besøg pr. område – " in r.stdout and f"({scheme})" in r.stdout
        lines = r.stdout.splitlines()
        for area, want in expected[scheme].items():
            booked, feedback = int(str(want["booked"])), int(str(want["feedback"]))
            row = next(line for line in lines if line.startswith(area + "  "))
            cells = row[len(area) :].split()
            assert cells[:3] == [
                str(booked),
                str(feedback),
                *_whole_percent(feedback, booked).split()[:1],
            ]
    # the whole country is the same in both schemes; nothing is lost to "Ikke fordelt"
    assert expected["rar-2015"]["Hele landet"] == expected["rbr-2025"]["Hele landet"]
    assert expected["rbr-2025"][NO_AREA]["booked"] == len(NATIONAL_LIST)


def test_feedback_rates_round_half_up_in_the_tables() -> None:
    """Whole percent, half up (not to even): 0.5 % -> 1 %, 2.5 % -> 3 %, 12.5 % -> 13 %."""
    table = ReportTable(
        title="Besøg pr. område",
        columns=["Område", "Tilbagemeldingsprocent"],
        rows=[["a", Pct(1, 200)], ["b", Pct(5, 200)], ["c", Pct(1, 8)], ["d", Pct(0, 0)]],
    )
    text = render_text(Report(name="x", title="x", campaign="x", data={}, tables=[table]))
    rows = [
        line.split(maxsplit=1) for line in text.splitlines() if line[:2] in {"a ", "b ", "c ", "d "}
    ]
    rates = {name: rate.strip() for name, rate in rows}
    assert rates == {"a": "1 %", "b": "3 %", "c": "13 %", "d": "–"}
