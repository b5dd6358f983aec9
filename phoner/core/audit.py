"""The audit log: who changed what, when, from which value to which.

Two ways in, one log:

- Services call :func:`record` in the same transaction as the change itself, with a
  meaningful action ("record_outcome", "book", "clearing_decision") and the values that
  matter to a reader.
- Every other change of an audited row is caught by SQLAlchemy session events, so a
  service that forgets :func:`record` (or a script working on a plain session) cannot
  change an outcome, a booking, a visit result, an agreement or a clearing decision
  without leaving a trace. The entry is added in the same transaction as the change:
  they are committed together or rolled back together.

What is audited automatically (:data:`AUDITED`): every insert, update and delete of
:class:`CallAttempt`, :class:`Booking`, :class:`VisitResult` and :class:`Agreement`, and
changes of a company's ``clearing_state``, ``clearing_proposal`` and ``clearing_note``.

Who: ``session.info["actor"]`` (set it with :func:`set_actor`; :func:`record` sets it
too when a service names the actor), else ``"ukendt"``.

No double entries: when a service has already recorded an explicit entry for the same
row in the transaction (or, for agreements, for their visit result), the automatic entry
is left out: the explicit one says more. Automatic entries are written when the
transaction commits (after the last flush), so the order of ``record`` and the change
within a transaction does not matter; a rolled-back savepoint drops its entries.

Personal data (notes, contact persons, phone numbers: :data:`phoner.core.gdpr.PERSONAL_KEYS`)
is never copied into automatic entries: the entry says the field changed
(``"[personoplysning]"``) but not to what, so the audit log, which is kept longer than the
personal data, never needs anonymising for them.

Bulk statements through a session (``session.execute(update(Booking)...)``, as GDPR
anonymisation uses) bypass the unit of work; they get one entry per statement with the
columns set, their new values and the number of rows. A lease taken on a company is such
a statement, but touches no audited field, so it leaves no entry; nor does blanking only
personal fields (GDPR anonymisation, which records its own entry). Only SQL sent past
the ORM session (a raw connection) is not seen.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, SessionTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from phoner.core.models import (
    Agreement,
    AuditLog,
    Booking,
    CallAttempt,
    Company,
    VisitResult,
)

UNKNOWN_ACTOR = "ukendt"
PERSONAL_MARK = "[personoplysning]"
ACTOR_KEY = "actor"
_PENDING = "phoner_audit_pending"
_EXPLICIT = "phoner_audit_explicit"

#: model -> the attributes whose changes are audited (None: every column).
AUDITED: dict[type[Any], frozenset[str] | None] = {
    CallAttempt: None,
    Booking: None,
    VisitResult: None,
    Agreement: None,
    Company: frozenset({"clearing_state", "clearing_proposal", "clearing_note"}),
}
#: models audited on insert and delete too (Company: only changes of its clearing fields)
_WHOLE_ROW = frozenset({CallAttempt, Booking, VisitResult, Agreement})
#: bookkeeping columns whose changes are not changes of the booking (reminder sent, the
#: consultant notified): an entry for each e-mail sent would only drown the real ones
_NOT_AUDITED = frozenset({"reminder_sent_at", "consultant_notified_at"})


def set_actor(session: Session | OrmSession, actor: str) -> None:
    """Name who is making the changes in ``session`` (used by automatic entries)."""
    actor = actor.strip()
    if actor:
        session.info[ACTOR_KEY] = actor


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    campaign_id: int | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditLog:
    """Add an explicit audit entry to ``session`` (committed with the change itself)."""
    entry = AuditLog(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        campaign_id=campaign_id,
        old=old,
        new=new,
        reason=reason,
    )
    session.add(entry)
    if ACTOR_KEY not in session.info and actor.strip():
        set_actor(session, actor)
    if entity_id is not None:
        _explicit(session).append((_current_tx(session), (entity, entity_id)))
    return entry


# --------------------------------------------------------------------------- automatic


@dataclass
class _Change:
    """One audited row change, waiting for the transaction to commit."""

    action: str  # insert | update | delete
    entity: str
    obj: Any
    entity_id: int | None
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    parent: tuple[str, int] | None = None  # an explicit entry for this covers the change
    reason: str | None = None


def _current_tx(session: OrmSession) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def _pending(session: OrmSession) -> list[tuple[SessionTransaction | None, _Change]]:
    value: list[tuple[SessionTransaction | None, _Change]] = session.info.setdefault(_PENDING, [])
    return value


def _explicit(
    session: OrmSession,
) -> list[tuple[SessionTransaction | None, tuple[str, int]]]:
    value: list[tuple[SessionTransaction | None, tuple[str, int]]] = session.info.setdefault(
        _EXPLICIT, []
    )
    return value


def _personal_keys() -> frozenset[str]:
    from phoner.core.gdpr import PERSONAL_KEYS  # late: gdpr imports this module

    return PERSONAL_KEYS


def _plain(name: str, value: Any) -> Any:
    """A JSON-safe copy of ``value``; personal data only as a marker."""
    if name in _personal_keys():
        return None if value in (None, "", [], {}) else PERSONAL_MARK
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain("", v) for v in value]
    return value


def _columns(obj: Any) -> list[str]:
    return [attr.key for attr in sa.inspect(obj).mapper.column_attrs]


def _watched(obj: Any) -> list[str]:
    fields = AUDITED[type(obj)]
    names = _columns(obj) if fields is None else sorted(fields)
    return [n for n in names if n not in _NOT_AUDITED]


def _parent(obj: Any) -> tuple[str, int] | None:
    if isinstance(obj, Agreement) and obj.visit_result_id is not None:
        return (str(VisitResult.__tablename__), obj.visit_result_id)
    return None


def _entity(obj: Any) -> str:
    return str(type(obj).__tablename__)


def _snapshot(obj: Any) -> dict[str, Any]:
    state = sa.inspect(obj)
    out: dict[str, Any] = {}
    for name in _watched(obj):
        if name in state.unloaded:
            continue
        out[name] = _plain(name, getattr(obj, name))
    return out


def _diff(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = sa.inspect(obj)
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for name in _watched(obj):
        hist = state.attrs[name].history
        if not hist.has_changes():
            continue
        before = hist.deleted[0] if hist.deleted else None
        after = hist.added[0] if hist.added else None
        if before == after:
            continue
        old[name] = _plain(name, before)
        new[name] = _plain(name, after)
    return old, new


@event.listens_for(OrmSession, "before_flush")
def _before_flush(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    """Updates and deletes: read old values while the rows are still there."""
    tx = _current_tx(session)
    for obj in list(session.dirty):
        if type(obj) not in AUDITED or not session.is_modified(obj):
            continue
        old, new = _diff(obj)
        if new:
            ident = getattr(obj, "id", None)
            _pending(session).append(
                (tx, _Change("update", _entity(obj), obj, ident, old, new, _parent(obj)))
            )
    for obj in list(session.deleted):
        if type(obj) not in _WHOLE_ROW:
            continue
        ident = getattr(obj, "id", None)
        _pending(session).append(
            (tx, _Change("delete", _entity(obj), obj, ident, _snapshot(obj), None, _parent(obj)))
        )


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _ctx: Any) -> None:
    """Inserts: the new rows have their ids now."""
    tx = _current_tx(session)
    for obj in list(session.new):
        if type(obj) not in _WHOLE_ROW:
            continue
        ident = getattr(obj, "id", None)
        _pending(session).append(
            (tx, _Change("insert", _entity(obj), obj, ident, None, _snapshot(obj), _parent(obj)))
        )


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> Any:
    """``session.execute(update(Booking)...)`` / ``delete(...)`` bypass the unit of work;
    they get one entry per statement: which columns, set to what, on how many rows."""
    if not (state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    model = mapper.class_ if mapper is not None else None
    if model not in AUDITED:
        return None
    values: dict[str, Any] = {}
    if state.is_update:
        raw = getattr(state.statement, "_values", None) or {}
        values = {str(getattr(k, "key", k)): v for k, v in raw.items()}
        watched = AUDITED[model]
        values = {
            k: v
            for k, v in values.items()
            if k not in _NOT_AUDITED and (watched is None or k in watched)
        }
        # blanking personal data only is GDPR anonymisation (gdpr.purge records it)
        if not values or set(values) <= _personal_keys():
            return None  # e.g. a lease taken on a company: not an audited field
    elif model not in _WHOLE_ROW:
        return None
    result = state.invoke_statement()
    rows = getattr(result, "rowcount", None)
    new = {k: _plain(k, _literal(v)) for k, v in values.items()} or None
    change = _Change(
        "bulk_update" if state.is_update else "bulk_delete",
        str(model.__tablename__),
        None,
        None,
        None,
        new,
        reason=(
            f"{rows} {'række' if rows == 1 else 'rækker'}"
            if isinstance(rows, int) and rows >= 0
            else None
        ),
    )
    _pending(state.session).append((_current_tx(state.session), change))
    return result


def _literal(value: Any) -> Any:
    """A bound value as itself; an SQL expression (``attempts + 1``) as its SQL text."""
    if isinstance(value, sa.BindParameter):
        value = value.effective_value
    plain = value is None or isinstance(
        value, str | int | float | bool | dict | list | enum.Enum | dt.date | dt.time
    )
    return value if plain else str(value)


def _campaign_of(session: OrmSession, obj: Any) -> int | None:
    if obj is None:
        return None
    with session.no_autoflush:
        if isinstance(obj, Agreement):
            obj = session.get(VisitResult, obj.visit_result_id)
        if isinstance(obj, VisitResult):
            obj = session.get(Booking, obj.booking_id)
        value = getattr(obj, "campaign_id", None) if obj is not None else None
        return int(value) if value is not None else None


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    """Write the automatic entries not covered by an explicit one, in this transaction."""
    if session.get_nested_transaction() is not None:
        return  # releasing a savepoint: the outer transaction writes them
    session.flush()  # run the events for changes not flushed yet
    pending = session.info.pop(_PENDING, [])
    explicit = {key for _tx, key in session.info.pop(_EXPLICIT, [])}
    if not pending:
        return
    actor = str(session.info.get(ACTOR_KEY) or UNKNOWN_ACTOR)
    entries: list[AuditLog] = []
    for _tx, change in pending:
        entity_id = change.entity_id
        if entity_id is None:
            entity_id = getattr(change.obj, "id", None)
        if entity_id is not None and (change.entity, entity_id) in explicit:
            continue
        if change.parent is not None and change.parent in explicit:
            continue
        entries.append(
            AuditLog(
                actor=actor,
                action=change.action,
                entity=change.entity,
                entity_id=entity_id,
                campaign_id=_campaign_of(session, change.obj),
                old=change.old,
                new=change.new,
                reason="automatisk registreret" + (f" ({change.reason})" if change.reason else ""),
            )
        )
    session.add_all(entries)


def _within(tx: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while tx is not None:
        if tx is ended:
            return True
        tx = tx.parent
    return False


@event.listens_for(OrmSession, "after_soft_rollback")
def _after_soft_rollback(session: OrmSession, previous: SessionTransaction) -> None:
    """A rolled-back (savepoint or whole) transaction takes its entries with it."""
    for key in (_PENDING, _EXPLICIT):
        items = session.info.get(key)
        if items:
            session.info[key] = [(tx, v) for tx, v in items if not _within(tx, previous)]


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction_end(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_EXPLICIT, None)
