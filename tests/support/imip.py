"""Reading invitation e-mails back in tests: the standard library's parser, the calendar
parts, and golden files.

Golden files live in ``tests/golden/imip/``. After a deliberate change of the messages,
regenerate them with ``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/core/test_invitations.py``
and read the diff before committing.
"""

from __future__ import annotations

import email
import os
import re
from email.message import EmailMessage, Message
from email.policy import default
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "imip"


def reparse(msg: EmailMessage) -> EmailMessage:
    """The message as a mail program receives it: its bytes, parsed (policy=default)."""
    parsed = email.message_from_bytes(bytes(msg), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def structure(msg: Message) -> list[str]:
    """``["multipart/mixed", " multipart/alternative", "  text/plain", …]``."""
    out: list[str] = []

    def walk(part: Message, depth: int) -> None:
        out.append(" " * depth + part.get_content_type())
        if part.is_multipart():
            for sub in part.get_payload():
                assert isinstance(sub, Message)
                walk(sub, depth + 1)

    walk(msg, 0)
    return out


def calendar_parts(msg: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    """The inline text/calendar part and the invite.ics attachment."""
    inline = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in msg.walk() if p.get_filename() == "invite.ics"]
    assert len(inline) == 1 and len(attached) == 1
    a, b = inline[0], attached[0]
    assert isinstance(a, EmailMessage) and isinstance(b, EmailMessage)
    return a, b


def calendar_bytes(msg: EmailMessage) -> bytes:
    """The calendar of an invitation (both copies checked to be the same bytes)."""
    inline, attached = calendar_parts(msg)
    data = inline.get_payload(decode=True)
    assert isinstance(data, bytes)
    assert attached.get_payload(decode=True) == data
    return data


def text_body(msg: EmailMessage, subtype: str = "plain") -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


_BOUNDARY = re.compile(rb"=_phoner_(mixed|alt)_[0-9a-f]+")


def normalise(data: bytes) -> bytes:
    """Bytes to compare with a golden file: MIME boundaries replaced by fixed names."""
    return _BOUNDARY.sub(rb"=_phoner_\1_BOUNDARY", data)


def assert_golden(name: str, msg: EmailMessage) -> None:
    """Compare the message with ``tests/golden/imip/<name>`` (write it if UPDATE_GOLDEN)."""
    path = GOLDEN / name
    got = normalise(bytes(msg))
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(got)
    assert path.is_file(), f"{path} is missing: run with UPDATE_GOLDEN=1"
    assert got == path.read_bytes(), f"{name} differs (UPDATE_GOLDEN=1 rewrites it)"


def open_invitation(raw: bytes) -> tuple[str, int, str, str]:
    """(METHOD, SEQUENCE, UID, STATUS) of an invitation e-mail's bytes, read as a mail
    program does: the standard library's parser, then icalendar and vobject, which must
    agree; the MIME part's ``method`` must equal METHOD."""
    import icalendar
    import vobject

    msg = email.message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    data = calendar_bytes(msg)
    inline, _ = calendar_parts(msg)
    cal = icalendar.Calendar.from_ical(data)
    method = str(cal["METHOD"])
    assert inline.get_content_type() == "text/calendar"
    assert inline["Content-Type"].params["method"] == method
    (ev,) = cal.walk("VEVENT")
    parsed = vobject.readOne(data.decode("utf-8"))
    assert parsed.method.value == method
    vev = parsed.vevent
    assert vev.uid.value == str(ev["UID"]) and int(vev.sequence.value) == int(ev["SEQUENCE"])
    assert vev.status.value == str(ev["STATUS"])
    return method, int(ev["SEQUENCE"]), str(ev["UID"]), str(ev["STATUS"])
