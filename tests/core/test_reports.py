"""Every figure of every report on a campaign with known outcomes.

The campaign (see :func:`build`):

round 1 (Ringsted, Sjælland) – 8 companies in the round, plus one removed in clearing:
  A vil_kontaktes (tlf1; visit moved once, then held: fleksjob 2, løntilskud 1)
  B vil_kontaktes (tlf1; visit cancelled by the consultant; call follow-up done 2 days later)
  C ikke_interesseret (tlf2)   D har_fleksjobbere (tlf2)
  E ikke_truffet twice (tlf1)  F ikke_truffet (tlf1), then har_kontakt in round 2 (tlf2)
  G lukket (tlf2)              H never called
round 2 (Aalborg, Nordjylland) – J vil_kontaktes (tlf2; visit cancelled by the company:
  travlhed), K ring_tilbage (tlf1), L forkert_nummer (tlf1, 00:30 Danish time)
round 3 – empty
round 4 (a jobcenter with no RAR area) – M ikke_truffet, N optaget (tlf1); N has a booked
  visit with no result yet.
"""

from __future__ import annotations

import datetime as dt

import pytest

from phoner.core import blocks
from phoner.core.db import Database
from phoner.core.models import (
    Campaign,
    Outcome,
)
from phoner.core.reports import build_report
from phoner.core.reports.common import percentile
from phoner.core.reports.dashboard import dashboard
from phoner.core.reports.followups import followups_report
from phoner.core.reports.phoners import phoners_report
from phoner.core.reports.rates import aapor_rates, rates_report
from phoner.core.reports.rounds import rounds_report
from phoner.core.reports.visits import visits_report
from phoner.formats.report_output import Num, Pct
from tests.support import builders as b
from tests.support.worlds import TODAY, at
from tests.support.worlds import reports_world as build

UTC = dt.UTC


@pytest.fixture
def campaign(db: Database) -> Campaign:
    with db.session(write=True) as s:
        return build(s)


def test_rounds_report(db: Database, campaign: Campaign) -> None:
    with db.session() as s:
        rep = rounds_report(session=s, campaign=campaign)
    assert rep.data == {
        "campaign": "Efterår",
        "rounds": [
            {
                "round": 1,
                "companies": 8,
                "outcomes": {
                    "vil_kontaktes": 2,
                    "ikke_interesseret": 1,
                    "har_fleksjobbere": 1,
                    "har_kontakt": 1,
                },
                "answered": 5,
                "response_rate": 5 / 8,
            },
            {
                "round": 2,
                "companies": 3,
                "outcomes": {
                    "vil_kontaktes": 1,
                    "ikke_interesseret": 0,
                    "har_fleksjobbere": 0,
                    "har_kontakt": 0,
                },
                "answered": 1,
                "response_rate": 1 / 3,
            },
            {
                "round": 3,
                "companies": 0,
                "outcomes": {
                    "vil_kontaktes": 0,
                    "ikke_interesseret": 0,
                    "har_fleksjobbere": 0,
                    "har_kontakt": 0,
                },
                "answered": 0,
                "response_rate": None,
            },
            {
                "round": 4,
                "companies": 2,
                "outcomes": {
                    "vil_kontaktes": 0,
                    "ikke_interesseret": 0,
                    "har_fleksjobbere": 0,
                    "har_kontakt": 0,
                },
                "answered": 0,
                "response_rate": 0.0,
            },
        ],
        "total": {
            "companies": 13,
            "outcomes": {
                "vil_kontaktes": 3,
                "ikke_interesseret": 1,
                "har_fleksjobbere": 1,
                "har_kontakt": 1,
            },
            "answered": 6,
            "response_rate": 6 / 13,
        },
    }
    counts, of_companies, of_answered = rep.tables
    shown = [[_show(c) for c in row] for row in counts.rows]
    assert shown == [
        ["1", "8", "2", "1", "1", "1", "5", "3", "63 %"],  # 62.5 % rounds half up
        ["2", "3", "1", "0", "0", "0", "1", "2", "33 %"],
        ["3", "0", "0", "0", "0", "0", "0", "0", "–"],
        ["4", "2", "0", "0", "0", "0", "0", "2", "0 %"],
        ["I alt", "13", "3", "1", "1", "1", "6", "7", "46 %"],
    ]
    assert [[_show(c) for c in row] for row in of_companies.rows] == [
        ["1", "8", "25 %", "13 %", "13 %", "13 %"],
        ["2", "3", "33 %", "0 %", "0 %", "0 %"],
        ["3", "0", "–", "–", "–", "–"],
        ["4", "2", "0 %", "0 %", "0 %", "0 %"],
        ["I alt", "13", "23 %", "8 %", "8 %", "8 %"],
    ]
    assert [[_show(c) for c in row] for row in of_answered.rows] == [
        ["1", "5", "40 %", "20 %", "20 %", "20 %"],
        ["2", "1", "100 %", "0 %", "0 %", "0 %"],
        ["3", "0", "–", "–", "–", "–"],
        ["4", "0", "–", "–", "–", "–"],
        ["I alt", "6", "50 %", "17 %", "17 %", "17 %"],
    ]
    assert any("alle virksomheder i omgangen" in n for n in of_companies.notes)
    assert any("besvaret" in n for n in of_answered.notes)


def _show(cell: object) -> str:
    from phoner.formats.report_output import cell_str

    return cell_str(cell)  # type: ignore[arg-type]


def test_rates_report(db: Database, campaign: Campaign) -> None:
    with db.session() as s:
        rep = rates_report(session=s, campaign=campaign)
    data = rep.data
    assert data["e"] == 0.5
    rounds = {r["round"]: r for r in data["rounds"]}
    assert rounds[1]["dispositions"] == {
        "I": 5, "P": 0, "R": 0, "NC": 0, "O": 0, "UH": 1, "UO": 0, "NE": 1
    }  # fmt: skip
    assert rounds[1]["cases"] == 7
    assert rounds[1]["rates"]["RR1"] == pytest.approx(5 / 6)
    assert rounds[1]["rates"]["RR3"] == pytest.approx(5 / 5.5)
    assert rounds[1]["rates"]["RR5"] == 1.0
    assert rounds[2]["dispositions"]["NC"] == 1 and rounds[2]["dispositions"]["UO"] == 1
    assert rounds[2]["rates"]["RR1"] == pytest.approx(1 / 3)
    assert rounds[2]["rates"]["RR3"] == pytest.approx(1 / 2.5)
    assert rounds[2]["rates"]["RR5"] == pytest.approx(1 / 2)
    assert rounds[2]["rates"]["CON1"] == pytest.approx(1 / 3)
    assert rounds[2]["rates"]["COOP1"] == 1.0
    assert rounds[3]["cases"] == 0 and rounds[3]["rates"]["RR1"] is None
    assert rounds[4]["dispositions"]["UH"] == 2
    assert rounds[4]["rates"]["RR1"] == 0.0
    assert rounds[4]["rates"]["RR5"] is None and rounds[4]["rates"]["COOP1"] is None
    total = data["total"]
    assert total["dispositions"] == {
        "I": 6, "P": 0, "R": 0, "NC": 1, "O": 0, "UH": 3, "UO": 1, "NE": 1
    }  # fmt: skip
    expected = {
        "RR1": 6 / 11, "RR2": 6 / 11, "RR3": 6 / 9, "RR4": 6 / 9, "RR5": 6 / 7, "RR6": 6 / 7,
        "COOP1": 1.0, "COOP2": 1.0, "COOP3": 1.0, "COOP4": 1.0,
        "REF1": 0.0, "REF2": 0.0, "REF3": 0.0,
        "CON1": 6 / 11, "CON2": 6 / 9, "CON3": 6 / 7,
    }  # fmt: skip
    assert total["rates"] == pytest.approx(expected)
    phoners = {p["phoner"]: p for p in data["phoners"]}
    assert phoners["tlf1"]["dispositions"] == {
        "I": 2, "P": 0, "R": 0, "NC": 1, "O": 0, "UH": 3, "UO": 1, "NE": 0
    }  # fmt: skip
    assert phoners["tlf2"]["dispositions"] == {
        "I": 4, "P": 0, "R": 0, "NC": 0, "O": 0, "UH": 0, "UO": 0, "NE": 1
    }  # fmt: skip
    assert phoners["tlf2"]["rates"]["RR1"] == 1.0
    # the table shows whole percent
    rate_table = rep.tables[1]
    total_row = [_show(c) for c in rate_table.rows[-1]]
    assert total_row[:7] == ["I alt", "55 %", "55 %", "67 %", "67 %", "86 %", "86 %"]


def test_aapor_formulas_with_partials_and_refusals() -> None:
    from phoner.core.models import AaporClass as K

    counts = {K.I: 40, K.P: 10, K.R: 20, K.NC: 10, K.O: 5, K.UH: 10, K.UO: 5, K.NE: 7}
    r = {k: v.value for k, v in aapor_rates(counts, 0.4).items()}
    assert r["RR1"] == pytest.approx(40 / 100)
    assert r["RR2"] == pytest.approx(50 / 100)
    assert r["RR3"] == pytest.approx(40 / 91)
    assert r["RR4"] == pytest.approx(50 / 91)
    assert r["RR5"] == pytest.approx(40 / 85)
    assert r["RR6"] == pytest.approx(50 / 85)
    assert r["COOP1"] == pytest.approx(40 / 75)
    assert r["COOP2"] == pytest.approx(50 / 75)
    assert r["COOP3"] == pytest.approx(40 / 70)
    assert r["COOP4"] == pytest.approx(50 / 70)
    assert r["REF1"] == pytest.approx(20 / 100)
    assert r["REF2"] == pytest.approx(20 / 91)
    assert r["REF3"] == pytest.approx(20 / 85)
    assert r["CON1"] == pytest.approx(75 / 100)
    assert r["CON2"] == pytest.approx(75 / 91)
    assert r["CON3"] == pytest.approx(75 / 85)


def test_followups_report(db: Database, campaign: Campaign) -> None:
    with db.session() as s:
        rep = followups_report(session=s, campaign=campaign, today=TODAY)
    data = rep.data
    assert data["consultants"] == [
        {
            "jobcenter": "Jobcenter Atlantis",
            "consultant": "Ingen ansvarlig",
            "open": 1,
            "overdue": 1,
            "done": 0,
        },
        {
            "jobcenter": "Jobcenter Ringsted",
            "consultant": "Karen",
            "open": 1,
            "overdue": 1,
            "done": 1,
        },
        {
            "jobcenter": "Jobcenter Ringsted",
            "consultant": "Ole",
            "open": 1,
            "overdue": 0,
            "done": 0,
        },
    ]
    assert data["jobcenters"] == [
        {"jobcenter": "Jobcenter Atlantis", "open": 1, "overdue": 1, "done": 0},
        {"jobcenter": "Jobcenter Ringsted", "open": 2, "overdue": 1, "done": 1},
    ]
    assert data["total"] == {"open": 3, "overdue": 2, "done": 1}
    lag = {e["round"]: e for e in data["lag"]}
    # A: call 5 Oct 09:00, visit held 9 Oct 09:00 (4 days); B: call 09:20, done 7 Oct 09:20
    assert lag[1] == {
        "round": 1,
        "wants_contact": 2,
        "contacted": 2,
        "not_contacted": 0,
        "median_days": 3.0,
        "p90_days": 4.0,
    }
    assert lag[2] == {
        "round": 2,
        "wants_contact": 1,
        "contacted": 0,
        "not_contacted": 1,
        "median_days": None,
        "p90_days": None,
    }
    assert lag[3]["wants_contact"] == 0 and lag[4]["wants_contact"] == 0
    assert data["lag_total"]["median_days"] == 3.0
    jc_table = rep.tables[0]
    assert [[_show(c) for c in row] for row in jc_table.rows] == [
        ["Jobcenter Atlantis", "1", "1", "100 %", "0", "1"],
        ["Jobcenter Ringsted", "2", "1", "50 %", "1", "3"],
        ["I alt", "3", "2", "67 %", "1", "4"],
    ]
    lag_table = rep.tables[2]
    assert [_show(c) for c in lag_table.rows[0]] == ["1", "2", "2", "0", "3,0", "4,0"]
    assert [_show(c) for c in lag_table.rows[1]] == ["2", "1", "0", "1", "–", "–"]


def test_visits_report(db: Database, campaign: Campaign) -> None:
    with db.session() as s:
        rep = visits_report(session=s, campaign=campaign, areas="rar-2015")
        default = visits_report(session=s, campaign=campaign)
    data = rep.data
    assert data["area_scheme"] == "rar-2015"
    # the visits are in 2026: by default the 5 regional councils of 2025
    assert default.data["area_scheme"] == "rbr-2025"
    assert [a["area"] for a in default.data["areas"]] == [
        "Nordjylland", "Midtjylland", "Syddanmark", "Sjælland", "Hovedstaden", "Ikke fordelt"
    ]  # fmt: skip
    assert {a["area"]: a["booked"] for a in default.data["areas"]}["Sjælland"] == 2
    assert default.data["total"] == data["total"]
    assert default.tables[0].title.endswith("(rbr-2025)")
    areas = {a["area"]: a for a in data["areas"]}
    assert list(areas) == [
        "Nordjylland",
        "Vestjylland",
        "Østjylland",
        "Fyn",
        "Sydjylland",
        "Bornholm",
        "Hovedstaden",
        "Sjælland",
        "Ikke fordelt",
    ]
    sj = areas["Sjælland"]
    assert sj["booked"] == 2 and sj["feedback"] == 1 and sj["feedback_rate"] == 0.5
    assert sj["statuses"] == {
        "afholdt": 1,
        "aflyst_af_virksomheden": 0,
        "aflyst_af_konsulenten": 1,
        "konsulent_udeblev": 0,
        "afkortet_telefonisk": 0,
        "flyttet": 0,
        "afventer": 0,
    }
    assert sj["agreements"]["fleksjob"] == 2 and sj["agreements"]["loentilskud"] == 1
    assert sj["agreements_total"] == 3
    nj = areas["Nordjylland"]
    assert nj["booked"] == 1 and nj["feedback_rate"] == 1.0
    assert nj["statuses"]["aflyst_af_virksomheden"] == 1
    assert nj["company_cancel_reasons"]["travlhed"] == 1
    assert areas["Ikke fordelt"]["booked"] == 1
    assert areas["Ikke fordelt"]["statuses"]["afventer"] == 1
    assert areas["Ikke fordelt"]["feedback_rate"] == 0.0
    assert areas["Fyn"]["booked"] == 0 and areas["Fyn"]["feedback_rate"] is None
    total = data["total"]
    assert total["booked"] == 4 and total["feedback"] == 2 and total["feedback_rate"] == 0.5
    assert total["agreements_total"] == 3
    assert total["agreements"] == {
        "jobordre_rekruttering": 0,
        "opkvalificeringsjob": 0,
        "voksenlaerling": 0,
        "jobrotation": 0,
        "loentilskud": 1,
        "virksomhedspraktik": 0,
        "fagpilot": 0,
        "fastholdelse": 0,
        "fleksjob": 2,
        "virksomhedspladser_flygtninge": 0,
    }
    jcs = {j["jobcenter"]: j for j in data["jobcenters"]}
    assert sorted(jcs) == ["Jobcenter Aalborg", "Jobcenter Atlantis", "Jobcenter Ringsted"]
    assert jcs["Jobcenter Ringsted"]["booked"] == 2
    area_table = rep.tables[0]
    assert [_show(c) for c in area_table.rows[-1]] == [
        "Hele landet", "4", "2", "50 %", "1", "1", "1", "0", "0", "0", "1"
    ]  # fmt: skip
    reasons = rep.tables[4]
    assert [_show(c) for c in reasons.rows[0]] == ["Travlhed", "1", "100 %"]
    assert [_show(c) for c in reasons.rows[-1]] == ["I alt", "1", "100 %"]


def test_phoners_report(db: Database, campaign: Campaign) -> None:
    with db.session() as s:
        rep = phoners_report(session=s, campaign=campaign)
    phoners = {p["phoner"]: p for p in rep.data["phoners"]}
    t1 = phoners["tlf1"]
    assert [(d["date"], d["calls"], d["active_hours"], d["bookings"]) for d in t1["days"]] == [
        ("2026-10-05", 4, 2, 1),
        ("2026-10-06", 1, 1, 1),
        ("2026-10-19", 1, 1, 0),
        ("2026-10-20", 1, 1, 0),  # 22:30 UTC on the 19th is 00:30 Danish time on the 20th
        ("2026-11-02", 2, 1, 1),
    ]
    assert t1["days"][0]["calls_per_hour"] == 2.0
    assert t1["days"][0]["outcomes"]["vil_kontaktes"] == 2
    assert t1["days"][0]["outcomes"]["ikke_truffet"] == 2
    assert (t1["calls"], t1["active_hours"], t1["calls_per_hour"], t1["bookings"]) == (9, 6, 1.5, 3)
    assert t1["outcomes"] == {
        "vil_kontaktes": 2,
        "ikke_interesseret": 0,
        "har_fleksjobbere": 0,
        "har_kontakt": 0,
        "ikke_truffet": 4,
        "optaget": 1,
        "ring_tilbage": 1,
        "forkert_nummer": 1,
        "lukket": 0,
        "frabeder_sig_henvendelser": 0,
        "ikke_nu": 0,
    }
    assert t1["answered"] == 2
    t2 = phoners["tlf2"]
    assert [(d["date"], d["calls"], d["active_hours"]) for d in t2["days"]] == [
        ("2026-10-05", 3, 3),
        ("2026-10-19", 2, 1),
    ]
    assert (t2["calls"], t2["active_hours"], t2["calls_per_hour"], t2["bookings"]) == (
        5,
        4,
        1.25,
        1,
    )
    total = rep.data["total"]
    assert (total["calls"], total["active_hours"], total["bookings"]) == (14, 10, 4)
    assert total["calls_per_hour"] == pytest.approx(1.4)
    per = rep.tables[0]
    assert [_show(c) for c in per.rows[0]] == [
        "tlf1", "9", "6", "1,5", "2", "0", "0", "0", "7", "3"
    ]  # fmt: skip
    assert [_show(c) for c in per.rows[-1]] == [
        "I alt", "14", "10", "1,4", "3", "1", "1", "1", "8", "4"
    ]  # fmt: skip


def test_dashboard(db: Database, campaign: Campaign) -> None:
    with db.session() as s:
        d = dashboard(session=s, campaign=campaign, today=TODAY)
    assert [(r.number, r.companies, r.called, r.answered) for r in d.rounds] == [
        (1, 8, 7, 5),
        (2, 3, 3, 1),
        (3, 0, 0, 0),
        (4, 2, 2, 0),
    ]
    assert d.outcomes[Outcome.VIL_KONTAKTES] == 3
    assert d.not_called == 1
    assert (d.followups_open, d.followups_overdue) == (3, 2)
    assert d.overdue_by_consultant == [("Ingen ansvarlig", 1), ("Karen", 1)]
    # nobody fetched a feed: every consultant with bookings or in a campaign jobcenter lags
    lag = {f.consultant: f.unseen_bookings for f in d.feed_lagging}
    assert lag == {"Karen": 2, "Niels": 1, "Pia": 1, "Ole": 1}


def test_company_called_in_several_rounds_counts_once(db: Database) -> None:
    with db.session(write=True) as s:
        c = b.campaign(s, "Flere omgange")
        jc = b.jobcenter(s, "Køge")
        r1, r2 = b.round_(s, c, 1), b.round_(s, c, 2)
        x = b.company(s, c, jc, r1, "X")
        b.call(s, x, Outcome.IKKE_TRUFFET, at(5, 9))
        assert r2.id is not None
        b.call(s, x, Outcome.OPTAGET, at(19, 9), round_id=r2.id)
        b.call(s, x, Outcome.IKKE_INTERESSERET, at(20, 9), round_id=r2.id)
        rep = rounds_report(session=s, campaign=c)
    assert [(r["round"], r["companies"], r["answered"]) for r in rep.data["rounds"]] == [
        (1, 1, 1),
        (2, 0, 0),
    ]
    assert rep.data["total"]["outcomes"]["ikke_interesseret"] == 1


def test_empty_campaign_reports(db: Database) -> None:
    with db.session(write=True) as s:
        c = b.campaign(s, "Tom")
        for name in ("rounds", "rates", "followups", "visits", "phoners"):
            rep = build_report(name, session=s, campaign=c)
            assert rep.tables
        rounds = rounds_report(session=s, campaign=c)
    assert rounds.data == {
        "campaign": "Tom",
        "rounds": [],
        "total": {
            "companies": 0,
            "outcomes": {
                "vil_kontaktes": 0,
                "ikke_interesseret": 0,
                "har_fleksjobbere": 0,
                "har_kontakt": 0,
            },
            "answered": 0,
            "response_rate": None,
        },
    }


def test_percentile_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(i) for i in range(1, 11)], 0.9) == 9.0
    assert percentile([float(i) for i in range(1, 12)], 0.9) == 10.0


def test_pct_rounds_half_up() -> None:
    assert Pct(1, 8).whole == 13
    assert Pct(1, 40).whole == 3  # 2.5 %
    assert Pct(5, 8).text() == "63 %"
    assert Pct(0, 0).text() == "–"
    assert Num(2.25).text() == "2,3"


def test_a_blocked_company_never_called_is_not_left_to_call(db: Database) -> None:
    """The do-not-call register takes a company out of the population still to call
    (dashboard's "not called", the round's companies); one called before it asked to be
    left alone keeps its outcome."""
    with db.session(write=True) as s:
        c = b.campaign(s, "Spærret")
        jc = b.jobcenter(s, "Køge")
        r1 = b.round_(s, c, 1)
        b.company(s, c, jc, r1, "X")
        b.company(s, c, jc, r1, "Y", cvr="12345674")
        z = b.company(s, c, jc, r1, "Z", cvr="12345682")
        b.call(s, z, Outcome.FRABEDER_SIG_HENVENDELSER, at(5, 9))
        blocks.add_block(session=s, actor="K", cvr="12345674")
        blocks.add_block(session=s, actor="K", cvr="12345682")
        d = dashboard(session=s, campaign=c, today=TODAY)
        rep = rounds_report(session=s, campaign=c)
    assert d.not_called == 1  # X; Y is blocked and never called
    assert [(r.number, r.companies, r.called) for r in d.rounds] == [(1, 2, 1)]
    assert [(r["round"], r["companies"]) for r in rep.data["rounds"]] == [(1, 2)]
