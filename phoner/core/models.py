"""SQLModel tables and enums for the whole campaign domain.

One database holds one or more campaigns. Everything a later feature needs is modelled
here so features extend the schema through Alembic migrations instead of redoing it.

Conventions:
- enums are ``StrEnum`` with stable machine codes (used in files, JSON and the database)
  and stored as plain strings (``native_enum=False``) so SQLite and PostgreSQL agree and
  migrations never have to alter a PostgreSQL ENUM type;
- every timestamp is timezone-aware UTC in Python (:class:`UTCDateTime`); the UI shows
  Europe/Copenhagen;
- free-form structured data (answers, needs, extra columns) lives in JSON columns.
"""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from phoner.core import clock

utcnow = clock.utcnow  # the models' defaults and most services take the time from here


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    SQLite has no time zones, so the value is stored as naive UTC there; PostgreSQL gets
    ``timestamp with time zone``. Naive datetimes are refused on the way in: a naive
    value is a bug (whose local time would it be?).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _enum(enum_cls: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime(), nullable=nullable, index=index)


def _json(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_type=sa.JSON(), nullable=False)


# --------------------------------------------------------------------------- enums


class Outcome(StrEnum):
    """The result of one call. Substantive outcomes mean the company *answered*."""

    VIL_KONTAKTES = "vil_kontaktes"
    IKKE_INTERESSERET = "ikke_interesseret"
    HAR_FLEKSJOBBERE = "har_fleksjobbere"
    HAR_KONTAKT = "har_kontakt"
    IKKE_TRUFFET = "ikke_truffet"
    OPTAGET = "optaget"
    RING_TILBAGE = "ring_tilbage"
    FORKERT_NUMMER = "forkert_nummer"
    LUKKET = "lukket"
    #: the company does not want to be contacted again: final, and it goes on the
    #: do-not-call register (:mod:`phoner.core.blocks`)
    FRABEDER_SIG_HENVENDELSER = "frabeder_sig_henvendelser"
    #: "Ikke nu, men senere": the company answered and expects a need later (a revisit
    #: date); it comes back to the phoners a few working days before that date.
    IKKE_NU = "ikke_nu"

    @property
    def label(self) -> str:
        """Danish label (:mod:`phoner.core.vocabulary`): "vil_kontaktes" -> "Vil kontaktes"."""
        from phoner.core import vocabulary

        return vocabulary.label(self)

    @property
    def substantive(self) -> bool:
        return self in SUBSTANTIVE_OUTCOMES

    @classmethod
    def parse(cls, text: str) -> Outcome:
        """The code or the Danish label; ``vocabulary.UnknownWord`` (a ValueError) if neither."""
        from phoner.core import vocabulary

        return vocabulary.parse(cls, text)


SUBSTANTIVE_OUTCOMES: frozenset[Outcome] = frozenset(
    {
        Outcome.VIL_KONTAKTES,
        Outcome.IKKE_INTERESSERET,
        Outcome.HAR_FLEKSJOBBERE,
        Outcome.HAR_KONTAKT,
    }
)


class AaporClass(StrEnum):
    """AAPOR Standard Definitions disposition classes."""

    I = "I"  # complete interview  # noqa: E741
    P = "P"  # partial interview
    R = "R"  # refusal / break-off
    NC = "NC"  # non-contact
    O = "O"  # other eligible non-interview  # noqa: E741
    UH = "UH"  # unknown if household/company is eligible (unknown eligibility, no contact)
    UO = "UO"  # unknown eligibility, other
    NE = "NE"  # not eligible


#: The one table mapping phoner's outcomes to AAPOR classes (reports use it).
#: A company that went through the script and said "not interested" answered the
#: questions: it is a complete interview (I), not a refusal. Refusal (R) is reserved
#: for break-offs, which phoner records as a not-final outcome with a note.
AAPOR_CLASS: dict[Outcome, AaporClass] = {
    Outcome.VIL_KONTAKTES: AaporClass.I,
    Outcome.IKKE_INTERESSERET: AaporClass.I,
    Outcome.HAR_FLEKSJOBBERE: AaporClass.I,
    Outcome.HAR_KONTAKT: AaporClass.I,
    Outcome.RING_TILBAGE: AaporClass.NC,  # reached the line, not the right person yet
    Outcome.IKKE_TRUFFET: AaporClass.UH,  # never reached anyone: eligibility unknown
    Outcome.OPTAGET: AaporClass.UH,
    Outcome.FORKERT_NUMMER: AaporClass.UO,
    Outcome.LUKKET: AaporClass.NE,  # company closed: not eligible
    # reached, and asked never to be contacted: an explicit refusal
    Outcome.FRABEDER_SIG_HENVENDELSER: AaporClass.R,
    Outcome.IKKE_NU: AaporClass.NC,  # deferred, like an agreed callback: not done yet
}


class NotInterestedReason(StrEnum):
    """Why a company said "Ikke interesseret" (stored on the call attempt)."""

    INGEN_OPGAVER = "ingen_opgaver"
    FOR_LILLE = "for_lille"
    EGNE_MEDARBEJDERE = "egne_medarbejdere"  # uses only its own staff
    DAARLIGE_ERFARINGER = "daarlige_erfaringer"
    ANDET = "andet"  # with a text (CallAttempt.reason_text)


class CallState(StrEnum):
    """Where a company stands in the calling queue."""

    NEW = "new"  # never called
    RETRY = "retry"  # not-final outcome; due again at next_call_at
    CALLBACK = "callback"  # ring_tilbage at an agreed time (next_call_at)
    DONE = "done"  # final outcome recorded
    NOT_REACHED = "not_reached"  # attempt cap reached without a final outcome


class ClearingState(StrEnum):
    """The jobcenter's decision on a company before the campaign starts."""

    PENDING = "pending"  # not reviewed; kept by default unless a removal is proposed
    KEEP = "keep"
    REMOVE = "remove"


class ClearingReason(StrEnum):
    KENDT_VIRKSOMHED = "kendt_virksomhed"
    KONTAKTET_FOR_NYLIG = "kontaktet_for_nylig"
    LUKKET = "lukket"
    FORKERT_BRANCHE = "forkert_branche"
    REKLAMEBESKYTTET = "reklamebeskyttet"
    DUBLET = "dublet"
    ANDET = "andet"

    @property
    def label(self) -> str:
        from phoner.core import vocabulary

        return vocabulary.label(self)


class RoundState(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class CancelReason(StrEnum):
    COMPANY_CANCELLED = "virksomhed_aflyste"
    CONSULTANT_CANCELLED = "konsulent_aflyste"
    MOVED = "flyttet"
    #: booked by mistake and taken back at once (undo of the call): no report counts it
    FEJLBOOKING = "fejlbooking"


class MeetingStatus(StrEnum):
    """What happened at the visit, registered by the consultant."""

    AFHOLDT = "afholdt"
    AFLYST_AF_VIRKSOMHEDEN = "aflyst_af_virksomheden"
    AFLYST_AF_KONSULENTEN = "aflyst_af_konsulenten"
    KONSULENT_UDEBLEV = "konsulent_udeblev"
    AFKORTET_TELEFONISK = "afkortet_telefonisk"
    FLYTTET = "flyttet"


class CompanyCancelReason(StrEnum):
    TRAVLHED = "travlhed"
    AENDRET_HOLDNING = "aendret_holdning"
    GLEMT = "glemt"
    ANDET = "andet"


class AgreementCategory(StrEnum):
    """Agreement categories of the national campaign (places the company wants filled)."""

    JOBORDRE = "jobordre_rekruttering"
    OPKVALIFICERINGSJOB = "opkvalificeringsjob"
    VOKSENLAERLING = "voksenlaerling"
    JOBROTATION = "jobrotation"
    LOENTILSKUD = "loentilskud"
    VIRKSOMHEDSPRAKTIK = "virksomhedspraktik"
    FAGPILOT = "fagpilot"
    FASTHOLDELSE = "fastholdelse"
    FLEKSJOB = "fleksjob"
    FLYGTNINGE = "virksomhedspladser_flygtninge"

    @property
    def label(self) -> str:
        from phoner.core import vocabulary

        return vocabulary.label(self)


class FollowUpKind(StrEnum):
    CALL_COMPANY = "call_company"  # vil_kontaktes without a booked visit
    AGREEMENT = "agreement"  # promised at a visit
    OTHER = "other"


class Delivery(StrEnum):
    """How a consultant's visits reach their calendar (issue 12)."""

    INVITATION = "invitation"  # an e-mail invitation per booking change (iMIP)
    FEED = "feed"  # only the subscribed calendar feed
    BOTH = "both"


class OutboxKind(StrEnum):
    INVITATION = "invitation"
    CANCELLATION = "cancellation"
    CONFIRMATION = "confirmation"
    REMINDER = "reminder"
    NOTICE = "notice"


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting (next_attempt_at says from when)
    SENDING = "sending"  # claimed by a sender at claimed_at
    SENT = "sent"
    FAILED = "failed"  # the server refused it for good (last_error); phoner outbox retry


class JobcenterKind(StrEnum):
    MUNICIPAL = "kommune"  # a municipality's jobcenter
    UNIT = "enhed"  # not a municipality: a national unit, a contractor, a joint team


class ContactKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    KNOWN = "known"  # on a jobcenter's own list of companies it works with


# --------------------------------------------------------------------------- tables


class Jobcenter(SQLModel, table=True):
    """A unit that holds visits: a municipality's jobcenter (``kind`` kommune, with its
    municipality and code), or another unit (``kind`` enhed: Jobservice Danmark, a phoning
    contractor, an inter-municipal team) with no municipality and so no area.

    Reports find a jobcenter's area from its municipality code in the area scheme they
    use (:mod:`phoner.core.geography`); ``rar_area`` is the RAR area stored when the
    jobcenter was created, kept for older readers and never used by a report.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=120)
    kind: JobcenterKind = Field(
        default=JobcenterKind.MUNICIPAL,
        sa_type=_enum(JobcenterKind),
        sa_column_kwargs={"server_default": JobcenterKind.MUNICIPAL.value},
    )
    municipality: str | None = Field(default=None, max_length=80)
    municipality_code: int | None = None
    rar_area: str | None = Field(default=None, max_length=40)


class Consultant(SQLModel, table=True):
    """A virksomhedskonsulent who holds visits and subscribes to a calendar feed."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(index=True, unique=True, max_length=200)
    jobcenter_id: int = Field(foreign_key="jobcenter.id", index=True)
    working_days: list[int] = _json(lambda: [0, 1, 2, 3, 4])  # Monday = 0
    work_start: dt.time = Field(default=dt.time(8, 30))
    work_end: dt.time = Field(default=dt.time(15, 30))
    max_visits_per_day: int = 3
    travel_buffer_minutes: int = 30
    visit_minutes: int = 60
    absence_source: str | None = Field(default=None, max_length=500)  # .ics URL or file
    feed_token: str = Field(index=True, unique=True, max_length=64)
    feed_token_rotated_at: dt.datetime | None = _ts()
    #: the key of the consultant's web pages' links (phoner.core.visit_pages); never in a
    #: URL, replaced together with feed_token; "" opens no page
    page_secret: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        max_length=64,
        sa_column_kwargs={"server_default": ""},
    )
    last_feed_fetch_at: dt.datetime | None = _ts()
    active: bool = True
    delivery: Delivery = Field(
        default=Delivery.INVITATION,
        sa_type=_enum(Delivery),
        sa_column_kwargs={"server_default": Delivery.INVITATION.value},
    )


class Campaign(SQLModel, table=True):
    """A campaign: its call script, targeting, retry and booking rules."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=120)
    script_path: str = Field(max_length=500)
    script_hash: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    # targeting (each optional)
    min_employees: int | None = None
    max_employees: int | None = None
    municipalities: list[str] = _json(list)
    industries: list[str] = _json(list)  # branchekode prefixes
    recent_contact_days: int = 180
    # calling and retries
    calling_start: dt.time = Field(default=dt.time(9, 0))
    calling_end: dt.time = Field(default=dt.time(16, 0))
    max_attempts: int = 5
    retry_minutes: dict[str, int] = _json(
        lambda: {"ikke_truffet": 120, "optaget": 30, "forkert_nummer": 0}
    )
    callback_grace_minutes: int = 15
    undo_minutes: int = Field(default=5, sa_column_kwargs={"server_default": "5"})
    # booking rules
    horizon_days: int = 42
    min_notice_days: int = 2
    any_jobcenter: bool = False  # book consultants of other jobcenters too
    # after the call
    followup_due_days: int = 3
    reminder_days_before: int = 1
    retention_days: int | None = None
    aapor_e: float = 0.5
    # e-mail: the organizer's and sender's address (None: PHONER_SMTP_FROM)
    mailbox: str | None = Field(default=None, max_length=200)
    # reklamebeskyttelse: the recorded legal basis for calling ad-protected companies
    # (None: they are proposed for removal in clearing)
    protected_basis: str | None = Field(default=None, max_length=1000)
    protected_basis_by: str | None = Field(default=None, max_length=120)
    protected_basis_at: dt.datetime | None = _ts()


class CampaignJobcenter(SQLModel, table=True):
    """A jobcenter's part of a campaign's list, and its sign-off."""

    __table_args__ = (sa.UniqueConstraint("campaign_id", "jobcenter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    jobcenter_id: int = Field(foreign_key="jobcenter.id", index=True)
    signed_off_at: dt.datetime | None = _ts()
    signed_off_by: str | None = Field(default=None, max_length=120)
    forced: bool = False
    list_version: int = 0


class Round(SQLModel, table=True):
    """An omgang/udsendelse: a batch of companies called together."""

    __table_args__ = (sa.UniqueConstraint("campaign_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    number: int
    planned_date: dt.date | None = None
    state: RoundState = Field(default=RoundState.PLANNED, sa_type=_enum(RoundState))
    note: str | None = Field(default=None, max_length=500)


class Company(SQLModel, table=True):
    """A company on a campaign's call list, with its clearing and queue state."""

    __table_args__ = (
        sa.Index("ix_company_campaign_cvr", "campaign_id", "cvr"),
        sa.Index("ix_company_queue", "campaign_id", "call_state", "next_call_at"),
        # new companies in list order without sorting the whole list (queue.claims.claim_next)
        sa.Index("ix_company_new", "campaign_id", "call_state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    jobcenter_id: int | None = Field(default=None, foreign_key="jobcenter.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    cvr: str | None = Field(default=None, max_length=8)
    p_number: str | None = Field(default=None, max_length=10)
    name: str = Field(max_length=300)
    phones: list[str] = _json(list)  # E.164, primary first
    contact_person: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    postcode: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=100)
    municipality: str | None = Field(default=None, max_length=80)
    industry: str | None = Field(default=None, max_length=200)
    industry_code: str | None = Field(default=None, max_length=20)
    employees: int | None = None
    ad_protected: bool = False  # reklamebeskyttet
    extra: dict[str, Any] = _json(dict)  # unknown import columns, kept verbatim
    flags: list[str] = _json(list)  # e.g. "mangler_cvr", "delt_telefon"
    out_of_target: str | None = Field(default=None, max_length=200)  # rule that excluded it
    # clearing
    clearing_state: ClearingState = Field(
        default=ClearingState.PENDING, sa_type=_enum(ClearingState)
    )
    clearing_proposal: ClearingReason | None = Field(
        default=None, sa_type=_enum(ClearingReason), nullable=True
    )
    clearing_note: str | None = Field(default=None, max_length=500)
    # calling queue
    call_state: CallState = Field(default=CallState.NEW, sa_type=_enum(CallState))
    next_call_at: dt.datetime | None = _ts()
    callback_phoner: str | None = Field(default=None, max_length=120)
    attempts: int = 0
    last_outcome: Outcome | None = Field(default=None, sa_type=_enum(Outcome), nullable=True)
    final_outcome: Outcome | None = Field(default=None, sa_type=_enum(Outcome), nullable=True)
    lease_holder: str | None = Field(default=None, max_length=120)
    lease_token: str | None = Field(default=None, max_length=64)
    lease_expires_at: dt.datetime | None = _ts()
    lease_since: dt.datetime | None = _ts()  # when lease_holder took it (queue.claims)
    # the active do-not-call entry this company matches (None: not blocked); kept by
    # phoner.core.blocks, read by the eligibility clause
    blocked_id: int | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class ListImport(SQLModel, table=True):
    """One run of ``phoner list import``: a file onto a campaign's list, written in batches.

    Each batch commits its companies together with the counters here, so after a crash
    the counters say exactly what is in the list; a re-run of the same file (same
    campaign, ``--jobcenter`` and SHA-256) resumes this record until ``finished_at``.
    ``rows_total``/``rows_done`` are data rows of the file; ``imported``,
    ``out_of_target`` and ``proposed_removal`` count the new companies written so far.
    """

    __table_args__ = (sa.Index("ix_listimport_file", "campaign_id", "file_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    jobcenter_id: int | None = Field(default=None, foreign_key="jobcenter.id")
    file_name: str = Field(max_length=500)
    file_sha256: str = Field(max_length=64)
    rows_total: int = 0
    rows_done: int = 0
    imported: int = 0
    out_of_target: int = 0
    proposed_removal: int = 0
    started_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    started_by: str = Field(max_length=120)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    finished_at: dt.datetime | None = _ts()


class CallAttempt(SQLModel, table=True):
    """One call (or one outcome imported from a contractor)."""

    # covering index for the phoners report (per phoner and clock hour)
    __table_args__ = (
        sa.Index("ix_callattempt_phoner_hour", "campaign_id", "phoner", "ended_at", "outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    phoner: str = Field(max_length=120, index=True)
    started_at: dt.datetime | None = _ts()
    ended_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), index=True)
    outcome: Outcome = Field(sa_type=_enum(Outcome))
    answers: dict[str, Any] = _json(dict)  # question id -> answer key
    needs: dict[str, Any] = _json(dict)  # structured needs fields
    note: str | None = None
    callback_at: dt.datetime | None = _ts()
    script_hash: str | None = Field(default=None, max_length=64)
    source: str = Field(default="tui", max_length=20)  # tui | import | cli
    #: ikke_interesseret: why (and the words for "andet"); ikke_nu: the day the company
    #: expects a need (it comes back to the phoners a few working days before).
    reason: NotInterestedReason | None = Field(
        default=None, sa_type=_enum(NotInterestedReason), nullable=True
    )
    reason_text: str | None = Field(default=None, max_length=500)
    revisit_on: dt.date | None = None
    import_key: str | None = Field(default=None, max_length=64, unique=True)


class Booking(SQLModel, table=True):
    """A visit booked into a consultant's calendar.

    Two guarantees hold in the database itself, not only in the booking service's checks
    (which run first and give the detailed refusal):

    - One booked, live visit per company and campaign (partial unique index
      ``uq_booking_live_company``). ``live`` turns false once the visit has ended and
      the company is booked again, so an ended visit never blocks the next one;
      cancelled visits never count.
    - PostgreSQL only: a consultant's booked visits never overlap, travel buffer included
      (exclusion constraint ``ex_booking_consultant_time`` on ``[start, blocked_end)``,
      made by migration 0002). ``blocked_end`` is the end plus the consultant's travel
      buffer at booking time (NULL for visits booked before 0002: their own time only).
      SQLite needs no such constraint: ``BEGIN IMMEDIATE`` serialises every write, so
      the service's check inside the transaction is enough.
    """

    __table_args__ = (
        sa.Index(
            "uq_booking_live_company",
            "campaign_id",
            "company_id",
            unique=True,
            sqlite_where=sa.text("status = 'booked' AND live"),
            postgresql_where=sa.text("status = 'booked' AND live"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(index=True, unique=True, max_length=80)  # stable iCalendar UID
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    consultant_id: int = Field(foreign_key="consultant.id", index=True)
    attempt_id: int | None = Field(default=None, foreign_key="callattempt.id")
    start: dt.datetime = Field(sa_type=UTCDateTime(), index=True)
    end: dt.datetime = Field(sa_type=UTCDateTime())
    status: BookingStatus = Field(default=BookingStatus.BOOKED, sa_type=_enum(BookingStatus))
    cancel_reason: CancelReason | None = Field(
        default=None, sa_type=_enum(CancelReason), nullable=True
    )
    sequence: int = 0
    booked_by: str = Field(max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    modified_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    contact_person: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=200)
    contact_mobile: str | None = Field(default=None, max_length=30)
    details: dict[str, Any] = _json(dict)  # answers, needs, note captured in the call
    reminder_sent_at: dt.datetime | None = _ts()
    consultant_notified_at: dt.datetime | None = _ts()
    live: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    blocked_end: dt.datetime | None = _ts()


class VisitResult(SQLModel, table=True):
    """What happened at a booked visit (one per booking)."""

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", unique=True)
    status: MeetingStatus = Field(sa_type=_enum(MeetingStatus))
    company_cancel_reason: CompanyCancelReason | None = Field(
        default=None, sa_type=_enum(CompanyCancelReason), nullable=True
    )
    note: str | None = None
    registered_by: str = Field(max_length=120)
    registered_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class Agreement(SQLModel, table=True):
    """Places the company wants filled, agreed at a visit, in one category."""

    __table_args__ = (sa.UniqueConstraint("visit_result_id", "category"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_result_id: int = Field(foreign_key="visitresult.id", index=True)
    category: AgreementCategory = Field(sa_type=_enum(AgreementCategory))
    count: int = 1
    note: str | None = None


class FollowUp(SQLModel, table=True):
    """A promise to a company: who does what by when."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    consultant_id: int | None = Field(default=None, foreign_key="consultant.id", index=True)
    kind: FollowUpKind = Field(default=FollowUpKind.CALL_COMPANY, sa_type=_enum(FollowUpKind))
    attempt_id: int | None = Field(default=None, foreign_key="callattempt.id")
    agreement_id: int | None = Field(default=None, foreign_key="agreement.id")
    description: str = Field(default="", max_length=500)
    due_date: dt.date
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    done_at: dt.datetime | None = _ts()
    done_by: str | None = Field(default=None, max_length=120)
    note: str | None = None


class ContactHistory(SQLModel, table=True):
    """Contacts with a company across campaigns, for suppression of recent contacts.

    Keyed by CVR so it survives the deletion or anonymisation of a campaign's list.
    """

    __table_args__ = (sa.Index("ix_contacthistory_cvr_date", "cvr", "contact_date"),)

    id: int | None = Field(default=None, primary_key=True)
    cvr: str = Field(max_length=8)
    jobcenter_id: int | None = Field(default=None, foreign_key="jobcenter.id")
    campaign_name: str | None = Field(default=None, max_length=120)
    contact_date: dt.date
    kind: ContactKind = Field(sa_type=_enum(ContactKind))
    outcome: str | None = Field(default=None, max_length=40)


class DoNotCall(SQLModel, table=True):
    """The do-not-call register: a company that asked never to be contacted again.

    One entry per request, across every campaign and jobcenter of the database; it blocks
    every company with its CVR, its P-number or one of its phone numbers until it is
    lifted (``lifted_at``, with who and why). Lifted entries are kept as history.
    """

    id: int | None = Field(default=None, primary_key=True)
    cvr: str | None = Field(default=None, max_length=8, index=True)
    p_number: str | None = Field(default=None, max_length=10, index=True)
    phones: list[str] = _json(list)  # E.164
    company_name: str | None = Field(default=None, max_length=300)
    reason: str = Field(max_length=500)
    source: str = Field(max_length=20)  # opkald, manuel, import
    campaign_name: str | None = Field(default=None, max_length=120)
    attempt_id: int | None = None  # the call that recorded it (undo lifts it again)
    created_by: str = Field(max_length=120)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    lifted_at: dt.datetime | None = _ts()
    lifted_by: str | None = Field(default=None, max_length=120)
    lift_reason: str | None = Field(default=None, max_length=500)


class AuditLog(SQLModel, table=True):
    """Who changed what, when: old and new value of every audited change."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), index=True)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: int | None = Field(default=None, index=True)
    campaign_id: int | None = Field(default=None, index=True)
    old: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON(), nullable=True)
    new: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON(), nullable=True)
    reason: str | None = Field(default=None, max_length=500)


class FeedFetchSummary(SQLModel, table=True):
    """A consultant's feed fetches on one (Copenhagen) day: how many, the first and the
    last, and how the last was answered (200 or 304). One row per consultant and day, not
    one per request: clients poll every hour, forever."""

    __table_args__ = (
        sa.UniqueConstraint("consultant_id", "day", name="uq_feedfetchsummary_consultant_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consultant_id: int = Field(foreign_key="consultant.id", index=True)
    day: dt.date
    fetches: int = 0
    first_at: dt.datetime = Field(sa_type=UTCDateTime())
    last_at: dt.datetime = Field(sa_type=UTCDateTime())
    last_status: int
    last_user_agent: str | None = Field(default=None, max_length=300)


class Setting(SQLModel, table=True):
    """Small key/value store for workspace-wide settings (e.g. the feed base URL)."""

    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(max_length=2000)


class OutboxMessage(SQLModel, table=True):
    """One e-mail waiting to leave, leaving, sent or refused (:mod:`phoner.core.outbox`).

    Written in the same transaction as the change that causes it, so a committed change
    always has its message and a rolled-back one never has. ``message`` holds the whole
    rendered RFC 5322 message; the sender adds only a missing From header.
    """

    __table_args__ = (
        sa.Index("ix_outboxmessage_due", "status", "next_attempt_at"),
        sa.Index("ix_outboxmessage_booking", "booking_id", "sequence", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    kind: OutboxKind = Field(sa_type=_enum(OutboxKind))
    recipient: str = Field(max_length=200)
    subject: str = Field(default="", max_length=500)
    message_id: str = Field(max_length=250)
    message: bytes = Field(sa_type=sa.LargeBinary())
    sequence: int = 0
    status: OutboxStatus = Field(default=OutboxStatus.QUEUED, sa_type=_enum(OutboxStatus))
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    claimed_at: dt.datetime | None = _ts()
    sent_at: dt.datetime | None = _ts()
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
