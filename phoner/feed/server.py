"""The live calendar feed server: ``GET /kalender/<token>.ics`` (Starlette on uvicorn),
and the consultants' pages (:mod:`phoner.feed.pages`: ``/besoeg/...``, ``/konsulent/...``).

What matters for subscribed clients and for safety:

- the feed comes from the database on each request, so a booking shows up at the
  client's next refresh (no build step to forget);
- the conditional check is cheap and comes first: one aggregate over the consultant's
  visits (count, newest, latest change, sum of SEQUENCEs) plus the consultant's name and
  the latest GDPR purge stamp is the feed's version (:class:`FeedVersion`), and the ETag
  is a hash of it, so ``If-None-Match`` -> ``304 Not Modified`` without building the feed.
  Every change of what an event shows raises a visit's SEQUENCE
  (:mod:`phoner.core.event_versions`), a purge changes the stamp, a rename the name, and
  :data:`phoner.formats.ics.FORMAT_VERSION` and phoner's version change it when the
  writer does. A 200's body is built for the version and reused for the same version for
  at most :data:`CACHE_SECONDS`. Last-Modified is the latest change of the consultant's
  visits (never moves backwards); no compression;
- every event links to its visit page (URL and the DESCRIPTION's last line) when the
  server has a public address (``base_url``, else the saved one); the links are part of
  the feed's version, so a new address or a rotated secret changes the ETag;
- tokens are >= 128 bits and compared in constant time against every active token, an
  unknown token gets a bare 404 with no hint, and the token is never written to a log;
  any other path, method or a trailing slash gets the same 404 (no redirect, which
  Starlette would build from the request's Host header);
- tokens are checked against the database on every request (never cached), so a rotated
  or deactivated token stops working at once;
- every GET answered 200 or 304 is recorded as seen, at the time the request started
  (before the database was read: a visit changed while the feed was being served counts
  as unseen); HEAD requests and every 404 are not. ``phoner calendars status`` shows who
  has not seen their latest bookings (``consultant.last_feed_fetch_at``), and
  :class:`FeedFetchSummary` keeps one row per consultant and day (count, first, last, last
  status). Fetches are buffered in memory and written in one transaction at most every
  :data:`FLUSH_SECONDS` and at shutdown, so a request does not wait for a database write.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import hashlib
import hmac
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from phoner import __version__
from phoner.core.clock import local_date
from phoner.core.db import Database
from phoner.core.errors import DatabaseError, PortUnavailable, os_reason
from phoner.core.feeds import consultant_feed
from phoner.core.gdpr import PURGE_STAMP_KEY
from phoner.core.models import Booking, Consultant, FeedFetchSummary, Setting, utcnow
from phoner.core.outbox import health as outbox_health
from phoner.core.sender import SenderService
from phoner.core.visit_pages import DEFAULT_BASE_URL, saved_base_url
from phoner.feed.pages import page_routes
from phoner.formats.ics import FORMAT_VERSION

log = logging.getLogger("phoner.feed")

FEED_PATH = "/kalender/{name}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
MEDIA_TYPE = "text/calendar; charset=utf-8"
FLUSH_SECONDS = 1.0  # fetch records are written at most this long after the request
CACHE_SECONDS = 60.0  # a built body is reused this long at most (for the same version)
_MAX_PENDING = 50_000  # fetch records kept while the database is unavailable


def _not_found() -> Response:
    return PlainTextResponse("Ikke fundet.\n", status_code=404)


def _find_consultant(session: Session, token: str) -> tuple[int, str, str] | None:
    """Constant-time match of ``token`` against every active consultant's token: the
    consultant's id, name and page secret."""
    rows = session.exec(
        select(Consultant.id, Consultant.feed_token, Consultant.name, Consultant.page_secret).where(
            col(Consultant.active).is_(True)
        )
    ).all()
    presented = token.encode()
    found: tuple[int, str, str] | None = None
    for cid, stored, name, secret in rows:
        if hmac.compare_digest(presented, stored.encode()) and found is None and cid is not None:
            found = (cid, name, secret)
    return found


#: the latest GDPR purge (a purge blanks visits' contact data without touching the
#: fields above): one primary-key lookup in the same statement
_PURGE_STAMP = (
    sa.select(col(Setting.value)).where(col(Setting.key) == PURGE_STAMP_KEY).scalar_subquery()
)


def _aware(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's max() returns the stored text
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class FeedVersion:
    """Everything a consultant's feed depends on, read in one small aggregate query."""

    name: str
    visits: int
    newest: int | None
    last_modified: dt.datetime | None
    sequences: int
    purged: str | None
    links: str = ""  # the events' visit-page links: the public address and the secret

    @property
    def etag(self) -> str:
        key = repr((__version__, FORMAT_VERSION, self)).encode()
        return '"' + hashlib.sha256(key).hexdigest()[:40] + '"'


def _links_key(base: str | None, secret: str) -> str:
    """What the events' links depend on, without the secret itself."""
    if not base:
        return ""
    return hashlib.sha256(f"{base}\0{secret}".encode()).hexdigest()[:24]


def feed_version(session: Session, consultant_id: int, name: str, links: str = "") -> FeedVersion:
    """The feed's version without building it: over the consultant's visits of any status,
    how many, the newest, the latest change and the sum of SEQUENCEs (a move or
    cancellation raises both, even within the same clock tick), and the stamp of the
    latest GDPR purge (a purged feed is never served from a cache)."""
    count, newest, last, sequences, purged = session.execute(
        sa.select(
            sa.func.count(col(Booking.id)),
            sa.func.max(col(Booking.id)),
            sa.func.max(col(Booking.modified_at)),
            sa.func.coalesce(sa.func.sum(col(Booking.sequence)), 0),
            _PURGE_STAMP,
        ).where(col(Booking.consultant_id) == consultant_id)
    ).one()
    return FeedVersion(
        name=name,
        visits=int(count),
        newest=None if newest is None else int(newest),
        last_modified=_aware(last),
        sequences=int(sequences),
        purged=None if purged is None else str(purged),
        links=links,
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = [t.strip() for t in if_none_match.split(",")]
    # weak comparison is what If-None-Match uses (RFC 9110 13.1.2)
    return any(t.removeprefix("W/") == etag for t in tags)


_Day = tuple[int, dt.date]


class FetchLog:
    """Feed fetches buffered in memory and written in one transaction by :meth:`flush`:
    summed up per consultant and day into :class:`FeedFetchSummary`, and each consultant's
    ``last_feed_fetch_at`` moved to their latest fetch.

    The server flushes every :data:`FLUSH_SECONDS` and at shutdown; a flush that fails
    (database locked or down) keeps the records for the next one.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[tuple[int, dt.datetime, int, str | None]] = []
        self._lock = threading.Lock()  # guards _pending
        self._flushing = threading.Lock()  # one flush at a time, in order

    def add(self, consultant_id: int, status: int, user_agent: str | None, at: dt.datetime) -> None:
        """Record a fetch that served the feed as it was at ``at`` (the request's start)."""
        record = (consultant_id, at, status, (user_agent or "")[:300] or None)
        with self._lock:
            if len(self._pending) >= _MAX_PENDING:
                del self._pending[0]  # bounded memory if the database stays unavailable
            self._pending.append(record)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> int:
        """Write the buffered fetches; returns how many were written."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            latest: dict[int, dt.datetime] = {}
            days: dict[_Day, dict[str, Any]] = {}
            for cid, at, status, ua in batch:
                latest[cid] = max(at, latest.get(cid, at))
                day = days.get((cid, local_date(at)))
                if day is None:
                    days[(cid, local_date(at))] = {
                        "consultant_id": cid,
                        "day": local_date(at),
                        "fetches": 1,
                        "first_at": at,
                        "last_at": at,
                        "last_status": status,
                        "last_user_agent": ua,
                    }
                    continue
                day["fetches"] += 1
                day["first_at"] = min(day["first_at"], at)
                if at >= day["last_at"]:
                    day.update(last_at=at, last_status=status, last_user_agent=ua)
            try:
                with self.db.session(write=True) as session:
                    session.execute(_upsert_days(session), list(days.values()))
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


def _upsert_days(session: Session) -> Any:
    """INSERT ... ON CONFLICT (consultant, day) DO UPDATE: adds to the day's row, so two
    servers (or a flush after a restart) never collide on it."""
    from sqlalchemy.dialects import postgresql, sqlite

    table: sa.Table = FeedFetchSummary.__table__  # type: ignore[attr-defined]
    pg = session.get_bind().dialect.name == "postgresql"
    stmt = postgresql.insert(table) if pg else sqlite.insert(table)
    new, old = stmt.excluded, table.c
    newer = new.last_at >= old.last_at
    return stmt.on_conflict_do_update(
        index_elements=[old.consultant_id, old.day],
        set_={
            "fetches": old.fetches + new.fetches,
            "first_at": sa.case((new.first_at < old.first_at, new.first_at), else_=old.first_at),
            "last_at": sa.case((newer, new.last_at), else_=old.last_at),
            "last_status": sa.case((newer, new.last_status), else_=old.last_status),
            "last_user_agent": sa.case((newer, new.last_user_agent), else_=old.last_user_agent),
        },
    )


@dataclass(frozen=True)
class _Cached:
    version: FeedVersion
    body: bytes
    built: float


def create_app(
    db: Database,
    *,
    record_fetches: bool = True,
    sender: SenderService | None = None,
    base_url: str | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> Starlette:
    """The ASGI app serving every consultant's feed from ``db``, the consultants' pages
    (:mod:`phoner.feed.pages`) and ``GET /health``.

    ``base_url`` is the public address the events' links to the visit pages start with
    (``phoner serve --base-url``); without it the workspace's saved address is read on
    each request, and without that the events have no link. ``clock`` is the pages' now.

    ``app.state.fetch_log`` is the :class:`FetchLog` (flushed in the background while the
    app runs under a server with lifespan events, and at shutdown). ``sender``, when
    given, is started with the app and stopped (its current message finished) at
    shutdown: ``phoner serve`` is the one long-running service.
    """
    fetch_log = FetchLog(db)
    cache: dict[int, _Cached] = {}

    def links_base(session: Session) -> str | None:
        return base_url or saved_base_url(session=session)

    def page_base(session: Session) -> str:
        return links_base(session) or DEFAULT_BASE_URL

    def body(session: Session, consultant_id: int, version: FeedVersion, base: str | None) -> bytes:
        hit = cache.get(consultant_id)
        now = time.monotonic()
        if hit is not None and hit.version == version and now - hit.built < CACHE_SECONDS:
            return hit.body
        consultant = session.get(Consultant, consultant_id)
        assert consultant is not None
        built = consultant_feed(session=session, consultant=consultant, base_url=base).body
        cache[consultant_id] = _Cached(version, built, now)
        return built

    def feed(request: Request) -> Response:
        name = str(request.path_params.get("name", ""))
        if not name.endswith(".ics"):
            return _not_found()
        token = name[: -len(".ics")]
        if not _TOKEN.match(token):
            return _not_found()
        started = utcnow()  # before the first read: what this request can have seen
        try:
            with db.session() as session:
                found = _find_consultant(session, token)
                if found is None:
                    log.info("feed: unknown token (%s...)", token[:4])
                    return _not_found()
                consultant_id, consultant_name, secret = found
                base = links_base(session)
                version = feed_version(
                    session, consultant_id, consultant_name, _links_key(base, secret)
                )
                etag = version.etag
                fresh = _matches(request.headers.get("if-none-match"), etag)
                content = b"" if fresh else body(session, consultant_id, version, base)
            headers = {
                "ETag": etag,
                "Cache-Control": "private, no-cache",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            }
            if version.last_modified is not None:
                headers["Last-Modified"] = format_datetime(
                    version.last_modified.replace(microsecond=0), usegmt=True
                )
            if fresh:
                status = 304
                response: Response = Response(status_code=304, headers=headers)
            else:
                status = 200
                headers["Content-Disposition"] = 'inline; filename="besoeg.ics"'
                response = Response(content, media_type=MEDIA_TYPE, headers=headers)
            if record_fetches and request.method == "GET":
                fetch_log.add(consultant_id, status, request.headers.get("user-agent"), started)
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
                "oldest_queued_seconds": h.oldest_waiting_seconds,
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
        *page_routes(db, base_url=page_base, clock=clock),
    ]
    # Any other path or method: the same bare 404 (no hint of what exists).
    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: not_found},
        lifespan=lifespan,
    )
    # /kalender/<token>.ics/ is not found; Starlette would answer a 307 to the URL without
    # the slash, built from the request's Host header (an open redirect through our host)
    app.router.redirect_slashes = False
    app.state.fetch_log = fetch_log
    return app


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` for :func:`serve`, or a Danish
    :class:`PortUnavailable` naming the port (taken, not allowed, not this machine's).

    Binding before the server starts lets the caller say it is running only once it can,
    and the server takes this very socket (no other program can take the port between).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise PortUnavailable(
            f"Adressen {host!r} findes ikke.",
            hint="Brug en adresse på denne maskine, fx 127.0.0.1 (kun lokalt) eller 0.0.0.0.",
        ) from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise _port_error(host, port, exc) from None
    sock.set_inheritable(True)
    return sock


def _port_error(host: str, port: int, exc: OSError) -> PortUnavailable:
    if exc.errno == errno.EADDRINUSE:
        return PortUnavailable(
            f"Port {port} på {host} er allerede i brug af et andet program (måske en anden "
            "phoner serve).",
            hint="Stop det andet program, eller vælg en anden port.",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PortUnavailable(
            f"phoner må ikke lytte på port {port} på {host} (porte under 1024 kræver "
            "administratorrettigheder).",
            hint="Vælg en port over 1024, fx 8080, og lad evt. en webserver foran sende videre.",
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return PortUnavailable(
            f"Adressen {host} er ikke en af denne maskines adresser.",
            hint="Brug 127.0.0.1 (kun lokalt) eller 0.0.0.0 (alle netkort).",
        )
    return PortUnavailable(f"Der kan ikke lyttes på {host}:{port}: {os_reason(exc)}.")


def serve(
    db: Database,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    sender: SenderService | None = None,
    sock: socket.socket | None = None,
    base_url: str | None = None,
) -> None:
    """Run the feed server (and the outbox sender) until interrupted or SIGTERM (uvicorn
    shuts down cleanly on both; access log off: URLs hold tokens). ``sock`` is the
    socket :func:`bind` gave (without it, ``host`` and ``port`` are bound here)."""
    import uvicorn

    config = uvicorn.Config(
        create_app(db, sender=sender, base_url=base_url),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=True,
    )
    uvicorn.Server(config).run(sockets=[sock or bind(host, port)])
