"""The live calendar feed server: ``GET /kalender/<token>.ics`` (Starlette on uvicorn).

What matters for subscribed clients and for safety:

- the feed is built from the database on each request, so a booking shows up at the
  client's next refresh (no build step to forget);
- strong ETag from the body; ``If-None-Match`` -> ``304 Not Modified``; Last-Modified is
  the latest change of the consultant's visits (never moves backwards); no compression;
- tokens are >= 128 bits and compared in constant time against every active token, an
  unknown token gets a bare 404 with no hint, and the token is never written to a log;
- every successful fetch (200 or 304) is recorded, so ``phoner calendars status`` can show
  which consultants have not seen their latest bookings.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from email.utils import format_datetime

from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from phoner.core.booking import consultant_feed
from phoner.core.db import Database
from phoner.core.errors import DatabaseError
from phoner.core.models import Consultant, FeedFetch, utcnow

log = logging.getLogger("phoner.feed")

FEED_PATH = "/kalender/{name}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
MEDIA_TYPE = "text/calendar; charset=utf-8"


def _not_found() -> Response:
    return PlainTextResponse("Ikke fundet.\n", status_code=404)


def _find_consultant_id(session: Session, token: str) -> int | None:
    """Constant-time match of ``token`` against every active consultant's token."""
    rows = session.exec(
        select(Consultant.id, Consultant.feed_token).where(col(Consultant.active).is_(True))
    ).all()
    presented = token.encode()
    found: int | None = None
    for cid, stored in rows:
        if hmac.compare_digest(presented, stored.encode()) and found is None:
            found = cid
    return found


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


def _record(db: Database, consultant_id: int, status: int, user_agent: str | None) -> None:
    now = utcnow()
    with db.session(write=True) as session:
        session.add(
            FeedFetch(
                consultant_id=consultant_id,
                at=now,
                status=status,
                user_agent=(user_agent or "")[:300] or None,
            )
        )
        consultant = session.get(Consultant, consultant_id)
        if consultant is not None:
            consultant.last_feed_fetch_at = now
            session.add(consultant)


def create_app(db: Database, *, record_fetches: bool = True) -> Starlette:
    """The ASGI app serving every consultant's feed from ``db``."""

    def feed(request: Request) -> Response:
        name = str(request.path_params.get("name", ""))
        if not name.endswith(".ics"):
            return _not_found()
        token = name[: -len(".ics")]
        if not _TOKEN.match(token):
            return _not_found()
        try:
            with db.session() as session:
                consultant_id = _find_consultant_id(session, token)
                consultant = (
                    None if consultant_id is None else session.get(Consultant, consultant_id)
                )
                if consultant_id is None or consultant is None:
                    log.info("feed: unknown token (%s...)", token[:4])
                    return _not_found()
                result = consultant_feed(session=session, consultant=consultant)
            etag = _etag(result.body)
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
                _record(db, consultant_id, status, request.headers.get("user-agent"))
            return response
        except DatabaseError as exc:
            log.warning("feed: database error: %s", exc.message)
            return PlainTextResponse(
                "Kalenderen er midlertidigt utilgængelig.\n",
                status_code=503,
                headers={"Retry-After": "60"},
            )

    async def not_found(request: Request, exc: Exception) -> Response:
        return _not_found()

    routes = [Route(FEED_PATH, feed, methods=["GET", "HEAD"])]
    # Any other path or method: the same bare 404 (no hint of what exists).
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})


def serve(db: Database, *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the feed server until interrupted (uvicorn; access log off: URLs hold tokens)."""
    import uvicorn

    uvicorn.run(
        create_app(db),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=True,
    )
