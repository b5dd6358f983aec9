"""Rounds: planning spreads each jobcenter over the rounds; planned -> active -> closed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from phoner.core import blocks, campaigns, jobcenters, rounds
from phoner.core.db import Database
from phoner.core.errors import Conflict, InvalidInput, NotFound
from phoner.core.lists import clearing, importer, signoff
from phoner.core.lists.eligibility import callable_clause
from phoner.core.models import CallState, Campaign, ClearingState, Company, Round, RoundState
from phoner.core.phones import cvr_check_digit

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fleksjob.toml"


def _cvrs(n: int) -> list[str]:
    out: list[str] = []
    k = 1000000
    while len(out) < n:
        k += 1
        d = cvr_check_digit(str(k))
        if d is not None:
            out.append(f"{k}{d}")
    return out


def _setup(s: Session, tmp_path: Path, sizes: dict[str, int], *, sign: bool = True) -> Campaign:
    camp = campaigns.create_campaign(session=s, name="R", script=SCRIPT)
    lines = ["Navn;CVR;Telefon;Kommune"]
    cvrs = iter(_cvrs(sum(sizes.values())))
    phone = 33100000
    for municipality, n in sizes.items():
        for i in range(n):
            phone += 1
            lines.append(f"{municipality} {i};{next(cvrs)};{phone};{municipality}")
    path = tmp_path / "l.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    importer.import_list(session=s, campaign=camp, path=path)
    if sign:
        for municipality in sizes:
            jc = jobcenters.find_jobcenter(session=s, text=municipality, create=False)
            signoff.sign_off(session=s, campaign=camp, jobcenter=jc, by="test")
    return camp


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=5),
    n_rounds=st.integers(min_value=1, max_value=8),
)
def test_spread_gives_every_round_a_fair_share_of_every_group(
    sizes: list[int], n_rounds: int
) -> None:
    groups = []
    next_id = 0
    for size in sizes:
        groups.append(list(range(next_id, next_id + size)))
        next_id += size
    out = rounds.spread(groups, n_rounds)
    assert len(out) == n_rounds
    flat = [x for chunk in out for x in chunk]
    assert sorted(flat) == list(range(next_id))  # every item exactly once
    lens = [len(c) for c in out]
    assert max(lens) - min(lens) <= 1
    for g in groups:
        share = [len(set(chunk) & set(g)) for chunk in out]
        assert max(share) - min(share) <= 1


def test_plan_spreads_jobcenters_and_dates(db: Database, tmp_path: Path) -> None:
    with db.session(write=True) as s:
        camp = _setup(s, tmp_path, {"Køge": 90, "Roskilde": 60, "Ringsted": 30})
        created = rounds.plan_rounds(
            session=s, campaign=camp, first=dt.date(2026, 9, 1), gap_days=14, size=60
        )
        assert [r.to_json() for r in created] == [
            {"round": 1, "date": "2026-09-01", "state": "planned", "companies": 60, "done": 0},
            {"round": 2, "date": "2026-09-15", "state": "planned", "companies": 60, "done": 0},
            {"round": 3, "date": "2026-09-29", "state": "planned", "companies": 60, "done": 0},
        ]
        per_round: dict[int | None, Counter[str]] = {}
        for c in s.exec(select(Company)).all():
            per_round.setdefault(c.round_id, Counter())[c.municipality or ""] += 1
        for counts in per_round.values():
            assert counts == Counter({"Køge": 30, "Roskilde": 20, "Ringsted": 10})
        with pytest.raises(InvalidInput, match="ingen virksomheder at fordele"):
            rounds.plan_rounds(
                session=s, campaign=camp, first=dt.date(2026, 9, 1), gap_days=7, rounds=2
            )


def test_plan_skips_unsigned_removed_out_of_target_and_keeps_existing_rounds(
    db: Database, tmp_path: Path
) -> None:
    with db.session(write=True) as s:
        camp = _setup(s, tmp_path, {"Køge": 10, "Roskilde": 5}, sign=False)
        assert camp.id is not None
        koege = jobcenters.find_jobcenter(session=s, text="Køge", create=False)
        companies = s.exec(
            select(Company).where(Company.jobcenter_id == koege.id).order_by(Company.id)
        ).all()
        clearing.set_decision(
            session=s, company=companies[0], decision=ClearingState.REMOVE, by="t"
        )
        companies[1].out_of_target = "for lille"
        fixed = Round(campaign_id=camp.id, number=1, state=RoundState.PLANNED)
        s.add(fixed)
        s.flush()
        companies[2].round_id = fixed.id
        s.add_all([companies[1], companies[2]])
        signoff.sign_off(session=s, campaign=camp, jobcenter=koege, by="t")
        created = rounds.plan_rounds(
            session=s, campaign=camp, first=dt.date(2026, 9, 1), gap_days=7, rounds=2
        )
        assert [(r.number, r.companies) for r in created] == [(2, 4), (3, 3)]
        assert companies[2].round_id == fixed.id
        assert companies[0].round_id is None and companies[1].round_id is None
        roskilde = s.exec(select(Company).where(Company.municipality == "Roskilde")).all()
        assert all(c.round_id is None for c in roskilde)  # Roskilde has not signed off


def test_plan_leaves_blocked_companies_out_until_the_block_is_lifted(
    db: Database, tmp_path: Path
) -> None:
    """A company on the do-not-call register is never called, so no round counts it;
    once the block is lifted, the next plan gives it a round."""
    with db.session(write=True) as s:
        camp = _setup(s, tmp_path, {"Køge": 4})
        entry, n = blocks.add_block(session=s, actor="K", phone="33100001")
        assert n == 1
        created = rounds.plan_rounds(
            session=s, campaign=camp, first=dt.date(2026, 9, 1), gap_days=7, rounds=1
        )
        assert [(r.number, r.companies) for r in created] == [(1, 3)]
        blocked = s.exec(select(Company).where(Company.name == "Køge 0")).one()
        assert blocked.blocked_id is not None and blocked.round_id is None
        blocks.lift_blocks(session=s, actor="K", block_id=entry.id, reason="fejl")
        again = rounds.plan_rounds(
            session=s, campaign=camp, first=dt.date(2026, 9, 8), gap_days=7, rounds=1
        )
        assert [(r.number, r.companies) for r in again] == [(2, 1)]


def test_rounds_overview_leaves_out_a_company_blocked_after_planning(
    db: Database, tmp_path: Path
) -> None:
    """Blocked mid-round and never called, a company would never be done: the round's
    count leaves it out (as the reports do); a blocked company that is done still counts."""
    with db.session(write=True) as s:
        camp = _setup(s, tmp_path, {"Køge": 3})
        rounds.plan_rounds(
            session=s, campaign=camp, first=dt.date(2026, 9, 1), gap_days=7, rounds=1
        )
        done = s.exec(select(Company).where(Company.name == "Køge 2")).one()
        done.call_state = CallState.DONE
        s.add(done)
        s.flush()
        blocks.add_block(session=s, actor="K", phone="33100001")  # Køge 0, not called
        blocks.add_block(session=s, actor="K", phone="33100003")  # Køge 2, done
        overview = rounds.rounds_overview(session=s, campaign=camp)
        assert [(r.number, r.companies, r.done) for r in overview] == [(1, 2, 1)]


def test_round_states_and_closing(db: Database, tmp_path: Path) -> None:
    with db.session(write=True) as s:
        camp = _setup(s, tmp_path, {"Køge": 6})
        assert camp.id is not None
        rounds.plan_rounds(
            session=s, campaign=camp, first=dt.date(2026, 9, 1), gap_days=7, rounds=2
        )
        assert s.exec(select(Company).where(callable_clause(camp.id))).all() == []
        rounds.activate_round(session=s, campaign=camp, number=1, actor="t")
        in_round = s.exec(select(Company).where(callable_clause(camp.id))).all()
        assert len(in_round) == 3
        with pytest.raises(Conflict, match="kun en planlagt"):
            rounds.activate_round(session=s, campaign=camp, number=1, actor="t")
        with pytest.raises(Conflict, match="kun en aktiv"):
            rounds.close_round(session=s, campaign=camp, number=2, actor="t")
        with pytest.raises(NotFound, match="ingen runde 9"):
            rounds.activate_round(session=s, campaign=camp, number=9, actor="t")
        in_round[0].call_state = CallState.DONE
        s.add(in_round[0])
        s.flush()
        overview = rounds.rounds_overview(session=s, campaign=camp)
        assert [(r.number, r.state, r.companies, r.done) for r in overview] == [
            (1, RoundState.ACTIVE, 3, 1),
            (2, RoundState.PLANNED, 3, 0),
        ]
        result = rounds.close_round(session=s, campaign=camp, number=1, actor="t", retry=True)
        assert (result.unreached, result.carried_to) == (2, 2)
        overview = rounds.rounds_overview(session=s, campaign=camp)
        assert [(r.number, r.state, r.companies, r.done) for r in overview] == [
            (1, RoundState.CLOSED, 1, 1),
            (2, RoundState.PLANNED, 5, 0),
        ]
        rounds.activate_round(session=s, campaign=camp, number=2, actor="t")
        result = rounds.close_round(session=s, campaign=camp, number=2, actor="t")
        assert (result.unreached, result.carried_to) == (5, None)
        states = Counter(c.call_state for c in s.exec(select(Company)).all())
        assert states == Counter({CallState.NOT_REACHED: 5, CallState.DONE: 1})
