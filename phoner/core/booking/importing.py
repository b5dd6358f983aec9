"""Import bookings made elsewhere (a phoning contractor's sheet, another system's export).

A booking made outside phoner is a fact, not a request: the near-date rules (horizon,
notice, working days and hours, quarter hours, visits per day, travel time, own
jobcenter, holidays) are *not* enforced. Each row that breaks one is imported and counted
per rule in the summary (:attr:`BookingImportSummary.outside_rules`), so the coordinator
sees them. Past visits are allowed (a finished campaign is imported for its report).

Columns (matched case-, space- and spelling-insensitively, Danish or English:
:data:`FIELD_ALIASES`): ``CVR`` or ``P-nr.``, ``Konsulent`` (e-mail or name) and
``Start`` (``ÅÅÅÅ-MM-DD TT:MM``, Danish time, or a real Excel date cell; or ``Dato`` and
``Tid`` in two columns) are required; ``Varighed`` (minutes) or ``Slut``,
``Kontaktperson``, ``E-mail``, ``Mobil``, ``Note``, ``Booket af``, ``Booket den`` and
``Status`` (booket/aflyst) are optional. Without ``Varighed``/``Slut`` a visit lasts the
consultant's usual visit length.

What is refused (line and Danish reason into ``FILE.afviste.csv``, as every importer;
the good rows go in):

- a company not on the campaign's list, an unknown or ambiguous consultant, an unreadable
  cell (the reason names the column and what to write; every bad cell of the row at
  once);
- a clash: the visit overlaps another booked visit of the same consultant (in phoner or
  earlier in the file), own times only: travel time is one of the counted rules;
- a second live booking of the same company (live: booked and not yet over), as phoner's
  own booking refuses it.

Idempotent: a row matches an existing booking of the campaign on company + consultant +
start. A match is ``unchanged``; a match that the file now says is ``aflyst`` is
cancelled. Importing the same file again changes nothing.

Imported bookings are ordinary bookings (feeds, reminders to the company, reports,
``visits`` results by CVR); they close the company's open "call the company"
follow-ups as a booking does. They send no invitations (the session is flagged
:data:`phoner.core.notify.NO_INVITATIONS`: the visit is already in the consultant's
calendar) and no change notice to the consultant (``consultant_notified_at`` is set).
An imported visit blocks its own time plus the consultant's travel buffer up to the next
visit (``blocked_end``; an earlier visit's blocked time is cut back to the imported
start), so PostgreSQL's exclusion constraint holds without refusing back-to-back visits
made elsewhere.

Speed: the rows are checked in one read transaction against a snapshot, then written in
batches of :data:`BATCH_ROWS` rows, each a short write transaction that re-checks the
rows against bookings made since the snapshot; a batch the database refuses anyway (a
phoner booked the same time in that instant) is written again row by row, and the
refused rows become rejects, never a crash.

The row check lives in :mod:`.import_rows` (columns, cell parsers, :class:`~.import_rows.Checker`),
the batches' writing in :mod:`.import_writes`; this module plans and counts.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from phoner.core import importing
from phoner.core.booking.import_rows import (
    FIELD_ALIASES,
    Checker,
    Item,
    chunks,
    require_columns,
)
from phoner.core.booking.import_writes import Plan, write_batch
from phoner.core.booking.rules import Rule
from phoner.core.campaigns import get_campaign
from phoner.core.clock import local_date, to_local, utcnow
from phoner.core.db import Database
from phoner.core.display import format_local, format_slot
from phoner.core.errors import InvalidInput, PhonerError
from phoner.core.importing import ImportResult
from phoner.core.models import (
    Booking,
    BookingStatus,
    Campaign,
)
from phoner.core.workdays import add_working_days, holiday_name
from phoner.formats.tabular import REJECT_META_HEADERS, map_headers, read_table

#: Rows of the file per write transaction (a short hold of SQLite's write lock).
BATCH_ROWS = 1_000
#: The importer's pause between two batches on SQLite, so a waiting phoner gets the lock
#: (see :data:`phoner.core.lists.import_run.SQLITE_PAUSE_SECONDS`).
SQLITE_PAUSE_SECONDS = 0.11
#: A row outside clearing or the target group (the jobcenter removed the company, or it
#: is outside the campaign's target group): phoner's own booking would refuse it.
NOT_BOOKABLE = "ikke_bookbar"
#: The rules counted in ``outside_rules`` (code -> Danish label), in report order.
RULE_LABELS: dict[str, str] = {
    Rule.HORIZON.value: "uden for bookinghorisonten",
    Rule.NOTICE.value: "for kort varsel",
    Rule.HOLIDAY.value: "på en helligdag",
    Rule.WORKING_DAY.value: "på en af konsulentens fridage",
    Rule.WORKING_HOURS.value: "uden for konsulentens arbejdstid",
    Rule.QUARTER.value: "ikke på et helt kvarter",
    Rule.MAX_PER_DAY.value: "flere besøg på dagen end konsulentens maksimum",
    Rule.OVERLAP.value: "for kort transporttid til et andet besøg",
    Rule.JOBCENTER.value: "konsulent fra et andet jobcenter end virksomhedens",
    Rule.INACTIVE.value: "konsulenten er ikke aktiv",
    NOT_BOOKABLE: "virksomheden er fjernet i clearingen, uden for målgruppen eller spærret",
}


@dataclass(frozen=True)
class BookingImportProgress:
    """Where a running import is: rows of the file handled so far."""

    rows_done: int
    rows_total: int


@dataclass(kw_only=True)
class BookingImportSummary(ImportResult):
    """What a booking import did (the ``--json`` summary: :meth:`to_json`)."""

    imported: int = 0
    unchanged: int = 0
    cancelled: int = 0
    #: rule code -> rows of the file (in phoner after the import) that break it
    outside_rules: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULE_LABELS, 0))
    #: rows that break at least one rule
    outside_rules_rows: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            **self.common_json(),
            "imported": self.imported,
            "unchanged": self.unchanged,
            "cancelled": self.cancelled,
            "outside_rules": dict(self.outside_rules),
            "outside_rules_rows": self.outside_rules_rows,
        }


# --------------------------------------------------------------------------- plan


@dataclass(slots=True)
class _Visit:
    """A booked visit in a consultant's calendar: in phoner, or a row of the file."""

    start: dt.datetime
    end: dt.datetime
    booking_id: int | None
    line: int | None
    blocked_end: dt.datetime | None = None


def _plan(
    db: Database,
    path: Path,
    campaign_name: str,
    booked_by: str,
    now: dt.datetime,
    summary: BookingImportSummary,
    sheet: str | None = None,
) -> tuple[Plan, list[str]]:
    """Read and check the file against the database as it is (one read transaction)."""
    with db.session() as session:
        campaign = get_campaign(session=session, name=campaign_name)
        assert campaign.id is not None
        table = read_table(path, sheet=sheet)
        hmap = map_headers(table.headers, FIELD_ALIASES, ignore=REJECT_META_HEADERS)
        require_columns(path, table.headers, hmap)
        checker = Checker(session, campaign, hmap, booked_by, now)
        items = [item for _row, item in importing.rows(table, checker.check, summary)]
        max_id = session.exec(select(sa.func.max(Booking.id))).one() or 0
        existing = _existing(session, campaign.id, items)
        calendars = _calendars(session, items)
        live = _live_bookings(session, campaign.id, items, now)
    _decide(items, existing, calendars, live, now, summary)
    _blocked_times(items, calendars)
    _count_rules(items, calendars, campaign, now, summary)
    return Plan(campaign, items, int(max_id), now), list(table.headers)


def _existing(
    session: Session, campaign_id: int, items: list[Item]
) -> dict[tuple[int, int, dt.datetime], tuple[int, BookingStatus]]:
    """The campaign's bookings of the file's companies, by (company, consultant, start)."""
    ids = sorted({i.company.id for i in items})
    out: dict[tuple[int, int, dt.datetime], tuple[int, BookingStatus]] = {}
    for chunk in chunks(ids):
        for bid, company_id, consultant_id, start, status in session.execute(
            sa.select(
                col(Booking.id),
                col(Booking.company_id),
                col(Booking.consultant_id),
                col(Booking.start),
                col(Booking.status),
            ).where(col(Booking.campaign_id) == campaign_id, col(Booking.company_id).in_(chunk))
        ).all():
            assert bid is not None
            key = (company_id, consultant_id, start)
            if key not in out or status == BookingStatus.BOOKED:
                out[key] = (bid, status)
    return out


def _calendars(session: Session, items: list[Item]) -> dict[int, list[_Visit]]:
    """The booked visits (every campaign) of the file's consultants around its times."""
    out: dict[int, list[_Visit]] = defaultdict(list)
    if not items:
        return out
    low = min(i.start for i in items) - dt.timedelta(days=1)
    high = max(i.end for i in items) + dt.timedelta(days=1)
    ids = sorted({i.consultant.id for i in items})
    for chunk in chunks(ids):
        for bid, kid, start, end, blocked in session.execute(
            sa.select(
                col(Booking.id),
                col(Booking.consultant_id),
                col(Booking.start),
                col(Booking.end),
                col(Booking.blocked_end),
            ).where(
                col(Booking.consultant_id).in_(chunk),
                col(Booking.status) == BookingStatus.BOOKED,
                col(Booking.start) < high,
                col(Booking.end) > low,
            )
        ).all():
            out[kid].append(_Visit(start, end, bid, None, blocked))
    return out


def _live_bookings(
    session: Session, campaign_id: int, items: list[Item], now: dt.datetime
) -> dict[int, list[tuple[int, dt.datetime]]]:
    """Company -> its booked visits in the campaign that are not over: (id, start)."""
    ids = sorted({i.company.id for i in items})
    out: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for chunk in chunks(ids):
        for bid, company_id, start in session.exec(
            select(Booking.id, Booking.company_id, Booking.start).where(
                Booking.campaign_id == campaign_id,
                col(Booking.company_id).in_(chunk),
                Booking.status == BookingStatus.BOOKED,
                col(Booking.end) > now,
            )
        ).all():
            assert bid is not None
            out[company_id].append((bid, start))
    return out


def _decide(
    items: list[Item],
    existing: dict[tuple[int, int, dt.datetime], tuple[int, BookingStatus]],
    calendars: dict[int, list[_Visit]],
    live: dict[int, list[tuple[int, dt.datetime]]],
    now: dt.datetime,
    summary: BookingImportSummary,
) -> None:
    """Match, clash and live checks in file order; keeps the accepted rows in ``items``
    and puts the ones that will be booked into the calendars."""
    seen: dict[tuple[int, int, dt.datetime], int] = {}
    kept: list[Item] = []
    # First the matches: a row that cancels a booking frees its time for the rest.
    cancelled: set[int] = set()
    for item in items:
        key = (item.company.id, item.consultant.id, item.start)
        if key in seen:
            summary.reject(
                item.row,
                f"samme besøg (virksomhed, konsulent og start) står allerede på linje "
                f"{seen[key]}. Slet den ene række.",
            )
            continue
        seen[key] = item.row.line
        match = existing.get(key)
        if match is not None:
            item.existing, status = match
            if status == BookingStatus.BOOKED and item.status == BookingStatus.CANCELLED:
                item.action = "cancel"
                cancelled.add(match[0])
            else:
                item.action = "unchanged"  # also a visit cancelled in phoner since: it stays
        kept.append(item)
    for visits in calendars.values():
        visits[:] = sorted(
            (v for v in visits if v.booking_id not in cancelled), key=lambda v: v.start
        )
    for company_id in list(live):
        live[company_id] = [(b, s) for b, s in live[company_id] if b not in cancelled]
    file_live: dict[int, int] = {}
    accepted: list[Item] = []
    for item in kept:
        if item.action != "new" or item.status != BookingStatus.BOOKED:
            accepted.append(item)
            continue
        visits = calendars[item.consultant.id]
        clash = _overlapping(visits, item.start, item.end)
        if clash is not None:
            where = (
                f"besøg nr. {clash.booking_id} i phoner"
                if clash.booking_id is not None
                else f"linje {clash.line}"
            )
            summary.reject(
                item.row,
                f"{item.consultant.name} har allerede et besøg "
                f"{format_slot(clash.start, clash.end)} ({where}), som overlapper. "
                "Ret tidspunktet eller konsulenten.",
            )
            continue
        if item.end > now:
            other = live.get(item.company.id)
            if other:
                bid, start = other[0]
                summary.reject(
                    item.row,
                    f"{item.company.name} har allerede et booket besøg {format_local(start)} "
                    f"(nr. {bid}) i phoner. Aflys eller flyt det dér, eller slet rækken.",
                )
                continue
            if item.company.id in file_live:
                summary.reject(
                    item.row,
                    f"{item.company.name} har allerede et booket besøg på linje "
                    f"{file_live[item.company.id]}; en virksomhed kan kun have ét kommende "
                    "besøg. Skriv aflyst i Status på det ene, eller slet rækken.",
                )
                continue
            file_live[item.company.id] = item.row.line
        bisect.insort(
            visits, _Visit(item.start, item.end, None, item.row.line), key=lambda v: v.start
        )
        accepted.append(item)
    items[:] = accepted


def _overlapping(visits: list[_Visit], start: dt.datetime, end: dt.datetime) -> _Visit | None:
    """A visit in the (sorted) calendar whose own time overlaps [start, end)."""
    i = bisect.bisect_left(visits, end, key=lambda v: v.start)
    for v in reversed(visits[max(0, i - 50) : i]):  # the visits that start before ``end``
        if v.end > start:
            return v
    return None


def _blocked_times(items: list[Item], calendars: dict[int, list[_Visit]]) -> None:
    """Each new visit blocks its time plus the travel buffer, up to the next visit; an
    existing visit whose blocked time reaches into a new one is cut back to its start."""
    new_at: dict[tuple[int, int], Item] = {
        (i.consultant.id, i.row.line): i
        for i in items
        if i.action == "new" and i.status == BookingStatus.BOOKED
    }
    for kid, visits in calendars.items():
        for n, v in enumerate(visits):
            nxt = visits[n + 1].start if n + 1 < len(visits) else None
            if v.line is not None:
                item = new_at[(kid, v.line)]
                blocked = v.end + item.consultant.buffer
                item.blocked_end = min(blocked, nxt) if nxt is not None else blocked
            elif (
                v.booking_id is not None
                and nxt is not None
                and (next_line := visits[n + 1].line) is not None
                and (v.blocked_end or v.end) > nxt
            ):
                new_at[(kid, next_line)].clip.append(v.booking_id)


def _count_rules(
    items: list[Item],
    calendars: dict[int, list[_Visit]],
    campaign: Campaign,
    now: dt.datetime,
    summary: BookingImportSummary,
) -> None:
    """Count the booked rows that break each near-date rule (see the module docstring).

    Notice and horizon are measured from ``Booket den`` when the row has it, else from
    now for a visit still to come (a past visit without it is not measured).
    """
    per_day: dict[tuple[int, dt.date], list[dt.datetime]] = defaultdict(list)
    for kid, visits in calendars.items():
        for v in visits:
            per_day[(kid, local_date(v.start))].append(v.start)
    counts = summary.outside_rules
    for item in items:
        if item.status != BookingStatus.BOOKED or item.action == "cancel":
            continue
        k = item.consultant
        local = to_local(item.start)
        day = local.date()
        broken: list[str] = []
        since = item.booked_at or (now if item.start > now else None)
        if since is not None:
            booked_day = local_date(since)
            if day < add_working_days(booked_day, campaign.min_notice_days):
                broken.append(Rule.NOTICE.value)
            if day > booked_day + dt.timedelta(days=campaign.horizon_days):
                broken.append(Rule.HORIZON.value)
        if holiday_name(day) is not None:
            broken.append(Rule.HOLIDAY.value)
        if day.weekday() not in k.working_days:
            broken.append(Rule.WORKING_DAY.value)
        local_end = to_local(item.end)
        if local.time() < k.work_start or local_end.date() != day or local_end.time() > k.work_end:
            broken.append(Rule.WORKING_HOURS.value)
        if local.minute % 15 or local.second:
            broken.append(Rule.QUARTER.value)
        starts = sorted(per_day.get((k.id, day), []))
        if item.start in starts and starts.index(item.start) >= k.max_per_day:
            broken.append(Rule.MAX_PER_DAY.value)
        if _too_close(calendars.get(k.id, []), item, k.buffer):
            broken.append(Rule.OVERLAP.value)
        if not campaign.any_jobcenter and k.jobcenter_id != item.company.jobcenter_id:
            broken.append(Rule.JOBCENTER.value)
        if not k.active:
            broken.append(Rule.INACTIVE.value)
        if not item.company.bookable:
            broken.append(NOT_BOOKABLE)
        for rule in broken:
            counts[rule] += 1
        if broken:
            summary.outside_rules_rows += 1


def _too_close(visits: list[_Visit], item: Item, buffer: dt.timedelta) -> bool:
    """Another visit of the consultant starts or ends within the travel buffer."""
    if not buffer:
        return False
    i = bisect.bisect_left(visits, item.end + buffer, key=lambda v: v.start)
    for v in visits[max(0, i - 50) : i]:
        if v.start == item.start and v.end == item.end:
            continue  # the row itself
        if v.start < item.end + buffer and item.start - buffer < v.end:
            return True
    return False


# --------------------------------------------------------------------------- write


def import_bookings(
    *,
    db: Database,
    path: Path,
    campaign_name: str,
    actor: str,
    booked_by: str | None = None,
    rejects_path: Path | None = None,
    now: dt.datetime | None = None,
    batch_rows: int | None = None,
    progress: Callable[[BookingImportProgress], None] | None = None,
    sheet: str | None = None,
) -> BookingImportSummary:
    """Import the bookings in ``path`` into the campaign (see the module docstring).

    ``sheet`` is the sheet of a workbook (default: its first).
    ``actor`` is who imports (the audit trail); rows without ``Booket af`` are booked by
    ``booked_by``, else by ``actor``. ``progress`` is called after every batch.
    """
    moment = now or utcnow()
    summary = BookingImportSummary()
    plan, headers = _plan(db, path, campaign_name, booked_by or actor, moment, summary, sheet)
    report = progress or (lambda _p: None)
    work = [i for i in plan.items if i.action != "unchanged"]
    summary.unchanged = len(plan.items) - len(work)
    size = max(1, batch_rows or BATCH_ROWS)
    pause = SQLITE_PAUSE_SECONDS if db.is_sqlite else 0.0
    mine: set[int] = set()
    total = summary.read
    report(BookingImportProgress(0, total))
    for n in range(0, len(work), size):
        if n:
            time.sleep(pause)
        batch = work[n : n + size]
        for item in write_batch(db, plan, batch, mine, actor, moment, summary):
            if item.action == "cancel":
                summary.cancelled += 1
            else:
                summary.imported += 1
        done = batch[-1].row.line
        report(BookingImportProgress(min(total, _rows_before(plan, done)), total))
    report(BookingImportProgress(total, total))
    try:
        importing.write_rejects(summary, source=path, headers=headers, target=rejects_path)
    except PhonerError as exc:
        # The good rows are in (committed batch by batch): say so, not only the failure.
        raise InvalidInput(
            f"{path}: {summary.imported} besøg er importeret og {summary.cancelled} aflyst, "
            f"men de {summary.rejected} afviste rækker kunne ikke skrives: {exc.message}",
            hint="Tjek mappen og rettighederne (eller vælg en anden fil til de afviste), og "
            "importér filen igen: de importerede rækker springes over, og de afviste skrives.",
            field="rejects",
        ) from exc
    return summary


def _rows_before(plan: Plan, line: int) -> int:
    return sum(1 for i in plan.items if i.row.line <= line)
