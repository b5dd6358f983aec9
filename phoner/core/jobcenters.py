"""Jobcenters: finding one from what a user or a file writes, and its part of a campaign."""

from __future__ import annotations

from sqlmodel import Session, select

from phoner.core import geography
from phoner.core.errors import NotFound
from phoner.core.models import CampaignJobcenter, Jobcenter


def find_jobcenter(*, session: Session, text: str, create: bool = True) -> Jobcenter:
    """A jobcenter by name (``"Jobcenter Køge"``), municipality (``"Køge"``) or code.

    A jobcenter of a known municipality is created on first use, with its municipality
    code and RAR area.
    """
    text = text.strip()
    jc = session.exec(select(Jobcenter).where(Jobcenter.name == text)).first()
    if jc is not None:
        return jc
    official = geography.municipality_name(text)
    if official is not None:
        jc = session.exec(select(Jobcenter).where(Jobcenter.municipality == official)).first()
        if jc is not None:
            return jc
        name = f"Jobcenter {official}"
        jc = session.exec(select(Jobcenter).where(Jobcenter.name == name)).first()
        if jc is not None:
            return jc
        if create:
            jc = Jobcenter(
                name=name,
                municipality=official,
                municipality_code=geography.municipality_code(official),
                rar_area=geography.rar_area(official),
            )
            session.add(jc)
            session.flush()
            return jc
    known = session.exec(select(Jobcenter.name).order_by(Jobcenter.name)).all()
    if official is not None:
        raise NotFound(
            f"Jobcenter {official} har ingen virksomheder endnu.",
            hint="Importér listen først (phoner list import)"
            + (f"; kendte jobcentre: {', '.join(known)}." if known else "."),
        )
    raise NotFound(
        f"Jobcentret {text!r} findes ikke, og {text!r} er ikke en dansk kommune.",
        hint="Skriv kommunens navn (fx Køge) eller jobcentrets navn"
        + (f" (kendte: {', '.join(known)})." if known else "."),
    )


def campaign_jobcenter(
    *, session: Session, campaign_id: int, jobcenter_id: int
) -> CampaignJobcenter:
    """The jobcenter's part of the campaign (created on first use)."""
    cj = session.exec(
        select(CampaignJobcenter).where(
            CampaignJobcenter.campaign_id == campaign_id,
            CampaignJobcenter.jobcenter_id == jobcenter_id,
        )
    ).first()
    if cj is None:
        cj = CampaignJobcenter(campaign_id=campaign_id, jobcenter_id=jobcenter_id)
        session.add(cj)
        session.flush()
    return cj
