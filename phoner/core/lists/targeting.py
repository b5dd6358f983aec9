"""Targeting: the campaign's target group (size, municipalities, industries).

A company outside the target group stays on the list with the rule that excludes it in
``out_of_target`` (in Danish); it is never called. Unknown values (no head count, no
municipality, no industry code) never exclude: a company is only out of target when the
list says so. Changing the settings re-applies them to the whole list
(:func:`refresh_list`), but removal proposals only where the jobcenter has not decided
and not signed off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from phoner.core import audit, geography
from phoner.core.clock import local_today
from phoner.core.display import count
from phoner.core.errors import ActorMissing, InvalidInput
from phoner.core.lists.eligibility import signed_jobcenters
from phoner.core.lists.suppression import Suppression
from phoner.core.models import Campaign, ClearingState, Company, utcnow


class TargetRules:
    """A campaign's targeting settings, precomputed for checking many companies."""

    def __init__(self, campaign: Campaign) -> None:
        self.min = campaign.min_employees
        self.max = campaign.max_employees
        self.municipalities = {geography.municipality_name(m) or m for m in campaign.municipalities}
        self.prefixes = tuple(p.replace(".", "") for p in campaign.industries)
        self._official: dict[str, str] = {}

    def rule(
        self, *, employees: int | None, municipality: str | None, industry_code: str | None
    ) -> str | None:
        """The rule that excludes a company, in Danish, or None if it is in target.

        Unknown values (no employee count, no municipality, no industry code) never
        exclude: a company is only out of target when the list says so.
        """
        if employees is not None:
            if self.min is not None and employees < self.min:
                return f"{count(employees, 'ansat', 'ansatte')} er under minimum {self.min}"
            if self.max is not None and employees > self.max:
                return f"{count(employees, 'ansat', 'ansatte')} er over maksimum {self.max}"
        if self.municipalities and municipality:
            official = self._official.get(municipality)
            if official is None:
                # a list's typo ("Kobenhvn") is its municipality, as for its jobcenter
                official = geography.closest_municipality(municipality) or municipality
                self._official[municipality] = official
            if official not in self.municipalities:
                return f"kommunen {official} er ikke i målgruppen"
        if (
            self.prefixes
            and industry_code
            and not industry_code.replace(".", "").startswith(self.prefixes)
        ):
            return f"branchekode {industry_code} er ikke i målgruppen"
        return None


def target_rule(
    campaign: Campaign,
    *,
    employees: int | None,
    municipality: str | None,
    industry_code: str | None,
) -> str | None:
    """The targeting rule that excludes one company (see :class:`TargetRules`)."""
    return TargetRules(campaign).rule(
        employees=employees, municipality=municipality, industry_code=industry_code
    )


_UNSET: Any = object()


def set_targeting(
    *,
    session: Session,
    campaign: Campaign,
    actor: str,
    min_employees: int | None = _UNSET,
    max_employees: int | None = _UNSET,
    municipalities: Sequence[str] | None = _UNSET,
    industries: Sequence[str] | None = _UNSET,
    recent_contact_days: int | None = _UNSET,
) -> dict[str, Any]:
    """Change the campaign's targeting settings (audited); then re-apply them.

    Arguments left out are unchanged; ``None`` clears a size limit, ``[]`` a list.
    Returns the new settings.
    """
    old = _targeting(campaign)
    if min_employees is not _UNSET:
        campaign.min_employees = _non_negative("min_employees", min_employees)
    if max_employees is not _UNSET:
        campaign.max_employees = _non_negative("max_employees", max_employees)
    if (
        campaign.min_employees is not None
        and campaign.max_employees is not None
        and campaign.min_employees > campaign.max_employees
    ):
        raise InvalidInput(
            f"Minimum ({campaign.min_employees}) er større end maksimum "
            f"({campaign.max_employees}) ansatte.",
            field="employees",
        )
    if municipalities is not _UNSET:
        names: list[str] = []
        for m in municipalities or []:
            official = geography.municipality_name(m)
            if official is None:
                raise InvalidInput(
                    f"{m!r} er ikke en dansk kommune.",
                    hint="Skriv kommunens navn, fx Køge eller Lyngby-Taarbæk.",
                )
            names.append(official)
        campaign.municipalities = sorted(set(names))
    if industries is not _UNSET:
        codes: list[str] = []
        for code in industries or []:
            c = code.strip().replace(".", "")
            if not c.isdigit():
                raise InvalidInput(
                    f"Branchekoden {code!r} skal være cifre (fx 56 eller 561010).",
                    hint="Angiv starten af DB07-branchekoden.",
                )
            codes.append(c)
        campaign.industries = sorted(set(codes))
    if recent_contact_days is not _UNSET:
        if recent_contact_days is None or recent_contact_days < 0:
            raise InvalidInput(
                "Antal dage siden seneste kontakt skal være 0 eller mere.", field="recent_days"
            )
        campaign.recent_contact_days = recent_contact_days
    session.add(campaign)
    new = _targeting(campaign)
    if new != old:
        audit.record(
            session,
            actor=actor,
            action="campaign_targeting",
            entity="campaign",
            entity_id=campaign.id,
            campaign_id=campaign.id,
            old=old,
            new=new,
        )
    return new


_EMPLOYEE_LIMITS = {
    "min_employees": "Mindste antal ansatte",
    "max_employees": "Største antal ansatte",
}


def _non_negative(field: str, value: int | None) -> int | None:
    if value is not None and value < 0:
        raise InvalidInput(
            f"{_EMPLOYEE_LIMITS[field]} kan ikke være negativt ({value}).", field=field
        )
    return value


def _targeting(campaign: Campaign) -> dict[str, Any]:
    return {
        "min_employees": campaign.min_employees,
        "max_employees": campaign.max_employees,
        "municipalities": list(campaign.municipalities),
        "industries": list(campaign.industries),
        "recent_contact_days": campaign.recent_contact_days,
    }


def set_protected_basis(
    *,
    session: Session,
    campaign: Campaign,
    basis: str | None,
    actor: str,
    now: dt.datetime | None = None,
    today: dt.date | None = None,
) -> RefreshResult:
    """Record (or, with an empty ``basis``, withdraw) the campaign's legal basis for calling
    ad-protected companies: the text, who decided and when, audited. With a basis they are
    no longer proposed for removal for that reason; without one they are again (only where
    the jobcenter has not decided yet: :func:`refresh_list`)."""
    actor = (actor or "").strip()
    if not actor:
        raise ActorMissing(
            "Angiv hvem der har besluttet grundlaget for at ringe til "
            "reklamebeskyttede virksomheder."
        )
    text = (basis or "").strip() or None
    if text is not None and len(text) > 1000:
        raise InvalidInput(
            f"Grundlaget er for langt ({len(text)} tegn; højst 1000).",
            hint="Skriv kort hvilken hjemmel kampagnen bygger på, og henvis til notatet.",
            field="protected_basis",
        )
    old = {
        "protected_basis": campaign.protected_basis,
        "protected_basis_by": campaign.protected_basis_by,
    }
    if text != campaign.protected_basis:
        moment = now or utcnow()
        campaign.protected_basis = text
        campaign.protected_basis_by = actor[:120] if text else None
        campaign.protected_basis_at = moment if text else None
        session.add(campaign)
        audit.record(
            session,
            actor=actor,
            action="campaign_protected_basis",
            entity="campaign",
            entity_id=campaign.id,
            campaign_id=campaign.id,
            old=old,
            new={"protected_basis": text, "protected_basis_by": campaign.protected_basis_by},
        )
    return refresh_list(session=session, campaign=campaign, today=today)


@dataclass(frozen=True)
class RefreshResult:
    out_of_target: int  # companies out of target after the refresh
    changed_target: int  # companies whose target status changed
    proposed_removal: int  # pending companies with a removal proposal after the refresh
    changed_proposals: int


def refresh_list(
    *, session: Session, campaign: Campaign, today: dt.date | None = None
) -> RefreshResult:
    """Re-apply targeting and removal proposals to the campaign's list.

    Targeting is re-evaluated for every company. Proposals are recomputed only where the
    jobcenter has not decided yet (``pending``) and has not signed off: a decision or a
    signed-off list is never changed behind the jobcenter's back.
    """
    assert campaign.id is not None
    today = today or local_today()
    suppression = Suppression(session, campaign, today)
    signed = signed_jobcenters(session, campaign.id)
    changed_target = changed_prop = n_out = n_prop = 0
    now = utcnow()
    targeting = TargetRules(campaign)
    for c in session.exec(select(Company).where(Company.campaign_id == campaign.id)).all():
        dirty = False
        rule = targeting.rule(
            employees=c.employees,
            municipality=c.municipality,
            industry_code=c.industry_code,
        )
        if rule != c.out_of_target:
            c.out_of_target = rule
            changed_target += 1
            dirty = True
        if c.clearing_state == ClearingState.PENDING and c.jobcenter_id not in signed:
            p = suppression.propose(
                cvr=c.cvr, jobcenter_id=c.jobcenter_id, ad_protected=c.ad_protected
            )
            reason, note = (None, None) if p is None else (p.reason, p.note)
            if (reason, note) != (c.clearing_proposal, c.clearing_note):
                c.clearing_proposal, c.clearing_note = reason, note
                changed_prop += 1
                dirty = True
        if dirty:
            c.updated_at = now
            session.add(c)
        n_out += c.out_of_target is not None
        n_prop += c.clearing_state == ClearingState.PENDING and c.clearing_proposal is not None
    session.flush()
    return RefreshResult(n_out, changed_target, n_prop, changed_prop)
