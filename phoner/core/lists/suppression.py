"""Suppression: which new companies to propose for removal before anyone calls them.

A company is proposed for removal (never removed: the jobcenter decides in clearing) when
it is ad-protected (*reklamebeskyttet*) and the campaign has no recorded legal basis for
calling protected companies (``Campaign.protected_basis``), on the jobcenter's list of
companies it already knows (:func:`import_known`), or was contacted recently in another
campaign (a visit, or a call with a substantive outcome, within the campaign's
``recent_contact_days``). The first of these reasons that applies is the proposal. A
decided company or a signed-off list is never re-proposed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from phoner.core import audit, importing
from phoner.core.clock import local_today
from phoner.core.companies import invalid_cvr_reason
from phoner.core.display import format_date
from phoner.core.errors import InvalidInput
from phoner.core.importing import ImportResult
from phoner.core.jobcenters import find_jobcenter
from phoner.core.lists.eligibility import signed_jobcenters
from phoner.core.lists.records import FIELD_ALIASES
from phoner.core.models import (
    SUBSTANTIVE_OUTCOMES,
    Campaign,
    ClearingReason,
    ClearingState,
    Company,
    ContactHistory,
    ContactKind,
    utcnow,
)
from phoner.core.phones import cvr_is_valid, normalize_cvr
from phoner.formats.tabular import (
    REJECT_META_HEADERS,
    map_headers,
    read_table,
)


@dataclass(frozen=True)
class Proposal:
    reason: ClearingReason
    note: str


class Suppression:
    """Precomputed lookups for removal proposals (known companies, recent contacts)."""

    def __init__(self, session: Session, campaign: Campaign, today: dt.date) -> None:
        #: the campaign has a recorded legal basis for calling ad-protected companies
        self.protected_allowed = bool(campaign.protected_basis)
        self.known: dict[int | None, set[str]] = {}
        for jc_id, cvr in session.exec(
            select(ContactHistory.jobcenter_id, ContactHistory.cvr).where(
                ContactHistory.kind == ContactKind.KNOWN
            )
        ).all():
            self.known.setdefault(jc_id, set()).add(cvr)
        cutoff = today - dt.timedelta(days=campaign.recent_contact_days)
        self.recent: dict[str, tuple[dt.date, str | None, ContactKind]] = {}
        rows = session.exec(
            select(ContactHistory).where(
                col(ContactHistory.kind).in_([ContactKind.CALL, ContactKind.VISIT]),
                col(ContactHistory.contact_date) >= cutoff,
            )
        ).all()
        substantive = {o.value for o in SUBSTANTIVE_OUTCOMES}
        for h in rows:
            cvr, day, campaign_name, kind, outcome = (
                h.cvr,
                h.contact_date,
                h.campaign_name,
                h.kind,
                h.outcome,
            )
            if campaign_name == campaign.name:
                continue  # this campaign's own calls are not "another contact"
            if kind == ContactKind.CALL and outcome not in substantive:
                continue
            best = self.recent.get(cvr)
            if best is None or day > best[0]:
                self.recent[cvr] = (day, campaign_name, kind)

    def propose(
        self, *, cvr: str | None, jobcenter_id: int | None, ad_protected: bool
    ) -> Proposal | None:
        if ad_protected and not self.protected_allowed:
            return Proposal(ClearingReason.REKLAMEBESKYTTET, "Reklamebeskyttet i CVR-registret")
        if cvr and cvr in self.known.get(jobcenter_id, ()):
            return Proposal(
                ClearingReason.KENDT_VIRKSOMHED, "På jobcentrets liste over kendte virksomheder"
            )
        if cvr and cvr in self.recent:
            day, campaign_name, kind = self.recent[cvr]
            what = "besøgt" if kind == ContactKind.VISIT else "kontaktet"
            where = f" i kampagnen {campaign_name}" if campaign_name else ""
            return Proposal(
                ClearingReason.KONTAKTET_FOR_NYLIG, f"{what.capitalize()} {format_date(day)}{where}"
            )
        return None


@dataclass(kw_only=True)
class KnownResult(ImportResult):
    added: int = 0  # new CVR numbers on the jobcenter's list of known companies
    proposed: int = 0  # companies (in open campaigns) now proposed for removal


def import_known(
    *,
    session: Session,
    path: Path,
    jobcenter: str,
    actor: str = "system",
    sheet: str | None = None,
    rejects_path: Path | None = None,
    today: dt.date | None = None,
) -> KnownResult:
    """Store a jobcenter's list of companies it already works with (a CVR column).

    They are remembered across campaigns (contact history of kind ``known``) and proposed
    for removal (*kendt virksomhed*) wherever that jobcenter has not yet decided on them.
    """
    today = today or local_today()
    jc = find_jobcenter(session=session, text=jobcenter)
    table = read_table(path, sheet=sheet)
    hmap = map_headers(table.headers, {"cvr": FIELD_ALIASES["cvr"]}, ignore=REJECT_META_HEADERS)
    idx = hmap.index("cvr")
    if idx is None:
        if len(table.headers) == 1:
            idx = 0
        else:
            raise InvalidInput(
                f"{path}: filen har ingen CVR-kolonne.",
                hint="Kolonnerne i filen er: " + ", ".join(repr(h) for h in table.headers) + ".",
            )
    known = set(
        session.exec(
            select(ContactHistory.cvr).where(
                ContactHistory.kind == ContactKind.KNOWN, ContactHistory.jobcenter_id == jc.id
            )
        ).all()
    )
    result = KnownResult()
    importing.start(table, result)
    cvrs: set[str] = set()
    for row in table.rows:
        raw = row.get(idx)
        cvr = normalize_cvr(raw)
        if cvr is None:
            result.reject(row, "CVR-nummer mangler")
        elif not cvr_is_valid(cvr):
            result.reject(row, invalid_cvr_reason(raw))
        else:
            cvrs.add(cvr)
    added = sorted(cvrs - known)
    for cvr in added:
        session.add(
            ContactHistory(
                cvr=cvr,
                jobcenter_id=jc.id,
                contact_date=today,
                kind=ContactKind.KNOWN,
                campaign_name=None,
            )
        )
    session.flush()
    proposed = 0
    if cvrs:
        open_campaigns = session.exec(
            select(Company).where(
                Company.jobcenter_id == jc.id,
                col(Company.cvr).in_(sorted(cvrs)),
                Company.clearing_state == ClearingState.PENDING,
            )
        ).all()
        signed_by_campaign: dict[int, set[int | None]] = {}
        # where protection is no reason (a legal basis), a known company is still proposed
        protected_ok = set(
            session.exec(select(Campaign.id).where(col(Campaign.protected_basis).is_not(None)))
        )
        for c in open_campaigns:
            signed = signed_by_campaign.get(c.campaign_id)
            if signed is None:
                signed = signed_by_campaign[c.campaign_id] = signed_jobcenters(
                    session, c.campaign_id
                )
            if c.jobcenter_id in signed or (c.ad_protected and c.campaign_id not in protected_ok):
                continue
            if c.clearing_proposal != ClearingReason.KENDT_VIRKSOMHED:
                c.clearing_proposal = ClearingReason.KENDT_VIRKSOMHED
                c.clearing_note = "På jobcentrets liste over kendte virksomheder"
                c.updated_at = utcnow()
                session.add(c)
                proposed += 1
    result.added, result.proposed = len(added), proposed
    importing.write_rejects(result, source=path, headers=table.headers, target=rejects_path)
    audit.record(
        session,
        actor=actor,
        action="known_import",
        entity="jobcenter",
        entity_id=jc.id,
        new={"file": str(path), "read": result.read, "added": len(added), "proposed": proposed},
    )
    return result
