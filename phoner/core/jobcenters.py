"""Jobcenters: finding one from what a user or a file writes, and its part of a campaign.

A jobcenter here is any unit that holds visits: a municipality's jobcenter (kind
``kommune``) or a unit that is not a municipality (kind ``enhed``: Jobservice Danmark, a
phoning contractor, an inter-municipal team), which has no municipality and no area.

One matching rule for every caller (list import, known companies, clearing, sign-off,
consultants import, follow-ups, the demo) — :func:`find_jobcenter`:

1. a jobcenter whose name is the text (``"Jobcenter Køge"``, ``"Jobservice Danmark"``),
   or the text with ``"Jobcenter "`` in front (``"Nord"``);
2. else, when the text is a Danish municipality in any spelling, code or form
   (``"Køge"``, ``"Køge Kommune"``, ``"jobcenter køge"``, ``"259"``), or one with a typo
   (``"Kobenhvn"``, ``"Roskilds"``): the jobcenter of that municipality, or the one named
   ``"Jobcenter <municipality>"``; created on first use (with municipality code and RAR
   area) unless ``create`` is False;
3. else a jobcenter whose name is close to the text (``"Jobservice Danmrk"``);
4. else, when ``allow_unit`` (the list import's one jobcenter for a whole file, the
   consultants import's Jobcenter column) and ``create``: a new unit with the text as its
   name (:func:`unit_notice` is what to tell the user);
5. else :class:`NotFound`, naming the jobcenters there are.

So a typo of a municipality never silently becomes a new unit: only a text that is no
municipality and close to none does.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from phoner.core import geography
from phoner.core.errors import JobcenterWithoutList, NotFound
from phoner.core.models import CampaignJobcenter, Company, Consultant, Jobcenter, JobcenterKind

#: How alike a text must be to a jobcenter's name to mean it (difflib ratio, casefolded).
NAME_CUTOFF = 0.85

#: The longest name a unit may have (the width of ``jobcenter.name``).
UNIT_NAME_MAX = 120


def unit_notice(name: str) -> str:
    """What to tell the user when a unit that is not a municipality was created."""
    return (
        f"{name!r} er ikke en dansk kommune. Den er oprettet som en enhed uden kommune og "
        f"region (fx en national enhed eller en ekstern mødebooker); dens besøg står under "
        f"'{geography.NO_AREA}' i rapporter pr. område."
    )


def spelling_notice(text: str, official: str) -> str | None:
    """What to tell the user when ``text`` was read as municipality ``official`` although
    it is no spelling of it (a typo), or None when it is one."""
    if geography.municipality_name(text) is not None:
        return None
    return f"{text.strip()!r} er ikke stavet som en kommune; læst som {official}."


def reading_notice(text: str, jc: Jobcenter) -> str | None:
    """What to tell the user when :func:`find_jobcenter` read ``text`` as ``jc`` by a
    close match (a typo of a municipality or of a unit's name); None when ``text`` is
    the jobcenter's name or a spelling of its municipality."""
    if jobcenter_named_text(text, jc.name):
        return None
    if jc.municipality is not None:
        return spelling_notice(text, jc.municipality)
    return f"{text.strip()!r} er læst som {jc.name!r}."


def jobcenter_named_text(text: str, name: str) -> bool:
    """Whether ``text`` is ``name`` by rule 1 (the name, or it without "Jobcenter "),
    ignoring case."""
    text = text.strip().casefold()
    return name.casefold() in (text, f"jobcenter {text}")


def _close_name(session: Session, text: str) -> Jobcenter | None:
    names = {n.casefold(): n for n in session.exec(select(Jobcenter.name)).all()}
    match = difflib.get_close_matches(text.casefold(), names, n=1, cutoff=NAME_CUTOFF)
    if not match:
        return None
    return session.exec(select(Jobcenter).where(Jobcenter.name == names[match[0]])).first()


def jobcenter_named(*, session: Session, text: str) -> Jobcenter | None:
    """The jobcenter whose name is ``text``, or ``"Jobcenter <text>"`` (rule 1)."""
    text = text.strip()
    names = [text] if text.casefold().startswith("jobcenter") else [text, f"Jobcenter {text}"]
    for name in names:
        jc = session.exec(select(Jobcenter).where(Jobcenter.name == name)).first()
        if jc is not None:
            return jc
    return None


def find_jobcenter(
    *, session: Session, text: str, create: bool = True, allow_unit: bool = False
) -> Jobcenter:
    """The jobcenter ``text`` names (see the module doc for the rule)."""
    text = text.strip()
    jc = jobcenter_named(session=session, text=text)
    if jc is not None:
        return jc
    official = geography.closest_municipality(text)
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
                kind=JobcenterKind.MUNICIPAL,
                municipality=official,
                municipality_code=geography.municipality_code(official),
                rar_area=geography.rar_area(official),
            )
            session.add(jc)
            session.flush()
            return jc
    else:
        jc = _close_name(session, text)
        if jc is not None:
            return jc
        if allow_unit and create and text:
            if len(text) > UNIT_NAME_MAX:
                # Cut to the column's width it could equal a unit that exists (found
                # by the fuzzing: a second long name of the same start crashed the
                # import); a name that long is no unit's name, so it is refused.
                raise NotFound(
                    f"{text[:40]!r}… er ikke en dansk kommune, og som navn på en enhed "
                    f"er teksten for lang ({len(text)} tegn, højst {UNIT_NAME_MAX}).",
                    hint="Skriv kommunens navn (fx Køge) eller enhedens navn.",
                )
            jc = Jobcenter(name=text, kind=JobcenterKind.UNIT)
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
    *, session: Session, campaign_id: int, jobcenter_id: int, lock: bool = False
) -> CampaignJobcenter:
    """The jobcenter's part of the campaign (created on first use).

    ``lock``: read it ``FOR UPDATE`` (PostgreSQL; SQLite serialises writes anyway) and
    fresh, even if this session has it already: a sign-off waits for the decisions
    being made (they hold it ``FOR SHARE``, :func:`.lists.clearing.require_open`) and
    makes later ones wait for it.
    """
    query = select(CampaignJobcenter).where(
        CampaignJobcenter.campaign_id == campaign_id,
        CampaignJobcenter.jobcenter_id == jobcenter_id,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    cj = session.exec(query).first()
    if cj is None:
        cj = CampaignJobcenter(campaign_id=campaign_id, jobcenter_id=jobcenter_id)
        session.add(cj)
        session.flush()
    return cj


def area_of(jc: Jobcenter, scheme: geography.AreaScheme) -> str:
    """The jobcenter's area in ``scheme`` (a unit, or an unknown municipality: NO_AREA)."""
    if jc.kind == JobcenterKind.UNIT:
        return geography.NO_AREA
    return scheme.area(geography.jobcenter_code(jc.municipality_code, jc.municipality))


@dataclass(frozen=True)
class JobcenterRow:
    jobcenter: Jobcenter
    consultants: int
    companies: int
    areas: dict[str, str]  # scheme key -> area


def list_jobcenters(*, session: Session) -> list[JobcenterRow]:
    """Every jobcenter and unit by name, with its consultants, companies and its area in
    each scheme."""
    consultants = dict(
        session.execute(
            sa.select(col(Consultant.jobcenter_id), func.count()).group_by(
                col(Consultant.jobcenter_id)
            )
        ).all()
    )
    companies = dict(
        session.execute(
            sa.select(col(Company.jobcenter_id), func.count()).group_by(col(Company.jobcenter_id))
        ).all()
    )
    return [
        JobcenterRow(
            jc,
            int(consultants.get(jc.id, 0)),
            int(companies.get(jc.id, 0)),
            {key: area_of(jc, scheme) for key, scheme in geography.SCHEMES.items()},
        )
        for jc in session.exec(select(Jobcenter).order_by(col(Jobcenter.name))).all()
    ]
