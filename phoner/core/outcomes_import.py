"""Import outcomes recorded outside phoner (an external contractor's spreadsheet).

Columns (matched case- and spelling-insensitively, Danish or English): ``CVR`` and
``Udfald`` (a code such as ``vil_kontaktes`` or its Danish label "Vil kontaktes") are
required; ``Runde``, ``Phoner``, ``Tidspunkt``, ``Note`` and ``Ring tilbage`` are optional,
and so are ``Begrundelse`` (why "Ikke interesseret": a reason's label, any other words count as
"Andet" with that text) and ``Vend tilbage`` (the date "Ikke nu, men senere" needs).

Same rules as the list import: a bad row is rejected with its line number and a Danish
reason into ``<file>.afviste.csv`` (columns Linje, Årsag, then the original columns, so
it can be fixed and imported again); every valid row is recorded; importing the same file
again records nothing new (each row has a stable ``import_key``).

Per valid row the same service as the phoner's screen writes the call
(:func:`phoner.core.queue.outcomes.apply_outcome`): attempt, queue state, contact history,
follow-up, audit. An imported call older than the company's latest call is kept as
history but does not move the queue, and a company that already has a final outcome
keeps it. A company a phoner holds right now is rejected (import the file again later).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from phoner.core import importing, vocabulary
from phoner.core.campaigns import get_campaign
from phoner.core.clock import local_date, localize
from phoner.core.companies import cvr_index, invalid_cvr_reason
from phoner.core.db import Database
from phoner.core.errors import InvalidInput
from phoner.core.importing import ImportResult
from phoner.core.models import (
    CallAttempt,
    CallState,
    Campaign,
    Company,
    NotInterestedReason,
    Outcome,
    Round,
    utcnow,
)
from phoner.core.phones import cvr_is_valid, normalize_cvr
from phoner.core.queue.outcomes import apply_outcome, check_details
from phoner.formats.tabular import (
    REJECT_META_HEADERS,
    Reject,
    Row,
    map_headers,
    read_table,
)

DEFAULT_PHONER = "Ekstern"
CHUNK = 500  # rows per transaction: phoners on SQLite are not blocked for long

FIELD_ALIASES: dict[str, list[str]] = {
    "cvr": ["CVR", "CVR-nr.", "CVR-nummer", "CVRnr", "CVR no"],
    "outcome": ["Udfald", "Resultat", "Status", "Outcome", "Result"],
    "round": ["Runde", "Omgang", "Udsendelse", "Round"],
    "phoner": ["Phoner", "Telefonist", "Mødebooker", "Ringer", "Caller"],
    "time": ["Tidspunkt", "Dato", "Opkaldstidspunkt", "Opkaldt", "Time", "Date"],
    "note": ["Note", "Noter", "Bemærkning", "Kommentar", "Comment"],
    "callback": ["Ring tilbage", "Tilbagekald", "Ring op igen", "Callback"],
    "reason": ["Begrundelse", "Nej-begrundelse", "Reason"],
    "revisit": ["Vend tilbage", "Genbesøg", "Senere", "Revisit"],
}
_OUTCOME_CODES = ", ".join(o.value for o in Outcome)
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H.%M",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H.%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H.%M",
    "%d-%m-%y %H:%M",
    "%d.%m.%y %H:%M",
)
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%y", "%d.%m.%y")


@dataclass(kw_only=True)
class OutcomesImportSummary(ImportResult):
    recorded: int = 0
    already_recorded: int = 0

    def to_json(self) -> dict[str, Any]:
        return {**self.common_json(), "recorded": self.recorded}


def parse_time(text: str) -> dt.datetime | None:
    """A Danish-written local time ("23-11-2026 10:15", "2026-11-23 10.15", ...) in UTC.

    A date without a time counts as 12:00 that day. Raises ValueError if unreadable.
    """
    text = " ".join(text.strip().split())
    if not text:
        return None
    text = re.sub(r"(?i)\s*kl\.?\s*", " ", text).strip()
    parsed: dt.datetime | None = None
    if ":" in text or "." in text.partition(" ")[2] or "T" in text:
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            parsed = None
    if parsed is None:
        for fmt in _TIME_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 (local time, below)
                break
            except ValueError:
                continue
    if parsed is None:
        for fmt in _DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007
            except ValueError:
                continue
            parsed = dt.datetime.combine(day, dt.time(12, 0))
            break
    if parsed is None:
        raise ValueError(text)
    if parsed.tzinfo is None:
        parsed = localize(parsed)
    return parsed.astimezone(dt.UTC)


@dataclass(frozen=True)
class _Valid:
    row: Row
    company_id: int
    outcome: Outcome
    phoner: str
    at: dt.datetime
    note: str | None
    callback_at: dt.datetime | None
    key: str
    reason: NotInterestedReason | None = None
    reason_text: str | None = None
    revisit_on: dt.date | None = None


def _import_key(campaign_id: int, parts: list[str], occurrence: int) -> str:
    text = "\x1f".join([str(campaign_id), *parts, str(occurrence)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_outcomes(
    *,
    db: Database,
    path: Path,
    campaign_name: str,
    rejects_path: Path | None = None,
    now: dt.datetime | None = None,
) -> OutcomesImportSummary:
    """Import the outcomes in ``path`` into the campaign (see the module docstring)."""
    moment = now or utcnow()
    table = read_table(path)
    hmap = map_headers(table.headers, FIELD_ALIASES, ignore=REJECT_META_HEADERS)
    missing = hmap.missing(["cvr", "outcome"])
    if missing:
        names = {"cvr": "CVR", "outcome": "Udfald"}
        raise InvalidInput(
            f"{path}: kolonnen {' og '.join(names[m] for m in missing)} mangler.",
            hint="Filen skal have kolonnerne CVR og Udfald (og gerne Runde, Phoner, "
            "Tidspunkt, Note). Kolonnerne i filen er: "
            + ", ".join(repr(h) for h in table.headers)
            + ".",
        )
    summary = OutcomesImportSummary()
    with db.session() as session:
        campaign = get_campaign(session=session, name=campaign_name)
        assert campaign.id is not None
        companies = cvr_index(session=session, campaign_id=campaign.id)
        rounds = {
            r.number: r.id
            for r in session.exec(select(Round).where(Round.campaign_id == campaign.id)).all()
        }
    seen: Counter[tuple[str, ...]] = Counter()

    def check(row: Row) -> _Valid | str:
        return _check_row(row, hmap, campaign, companies, rounds, seen, moment)

    valid = [v for _row, v in importing.rows(table, check, summary)]
    for start in range(0, len(valid), CHUNK):
        _record_chunk(db, campaign.id, valid[start : start + CHUNK], summary)
    importing.write_rejects(summary, source=path, headers=table.headers, target=rejects_path)
    return summary


def _check_row(
    row: Row,
    hmap: Any,
    campaign: Campaign,
    companies: dict[str, list[tuple[int, int | None]]],
    rounds: dict[int, int | None],
    seen: Counter[tuple[str, ...]],
    moment: dt.datetime,
) -> _Valid | str:
    """A valid row, or the Danish reason it is rejected."""

    def cell(name: str) -> str:
        return row.get(hmap.index(name)).strip()

    raw_cvr, raw_outcome = cell("cvr"), cell("outcome")
    if not raw_cvr and not raw_outcome and not any(c.strip() for c in row.cells):
        return "Tom række."
    cvr = normalize_cvr(raw_cvr)
    if not cvr:
        return "CVR mangler. Skriv virksomhedens CVR-nummer (8 cifre)."
    if len(cvr) != 8 or not cvr_is_valid(cvr):
        return f"{invalid_cvr_reason(raw_cvr)}."
    if not raw_outcome:
        return f"Udfald mangler. Brug et af: {_OUTCOME_CODES}."
    try:
        outcome = Outcome.parse(raw_outcome)
    except ValueError:
        return f"Ukendt udfald {raw_outcome!r}. Brug et af: {_OUTCOME_CODES}."
    candidates = companies.get(cvr, [])
    if not candidates:
        return f"CVR {cvr} findes ikke på kampagnens liste ({campaign.name})."
    raw_round = cell("round")
    if raw_round:
        try:
            number = int(raw_round.replace("Runde", "").replace("runde", "").strip())
        except ValueError:
            return f"Runde {raw_round!r} er ikke et tal."
        if number not in rounds:
            known = ", ".join(str(n) for n in sorted(rounds)) or "ingen"
            return f"Kampagnen har ingen runde {number} (runder: {known})."
        candidates = [c for c in candidates if c[1] == rounds[number]]
        if not candidates:
            return f"CVR {cvr} er ikke med i runde {number}."
    if len(candidates) > 1:
        return (
            f"CVR {cvr} står flere gange på listen (fx filialer); angiv Runde, "
            "eller registrér udfaldet i phoner."
        )
    raw_time = cell("time")
    try:
        at = parse_time(raw_time)
    except ValueError:
        return (
            f"Tidspunkt {raw_time!r} kan ikke læses. Skriv fx 23-11-2026 10:15 "
            "eller 2026-11-23 10:15."
        )
    if at is not None and at > moment + dt.timedelta(minutes=5):
        return f"Tidspunkt {raw_time!r} ligger i fremtiden."
    raw_callback = cell("callback")
    callback_at: dt.datetime | None = None
    if outcome == Outcome.RING_TILBAGE:
        try:
            callback_at = parse_time(raw_callback)
        except ValueError:
            return f"'Ring tilbage'-tidspunkt {raw_callback!r} kan ikke læses."
        callback_at = callback_at or (at or moment)  # no agreed time: due right away
    raw_reason, raw_revisit = cell("reason"), cell("revisit")
    reason: NotInterestedReason | None = None
    reason_text: str | None = None
    if raw_reason:
        reason = vocabulary.lookup(NotInterestedReason, raw_reason)
        if reason is None:  # the contractor's own words: "Andet" with that text
            reason, reason_text = NotInterestedReason.ANDET, raw_reason
    revisit_on: dt.date | None = None
    if outcome == Outcome.IKKE_NU:
        try:
            revisit = parse_time(raw_revisit)
        except ValueError:
            return f"Datoen i 'Vend tilbage' ({raw_revisit!r}) kan ikke læses. Skriv fx 01-09-2027."
        revisit_on = local_date(revisit) if revisit is not None else None
    try:
        reason, reason_text, revisit_on = check_details(
            outcome, reason, reason_text, revisit_on, at or moment
        )
    except InvalidInput as exc:
        if outcome == Outcome.IKKE_NU:
            return f"{exc.message} Udfyld kolonnen 'Vend tilbage' med en senere dato."
        return f"{exc.message} Skriv den i kolonnen 'Begrundelse'."
    phoner = cell("phoner") or DEFAULT_PHONER
    note = cell("note") or None
    parts = [cvr, raw_round, outcome.value, raw_time, phoner, note or "", raw_callback]
    # added later: only when filled in, so the keys of older files stay the same
    parts += [p for p in (raw_reason, raw_revisit) if p]
    content = tuple(parts)
    seen[content] += 1
    return _Valid(
        row=row,
        company_id=candidates[0][0],
        outcome=outcome,
        phoner=phoner[:120],
        at=at or moment,
        note=note,
        callback_at=callback_at,
        key=_import_key(campaign.id or 0, parts, seen[content]),
        reason=reason,
        reason_text=reason_text,
        revisit_on=revisit_on,
    )


def _record_chunk(
    db: Database, campaign_id: int, rows: list[_Valid], summary: OutcomesImportSummary
) -> None:
    with db.session(write=True) as session:
        keys = [v.key for v in rows]
        done = set(
            session.exec(
                select(CallAttempt.import_key).where(col(CallAttempt.import_key).in_(keys))
            )
        )
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        moment = utcnow()
        for v in rows:
            if v.key in done:
                summary.already_recorded += 1
                continue
            company = session.get(Company, v.company_id)
            assert company is not None
            if (
                company.lease_holder is not None
                and company.lease_expires_at is not None
                and company.lease_expires_at >= moment
            ):
                summary.rejects.append(
                    Reject(
                        v.row.line,
                        f"{company.lease_holder} ringer til virksomheden lige nu; "
                        "importér filen igen om lidt (allerede indlæste rækker springes over).",
                        v.row.cells,
                    )
                )
                continue
            latest = session.exec(
                select(CallAttempt.ended_at)
                .where(CallAttempt.company_id == company.id)
                .order_by(col(CallAttempt.ended_at).desc())
            ).first()
            final = company.call_state in (CallState.DONE, CallState.NOT_REACHED)
            newer = latest is None or v.at >= latest
            apply_outcome(
                session=session,
                company=company,
                campaign=campaign,
                phoner=v.phoner,
                outcome=v.outcome,
                answers={},
                needs={},
                note=v.note,
                callback_at=v.callback_at,
                started_at=None,
                ended_at=v.at,
                source="import",
                import_key=v.key,
                update_state=newer and not (final and not v.outcome.substantive),
                reason=v.reason,
                reason_text=v.reason_text,
                revisit_on=v.revisit_on,
            )
            done.add(v.key)
            summary.recorded += 1
