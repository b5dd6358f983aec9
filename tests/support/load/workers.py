"""Worker processes for the load tests: each is one phoner in its own interpreter.

A worker writes what it was *acknowledged* (claims, attempt ids, booking ids) and every
error that reached it to a JSON file, so the test can hold the database to it afterwards.
Anything but a :class:`PhonerError` reaching the worker is recorded as a crash (a
traceback in front of a user).
"""

from __future__ import annotations

import json
import random
import time
import traceback
from pathlib import Path
from typing import Any

from phoner.core.booking import service as booking
from phoner.core.booking.rules import BookingRefused
from phoner.core.db import open_database
from phoner.core.errors import DatabaseError, PhonerError
from phoner.core.models import Outcome
from phoner.core.queue import claims, outcomes

OUTCOMES = [
    Outcome.VIL_KONTAKTES,
    Outcome.VIL_KONTAKTES,
    Outcome.VIL_KONTAKTES,
    Outcome.OPTAGET,
    Outcome.OPTAGET,
    Outcome.IKKE_TRUFFET,
    Outcome.IKKE_INTERESSERET,
    Outcome.HAR_KONTAKT,
]


def _book(
    db: Any, rng: random.Random, phoner: str, company_id: int, attempt_id: int, log: dict[str, Any]
) -> None:
    """Book the company into one of the first free slots (racing the other phoners)."""
    for _ in range(6):
        with db.session() as s:
            slots = booking.find_slots(session=s, company_id=company_id, limit=3)
        if not slots:
            log["no_slot"] += 1
            return
        slot = rng.choice(slots)
        try:
            b = booking.book_visit(
                db=db,
                company_id=company_id,
                consultant_id=slot.consultant_id,
                start=slot.start,
                booked_by=phoner,
                attempt_id=attempt_id,
            )
        except BookingRefused as exc:
            log["refused"][exc.rule.value] = log["refused"].get(exc.rule.value, 0) + 1
            continue
        log["bookings"].append([b.id, company_id, b.consultant_id])
        return
    log["gave_up_booking"] += 1


def phoner_worker(
    url: str, campaign_id: int, phoner: str, seconds: float, barrier: Any, out: str
) -> None:
    db = open_database(url, check=False)
    rng = random.Random(phoner)
    log: dict[str, Any] = {
        "claims": [],  # [company id, claimed at, recording started at]
        "attempts": [],  # [attempt id, company id, outcome]
        "bookings": [],  # [booking id, company id, consultant id]
        "refused": {},
        "no_slot": 0,
        "gave_up_booking": 0,
        "errors": [],  # PhonerError messages (type: message)
        "crashes": [],  # anything else: tracebacks
    }
    try:
        barrier.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                claim = claims.claim_next(
                    db=db, campaign_id=campaign_id, phoner=phoner, ignore_hours=True
                )
                if claim is None:
                    time.sleep(0.05)
                    continue
                claimed_at = time.time()
                outcome = rng.choice(OUTCOMES)
                recording_at = time.time()
                attempt = outcomes.record_outcome(
                    db=db,
                    company_id=claim.company_id,
                    lease_token=claim.lease_token,
                    phoner=phoner,
                    outcome=outcome,
                    answers={"rette_person": "ja"},
                    needs={"timer": 10} if outcome == Outcome.VIL_KONTAKTES else {},
                    note=f"{phoner} ringede",
                )
                log["claims"].append([claim.company_id, claimed_at, recording_at])
                log["attempts"].append([attempt.id, claim.company_id, outcome.value])
                if outcome == Outcome.VIL_KONTAKTES:
                    assert attempt.id is not None
                    _book(db, rng, phoner, claim.company_id, attempt.id, log)
            except PhonerError as exc:
                log["errors"].append(f"{type(exc).__name__}: {exc}")
                if isinstance(exc, DatabaseError):
                    time.sleep(0.05)
    except Exception:
        log["crashes"].append(traceback.format_exc())
    finally:
        db.dispose()
        Path(out).write_text(json.dumps(log))


#: audit actions at which a crash worker announces it is inside the write transaction
CRASH_PHASES = {"record_outcome": "record", "book": "book"}
#: how long a crash worker stays inside the transaction after announcing it
CRASH_WINDOW = 0.15


def crash_worker(url: str, campaign_id: int, phoner: str, out: str) -> None:
    """Call and book in a loop until killed, logging each step as a JSON line.

    Right after the audit entry of a recording or a booking (inside the write
    transaction, before the commit) it logs ``{"ev": "in_tx", ...}`` and stays there
    for :data:`CRASH_WINDOW` seconds: the test kills it at a random moment from then on.
    """
    from phoner.core import audit

    db = open_database(url, check=False)
    fh = open(out, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (killed, not closed)

    def log(**event: Any) -> None:
        fh.write(json.dumps(event) + "\n")

    original = audit.record

    def slow_record(*args: Any, **kwargs: Any) -> Any:
        entry = original(*args, **kwargs)
        phase = CRASH_PHASES.get(kwargs.get("action", ""))
        if phase is not None:
            log(ev="in_tx", phase=phase, entity_id=kwargs.get("entity_id"))
            time.sleep(CRASH_WINDOW)
        return entry

    audit.record = slow_record  # type: ignore[assignment]
    log(ev="ready")
    while True:
        claim = claims.claim_next(db=db, campaign_id=campaign_id, phoner=phoner, ignore_hours=True)
        if claim is None:
            log(ev="empty")
            time.sleep(0.05)
            continue
        log(ev="claimed", cid=claim.company_id)
        attempt = outcomes.record_outcome(
            db=db,
            company_id=claim.company_id,
            lease_token=claim.lease_token,
            phoner=phoner,
            outcome=Outcome.VIL_KONTAKTES,
            answers={"rette_person": "ja"},
            needs={"timer": 8},
            note="vil gerne besøges",
        )
        log(ev="recorded", aid=attempt.id, cid=claim.company_id)
        with db.session() as s:
            slots = booking.find_slots(session=s, company_id=claim.company_id, limit=1)
        if slots:
            b = booking.book_visit(
                db=db,
                company_id=claim.company_id,
                consultant_id=slots[0].consultant_id,
                start=slots[0].start,
                booked_by=phoner,
                attempt_id=attempt.id,
            )
            log(ev="booked", bid=b.id, cid=claim.company_id)


def holding_worker(url: str, campaign_id: int, phoner: str, out: str, beat: float) -> None:
    """A phoner's screen reduced to its lease: claim a company, then renew the lease every
    ``beat`` seconds (the TUI's heartbeat, sped up) until killed. Logs each beat."""
    db = open_database(url, check=False)
    fh = open(out, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (killed, not closed)
    claim = claims.claim_next(db=db, campaign_id=campaign_id, phoner=phoner, ignore_hours=True)
    assert claim is not None
    fh.write(json.dumps({"ev": "claimed", "cid": claim.company_id}) + "\n")
    while True:
        time.sleep(beat)
        expires = claims.renew_lease(
            db=db, company_id=claim.company_id, lease_token=claim.lease_token
        )
        fh.write(json.dumps({"ev": "beat", "expires": expires.isoformat()}) + "\n")
