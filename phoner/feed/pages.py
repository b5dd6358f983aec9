"""The consultants' pages on ``phoner serve``: ``/besoeg/<token>`` (a visit: what the
consultant needs, and the form to register its result) and ``/konsulent/<token>`` (their
coming visits, visits waiting for a result, open follow-ups with "Udført").

What the rules are lives in :mod:`phoner.core.visit_pages`; this module is the web edge:

- Jinja2 templates with autoescape (``phoner/feed/templates``, package data); no HTML is
  built from strings here;
- GET never changes anything; a POST needs the page's CSRF token, an
  ``application/x-www-form-urlencoded`` body of at most :data:`MAX_BODY` bytes and at
  most :data:`MAX_FIELDS` fields; a saved form answers ``303 See Other`` back to the
  page (a relative Location: never built from the Host header);
- a wrong, old or malformed token is the feed server's bare 404;
- every page is sent with ``Cache-Control: no-store``, ``Referrer-Policy: no-referrer``,
  a Content-Security-Policy that allows nothing but this server's stylesheet and forms
  posting back to it, ``X-Content-Type-Options: nosniff`` and frame denial
  (``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``);
- links inside the pages are relative, so the pages work behind a reverse proxy that
  serves phoner under a path prefix.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from phoner.core import visit_pages as vp
from phoner.core.db import Database
from phoner.core.errors import DatabaseError, PhonerError
from phoner.core.models import Booking, Consultant, utcnow

log = logging.getLogger("phoner.feed")

# bytes of a form: the fullest visit form (a 2000-character note, three 500-character
# follow-ups) in characters that URL-encode to 9 bytes each is about 32 KiB
MAX_BODY = 64 * 1024
MAX_FIELDS = 100

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_env = Environment(
    loader=PackageLoader("phoner.feed", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_env)


def _not_found() -> Response:
    return PlainTextResponse("Ikke fundet.\n", status_code=404)


def _plain(text: str, status: int) -> Response:
    return PlainTextResponse(text, status_code=status, headers=SECURITY_HEADERS)


@dataclass(frozen=True)
class _Shown:
    """A rendered page's template, context and status."""

    template: str
    context: dict[str, Any]
    status: int = 200


class _Refused(Exception):
    """The request cannot be answered with a page (bare 404 or a plain error)."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def _read_form(request: Request) -> dict[str, str]:
    """The POSTed fields (first value of each), or :class:`_Refused` (413/415/400)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise _Refused(_plain("Formularen skal sendes fra siden.\n", 415))
    length = request.headers.get("content-length")
    too_big = _plain("Formularen er for stor.\n", 413)
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise _Refused(too_big)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _Refused(too_big)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise _Refused(_plain("Formularen kunne ikke læses.\n", 400)) from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


def _error(exc: PhonerError) -> dict[str, str | None]:
    """The message for the page; ``field`` marks the input it is about (aria-invalid)."""
    return {"message": exc.message, "hint": exc.hint, "field": getattr(exc, "field", None)}


def page_routes(
    db: Database,
    *,
    base_url: Callable[[Session], str],
    clock: Callable[[], dt.datetime] = utcnow,
) -> list[Route]:
    """The pages' routes. ``base_url(session)`` is the server's public address (for the
    feed link on the consultant's page); ``clock`` is now (tests move it)."""
    css = resources.files("phoner.feed").joinpath("static/phoner.css").read_bytes()

    def render(request: Request, shown: _Shown) -> Response:
        return templates.TemplateResponse(
            request,
            shown.template,
            shown.context,
            status_code=shown.status,
            headers=SECURITY_HEADERS,
        )

    # ---------------------------------------------------------------- visit page

    def visit_context(
        session: Session,
        booking: Booking,
        consultant: Consultant,
        token: str,
        values: dict[str, str] | None,
        **extra: Any,
    ) -> dict[str, Any]:
        now = clock()
        page = vp.visit_page(session=session, booking=booking, consultant=consultant, now=now)
        if values is None:  # what is saved, to change it
            values = {}
            if page.result is not None:
                values["status"] = page.result.status
                values["reason"] = page.result.reason
                values["note"] = page.result.note
                for key, n in page.result.agreements.items():
                    values[f"a_{key}"] = str(n)
        return {
            "page": page,
            "values": values,
            "csrf": vp.csrf_token(consultant, token, now=now),
            "followup_rows": range(1, vp.FOLLOWUP_ROWS + 1),
            "error": None,
            "notice": None,
            **extra,
        }

    def show_visit(token: str, saved: str | None) -> _Shown:
        with db.session() as session:
            found = vp.find_visit(session=session, token=token)
            if found is None:
                raise _Refused(_not_found())
            notice = "Gemt. Du kan rette resultatet og gemme igen." if saved == "1" else None
            return _Shown("visit.html", visit_context(session, *found, token, None, notice=notice))

    def save_visit(token: str, fields: dict[str, str]) -> _Shown | str:
        """``"1"`` when saved; else the page again with the message and what was typed."""
        problem: PhonerError
        try:
            with db.session(write=True) as session:
                found = vp.find_visit(session=session, token=token)
                if found is None:
                    raise _Refused(_not_found())
                booking, consultant = found
                if not vp.csrf_ok(consultant, token, fields.get("csrf", ""), now=clock()):
                    raise _StaleForm()
                form = vp.parse_form(fields, default_owner=consultant.id or 0)
                vp.save_visit_form(
                    session=session, booking=booking, consultant=consultant, form=form, now=clock()
                )
                return "1"
        except _StaleForm:
            problem = PhonerError(
                "Siden var for gammel til at gemme fra.",
                hint="Det, du skrev, står her stadig: tjek det, og tryk Gem igen.",
            )
            status = 403
        except (_Refused, DatabaseError):
            raise
        except PhonerError as exc:  # a rule said no: nothing was written (rolled back)
            problem, status = exc, 400
        with db.session() as session:
            found = vp.find_visit(session=session, token=token)
            if found is None:
                raise _Refused(_not_found())
            context = visit_context(session, *found, token, fields, error=_error(problem))
        return _Shown("visit.html", context, status)

    def page(
        save: Callable[[str, dict[str, str]], _Shown | str],
        show: Callable[[str, str | None], _Shown],
        done_flag: str,
        anchor: str = "",
    ) -> Callable[[Request], Awaitable[Response]]:
        """A page's route: GET shows it (``?<done_flag>=<what was saved>``: after a
        save), POST saves and, when nothing was refused, redirects back to the GET (303)
        with what ``save`` returned as the flag's value."""

        async def route(request: Request) -> Response:
            token = str(request.path_params["token"])
            try:
                if request.method == "POST":
                    fields = await _read_form(request)
                    shown = await run_in_threadpool(save, token, fields)
                    if isinstance(shown, str):
                        return RedirectResponse(
                            f"{token}?{done_flag}={shown}{anchor}",
                            status_code=303,
                            headers=SECURITY_HEADERS,
                        )
                else:
                    done = request.query_params.get(done_flag)
                    shown = await run_in_threadpool(show, token, done)
            except _Refused as refused:
                return refused.response
            except DatabaseError as exc:
                log.warning("pages: database error: %s", exc.message)
                return _plain("Siden er midlertidigt utilgængelig. Prøv igen om lidt.\n", 503)
            return render(request, shown)

        return route

    # ---------------------------------------------------------------- consultant page

    def consultant_context(
        session: Session, consultant: Consultant, token: str, **extra: Any
    ) -> dict[str, Any]:
        now = clock()
        page = vp.consultant_page(session=session, consultant=consultant, now=now)
        feed = f"{base_url(session)}/kalender/{consultant.feed_token}.ics"
        return {
            "page": page,
            "csrf": vp.csrf_token(consultant, token, now=now),
            "feed_url": feed,
            "webcal_url": "webcal://" + feed.split("://", 1)[1],
            "error": None,
            "notice": None,
            **extra,
        }

    def show_consultant(token: str, done: str | None) -> _Shown:
        with db.session() as session:
            consultant = vp.find_consultant(session=session, token=token)
            if consultant is None:
                raise _Refused(_not_found())
            notice = vp.done_notice(session=session, consultant=consultant, flag=done)
            return _Shown(
                "consultant.html", consultant_context(session, consultant, token, notice=notice)
            )

    def mark_done(token: str, fields: dict[str, str]) -> _Shown | str:
        """The follow-up's id when marked done; else the page again with the message."""
        problem: PhonerError
        try:
            with db.session(write=True) as session:
                consultant = vp.find_consultant(session=session, token=token)
                if consultant is None:
                    raise _Refused(_not_found())
                if not vp.csrf_ok(consultant, token, fields.get("csrf", ""), now=clock()):
                    raise _StaleForm()
                raw = fields.get("followup", "")
                if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
                    raise PhonerError("Opfølgningen findes ikke på din liste.")
                vp.mark_followup_done(
                    session=session, consultant=consultant, followup_id=int(raw), now=clock()
                )
                return str(int(raw))
        except _StaleForm:
            problem = PhonerError(
                "Siden var for gammel.", hint="Tryk Udført igen på den nye side herunder."
            )
            status = 403
        except (_Refused, DatabaseError):
            raise
        except PhonerError as exc:
            problem, status = exc, 400
        with db.session() as session:
            consultant = vp.find_consultant(session=session, token=token)
            if consultant is None:
                raise _Refused(_not_found())
            context = consultant_context(session, consultant, token, error=_error(problem))
        return _Shown("consultant.html", context, status)

    async def stylesheet(request: Request) -> Response:
        return Response(
            css,
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route(
            vp.VISIT_PATH + "{token}",
            page(save_visit, show_visit, "gemt", "#registreret"),
            methods=["GET", "POST"],
        ),
        Route(
            vp.CONSULTANT_PATH + "{token}",
            page(mark_done, show_consultant, "udfoert"),
            methods=["GET", "POST"],
        ),
        Route("/static/phoner.css", stylesheet, methods=["GET"]),
    ]


class _StaleForm(Exception):
    """The form's CSRF token is missing, forged or too old."""
