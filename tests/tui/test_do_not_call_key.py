"""The call screen's one key for "Frabeder sig henvendelser": the company is done, goes on
the do-not-call register, and the next company comes up."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from phoner.core.db import Database
from phoner.core.models import CallState, Company, DoNotCall, Outcome
from phoner.tui.app import PhonerApp
from tests.support.calling import attempts, start_calling
from tests.support.pilot import settle


async def test_x_records_do_not_call_and_blocks_the_company(
    make_app: Callable[..., PhonerApp], demo_db: Database
) -> None:
    app = make_app(phoner="Anne")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_calling(pilot)
        first = screen.claim
        assert first is not None
        await pilot.press("x")
        await settle(pilot)
        assert screen.claim is not None and screen.claim.company_id != first.company_id
    [attempt] = attempts(demo_db)
    assert (attempt.outcome, attempt.phoner) == (Outcome.FRABEDER_SIG_HENVENDELSER, "Anne")
    with demo_db.session() as s:
        called = s.get(Company, first.company_id)
        assert called is not None
        entry = s.exec(select(DoNotCall)).one()
        assert (called.call_state, called.final_outcome, called.blocked_id) == (
            CallState.DONE,
            Outcome.FRABEDER_SIG_HENVENDELSER,
            entry.id,
        )
        assert (entry.cvr, entry.created_by, entry.source) == (called.cvr, "Anne", "opkald")
