"""``phoner list import`` as a resumable job of short write transactions (issue 15).

A 400,000-row import in one transaction held SQLite's write lock for half a minute, and
the phoners' saves failed. Here the import is planned without the write lock
(:func:`~.importer.plan_import`: reading, parsing, dedupe, targeting and removal
proposals, in a read transaction) and then written in batches of :data:`BATCH_ROWS`
rows of the file, each its own short write transaction that also advances the import's
:class:`~phoner.core.models.ListImport` record. Between two batches the importer pauses
briefly on SQLite so a waiting phoner gets the lock: no phoner waits for more than a
batch or two (well under a second; ``make bench``: "import contention").

Guarantees:

- a crash (or Ctrl-C) leaves every batch before it complete and nothing of the batch it
  was in; running the same command again resumes the import: the plan is made again
  against the list as it is, so the companies already written are recognised by the
  dedupe rules (:mod:`.dedupe`) and nothing is added twice; the summary counts the whole
  import as if it had never stopped;
- a re-import of a file that has been imported before changes nothing (every row merges)
  and says which import it was;
- a jobcenter that signs off while an import runs gets no new companies from the
  remaining batches (their rows are rejected); the audit entries are those of a
  one-transaction import (:mod:`.import_plan`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from phoner.core import importing
from phoner.core.campaigns import get_campaign
from phoner.core.db import Database
from phoner.core.lists.dedupe import Ref
from phoner.core.lists.import_plan import ImportSummary, Plan, Written, write_units
from phoner.core.lists.importer import finish_import, plan_import
from phoner.core.models import ListImport, utcnow
from phoner.formats.tabular import gc_paused

#: Rows of the file per write transaction: about 0.1 s of SQLite's write lock.
BATCH_ROWS = 2_000
#: A changed existing company costs as much lock time as this many new ones.
OLD_COST = 20
#: The importer's pause between two batches on SQLite. SQLite has no queue of waiting
#: writers: a waiting phoner retries the lock after 1, 2, 5, 10, 15, 20, 25, 25, 25, 50
#: and 50 ms (then every 100 ms), so the pause must be longer than one 100 ms step:
#: with 60 ms a phoner already in 100 ms steps could sleep through the gap and wait for a
#: second batch (worst wait 1.04 s in ``make bench``; 0.24 s with 110 ms, for 5 s more on
#: a 100,000-row import). PostgreSQL locks rows, not the database: no pause.
SQLITE_PAUSE_SECONDS = 0.11


@dataclass(frozen=True)
class ImportProgress:
    """Where a running import is: rows of the file written (``rows_done``) so far."""

    import_id: int
    rows_done: int
    rows_total: int
    resumed: bool  # this run continues an interrupted one (rows_done was already written)


@gc_paused()  # a collection traversing the plan's objects would lengthen a batch
def run_import(
    *,
    db: Database,
    campaign: str,
    path: Path,
    jobcenter: str | None = None,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    rejects_path: Path | None = None,
    write_rejects: bool = True,
    actor: str = "system",
    today: dt.date | None = None,
    batch_rows: int | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportSummary:
    """Import a company list into the campaign named ``campaign`` in batches (see the
    module doc); returns the summary of the whole import, with its ``import_id``.

    ``progress`` is called when the import starts (or resumes) and after every batch;
    ``batch_rows`` (default :data:`BATCH_ROWS`) is the number of file rows per batch.
    """
    plan = _plan(db, campaign, path, jobcenter, overrides, sheet, today)
    digest = _sha256(path)
    summary = plan.summary
    job = _start(db, plan, digest, actor)
    summary.import_id = job.id
    summary.resumed_rows = job.rows_done if job.resumed else 0
    summary.same_file_as = job.same_file_as
    report = progress or (lambda _p: None)
    report(ImportProgress(job.id, job.rows_done, job.rows_total, job.resumed))
    pause = SQLITE_PAUSE_SECONDS if db.is_sqlite else 0.0
    rows_done = job.rows_done
    groups = _batches(plan.units, max(1, batch_rows or BATCH_ROWS))
    for n, (end, refs) in enumerate(groups):
        if n:
            time.sleep(pause)
        rows_done = max(rows_done, min(end, summary.read))
        with db.session(write=True) as s:
            _write_batch(s, plan, refs, job.id, rows_done, actor=actor)
        report(ImportProgress(job.id, rows_done, job.rows_total, job.resumed))
    with db.session() as s:
        done = s.get(ListImport, job.id)
        assert done is not None
        summary.imported = done.imported
        summary.out_of_target = done.out_of_target
        summary.proposed_removal = done.proposed_removal
    summary.merged_duplicates = summary.read - summary.rejected - summary.imported
    if write_rejects:
        importing.write_rejects(
            summary, source=path, headers=plan.table.headers, target=rejects_path
        )
    with db.session(write=True) as s:
        finish_import(s, plan, actor=actor)
        record = s.get(ListImport, job.id)
        assert record is not None
        record.rows_done = record.rows_total
        record.finished_at = record.updated_at = utcnow()
        s.add(record)
    report(ImportProgress(job.id, job.rows_total, job.rows_total, job.resumed))
    return summary


def _write_batch(
    session: Session, plan: Plan, refs: list[Ref], import_id: int, rows_done: int, *, actor: str
) -> Written:
    """One batch: its companies and the import's counters, in one transaction."""
    written = write_units(session, plan, refs, actor=actor, now=utcnow())
    record = session.get(ListImport, import_id)
    assert record is not None
    record.rows_done = rows_done
    record.imported += written.imported
    record.out_of_target += written.out_of_target
    record.proposed_removal += written.proposed_removal
    record.updated_at = utcnow()
    session.add(record)
    return written


# --------------------------------------------------------------------------- steps


@gc_paused()
def _plan(
    db: Database,
    campaign: str,
    path: Path,
    jobcenter: str | None,
    overrides: Mapping[str, str] | None,
    sheet: str | None,
    today: dt.date | None,
) -> Plan:
    """The plan, from a read transaction; jobcenters and rounds the file names that do
    not exist yet are created in short write transactions of their own."""

    def create(make: Callable[[Session], int]) -> int:
        with db.session(write=True) as w:
            return make(w)

    with db.session() as s:
        camp = get_campaign(session=s, name=campaign)
        return plan_import(
            session=s,
            campaign=camp,
            path=path,
            jobcenter=jobcenter,
            overrides=overrides,
            sheet=sheet,
            today=today,
            create=create,
        )


@dataclass(frozen=True)
class _Job:
    id: int
    rows_done: int
    rows_total: int
    resumed: bool
    same_file_as: int | None


def _start(db: Database, plan: Plan, digest: str, actor: str) -> _Job:
    """The import record: the unfinished one of the same file to resume, or a new one."""
    with db.session(write=True) as s:
        earlier = s.exec(
            select(ListImport)
            .where(
                ListImport.campaign_id == plan.campaign_id,
                ListImport.file_sha256 == digest,
                ListImport.jobcenter_id == plan.fixed_jc_id,
            )
            .order_by(col(ListImport.id).desc())
        ).all()
        for record in earlier:
            if record.finished_at is None:
                assert record.id is not None
                return _Job(record.id, record.rows_done, record.rows_total, True, None)
        finished = next((r.id for r in earlier), None)
        record = ListImport(
            campaign_id=plan.campaign_id,
            jobcenter_id=plan.fixed_jc_id,
            file_name=plan.path.name[:500],
            file_sha256=digest,
            rows_total=plan.summary.read,
            started_by=actor[:120],
        )
        s.add(record)
        s.flush()
        assert record.id is not None
        return _Job(record.id, 0, record.rows_total, False, finished)


def _batches(units: list[tuple[int, Ref]], size: int) -> list[tuple[int, list[Ref]]]:
    """The units grouped by the batch of rows their first line is in: (rows of the file
    done after the batch, its units). A change of an existing company (an ORM update and
    an audit entry) costs :data:`OLD_COST` new companies (one bulk insert row), and no
    batch costs more than ``size``. Batches without anything to write are left out; the
    changes no line of the file made (a phone shared with a new company) come last."""
    groups: dict[int, list[Ref]] = {}
    for position, ref in units:
        groups.setdefault(position // size, []).append(ref)
    out: list[tuple[int, list[Ref]]] = []
    for k, refs in sorted(groups.items()):
        chunk: list[Ref] = []
        cost = 0
        for ref in refs:
            step = OLD_COST if ref[0] == "old" else 1
            if chunk and cost + step > size:
                out.append(((k + 1) * size, chunk))
                chunk, cost = [], 0
            chunk.append(ref)
            cost += step
        out.append(((k + 1) * size, chunk))
    return out


def _sha256(path: Path) -> str:
    """The file's SHA-256 (it has just been read, so it is there)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
