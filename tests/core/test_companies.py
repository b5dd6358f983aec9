"""Companies by CVR: one normalisation, one error text, one look-up (phoner.core.companies)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from phoner.core import companies, followups
from phoner.core.db import Database
from phoner.core.errors import InvalidInput, NotFound
from phoner.core.lists import importer, suppression
from phoner.core.outcomes_import import import_outcomes
from tests.support import builders as b

CVR = "12345674"


def test_every_spelling_of_a_cvr_finds_the_company(sqlite_db: Database) -> None:
    with sqlite_db.session(write=True) as s:
        camp = b.campaign(s)
        first = b.company(s, camp, None, None, "Filial A", cvr=CVR)
        b.company(s, camp, None, None, "Filial B", cvr=CVR)
        for text in [CVR, " DK-1234 5674 ", "12 34 56 74", "12345674.0", "dk12345674"]:
            assert companies.company_by_cvr(session=s, campaign=camp, cvr=text).id == first.id
        assert camp.id is not None
        found = companies.companies_with_cvr(session=s, campaign_id=camp.id, cvr="DK 12345674")
        assert [c.name for c in found] == ["Filial A", "Filial B"]
        with pytest.raises(InvalidInput, match=r"Ugyldigt CVR-nummer '12345678' \(8 cifre"):
            companies.company_by_cvr(session=s, campaign=camp, cvr="12345678")
        with pytest.raises(NotFound, match="23456788 er ikke på listen"):
            companies.company_by_cvr(session=s, campaign=camp, cvr="2345 6788")


def test_a_follow_up_by_a_spaced_cvr_finds_the_company(sqlite_db: Database) -> None:
    # before: the follow-up look-up only stripped the text, so "DK-1234 5674" was unknown
    with sqlite_db.session(write=True) as s:
        camp = b.campaign(s)
        co = b.company(s, camp, None, None, "Firma", cvr=CVR)
        fu = followups.add_followup(
            session=s,
            campaign=camp,
            due_date=dt.date(2027, 3, 1),
            description="Ring igen",
            actor="t",
            cvr="DK-1234 5674",
        )
        assert fu.company_id == co.id


def test_the_importers_give_one_cvr_error_text(sqlite_db: Database, tmp_path: Path) -> None:
    expected = companies.invalid_cvr_reason("12345678")
    lst = tmp_path / "liste.csv"
    lst.write_text("Navn;CVR;Telefon\nFirma;12345678;33 12 34 56\n", encoding="utf-8")
    known = tmp_path / "kendte.csv"
    known.write_text("CVR\n12345678\n", encoding="utf-8")
    outcomes = tmp_path / "udfald.csv"
    outcomes.write_text("CVR;Udfald\n12345678;vil_kontaktes\n", encoding="utf-8")
    with sqlite_db.session(write=True) as s:
        camp = b.campaign(s)
        listed = importer.import_list(session=s, campaign=camp, path=lst, write_rejects=False)
        k = suppression.import_known(session=s, path=known, jobcenter="Køge")
    o = import_outcomes(db=sqlite_db, path=outcomes, campaign_name="Test")
    reasons = [listed.rejects[0].reason, k.rejects[0].reason, o.rejects[0].reason.rstrip(".")]
    assert reasons == [expected] * 3
