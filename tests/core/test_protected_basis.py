"""Reklamebeskyttelse: ad-protected companies are proposed for removal unless the campaign
has a recorded legal basis (text, who, when; audited) for calling them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select

from phoner.core.campaign_settings import CampaignSettings
from phoner.core.db import Database
from phoner.core.errors import ActorMissing, InvalidInput
from phoner.core.lists import importer, suppression, targeting
from phoner.core.models import AuditLog, Campaign, ClearingReason, ClearingState, Company
from tests.support import builders
from tests.support.lists import A, B, C

BASIS = "Beskæftigelseslovens § 12: jobcentret må kontakte virksomheder om ledige (notat 4/2026)"
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _list(tmp_path: Path) -> Path:
    path = tmp_path / "liste.csv"
    path.write_text(
        f"Navn;CVR;Telefon;Reklamebeskyttet\nBeskyttet;{A};33 12 34 56;Ja\nFri;{B};33 12 34 57;\n",
        encoding="utf-8",
    )
    return path


def _proposals(s: Session) -> dict[str | None, ClearingReason | None]:
    return {c.cvr: c.clearing_proposal for c in s.exec(select(Company)).all()}


def test_protected_companies_are_proposed_for_removal_without_a_basis(
    db: Database, tmp_path: Path
) -> None:
    with db.session(write=True) as s:
        camp = builders.campaign(s)
        importer.import_list(session=s, campaign=camp, path=_list(tmp_path), jobcenter="Køge")
        assert _proposals(s) == {A: ClearingReason.REKLAMEBESKYTTET, B: None}
        assert CampaignSettings.of(camp).protected_basis is None


def test_a_recorded_basis_lifts_the_proposal_and_is_audited(db: Database, tmp_path: Path) -> None:
    with db.session(write=True) as s:
        camp = builders.campaign(s)
        importer.import_list(session=s, campaign=camp, path=_list(tmp_path), jobcenter="Køge")
        result = targeting.set_protected_basis(
            session=s, campaign=camp, basis=f"  {BASIS} ", actor="Jurist Jens", now=NOW
        )
        assert result.proposed_removal == 0
        assert _proposals(s) == {A: None, B: None}
        shown = CampaignSettings.of(camp)
        assert (shown.protected_basis, shown.protected_basis_by, shown.protected_basis_at) == (
            BASIS,
            "Jurist Jens",
            NOW,
        )
        entry = s.exec(select(AuditLog).where(AuditLog.action == "campaign_protected_basis")).one()
        assert entry.actor == "Jurist Jens"
        assert entry.new == {"protected_basis": BASIS, "protected_basis_by": "Jurist Jens"}
        # a company imported later is not proposed for that reason either
        more = tmp_path / "mere.csv"
        more.write_text(f"Navn;CVR;Telefon;Reklamebeskyttet\nNy;{C};33 12 34 58;x\n", "utf-8")
        importer.import_list(session=s, campaign=camp, path=more, jobcenter="Køge")
        assert _proposals(s)[C] is None
        # withdrawn: proposed again, where the jobcenter has not decided
        company_c = s.exec(select(Company).where(Company.cvr == C)).one()
        company_c.clearing_state = ClearingState.KEEP
        s.add(company_c)
        targeting.set_protected_basis(session=s, campaign=camp, basis="", actor="Jurist Jens")
        assert _proposals(s) == {A: ClearingReason.REKLAMEBESKYTTET, B: None, C: None}
        assert (camp.protected_basis, camp.protected_basis_by, camp.protected_basis_at) == (
            None,
            None,
            None,
        )
        assert (
            len(s.exec(select(AuditLog).where(AuditLog.action == "campaign_protected_basis")).all())
            == 2
        )


def test_basis_needs_who_and_a_sane_length(db: Database) -> None:
    with db.session(write=True) as s:
        camp = builders.campaign(s)
        with pytest.raises(ActorMissing):
            targeting.set_protected_basis(session=s, campaign=camp, basis=BASIS, actor=" ")
        with pytest.raises(InvalidInput, match="for langt"):
            targeting.set_protected_basis(session=s, campaign=camp, basis="x" * 1001, actor="K")
        assert s.get(Campaign, camp.id).protected_basis is None  # type: ignore[union-attr]


def test_with_a_basis_a_protected_company_can_still_be_a_known_one(
    db: Database, tmp_path: Path
) -> None:
    with db.session(write=True) as s:
        camp = builders.campaign(s)
        importer.import_list(session=s, campaign=camp, path=_list(tmp_path), jobcenter="Køge")
        targeting.set_protected_basis(session=s, campaign=camp, basis=BASIS, actor="Jens")
        known = tmp_path / "kendte.csv"
        known.write_text(f"CVR\n{A}\n", encoding="utf-8")
        suppression.import_known(session=s, path=known, jobcenter="Køge")
        assert _proposals(s)[A] == ClearingReason.KENDT_VIRKSOMHED
