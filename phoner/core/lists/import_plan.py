"""What a list import writes, and the writing of any part of it.

:func:`phoner.core.lists.importer.plan_import` decides everything from one snapshot of
the list, without the write lock: a :class:`Plan` of units, each a new company (with its
targeting rule and removal proposal) or a change of a company already on the list, in
file order. :func:`write_units` writes some of them in the caller's transaction: all of
them for :func:`~phoner.core.lists.importer.import_list`, a batch at a time for
:func:`phoner.core.lists.import_run.run_import`.

Between the snapshot and a batch the list can change; each batch checks, in its own
transaction, what it relies on: a jobcenter that has signed off since gets no new
companies (its rows are rejected, as they would have been at planning); a field of an
existing company that someone changed since is left as they set it; a company that
another import added since is merged into, never added a second time. The audit entries
are those of a one-transaction import: one ``list_merge`` per changed company and per
row merged into another row of the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from phoner.core import audit
from phoner.core.blocks import BlockedCompany
from phoner.core.importing import ImportResult
from phoner.core.jobcenters import campaign_jobcenter
from phoner.core.lists.bulk_insert import NewCompany, insert_companies, new_ids
from phoner.core.lists.dedupe import Batch, Merge, Ref, merge
from phoner.core.lists.records import CompanyRecord
from phoner.core.lists.suppression import Suppression
from phoner.core.lists.targeting import TargetRules
from phoner.core.models import Campaign, CampaignJobcenter, Company, Jobcenter
from phoner.formats.tabular import Row, Table

#: Runs ``make(session)`` in a write transaction and returns its id: how the parser
#: creates a jobcenter or a planned round it meets (in the import's own session for
#: ``import_list``, in a short write transaction of its own for a batched import).
Creator = Callable[[Callable[[Session], int]], int]


@dataclass(kw_only=True)
class ImportSummary(ImportResult):
    """What an import did. ``to_json`` gives the machine-readable shape of the CLI.

    ``read``: data rows in the file (blank lines are not rows); ``imported``: new
    companies; ``merged_duplicates``: rows merged into a company already on the list or
    earlier in the file (a re-import merges every row); ``rejected``: rows refused, each
    with its line and reason in ``rejects`` and the rejects file; always
    ``imported + merged_duplicates + rejected == read``. ``flagged``: companies this import
    created or merged into that carry a flag for clearing (:data:`FLAG_LABELS`).
    ``blocked``: the campaign's companies on the do-not-call register after the import
    (kept on the list, never handed out), each with the register's reason.

    A batched import (:mod:`.import_run`) also has its ``import_id``; ``resumed_rows`` is
    how many rows an earlier, interrupted run of it had written (0: not a resumed run);
    ``same_file_as`` names an earlier finished import of the same file.
    """

    imported: int = 0
    merged_duplicates: int = 0
    flagged: int = 0
    out_of_target: int = 0
    proposed_removal: int = 0
    jobcenters: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    import_id: int | None = None
    resumed_rows: int = 0
    same_file_as: int | None = None
    #: the campaign's companies the do-not-call register blocks (kept, never callable)
    blocked: list[BlockedCompany] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "imported": self.imported,
            "merged_duplicates": self.merged_duplicates,
            "rejected": self.rejected,
            "flagged": self.flagged,
            "blocked": len(self.blocked),
            "rejects_file": None if self.rejects_file is None else str(self.rejects_file),
        }


@dataclass
class Plan:
    """What an import will write, decided from one snapshot of the list.

    ``units``: the companies to write in file order, each with the position (0-based
    data row) of its first line: ``("new", index in batch.new)`` or ``("old", company
    id)``; ``old_changes``: the planned (old values, new values) of each changed company;
    ``watermark``: the highest company id at the snapshot (companies above it that this
    import did not write were added by someone else since).
    """

    campaign_id: int
    path: Path
    table: Table
    batch: Batch
    summary: ImportSummary
    new_rows: list[NewCompany]
    fixed_jc_id: int | None
    units: list[tuple[int, Ref]]
    old_changes: dict[int, tuple[dict[str, Any], dict[str, Any]]]
    watermark: int
    #: the Danish reason a row of a signed-off jobcenter is rejected (jobcenter name ->)
    signed_off_reason: Callable[[str], str]
    _merges: dict[Ref, list[Merge]] | None = None
    _rows: dict[int, Row] | None = None
    _newcomers: dict[int, Company] = field(default_factory=dict)

    def merges_into(self, ref: Ref) -> list[Merge]:
        """The rows of the file merged into the company ``ref``."""
        if self._merges is None:
            self._merges = {}
            for m in self.batch.merges:
                self._merges.setdefault(m.ref, []).append(m)
        return self._merges.get(ref, [])

    def row(self, line: int) -> Row:
        if self._rows is None:
            self._rows = {r.line: r for r in self.table.rows}
        return self._rows[line]


@dataclass
class Written:
    """What one call of :func:`write_units` wrote."""

    imported: int = 0
    out_of_target: int = 0
    proposed_removal: int = 0


def decide_new(
    session: Session, batch: Batch, campaign: Campaign, today: dt.date
) -> list[NewCompany]:
    """Targeting and removal proposal of every new company of ``batch`` (reads only)."""
    suppression = Suppression(session, campaign, today)
    targeting = TargetRules(campaign)
    rows: list[NewCompany] = []
    for rec in batch.new:
        rule = targeting.rule(
            employees=rec.employees,
            municipality=rec.municipality,
            industry_code=rec.industry_code,
        )
        proposal = suppression.propose(
            cvr=rec.cvr, jobcenter_id=rec.jobcenter_id, ad_protected=rec.ad_protected
        )
        rows.append((rec, rule, proposal))
    return rows


def write_units(
    session: Session, plan: Plan, refs: Iterable[Ref], *, actor: str, now: dt.datetime
) -> Written:
    """Write the units ``refs`` of ``plan`` in ``session`` (which is not committed)."""
    # PostgreSQL: import batches into one campaign take turns (SQLite's write lock does
    # that already), so a batch sees every company an earlier batch of any import added.
    session.exec(select(Campaign.id).where(Campaign.id == plan.campaign_id).with_for_update())
    _see_newcomers(session, plan)
    new = [i for kind, i in refs if kind == "new"]
    old = [i for kind, i in refs if kind == "old"]
    written = Written()
    accepted = _accept_new(session, plan, new, actor=actor, now=now)
    rows = [plan.new_rows[i] for i in accepted]
    if rows:
        insert_companies(session, rows, campaign_id=plan.campaign_id, now=now)
        plan.watermark = _max_id(session, plan.campaign_id)
    for _rec, rule, proposal in rows:
        written.imported += 1
        written.out_of_target += rule is not None
        written.proposed_removal += proposal is not None
    _audit_merged_rows(session, plan, accepted, actor=actor)
    companies = session.exec(select(Company).where(col(Company.id).in_(old))).all() if old else []
    with session.no_autoflush:
        for company in companies:  # one deleted since the plan is not merged into
            assert company.id is not None
            merges = plan.merges_into(("old", company.id))
            changes = plan.old_changes[company.id]
            _apply(session, plan, company, changes, merges, actor, now)
    return written


# --------------------------------------------------------------------------- steps


def _max_id(session: Session, campaign_id: int) -> int:
    ids = session.exec(
        select(Company.id)
        .where(Company.campaign_id == campaign_id)
        .order_by(col(Company.id).desc())
        .limit(1)
    ).first()
    return ids or 0


def _see_newcomers(session: Session, plan: Plan) -> None:
    """Remember the companies others added to the campaign since the plan last looked."""
    added = session.exec(
        select(Company).where(
            Company.campaign_id == plan.campaign_id, col(Company.id) > plan.watermark
        )
    ).all()
    for c in added:
        assert c.id is not None
        plan._newcomers[c.id] = c
        plan.watermark = max(plan.watermark, c.id)


def _accept_new(
    session: Session, plan: Plan, new: list[int], *, actor: str, now: dt.datetime
) -> list[int]:
    """The new companies to insert: not those of a jobcenter that has signed off since
    the plan (their rows are rejected), nor those another import added meanwhile (they
    are merged into that company)."""
    if not new:
        return []
    jc_ids = {plan.batch.new[i].jobcenter_id for i in new} - {None}
    parts = session.exec(
        select(CampaignJobcenter, Jobcenter.name)
        .join(Jobcenter, col(Jobcenter.id) == col(CampaignJobcenter.jobcenter_id))
        .where(
            CampaignJobcenter.campaign_id == plan.campaign_id,
            col(CampaignJobcenter.jobcenter_id).in_(jc_ids),
        )
        .with_for_update(of=CampaignJobcenter)  # PostgreSQL: no sign-off during the batch
    ).all()
    signed = {cj.jobcenter_id: name for cj, name in parts if cj.signed_off_at is not None}
    for jc_id in jc_ids - {cj.jobcenter_id for cj, _ in parts}:
        assert jc_id is not None
        campaign_jobcenter(session=session, campaign_id=plan.campaign_id, jobcenter_id=jc_id)
    others = Batch(plan._newcomers.values()) if plan._newcomers else None
    accepted: list[int] = []
    for i in new:
        rec = plan.batch.new[i]
        merged = plan.merges_into(("new", i))
        if rec.jobcenter_id in signed:
            reason = plan.signed_off_reason(signed[rec.jobcenter_id])
            for line in [plan.batch.new_lines[i], *(m.line for m in merged)]:
                plan.summary.reject(plan.row(line), reason)
            continue
        ref = others.match(rec) if others is not None else None
        if ref is None:
            accepted.append(i)
            continue
        company = plan._newcomers[ref[1]]
        target = CompanyRecord.from_company(company)
        conflicts = merge(target, rec)
        old_values, new_values = target.changes(CompanyRecord.from_company(company))
        line_merge = Merge(("old", ref[1]), plan.batch.new_lines[i], conflicts)
        changes = (old_values, new_values)
        _apply(session, plan, company, changes, [line_merge, *merged], actor, now)
    return accepted


def _audit_merged_rows(session: Session, plan: Plan, accepted: list[int], *, actor: str) -> None:
    """One entry per row merged into another (now inserted) row of the file."""
    pairs = [(m, i) for i in accepted for m in plan.merges_into(("new", i))]
    if not pairs:
        return
    batch = plan.batch
    ids = new_ids(session, plan.campaign_id, [batch.new[i] for _, i in pairs])
    for (m, i), cid in zip(pairs, ids, strict=True):
        audit.record(
            session,
            actor=actor,
            action="list_merge",
            entity="company",
            entity_id=cid,
            campaign_id=plan.campaign_id,
            new=jsonable({"linje": m.line, "konflikter": m.conflicts}),
            reason=f"{plan.path.name}: linje {m.line} er en dublet af linje "
            f"{batch.new_lines[i]}, flettet sammen",
        )


def _apply(
    session: Session,
    plan: Plan,
    company: Company,
    changes: tuple[dict[str, Any], dict[str, Any]],
    merges: list[Merge],
    actor: str,
    now: dt.datetime,
) -> None:
    """Set the planned new values on ``company`` where it still holds the planned old
    value (what someone changed since the plan stays), audited as a ``list_merge``."""
    old_values, new_values = changes
    applied_old: dict[str, Any] = {}
    applied_new: dict[str, Any] = {}
    for k, v in new_values.items():
        if getattr(company, k) == old_values[k]:
            setattr(company, k, v)
            applied_old[k], applied_new[k] = old_values[k], v
    if not applied_new:
        return
    company.updated_at = now
    session.add(company)
    lines = [m.line for m in merges]
    conflicts = {k: v for m in merges for k, v in m.conflicts.items()}
    audit.record(
        session,
        actor=actor,
        action="list_merge",
        entity="company",
        entity_id=company.id,
        campaign_id=plan.campaign_id,
        old=jsonable(applied_old),
        new=jsonable({**applied_new, "konflikter": conflicts})
        if conflicts
        else jsonable(applied_new),
        reason=f"{plan.path.name}: "
        + (f"linje {', '.join(map(str, lines))} flettet ind" if lines else "delt telefonnummer"),
    )


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
