"""Calendar invitations by e-mail: iTIP (RFC 5546) objects carried by iMIP (RFC 6047).

Pure: no database, no sending. :func:`build_calendar` writes the VCALENDAR of one visit
for one recipient, :func:`build_message` wraps it in the e-mail the recipient's mail
program turns into an event in their own calendar.

What the calendar holds, and why:

- ``METHOD:REQUEST`` (a new or changed visit) or ``METHOD:CANCEL`` (with
  ``STATUS:CANCELLED``); one method per message (RFC 6047 2.4).
- ``ORGANIZER`` is the campaign's mailbox, never the recipient: Outlook deletes an
  invitation that names its own recipient as organizer. ``ATTENDEE`` is the recipient
  alone, ``RSVP=FALSE``: phoner does not read replies, so it does not ask for them.
- ``UID`` is the visit's stable UID (the one in the consultant's feed), ``SEQUENCE`` the
  booking's sequence; ``DTSTAMP`` the time the message was written.
- ``DTSTART``/``DTEND`` in local time with ``TZID`` and a VTIMEZONE in RRULE form
  (:func:`vtimezone`). icalendar 7's generated VTIMEZONE is a list of RDATEs, which
  Outlook does not accept, so the rule is derived here from the zone's own transitions.
- TEXT is cleaned of control characters and escaped as RFC 5545 says (icalendar's vText
  turns a literal backslash + "N" into a line break; see :mod:`phoner.formats.ics`).

The e-mail follows the structure Google Calendar and Thunderbird send, which Outlook,
Gmail and Apple Mail all recognise::

    multipart/mixed
      multipart/alternative
        text/plain                      (Danish body)
        text/html                       (the same, for HTML mail programs)
        text/calendar; method=…; charset=utf-8
      application/ics; name=invite.ics  (the same calendar, as an attachment)

The ``method`` parameter equals the METHOD inside (Outlook rejects a mismatch). Both
calendar parts are base64, so the CRLF line ends and folding arrive untouched. The
Message-ID and the MIME boundaries are derived from the content, so writing the same
message again gives the same bytes and a resend is recognisable.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import functools
import hashlib
import html
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime
from enum import StrEnum

import icalendar

from phoner.formats.ics import PRODID, event_text

_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def is_address(text: str) -> bool:
    """A plain ASCII address (``local@domain.tld``) that every mail server and calendar
    takes: no display name, no list, no spaces."""
    return len(text) <= 254 and _ADDRESS.fullmatch(text) is not None


class Method(StrEnum):
    """The iTIP methods phoner sends."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Mailbox:
    """An e-mail address with an optional display name."""

    email: str
    name: str = ""

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


@dataclass(frozen=True)
class Invitation:
    """One visit as one recipient's invitation (aware times; plain data)."""

    method: Method
    uid: str
    sequence: int
    start: dt.datetime
    end: dt.datetime
    summary: str
    location: str
    description: str
    organizer: Mailbox
    attendee: Mailbox
    stamp: dt.datetime  # DTSTAMP and the Date header: when the message was written
    tz: dt.tzinfo  # DTSTART/DTEND are written in this zone, with its VTIMEZONE
    tzid: str
    url: str = ""  # the visit's page (the consultant's invitation only)


class _Text(icalendar.vText):
    """A TEXT value written as RFC 5545 says (see the module docstring)."""

    def to_ical(self) -> bytes:
        return event_text(str(self)).encode("utf-8")


def _param(value: str) -> str:
    """A parameter value (CN) on one line, without DQUOTE (not allowed even quoted)."""
    value = event_text(value).replace("\\n", " ").replace("\\", "")
    return " ".join(value.replace('"', "'").split())


def _utc(ts: dt.datetime) -> dt.datetime:
    if ts.tzinfo is None:
        raise ValueError("naive datetime in an invitation")
    return ts.astimezone(dt.UTC).replace(microsecond=0)


# --------------------------------------------------------------------------- VTIMEZONE


@functools.lru_cache(maxsize=64)
def _transitions(
    tz: dt.tzinfo, year: int
) -> tuple[tuple[dt.datetime, dt.timedelta, dt.timedelta], ...]:
    """The UTC instants in ``year`` where ``tz`` changes offset: (instant, before, after).

    Memoised: the hour-by-hour scan costs ~8 ms and every invitation of the year needs
    the same answer (book_visit went from 10 to 26 ms with it uncached)."""
    out: list[tuple[dt.datetime, dt.timedelta, dt.timedelta]] = []
    t = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    before = t.astimezone(tz).utcoffset()
    step = dt.timedelta(hours=1)
    while t < end:
        after = (t + step).astimezone(tz).utcoffset()
        if after != before:
            lo, hi = t, t + step  # narrow to the minute
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            assert before is not None and after is not None
            out.append((hi, before, after))
            before = after
        t += step
    return tuple(out)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date:
    """The ``nth`` (1..4, or -1 for the last) ``weekday`` of ``month`` in ``year``."""
    days = _calendar.monthrange(year, month)[1]
    if nth == -1:
        last = dt.date(year, month, days)
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def vtimezone(tz: dt.tzinfo, tzid: str, year: int) -> icalendar.Timezone:
    """A VTIMEZONE for ``tz`` with one STANDARD and one DAYLIGHT rule in RRULE form
    (``FREQ=YEARLY;BYMONTH=…;BYDAY=-1SU``), as Outlook and Google write them; the rule is
    the one in force in ``year`` (the visit's year). A zone without summer time gets a
    single STANDARD block.

    Not icalendar's ``Timezone.from_tzinfo``: it writes each year's onsets as RDATEs,
    which Outlook does not accept.
    """
    zone = icalendar.Timezone()
    zone.add("tzid", tzid)
    found = _transitions(tz, year)
    if not found:
        std = icalendar.TimezoneStandard()
        offset = dt.datetime(year, 1, 1, tzinfo=dt.UTC).astimezone(tz)
        std.add("dtstart", dt.datetime(1970, 1, 1))  # noqa: DTZ001 (local wall time)
        std.add("tzoffsetfrom", offset.utcoffset())
        std.add("tzoffsetto", offset.utcoffset())
        std.add("tzname", offset.tzname() or tzid)
        zone.add_component(std)
        return zone
    if len(found) != 2:
        raise ValueError(f"{tzid} changes offset {len(found)} times in {year}")
    for instant, before, after in found:
        onset = (instant + before).replace(tzinfo=None)  # local wall time before the change
        days = _calendar.monthrange(onset.year, onset.month)[1]
        nth = -1 if onset.day + 7 > days else (onset.day - 1) // 7 + 1
        first = _nth_weekday(1970, onset.month, onset.weekday(), nth)
        part = icalendar.TimezoneDaylight() if after > before else icalendar.TimezoneStandard()
        part.add("dtstart", dt.datetime.combine(first, onset.time()))
        part.add(
            "rrule",
            {"freq": "YEARLY", "bymonth": onset.month, "byday": f"{nth}{_BYDAY[onset.weekday()]}"},
        )
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", instant.astimezone(tz).tzname() or tzid)
        zone.add_component(part)
    return zone


# --------------------------------------------------------------------------- iTIP


def _address(box: Mailbox, role: str | None) -> icalendar.vCalAddress:
    addr = icalendar.vCalAddress(f"mailto:{box.email}")
    if box.name:
        addr.params["CN"] = _param(box.name)
    if role is not None:
        addr.params["CUTYPE"] = "INDIVIDUAL"
        addr.params["ROLE"] = role
        addr.params["PARTSTAT"] = "NEEDS-ACTION"
        addr.params["RSVP"] = "FALSE"
    return addr


def build_calendar(inv: Invitation) -> bytes:
    """The bytes of the iTIP VCALENDAR of ``inv`` (CRLF, folded)."""
    if inv.organizer.email.lower() == inv.attendee.email.lower():
        raise ValueError("the organizer of an invitation cannot be its recipient")
    for box in (inv.organizer, inv.attendee):
        if not is_address(box.email):
            raise ValueError(f"not a plain e-mail address: {box.email!r}")
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", inv.method.value)
    start = _utc(inv.start).astimezone(inv.tz)
    cal.add_component(vtimezone(inv.tz, inv.tzid, start.year))
    ev = icalendar.Event()
    ev.add("uid", inv.uid)
    ev.add("sequence", int(inv.sequence))
    ev.add("dtstamp", _utc(inv.stamp))
    for name, ts in (("dtstart", start), ("dtend", _utc(inv.end).astimezone(inv.tz))):
        ev.add(name, ts.replace(tzinfo=None), parameters={"TZID": inv.tzid})
    ev.add("summary", _Text(inv.summary))
    if inv.location:
        ev.add("location", _Text(inv.location))
    if inv.description:
        ev.add("description", _Text(inv.description))
    ev.add("organizer", _address(inv.organizer, None))
    ev.add("attendee", _address(inv.attendee, "REQ-PARTICIPANT"))
    ev.add("status", "CANCELLED" if inv.method == Method.CANCEL else "CONFIRMED")
    ev.add("transp", "TRANSPARENT" if inv.method == Method.CANCEL else "OPAQUE")
    ev.add("class", "PUBLIC")
    if inv.url:
        ev.add("url", "".join(inv.url.split()))
    cal.add_component(ev)
    return bytes(cal.to_ical())


# --------------------------------------------------------------------------- MIME


def _digest(inv: Invitation, calendar: bytes, extra: str) -> str:
    """What identifies one message: the calendar without its DTSTAMP, and the bodies."""
    body = b"\r\n".join(ln for ln in calendar.split(b"\r\n") if not ln.startswith(b"DTSTAMP:"))
    h = hashlib.sha256()
    for part in (inv.uid, str(inv.sequence), inv.method.value, inv.attendee.email.lower()):
        h.update(part.encode("utf-8") + b"\0")
    h.update(body + b"\0" + extra.encode("utf-8"))
    return h.hexdigest()


def message_id(inv: Invitation, digest: str) -> str:
    """``<imip.…@domain>``: the same for the same message, new for a changed one (the
    domain is the organizer's, as RFC 5322 asks of a Message-ID's right-hand side)."""
    domain = inv.organizer.domain if is_address(inv.organizer.email) else "phoner.local"
    return f"<imip.{digest[:40]}@{domain}>"


def _html(text: str) -> str:
    paragraphs = text.strip("\n").split("\n\n")
    inner = "\n".join(
        "<p>" + "<br>\n".join(html.escape(ln) for ln in p.split("\n")) + "</p>" for p in paragraphs
    )
    return (
        '<!DOCTYPE html>\n<html lang="da">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n{inner}\n</body>\n</html>\n"
    )


def _header_address(box: Mailbox) -> Address:
    username, _, domain = box.email.rpartition("@")
    return Address(display_name=" ".join(box.name.split()), username=username, domain=domain)


def _parts(msg: Message) -> list[Message]:
    payload = msg.get_payload()
    assert isinstance(payload, list)
    return [p for p in payload if isinstance(p, Message)]


def build_message(
    inv: Invitation, *, subject: str, text: str, reply_to: Mailbox | None = None
) -> EmailMessage:
    """The iMIP e-mail of ``inv``: Danish ``text`` (plain and HTML) and the calendar, from
    the organizer to the attendee. ``reply_to`` (e.g. the consultant, for a company)
    is where an answer by mail goes."""
    cal = build_calendar(inv)
    text = text.strip("\n") + "\n"
    digest = _digest(inv, cal, subject + "\0" + text)
    msg = EmailMessage()
    msg["From"] = _header_address(inv.organizer)
    msg["To"] = _header_address(inv.attendee)
    if reply_to is not None:
        msg["Reply-To"] = _header_address(reply_to)
    msg["Subject"] = " ".join(subject.split())  # no line breaks in a header
    msg["Date"] = format_datetime(_utc(inv.stamp).astimezone(inv.tz))
    msg["Message-ID"] = message_id(inv, digest)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"  # Exchange: no out-of-office replies
    qp = "quoted-printable"  # 7-bit safe for any SMTP server, still readable
    msg.set_content(text, subtype="plain", charset="utf-8", cte=qp)
    msg.add_alternative(_html(text), subtype="html", charset="utf-8", cte=qp)
    msg.add_alternative(
        cal,
        maintype="text",
        subtype="calendar",
        cte="base64",
        params={"method": inv.method.value, "charset": "utf-8"},
    )
    msg.make_mixed()
    msg.add_attachment(
        cal,
        maintype="application",
        subtype="ics",
        cte="base64",
        filename="invite.ics",
        params={"name": "invite.ics"},
    )
    msg["Content-Language"] = "da"
    alternative, *attachments = _parts(msg)
    for part in [alternative, *_parts(alternative), *attachments]:
        del part["MIME-Version"]  # the message's own header is the one that counts
    # boundaries from the content: the same message is the same bytes
    msg.set_boundary(f"=_phoner_mixed_{digest[:24]}")
    alternative.set_boundary(f"=_phoner_alt_{digest[:24]}")
    return msg
