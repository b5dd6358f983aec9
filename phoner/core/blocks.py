"""The do-not-call register: companies that asked never to be contacted again.

An entry (:class:`~phoner.core.models.DoNotCall`) names a company by CVR, P-number and/or
phone numbers. While it is active it blocks every company, in every campaign of every
jobcenter of the database, that has its CVR, its P-number or one of its phone numbers:
such a company carries the entry's id in ``Company.blocked_id`` and the eligibility clause
(:func:`phoner.core.lists.eligibility.callable_clause`) never lets the queue hand it out.
The register is never a reason to delete a company: a list import keeps the company and
reports it as not callable, with the reason.

Entries come from a phoner's final outcome *frabeder sig henvendelser*
(:func:`record_from_call`, in the call's own transaction: the CVR of the company blocks
the whole legal unit, not only the branch called), from a coordinator (:func:`add_block`)
or from an existing register (:func:`import_register`). Only a coordinator lifts an entry,
with who and why (:func:`lift_blocks`); lifted entries are kept, as history. Every change
is audited.

``blocked_id`` is kept here and only here: :func:`mark_companies` (re)computes it for a
set of companies against the active entries, so a company blocked in the middle of a
campaign is out of the queue from the next claim on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from phoner.core import audit, importing
from phoner.core.companies import invalid_cvr_reason
from phoner.core.errors import ActorMissing, InvalidInput, NotFound
from phoner.core.lists.records import FIELD_ALIASES, parse_p_number
from phoner.core.models import CallAttempt, Campaign, Company, DoNotCall, utcnow
from phoner.core.phones import cvr_is_valid, normalize_cvr, parse_phones
from phoner.formats.tabular import REJECT_META_HEADERS, Row, map_headers, read_table

#: The reason of an entry when none is given (the outcome's own words).
DEFAULT_REASON = "Frabeder sig henvendelser"

SOURCE_CALL = "opkald"
SOURCE_MANUAL = "manuel"
SOURCE_IMPORT = "import"

#: The columns of a register file (Danish and English aliases).
REGISTER_ALIASES: dict[str, list[str]] = {
    "cvr": FIELD_ALIASES["cvr"],
    "p_number": FIELD_ALIASES["p_number"],
    "phone": FIELD_ALIASES["phone"],
    "name": FIELD_ALIASES["name"],
    "reason": ["Begrundelse", "Bemærkning", "Reason", "Note"],
}


@dataclass(frozen=True)
class Block:
    """One entry of the register, as plain data."""

    id: int
    cvr: str | None
    p_number: str | None
    phones: tuple[str, ...]
    company_name: str | None
    reason: str
    source: str
    campaign_name: str | None
    created_by: str
    created_at: dt.datetime
    lifted_at: dt.datetime | None
    lifted_by: str | None
    lift_reason: str | None

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    @property
    def what(self) -> str:
        """The company in a sentence: ``"Ærø Bageri (CVR 12345674)"``."""
        keys = [f"CVR {self.cvr}"] if self.cvr else []
        keys += [f"P-nr. {self.p_number}"] if self.p_number else []
        keys += [f"tlf. {p}" for p in self.phones]
        return f"{self.company_name or 'Virksomheden'} ({', '.join(keys)})"

    @classmethod
    def of(cls, e: DoNotCall) -> Block:
        assert e.id is not None
        return cls(
            id=e.id,
            cvr=e.cvr,
            p_number=e.p_number,
            phones=tuple(e.phones),
            company_name=e.company_name,
            reason=e.reason,
            source=e.source,
            campaign_name=e.campaign_name,
            created_by=e.created_by,
            created_at=e.created_at,
            lifted_at=e.lifted_at,
            lifted_by=e.lifted_by,
            lift_reason=e.lift_reason,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cvr": self.cvr,
            "p_number": self.p_number,
            "phones": list(self.phones),
            "name": self.company_name,
            "reason": self.reason,
            "source": self.source,
            "campaign": self.campaign_name,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "lifted_at": None if self.lifted_at is None else self.lifted_at.isoformat(),
            "lifted_by": self.lifted_by,
            "lift_reason": self.lift_reason,
        }


@dataclass(frozen=True)
class BlockedCompany:
    """A company of a campaign that the register blocks, and why."""

    company_id: int
    name: str
    cvr: str | None
    block_id: int
    reason: str


# --------------------------------------------------------------------------- matching


class _Index:
    """The active entries by CVR, P-number and phone: which entry blocks a company."""

    def __init__(self, entries: Iterable[DoNotCall]) -> None:
        self.cvr: dict[str, int] = {}
        self.p_number: dict[str, int] = {}
        self.phone: dict[str, int] = {}
        for e in entries:
            assert e.id is not None
            if e.cvr:
                self.cvr.setdefault(e.cvr, e.id)
            if e.p_number:
                self.p_number.setdefault(e.p_number, e.id)
            for p in e.phones:
                self.phone.setdefault(p, e.id)

    def __bool__(self) -> bool:
        return bool(self.cvr or self.p_number or self.phone)

    def match(self, cvr: str | None, p_number: str | None, phones: Sequence[str]) -> int | None:
        if cvr and cvr in self.cvr:
            return self.cvr[cvr]
        if p_number and p_number in self.p_number:
            return self.p_number[p_number]
        for p in phones:
            if p in self.phone:
                return self.phone[p]
        return None


def any_active(session: Session) -> bool:
    """Whether the register has an active entry (a cheap check before matching a list)."""
    stmt = select(DoNotCall.id).where(col(DoNotCall.lifted_at).is_(None)).limit(1)
    return session.exec(stmt).first() is not None


def _active(session: Session) -> list[DoNotCall]:
    return list(session.exec(select(DoNotCall).where(col(DoNotCall.lifted_at).is_(None))).all())


def mark_companies(session: Session, *, where: ColumnElement[bool] | None = None) -> int:
    """Set ``blocked_id`` of the companies ``where`` selects (all: None) from the active
    entries; returns how many companies changed. Writes in bulk, without the ORM rows."""
    index = _Index(_active(session))
    stmt = sa.select(
        col(Company.id),
        col(Company.cvr),
        col(Company.p_number),
        col(Company.phones),
        col(Company.blocked_id),
    )
    if where is not None:
        stmt = stmt.where(where)
    elif not index:
        stmt = stmt.where(col(Company.blocked_id).is_not(None))
    changes: dict[int | None, list[int]] = {}
    for cid, cvr, p_number, phones, blocked in session.execute(stmt).all():
        now_blocked = index.match(cvr, p_number, phones or ()) if index else None
        if now_blocked != blocked:
            changes.setdefault(now_blocked, []).append(cid)
    for block_id, ids in changes.items():
        for start in range(0, len(ids), 500):
            session.execute(
                sa.update(Company)
                .where(col(Company.id).in_(ids[start : start + 500]))
                .values(blocked_id=block_id)
            )
    return sum(len(ids) for ids in changes.values())


def _matching(entry: DoNotCall) -> ColumnElement[bool]:
    """SQL: the not yet blocked companies ``entry`` blocks (phones: in the JSON text)."""
    terms: list[ColumnElement[bool]] = []
    if entry.cvr:
        terms.append(col(Company.cvr) == entry.cvr)
    if entry.p_number:
        terms.append(col(Company.p_number) == entry.p_number)
    for p in entry.phones:
        terms.append(sa.cast(col(Company.phones), sa.Text).like(f'%"{p}"%'))
    return sa.and_(col(Company.blocked_id).is_(None), sa.or_(*terms))


def _block_matching(session: Session, entry: DoNotCall) -> int:
    """Block the companies ``entry`` matches (one statement); how many."""
    session.flush()
    result = session.execute(sa.update(Company).where(_matching(entry)).values(blocked_id=entry.id))
    return int(getattr(result, "rowcount", 0) or 0)


def blocked_in_campaign(session: Session, campaign_id: int) -> list[BlockedCompany]:
    """The campaign's companies the register blocks, in list order."""
    rows = session.execute(
        sa.select(
            col(Company.id),
            col(Company.name),
            col(Company.cvr),
            col(DoNotCall.id),
            col(DoNotCall.reason),
        )
        .join(DoNotCall, col(DoNotCall.id) == col(Company.blocked_id))
        .where(col(Company.campaign_id) == campaign_id)
        .order_by(col(Company.id))
    ).all()
    return [BlockedCompany(cid, name, cvr, bid, reason) for cid, name, cvr, bid, reason in rows]


# --------------------------------------------------------------------------- checking


def _cvr(text: str) -> str:
    cvr = normalize_cvr(text)
    if cvr is None or not cvr_is_valid(cvr):
        raise InvalidInput(invalid_cvr_reason(text) + ".", field="cvr")
    return cvr


def _p_number(text: str) -> str:
    p = parse_p_number(text)
    if p is None or len(p) != 10 or not p.isdigit() or not p.isascii():
        raise InvalidInput(f"Ugyldigt P-nummer {text!r} (10 cifre).", field="p_number")
    return p


def _phones(text: str) -> list[str]:
    parsed = parse_phones(text)
    if parsed.invalid or not parsed.valid:
        raise InvalidInput(f"{text!r} er ikke et gyldigt telefonnummer.", field="phone")
    return parsed.valid


def _actor(actor: str, what: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise ActorMissing(what)
    return actor


# --------------------------------------------------------------------------- use cases


def add_block(
    *,
    session: Session,
    actor: str,
    cvr: str | None = None,
    p_number: str | None = None,
    phone: str | None = None,
    company_name: str | None = None,
    reason: str | None = None,
    source: str = SOURCE_MANUAL,
    now: dt.datetime | None = None,
) -> tuple[Block, int]:
    """Put a company on the register (at least one of CVR, P-number, phone); returns the
    entry and how many companies it now blocks. An active entry with the same keys is
    returned as it is (nothing new is written, 0 companies)."""
    actor = _actor(actor, "Angiv hvem der skriver virksomheden på spærrelisten.")
    keys = _keys(cvr, p_number, phone)
    existing = _same_active(session, *keys)
    if existing is not None:
        return Block.of(existing), 0
    entry = DoNotCall(
        cvr=keys[0],
        p_number=keys[1],
        phones=keys[2],
        company_name=(company_name or "").strip()[:300] or None,
        reason=((reason or "").strip() or DEFAULT_REASON)[:500],
        source=source,
        created_by=actor[:120],
        created_at=now or utcnow(),
    )
    session.add(entry)
    blocked = _block_matching(session, entry)
    audit.record(
        session,
        actor=actor,
        action="block_add",
        entity="donotcall",
        entity_id=entry.id,
        new={"cvr": entry.cvr, "p_number": entry.p_number, "companies": blocked},
        reason=entry.reason,
    )
    return Block.of(entry), blocked


def _keys(
    cvr: str | None, p_number: str | None, phone: str | None
) -> tuple[str | None, str | None, list[str]]:
    c = _cvr(cvr) if cvr and cvr.strip() else None
    p = _p_number(p_number) if p_number and p_number.strip() else None
    phones = _phones(phone) if phone and phone.strip() else []
    if c is None and p is None and not phones:
        raise InvalidInput(
            "Angiv virksomhedens CVR-nummer, P-nummer eller telefonnummer.", field="cvr"
        )
    return c, p, phones


def _same_active(
    session: Session, cvr: str | None, p_number: str | None, phones: list[str]
) -> DoNotCall | None:
    for e in _active(session):
        if (e.cvr, e.p_number, sorted(e.phones)) == (cvr, p_number, sorted(phones)):
            return e
    return None


def record_from_call(
    *,
    session: Session,
    company: Company,
    campaign: Campaign,
    attempt: CallAttempt,
    phoner: str,
    note: str | None,
) -> DoNotCall:
    """The register entry of a call whose outcome is *frabeder sig henvendelser*, in the
    call's transaction: the company's CVR, P-number and phones, and every company they
    match (in any campaign) blocked from now on."""
    entry = DoNotCall(
        cvr=company.cvr,
        p_number=company.p_number,
        phones=list(company.phones),
        company_name=company.name,
        reason=(DEFAULT_REASON + (f": {note}" if note else ""))[:500],
        source=SOURCE_CALL,
        campaign_name=campaign.name,
        attempt_id=attempt.id,
        created_by=phoner,
        created_at=attempt.ended_at or utcnow(),
    )
    session.add(entry)
    session.flush()
    session.execute(
        sa.update(Company)
        .where(sa.or_(col(Company.id) == company.id, _matching(entry)))
        .where(col(Company.blocked_id).is_(None))
        .values(blocked_id=entry.id)
    )
    company.blocked_id = entry.id
    audit.record(
        session,
        actor=phoner,
        action="block_add",
        entity="donotcall",
        entity_id=entry.id,
        campaign_id=campaign.id,
        new={"cvr": entry.cvr, "p_number": entry.p_number, "company_id": company.id},
        reason=DEFAULT_REASON,
    )
    return entry


def undo_from_call(*, session: Session, attempt_id: int, actor: str) -> None:
    """An undone call takes its register entry with it (the phoner pressed the wrong key):
    the entry is deleted and the companies it blocked are matched again."""
    entries = session.exec(select(DoNotCall).where(DoNotCall.attempt_id == attempt_id)).all()
    if not entries:
        return
    ids = [e.id for e in entries]
    held = list(session.exec(select(Company.id).where(col(Company.blocked_id).in_(ids))).all())
    session.execute(
        sa.update(Company).where(col(Company.blocked_id).in_(ids)).values(blocked_id=None)
    )
    for e in entries:
        audit.record(
            session,
            actor=actor,
            action="block_undo",
            entity="donotcall",
            entity_id=e.id,
            old={"cvr": e.cvr, "p_number": e.p_number, "attempt_id": attempt_id},
        )
        session.delete(e)
    session.flush()
    mark_companies(session, where=col(Company.id).in_(held))


def list_blocks(*, session: Session, include_lifted: bool = False) -> list[Block]:
    """The register, newest first (active entries only unless ``include_lifted``)."""
    stmt = select(DoNotCall).order_by(col(DoNotCall.created_at).desc(), col(DoNotCall.id).desc())
    if not include_lifted:
        stmt = stmt.where(col(DoNotCall.lifted_at).is_(None))
    return [Block.of(e) for e in session.exec(stmt).all()]


def lift_blocks(
    *,
    session: Session,
    actor: str,
    reason: str,
    block_id: int | None = None,
    cvr: str | None = None,
    p_number: str | None = None,
    phone: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[Block], int]:
    """Lift the active entries with that id, CVR, P-number or phone; returns them and how
    many companies are callable again (a company another entry still blocks stays out)."""
    actor = _actor(actor, "Angiv hvem der ophæver spærringen.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "Angiv hvorfor spærringen ophæves (fx at virksomheden selv har bedt om det).",
            field="reason",
        )
    if block_id is None:
        c, p, phones = _keys(cvr, p_number, phone)
    else:
        c, p, phones = None, None, []
    found = [
        e
        for e in _active(session)
        if e.id == block_id
        or (c is not None and e.cvr == c)
        or (p is not None and e.p_number == p)
        or any(x in e.phones for x in phones)
    ]
    if not found:
        raise NotFound(
            "Spærrelisten har ingen aktiv spærring for "
            + (
                f"nr. {block_id}"
                if block_id is not None
                else ", ".join([*filter(None, [c, p]), *phones])
            )
            + ".",
            hint="Se spærringerne med deres numre i spærrelisten.",
        )
    moment = now or utcnow()
    ids = [e.id for e in found]
    for e in found:
        e.lifted_at, e.lifted_by, e.lift_reason = moment, actor[:120], reason[:500]
        session.add(e)
        audit.record(
            session,
            actor=actor,
            action="block_remove",
            entity="donotcall",
            entity_id=e.id,
            old={"cvr": e.cvr, "p_number": e.p_number, "reason": e.reason},
            reason=reason,
        )
    session.flush()
    held = list(session.exec(select(Company.id).where(col(Company.blocked_id).in_(ids))).all())
    mark_companies(session, where=col(Company.id).in_(held))
    freed = session.exec(
        select(sa.func.count())
        .select_from(Company)
        .where(col(Company.id).in_(held), col(Company.blocked_id).is_(None))
    ).one()
    return [Block.of(e) for e in found], int(freed)


@dataclass(kw_only=True)
class RegisterImportResult(importing.ImportResult):
    """``added``: new entries; ``unchanged``: rows already on the register (active);
    ``blocked``: companies (in every campaign) the new entries block."""

    added: int = 0
    unchanged: int = 0
    blocked: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            **self.common_json(),
            "added": self.added,
            "unchanged": self.unchanged,
            "blocked": self.blocked,
        }


def import_register(
    *,
    session: Session,
    path: Path,
    actor: str,
    sheet: str | None = None,
    rejects_path: Path | None = None,
    now: dt.datetime | None = None,
) -> RegisterImportResult:
    """Import an existing do-not-call register (CSV/XLSX: CVR, P-nr., Telefon, optional
    Firmanavn and Begrundelse; "Årsag" is the rejects file's own column). A bad row is
    rejected with its line, column and reason into the rejects file; the rest goes in.
    Re-importing the same file adds nothing."""
    actor = _actor(actor, "Angiv hvem der indlæser spærrelisten.")
    table = read_table(path, sheet=sheet)
    hmap = map_headers(table.headers, REGISTER_ALIASES, ignore=REJECT_META_HEADERS)
    i_cvr, i_p, i_phone = hmap.index("cvr"), hmap.index("p_number"), hmap.index("phone")
    if i_cvr is None and i_p is None and i_phone is None:
        raise InvalidInput(
            f"{path}: filen har ingen kolonne for CVR, P-nummer eller Telefon.",
            hint="Kolonnerne i filen er: " + ", ".join(repr(h) for h in table.headers) + ".",
        )
    i_name, i_reason = hmap.index("name"), hmap.index("reason")
    result = RegisterImportResult()
    seen = {(e.cvr, e.p_number, tuple(sorted(e.phones))) for e in _active(session)}
    moment = now or utcnow()
    new: list[DoNotCall] = []

    keys = [repr(table.headers[i]) for i in (i_cvr, i_p, i_phone) if i is not None]
    key_columns = (
        f"kolonnen {keys[0]} er tom"
        if len(keys) == 1
        else f"kolonnerne {', '.join(keys[:-1])} og {keys[-1]} er tomme"
    )

    def parse(row: Row) -> tuple[str | None, str | None, list[str]] | str:
        problems: list[str] = []
        values: list[Any] = [None, None, []]
        for n, (i, fn) in enumerate(((i_cvr, _cvr), (i_p, _p_number), (i_phone, _phones))):
            raw = row.get(i)
            if not raw:
                continue
            try:
                values[n] = fn(raw)
            except InvalidInput as exc:
                assert i is not None
                problems.append(f"kolonnen {table.headers[i]!r}: {str(exc).rstrip('.')}")
        if problems:
            return "; ".join(problems) + ". Ret det, eller slet rækken."
        if not any(values[:2]) and not values[2]:
            return (
                f"Hverken CVR-nummer, P-nummer eller telefonnummer ({key_columns}). "
                "Skriv mindst ét af dem, eller slet rækken."
            )
        return values[0], values[1], values[2]

    for row, (c, p, phones) in importing.rows(table, parse, result):
        key = (c, p, tuple(sorted(phones)))
        if key in seen:
            result.unchanged += 1
            continue
        seen.add(key)
        entry = DoNotCall(
            cvr=c,
            p_number=p,
            phones=phones,
            company_name=row.get(i_name)[:300] or None,
            reason=(row.get(i_reason) or DEFAULT_REASON)[:500],
            source=SOURCE_IMPORT,
            created_by=actor[:120],
            created_at=moment,
        )
        session.add(entry)
        new.append(entry)
    session.flush()
    result.added = len(new)
    if new:
        result.blocked = mark_companies(session, where=col(Company.blocked_id).is_(None))
    importing.write_rejects(result, source=path, headers=table.headers, target=rejects_path)
    audit.record(
        session,
        actor=actor,
        action="block_import",
        entity="donotcall",
        entity_id=None,
        new={"file": str(path), **result.to_json()},
    )
    return result
