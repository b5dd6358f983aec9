"""The batched list import (issue 15): short transactions, resume after a crash, phoners
get the write lock between batches, and the result is that of a one-transaction import."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from phoner.core import campaigns
from phoner.core.db import Database, make_engine
from phoner.core.demo import HEADERS, demo_rows
from phoner.core.lists import import_run, importer, signoff
from phoner.core.models import (
    AuditLog,
    Company,
    Jobcenter,
    ListImport,
    Outcome,
    Round,
    RoundState,
)
from phoner.core.queue.claims import claim_next
from phoner.core.queue.outcomes import record_outcome

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fleksjob.toml"
CAMPAIGN = "Forår"


class Crash(Exception):
    pass


def _write(path: Path, rows: list[dict[str, str]], extra: dict[str, str] | None = None) -> Path:
    headers = [*HEADERS, *(extra or {})]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=headers, delimiter=";")
        w.writeheader()
        for r in rows:
            w.writerow({**r, **(extra or {})})
    return path


def _list_file(folder: Path, n: int = 60) -> Path:
    """``n`` companies in several municipalities, with duplicates spread over the file
    (a row merged into a company many batches earlier) and a few bad rows."""
    rows = demo_rows(n, seed=11)
    body = list(rows)
    for k in (3, 17, 31):  # the same company again, later, with a contact person
        body.insert(len(body) - k, {**rows[k], "Kontaktperson": f"Person {k}"})
    body.insert(25, {**rows[0], "Telefon": ""})  # rejected: no phone
    body.insert(40, {**rows[1], "CVR-nr.": "12345678"})  # rejected: bad CVR
    return _write(folder / "liste.csv", body)


def _campaign(db: Database, folder: Path) -> None:
    """The campaign, with companies already on the list that the file merges into."""
    with db.session(write=True) as s:
        camp = campaigns.create_campaign(session=s, name=CAMPAIGN, script=SCRIPT)
        early = [{**r, "E-mail": f"firma{i}@eksempel.dk"} for i, r in enumerate(demo_rows(5, 11))]
        early = [{**r, "Kontaktperson": ""} for r in early]
        importer.import_list(session=s, campaign=camp, path=_write(folder / "tidlig.csv", early))


def _state(db: Database) -> dict[str, Any]:
    """The list and the audit log, without ids and times, to compare two imports."""
    with db.session() as s:
        jc = {j.id: j.name for j in s.exec(select(Jobcenter)).all()}
        companies = sorted(
            (
                c.cvr or "",
                c.name,
                tuple(c.phones),
                c.contact_person or "",
                c.email or "",
                tuple(c.flags),
                jc.get(c.jobcenter_id, ""),
                c.out_of_target or "",
                c.clearing_proposal or "",
            )
            for c in s.exec(select(Company)).all()
        )
        entries = sorted(
            repr((a.action, a.entity, a.reason, a.old, a.new))
            for a in s.exec(select(AuditLog)).all()
        )
    return {"companies": companies, "audit": entries}


def _reference(tmp_path: Path, path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a one-transaction import of ``path`` makes (on a SQLite database of its own)."""
    folder = tmp_path / "reference"
    folder.mkdir()
    ref = Database(make_engine(f"sqlite:///{folder / 'ref.db'}"))
    ref.upgrade()
    _campaign(ref, tmp_path)
    with ref.session(write=True) as s:
        camp = campaigns.get_campaign(session=s, name=CAMPAIGN)
        summary = importer.import_list(session=s, campaign=camp, path=path, write_rejects=False)
    state = _state(ref)
    ref.dispose()
    return summary.to_json(), state


def _run(db: Database, path: Path, **kwargs: Any) -> importer.ImportSummary:
    return import_run.run_import(
        db=db, campaign=CAMPAIGN, path=path, write_rejects=False, batch_rows=10, **kwargs
    )


def _crash_in_batch(monkeypatch: pytest.MonkeyPatch, k: int) -> None:
    """The process dies in the ``k``-th batch of 10 rows, after writing it, before commit."""
    real = import_run._write_batch

    def write(session: Session, plan: Any, refs: Any, import_id: int, rows: int, **kw: Any) -> Any:
        result = real(session, plan, refs, import_id, rows, **kw)
        if rows > 10 * (k - 1):
            session.flush()
            raise Crash
        return result

    monkeypatch.setattr(import_run, "_write_batch", write)


def _cvrs(db: Database) -> list[str]:
    with db.session() as s:
        return [c for c in s.exec(select(Company.cvr)).all() if c]


def test_a_crash_keeps_the_earlier_batches_and_a_rerun_finishes_without_duplicates(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _list_file(tmp_path)
    want_json, want_state = _reference(tmp_path, path)
    _campaign(db, tmp_path)
    before = len(_cvrs(db))

    _crash_in_batch(monkeypatch, 3)
    with pytest.raises(Crash):
        _run(db, path)
    monkeypatch.undo()

    with db.session() as s:
        job = s.exec(select(ListImport)).one()
        companies = s.exec(select(Company).order_by(col(Company.id))).all()
    assert job.finished_at is None
    assert job.rows_done == 20  # batches 1 and 2 of 10 rows each
    assert 0 < job.imported == len(companies) - before  # nothing of batch 3
    assert job.rows_total == want_json["read"]

    seen: list[import_run.ImportProgress] = []
    summary = _run(db, path, progress=seen.append)
    assert seen[0] == import_run.ImportProgress(job.id or 0, 20, job.rows_total, True)
    assert summary.import_id == job.id and summary.resumed_rows == 20
    assert {k: v for k, v in summary.to_json().items()} == want_json
    cvrs = _cvrs(db)
    assert len(cvrs) == len(set(cvrs))
    got = _state(db)
    assert [a for a in got["audit"] if a not in want_state["audit"]] == []
    assert [a for a in want_state["audit"] if a not in got["audit"]] == []
    assert got == want_state
    with db.session() as s:
        done = s.exec(select(ListImport)).one()
    assert done.finished_at is not None and done.rows_done == done.rows_total


def test_a_finished_import_run_again_changes_nothing_and_names_the_earlier_import(
    db: Database, tmp_path: Path
) -> None:
    path = _list_file(tmp_path, n=40)
    _campaign(db, tmp_path)
    first = _run(db, path)
    state = _state(db)
    again = _run(db, path)
    assert again.same_file_as == first.import_id and again.import_id != first.import_id
    assert again.imported == 0 and again.merged_duplicates == again.read - again.rejected
    assert _state(db)["companies"] == state["companies"]


def test_a_one_batch_import_writes_what_the_one_transaction_import_writes(
    db: Database, tmp_path: Path
) -> None:
    path = _list_file(tmp_path)
    want_json, want_state = _reference(tmp_path, path)
    _campaign(db, tmp_path)
    summary = import_run.run_import(db=db, campaign=CAMPAIGN, path=path, write_rejects=False)
    assert summary.to_json() == want_json
    assert _state(db) == want_state


def _callable_company(db: Database, folder: Path) -> int:
    """A campaign with one company a phoner can be given (signed off, active round)."""
    with db.session(write=True) as s:
        camp = campaigns.create_campaign(session=s, name=CAMPAIGN, script=SCRIPT)
        path = _write(folder / "ringsted.csv", demo_rows(3, seed=5), {"Runde": "1"})
        importer.import_list(session=s, campaign=camp, path=path, jobcenter="Ringsted")
        for rnd in s.exec(select(Round)).all():
            rnd.state = RoundState.ACTIVE
            s.add(rnd)
        jc = s.exec(select(Jobcenter).where(Jobcenter.municipality == "Ringsted")).one()
        signoff.sign_off(session=s, campaign=camp, jobcenter=jc, by="Jobcenter", force=True)
        assert camp.id is not None
        return camp.id


def test_a_phoner_gets_the_write_lock_between_two_batches(db: Database, tmp_path: Path) -> None:
    campaign_id = _callable_company(db, tmp_path)
    path = _write(tmp_path / "stor.csv", demo_rows(3_000, seed=9))
    between = threading.Event()
    phoner_done = threading.Event()
    result: dict[str, Any] = {}

    def progress(p: import_run.ImportProgress) -> None:
        if 0 < p.rows_done < p.rows_total and not between.is_set():
            between.set()
            phoner_done.wait(timeout=60)

    def work() -> None:
        result["summary"] = import_run.run_import(
            db=db,
            campaign=CAMPAIGN,
            path=path,
            jobcenter="Køge",
            write_rejects=False,
            batch_rows=200,
            progress=progress,
        )

    importer_thread = threading.Thread(target=work)
    importer_thread.start()
    try:
        assert between.wait(timeout=120)
        # another connection takes the write lock twice: claim, then record the outcome
        claim = claim_next(db=db, campaign_id=campaign_id, phoner="Anne", ignore_hours=True)
        assert claim is not None
        record_outcome(
            db=db,
            company_id=claim.company_id,
            lease_token=claim.lease_token,
            phoner="Anne",
            outcome=Outcome.IKKE_TRUFFET,
            answers={},
            needs={},
            note=None,
        )
        with db.session() as s:
            job = s.exec(select(ListImport)).one()
        assert job.finished_at is None and 0 < job.rows_done < job.rows_total
    finally:
        phoner_done.set()
        importer_thread.join(timeout=300)
    assert result["summary"].imported == 3_000


def test_a_sign_off_during_the_import_stops_new_companies_for_that_jobcenter(
    db: Database, tmp_path: Path
) -> None:
    _campaign(db, tmp_path)
    path = _list_file(tmp_path)
    with db.session() as s:
        signed_jc = s.exec(select(Company.jobcenter_id)).first()
        name = s.exec(select(Jobcenter.name).where(Jobcenter.id == signed_jc)).one()

    fired: list[int] = []

    def progress(p: import_run.ImportProgress) -> None:
        if p.rows_done == 10 and not fired:  # after the first batch
            fired.append(p.rows_done)
            with db.session(write=True) as s:
                camp = campaigns.get_campaign(session=s, name=CAMPAIGN)
                jc = s.get(Jobcenter, signed_jc)
                assert jc is not None
                signoff.sign_off(session=s, campaign=camp, jobcenter=jc, by="JC", force=True)

    with db.session() as s:
        before = len(s.exec(select(Company).where(Company.jobcenter_id == signed_jc)).all())
    summary = _run(db, path, progress=progress)
    with db.session() as s:
        rows = s.exec(select(Company).where(Company.jobcenter_id == signed_jc)).all()
    written_in_batch_1 = len(rows) - before
    reasons = [r.reason for r in summary.rejects if "allerede godkendt" in r.reason]
    assert reasons and all(name in r for r in reasons)
    assert written_in_batch_1 >= 0
    assert summary.imported + summary.merged_duplicates + summary.rejected == summary.read
    # nothing pending was added after the sign-off
    with db.session() as s:
        pending = s.exec(
            select(Company).where(
                Company.jobcenter_id == signed_jc, Company.clearing_state == "pending"
            )
        ).all()
    assert pending == []


def test_companies_another_import_added_meanwhile_are_merged_into_not_doubled(
    db: Database, tmp_path: Path
) -> None:
    _campaign(db, tmp_path)
    path = _list_file(tmp_path)
    other = _write(tmp_path / "anden.csv", demo_rows(60, seed=11)[40:50])

    fired: list[int] = []

    def progress(p: import_run.ImportProgress) -> None:
        if p.rows_done == 10 and not fired:
            fired.append(p.rows_done)
            with db.session(write=True) as s:
                camp = campaigns.get_campaign(session=s, name=CAMPAIGN)
                importer.import_list(session=s, campaign=camp, path=other, write_rejects=False)

    summary = _run(db, path, progress=progress)
    cvrs = _cvrs(db)
    assert len(cvrs) == len(set(cvrs))
    assert summary.imported + summary.merged_duplicates + summary.rejected == summary.read
