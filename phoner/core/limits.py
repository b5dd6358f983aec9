"""How long a text may be in each column, and a Danish refusal when it is longer.

The limits are the ones the tables declare (``Field(max_length=...)`` -> ``VARCHAR(n)``),
read from the table metadata, so this module is the one place that knows them and never
drifts from the schema. PostgreSQL refuses a longer value with a driver error (an
unexpected-error crash before); SQLite would store it silently. Both now get the same
:class:`InvalidInput` naming the field, how long it was and the limit:

- services may call :func:`check_length` on a user's input to name the option;
- every ORM flush checks the new and changed rows (a session event), so no service can
  forget it. Bulk statements (imports) validate their own rows per row.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from phoner.core.errors import InvalidInput

#: Danish names of fields a user types into, by column name (or "table.column" first).
_LABELS: dict[str, str] = {
    "campaign.name": "Kampagnens navn",
    "consultant.name": "Konsulentens navn",
    "jobcenter.name": "Jobcenterets navn",
    "company.name": "Virksomhedens navn",
    "auditlog.reason": "Noten/begrundelsen",
    "auditlog.actor": "Navnet på den, der handler",
    "booking.contact_person": "Kontaktpersonen",
    "booking.contact_email": "Kontaktpersonens e-mail",
    "booking.contact_mobile": "Kontaktpersonens mobilnummer",
    "actor": "Navnet på den, der handler",
    "booked_by": "Navnet på den, der booker",
    "phoner": "Phonerens navn",
    "registered_by": "Navnet på den, der registrerer",
    "done_by": "Navnet på den, der afslutter",
    "signed_off_by": "Navnet på den, der godkender",
    "callback_phoner": "Phonerens navn",
    "lease_holder": "Phonerens navn",
    "contact_person": "Kontaktpersonen",
    "email": "E-mailadressen",
    "note": "Noten",
    "clearing_note": "Clearingnoten",
    "description": "Beskrivelsen",
    "address": "Adressen",
    "city": "Byen",
    "industry": "Branchen",
    "absence_source": "Fraværskalenderen",
    "script_path": "Stien til manuskriptet",
}


@functools.cache
def _limits(table: sa.Table) -> tuple[tuple[str, str, int], ...]:
    """(attribute key, column name, max length) of the table's bounded text columns."""
    out = []
    for column in table.columns:
        kind = column.type
        impl = getattr(kind, "impl", kind)  # sqlmodel's AutoString decorates a String
        length = getattr(kind, "length", None)
        if isinstance(impl, sa.String) and isinstance(length, int):
            out.append((column.key, column.name, length))
    return tuple(out)


def max_length(model: type[Any], field: str) -> int | None:
    """The most characters ``model.field`` holds (None: unbounded)."""
    table: sa.Table = model.__table__
    for key, _name, length in _limits(table):
        if key == field:
            return length
    return None


#: The option a user types a column's value with (the CLI names it), by column name.
_FIELDS: dict[str, str] = {
    "auditlog.actor": "by",
    "booking.contact_person": "contact",
    "actor": "by",
    "booked_by": "by",
    "phoner": "by",
    "registered_by": "by",
    "done_by": "by",
    "signed_off_by": "by",
}


def field_of(table_name: str, column: str) -> str | None:
    return _FIELDS.get(f"{table_name}.{column}") or _FIELDS.get(column)


def label(table_name: str, column: str) -> str:
    return _LABELS.get(f"{table_name}.{column}") or _LABELS.get(column) or f"Feltet {column!r}"


def check_length(
    model: type[Any], field: str, value: str | None, *, what: str | None = None
) -> None:
    """Raise a Danish :class:`InvalidInput` when ``value`` is too long for ``model.field``."""
    limit = max_length(model, field)
    if value is None or limit is None or len(value) <= limit:
        return
    name = what or label(str(model.__tablename__), field)
    raise InvalidInput(
        f"{name} er for lang: {len(value)} tegn, højst {limit}.",
        hint="Forkort teksten og prøv igen. Intet blev gemt.",
        field=field_of(str(model.__tablename__), field),
    )


def check_row(obj: Any) -> None:
    """Check every bounded text attribute of an ORM object."""
    table = getattr(type(obj), "__table__", None)
    if not isinstance(table, sa.Table):
        return
    values = obj.__dict__
    for key, name, limit in _limits(table):
        value = values.get(key)
        if isinstance(value, str) and len(value) > limit:
            raise InvalidInput(
                f"{label(table.name, name)} er for lang: {len(value)} tegn, højst {limit}.",
                hint="Forkort teksten og prøv igen. Intet blev gemt.",
                field=field_of(table.name, name),
            )


@event.listens_for(OrmSession, "before_flush")
def _check_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    for obj in session.new:
        check_row(obj)
    for obj in session.dirty:
        check_row(obj)


INSTALLED = True
