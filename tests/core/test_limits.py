"""Too-long values are a Danish refusal on both databases; a crash log holds no values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from phoner.commands.hints import cli_hint
from phoner.core import campaigns, limits
from phoner.core.booking import service as bk
from phoner.core.db import Database
from phoner.core.errors import InvalidInput, crash_report, write_crash_log
from phoner.core.models import AuditLog, Booking, CancelReason, Company, Consultant
from tests.support.booking import NOW, at, make_world

REPO = Path(__file__).resolve().parent.parent.parent
MARKER = "Hemmelig Hansen hemmelig@example.dk"


def test_limits_come_from_the_tables() -> None:
    assert limits.max_length(Booking, "booked_by") == 120
    assert limits.max_length(Booking, "contact_person") == 200
    assert limits.max_length(AuditLog, "reason") == 500
    assert limits.max_length(Company, "extra") is None


def _book(db: Database, **kwargs: object) -> Booking:
    w = make_world(db, consultants=1)
    return bk.book_visit(
        db=db,
        company_id=w.company_id,
        consultant_id=w.consultant_ids[0],
        start=at("2027-03-24", "09:00"),
        now=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_long_by_is_a_danish_refusal(db: Database) -> None:
    with pytest.raises(InvalidInput) as info:
        _book(db, booked_by="x" * 121)
    assert "121 tegn, højst 120" in info.value.message
    # the option is the CLI's to name (the TUI has no --by): core gives its field
    assert "--by" not in str(info.value) and info.value.field == "by"
    assert "--by" in (cli_hint(info.value) or "")
    with db.session() as s:
        assert s.exec(select(Booking)).all() == []  # nothing half-saved


def test_a_long_contact_is_a_danish_refusal(db: Database) -> None:
    with pytest.raises(InvalidInput, match=r"Kontaktpersonen er for lang: 201"):
        _book(db, booked_by="t", contact_person="K" * 201)


def test_a_long_cancel_note_is_a_danish_refusal(db: Database) -> None:
    b = _book(db, booked_by="t")
    assert b.id is not None
    with pytest.raises(InvalidInput, match="er for lang"):
        bk.cancel_booking(
            db=db,
            booking_id=b.id,
            reason=CancelReason.COMPANY_CANCELLED,
            actor="t",
            note="n" * 600,
            now=NOW,
        )
    with db.session() as s:
        again = s.get(Booking, b.id)
        assert again is not None and again.status.value == "booked"


def test_a_long_campaign_name_is_a_danish_refusal(db: Database) -> None:
    with pytest.raises(InvalidInput, match="Kampagnens navn"), db.session(write=True) as s:
        campaigns.create_campaign(
            session=s, name="K" * 121, script=REPO / "scripts" / "fleksjob.toml"
        )


def test_a_database_error_in_the_crash_log_carries_no_values(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A driver error (here: a NOT NULL violation, sent past the length check) names the
    statement but not the contact's name or e-mail it carried."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    w = make_world(db, consultants=1)
    with pytest.raises(sa.exc.DBAPIError) as info, db.session(write=True) as s:
        s.execute(
            sa.insert(Company).values(
                campaign_id=w.campaign_id, name=None, contact_person=MARKER, email=MARKER
            )
        )
    log = write_crash_log(info.value)
    text = log.read_text(encoding="utf-8")
    assert "INSERT INTO company" in text  # still useful to a developer
    assert "Hemmelig" not in text and "example.dk" not in text
    assert (log.stat().st_mode & 0o777) == 0o600


def test_postgres_detail_lines_are_removed(pg_db: Database) -> None:
    """PostgreSQL puts the clashing key's value into the error (``DETAIL: Key ...``)."""
    w = make_world(pg_db, consultants=1)
    with pg_db.session() as s:
        email = s.exec(sa.text("SELECT email FROM consultant LIMIT 1")).scalar()  # type: ignore[call-overload]
    with pytest.raises(sa.exc.IntegrityError) as info, pg_db.session(write=True) as s:
        s.add(Consultant(name="x", email=email, jobcenter_id=w.jobcenter_id, feed_token="t" * 20))
        s.flush()
    assert email in str(info.value.orig)  # the driver does put it there
    assert email not in crash_report(info.value)


def test_scrubbing_keeps_the_traceback() -> None:
    try:
        raise ValueError("boom\nDETAIL:  Key (email)=(" + "@".join(["a", "b.dk"]) + ")")
    except ValueError as exc:
        text = crash_report(exc)
    assert "ValueError: boom" in text and "a@b.dk" not in text and "test_limits.py" in text
    assert dt.date.today()  # the module's imports are used
