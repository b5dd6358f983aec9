"""Companies by CVR: the one CVR normalisation, the one CVR error text, the one look-up.

A CVR is written in many ways ("12345674", "DK-1234 5674", "12 34 56 74", "12345674.0"
from Excel); :func:`phoner.core.phones.normalize_cvr` turns every way into its 8 digits and
everything here goes through it. A CVR is valid when it has 8 digits and a valid check
digit (:func:`phoner.core.phones.cvr_is_valid`); an invalid one is always reported with
:func:`invalid_cvr_reason`.

A CVR can be on a campaign's list more than once (branches with their own P-number, or
one company in two rounds); :func:`companies_with_cvr` gives all of them, by id, and
:func:`company_by_cvr` the first.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from phoner.core.errors import CompanyNotFound, InvalidInput
from phoner.core.models import Campaign, Company
from phoner.core.phones import cvr_is_valid, normalize_cvr

#: What a valid CVR is, in Danish (for messages and hints).
CVR_RULE = "8 cifre med gyldigt kontrolciffer"


def invalid_cvr_reason(raw: str) -> str:
    """The Danish reason a CVR cell or option is refused."""
    return f"Ugyldigt CVR-nummer {raw!r} ({CVR_RULE})"


def check_cvr(raw: str | None) -> str | None:
    """The normalised CVR in ``raw``, None when empty; InvalidInput when it is invalid."""
    cvr = normalize_cvr(raw)
    if cvr is not None and not cvr_is_valid(cvr):
        raise InvalidInput(invalid_cvr_reason(raw or ""), hint=f"Et CVR-nummer er {CVR_RULE}.")
    return cvr


def valid_cvr(raw: str | None) -> str:
    """The normalised CVR in ``raw``; InvalidInput when it is empty or invalid."""
    cvr = check_cvr(raw)
    if cvr is None:
        raise InvalidInput(
            "CVR-nummer mangler.", hint=f"Skriv virksomhedens CVR-nummer ({CVR_RULE})."
        )
    return cvr


def companies_with_cvr(*, session: Session, campaign_id: int, cvr: str) -> list[Company]:
    """The companies on the campaign's list with ``cvr`` (any spelling), by id."""
    number = normalize_cvr(cvr)
    if number is None:
        return []
    return list(
        session.exec(
            select(Company)
            .where(Company.campaign_id == campaign_id, Company.cvr == number)
            .order_by(col(Company.id))
        ).all()
    )


def company_by_cvr(*, session: Session, campaign: Campaign, cvr: str) -> Company:
    """The company with ``cvr`` on the campaign's list (the first, if it is there twice).

    InvalidInput for an invalid CVR, NotFound when no company on the list has it.
    """
    assert campaign.id is not None
    number = valid_cvr(cvr)
    found = companies_with_cvr(session=session, campaign_id=campaign.id, cvr=number)
    if not found:
        raise CompanyNotFound(
            f"CVR {number} er ikke på listen i kampagnen {campaign.name!r}.",
            hint="Tjek CVR-nummeret.",
        )
    return found[0]


def cvr_index(*, session: Session, campaign_id: int) -> dict[str, list[tuple[int, int | None]]]:
    """Every CVR on the campaign's list -> its companies as (id, round id), by id."""
    out: dict[str, list[tuple[int, int | None]]] = {}
    rows = session.exec(
        select(Company.id, Company.cvr, Company.round_id)
        .where(Company.campaign_id == campaign_id, col(Company.cvr).is_not(None))
        .order_by(col(Company.id))
    ).all()
    for cid, cvr, round_id in rows:
        if cid is not None and cvr is not None:
            out.setdefault(cvr, []).append((cid, round_id))
    return out
