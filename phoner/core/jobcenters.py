"""Jobcenters: finding one from what a user or a file writes, and its part of a campaign.

One matching rule for every caller (list import, known companies, clearing, sign-off,
consultants import, follow-ups, the demo) — :func:`find_jobcenter`:

1. a jobcenter whose name is the text (``"Jobcenter Køge"``, ``"Jobcenter Nord"``), or
   the text with ``"Jobcenter "`` in front (``"Nord"``);
2. else, when the text is a Danish municipality in any spelling, code or form
   (``"Køge"``, ``"Køge Kommune"``, ``"jobcenter køge"``, ``"259"``): the jobcenter of
   that municipality, or the one named ``"Jobcenter <municipality>"``; created on first
   use (with municipality code and RAR area) unless ``create`` is False;
3. else :class:`NotFound`, naming the jobcenters there are.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from phoner.core import geography
from phoner.core.errors import JobcenterWithoutList, NotFound
from phoner.core.models import CampaignJobcenter, Jobcenter


def find_jobcenter(*, session: Session, text: str, create: bool = True) -> Jobcenter:
    """The jobcenter ``text`` names (see the module doc for the rule)."""
    text = text.strip()
    names = [text] if text.casefold().startswith("jobcenter") else [text, f"Jobcenter {text}"]
    for name in names:
        jc = session.exec(select(Jobcenter).where(Jobcenter.name == name)).first()
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
    known = session.exec(select(Jobcenter.name).order_by(col(Jobcenter.name))).all()
    if official is not None:
        raise JobcenterWithoutList(
            f"Jobcenter {official} har ingen virksomheder endnu.",
            hint=f"Kendte jobcentre: {', '.join(known)}." if known else None,
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
