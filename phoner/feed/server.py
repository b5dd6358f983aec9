"""The live calendar feed server: ``GET /kalender/<token>.ics`` (Starlette on uvicorn).

What matters for subscribed clients and for safety:

- the feed comes from the database on each request, so a booking shows up at the
  client's next refresh (no build step to forget). Each request checks the consultant's
  token and a cheap fingerprint of their visits (count, latest change) against the
  database; the body and ETag built for an unchanged fingerprint are reused for at most
  :data:`CACHE_SECONDS` (company or campaign edits do not touch the visits). A GDPR purge
  changes the fingerprint (its stamp is part of it), so purged data is never served;
- strong ETag from the body; ``If-None-Match`` -> ``304 Not Modified``; Last-Modified is
  the latest change of the consultant's visits (never moves backwards); no compression;
- tokens are >= 128 bits and compared in constant time against every active token, an
  unknown token gets a bare 404 with no hint, and the token is never written to a log;
- tokens are checked against the database on every request (never cached), so a rotated
  or deactivated token stops working at once;
- every successful fetch (200 or 304) is recorded, so ``phoner calendars status`` can show
  which consultants have not seen their latest bookings. Fetches are buffered in memory
  and written in one transaction at most every :data:`FLUSH_SECONDS` and at shutdown, so
  a request does not wait for a database write.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import format_datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from phoner.core.db import Database
from phoner.core.errors import DatabaseError
from phoner.core.feeds import consultant_feed
from phoner.core.gdpr import PURGE_STAMP_KEY
from phoner.core.models import Booking, Consultant, FeedFetch, Setting, utcnow
from phoner.core.outbox import health as outbox_health
from phoner.core.sender import SenderService

log = logging.getLogger("phoner.feed")

FEED_PATH = "/kalender/{name}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
MEDIA_TYPE = "text/calendar; charset=utf-8"
FLUSH_SECONDS = 1.0  # fetch records are written at most this long after the request
CACHE_SECONDS = 60.0  # an unchanged feed's body is reused this long at most
_MAX_PENDING = 50_000  # fetch records kept while the database is unavailable


def _not_found() -> Response:
    return PlainTextResponse("Ikke fundet.\n", status_code=404)


def _find_consultant(session: Session, token: str) -> tuple[int, str] | None:
    """Constant-time match of ``token`` against every active consultant's token: the
    consultant's id and name."""
    rows = session.exec(
        select(Consultant.id, Consultant.feed_token, Consultant.name).where(
            col(Consultant.active).is_(True)
        )
    ).all()
    presented = token.encode()
    found: tuple[int, str] | None = None
    for cid, stored, name in rows:
        if hmac.compare_digest(presented, stored.encode()) and found is None and cid is not None:
            found = (cid, name)
    return found


#: the latest GDPR purge (a purge blanks visits' contact data without touching the
#: fields above): one primary-key lookup in the same statement
_PURGE_STAMP = (
    sa.select(col(Setting.value)).where(col(Setting.key) == PURGE_STAMP_KEY).scalar_subquery()
)


def _fingerprint(session: Session, consultant_id: int) -> tuple[object, ...]:
    """Changes as cheap to read as possible (one aggregate over the consultant's visits of
    any status): how many, the newest, the latest change and the sum of SEQUENCEs (a move
    or cancellation raises both, even within the same clock tick), and the stamp of the
    latest GDPR purge (a purged feed is never served from the cache)."""
    row = session.execute(
        sa.select(
            sa.func.count(col(Booking.id)),
            sa.func.max(col(Booking.id)),
            sa.func.max(col(Booking.modified_at)),
            sa.func.sum(col(Booking.sequence)),
            _PURGE_STAMP,
        ).where(col(Booking.consultant_id) == consultant_id)
    ).one()
    return tuple(str(v) for v in row)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = [t.strip() for t in if_none_match.split(",")]
    # weak comparison is what If-None-Match uses (RFC 9110 13.1.2)
    return any(t.removeprefix("W/") == etag for t in tags)


class FetchLog:
    """Feed fetches buffered in memory and written in one transaction by :meth:`flush`.

    The server flushes every :data:`FLUSH_SECONDS` and at shutdown; a flush that fails
    (database locked or down) keeps the records for the next one.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[tuple[int, dt.datetime, int, str | None]] = []
        self._lock = threading.Lock()  # guards _pending
        self._flushing = threading.Lock()  # one flush at a time, in order

    def add(self, consultant_id: int, status: int, user_agent: str | None) -> None:
        record = (consultant_id, utcnow(), status, (user_agent or "")[:300] or None)
        with self._lock:
            if len(self._pending) >= _MAX_PENDING:
                del self._pending[0]  # bounded memory if the database stays unavailable
            self._pending.append(record)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> int:
        """Write the buffered fetches and each consultant's latest fetch time; returns how
        many were written."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            latest: dict[int, dt.datetime] = {}
            for cid, at, _status, _ua in batch:
                latest[cid] = max(at, latest.get(cid, at))
            try:
                with self.db.session(write=True) as session:
                    session.execute(
                        sa.insert(FeedFetch),
                        [
                            {"consultant_id": c, "at": at, "status": st, "user_agent": ua}
                            for c, at, st, ua in batch
                        ],
                    )
                    for cid, at in latest.items():
                        session.execute(
                            sa.update(Consultant)
                            .where(col(Consultant.id) == cid)
                            .where(
                                sa.or_(
                                    col(Consultant.last_feed_fetch_at).is_(None),
                                    col(Consultant.last_feed_fetch_at) < at,
                                )
                            )
                            .values(last_feed_fetch_at=at)
                        )
            except DatabaseError as exc:
                log.warning("feed: fetch log not written yet: %s", exc.message)
                with self._lock:
                    self._pending[:0] = batch[-_MAX_PENDING:]
                return 0
            return len(batch)


@dataclass(frozen=True)
class _Cached:
    fingerprint: tuple[object, ...]
    body: bytes
    etag: str
    last_modified: dt.datetime | None
    built: float


def create_app(
    db: Database, *, record_fetches: bool = True, sender: SenderService | None = None
) -> Starlette:
    """The ASGI app serving every consultant's feed from ``db``, and ``GET /health``.

    ``app.state.fetch_log`` is the :class:`FetchLog` (flushed in the background while the
    app runs under a server with lifespan events, and at shutdown). ``sender``, when
    given, is started with the app and stopped (its current message finished) at
    shutdown: ``phoner serve`` is the one long-running service.
    """
    fetch_log = FetchLog(db)
    cache: dict[int, _Cached] = {}

    def current(session: Session, consultant_id: int, name: str) -> _Cached:
        fingerprint = (name, *_fingerprint(session, consultant_id))
        hit = cache.get(consultant_id)
        now = time.monotonic()
        if hit is not None and hit.fingerprint == fingerprint and now - hit.built < CACHE_SECONDS:
            return hit
        consultant = session.get(Consultant, consultant_id)
        assert consultant is not None
        result = consultant_feed(session=session, consultant=consultant)
        entry = _Cached(fingerprint, result.body, _etag(result.body), result.last_modified, now)
        cache[consultant_id] = entry
        return entry

    def feed(request: Request) -> Response:
        name = str(request.path_params.get("name", ""))
        if not name.endswith(".ics"):
            return _not_found()
        token = name[: -len(".ics")]
        if not _TOKEN.match(token):
            return _not_found()
        try:
            with db.session() as session:
                found = _find_consultant(session, token)
                if found is None:
                    log.info("feed: unknown token (%s...)", token[:4])
                    return _not_found()
                consultant_id, consultant_name = found
                result = current(session, consultant_id, consultant_name)
            etag = result.etag
            headers = {
                "ETag": etag,
                "Cache-Control": "private, no-cache",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            }
            if result.last_modified is not None:
                headers["Last-Modified"] = format_datetime(result.last_modified, usegmt=True)
            if _matches(request.headers.get("if-none-match"), etag):
                status = 304
                response: Response = Response(status_code=304, headers=headers)
            else:
                status = 200
                headers["Content-Disposition"] = 'inline; filename="besoeg.ics"'
                response = Response(result.body, media_type=MEDIA_TYPE, headers=headers)
            if record_fetches:
                fetch_log.add(consultant_id, status, request.headers.get("user-agent"))
            return response
        except DatabaseError as exc:
            log.warning("feed: database error: %s", exc.message)
            return PlainTextResponse(
                "Kalenderen er midlertidigt utilgængelig.\n",
                status_code=503,
                headers={"Retry-After": "60"},
            )

    async def health(request: Request) -> Response:
        """Is the e-mail sender keeping up? JSON; 503 when not (for monitoring)."""
        now = utcnow()
        state = sender.state() if sender is not None else None

        def read() -> dict[str, object]:
            with db.session() as session:
                h = outbox_health(session, now=now)
            return {
                "queued": h.queued,
                "due": h.due,
                "failed": h.failed,
                "oldest_queued_seconds": h.oldest_due_seconds,
                "last_sent_at": h.last_sent_at.isoformat() if h.last_sent_at else None,
                "ok": h.ok,
            }

        try:
            box = await run_in_threadpool(read)
        except DatabaseError as exc:
            log.warning("health: database error: %s", exc.message)
            return JSONResponse({"ok": False, "database": False}, status_code=503)
        ok = bool(box.pop("ok")) and (state is None or state.keeping_up(now))
        body: dict[str, object] = {"ok": ok, "database": True, "outbox": box, "sender": None}
        if state is not None:
            body["sender"] = {
                "running": state.running,
                "poll_seconds": state.poll_seconds,
                "last_pass_at": state.last_pass_at.isoformat() if state.last_pass_at else None,
                "last_sent_at": state.last_sent_at.isoformat() if state.last_sent_at else None,
                "sent": state.sent,
                "problem": state.problem,
            }
        headers = {"Cache-Control": "no-store"}
        return JSONResponse(body, status_code=200 if ok else 503, headers=headers)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _not_found()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def flush_regularly() -> None:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                if fetch_log.pending:
                    await run_in_threadpool(fetch_log.flush)

        task = asyncio.create_task(flush_regularly())
        if sender is not None:
            sender.start()
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if sender is not None:
                await run_in_threadpool(sender.stop)
            await run_in_threadpool(fetch_log.flush)

    routes = [
        Route(FEED_PATH, feed, methods=["GET", "HEAD"]),
        Route("/health", health, methods=["GET"]),
    ]
    # Any other path or method: the same bare 404 (no hint of what exists).
    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: not_found},
        lifespan=lifespan,
    )
    app.state.fetch_log = fetch_log
    return app


def serve(
    db: Database,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    sender: SenderService | None = None,
) -> None:
    """Run the feed server (and the outbox sender) until interrupted or SIGTERM (uvicorn
    shuts down cleanly on both; access log off: URLs hold tokens)."""
    import uvicorn

    uvicorn.run(
        create_app(db, sender=sender),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=True,
    )
