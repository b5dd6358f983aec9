"""Clearing: the jobcenter's keep/remove decision on each company, and the clearing sheet.

Invariants: a decision is audited with who made it; a signed-off list takes no decision
until the jobcenter reopens it (:func:`require_open`); a pending company counts as kept
unless a removal was proposed (:func:`effective_keep`, the rule sign-off applies). A
returned sheet changes only the rows whose decision changed; a bad row (unknown company,
edited key columns, unknown word, signed-off list) is reported, never applied.

A company on the do-not-call register (``Company.blocked_id``) is marked on the sheet
(:data:`BLOCKED_LABEL`, with the register's reason) so the jobcenter knows it will not be
called; the jobcenter's decision on it is still recorded, but never lifts the block (only
a coordinator does, :func:`phoner.core.blocks.lift_blocks`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, select

from phoner.core import audit, importing, vocabulary
from phoner.core.display import format_stamp
from phoner.core.errors import ActorMissing, AlreadySignedOff, NotAClearingSheet
from phoner.core.importing import ImportResult
from phoner.core.lists.eligibility import signed_jobcenters
from phoner.core.lists.records import FLAG_LABELS
from phoner.core.models import (
    Campaign,
    CampaignJobcenter,
    ClearingReason,
    ClearingState,
    Company,
    DoNotCall,
    Jobcenter,
    utcnow,
)
from phoner.core.phones import format_phone, normalize_cvr
from phoner.formats.tabular import Reject, map_headers, read_table, write_xlsx

#: Decision -> how the clearing sheet writes it (:func:`vocabulary.decision_label`).
DECISION_LABELS: dict[ClearingState, str] = {s: vocabulary.decision_label(s) for s in ClearingState}
_DECISIONS = (ClearingState.KEEP, ClearingState.REMOVE)
#: What the Forslag column says of a company on the do-not-call register.
BLOCKED_LABEL = "Spærret (frabeder sig henvendelser)"
CLEARING_HEADERS = [
    "Nr.",
    "CVR-nr.",
    "P-nr.",
    "Firmanavn",
    "Telefon",
    "Kontaktperson",
    "E-mail",
    "Adresse",
    "Postnr.",
    "By",
    "Kommune",
    "Branchekode",
    "Branche",
    "Antal ansatte",
    "Bemærkninger",
    "Uden for målgruppe",
    "Forslag",
    "Forslagets begrundelse",
    "Beslutning",
    "Begrundelse",
]
_CLEARING_ALIASES: dict[str, list[str]] = {
    "id": ["Nr.", "Nr", "Id"],
    "cvr": ["CVR-nr.", "CVR"],
    "decision": ["Beslutning", "Decision"],
    "reason": ["Begrundelse", "Reason"],
}


def decision_label(company: Company) -> str:
    """The decision as the jobcenter sees it: Behold / Fjern / ''."""
    return DECISION_LABELS[company.clearing_state]


def proposal_label(company: Company) -> str:
    """The proposal as the jobcenter sees it; a blocked company is never called, so the
    register says it before any proposal."""
    if company.blocked_id is not None:
        return BLOCKED_LABEL
    if company.clearing_proposal is None:
        return ""
    return f"Fjern ({company.clearing_proposal.label.lower()})"


def effective_keep(company: Company) -> bool:
    """Would the company be called if the list were signed off now?"""
    if company.clearing_state == ClearingState.PENDING:
        return company.clearing_proposal is None
    return company.clearing_state == ClearingState.KEEP


def clearing_companies(
    *,
    session: Session,
    campaign_id: int,
    jobcenter_id: int,
    proposal: ClearingReason | Literal["any"] | None = "any",
    state: ClearingState | None = None,
) -> list[Company]:
    """A jobcenter's companies for review (TUI clearing screen, export), by name.

    ``proposal``: ``"any"`` for all, ``None`` for those without a proposal, or one reason.
    """
    stmt = select(Company).where(
        Company.campaign_id == campaign_id, Company.jobcenter_id == jobcenter_id
    )
    if proposal != "any":
        stmt = stmt.where(
            col(Company.clearing_proposal).is_(None)
            if proposal is None
            else col(Company.clearing_proposal) == proposal
        )
    if state is not None:
        stmt = stmt.where(Company.clearing_state == state)
    return list(session.exec(stmt.order_by(col(Company.name), col(Company.id))).all())


@dataclass(frozen=True)
class ClearingRow:
    """One company as the clearing review shows it (plain values: no ORM row leaves core)."""

    id: int
    cvr: str | None
    name: str
    phones: tuple[str, ...]
    employees: int | None
    state: ClearingState
    proposal: ClearingReason | None
    #: "Fjern (reklamebeskyttet)" for a proposal, "" without one (:func:`proposal_label`)
    proposal_label: str
    note: str | None
    out_of_target: str | None
    flags: tuple[str, ...]
    #: Would the company be called if the list were signed off now (:func:`effective_keep`,
    #: and neither on the do-not-call register nor outside the target group)
    keep: bool
    #: The one list state ``phoner list status`` counts it in
    #: (:func:`phoner.core.lists.signoff.state_of`: "spaerret" for a blocked company)
    list_state: str


def clearing_rows(
    *,
    session: Session,
    campaign_id: int,
    jobcenter_id: int,
    proposal: ClearingReason | Literal["any"] | None = "any",
) -> list[ClearingRow]:
    """:func:`clearing_companies` as frozen rows (the TUI's clearing screen)."""
    from phoner.core.lists.signoff import state_of  # signoff builds on this module

    rows = []
    for c in clearing_companies(
        session=session, campaign_id=campaign_id, jobcenter_id=jobcenter_id, proposal=proposal
    ):
        assert c.id is not None
        list_state = state_of(c)
        rows.append(
            ClearingRow(
                id=c.id,
                cvr=c.cvr,
                name=c.name,
                phones=tuple(c.phones),
                employees=c.employees,
                state=c.clearing_state,
                proposal=c.clearing_proposal,
                proposal_label=proposal_label(c),
                note=c.clearing_note,
                out_of_target=c.out_of_target,
                flags=tuple(c.flags),
                keep=effective_keep(c) and list_state not in ("spaerret", "uden_for_maalgruppe"),
                list_state=list_state,
            )
        )
    return rows


def require_open(session: Session, campaign_id: int, jobcenter_id: int | None) -> None:
    """Refuse (:class:`Conflict`) a change to a jobcenter's signed-off list."""
    if jobcenter_id is None:
        return
    cj = session.exec(
        select(CampaignJobcenter)
        .where(
            CampaignJobcenter.campaign_id == campaign_id,
            CampaignJobcenter.jobcenter_id == jobcenter_id,
        )
        # PostgreSQL: FOR SHARE, so a sign-off (FOR UPDATE) waits for this change, and this
        # check waits for a sign-off being committed and then sees it
        .with_for_update(read=True)
    ).first()
    if cj is not None and cj.signed_off_at is not None:
        jc = session.get(Jobcenter, jobcenter_id)
        raise AlreadySignedOff(
            f"{jc.name if jc else 'Jobcentret'} har allerede godkendt sin liste "
            f"({local_stamp(cj.signed_off_at)} af {cj.signed_off_by}); den kan ikke ændres."
        )


def local_stamp(ts: dt.datetime) -> str:
    """A stored (UTC) time as Danish local ``dd.mm.yyyy HH:MM``."""
    return format_stamp(ts)


def set_decision(
    *,
    session: Session,
    company: Company,
    decision: ClearingState,
    by: str,
    reason: str | None = None,
) -> bool:
    """Record the jobcenter's keep/remove decision on a company (audited).

    Returns False when nothing changed. Refused once the jobcenter has signed off.
    """
    if not by.strip():
        raise ActorMissing("Angiv hvem der træffer beslutningen.")
    require_open(session, company.campaign_id, company.jobcenter_id)
    note = (reason or "").strip() or None
    if note is None and decision == ClearingState.REMOVE and company.clearing_proposal:
        note = company.clearing_note or company.clearing_proposal.label
    if note is not None and len(note) > 500:
        note = note[:500]
    if company.clearing_state == decision and (reason is None or company.clearing_note == note):
        return False
    old = {"state": company.clearing_state.value, "note": company.clearing_note}
    company.clearing_state = decision
    if reason is not None or decision == ClearingState.REMOVE:
        company.clearing_note = note
    company.updated_at = utcnow()
    session.add(company)
    audit.record(
        session,
        actor=by.strip(),
        action="clearing_decision",
        entity="company",
        entity_id=company.id,
        campaign_id=company.campaign_id,
        old=old,
        new={"state": decision.value, "note": company.clearing_note},
        reason=note,
    )
    return True


def clearing_export(
    *, session: Session, campaign: Campaign, jobcenter: Jobcenter, out: Path
) -> int:
    """Write the jobcenter's clearing sheet (.xlsx); returns the number of companies."""
    assert campaign.id is not None and jobcenter.id is not None
    companies = clearing_companies(
        session=session, campaign_id=campaign.id, jobcenter_id=jobcenter.id
    )
    block_ids = {c.blocked_id for c in companies if c.blocked_id is not None}
    block_reasons = (
        dict(
            session.exec(
                select(DoNotCall.id, DoNotCall.reason).where(col(DoNotCall.id).in_(block_ids))
            ).all()
        )
        if block_ids
        else {}
    )
    rows = []
    for c in companies:
        rows.append(
            [
                c.id,
                c.cvr or "",
                c.p_number or "",
                c.name,
                " / ".join(format_phone(p) for p in c.phones),
                c.contact_person or "",
                c.email or "",
                c.address or "",
                c.postcode or "",
                c.city or "",
                c.municipality or "",
                c.industry_code or "",
                c.industry or "",
                "" if c.employees is None else c.employees,
                ", ".join(FLAG_LABELS.get(f, f) for f in c.flags),
                c.out_of_target or "",
                proposal_label(c),
                block_reasons.get(c.blocked_id, "")
                if c.blocked_id is not None
                else c.clearing_note
                if c.clearing_proposal and c.clearing_state == ClearingState.PENDING
                else "",
                decision_label(c),
                c.clearing_note if c.clearing_state != ClearingState.PENDING else "",
            ]
        )
    write_xlsx(
        out,
        CLEARING_HEADERS,
        rows,
        sheet_title="Clearing",
        dropdowns={"Beslutning": [DECISION_LABELS[s] for s in _DECISIONS]},
        min_rows_validated=len(rows),
    )
    return len(rows)


@dataclass(kw_only=True)
class ClearingImportResult(ImportResult):
    """What a returned clearing sheet changed. Bad rows are ``rejects`` (also ``errors``);
    no rejects file is written: the sheet itself is what the jobcenter corrects."""

    changed: int = 0
    unchanged: int = 0
    #: Companies the sheet keeps that the do-not-call register blocks: still not called.
    still_blocked: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Reject]:
        return self.rejects


def clearing_import(
    *, session: Session, campaign: Campaign, path: Path, by: str, sheet: str | None = None
) -> ClearingImportResult:
    """Apply the decisions in a returned clearing sheet; bad rows are reported, not applied.

    A row is bad when its company is unknown (Nr./CVR), its key columns were edited (the
    CVR no longer matches the company with that Nr.), the decision word is unknown, or the
    company's jobcenter has already signed off. Empty decisions leave the company as it is.
    A decision never touches the do-not-call register: a blocked company the sheet keeps
    stays blocked (``still_blocked``).
    """
    assert campaign.id is not None
    if not by.strip():
        raise ActorMissing("Angiv hvem der har truffet beslutningerne.")
    table = read_table(path, sheet=sheet)
    hmap = map_headers(table.headers, _CLEARING_ALIASES)
    if hmap.missing(["decision"]) or (hmap.missing(["id"]) and hmap.missing(["cvr"])):
        raise NotAClearingSheet(
            f"{path} ligner ikke et clearing-ark: kolonnerne Nr./CVR-nr. og Beslutning mangler.",
            hint="Brug clearing-arket, som phoner har lavet, og behold kolonneoverskrifterne.",
        )
    companies = {
        c.id: c
        for c in session.exec(select(Company).where(Company.campaign_id == campaign.id)).all()
    }
    by_cvr = {c.cvr: c for c in companies.values() if c.cvr}
    signed = signed_jobcenters(session, campaign.id)
    result = ClearingImportResult()
    importing.start(table, result)
    i_id, i_cvr = hmap.index("id"), hmap.index("cvr")
    i_dec, i_reason = hmap.index("decision"), hmap.index("reason")
    seen: set[int] = set()
    for row in table.rows:
        raw_id, raw_cvr = row.get(i_id), row.get(i_cvr)
        cvr = normalize_cvr(raw_cvr) if raw_cvr else None
        company: Company | None
        if i_id is not None and raw_id:
            ok_id = raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18
            company = companies.get(int(raw_id)) if ok_id else None
            if company is None:
                result.errors.append(
                    Reject(row.line, f"Ukendt Nr. {raw_id!r} (ikke i kampagnen)", row.cells)
                )
                continue
            if i_cvr is not None and (cvr or None) != (company.cvr or None):
                result.errors.append(
                    Reject(
                        row.line,
                        f"CVR-nr. er ændret ({raw_cvr!r}, men Nr. {raw_id} har "
                        f"{company.cvr or 'intet CVR'}); nøglekolonnerne må ikke ændres",
                        row.cells,
                    )
                )
                continue
        elif cvr:
            company = by_cvr.get(cvr)
            if company is None:
                result.errors.append(
                    Reject(row.line, f"Ukendt CVR-nr. {raw_cvr!r} (ikke i kampagnen)", row.cells)
                )
                continue
        else:
            result.errors.append(Reject(row.line, "Rækken mangler Nr. og CVR-nr.", row.cells))
            continue
        assert company.id is not None
        if company.id in seen:
            result.errors.append(
                Reject(row.line, f"{company.name} står i arket to gange", row.cells)
            )
            continue
        seen.add(company.id)
        word = row.get(i_dec).strip()
        if not word:
            result.unchanged += 1
            continue
        try:
            decision = vocabulary.parse_decision(word)
        except vocabulary.UnknownWord:
            result.errors.append(
                Reject(
                    row.line, f"Ukendt beslutning {word!r} (skriv Behold eller Fjern)", row.cells
                )
            )
            continue
        reason = row.get(i_reason).strip() if i_reason is not None else ""
        if company.jobcenter_id in signed:
            if decision == company.clearing_state and (
                not reason or reason == company.clearing_note
            ):
                result.unchanged += 1
                continue
            result.errors.append(
                Reject(
                    row.line, "Jobcentret har allerede godkendt listen; genåbn den først", row.cells
                )
            )
            continue
        changed = set_decision(
            session=session,
            company=company,
            decision=decision,
            by=by,
            reason=reason or None,
        )
        if changed:
            result.changed += 1
        else:
            result.unchanged += 1
        if company.blocked_id is not None and decision == ClearingState.KEEP:
            result.still_blocked.append(company.name)
    session.flush()
    return result
