"""Sign-off: the jobcenter freezes its part of the list; only a signed-off list is called.

Invariants: signing off turns every pending company into a decision (kept unless a
removal was proposed) and bumps the list version; it is refused while proposals are
unreviewed unless forced, and a forced sign-off is audited as such. Reopening undoes the
sign-off (calling stops) but keeps the decisions and the version. The status per
jobcenter is counted in the database (one GROUP BY), never by loading the companies.

A company on the do-not-call register (``Company.blocked_id``, :mod:`phoner.core.blocks`)
is in the state *spærret* whatever clearing decided: it is never called, so it is counted
for itself, and a removal proposed for it does not hold up the sign-off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from phoner.core import audit
from phoner.core.errors import (
    ActorMissing,
    AlreadySignedOff,
    Conflict,
    EmptyList,
    InvalidInput,
    UnreviewedProposals,
)
from phoner.core.jobcenters import campaign_jobcenter
from phoner.core.lists.clearing import clearing_companies, local_stamp
from phoner.core.models import (
    Campaign,
    CampaignJobcenter,
    ClearingState,
    Company,
    DoNotCall,
    Jobcenter,
    Round,
    utcnow,
)


@dataclass(frozen=True)
class SignOffResult:
    jobcenter: str
    list_version: int
    kept: int
    removed: int
    forced: bool
    unreviewed_proposals: int
    out_of_target: int = 0  # not counted in kept/removed: never called anyway
    blocked: int = 0  # on the do-not-call register: not counted in kept/removed either


def sign_off(
    *,
    session: Session,
    campaign: Campaign,
    jobcenter: Jobcenter,
    by: str,
    force: bool = False,
    reason: str | None = None,
) -> SignOffResult:
    """Freeze the jobcenter's part of the list; only a signed-off list is called.

    Pending companies become decisions: kept unless a removal was proposed. Without
    ``force`` the sign-off is refused while proposals are unreviewed (but for those of
    blocked companies, never called anyway); ``force`` signs off anyway (proposals become
    removals) and is audited as forced.
    """
    assert campaign.id is not None and jobcenter.id is not None
    if not by.strip():
        raise ActorMissing("Angiv hvem der godkender listen.")
    cj = campaign_jobcenter(
        session=session, campaign_id=campaign.id, jobcenter_id=jobcenter.id, lock=True
    )
    if cj.signed_off_at is not None:
        raise AlreadySignedOff(
            f"{jobcenter.name} har allerede godkendt sin liste (version {cj.list_version}, "
            f"{local_stamp(cj.signed_off_at)} af {cj.signed_off_by})."
        )
    companies = clearing_companies(
        session=session, campaign_id=campaign.id, jobcenter_id=jobcenter.id
    )
    if not companies and not force:
        raise EmptyList(f"{jobcenter.name} har ingen virksomheder i kampagnen {campaign.name!r}.")
    unreviewed = [
        c
        for c in companies
        if c.clearing_state == ClearingState.PENDING
        and c.clearing_proposal
        and c.blocked_id is None  # never called, whatever the jobcenter decides
    ]
    if unreviewed and not force:
        raise UnreviewedProposals(
            f"{len(unreviewed)} virksomheder hos {jobcenter.name} er foreslået fjernet, men "
            "ikke gennemgået (fx " + ", ".join(c.name for c in unreviewed[:3]) + ")."
        )
    now = utcnow()
    kept = removed = out_of_target = blocked = 0
    for c in companies:
        if c.clearing_state == ClearingState.PENDING:
            c.clearing_state = (
                ClearingState.REMOVE if c.clearing_proposal is not None else ClearingState.KEEP
            )
            c.updated_at = now
            session.add(c)
        st = state_of(c)  # the same one state as jobcenter_status counts
        kept += st == "behold"
        removed += st == "fjern"
        out_of_target += st == "uden_for_maalgruppe"
        blocked += st == "spaerret"
    cj.signed_off_at = now
    cj.signed_off_by = by.strip()
    cj.forced = force
    cj.list_version += 1
    session.add(cj)
    audit.record(
        session,
        actor=by.strip(),
        action="list_sign_off_forced" if force else "list_sign_off",
        entity="campaign_jobcenter",
        entity_id=cj.id,
        campaign_id=campaign.id,
        new={
            "jobcenter": jobcenter.name,
            "list_version": cj.list_version,
            "kept": kept,
            "removed": removed,
            "forced": force,
            "unreviewed_proposals": len(unreviewed),
            "out_of_target": out_of_target,
            "blocked": blocked,
        },
        reason=reason or ("godkendt med tvang" if force else None),
    )
    session.flush()
    return SignOffResult(
        jobcenter.name,
        cj.list_version,
        kept,
        removed,
        force,
        len(unreviewed),
        out_of_target,
        blocked,
    )


def reopen(
    *,
    session: Session,
    campaign: Campaign,
    jobcenter: Jobcenter,
    by: str,
    reason: str | None = None,
) -> CampaignJobcenter:
    """Undo a sign-off so the list can be changed; calling stops until it is signed again."""
    assert campaign.id is not None and jobcenter.id is not None
    cj = campaign_jobcenter(
        session=session, campaign_id=campaign.id, jobcenter_id=jobcenter.id, lock=True
    )
    if cj.signed_off_at is None:
        raise Conflict(f"{jobcenter.name}s liste er ikke godkendt, så den er allerede åben.")
    old = {"signed_off_at": cj.signed_off_at.isoformat(), "signed_off_by": cj.signed_off_by}
    cj.signed_off_at = None
    cj.signed_off_by = None
    cj.forced = False
    session.add(cj)
    audit.record(
        session,
        actor=by.strip() or "system",
        action="list_reopen",
        entity="campaign_jobcenter",
        entity_id=cj.id,
        campaign_id=campaign.id,
        old=old,
        new={"list_version": cj.list_version},
        reason=reason,
    )
    session.flush()
    return cj


@dataclass(frozen=True)
class JobcenterStatus:
    jobcenter: str
    companies: int
    kept: int
    removed: int
    pending: int
    proposed: int
    out_of_target: int
    blocked: int
    signed_off_at: dt.datetime | None
    signed_off_by: str | None
    forced: bool
    list_version: int


def state_of(company: Company) -> str:
    """One word for a company's list state (``phoner list show --state``): on the
    do-not-call register first, then out of the target group, then clearing's state."""
    if company.blocked_id is not None:
        return "spaerret"
    if company.out_of_target is not None:
        return "uden_for_maalgruppe"
    if company.clearing_state == ClearingState.KEEP:
        return "behold"
    if company.clearing_state == ClearingState.REMOVE:
        return "fjern"
    return "foreslaaet_fjernet" if company.clearing_proposal is not None else "afventer"


LIST_STATES = (
    "afventer",
    "foreslaaet_fjernet",
    "behold",
    "fjern",
    "uden_for_maalgruppe",
    "spaerret",
)
#: How a person reads each list state (``--state`` and JSON keep the codes).
LIST_STATE_LABELS = {
    "afventer": "Afventer",
    "foreslaaet_fjernet": "Foreslået fjernet",
    "behold": "Behold",
    "fjern": "Fjern",
    "uden_for_maalgruppe": "Uden for målgruppen",
    "spaerret": "Spærret",
}


def list_companies(
    *,
    session: Session,
    campaign: Campaign,
    jobcenter: Jobcenter | None = None,
    states: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """The campaign's companies as plain dicts (the ``list show --json`` shape)."""
    assert campaign.id is not None
    wanted = set(states)
    unknown = wanted - set(LIST_STATES)
    if unknown:
        raise InvalidInput(
            f"Ukendt tilstand: {', '.join(sorted(unknown))}.",
            hint="Brug en af: " + ", ".join(LIST_STATES) + ".",
        )
    stmt = select(Company, DoNotCall.reason).outerjoin(
        DoNotCall, col(DoNotCall.id) == col(Company.blocked_id)
    )
    stmt = stmt.where(Company.campaign_id == campaign.id)
    if jobcenter is not None:
        stmt = stmt.where(Company.jobcenter_id == jobcenter.id)
    jc_names = {j.id: j.name for j in session.exec(select(Jobcenter)).all()}
    rounds = {
        r.id: r.number
        for r in session.exec(select(Round).where(Round.campaign_id == campaign.id)).all()
    }
    out: list[dict[str, Any]] = []
    for c, blocked_reason in session.exec(stmt.order_by(col(Company.name), col(Company.id))).all():
        st = state_of(c)
        if wanted and st not in wanted:
            continue
        out.append(
            {
                "id": c.id,
                "cvr": c.cvr,
                "p_number": c.p_number,
                "name": c.name,
                "phones": list(c.phones),
                "jobcenter": jc_names.get(c.jobcenter_id),
                "state": st,
                "round": rounds.get(c.round_id),
                "proposal": None if c.clearing_proposal is None else c.clearing_proposal.value,
                "note": c.clearing_note,
                "out_of_target": c.out_of_target,
                "blocked_reason": blocked_reason,  # the do-not-call register's reason
                "flags": list(c.flags),
                "employees": c.employees,
                "municipality": c.municipality,
                "call_state": c.call_state.value,
            }
        )
    return out


def list_state_clause() -> ColumnElement[str]:
    """:func:`state_of` in SQL: the one list state of each company, so every company is
    counted once (blocked, then out of the target group, whatever clearing decided)."""
    return case(
        (col(Company.blocked_id).is_not(None), "spaerret"),
        (col(Company.out_of_target).is_not(None), "uden_for_maalgruppe"),
        (col(Company.clearing_state) == ClearingState.KEEP, "behold"),
        (col(Company.clearing_state) == ClearingState.REMOVE, "fjern"),
        (col(Company.clearing_proposal).is_not(None), "foreslaaet_fjernet"),
        else_="afventer",
    )


def jobcenter_status(*, session: Session, campaign: Campaign) -> list[JobcenterStatus]:
    """Per jobcenter of the campaign, by name: counts and sign-off (one GROUP BY).

    Each company is counted in exactly one list state (:func:`state_of`), as sign-off
    counts them: ``companies == kept + removed + pending + out_of_target + blocked``,
    and
    ``proposed`` is the part of ``pending`` proposed for removal.
    """
    assert campaign.id is not None
    list_state = list_state_clause().label("list_state")
    counts: dict[int | None, dict[str, int]] = {}
    for jc_id, st, n in session.execute(
        sa.select(col(Company.jobcenter_id), list_state, func.count())
        .where(col(Company.campaign_id) == campaign.id)
        .group_by(col(Company.jobcenter_id), list_state)
    ).all():
        counts.setdefault(jc_id, {})[st] = int(n)
    out: list[JobcenterStatus] = []
    for cj, jc in session.exec(
        select(CampaignJobcenter, Jobcenter)
        .join(Jobcenter, col(Jobcenter.id) == col(CampaignJobcenter.jobcenter_id))
        .where(CampaignJobcenter.campaign_id == campaign.id)
        .order_by(col(Jobcenter.name))
    ).all():
        by_state = counts.get(jc.id, {})
        proposed = by_state.get("foreslaaet_fjernet", 0)
        out.append(
            JobcenterStatus(
                jobcenter=jc.name,
                companies=sum(by_state.values()),
                kept=by_state.get("behold", 0),
                removed=by_state.get("fjern", 0),
                pending=by_state.get("afventer", 0) + proposed,
                proposed=proposed,
                out_of_target=by_state.get("uden_for_maalgruppe", 0),
                blocked=by_state.get("spaerret", 0),
                signed_off_at=cj.signed_off_at,
                signed_off_by=cj.signed_off_by,
                forced=cj.forced,
                list_version=cj.list_version,
            )
        )
    return out
