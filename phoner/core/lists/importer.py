"""The list import (``phoner list import``): a file of companies onto a campaign's list.

Every data row is either imported (a new company), merged into a company already on the
list or earlier in the file (:mod:`.dedupe`), or rejected with a Danish reason and its
line; ``imported + merged_duplicates + rejected == read`` always holds, and re-importing
the same file changes nothing. A jobcenter that has signed off gets no new companies.
New companies get targeting (:mod:`.targeting`) and removal proposals
(:mod:`.suppression`) and go in with one bulk insert (:mod:`.bulk_insert`); merges into
existing companies are audited field by field.

The steps: read and map the columns (:func:`_read`), turn each row into a
:class:`CompanyRecord` or a reason (:class:`_RowParser`), dedupe into a
:class:`~.dedupe.Batch` and decide what to write (:func:`plan_import`, reads only), then
write the plan (:func:`~.import_plan.write_units`: merges, new companies, the
jobcenters' parts of the campaign), the rejects file and the import's audit entry
(:func:`finish_import`). :func:`import_list` does it in the caller's transaction;
``phoner list import`` writes the plan in short batches (:mod:`.import_run`).

Performance matters here (``make bench``: the CSV import against the floor of reading the
file and parsing the phones): the row loop caches every parse of a repeated cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from phoner.core import audit, blocks, importing
from phoner.core.clock import local_today
from phoner.core.companies import invalid_cvr_reason
from phoner.core.digits import ascii_digits, count_problem
from phoner.core.errors import ColumnMissing, InvalidInput, NotFound
from phoner.core.geography import closest_municipality
from phoner.core.jobcenters import (
    campaign_jobcenter,
    find_jobcenter,
    reading_notice,
    spelling_notice,
    unit_notice,
)
from phoner.core.lists.dedupe import Batch, Ref
from phoner.core.lists.import_plan import (
    Creator,
    ImportSummary,
    Plan,
    decide_new,
    write_units,
)
from phoner.core.lists.records import (
    FIELD_ALIASES,
    FIELD_LABELS,
    CompanyRecord,
    parse_employees,
    parse_industry,
    parse_p_number,
    parse_round,
    parse_truthy,
)
from phoner.core.models import (
    Campaign,
    CampaignJobcenter,
    Company,
    Jobcenter,
    JobcenterKind,
    Round,
    RoundState,
    utcnow,
)
from phoner.core.phones import PhoneParse, cvr_is_valid, normalize_cvr, parse_phones
from phoner.formats.tabular import (
    REJECT_META_HEADERS,
    HeaderMap,
    Row,
    Table,
    gc_paused,
    map_headers,
    read_table,
)

__all__ = ["ImportSummary", "finish_import", "import_list", "parse_overrides", "plan_import"]


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``["Mobilnr=phone", ...]`` (from ``--map``) -> ``{"Mobilnr": "phone"}``."""
    out: dict[str, str] = {}
    for item in items:
        column, sep, fld = item.partition("=")
        if not sep or not column.strip() or not fld.strip():
            raise InvalidInput(
                f"Kolonnekoblingen {item!r} skal skrives kolonne=felt, fx 'Mobilnr=phone'.",
                hint="Felter: " + ", ".join(FIELD_ALIASES) + " (eller - for at springe over).",
                field="map",
            )
        out[column.strip()] = fld.strip()
    return out


@gc_paused()
def import_list(
    *,
    session: Session,
    campaign: Campaign,
    path: Path,
    jobcenter: str | None = None,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    rejects_path: Path | None = None,
    write_rejects: bool = True,
    actor: str = "system",
    today: dt.date | None = None,
) -> ImportSummary:
    """Import a company list into ``campaign`` in ``session`` (see the module doc and
    :class:`ImportSummary`): one transaction, whatever the size of the file.

    Rejected rows are written to ``rejects_path`` (default ``NAME.afviste.csv`` next to
    the file) unless ``write_rejects`` is False. ``phoner list import`` runs the same
    steps in short batches instead (:func:`phoner.core.lists.import_run.run_import`).
    """
    plan = plan_import(
        session=session,
        campaign=campaign,
        path=path,
        jobcenter=jobcenter,
        overrides=overrides,
        sheet=sheet,
        today=today,
    )
    done = write_units(session, plan, [ref for _, ref in plan.units], actor=actor, now=utcnow())
    summary = plan.summary
    summary.imported = done.imported
    summary.out_of_target = done.out_of_target
    summary.proposed_removal = done.proposed_removal
    summary.merged_duplicates = summary.read - summary.rejected - summary.imported
    if write_rejects:
        importing.write_rejects(
            summary, source=path, headers=plan.table.headers, target=rejects_path
        )
    finish_import(session, plan, actor=actor)
    session.flush()
    return summary


def plan_import(
    *,
    session: Session,
    campaign: Campaign,
    path: Path,
    jobcenter: str | None = None,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    today: dt.date | None = None,
    create: Creator | None = None,
) -> Plan:
    """Read, parse and dedupe the file against the list in ``session``; decide targeting
    and removal proposals of the new companies. Writes nothing but the jobcenters and
    planned rounds the file names that do not exist yet (through ``create``)."""
    assert campaign.id is not None
    campaign_id = campaign.id
    today = today or local_today()
    make: Creator = create or (lambda fn: fn(session))
    table, hmap = _read(path, sheet, overrides)
    notices: list[str] = []
    fixed_jc_id = (
        _resolve_jobcenter(session, jobcenter, make, notices=notices) if jobcenter else None
    )
    parser = _RowParser(session, campaign_id, table, hmap, fixed_jc_id, make)
    batch = Batch(session.exec(select(Company).where(Company.campaign_id == campaign_id)).all())
    signed = _signed_off(session, campaign_id)
    summary = ImportSummary(
        unknown_columns=[table.headers[i] for i in parser.extra_cols], warnings=notices
    )
    for row, rec in importing.rows(table, parser.parse, summary):
        ref = batch.match(rec)
        if ref is not None:
            batch.merge(ref, rec, row.line)
        elif rec.jobcenter_id is not None and rec.jobcenter_id in signed:
            summary.reject(row, _signed_off_reason(signed[rec.jobcenter_id]))
        else:
            batch.add(rec, row.line)
    batch.flag_shared_phones()
    summary.warnings.extend(parser.notices)
    summary.imported = len(batch.new)
    summary.merged_duplicates = batch.merged_rows
    summary.flagged = batch.flagged()
    new_rows = decide_new(session, batch, campaign, today)
    position = {row.line: i for i, row in enumerate(table.rows)}
    last = len(table.rows)
    units: list[tuple[int, Ref]] = [
        (position[line], ("new", i)) for i, line in enumerate(batch.new_lines)
    ]
    first_merge: dict[int, int] = {}
    for m in batch.merges:
        if m.ref[0] == "old":
            first_merge.setdefault(m.ref[1], m.line)
    old_changes: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for cid, rec in batch.old.items():
        changed_old, changed_new = rec.changes(CompanyRecord.from_company(batch.existing[cid]))
        if changed_new:
            old_changes[cid] = (changed_old, changed_new)
            line = first_merge.get(cid)
            units.append((last if line is None else position[line], ("old", cid)))
    units.sort(key=lambda u: u[0])
    return Plan(
        campaign_id,
        path,
        table,
        batch,
        summary,
        new_rows,
        fixed_jc_id,
        units,
        old_changes,
        watermark=max(batch.existing, default=0),
        signed_off_reason=_signed_off_reason,
    )


def finish_import(session: Session, plan: Plan, *, actor: str) -> None:
    """The last step of an import: the jobcenters' parts of the campaign, the names in
    the summary, and the audit entry of the whole import (``summary`` is final)."""
    campaign_id, summary = plan.campaign_id, plan.summary
    if plan.fixed_jc_id is not None:
        campaign_jobcenter(session=session, campaign_id=campaign_id, jobcenter_id=plan.fixed_jc_id)
    ids = plan.batch.jobcenter_ids()
    names = session.exec(select(Jobcenter.name).where(col(Jobcenter.id).in_(ids))).all()
    summary.jobcenters = sorted(names)
    if blocks.any_active(session):
        blocks.mark_companies(session, where=col(Company.campaign_id) == campaign_id)
        summary.blocked = blocks.blocked_in_campaign(session, campaign_id)
    audit.record(
        session,
        actor=actor,
        action="list_import",
        entity="campaign",
        entity_id=campaign_id,
        campaign_id=campaign_id,
        new={**summary.to_json(), "file": str(plan.path)},
    )


# --------------------------------------------------------------------------- reading


def _read(
    path: Path, sheet: str | None, overrides: Mapping[str, str] | None
) -> tuple[Table, HeaderMap]:
    """The file's table and its column map; refused when it has no name or phone column."""
    table = read_table(path, sheet=sheet)
    hmap = map_headers(table.headers, FIELD_ALIASES, overrides, ignore=REJECT_META_HEADERS)
    missing = hmap.missing(["name", "phone"])
    if missing:
        names = " og ".join(FIELD_LABELS[m] for m in missing)
        raise ColumnMissing(
            f"{path}: filen har ingen kolonne for {names}.",
            hint="Kolonnerne i filen er: " + ", ".join(repr(h) for h in table.headers) + ".",
        )
    return table, hmap


class _RowParser:
    """Turns a row into a :class:`CompanyRecord`, or the Danish reason it is rejected.

    Lists repeat the same few phones, municipalities, industries and head counts: each
    distinct cell is parsed (and each municipality's jobcenter looked up) once. A round
    number the campaign does not have yet creates a planned round.
    """

    def __init__(
        self,
        session: Session,
        campaign_id: int,
        table: Table,
        hmap: HeaderMap,
        fixed_jc_id: int | None,
        create: Creator,
    ) -> None:
        self._session = session
        self._create = create
        self._campaign_id = campaign_id
        self._headers = table.headers
        self._fixed_jc_id = fixed_jc_id
        #: Municipalities the file misspells, as read (one notice per spelling).
        self.notices: list[str] = []
        self.phone_cols = [hmap.fields["phone"]] + [i for i, f in hmap.duplicates if f == "phone"]
        #: Columns kept as ``extra`` (unknown ones and second copies of a known one).
        self.extra_cols = hmap.unknown + [i for i, f in hmap.duplicates if f != "phone"]
        # Column index per field; a field the file lacks points at the "" appended to a row.
        ix = {f: hmap.fields.get(f, len(table.headers)) for f in FIELD_ALIASES}
        self._ix = tuple(
            ix[f]
            for f in (
                "name",
                "cvr",
                "p_number",
                "round",
                "municipality",
                "industry",
                "industry_code",
                "employees",
                "contact_person",
                "email",
                "address",
                "postcode",
                "city",
                "ad_protected",
            )
        )
        self._rounds: dict[int, int] = {
            r.number: r.id
            for r in session.exec(select(Round).where(Round.campaign_id == campaign_id)).all()
            if r.id is not None
        }
        self._jobcenters: dict[str, int | None] = {}
        self._phones: dict[str, PhoneParse] = {}
        self._industries: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self._employees: dict[str, int | None] = {}

    def parse(self, row: Row) -> CompanyRecord | str:
        cells = row.cells
        cx = [*cells, ""]  # cells are already trimmed by read_table
        (i_name, i_cvr, i_p, i_round, i_mun, i_ind, i_code, i_emp) = self._ix[:8]
        problems: list[str] = []
        name = cx[i_name][:300]
        if not name:
            problems.append("Firmanavn mangler")
        valid, invalid = self._phones_of(cells)
        if not valid:
            problems.append(
                "Intet gyldigt telefonnummer ("
                + ", ".join(repr(v) for v in invalid)
                + " er ikke et gyldigt nummer)"
                if invalid
                else "Telefonnummer mangler"
            )
        cvr_raw = cx[i_cvr]
        if not cvr_raw:
            cvr = None
        elif cvr_raw.isdigit() and cvr_raw.isascii():
            cvr = cvr_raw  # already what normalize_cvr would return (cells are trimmed)
        else:
            cvr = normalize_cvr(cvr_raw)
        if cvr is not None and not cvr_is_valid(cvr):
            problems.append(invalid_cvr_reason(cvr_raw))
        p_raw = cx[i_p]
        p_number = parse_p_number(p_raw) if p_raw else None
        if p_number is not None and (len(p_number) != 10 or not p_number.isdigit()):
            problems.append(f"Ugyldigt P-nummer {p_raw!r} (10 cifre)")
        round_raw = cx[i_round]
        round_no = parse_round(round_raw) if round_raw else None
        if round_raw and round_no is None:
            problems.append(f"Ugyldig runde {round_raw!r} (skriv rundens nummer, fx 1)")
        if bad_count := count_problem(cx[i_emp], FIELD_LABELS["employees"]):
            problems.append(bad_count)
        industry_cells = (cx[i_ind], cx[i_code])
        industry_split = self._industries.get(industry_cells)
        if industry_split is None:
            ind_name, ind_code = parse_industry(*industry_cells) or (None, None)
            industry_split = (ind_name and ind_name[:200], ind_code and ind_code[:20])
            self._industries[industry_cells] = industry_split
        industry, industry_code = industry_split
        if industry_code is None and cx[i_code]:
            problems.append(
                f"Ugyldig branchekode {cx[i_code]!r} i kolonnen {self._headers[i_code]!r} "
                "(skriv DB07-koden, fx 43.32.00 eller 433200)"
            )
        if problems:
            return "; ".join(problems)

        municipality = cx[i_mun][:80] or None
        jobcenter_id = self._jobcenter_id(municipality)
        extra = self._extra(cells) if self.extra_cols else {}
        employees_raw = cx[i_emp]
        employees: int | None = None
        if employees_raw:
            if employees_raw in self._employees:
                employees = self._employees[employees_raw]
            else:
                employees = self._employees[employees_raw] = parse_employees(employees_raw)
            if employees is None:
                extra[FIELD_LABELS["employees"]] = employees_raw
        if invalid:
            extra["Ugyldige numre"] = ", ".join(invalid)
        if row.surplus:
            extra["Overskydende celler"] = " | ".join(row.surplus)
        flags: list[str] = []
        if cvr is None:
            flags.append("mangler_cvr")
        if not valid[0].startswith("+45"):
            flags.append("udenlandsk_nummer")
        if invalid:
            flags.append("ugyldigt_ekstranummer")
        if jobcenter_id is None:
            flags.append("mangler_jobcenter")
        i_contact, i_email, i_addr, i_post, i_city, i_ad = self._ix[8:]
        # Positional, in CompanyRecord's field order: keyword arguments cost more than
        # the rest of building the record (measured; this runs once per row).
        return CompanyRecord(
            name,
            cvr,
            p_number,
            valid,  # phones
            cx[i_contact][:200] or None,  # contact_person
            cx[i_email][:200] or None,  # email
            cx[i_addr][:300] or None,  # address
            ascii_digits(cx[i_post])[:10] or None,  # postcode
            cx[i_city][:100] or None,  # city
            municipality,
            industry,
            industry_code,
            employees,
            parse_truthy(cx[i_ad]) if cx[i_ad] else False,  # ad_protected
            extra,
            sorted(flags),
            jobcenter_id,
            None if round_no is None else self._round_id(round_no),  # round_id
        )

    def _phones_of(self, cells: list[str]) -> tuple[list[str], list[str]]:
        """The row's valid phones (E.164, de-duplicated, primary first) and invalid cells."""
        valid: list[str] = []
        invalid: list[str] = []
        for i in self.phone_cols:
            cell = cells[i]
            if not cell:
                continue
            parsed = self._phones.get(cell)
            if parsed is None:
                parsed = self._phones[cell] = parse_phones(cell)
            if valid:
                valid.extend(p for p in parsed.valid if p not in valid)
            else:
                valid.extend(parsed.valid)  # already de-duplicated by parse_phones
            invalid.extend(parsed.invalid)
        return valid, invalid

    def _extra(self, cells: list[str]) -> dict[str, str]:
        headers = self._headers
        return {headers[i] or f"Kolonne {i + 1}": cells[i] for i in self.extra_cols if cells[i]}

    def _jobcenter_id(self, municipality: str | None) -> int | None:
        if self._fixed_jc_id is not None:
            return self._fixed_jc_id
        if not municipality:
            return None
        try:
            return self._jobcenters[municipality]
        except KeyError:
            pass
        jc_id: int | None
        try:
            jc_id = _resolve_jobcenter(self._session, municipality, self._create)
        except NotFound:
            jc_id = None
        else:
            official = closest_municipality(municipality)
            notice = spelling_notice(municipality, official) if official else None
            if notice is not None:
                self.notices.append(f"Kolonnen Kommune: {notice}")
        self._jobcenters[municipality] = jc_id
        return jc_id

    def _round_id(self, number: int) -> int:
        round_id = self._rounds.get(number)
        if round_id is None:
            campaign_id = self._campaign_id
            round_id = self._rounds[number] = self._create(
                lambda s: _planned_round(s, campaign_id, number)
            )
        return round_id


def _resolve_jobcenter(
    session: Session, text: str, create: Creator, *, notices: list[str] | None = None
) -> int:
    """The id of the jobcenter ``text`` names (:func:`find_jobcenter`), looked up in
    ``session`` and created through ``create`` when it is a municipality without one.

    With ``notices`` (the one jobcenter of a whole file), a text that is no municipality
    becomes a new unit; what the user must be told (a unit created, a misspelt name read
    as the one it is close to) is appended to ``notices``."""

    def tell(jc: Jobcenter, created: bool) -> int:
        if notices is not None:
            if (misread := reading_notice(text, jc)) is not None:
                notices.append(misread)
            if created and jc.kind == JobcenterKind.UNIT:
                notices.append(unit_notice(jc.name))
        return _jobcenter_id(jc)

    try:
        jc = find_jobcenter(session=session, text=text, create=False)
    except NotFound:
        if notices is None and closest_municipality(text.strip()) is None:
            raise
        return create(
            lambda s: tell(
                find_jobcenter(session=s, text=text, allow_unit=notices is not None), True
            )
        )
    return tell(jc, False)


def _jobcenter_id(jc: Jobcenter) -> int:
    assert jc.id is not None
    return jc.id


def _planned_round(session: Session, campaign_id: int, number: int) -> int:
    """The id of round ``number`` of the campaign, created (planned) if it is missing."""
    rnd = session.exec(
        select(Round).where(Round.campaign_id == campaign_id, Round.number == number)
    ).first()
    if rnd is None:
        rnd = Round(campaign_id=campaign_id, number=number, state=RoundState.PLANNED)
        session.add(rnd)
        session.flush()
    assert rnd.id is not None
    return rnd.id


def _signed_off(session: Session, campaign_id: int) -> dict[int, str]:
    """The jobcenters of the campaign that have signed off: id -> name."""
    return {
        jc.id: jc.name
        for cj, jc in session.exec(
            select(CampaignJobcenter, Jobcenter)
            .join(Jobcenter, col(Jobcenter.id) == col(CampaignJobcenter.jobcenter_id))
            .where(CampaignJobcenter.campaign_id == campaign_id)
        ).all()
        if jc.id is not None and cj.signed_off_at is not None
    }


def _signed_off_reason(jobcenter: str) -> str:
    return (
        f"{jobcenter} har allerede godkendt sin liste, så der kan ikke komme nye "
        "virksomheder på (genåbn listen og importér "
        "afvisningsfilen igen)"
    )
