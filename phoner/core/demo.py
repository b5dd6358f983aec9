"""The demo workspace: a synthetic but realistic Danish campaign to try phoner on.

``phoner demo`` (and so ``make run``) builds it: three jobcenters on Sjælland, their
consultants, a call list of synthetic companies written to ``lists/`` as a Danish Excel
export would look (semicolons, UTF-8 with BOM, phone numbers in every format), and a
campaign with two rounds using ``scripts/fleksjob.toml``. Running it again is harmless:
an existing demo campaign is kept as it is (with any calls made in it).

All names, CVR numbers, addresses and phone numbers are generated; the CVR numbers pass
the modulus-11 check, the phone numbers are valid Danish numbers but made up.
"""

from __future__ import annotations

import csv
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from phoner.core import campaigns, rounds
from phoner.core.call_scripts import STANDARD_SCRIPT, install_standard_script
from phoner.core.clock import local_today
from phoner.core.db import Database
from phoner.core.errors import InvalidInput
from phoner.core.jobcenters import find_jobcenter
from phoner.core.lists import importer, signoff
from phoner.core.models import (
    Campaign,
    Company,
    Consultant,
)
from phoner.core.phones import cvr_check_digit, parse_phone

DEMO_CAMPAIGN = "Demo: Fleksjob efterår 2026"
DEMO_LIST = Path("lists") / "demo-virksomheder.csv"
DEMO_SCRIPT = Path("scripts") / STANDARD_SCRIPT
DEMO_SEED = 2026

HEADERS = [
    "Firmanavn",
    "CVR-nr.",
    "Telefon",
    "Kontaktperson",
    "Adresse",
    "Postnr.",
    "By",
    "Kommune",
    "Branche",
    "Antal ansatte",
    "E-mail",
]

_TOWNS = {
    "Ringsted": [("4100", "Ringsted"), ("4174", "Jystrup Midtsj")],
    "Køge": [("4600", "Køge"), ("4681", "Herfølge"), ("4683", "Rønnede")],
    "Roskilde": [("4000", "Roskilde"), ("4030", "Tune"), ("4040", "Jyllinge")],
}
_INDUSTRIES = [
    ("812100", "Rengøring", ["Rengøring", "Service", "Facility"]),
    ("561010", "Restauranter", ["Køkken", "Café", "Spisehus"]),
    ("471120", "Supermarkeder", ["Købmand", "Dagligvarer", "SuperBrugs"]),
    ("432200", "VVS-installation", ["VVS", "Blik & Rør", "Varme"]),
    ("494100", "Vognmænd", ["Transport", "Vognmand", "Logistik"]),
    ("251100", "Metalkonstruktioner", ["Smedie", "Stål", "Metal"]),
    ("620100", "Programmering", ["IT", "Data", "Software"]),
    ("881000", "Hjemmehjælp", ["Omsorg", "Hjemmepleje", "Plejeservice"]),
    ("813000", "Anlægsgartnere", ["Anlæg", "Have & Park", "Grønt"]),
    ("452000", "Autoværksteder", ["Auto", "Bilværksted", "Motor"]),
    ("107120", "Bagerier", ["Bageri", "Brød", "Konditori"]),
    ("692000", "Revision og bogføring", ["Revision", "Regnskab", "Bogholderi"]),
]
_SURNAMES = [
    "Hansen",
    "Jensen",
    "Nielsen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Møller",
    "Poulsen",
    "Johansen",
    "Knudsen",
    "Mortensen",
    "Østergaard",
    "Bæk",
    "Dahl",
    "Holm",
    "Lund",
    "Frederiksen",
    "Kjær",
    "Ærenlund",
]
_FIRSTNAMES = [
    "Anne",
    "Mette",
    "Hanne",
    "Lene",
    "Susanne",
    "Camilla",
    "Louise",
    "Maja",
    "Søren",
    "Lars",
    "Jens",
    "Peter",
    "Michael",
    "Henrik",
    "Thomas",
    "Rasmus",
    "Bjørn",
    "Åse",
]
_STREETS = [
    "Nørregade",
    "Søndergade",
    "Østergade",
    "Vestergade",
    "Industrivej",
    "Håndværkervej",
    "Erhvervsvej",
    "Stationsvej",
    "Møllevej",
    "Skovvej",
    "Ringstedvej",
    "Københavnsvej",
]
_FORMS = ["ApS", "A/S", "I/S", "", "v/ {first} {sur}"]


def _cvr(rng: random.Random, used: set[str]) -> str:
    while True:
        first7 = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(6))
        digit = cvr_check_digit(first7)
        if digit is not None and (cvr := f"{first7}{digit}") not in used:
            used.add(cvr)
            return cvr


def _phone(rng: random.Random) -> str:
    """A valid Danish number written the way real exports write them."""
    while True:  # only numbers in ranges the numbering plan allocates
        lead = rng.choice(["33", "43", "46", "56", "57", "20", "22", "30", "40", "50", "60"])
        d = lead + "".join(str(rng.randint(0, 9)) for _ in range(6))
        if parse_phone(d) is not None:
            break
    style = rng.randrange(6)
    return [
        f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
        f"+45 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
        f"0045 {d}",
        f"(+45) {d[:4]}-{d[4:]}",
        f"{d[:2]}.{d[2:4]}.{d[4:6]}.{d[6:]}",
        d,
    ][style]


def demo_rows(n: int = 240, seed: int = DEMO_SEED) -> list[dict[str, str]]:
    """Deterministic synthetic companies, as the rows of a Danish list export."""
    rng = random.Random(seed)
    used: set[str] = set()
    rows: list[dict[str, str]] = []
    for i in range(n):
        municipality = list(_TOWNS)[i % len(_TOWNS)]
        postcode, town = rng.choice(_TOWNS[municipality])
        code, industry, words = rng.choice(_INDUSTRIES)
        sur, first = rng.choice(_SURNAMES), rng.choice(_FIRSTNAMES)
        form = rng.choice(_FORMS).format(first=first, sur=sur)
        name = rng.choice(
            [f"{sur} {rng.choice(words)}", f"{town} {rng.choice(words)}", f"{sur} & Søn"]
        )
        phones = _phone(rng)
        if rng.random() < 0.12:
            phones += rng.choice([" / ", "; ", " eller "]) + _phone(rng)
        employees = rng.choice([2, 3, 4, 5, 7, 9, 12, 15, 18, 24, 35, 48, 60, 85, 120])
        contact = f"{rng.choice(_FIRSTNAMES)} {rng.choice(_SURNAMES)}"
        domain = "".join(ch for ch in sur.lower() if ch.isascii() and ch.isalpha()) or "firma"
        rows.append(
            {
                "Firmanavn": f"{name} {form}".strip(),
                "CVR-nr.": _cvr(rng, used),
                "Telefon": phones,
                "Kontaktperson": contact if rng.random() < 0.7 else "",
                "Adresse": f"{rng.choice(_STREETS)} {rng.randint(1, 140)}",
                "Postnr.": postcode,
                "By": town,
                "Kommune": municipality,
                "Branche": f"{code} {industry}",
                "Antal ansatte": str(employees),
                "E-mail": f"kontakt@{domain}{i}.dk" if rng.random() < 0.6 else "",
            }
        )
    return rows


def write_demo_list(path: Path, rows: list[dict[str, str]] | None = None) -> Path:
    """Write the demo list like a Danish Excel CSV export: ``;`` and UTF-8 with BOM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADERS, delimiter=";")
        writer.writeheader()
        writer.writerows(rows if rows is not None else demo_rows())
    return path


DEMO_CONSULTANTS = [
    ("Karen Mikkelsen", "karen.mikkelsen@ringsted.demo.dk", "Ringsted"),
    ("Ole Brandt", "ole.brandt@ringsted.demo.dk", "Ringsted"),
    ("Fatima Yilmaz", "fatima.yilmaz@koege.demo.dk", "Køge"),
    ("Jesper Lind", "jesper.lind@koege.demo.dk", "Køge"),
    ("Sanne Vestergaard", "sanne.vestergaard@roskilde.demo.dk", "Roskilde"),
    ("Mikkel Holm", "mikkel.holm@roskilde.demo.dk", "Roskilde"),
]


@dataclass(frozen=True)
class DemoSummary:
    campaign: str
    companies: int
    consultants: int
    jobcenters: int


def build_demo(*, db: Database, workspace: Path) -> DemoSummary:
    """Create the demo campaign in ``db`` (idempotent) and return what it holds.

    The campaign is built the way a coordinator would build one: the list is imported
    from ``lists/demo-virksomheder.csv`` (:func:`phoner.core.lists.importer.import_list`),
    each jobcenter signs its part off, the list is planned into two rounds two weeks
    apart, and round 1 is started.
    """
    script = workspace / DEMO_SCRIPT
    install_standard_script(script.parent)  # a fresh folder gets the packaged script
    if not script.is_file():
        raise InvalidInput(
            f"Demo-manuskriptet {script} er ikke en fil.",
            hint="Flyt det, der ligger dér, eller brug en anden mappe.",
            field="workspace",
        )
    list_path = workspace / DEMO_LIST
    if not list_path.is_file():
        write_demo_list(list_path)
    today = local_today()
    with db.session(write=True) as session:
        jobcenters = {m: find_jobcenter(session=session, text=m) for m in _TOWNS}
        jc_ids = {m: jc.id for m, jc in jobcenters.items() if jc.id is not None}
        for name, email, municipality in DEMO_CONSULTANTS:
            if session.exec(select(Consultant).where(Consultant.email == email)).first() is None:
                session.add(
                    Consultant(
                        name=name,
                        email=email,
                        jobcenter_id=jc_ids[municipality],
                        feed_token=secrets.token_urlsafe(24),
                    )
                )
        campaign = session.exec(select(Campaign).where(Campaign.name == DEMO_CAMPAIGN)).first()
        if campaign is None:
            campaign = campaigns.create_campaign(
                session=session, name=DEMO_CAMPAIGN, script=script, actor="demo", min_employees=2
            )
            importer.import_list(
                session=session,
                campaign=campaign,
                path=list_path,
                actor="demo",
                write_rejects=False,
                today=today,
            )
            for jc in jobcenters.values():
                signoff.sign_off(session=session, campaign=campaign, jobcenter=jc, by="demo")
            rounds.plan_rounds(
                session=session,
                campaign=campaign,
                first=today,
                gap_days=14,
                rounds=2,
                actor="demo",
            )
            rounds.activate_round(session=session, campaign=campaign, number=1, actor="demo")
        session.flush()
        assert campaign.id is not None
        n_companies = len(
            session.exec(select(Company.id).where(Company.campaign_id == campaign.id)).all()
        )
        n_consultants = len(session.exec(select(Consultant.id)).all())
    return DemoSummary(
        campaign=DEMO_CAMPAIGN,
        companies=n_companies,
        consultants=n_consultants,
        jobcenters=len(_TOWNS),
    )
