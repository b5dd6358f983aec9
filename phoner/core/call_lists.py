"""Call lists: import, dedupe, targeting, suppression, clearing and sign-off.

The callable rule (:func:`callable_clause`) is the one place that says which companies a
phoner may be handed. A company is callable iff

- its jobcenter's part of the campaign list is signed off (or force-signed off); a
  signed-off list is frozen: the importer refuses new companies for it and clearing
  decisions are refused until the jobcenter reopens it;
- the jobcenter's clearing kept it: ``clearing_state == keep``, or ``pending`` without a
  removal proposal (not reviewed, nothing against it);
- it is in the campaign's target group (``out_of_target is None``);
- its round is active.

The queue (call state, leases, retry times) is the calling service's business; it adds its
own conditions to this clause.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from phoner.core import audit, geography
from phoner.core.digits import ascii_digits, count_problem
from phoner.core.errors import Conflict, InvalidInput, NotFound
from phoner.core.models import (
    SUBSTANTIVE_OUTCOMES,
    CallState,
    Campaign,
    CampaignJobcenter,
    ClearingReason,
    ClearingState,
    Company,
    ContactHistory,
    ContactKind,
    Jobcenter,
    Round,
    RoundState,
    utcnow,
)
from phoner.core.phones import PhoneParse, cvr_is_valid, format_phone, normalize_cvr, parse_phones
from phoner.formats.tabular import (
    REJECT_META_HEADERS,
    Reject,
    gc_paused,
    map_headers,
    read_table,
    write_rejects_csv,
    write_xlsx,
)


def signed_off_clause() -> ColumnElement[bool]:
    """The company's jobcenter has signed off its part of the list."""
    return exists().where(
        col(CampaignJobcenter.campaign_id) == col(Company.campaign_id),
        col(CampaignJobcenter.jobcenter_id) == col(Company.jobcenter_id),
        col(CampaignJobcenter.signed_off_at).is_not(None),
    )


def kept_clause() -> ColumnElement[bool]:
    """Clearing kept the company (explicitly, or pending with nothing proposed against it)."""
    return or_(
        col(Company.clearing_state) == ClearingState.KEEP,
        and_(
            col(Company.clearing_state) == ClearingState.PENDING,
            col(Company.clearing_proposal).is_(None),
        ),
    )


def callable_clause(campaign_id: int) -> ColumnElement[bool]:
    """WHERE clause on :class:`Company`: callable in ``campaign_id`` (see the module doc).

    Use it as ``select(Company).where(callable_clause(campaign.id), ...)``.
    """
    active_round = exists().where(
        col(Round.id) == col(Company.round_id),
        col(Round.state) == RoundState.ACTIVE,
    )
    return and_(
        col(Company.campaign_id) == campaign_id,
        signed_off_clause(),
        kept_clause(),
        col(Company.out_of_target).is_(None),
        active_round,
    )


# =========================================================================== import

#: Field -> header aliases (Danish and English). Matching ignores case, spaces,
#: punctuation and æøå spelling (see :func:`phoner.formats.tabular.normalize_header`).
FIELD_ALIASES: dict[str, list[str]] = {
    "name": ["Firmanavn", "Navn", "Virksomhed", "Virksomhedsnavn", "Firma", "Name", "Company"],
    "cvr": ["CVR", "CVR-nr.", "CVR-nummer", "CVRnr", "CVR no", "VAT"],
    "p_number": ["P-nr.", "P-nummer", "Pnr", "P-number", "Produktionsenhed"],
    "phone": [
        "Telefon",
        "Tlf.",
        "Tlf.nr.",
        "Telefonnummer",
        "Telefonnr",
        "Mobil",
        "Mobilnummer",
        "Mobiltelefon",
        "Phone",
        "Telephone",
        "Tel",
    ],
    "contact_person": ["Kontaktperson", "Kontakt", "Contact", "Contact person"],
    "address": ["Adresse", "Vejadresse", "Address", "Street"],
    "postcode": ["Postnr.", "Postnummer", "Post nr", "Zip", "Postal code", "Postcode"],
    "city": ["By", "Postdistrikt", "City", "Town"],
    "municipality": ["Kommune", "Kommunenavn", "Jobcenter", "Municipality"],
    "industry": ["Branche", "Branchetekst", "Branchebetegnelse", "Industry"],
    "industry_code": ["Branchekode", "Branchenr", "DB07", "Industry code", "NACE"],
    "employees": [
        "Antal ansatte",
        "Ansatte",
        "Antal medarbejdere",
        "Medarbejdere",
        "Employees",
        "Årsværk",
    ],
    "email": ["E-mail", "Email", "Mail", "E-mailadresse"],
    "ad_protected": ["Reklamebeskyttet", "Reklamebeskyttelse", "Ad protected"],
    "round": ["Runde", "Omgang", "Udsendelse", "Round"],
}
#: Danish column names for messages and exports.
FIELD_LABELS: dict[str, str] = {
    "name": "Firmanavn",
    "cvr": "CVR-nr.",
    "p_number": "P-nr.",
    "phone": "Telefon",
    "contact_person": "Kontaktperson",
    "address": "Adresse",
    "postcode": "Postnr.",
    "city": "By",
    "municipality": "Kommune",
    "industry": "Branche",
    "industry_code": "Branchekode",
    "employees": "Antal ansatte",
    "email": "E-mail",
    "ad_protected": "Reklamebeskyttet",
    "round": "Runde",
}
#: Flags an import can set, with their Danish labels.
FLAG_LABELS: dict[str, str] = {
    "mangler_cvr": "Mangler CVR",
    "delt_telefon": "Samme telefon som en anden virksomhed",
    "udenlandsk_nummer": "Udenlandsk telefonnummer",
    "ugyldigt_ekstranummer": "Et af numrene er ugyldigt",
    "mangler_jobcenter": "Ukendt kommune (intet jobcenter)",
}
_TEXT_FIELDS = (
    "name",
    "cvr",
    "p_number",
    "contact_person",
    "email",
    "address",
    "postcode",
    "city",
    "municipality",
    "industry",
    "industry_code",
)
_MERGE_FIELDS = (*_TEXT_FIELDS, "employees", "jobcenter_id", "round_id")
_TRUE_WORDS = frozenset({"ja", "j", "yes", "y", "x", "1", "true", "sand", "reklamebeskyttet"})
_INT = re.compile(r"\d+")
_CODE_AND_TEXT = re.compile(r"^\s*(\d{2,6}(?:\.\d+)?)\s*[-–:]?\s*(.*)$")


@dataclass
class ImportSummary:
    """What an import did. ``to_json`` gives the machine-readable shape of the CLI.

    ``read``: data rows in the file (blank lines are not rows); ``imported``: new
    companies; ``merged_duplicates``: rows merged into a company already on the list or
    earlier in the file (a re-import merges every row); ``rejected``: rows refused, each
    with its line and reason in ``rejects`` and the rejects file; always
    ``imported + merged_duplicates + rejected == read``. ``flagged``: companies this import
    created or merged into that carry a flag for clearing (:data:`FLAG_LABELS`).
    """

    read: int = 0
    imported: int = 0
    merged_duplicates: int = 0
    rejected: int = 0
    flagged: int = 0
    rejects_file: Path | None = None
    out_of_target: int = 0
    proposed_removal: int = 0
    jobcenters: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "imported": self.imported,
            "merged_duplicates": self.merged_duplicates,
            "rejected": self.rejected,
            "flagged": self.flagged,
            "rejects_file": None if self.rejects_file is None else str(self.rejects_file),
        }


def default_rejects_path(path: Path) -> Path:
    """``liste.csv`` -> ``liste.afviste.csv`` next to the input."""
    return path.with_name(f"{path.stem}.afviste.csv")


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``["Mobilnr=phone", ...]`` (from ``--map``) -> ``{"Mobilnr": "phone"}``."""
    out: dict[str, str] = {}
    for item in items:
        column, sep, fld = item.partition("=")
        if not sep or not column.strip() or not fld.strip():
            raise InvalidInput(
                f"--map {item!r}: skriv kolonne=felt, fx --map 'Mobilnr=phone'.",
                hint="Felter: " + ", ".join(FIELD_ALIASES) + " (eller - for at springe over).",
            )
        out[column.strip()] = fld.strip()
    return out


def parse_employees(text: str) -> int | None:
    """``"12"``, ``"ca. 12"``, ``"10-19"`` (lower bound), ``"1.200"`` -> int or None."""
    text = ascii_digits(text).strip().replace(".", "").replace("\xa0", "")
    m = _INT.search(text)
    # more than 9 digits is no head count (and would overflow the column)
    return int(m.group()) if m and len(m.group()) <= 9 else None


def _truthy(text: str) -> bool:
    return text.strip().lower() in _TRUE_WORDS


def _p_number(text: str) -> str | None:
    digits = re.sub(r"[\s.\-]", "", ascii_digits(text).strip())
    if digits.endswith("0") and text.strip().endswith(".0"):
        digits = digits[:-1]
    return digits or None


# --------------------------------------------------------------------------- jobcenters


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


# --------------------------------------------------------------------------- targeting


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
                return f"{employees} ansatte er under minimum {self.min}"
            if self.max is not None and employees > self.max:
                return f"{employees} ansatte er over maksimum {self.max}"
        if self.municipalities and municipality:
            official = self._official.get(municipality)
            if official is None:
                official = geography.municipality_name(municipality) or municipality
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


@dataclass(frozen=True)
class Proposal:
    reason: ClearingReason
    note: str


class _Suppression:
    """Precomputed lookups for removal proposals (known companies, recent contacts)."""

    def __init__(self, session: Session, campaign: Campaign, today: dt.date) -> None:
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
        if ad_protected:
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
                ClearingReason.KONTAKTET_FOR_NYLIG, f"{what.capitalize()} {day:%d.%m.%Y}{where}"
            )
        return None


# --------------------------------------------------------------------------- the import


def _record_from_company(c: Company) -> dict[str, Any]:
    rec: dict[str, Any] = {f: getattr(c, f) for f in _MERGE_FIELDS}
    rec["phones"] = list(c.phones)
    rec["flags"] = list(c.flags)
    rec["extra"] = dict(c.extra)
    rec["ad_protected"] = c.ad_protected
    return rec


def _merge(target: dict[str, Any], incoming: dict[str, Any]) -> dict[str, list[Any]]:
    """Merge ``incoming`` into ``target``: phones united, empty fields filled.

    Returns the fields that conflicted ({field: [kept, other]}); the kept value wins.
    """
    conflicts: dict[str, list[Any]] = {}
    for fld in _MERGE_FIELDS:
        new = incoming.get(fld)
        if new is None or new == "":
            continue
        old = target.get(fld)
        if old is None or old == "":
            target[fld] = new
        elif old != new and fld not in ("jobcenter_id", "round_id"):
            conflicts[fld] = [old, new]
    phones = list(target["phones"])
    for p in incoming["phones"]:
        if p not in phones:
            phones.append(p)
    target["phones"] = phones
    target["flags"] = sorted(set(target["flags"]) | set(incoming["flags"]))
    extra = dict(incoming["extra"])
    extra.update(target["extra"])
    target["extra"] = extra
    target["ad_protected"] = bool(target["ad_protected"] or incoming["ad_protected"])
    if target.get("cvr") and "mangler_cvr" in target["flags"]:
        target["flags"] = [f for f in target["flags"] if f != "mangler_cvr"]
    return conflicts


def _np_key(name: str | None, phone: str | None) -> tuple[str, str] | None:
    if not name or not phone:
        return None
    return (" ".join(name.casefold().split()), phone)


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
    """Import a company list into ``campaign`` (see the issue and :class:`ImportSummary`).

    Every row is either imported (a new company), merged into a company with the same CVR,
    P-number or (without CVR) the same name and primary phone, or rejected with a Danish
    reason; rejected rows are written to ``rejects_path`` (default ``NAME.afviste.csv``
    next to the file). Re-importing the same file changes nothing.
    """
    assert campaign.id is not None
    campaign_id = campaign.id
    today = today or dt.datetime.now(dt.UTC).date()
    table = read_table(path, sheet=sheet)
    hmap = map_headers(table.headers, FIELD_ALIASES, overrides, ignore=REJECT_META_HEADERS)
    missing = hmap.missing(["name", "phone"])
    if missing:
        names = " og ".join(FIELD_LABELS[m] for m in missing)
        raise InvalidInput(
            f"{path}: filen har ingen kolonne for {names}.",
            hint="Kolonnerne i filen er: "
            + ", ".join(repr(h) for h in table.headers)
            + ". Angiv kolonnen med --map, fx --map 'Tlf arbejde=phone'.",
        )
    phone_cols = [hmap.fields["phone"]] + [i for i, f in hmap.duplicates if f == "phone"]
    extra_cols = hmap.unknown + [i for i, f in hmap.duplicates if f != "phone"]
    summary = ImportSummary(read=table.read)
    summary.unknown_columns = [table.headers[i] for i in extra_cols]

    fixed_jc: Jobcenter | None = None
    if jobcenter:
        fixed_jc = find_jobcenter(session=session, text=jobcenter)
    jc_by_key: dict[str, Jobcenter | None] = {}
    jc_signed: dict[int, bool] = {
        cj.jobcenter_id: cj.signed_off_at is not None
        for cj in session.exec(
            select(CampaignJobcenter).where(CampaignJobcenter.campaign_id == campaign_id)
        ).all()
    }
    rounds_by_number: dict[int, int] = {
        r.number: r.id
        for r in session.exec(select(Round).where(Round.campaign_id == campaign_id)).all()
        if r.id is not None
    }
    suppression = _Suppression(session, campaign, today)

    existing: dict[int, Company] = {}
    by_cvr: dict[str, tuple[str, int]] = {}  # cvr -> ("old", id) | ("new", index)
    by_p: dict[str, tuple[str, int]] = {}
    by_np: dict[tuple[str, str], tuple[str, int]] = {}
    for c in session.exec(select(Company).where(Company.campaign_id == campaign_id)).all():
        assert c.id is not None
        existing[c.id] = c
        if c.cvr:
            by_cvr.setdefault(c.cvr, ("old", c.id))
        if c.p_number:
            by_p.setdefault(c.p_number, ("old", c.id))
        key = _np_key(c.name, c.phones[0] if c.phones else None)
        if key is not None and not c.cvr:
            by_np.setdefault(key, ("old", c.id))

    new_records: list[dict[str, Any]] = []
    new_lines: list[int] = []
    old_records: dict[int, dict[str, Any]] = {}
    merge_log: list[
        tuple[str, int, int, dict[str, list[Any]]]
    ] = []  # (kind, idx/id, line, conflicts)
    touched_new: set[int] = set()
    touched_old: set[int] = set()
    rejects: list[Reject] = list(table.rejects)
    phone_cache: dict[str, PhoneParse] = {}
    # Lists repeat the same few industries and head counts: parse each distinct cell once.
    industry_cache: dict[str, tuple[str | None, str | None]] = {}
    employees_cache: dict[str, int | None] = {}

    def jc_for(municipality: str | None) -> Jobcenter | None:
        if fixed_jc is not None:
            return fixed_jc
        if not municipality:
            return None
        if municipality not in jc_by_key:
            try:
                jc_by_key[municipality] = find_jobcenter(session=session, text=municipality)
            except NotFound:
                jc_by_key[municipality] = None
        return jc_by_key[municipality]

    # Column index per field; a field the file lacks points at the "" appended to each row.
    ix = {f: hmap.fields.get(f, len(table.headers)) for f in FIELD_ALIASES}
    i_name, i_cvr, i_p, i_round = ix["name"], ix["cvr"], ix["p_number"], ix["round"]
    i_mun, i_ind, i_code, i_emp = (
        ix["municipality"],
        ix["industry"],
        ix["industry_code"],
        ix["employees"],
    )
    i_contact, i_email, i_addr, i_post, i_city, i_ad = (
        ix["contact_person"],
        ix["email"],
        ix["address"],
        ix["postcode"],
        ix["city"],
        ix["ad_protected"],
    )
    for row in table.rows:
        cells = row.cells
        cx = [*cells, ""]  # cells are already trimmed by read_table
        problems: list[str] = []
        name = cx[i_name][:300] or None
        if not name:
            problems.append("Firmanavn mangler")
        valid: list[str] = []
        invalid: list[str] = []
        for i in phone_cols:
            cell = cells[i]
            if not cell:
                continue
            parsed = phone_cache.get(cell)
            if parsed is None:
                parsed = phone_cache[cell] = parse_phones(cell)
            if valid:
                valid.extend(p for p in parsed.valid if p not in valid)
            else:
                valid.extend(parsed.valid)  # already de-duplicated by parse_phones
            invalid.extend(parsed.invalid)
        if not valid:
            if invalid:
                problems.append(
                    "Intet gyldigt telefonnummer ("
                    + ", ".join(repr(v) for v in invalid)
                    + " er ikke et gyldigt nummer)"
                )
            else:
                problems.append("Telefonnummer mangler")
        cvr_raw = cx[i_cvr]
        if not cvr_raw:
            cvr = None
        elif cvr_raw.isdigit() and cvr_raw.isascii():
            cvr = cvr_raw  # already what normalize_cvr would return (cells are trimmed)
        else:
            cvr = normalize_cvr(cvr_raw)
        if cvr is not None and not cvr_is_valid(cvr):
            problems.append(f"Ugyldigt CVR-nummer {cvr_raw!r} (8 cifre med gyldigt kontrolciffer)")
        p_raw = cx[i_p]
        p_number = _p_number(p_raw) if p_raw else None
        if p_number is not None and (len(p_number) != 10 or not p_number.isdigit()):
            problems.append(f"Ugyldigt P-nummer {p_raw!r} (10 cifre)")
        round_raw = ascii_digits(cx[i_round])
        round_no: int | None = None
        if round_raw:
            m = _INT.search(round_raw)
            if m is None or len(m.group()) > 6 or int(m.group()) < 1:
                problems.append(f"Ugyldig runde {round_raw!r} (skriv rundens nummer, fx 1)")
            else:
                round_no = int(m.group())
        if bad_count := count_problem(cx[i_emp], FIELD_LABELS["employees"]):
            problems.append(bad_count)
        if problems:
            rejects.append(Reject(row.line, "; ".join(problems), cells))
            continue

        municipality = cx[i_mun][:80] or None
        jc = jc_for(municipality)
        industry = cx[i_ind][:200] or None
        industry_code = cx[i_code][:20] or None
        if industry and not industry_code:
            split = industry_cache.get(industry)
            if split is None:
                m2 = _CODE_AND_TEXT.match(industry)
                split = (industry, None) if m2 is None else (m2.group(2) or None, m2.group(1))
                industry_cache[industry] = split
            industry, industry_code = split
        employees_raw = cx[i_emp]
        extra = (
            {table.headers[i] or f"Kolonne {i + 1}": cells[i] for i in extra_cols if cells[i]}
            if extra_cols
            else {}
        )
        employees: int | None = None
        if employees_raw:
            if employees_raw in employees_cache:
                employees = employees_cache[employees_raw]
            else:
                employees = employees_cache[employees_raw] = parse_employees(employees_raw)
        if employees_raw and employees is None:
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
        if jc is None:
            flags.append("mangler_jobcenter")
        round_id: int | None = None
        if round_no is not None:
            if round_no not in rounds_by_number:
                rnd = Round(campaign_id=campaign_id, number=round_no, state=RoundState.PLANNED)
                session.add(rnd)
                session.flush()
                assert rnd.id is not None
                rounds_by_number[round_no] = rnd.id
            round_id = rounds_by_number[round_no]
        rec: dict[str, Any] = {
            "name": name,
            "cvr": cvr,
            "p_number": p_number,
            "phones": valid,
            "contact_person": cx[i_contact][:200] or None,
            "email": cx[i_email][:200] or None,
            "address": cx[i_addr][:300] or None,
            "postcode": ascii_digits(cx[i_post])[:10] or None,
            "city": cx[i_city][:100] or None,
            "municipality": municipality,
            "industry": industry,
            "industry_code": industry_code,
            "employees": employees,
            "ad_protected": _truthy(cx[i_ad]) if cx[i_ad] else False,
            "extra": extra,
            "flags": sorted(flags),
            "jobcenter_id": None if jc is None else jc.id,
            "round_id": round_id,
        }
        match = None
        if cvr is not None:
            match = by_cvr.get(cvr)
        if match is None and p_number is not None:
            cand = by_p.get(p_number)
            if cand is not None:
                other_cvr = (
                    existing[cand[1]].cvr if cand[0] == "old" else new_records[cand[1]]["cvr"]
                )
                if cvr is None or other_cvr is None or other_cvr == cvr:
                    match = cand
        np_key = _np_key(name, valid[0]) if cvr is None else None
        if match is None and np_key is not None:
            match = by_np.get(np_key)
        if match is not None:
            kind, ref = match
            if kind == "new":
                target = new_records[ref]
                touched_new.add(ref)
            else:
                target = old_records.get(ref) or old_records.setdefault(
                    ref, _record_from_company(existing[ref])
                )
                touched_old.add(ref)
            before = dict(target) if kind == "old" else None
            conflicts = _merge(target, rec)
            summary.merged_duplicates += 1
            if kind == "new" or target != before:
                merge_log.append((kind, ref, row.line, conflicts))
            if target.get("cvr"):
                by_cvr.setdefault(target["cvr"], match)
            if target.get("p_number"):
                by_p.setdefault(target["p_number"], match)
            continue
        if jc is not None and jc_signed.get(jc.id or 0):
            rejects.append(
                Reject(
                    row.line,
                    f"{jc.name} har allerede godkendt sin liste, så der kan ikke komme nye "
                    "virksomheder på (genåbn listen med phoner list reopen og importér "
                    "afvisningsfilen igen)",
                    cells,
                )
            )
            continue
        index = len(new_records)
        new_records.append(rec)
        new_lines.append(row.line)
        touched_new.add(index)
        if cvr is not None:
            by_cvr[cvr] = ("new", index)
        if p_number is not None:
            by_p.setdefault(p_number, ("new", index))
        if np_key is not None:
            by_np[np_key] = ("new", index)

    # Same primary phone on different companies: keep all, flag them for clearing.
    first_owner: dict[str, tuple[str, int]] = {}
    shared: dict[str, list[tuple[str, int]]] = {}

    def own(phone: str, ref: tuple[str, int]) -> None:
        first = first_owner.setdefault(phone, ref)
        if first is not ref:
            shared.setdefault(phone, [first]).append(ref)

    for cid, c in existing.items():
        rec_old = old_records.get(cid)
        phones = rec_old["phones"] if rec_old else c.phones
        if phones:
            own(phones[0], ("old", cid))
    for idx, rec in enumerate(new_records):
        own(rec["phones"][0], ("new", idx))
    for group in shared.values():
        for kind, ref in group:
            if kind == "new":
                target = new_records[ref]
            else:
                target = old_records.get(ref) or old_records.setdefault(
                    ref, _record_from_company(existing[ref])
                )
            if "delt_telefon" not in target["flags"]:
                target["flags"] = sorted({*target["flags"], "delt_telefon"})

    now = utcnow()
    jc_names: dict[int, str] = {}
    # Existing companies: apply what changed (merges, flags), audited.
    for cid, rec in old_records.items():
        company = existing[cid]
        old = _record_from_company(company)
        if rec == old:
            continue
        changed_old = {k: old[k] for k in rec if rec[k] != old[k]}
        changed_new = {k: rec[k] for k in rec if rec[k] != old[k]}
        for k, v in changed_new.items():
            setattr(company, k, v)
        company.updated_at = now
        session.add(company)
        lines = [ln for kind, ref, ln, _ in merge_log if kind == "old" and ref == cid]
        conflicts = {
            k: v
            for kind, ref, _, cf in merge_log
            if kind == "old" and ref == cid
            for k, v in cf.items()
        }
        audit.record(
            session,
            actor=actor,
            action="list_merge",
            entity="company",
            entity_id=cid,
            campaign_id=campaign_id,
            old=_jsonable(changed_old),
            new=_jsonable({**changed_new, "konflikter": conflicts})
            if conflicts
            else _jsonable(changed_new),
            reason=f"{path.name}: "
            + (
                f"linje {', '.join(map(str, lines))} flettet ind" if lines else "delt telefonnummer"
            ),
        )

    # New companies: targeting and proposals, then one batch insert.
    rows_to_insert: list[tuple[dict[str, Any], str | None, Proposal | None]] = []
    targeting = TargetRules(campaign)
    for rec in new_records:
        rule = targeting.rule(
            employees=rec["employees"],
            municipality=rec["municipality"],
            industry_code=rec["industry_code"],
        )
        proposal = suppression.propose(
            cvr=rec["cvr"], jobcenter_id=rec["jobcenter_id"], ad_protected=rec["ad_protected"]
        )
        if rule is not None:
            summary.out_of_target += 1
        if proposal is not None:
            summary.proposed_removal += 1
        rows_to_insert.append((rec, rule, proposal))
    if rows_to_insert:
        _bulk_insert_companies(session, rows_to_insert, campaign_id=campaign_id, now=now)
    merged_new = [(ref, ln, cf) for kind, ref, ln, cf in merge_log if kind == "new"]
    if merged_new:
        ids = _new_ids(session, campaign_id, [new_records[ref] for ref, _, _ in merged_new])
        for (ref, line, conflicts), cid in zip(merged_new, ids, strict=True):
            audit.record(
                session,
                actor=actor,
                action="list_merge",
                entity="company",
                entity_id=cid,
                campaign_id=campaign_id,
                new=_jsonable({"linje": line, "konflikter": conflicts}),
                reason=f"{path.name}: linje {line} er en dublet af linje {new_lines[ref]}, "
                "flettet sammen",
            )

    # CampaignJobcenter rows for every jobcenter with companies.
    for jc_id in {r["jobcenter_id"] for r in new_records if r["jobcenter_id"] is not None}:
        campaign_jobcenter(session=session, campaign_id=campaign_id, jobcenter_id=jc_id)
    if fixed_jc is not None and fixed_jc.id is not None:
        campaign_jobcenter(session=session, campaign_id=campaign_id, jobcenter_id=fixed_jc.id)
    for jc_ in session.exec(select(Jobcenter)).all():
        if jc_.id is not None:
            jc_names[jc_.id] = jc_.name
    used_jc = {r["jobcenter_id"] for r in new_records} | {
        r["jobcenter_id"] for r in old_records.values()
    }
    summary.jobcenters = sorted(jc_names[i] for i in used_jc if i is not None)

    summary.imported = len(new_records)
    summary.rejected = len(rejects)
    summary.rejects = rejects
    summary.flagged = sum(1 for i in touched_new if new_records[i]["flags"]) + sum(
        1 for i in touched_old if old_records[i]["flags"]
    )
    if rejects and write_rejects:
        target_path = rejects_path or default_rejects_path(path)
        write_rejects_csv(target_path, table.headers, rejects)
        summary.rejects_file = target_path
    audit.record(
        session,
        actor=actor,
        action="list_import",
        entity="campaign",
        entity_id=campaign_id,
        campaign_id=campaign_id,
        new={**summary.to_json(), "file": str(path)},
    )
    session.flush()
    return summary


_JSON_COLUMNS = ("phones", "extra", "flags")
_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME storage format


_INSERT_TAIL = (
    "campaign_id",
    "out_of_target",
    "clearing_state",
    "clearing_proposal",
    "clearing_note",
    "call_state",
    "attempts",
    "created_at",
    "updated_at",
)
#: Characters json.dumps writes unchanged (no escaping); used for the fast path below.
_JSON_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-_ ")


def _json_dumps(value: Any) -> str:
    """``json.dumps(value)``; lists of plain strings (phones, flags) without the encoder."""
    if not value:
        return "[]" if isinstance(value, list) else "{}" if value == {} else json.dumps(value)
    if isinstance(value, list) and all(
        isinstance(v, str) and _JSON_PLAIN.issuperset(v) for v in value
    ):
        return '["' + '", "'.join(value) + '"]'
    return json.dumps(value)


def _bulk_insert_companies(
    session: Session,
    rows: list[tuple[dict[str, Any], str | None, Proposal | None]],
    *,
    campaign_id: int,
    now: dt.datetime,
) -> None:
    """Insert many new companies (record, out-of-target rule, proposal) in batches.

    The typed ``insert(Company)`` runs a bind processor per JSON/enum/timestamp value and
    row and builds a parameter dict per row, which together cost more than the import's
    parsing. Here every value is converted the way the column types would (JSON text,
    enum codes, UTC timestamps stored as naive UTC text on SQLite) and the rows go to the
    driver's ``executemany`` as tuples. The companies read back exactly as if inserted
    through the ORM (the import tests run on SQLite and PostgreSQL).
    """
    bind = session.connection()
    dialect = bind.dialect
    rec_keys = list(rows[0][0])
    keys = [*rec_keys, *_INSERT_TAIL]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {Company.__tablename__} ({', '.join(keys)}) "
        f"VALUES ({', '.join([mark] * len(keys))})"
    )
    utc = now.astimezone(dt.UTC)
    stamp: Any = utc.replace(tzinfo=None).strftime(_SQLITE_TS) if dialect.name == "sqlite" else utc
    pending, new_state = ClearingState.PENDING.value, CallState.NEW.value
    getter = operator.itemgetter(*rec_keys)
    json_pos = [pos for pos, k in enumerate(rec_keys) if k in _JSON_COLUMNS]
    params: list[tuple[Any, ...]] = []
    append = params.append
    for rec, rule, proposal in rows:
        values = list(getter(rec))
        for pos in json_pos:
            values[pos] = _json_dumps(values[pos])
        if proposal is None:
            reason = note = None
        else:
            reason, note = proposal.reason.value, proposal.note
        append((*values, campaign_id, rule, pending, reason, note, new_state, 0, stamp, stamp))
    for start in range(0, len(params), 5000):
        bind.exec_driver_sql(sql, params[start : start + 5000])


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _new_ids(session: Session, campaign_id: int, records: list[dict[str, Any]]) -> list[int]:
    """Ids of just-inserted companies, found by CVR / P-number / name + phone."""
    out: list[int] = []
    for rec in records:
        stmt = select(Company.id).where(Company.campaign_id == campaign_id)
        if rec["cvr"]:
            stmt = stmt.where(Company.cvr == rec["cvr"])
        elif rec["p_number"]:
            stmt = stmt.where(Company.p_number == rec["p_number"])
        else:
            stmt = stmt.where(Company.name == rec["name"], col(Company.cvr).is_(None))
        cid = session.exec(stmt.order_by(col(Company.id).desc())).first()
        assert cid is not None
        out.append(cid)
    return out


# =========================================================================== targeting

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
        campaign.min_employees = _non_negative("--min-employees", min_employees)
    if max_employees is not _UNSET:
        campaign.max_employees = _non_negative("--max-employees", max_employees)
    if (
        campaign.min_employees is not None
        and campaign.max_employees is not None
        and campaign.min_employees > campaign.max_employees
    ):
        raise InvalidInput(
            f"Minimum ({campaign.min_employees}) er større end maksimum "
            f"({campaign.max_employees}) ansatte.",
            hint="Ret --min-employees eller --max-employees.",
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
            raise InvalidInput("--recent-days skal være 0 eller mere.")
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


def _non_negative(option: str, value: int | None) -> int | None:
    if value is not None and value < 0:
        raise InvalidInput(f"{option} kan ikke være negativ ({value}).")
    return value


def _targeting(campaign: Campaign) -> dict[str, Any]:
    return {
        "min_employees": campaign.min_employees,
        "max_employees": campaign.max_employees,
        "municipalities": list(campaign.municipalities),
        "industries": list(campaign.industries),
        "recent_contact_days": campaign.recent_contact_days,
    }


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
    today = today or dt.datetime.now(dt.UTC).date()
    suppression = _Suppression(session, campaign, today)
    signed = _signed_jobcenters(session, campaign.id)
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


def _signed_jobcenters(session: Session, campaign_id: int) -> set[int | None]:
    return set(
        session.exec(
            select(CampaignJobcenter.jobcenter_id).where(
                CampaignJobcenter.campaign_id == campaign_id,
                col(CampaignJobcenter.signed_off_at).is_not(None),
            )
        ).all()
    )


@dataclass(frozen=True)
class KnownResult:
    read: int
    added: int  # new CVR numbers on the jobcenter's list of known companies
    proposed: int  # companies (in open campaigns) now proposed for removal
    rejects: list[Reject]
    rejects_file: Path | None


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
    today = today or dt.datetime.now(dt.UTC).date()
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
    rejects: list[Reject] = list(table.rejects)
    cvrs: set[str] = set()
    for row in table.rows:
        raw = row.get(idx)
        cvr = normalize_cvr(raw)
        if cvr is None:
            rejects.append(Reject(row.line, "CVR-nummer mangler", row.cells))
        elif not cvr_is_valid(cvr):
            rejects.append(
                Reject(
                    row.line,
                    f"Ugyldigt CVR-nummer {raw!r} (8 cifre med gyldigt kontrolciffer)",
                    row.cells,
                )
            )
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
        for c in open_campaigns:
            signed = signed_by_campaign.get(c.campaign_id)
            if signed is None:
                signed = signed_by_campaign[c.campaign_id] = _signed_jobcenters(
                    session, c.campaign_id
                )
            if c.jobcenter_id in signed or c.ad_protected:
                continue
            if c.clearing_proposal != ClearingReason.KENDT_VIRKSOMHED:
                c.clearing_proposal = ClearingReason.KENDT_VIRKSOMHED
                c.clearing_note = "På jobcentrets liste over kendte virksomheder"
                c.updated_at = utcnow()
                session.add(c)
                proposed += 1
    rejects_file: Path | None = None
    if rejects:
        rejects_file = rejects_path or default_rejects_path(path)
        write_rejects_csv(rejects_file, table.headers, rejects)
    audit.record(
        session,
        actor=actor,
        action="known_import",
        entity="jobcenter",
        entity_id=jc.id,
        new={"file": str(path), "read": table.read, "added": len(added), "proposed": proposed},
    )
    return KnownResult(table.read, len(added), proposed, rejects, rejects_file)


# =========================================================================== clearing

DECISION_WORDS: dict[str, ClearingState] = {
    "behold": ClearingState.KEEP,
    "b": ClearingState.KEEP,
    "keep": ClearingState.KEEP,
    "ja": ClearingState.KEEP,
    "fjern": ClearingState.REMOVE,
    "f": ClearingState.REMOVE,
    "remove": ClearingState.REMOVE,
    "slet": ClearingState.REMOVE,
    "nej": ClearingState.REMOVE,
}
DECISION_LABELS: dict[ClearingState, str] = {
    ClearingState.KEEP: "Behold",
    ClearingState.REMOVE: "Fjern",
    ClearingState.PENDING: "",
}
STATE_LABELS: dict[ClearingState, str] = {
    ClearingState.KEEP: "Beholdes",
    ClearingState.REMOVE: "Fjernes",
    ClearingState.PENDING: "Ikke gennemgået",
}
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


def _require_open(session: Session, campaign_id: int, jobcenter_id: int | None) -> None:
    if jobcenter_id is None:
        return
    cj = session.exec(
        select(CampaignJobcenter).where(
            CampaignJobcenter.campaign_id == campaign_id,
            CampaignJobcenter.jobcenter_id == jobcenter_id,
        )
    ).first()
    if cj is not None and cj.signed_off_at is not None:
        jc = session.get(Jobcenter, jobcenter_id)
        raise Conflict(
            f"{jc.name if jc else 'Jobcentret'} har allerede godkendt sin liste "
            f"({_local(cj.signed_off_at)} af {cj.signed_off_by}); den kan ikke ændres.",
            hint="Genåbn listen først: phoner list reopen --campaign ... --jobcenter ... --by ...",
        )


def _local(ts: dt.datetime) -> str:
    return ts.astimezone(ZoneInfo("Europe/Copenhagen")).strftime("%d.%m.%Y %H:%M")


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
        raise InvalidInput("Angiv hvem der træffer beslutningen (--by NAVN).")
    _require_open(session, company.campaign_id, company.jobcenter_id)
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
                c.clearing_note
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
        dropdowns={"Beslutning": ["Behold", "Fjern"]},
        min_rows_validated=len(rows),
    )
    return len(rows)


@dataclass
class ClearingImportResult:
    read: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[Reject] = field(default_factory=list)


def clearing_import(
    *, session: Session, campaign: Campaign, path: Path, by: str, sheet: str | None = None
) -> ClearingImportResult:
    """Apply the decisions in a returned clearing sheet; bad rows are reported, not applied.

    A row is bad when its company is unknown (Nr./CVR), its key columns were edited (the
    CVR no longer matches the company with that Nr.), the decision word is unknown, or the
    company's jobcenter has already signed off. Empty decisions leave the company as it is.
    """
    assert campaign.id is not None
    if not by.strip():
        raise InvalidInput("Angiv hvem der har truffet beslutningerne (--by NAVN).")
    table = read_table(path, sheet=sheet)
    hmap = map_headers(table.headers, _CLEARING_ALIASES)
    if hmap.missing(["decision"]) or (hmap.missing(["id"]) and hmap.missing(["cvr"])):
        raise InvalidInput(
            f"{path} ligner ikke et clearing-ark: kolonnerne Nr./CVR-nr. og Beslutning mangler.",
            hint="Brug filen fra phoner list clearing-export, og behold kolonneoverskrifterne.",
        )
    companies = {
        c.id: c
        for c in session.exec(select(Company).where(Company.campaign_id == campaign.id)).all()
    }
    by_cvr = {c.cvr: c for c in companies.values() if c.cvr}
    signed = _signed_jobcenters(session, campaign.id)
    result = ClearingImportResult(read=table.read, errors=list(table.rejects))
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
        decision = DECISION_WORDS.get(word.lower())
        if decision is None:
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
    session.flush()
    return result


# =========================================================================== sign-off


@dataclass(frozen=True)
class SignOffResult:
    jobcenter: str
    list_version: int
    kept: int
    removed: int
    forced: bool
    unreviewed_proposals: int
    out_of_target: int = 0  # not counted in kept/removed: never called anyway


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
    ``force`` the sign-off is refused while proposals are unreviewed; ``force`` signs
    off anyway (proposals become removals) and is audited as forced.
    """
    assert campaign.id is not None and jobcenter.id is not None
    if not by.strip():
        raise InvalidInput("Angiv hvem der godkender listen (--by NAVN).")
    cj = campaign_jobcenter(session=session, campaign_id=campaign.id, jobcenter_id=jobcenter.id)
    if cj.signed_off_at is not None:
        raise Conflict(
            f"{jobcenter.name} har allerede godkendt sin liste (version {cj.list_version}, "
            f"{_local(cj.signed_off_at)} af {cj.signed_off_by}).",
            hint="Vil du ændre den, så genåbn den: phoner list reopen.",
        )
    companies = clearing_companies(
        session=session, campaign_id=campaign.id, jobcenter_id=jobcenter.id
    )
    if not companies and not force:
        raise InvalidInput(
            f"{jobcenter.name} har ingen virksomheder i kampagnen {campaign.name!r}.",
            hint="Importér listen først (phoner list import), eller brug --force.",
        )
    unreviewed = [
        c for c in companies if c.clearing_state == ClearingState.PENDING and c.clearing_proposal
    ]
    if unreviewed and not force:
        raise Conflict(
            f"{len(unreviewed)} virksomheder hos {jobcenter.name} er foreslået fjernet, men "
            "ikke gennemgået (fx " + ", ".join(c.name for c in unreviewed[:3]) + ").",
            hint="Tag stilling i clearing-arket (phoner list clearing-export/-import), eller "
            "godkend alligevel med --force (forslagene bliver så til 'Fjern').",
        )
    now = utcnow()
    kept = removed = out_of_target = 0
    for c in companies:
        if c.clearing_state == ClearingState.PENDING:
            c.clearing_state = (
                ClearingState.REMOVE if c.clearing_proposal is not None else ClearingState.KEEP
            )
            c.updated_at = now
            session.add(c)
        if c.out_of_target is not None:
            out_of_target += 1
        elif c.clearing_state == ClearingState.KEEP:
            kept += 1
        else:
            removed += 1
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
        },
        reason=reason or ("godkendt med --force" if force else None),
    )
    session.flush()
    return SignOffResult(
        jobcenter.name, cj.list_version, kept, removed, force, len(unreviewed), out_of_target
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
    cj = campaign_jobcenter(session=session, campaign_id=campaign.id, jobcenter_id=jobcenter.id)
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


# =========================================================================== show


@dataclass(frozen=True)
class JobcenterStatus:
    jobcenter: str
    companies: int
    kept: int
    removed: int
    pending: int
    proposed: int
    out_of_target: int
    signed_off_at: dt.datetime | None
    signed_off_by: str | None
    forced: bool
    list_version: int


def state_of(company: Company) -> str:
    """One word for a company's list state (``phoner list show --state``)."""
    if company.out_of_target is not None:
        return "uden_for_maalgruppe"
    if company.clearing_state == ClearingState.KEEP:
        return "behold"
    if company.clearing_state == ClearingState.REMOVE:
        return "fjern"
    return "foreslaaet_fjernet" if company.clearing_proposal is not None else "afventer"


LIST_STATES = ("afventer", "foreslaaet_fjernet", "behold", "fjern", "uden_for_maalgruppe")


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
    stmt = select(Company).where(Company.campaign_id == campaign.id)
    if jobcenter is not None:
        stmt = stmt.where(Company.jobcenter_id == jobcenter.id)
    jc_names = {j.id: j.name for j in session.exec(select(Jobcenter)).all()}
    rounds = {
        r.id: r.number
        for r in session.exec(select(Round).where(Round.campaign_id == campaign.id)).all()
    }
    out: list[dict[str, Any]] = []
    for c in session.exec(stmt.order_by(col(Company.name), col(Company.id))).all():
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
                "flags": list(c.flags),
                "employees": c.employees,
                "municipality": c.municipality,
                "call_state": c.call_state.value,
            }
        )
    return out


def jobcenter_status(*, session: Session, campaign: Campaign) -> list[JobcenterStatus]:
    """Per jobcenter of the campaign: counts and sign-off."""
    assert campaign.id is not None
    out: list[JobcenterStatus] = []
    cjs = session.exec(
        select(CampaignJobcenter, Jobcenter)
        .join(Jobcenter, col(Jobcenter.id) == col(CampaignJobcenter.jobcenter_id))
        .where(CampaignJobcenter.campaign_id == campaign.id)
        .order_by(col(Jobcenter.name))
    ).all()
    for cj, jc in cjs:
        companies = session.exec(
            select(Company).where(Company.campaign_id == campaign.id, Company.jobcenter_id == jc.id)
        ).all()
        out.append(
            JobcenterStatus(
                jobcenter=jc.name,
                companies=len(companies),
                kept=sum(c.clearing_state == ClearingState.KEEP for c in companies),
                removed=sum(c.clearing_state == ClearingState.REMOVE for c in companies),
                pending=sum(c.clearing_state == ClearingState.PENDING for c in companies),
                proposed=sum(
                    c.clearing_state == ClearingState.PENDING and c.clearing_proposal is not None
                    for c in companies
                ),
                out_of_target=sum(c.out_of_target is not None for c in companies),
                signed_off_at=cj.signed_off_at,
                signed_off_by=cj.signed_off_by,
                forced=cj.forced,
                list_version=cj.list_version,
            )
        )
    return out
