"""The bulk insert of an import's new companies: raw SQL through the driver.

Invariant: a company inserted here reads back exactly as if inserted through the ORM
(same JSON text, enum codes, timestamps); the import tests run on SQLite and PostgreSQL.
Every new company starts ``pending`` in clearing, ``new`` in the queue, with no attempts.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from typing import Any

from sqlmodel import Session, col, select

from phoner.core.lists.records import COLUMNS, CompanyRecord
from phoner.core.lists.suppression import Proposal
from phoner.core.models import CallState, ClearingState, Company

#: A new company: its record, the targeting rule that excludes it, its removal proposal.
NewCompany = tuple[CompanyRecord, str | None, Proposal | None]

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


def insert_companies(
    session: Session,
    rows: list[NewCompany],
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
    keys = [*COLUMNS, *_INSERT_TAIL]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {Company.__tablename__} ({', '.join(keys)}) "
        f"VALUES ({', '.join([mark] * len(keys))})"
    )
    utc = now.astimezone(dt.UTC)
    stamp: Any = utc.replace(tzinfo=None).strftime(_SQLITE_TS) if dialect.name == "sqlite" else utc
    pending, new_state = ClearingState.PENDING.value, CallState.NEW.value
    getter = operator.attrgetter(*COLUMNS)
    json_pos = [pos for pos, k in enumerate(COLUMNS) if k in _JSON_COLUMNS]
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


def new_ids(session: Session, campaign_id: int, records: list[CompanyRecord]) -> list[int]:
    """Ids of just-inserted companies, found by CVR / P-number / name + phone."""
    out: list[int] = []
    for rec in records:
        stmt = select(Company.id).where(Company.campaign_id == campaign_id)
        if rec.cvr:
            stmt = stmt.where(Company.cvr == rec.cvr)
        elif rec.p_number:
            stmt = stmt.where(Company.p_number == rec.p_number)
        else:
            stmt = stmt.where(Company.name == rec.name, col(Company.cvr).is_(None))
        cid = session.exec(stmt.order_by(col(Company.id).desc())).first()
        assert cid is not None
        out.append(cid)
    return out
